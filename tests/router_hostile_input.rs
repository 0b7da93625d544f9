//! The ingest router against hostile input: browser origins and foreign hosts, a body that never
//! finishes, bodies that are signed but malicious or odd, a Content-Length that lies (on a real socket)
//! and unknown methods. Each gets its precise answer, nothing panics, and nothing half-made is stored.

mod support;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use doorwatch::event::EventKind;
use doorwatch::receive::ingest::{router, IngestConfig};
use doorwatch::receive::signature::SigningKey;
use support::oneshot::{assert_refused, signed_router, wait_for_rejections};
use support::*;
use tower::ServiceExt;

#[tokio::test]
async fn browser_requests_are_refused() {
    let t = open_store();
    let body = fixture("unlock-ok-user.json");
    let request = webhook_post(&body)
        .header("origin", "https://evil.example")
        .header("x-signature", sign(&body))
        .body(Body::from(body.clone()))
        .unwrap();
    assert_refused(&t, signed_router(&t), request, StatusCode::FORBIDDEN, "browser_origin").await;
    // Even without a key, a web page must not be able to forge door events on localhost.
    let open = router(t.store.clone(), IngestConfig::local(LOCAL.parse().unwrap(), None));
    let request = webhook_post(&body).header("origin", "null").body(Body::from(body.clone())).unwrap();
    assert_refused(&t, open, request, StatusCode::FORBIDDEN, "browser_origin").await;
    assert_eq!(wait_for_rejections(&t, "browser_origin", 2).await, 2);
}

#[tokio::test]
async fn a_foreign_host_is_refused_on_the_local_listener() {
    let t = open_store();
    let body = fixture("unlock-ok-user.json");
    let request = Request::post("/webhooks/kisi")
        .header("host", "rebind.attacker.example:8787")
        .header("content-type", "application/json")
        .header("x-signature", sign(&body))
        .body(Body::from(body.clone()))
        .unwrap();
    assert_refused(&t, signed_router(&t), request, StatusCode::FORBIDDEN, "host_not_allowed").await;
    let no_host = Request::post("/webhooks/kisi").header("x-signature", sign(&body)).body(Body::from(body)).unwrap();
    assert_refused(&t, signed_router(&t), no_host, StatusCode::FORBIDDEN, "host_not_allowed").await;
}

