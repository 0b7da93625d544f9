//! The ingest router: `POST /webhooks/kisi` and `GET /healthz`, built by [`router`] so it can be tested
//! without a socket and served on any listener (the loopback one, or the tunnel's connections).
//!
//! A delivery passes, in order: browser and Host checks, content type, size, the body read (bounded in
//! time), the signature over the raw bytes, the parse, and the durable commit. Only a commit earns a
//! 200; every refusal gets a specific status and reason, is logged once (without secrets) and is
//! counted in the store's bounded rejection log, and leaves the events untouched.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde_json::json;

use crate::event::{Event, ParseError, Source};
use crate::receive::signature::{SignatureError, SigningKey};
use crate::receive::trust::Check;
pub use crate::receive::trust::KeySlot;
use crate::store::{Delivery, Ingested, RejectReason, Rejection, Store, StoreError};

/// The largest body accepted. Kisi's events are well under 2 KiB.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// The `Retry-After` of a delivery refused because the signing key cannot be read yet.
pub const KEY_RETRY_AFTER_SECS: u64 = 30;
/// How long a client may take to send its body once the headers are in.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(10);

/// How the router checks deliveries.
#[derive(Debug, Clone)]
pub struct IngestConfig {
    /// The signing key and the receiver's exposure ([`crate::receive::trust`]); they can change while
    /// the router runs (settings, one-step setup, the tunnel going up).
    pub signing_key: KeySlot,
    /// `Host` values accepted (compared ignoring case); `None` accepts any Host.
    pub allowed_hosts: Option<Vec<String>>,
    pub max_body_bytes: usize,
    pub body_timeout: Duration,
}

impl IngestConfig {
    /// The configuration for the loopback listener at `addr`: only Host headers that name this
    /// listener are accepted, which defeats DNS rebinding.
    pub fn local(addr: std::net::SocketAddr, signing_key: Option<SigningKey>) -> IngestConfig {
        let port = addr.port();
        let ip = match addr.ip() {
            std::net::IpAddr::V4(ip) => ip.to_string(),
            std::net::IpAddr::V6(ip) => format!("[{ip}]"),
        };
        let names = [ip, "localhost".to_owned()];
        let allowed_hosts = names.iter().flat_map(|n| [n.clone(), format!("{n}:{port}")]).collect();
        IngestConfig {
            signing_key: KeySlot::new(signing_key),
            allowed_hosts: Some(allowed_hosts),
            max_body_bytes: MAX_BODY_BYTES,
            body_timeout: BODY_TIMEOUT,
        }
    }

    /// Accepts any Host: for connections that arrive through the tunnel, whose Host is public.
    pub fn any_host(signing_key: Option<SigningKey>) -> IngestConfig {
        IngestConfig {
            signing_key: KeySlot::new(signing_key),
            allowed_hosts: None,
            max_body_bytes: MAX_BODY_BYTES,
            body_timeout: BODY_TIMEOUT,
        }
    }
}

#[derive(Clone)]
struct AppState {
    store: Store,
    config: Arc<IngestConfig>,
}

/// The router with the webhook and health routes, and nothing else.
pub fn router(store: Store, config: IngestConfig) -> Router {
    let state = AppState { store, config: Arc::new(config) };
    Router::new()
        .route(super::WEBHOOK_PATH, post(receive).fallback(method_not_allowed))
        .route("/healthz", get(healthz))
        .fallback(not_found)
        .with_state(state)
}

// Every route checks the Host header, not only the webhook: otherwise a web page that rebinds its own
// name to 127.0.0.1 could find out, from /healthz or a 404, that Doorwatch runs here.

async fn healthz(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match host_refusal(&state.config, &headers) {
        Some(refusal) => error(refusal.status, refusal.reason.as_str(), refusal.message),
        None => "ok".into_response(),
    }
}

async fn not_found(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(refusal) = host_refusal(&state.config, &headers) {
        return error(refusal.status, refusal.reason.as_str(), refusal.message);
    }
    error(StatusCode::NOT_FOUND, "not_found", "Doorwatch receives POST /webhooks/kisi (and answers GET /healthz)")
}

async fn method_not_allowed(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(refusal) = host_refusal(&state.config, &headers) {
        return error(refusal.status, refusal.reason.as_str(), refusal.message);
    }
    let mut r = error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "the webhook accepts POST only");
    r.headers_mut().insert(header::ALLOW, header::HeaderValue::from_static("POST"));
    r
}

