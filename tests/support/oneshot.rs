//! The ingest router as the oneshot tests (router, router_hostile_input) drive it: signed with [`KEY`]
//! over a test store, and the checks that every refusal gets.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use doorwatch::receive::ingest::{router, IngestConfig};
use doorwatch::receive::signature::SigningKey;
use tower::ServiceExt;

use super::{events_snapshot, json_body, TestStore, KEY, LOCAL};

pub fn signed_router(t: &TestStore) -> Router {
    router(t.store.clone(), IngestConfig::local(LOCAL.parse().unwrap(), SigningKey::new(KEY)))
}

/// Sends `request`, checks the status and error code, and checks that the events did not change.
pub async fn assert_refused(t: &TestStore, app: Router, request: Request<Body>, status: StatusCode, code: &str) {
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
pub async fn wait_for_rejections(t: &TestStore, reason: &str, expected: i64) -> i64 {
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