#[tokio::test]
async fn a_body_that_never_finishes_times_out_with_408() {
    let t = open_store();
    let mut config = IngestConfig::local(LOCAL.parse().unwrap(), SigningKey::new(KEY));
    config.body_timeout = Duration::from_millis(200);
    let app = router(t.store.clone(), config);
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(1);
    tx.send(Ok(b"{\"uuid\":".to_vec())).await.unwrap();
    let stream = tokio_stream::wrappers::ReceiverStream::new(rx);
    let request = Request::post("/webhooks/kisi").header("host", LOCAL).body(Body::from_stream(stream)).unwrap();
    assert_refused(&t, app, request, StatusCode::REQUEST_TIMEOUT, "timeout").await;
    drop(tx);
}
/// Hostile bodies that are signed correctly (an attacker who stole the key, or Kisi gone mad): each gets
/// its precise answer, nothing panics, and nothing half-made is stored.
#[tokio::test]
async fn hostile_but_signed_bodies_get_precise_answers_and_store_nothing_wrong() {
    // Invalid UTF-8 inside a JSON string.
    let t = open_store();
    let mut body = br#"{"uuid":"bad-utf8","type":"lock.unlock","actor_name":"X"#.to_vec();
    body.extend_from_slice(&[0xff, 0xfe]);
    body.extend_from_slice(br#"","success":true}"#);
    assert_refused(&t, signed_router(&t), signed_post(&body), StatusCode::BAD_REQUEST, "malformed_json").await;

    // JSON nested 10,000 deep (serde_json stops at 128 levels instead of overflowing the stack).
    let t = open_store();
    let mut body = br#"{"uuid":"deep","type":"lock.unlock","details":"#.to_vec();
    body.extend(std::iter::repeat_n(b'[', 10_000));
    body.extend(std::iter::repeat_n(b']', 10_000));
    body.push(b'}');
    assert!(body.len() < 64 * 1024);
    assert_refused(&t, signed_router(&t), signed_post(&body), StatusCode::BAD_REQUEST, "malformed_json").await;

    // A string field of 1 MB: over the size limit, refused before it is read.
    let t = open_store();
    let body = format!(r#"{{"uuid":"big","type":"lock.unlock","actor_name":"{}"}}"#, "A".repeat(1 << 20)).into_bytes();
    assert_refused(&t, signed_router(&t), signed_post(&body), StatusCode::PAYLOAD_TOO_LARGE, "too_large").await;
}

#[tokio::test]
async fn numbers_out_of_range_and_wrong_types_are_kept_verbatim_not_crashed_on() {
    let t = open_store();
    let app = signed_router(&t);
    let body = br#"{"uuid":"odd-numbers","type":"lock.unlock","success":false,"actor_id":1e400,"object_id":-99999999999999999999999,"place_id":"twelve","organization_id":3.5,"created_at":"not a time","object_name":"Main Entrance"}"#;
    let response = app.oneshot(signed_post(body)).await.unwrap();
    // 1e400 is not a finite number: the body is not valid JSON for the parser, so it is refused.
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let t = open_store();
    let body = br#"{"uuid":"odd-numbers","type":"lock.unlock","success":false,"actor_id":1.5e300,"object_id":-99999999999999999999999,"place_id":"twelve","organization_id":3.5,"created_at":"not a time","object_name":"Main Entrance"}"#;
    let response = signed_router(&t).oneshot(signed_post(body)).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let stored = t.store.reader().unwrap().event("odd-numbers").unwrap().unwrap();
    assert_eq!(stored.event.object_id, None, "an id out of range is not invented");
    assert_eq!(stored.event.place_id, None);
    assert_eq!(stored.event.kind, EventKind::UnlockFailed);
    assert_eq!(stored.event.raw, body.to_vec(), "the original bytes are kept");
}

#[tokio::test]
async fn a_content_length_that_lies_is_refused_and_stores_nothing() {
    // On a real socket: declares 10 bytes and sends the whole event. The body is the 10 bytes (whose
    // signature does not match), and the rest is read as a next request, which is not HTTP.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let t = open_store();
    let server = serve_on_a_free_port(&t.store, SigningKey::new(KEY)).await;
    let body = fixture("unlock-ok-user.json");
    let before = events_snapshot(&t.path);
    let mut socket = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let head = format!(
        "POST /webhooks/kisi HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: 10\r\nX-Signature: {}\r\n\r\n",
        server.addr,
        sign(&body)
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    socket.write_all(&body).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), socket.read_to_end(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    assert!(!answer.contains("HTTP/1.1 200"), "{answer}");
    assert_eq!(events_snapshot(&t.path), before);
    server.stop().await;

    // Declares a small body and streams a huge one without a length: cut off at the limit.
    let t = open_store();
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = (0..100).map(|_| Ok(vec![b' '; 4096])).collect();
    let request = Request::post("/webhooks/kisi")
        .header("host", LOCAL)
        .header("content-type", "application/json")
        .header("x-signature", sign(b"{}"))
        .body(Body::from_stream(futures_util::stream::iter(chunks)))
        .unwrap();
    assert_refused(&t, signed_router(&t), request, StatusCode::PAYLOAD_TOO_LARGE, "too_large").await;
}

#[tokio::test]
async fn unknown_methods_are_refused_without_touching_the_store() {
    let t = open_store();
    for method in ["PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "PROPFIND"] {
        let request = Request::builder()
            .method(method)
            .uri("/webhooks/kisi")
            .header("host", LOCAL)
            .body(Body::from(fixture("unlock-ok-user.json")))
            .unwrap();
        let before = events_snapshot(&t.path);
        let response = signed_router(&t).oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED, "{method}");
        assert_eq!(events_snapshot(&t.path), before);
    }
}
