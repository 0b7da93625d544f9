//! The ingest router, one request at a time without a socket (`oneshot`), as a well-meaning sender
//! meets it: stored, duplicate and unverified deliveries, missing and wrong signatures, bad JSON, sizes,
//! content types, a locked database, health and unknown paths; for every refusal, that the stored
//! events did not change and the refusal was counted. Hostile input is in router_hostile_input.rs.

mod support;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use doorwatch::event::EventKind;
use doorwatch::receive::ingest::{router, IngestConfig};
use doorwatch::store::{Reader, StoreOptions};
use support::oneshot::{assert_refused, signed_router, wait_for_rejections};
use support::*;
use tower::ServiceExt;

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
    let other = delivery::signature("not-the-key", &body);
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
    let request = Request::get("/healthz").header("host", LOCAL).body(Body::empty()).unwrap();
    let response = signed_router(&t).oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = http_body_util::BodyExt::collect(response.into_body()).await.unwrap().to_bytes();
    assert_eq!(&bytes[..], b"ok");
}

#[tokio::test]
async fn unknown_paths_are_404_and_other_methods_405() {
    let t = open_store();
    let app = signed_router(&t);
    let r =
        app.clone().oneshot(Request::get("/admin").header("host", LOCAL).body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(json_body(r).await["error"], "not_found");
    let r =
        app.oneshot(Request::put("/webhooks/kisi").header("host", LOCAL).body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.headers()["allow"], "POST");
}

#[tokio::test]
async fn every_route_refuses_a_host_that_does_not_name_the_receiver() {
    // A web page that rebinds its own name to 127.0.0.1 must not learn that Doorwatch runs here.
    let t = open_store();
    let app = signed_router(&t);
    for request in [
        Request::get("/healthz"),
        Request::get("/admin"),
        Request::put("/webhooks/kisi"),
        Request::get("/webhooks/kisi"),
    ] {
        let r = app.clone().oneshot(request.header("host", "rebound.example:8787").body(Body::empty()).unwrap());
        let r = r.await.unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let body = json_body(r).await;
        assert_eq!(body["error"], "host_not_allowed", "{body}");
        assert!(!body.to_string().contains("webhooks/kisi"), "says nothing about Doorwatch: {body}");
    }
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