/// The refusal for a Host header that does not name this receiver, when the receiver has a list.
fn host_refusal(config: &IngestConfig, headers: &HeaderMap) -> Option<Refusal> {
    let allowed = config.allowed_hosts.as_ref()?;
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
    if allowed.iter().any(|a| a.eq_ignore_ascii_case(host)) {
        return None;
    }
    let shown: String = host.chars().take(80).collect();
    Some(Refusal::new(
        StatusCode::FORBIDDEN,
        RejectReason::HostNotAllowed,
        format!("the Host header {shown:?} does not name this receiver"),
    ))
}

fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": code, "message": message.into() }))).into_response()
}

/// A refused delivery: answered, logged and counted the same way wherever it was refused.
struct Refusal {
    status: StatusCode,
    reason: RejectReason,
    message: String,
    /// Seconds for `Retry-After`, when trying again later will help.
    retry_after: Option<u64>,
}

impl Refusal {
    fn new(status: StatusCode, reason: RejectReason, message: impl Into<String>) -> Refusal {
        Refusal { status, reason, message: message.into(), retry_after: None }
    }

    fn retry_after(mut self, secs: u64) -> Refusal {
        self.retry_after = Some(secs);
        self
    }
}

async fn receive(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    let declared = declared_length(&headers);
    match check_and_read(&state.config, &headers, body, declared).await {
        Ok((delivery, size)) => store(&state.store, delivery, size).await,
        Err((refusal, size)) => {
            tracing::warn!(
                status = refusal.status.as_u16(),
                reason = refusal.reason.as_str(),
                size,
                "delivery rejected: {}",
                refusal.message
            );
            state.store.record_rejection(Rejection {
                at: now_ms(),
                reason: refusal.reason,
                size,
                detail: refusal.message.clone(),
            });
            let mut r = error(refusal.status, refusal.reason.as_str(), refusal.message);
            if let Some(secs) = refusal.retry_after {
                r.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from(secs));
            }
            r
        }
    }
}

async fn store(store: &Store, delivery: Delivery, size: u64) -> Response {
    let verified = delivery.verified;
    match store.ingest(delivery).await {
        Ok(outcome) => {
            let status = match &outcome {
                Ingested::Stored(_) => "stored",
                Ingested::Duplicate { .. } | Ingested::AlreadyStored { .. } => "duplicate",
            };
            tracing::debug!(uuid = outcome.uuid(), status, verified, size, "delivery acknowledged");
            (StatusCode::OK, Json(json!({ "status": status, "uuid": outcome.uuid() }))).into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, size, "delivery not stored; answered 503");
            let mut r = error(
                StatusCode::SERVICE_UNAVAILABLE,
                "store_unavailable",
                "the event could not be saved right now; please retry",
            );
            if matches!(e, StoreError::Unavailable(_)) {
                r.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
            }
            r
        }
    }
}

