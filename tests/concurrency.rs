//! Concurrent deliveries on a real port: Kisi retries and duplicates arrive at the same moment, and
//! every one of them must get a 200 while the event is stored, and announced, once.

mod support;

use std::time::Duration;

use doorwatch::alert::{AlertPolicy, AlertSettings, Decision};
use doorwatch::receive::server;
use doorwatch::receive::signature::SigningKey;
use doorwatch::store::Reader;
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_identical_concurrent_deliveries_make_one_row_one_feed_message_and_a_hundred_200s() {
    let t = open_store();
    let server = serve_on_a_free_port(&t.store, SigningKey::new(KEY)).await;
    let mut feed = t.store.subscribe();

    let body = fixture("unlock-failed-user.json");
    let url = server.webhook();
    let client = reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap();
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(100));
    let mut tasks = Vec::new();
    for _ in 0..100 {
        let (client, url, body, barrier) = (client.clone(), url.clone(), body.clone(), barrier.clone());
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            let (status, answer) = delivery::deliver(&client, &url, &body, Some(KEY)).await;
            (status, serde_json::from_str::<serde_json::Value>(&answer).unwrap())
        }));
    }
    let mut stored = 0;
    for task in tasks {
        let (status, answer) = task.await.unwrap();
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["uuid"], "0b6f3a52-1c1e-4d8a-9f53-2a8c6f1d0e02");
        if answer["status"] == "stored" {
            stored += 1;
        }
    }
    assert_eq!(stored, 1, "exactly one delivery is the one that stored it");

    let announced = feed.recv().await.unwrap();
    assert_eq!(announced.event.uuid, "0b6f3a52-1c1e-4d8a-9f53-2a8c6f1d0e02");
    let more = tokio::time::timeout(Duration::from_millis(300), feed.recv()).await;
    assert!(more.is_err(), "a duplicate reached the feed: {more:?}");
    // What the app alerts from is the feed: one message, one notification.
    let mut policy = AlertPolicy::new(AlertSettings::default());
    let at = chrono::DateTime::<chrono::Utc>::from_timestamp_millis(announced.time()).unwrap()
        + chrono::Duration::seconds(5);
    assert!(matches!(policy.decide(&announced, at), Decision::Notify(_)));

    let reader = Reader::open(&t.path).unwrap();
    assert_eq!(reader.count().unwrap(), 1);
    assert_eq!(reader.event("0b6f3a52-1c1e-4d8a-9f53-2a8c6f1d0e02").unwrap().unwrap().duplicates, 99);
    server.stop().await;

    // Days later, after a restart (a fresh alert memory), Kisi replays the old event: acknowledged as a
    // duplicate, still one row, nothing on the feed, so nothing to alert about.
    let store = doorwatch::store::Store::open(&t.path, Default::default()).unwrap();
    let server = serve_on_a_free_port(&store, SigningKey::new(KEY)).await;
    let mut feed = store.subscribe();
    let (status, answer) = delivery::deliver(&client, &server.webhook(), &body, Some(KEY)).await;
    assert_eq!(status, 200);
    assert_eq!(serde_json::from_str::<serde_json::Value>(&answer).unwrap()["status"], "duplicate");
    assert!(tokio::time::timeout(Duration::from_millis(300), feed.recv()).await.is_err());
    assert_eq!(Reader::open(&t.path).unwrap().count().unwrap(), 1);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_different_concurrent_deliveries_are_all_stored_and_announced_in_commit_order() {
    let t = open_store();
    let server = serve_on_a_free_port(&t.store, None).await;
    let mut feed = t.store.subscribe();
    let client = reqwest::Client::new();
    let mut tasks = Vec::new();
    for i in 0..200 {
        let client = client.clone();
        let url = server.webhook();
        tasks.push(tokio::spawn(async move {
            let body = format!(r#"{{"uuid":"c-{i}","type":"lock.unlock","success":true,"object_name":"Door {i}"}}"#);
            delivery::deliver(&client, &url, body.as_bytes(), None).await.0
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap(), 200);
    }
    let mut ids = Vec::new();
    for _ in 0..200 {
        ids.push(feed.recv().await.unwrap().id);
    }
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "the feed follows commit order");
    assert_eq!(Reader::open(&t.path).unwrap().count().unwrap(), 200);
    server.stop().await;
}

#[tokio::test]
async fn the_local_receiver_refuses_to_listen_beyond_loopback() {
    let err = server::bind_loopback("0.0.0.0:0".parse().unwrap()).await.unwrap_err();
    assert!(err.to_string().contains("loopback only"), "{err}");
}
