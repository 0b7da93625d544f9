//! Serving: the accept loop, the misbehave switch, authentication, Kisi's rate limits and the routes.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{header, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;

use super::errors::{error, not_found};
use super::event_sets::{create_event_set, fetch_event_set};
use super::integrations::{create_integration, list_integrations, one_integration, EVENT_TYPES};
use super::{Misbehave, State};

/// API.md §1: 5 requests per second per user.
const REQUESTS_PER_SECOND: usize = 5;

/// Serves each connection with hyper directly rather than `axum::serve`, because `Misbehave::DropConnection`
/// needs the service to fail: when the service returns `Err`, hyper's HTTP/1 dispatcher ends the connection
/// with that error and drops the socket without writing any response, so the client sees the connection
/// close (a connection error, not an HTTP status).
pub(super) async fn accept_loop(listener: tokio::net::TcpListener, shared: Arc<Mutex<State>>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(10)).await; // e.g. out of file descriptors
            continue;
        };
        let shared = shared.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| serve_request(shared.clone(), request));
            let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
        });
    }
}

async fn serve_request(shared: Arc<Mutex<State>>, request: hyper::Request<Incoming>) -> std::io::Result<Response> {
    let method = request.method().clone();
    let path_and_query = request.uri().path_and_query().map_or("/", |p| p.as_str()).to_string();
    let how = {
        let mut state = shared.lock().unwrap();
        state.requests.push((method.to_string(), path_and_query.clone()));
        state.misbehave.pop_front()
    };
    // The misbehave switch comes before authentication and the rate limits.
    match how {
        Some(Misbehave::DropConnection) => {
            return Err(std::io::Error::other("fake_kisi: dropping the connection without an answer"));
        }
        Some(Misbehave::Unavailable) => {
            return Ok(error(StatusCode::SERVICE_UNAVAILABLE, "Service temporarily unavailable."));
        }
        Some(Misbehave::TooManyRequests) => {
            shared.lock().unwrap().rate_limited += 1;
            return Ok(error(StatusCode::TOO_MANY_REQUESTS, "Too many requests."));
        }
        Some(Misbehave::Slow(delay)) => tokio::time::sleep(delay).await,
        None => {}
    }
    let authorization = request.headers().get(header::AUTHORIZATION).cloned();
    let body = request.into_body().collect().await.map_err(std::io::Error::other)?.to_bytes();

    let mut state = shared.lock().unwrap();
    let authorization = authorization.as_ref().and_then(|v| v.to_str().ok()).and_then(|v| v.split_once(' '));
    let authorized = authorization
        .is_some_and(|(scheme, key)| scheme.eq_ignore_ascii_case("KISI-LOGIN") && key.trim() == state.api_key);
    if !authorized {
        // Unauthenticated requests have their own per-IP quota in Kisi; the fake does not limit them.
        return Ok(error(StatusCode::UNAUTHORIZED, "You need to sign in or sign up before continuing."));
    }
    let path = path_and_query.split('?').next().unwrap_or("/").trim_matches('/').to_string();
    if !admit(&mut state, method == Method::POST && path == "event_sets") {
        state.rate_limited += 1;
        // The 429 body and headers are NS (API.md §1): an Error body and no Retry-After.
        return Ok(error(StatusCode::TOO_MANY_REQUESTS, "Too many requests."));
    }
    // reqwest's re-exported `Url` percent-decodes the query.
    let query: Vec<(String, String)> = match reqwest::Url::parse(&format!("http://fake{path_and_query}")) {
        Ok(url) => url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect(),
        Err(_) => Vec::new(),
    };
    let segments: Vec<&str> = path.split('/').collect();
    Ok(match (method.as_str(), segments.as_slice()) {
        ("GET", ["integrations"]) => list_integrations(&state, &query),
        ("POST", ["integrations"]) => create_integration(&mut state, &body),
        (_, ["integrations", id]) => one_integration(&mut state, &method, id, &body),
        ("POST", ["event_sets"]) => create_event_set(&mut state, &body),
        ("GET", ["event_sets", id]) => fetch_event_set(&mut state, id, &query),
        ("GET", ["places"]) => super::places::list_places(&state, &query),
        ("GET", ["locks"]) => super::locks::list_locks(&state, &query),
        ("GET", ["presences"]) => super::presences::list_presences(&state, &query),
        ("GET", ["group_links"]) => super::people::list_group_links(&state, &query),
        ("GET", ["users", id]) => super::people::one_user(&state, id),
        ("GET", ["locks", id]) => super::locks::one_lock(&state, id),
        ("POST", ["locks", id, "unlock"]) => super::locks::unlock(&mut state, id),
        ("POST", [what @ ("locks" | "places"), id, verb @ ("lock_down" | "cancel_lockdown")]) => {
            super::locks::lockdown(&mut state, what, id, *verb == "lock_down")
        }
        ("GET", ["events", "types"]) => Json(EVENT_TYPES.split_whitespace().collect::<Vec<_>>()).into_response(),
        _ => not_found(),
    })
}

/// The rate limits of API.md §1, as a sliding window over the admitted requests: at most 5 in any second,
/// and POST /event_sets at most once a second. Refused requests do not use up the quota.
fn admit(state: &mut State, event_set_post: bool) -> bool {
    let now = Instant::now();
    let second = Duration::from_secs(1);
    while state.recent.front().is_some_and(|t| now.duration_since(*t) >= second) {
        state.recent.pop_front();
    }
    let too_soon = event_set_post && state.last_event_set_post.is_some_and(|t| now.duration_since(t) < second);
    if state.recent.len() >= REQUESTS_PER_SECOND || too_soon {
        return false;
    }
    state.recent.push_back(now);
    if event_set_post {
        state.last_event_set_post = Some(now);
    }
    true
}