/// Everything before the commit. On refusal, also returns the size to log: the bytes read, or the
/// declared length when the body was not read.
async fn check_and_read(
    config: &IngestConfig,
    headers: &HeaderMap,
    body: Body,
    declared: Option<u64>,
) -> Result<(Delivery, u64), (Refusal, u64)> {
    let early = |r: Refusal| (r, declared.unwrap_or(0));
    if headers.contains_key(header::ORIGIN) || headers.contains_key("sec-fetch-site") {
        return Err(early(Refusal::new(
            StatusCode::FORBIDDEN,
            RejectReason::BrowserOrigin,
            "requests from web browsers are not accepted (an Origin header was sent)",
        )));
    }
    if let Some(refusal) = host_refusal(config, headers) {
        return Err(early(refusal));
    }
    if let Some(ct) = headers.get(header::CONTENT_TYPE) {
        if !is_json(ct.as_bytes()) {
            let shown: String = String::from_utf8_lossy(ct.as_bytes()).chars().take(80).collect();
            return Err(early(Refusal::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                RejectReason::UnsupportedMediaType,
                format!("Content-Type {shown:?} is not application/json"),
            )));
        }
    }
    let too_large = || {
        Refusal::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            RejectReason::TooLarge,
            format!("the body is larger than {} KiB", config.max_body_bytes / 1024),
        )
    };
    if declared.is_some_and(|n| n > config.max_body_bytes as u64) {
        return Err(early(too_large()));
    }
    let read = tokio::time::timeout(config.body_timeout, Limited::new(body, config.max_body_bytes).collect());
    let raw = match read.await {
        Err(_) => {
            return Err(early(Refusal::new(
                StatusCode::REQUEST_TIMEOUT,
                RejectReason::Timeout,
                format!("the body did not arrive within {} s", config.body_timeout.as_secs()),
            )))
        }
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => return Err(early(too_large())),
        Ok(Err(e)) => {
            // The client went away mid-body; nobody will read the answer, but it is counted.
            return Err(early(Refusal::new(
                StatusCode::BAD_REQUEST,
                RejectReason::MalformedJson,
                format!("the body could not be read: {e}"),
            )));
        }
        Ok(Ok(collected)) => collected.to_bytes(),
    };
    let size = raw.len() as u64;
    let check = config.signing_key.check();
    let verified = match &check {
        Check::Verify(key) => {
            key.verify(&raw, headers.get("x-signature").map(|v| v.as_bytes())).map_err(|e| {
                let reason = match e {
                    SignatureError::Missing => RejectReason::MissingSignature,
                    SignatureError::Malformed => RejectReason::MalformedSignature,
                    SignatureError::Mismatch => RejectReason::BadSignature,
                };
                (Refusal::new(StatusCode::UNAUTHORIZED, reason, e.to_string()), size)
            })?;
            true
        }
        Check::KeyUnreadable(why) => {
            let refusal = Refusal::new(
                StatusCode::SERVICE_UNAVAILABLE,
                RejectReason::KeyUnreadable,
                format!("the signing key cannot be read right now ({why}); please retry"),
            );
            return Err((refusal.retry_after(KEY_RETRY_AFTER_SECS), size));
        }
        Check::RefuseUnsigned => {
            let refusal = Refusal::new(
                StatusCode::UNAUTHORIZED,
                RejectReason::UnsignedRefused,
                "this receiver is public and has no signing key, so unsigned deliveries are refused: set the \
                 signing key in Doorwatch and Kisi, or choose \"Accept unsigned deliveries\" in Settings",
            );
            return Err((refusal, size));
        }
        Check::Unverified { .. } => false,
    };
    let event = Event::from_json(&raw).map_err(|e| {
        let reason = match e {
            ParseError::Json(_) => RejectReason::MalformedJson,
            ParseError::NotAnObject(_) => RejectReason::NotAnObject,
        };
        (Refusal::new(StatusCode::BAD_REQUEST, reason, e.to_string()), size)
    })?;
    if let Check::Unverified { capped: true } = check {
        config.signing_key.take_unverified().map_err(|retry| {
            let refusal = Refusal::new(
                StatusCode::TOO_MANY_REQUESTS,
                RejectReason::TooManyUnverified,
                format!(
                    "more than {} unverified deliveries this minute; set a signing key to receive more",
                    crate::receive::trust::UNVERIFIED_PER_MINUTE
                ),
            );
            (refusal.retry_after(retry), size)
        })?;
    }
    Ok((Delivery { event, received_at: now_ms(), verified, source: Source::Webhook }, size))
}

fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers.get(header::CONTENT_LENGTH)?.to_str().ok()?.trim().parse().ok()
}

/// `application/json`, or any `application/*+json`, with any parameters, in any case.
fn is_json(content_type: &[u8]) -> bool {
    let Ok(ct) = std::str::from_utf8(content_type) else { return false };
    let essence = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_content_types_are_recognised() {
        assert!(is_json(b"application/json"));
        assert!(is_json(b"Application/JSON; charset=utf-8"));
        assert!(is_json(b"application/vnd.kisi+json"));
        assert!(!is_json(b"text/plain"));
        assert!(!is_json(b"application/x-www-form-urlencoded"));
        assert!(!is_json(b"multipart/form-data; boundary=x"));
    }

    #[test]
    fn the_local_listener_accepts_its_own_names_only() {
        let c = IngestConfig::local("127.0.0.1:8787".parse().unwrap(), None);
        let hosts = c.allowed_hosts.unwrap();
        assert!(hosts.contains(&"127.0.0.1:8787".to_owned()));
        assert!(hosts.contains(&"localhost:8787".to_owned()));
        assert!(!hosts.iter().any(|h| h.contains("evil")));
        let v6 = IngestConfig::local("[::1]:9000".parse().unwrap(), None);
        assert!(v6.allowed_hosts.unwrap().contains(&"[::1]:9000".to_owned()));
    }
}
