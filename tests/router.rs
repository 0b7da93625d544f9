//! The ingest router, one request at a time without a socket (`oneshot`): every status it can answer,
//! and for every refusal, that the stored events did not change and the refusal was counted.

mod support;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use doorwatch::event::EventKind;
use doorwatch::receive::ingest::{router, IngestConfig};
use doorwatch::receive::signature::SigningKey;
use doorwatch::store::{Reader, StoreOptions};
use support::*;
use tower::ServiceExt;

fn signed_router(t: &TestStore) -> Router {
    router(t.store.clone(), IngestConfig::local(LOCAL.parse().unwrap(), SigningKey::new(KEY)))
}

/// Sends `request`, checks the status and error code, and checks that the events did not change.
async fn assert_refused(t: &TestStore, app: Router, request: Request<Body>, status: StatusCode, code: &str) {
    let before = events_snapshot(&t.path);
    let response = app.oneshot(request).await.unwrap();
    assert_eq!(response.status(), status);
    let body = json_body(response).await;
    assert_eq!(body["error"], code, "{body}");
    assert!(!body["message"].as_str().unwrap().is_empty());
    assert_eq!(events_snapshot(&t.path), before, "a refused delivery changed the events");
}

/// Waits for the rejection log (written without waiting for the commit) to count `expected` refusals
/// for `reason`, and returns the count it settled on.
async fn wait_for_rejections(t: &TestStore, reason: &str, expected: i64) -> i64 {
    let reader = t.store.reader().unwrap();
    let mut count = 0;
    for _ in 0..300 {
        count = reader.rejection_counts().unwrap().into_iter().find(|c| c.reason == reason).map_or(0, |c| c.count);
        if count >= expected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    count
}

#[tokio::test]
async fn signed_delivery_is_stored_and_acknowledged_after_commit() {
    let t = open_store();
    let body = fixture("unlock-failed-user.json");
    let response = signed_router(&t).oneshot(signed_post(&body)).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let answer = json_body(response).await;
    assert_eq!(answer["status"], "stored");
    assert_eq!(answer["uuid"], "0b6f3a52-1c1e-4d8a-9f53-2a8c6f1d0e02");
    // The answer came after the commit, so a fresh connection sees the row at once.
    let stored = Reader::open(&t.path).unwrap().event("0b6f3a52-1c1e-4d8a-9f53-2a8c6f1d0e02").unwrap().unwrap();
    assert!(stored.verified);
    assert_eq!(stored.event.kind, EventKind::UnlockFailed);
    assert_eq!(stored.event.raw, body);
}

#[tokio::test]
async fn duplicate_delivery_is_stored_once_and_acknowledged() {
    let t = open_store();
    let body = fixture("unlock-ok-user.json");
    let app = signed_router(&t);
    let first = json_body(app.clone().oneshot(signed_post(&body)).await.unwrap()).await;
    let second = app.clone().oneshot(signed_post(&body)).await.unwrap();
    assert_eq!(second.status(), StatusCode::OK);
    let second = json_body(second).await;
    assert_eq!(first["status"], "stored");
    assert_eq!(second["status"], "duplicate");
    assert_eq!(second["uuid"], first["uuid"]);
    let reader = t.store.reader().unwrap();
    assert_eq!(reader.count().unwrap(), 1);
    assert_eq!(reader.event("0b6f3a52-1c1e-4d8a-9f53-2a8c6f1d0e01").unwrap().unwrap().duplicates, 1);
}

#[tokio::test]
async fn without_a_key_deliveries_are_stored_as_unverified() {
    let t = open_store();
    let app = router(t.store.clone(), IngestConfig::local(LOCAL.parse().unwrap(), None));
    let body = fixture("lock-opened.json");
    let request = webhook_post(&body).body(Body::from(body.clone())).unwrap();
    assert_eq!(app.oneshot(request).await.unwrap().status(), StatusCode::OK);
    let e = t.store.reader().unwrap().event("0b6f3a52-1c1e-4d8a-9f53-2a8c6f1d0e05").unwrap().unwrap();
    assert!(!e.verified);
}

#[tokio::test]
async fn missing_signature_is_401_and_changes_nothing() {
    let t = open_store();
    let body = fixture("unlock-ok-user.json");
    let request = webhook_post(&body).body(Body::from(body.clone())).unwrap();
    assert_refused(&t, signed_router(&t), request, StatusCode::UNAUTHORIZED, "missing_signature").await;
    assert_eq!(wait_for_rejections(&t, "missing_signature", 1).await, 1);
}

#[tokio::test]
async fn wrong_signature_is_401_and_changes_nothing() {
    let t = open_store();
    let body = fixture("unlock-ok-user.json");
    let other = SigningKey::new("not-the-key").unwrap().sign(&body);
    let request = webhook_post(&body).header("x-signature", other).body(Body::from(body.clone())).unwrap();
    assert_refused(&t, signed_router(&t), request, StatusCode::UNAUTHORIZED, "bad_signature").await;
    assert_eq!(wait_for_rejections(&t, "bad_signature", 1).await, 1);
}

#[tokio::test]
async fn signature_of_a_different_body_is_401() {
    let t = open_store();
    let body = fixture("unlock-ok-user.json");
    let request = webhook_post(&body).header("x-signature", sign(b"{}")).body(Body::from(body.clone())).unwrap();
    assert_refused(&t, signed_router(&t), request, StatusCode::UNAUTHORIZED, "bad_signature").await;
}

#[tokio::test]
async fn unreadable_signature_is_401() {
    let t = open_store();
    let body = fixture("unlock-ok-user.json");
    let request = webhook_post(&body).header("x-signature", "sha256=zz").body(Body::from(body.clone())).unwrap();
    assert_refused(&t, signed_router(&t), request, StatusCode::UNAUTHORIZED, "malformed_signature").await;
}

#[tokio::test]
async fn malformed_json_is_400_with_the_parsers_reason() {
    let t = open_store();
    let body = br#"{"uuid": "x", "type": "#.to_vec();
    let before = events_snapshot(&t.path);
    let response = signed_router(&t).oneshot(signed_post(&body)).await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let answer = json_body(response).await;
    assert_eq!(answer["error"], "malformed_json");
    assert!(answer["message"].as_str().unwrap().contains("line 1"), "{answer}");
    assert_eq!(events_snapshot(&t.path), before);
    assert_eq!(wait_for_rejections(&t, "malformed_json", 1).await, 1);
}

#[tokio::test]
async fn json_that_is_not_an_object_is_400() {
    let t = open_store();
    let body = br#"[{"uuid":"x"}]"#;
    assert_refused(&t, signed_router(&t), signed_post(body), StatusCode::BAD_REQUEST, "not_an_object").await;
}

#[tokio::test]
async fn body_over_64_kib_is_413() {
    let t = open_store();
    let body = format!(r#"{{"uuid":"big","pad":"{}"}}"#, "x".repeat(64 * 1024));
    let request = signed_post(body.as_bytes());
    assert_refused(&t, signed_router(&t), request, StatusCode::PAYLOAD_TOO_LARGE, "too_large").await;
}

#[tokio::test]
async fn body_over_the_limit_without_a_declared_length_is_413() {
    let t = open_store();
    let body = format!(r#"{{"uuid":"big","pad":"{}"}}"#, "x".repeat(70 * 1024));
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = body.as_bytes().chunks(8192).map(|c| Ok(c.to_vec())).collect();
    let request = Request::post("/webhooks/kisi")
        .header("host", LOCAL)
        .header("x-signature", sign(body.as_bytes()))
        .body(Body::from_stream(tokio_stream::iter(chunks)))
        .unwrap();
    assert_refused(&t, signed_router(&t), request, StatusCode::PAYLOAD_TOO_LARGE, "too_large").await;
}

#[tokio::test]
async fn a_body_of_exactly_64_kib_is_accepted() {
    let t = open_store();
    let prefix = r#"{"uuid":"edge","pad":""#;
    let pad = 64 * 1024 - prefix.len() - 2;
    let body = format!("{prefix}{}\"}}", "x".repeat(pad));
    assert_eq!(body.len(), 64 * 1024);
    let response = signed_router(&t).oneshot(signed_post(body.as_bytes())).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn non_json_content_types_are_415() {
    for content_type in ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"] {
        let t = open_store();
        let body = fixture("unlock-ok-user.json");
        let request = Request::post("/webhooks/kisi")
            .header("host", LOCAL)
            .header("content-type", content_type)
            .header("x-signature", sign(&body))
            .body(Body::from(body.clone()))
            .unwrap();
        assert_refused(&t, signed_router(&t), request, StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            .await;
    }
}

#[tokio::test]
async fn json_with_parameters_or_no_content_type_is_accepted() {
    let t = open_store();
    let app = signed_router(&t);
    let a = fixture("unlock-ok-user.json");
    let with_charset = Request::post("/webhooks/kisi")
        .header("host", LOCAL)
        .header("content-type", "application/json; charset=utf-8")
        .header("x-signature", sign(&a))
        .body(Body::from(a.clone()))
        .unwrap();
    assert_eq!(app.clone().oneshot(with_charset).await.unwrap().status(), StatusCode::OK);
    let b = fixture("lock-opened.json");
    let undeclared = Request::post("/webhooks/kisi")
        .header("host", LOCAL)
        .header("x-signature", sign(&b))
        .body(Body::from(b))
        .unwrap();
    assert_eq!(app.oneshot(undeclared).await.unwrap().status(), StatusCode::OK);
    assert_eq!(t.store.reader().unwrap().count().unwrap(), 2);
}

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

#[tokio::test]
async fn a_locked_database_answers_503_and_recovers_without_a_restart() {
    let t = open_store_with(StoreOptions { busy_timeout: Duration::from_millis(100), ..StoreOptions::default() });
    let app = signed_router(&t);
    let locker = rusqlite::Connection::open(&t.path).unwrap();
    locker.execute_batch("BEGIN IMMEDIATE").unwrap();
    let body = fixture("unlock-failed-user.json");
    let response = app.clone().oneshot(signed_post(&body)).await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()["retry-after"], "5");
    assert_eq!(json_body(response).await["error"], "store_unavailable");
    locker.execute_batch("ROLLBACK").unwrap();
    assert_eq!(t.store.reader().unwrap().count().unwrap(), 0, "a 503 must leave no row behind");
    // Kisi retries; the lock is gone, and the same receiver stores it.
    let retry = json_body(app.oneshot(signed_post(&body)).await.unwrap()).await;
    assert_eq!(retry["status"], "stored");
    assert_eq!(t.store.reader().unwrap().count().unwrap(), 1);
}

#[tokio::test]
async fn healthz_answers_ok() {
    let t = open_store();
    let response = signed_router(&t).oneshot(Request::get("/healthz").body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = http_body_util::BodyExt::collect(response.into_body()).await.unwrap().to_bytes();
    assert_eq!(&bytes[..], b"ok");
}

#[tokio::test]
async fn unknown_paths_are_404_and_other_methods_405() {
    let t = open_store();
    let app = signed_router(&t);
    let r = app.clone().oneshot(Request::get("/admin").body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(json_body(r).await["error"], "not_found");
    let r = app.oneshot(Request::put("/webhooks/kisi").body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.headers()["allow"], "POST");
}

#[tokio::test]
async fn the_rejection_log_is_bounded() {
    let t = open_store();
    let app = signed_router(&t);
    for _ in 0..350 {
        let body = fixture("unlock-ok-user.json");
        let request = webhook_post(&body).body(Body::from(body)).unwrap();
        app.clone().oneshot(request).await.unwrap();
    }
    let reader = t.store.reader().unwrap();
    for _ in 0..200 {
        if reader.rejection_counts().unwrap().first().map(|c| c.count) == Some(350) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(reader.rejection_counts().unwrap()[0].count, 350, "every rejection is counted");
    let recent = reader.recent_rejections(1000).unwrap();
    assert_eq!(recent.len(), 300, "only the last 300 are kept in detail");
    assert_eq!(recent[0].reason, "missing_signature");
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
