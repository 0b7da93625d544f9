//! A client that trickles its request cannot hold a connection forever: on a real port, headers that
//! never finish are cut off by the server's header timeout.

mod support;

use std::time::{Duration, Instant};

use doorwatch::receive::server::HEADER_TIMEOUT;
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn headers_that_never_finish_are_cut_off() {
    let t = open_store();
    let server = serve_on_a_free_port(&t.store, None).await;
    let addr = server.addr;

    let mut slow = tokio::net::TcpStream::connect(addr).await.unwrap();
    slow.write_all(format!("POST /webhooks/kisi HTTP/1.1\r\nHost: {addr}\r\nContent-Type: appl").as_bytes())
        .await
        .unwrap();
    let started = Instant::now();
    let mut buf = Vec::new();
    let read = tokio::time::timeout(HEADER_TIMEOUT + Duration::from_secs(10), slow.read_to_end(&mut buf)).await;
    assert!(
        read.is_ok(),
        "the connection was still open {} s later",
        (HEADER_TIMEOUT + Duration::from_secs(10)).as_secs()
    );
    assert!(started.elapsed() >= HEADER_TIMEOUT - Duration::from_secs(1), "cut off before the timeout");
    assert_eq!(t.store.reader().unwrap().count().unwrap(), 0);

    // The server itself is fine: a normal delivery right after is stored.
    let body = fixture("unlock-ok-user.json");
    let (status, _) = delivery::deliver(&reqwest::Client::new(), &server.webhook(), &body, None).await;
    assert_eq!(status, 200);
    server.stop().await;
}
