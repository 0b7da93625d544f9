//! A flood of connections (anyone on the internet can open them through the tunnel) cannot exhaust the
//! laptop: past the limit, a connection waits in the backlog until one closes, and is then served.

mod support;

use std::time::Duration;

use doorwatch::receive::ingest::{router, IngestConfig};
use doorwatch::receive::server;
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_connection_limit_the_next_connection_waits_until_one_closes() {
    let t = open_store();
    let listener = server::bind_loopback("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = router(t.store.clone(), IngestConfig::local(addr, None));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server::serve_limited(
        listener,
        app,
        async {
            let _ = stopped.await;
        },
        2,
    ));

    // Two connections that never send a request hold both places.
    let first = tokio::net::TcpStream::connect(addr).await.unwrap();
    let _second = tokio::net::TcpStream::connect(addr).await.unwrap();
    let url = format!("http://{addr}/healthz");
    let mut third = tokio::spawn(async move { reqwest::get(url).await.map(|r| r.status().as_u16()) });
    assert!(
        tokio::time::timeout(Duration::from_millis(700), &mut third).await.is_err(),
        "a third connection was served while two held the places"
    );

    // One closes: the waiting one is served.
    drop(first);
    let status = tokio::time::timeout(Duration::from_secs(10), third).await.expect("served once a place was free");
    assert_eq!(status.unwrap().unwrap(), 200);
    let _ = stop.send(());
    let _ = serving.await;
}
