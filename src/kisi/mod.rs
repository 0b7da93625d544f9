//! The Kisi REST API client: the few calls Doorwatch makes (its own Event Webhook integration, event
//! sets for the backfill, places, locks and the remote unlock), paced to Kisi's published limits and retried the way Kisi asks.
//!
//! Kisi allows 5 requests a second per user, and one `POST /event_sets` a second; over that it answers
//! 429. Requests are therefore made one at a time, at least 200 ms apart (event sets 1 s apart), and a
//! 429 waits and retries. A 5xx or a dropped connection is retried a few times with a growing pause:
//! Kisi being briefly down must not abort a night's backfill. Everything else is a precise error.
//! The API key is sent as `Authorization: KISI-LOGIN <key>` and never appears in a log or an error.

pub mod backfill;
pub mod door_actions;
pub mod integration;
pub mod locks;
pub mod people;
pub mod places;
pub mod presences;
mod retry;
pub mod sample;
mod wire;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use tokio::sync::Mutex;
use tokio::time::Instant;

use retry::{backoff, describe_transport, retry_after};
use wire::{error_message, percent_encode};
pub use wire::{rfc3339, EventSet, EventSetStatus, Integration, IntegrationFields, Place};

pub const DEFAULT_BASE: &str = "https://api.kisi.io";

/// The pause between two requests: Kisi allows 5 a second (a little more than 200 ms, so that timing
/// jitter on either side never makes it 6 in one second).
const REQUEST_SPACING: Duration = Duration::from_millis(210);
/// The pause between two `POST /event_sets`: Kisi allows 1 a second. Counted from the previous one's
/// answer, not its sending: Kisi counts from when each arrived, and a create that took longer to arrive
/// than the next would otherwise land within the same second (seen on a loaded machine: 429, retried).
const EVENT_SET_SPACING: Duration = Duration::from_secs(1);
/// How often a request is tried when Kisi answers 429.
const RATE_LIMIT_TRIES: u32 = 6;
/// How often a request is tried when Kisi is unavailable (5xx, connection dropped, timeout).
const UNAVAILABLE_TRIES: u32 = 5;
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// A Kisi API key. Its `Debug` never shows it.
#[derive(Clone)]
pub struct ApiKey(String);

impl ApiKey {
    /// A key as pasted: surrounding blanks are dropped; an empty key is none.
    pub fn new(text: &str) -> Option<ApiKey> {
        let text = text.trim();
        (!text.is_empty()).then(|| ApiKey(text.to_owned()))
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KisiError {
    #[error("Kisi refused the API key (401): check it, or create a new one in the Kisi dashboard under your profile → API keys")]
    InvalidKey,
    #[error(
        "Kisi does not allow this API key to {doing} (403: {message}); use a key of an organization administrator"
    )]
    Forbidden { doing: String, message: String },
    #[error("Kisi has no {0}")]
    NotFound(String),
    #[error("Kisi refused to {doing}: {message}")]
    Rejected { doing: String, message: String },
    #[error("Kisi kept answering \"too many requests\" (429) after {0} tries; try again in a minute")]
    RateLimited(u32),
    #[error("Kisi is unavailable ({0}); Doorwatch will try again later")]
    Unavailable(String),
    #[error("cannot reach Kisi at {base} ({reason}); check the network connection")]
    Unreachable { base: String, reason: String },
    #[error("Kisi answered something Doorwatch does not understand ({0})")]
    Unexpected(String),
}

impl KisiError {
    /// Errors that may go away by themselves (worth retrying later, and not the user's to fix).
    pub fn is_transient(&self) -> bool {
        matches!(self, KisiError::RateLimited(_) | KisiError::Unavailable(_) | KisiError::Unreachable { .. })
    }
}

/// A client for one API key. Requests are serialized and paced (see the module comment).
pub struct Client {
    http: reqwest::Client,
    base: String,
    key: ApiKey,
    pacing: Mutex<Pacing>,
    waited_ms: AtomicU64,
    answer_us: AtomicU64,
}

struct Pacing {
    next_request: Instant,
    next_event_set: Instant,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("base", &self.base).field("key", &self.key).finish()
    }
}

impl Client {
    /// A client for `base` (e.g. `https://api.kisi.io`, or a test's fake).
    pub fn new(base: &str, key: ApiKey) -> Client {
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("Doorwatch/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("a reqwest client with rustls builds");
        let now = Instant::now();
        Client {
            http,
            base: base.trim_end_matches('/').to_owned(),
            key,
            pacing: Mutex::new(Pacing { next_request: now, next_event_set: now }),
            waited_ms: AtomicU64::new(0),
            answer_us: AtomicU64::new(0),
        }
    }

    /// The base URL from `KISI_API_BASE`, or Kisi's.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Time spent waiting for Kisi's rate limits (pacing and 429s) so far: reported apart from our own
    /// work by the backfill benchmark.
    pub fn rate_limit_wait(&self) -> Duration {
        Duration::from_millis(self.waited_ms.load(Ordering::Relaxed))
    }

    /// Time spent waiting for Kisi's answers (the network and Kisi's own work), also reported apart.
    pub fn answer_wait(&self) -> Duration {
        Duration::from_micros(self.answer_us.load(Ordering::Relaxed))
    }

    /// Every integration of the organization (Kisi pages them; the list omits url and events).
    pub async fn integrations(&self) -> Result<Vec<Integration>, KisiError> {
        self.every("/integrations", "list integrations").await
    }

    /// Every item of one of Kisi's paged lists (API.md §1: offset paging, at most 250 a page, offsets
    /// up to 20,000), page after page in its turn.
    async fn every<T: DeserializeOwned>(&self, list: &str, doing: &str) -> Result<Vec<T>, KisiError> {
        let mut all = Vec::new();
        loop {
            let joint = if list.contains('?') { '&' } else { '?' };
            let path = format!("{list}{joint}limit=250&offset={}", all.len());
            let page: Vec<T> = self.json(Method::GET, &path, None, doing).await?;
            let short = page.len() < 250;
            all.extend(page);
            if short || all.len() >= 20_000 {
                return Ok(all);
            }
        }
    }

    /// One integration, or `None` when Kisi has none with this id (deleted in the dashboard).
    pub async fn integration(&self, id: i64) -> Result<Option<Integration>, KisiError> {
        match self.json(Method::GET, &format!("/integrations/{id}"), None, "read the webhook integration").await {
            Ok(integration) => Ok(Some(integration)),
            Err(KisiError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub async fn create_integration(&self, fields: &IntegrationFields<'_>) -> Result<Integration, KisiError> {
        let body = serde_json::json!({ "integration": fields });
        self.json(Method::POST, "/integrations", Some(body), "create the webhook integration").await
    }

    /// Changes the given fields; Kisi answers 204 with no body.
    pub async fn update_integration(&self, id: i64, fields: &IntegrationFields<'_>) -> Result<(), KisiError> {
        let body = serde_json::json!({ "integration": fields });
        self.send(Method::PATCH, &format!("/integrations/{id}"), Some(body), "update the webhook integration")
            .await
            .map(drop)
    }

    /// Asks Kisi to collect the events created in `[from, until)` (Unix ms; at most 90 days apart).
    pub async fn create_event_set(&self, from: i64, until: i64) -> Result<EventSet, KisiError> {
        let interval = format!("{}/{}", rfc3339(from), rfc3339(until));
        let body = serde_json::json!({ "event_set": { "interval": interval } });
        self.json(Method::POST, "/event_sets", Some(body), "collect past events").await
    }

    /// The event set's state, and once finished a page of up to `limit` events after `cursor`.
    pub async fn event_set(&self, id: i64, cursor: Option<&str>, limit: u32) -> Result<EventSet, KisiError> {
        let mut path = format!("/event_sets/{id}?limit={limit}");
        if let Some(cursor) = cursor {
            path.push_str("&cursor=");
            path.push_str(&percent_encode(cursor));
        }
        self.json(Method::GET, &path, None, "read past events").await
    }

    async fn json<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<serde_json::Value>,
        doing: &str,
    ) -> Result<T, KisiError> {
        let bytes = self.send(method, path, body, doing).await?;
        serde_json::from_slice(&bytes).map_err(|e| KisiError::Unexpected(format!("{doing}: {e}")))
    }

    /// Sends one request, pacing it and retrying 429s and transient failures; returns the body of a 2xx.
    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<serde_json::Value>,
        doing: &str,
    ) -> Result<Vec<u8>, KisiError> {
        let creates_event_set = method == Method::POST && path == "/event_sets";
        // A create that timed out may have happened at Kisi: trying again could make a second
        // integration. It is reported instead; setup run again finds the first by its name.
        let safe_to_repeat = !(method == Method::POST && path == "/integrations");
        let mut rate_limited = 0;
        let mut unavailable = 0;
        loop {
            let outcome = self.attempt(&method, path, body.as_ref(), creates_event_set).await;
            let (status, retry_after, bytes) = match outcome {
                Ok(answer) => answer,
                Err(reason) => {
                    unavailable += 1;
                    if unavailable >= UNAVAILABLE_TRIES || !safe_to_repeat {
                        return Err(KisiError::Unreachable { base: self.base.clone(), reason });
                    }
                    tracing::debug!(%reason, attempt = unavailable, "Kisi request failed; retrying");
                    tokio::time::sleep(backoff(unavailable)).await;
                    continue;
                }
            };
            match status {
                s if s.is_success() => return Ok(bytes),
                StatusCode::TOO_MANY_REQUESTS => {
                    rate_limited += 1;
                    if rate_limited >= RATE_LIMIT_TRIES {
                        return Err(KisiError::RateLimited(rate_limited));
                    }
                    // Kisi names no Retry-After; honour one if it comes, else at least a second, growing.
                    let pause = retry_after.unwrap_or(Duration::from_secs(1)).max(backoff(rate_limited));
                    self.waited_ms.fetch_add(pause.as_millis() as u64, Ordering::Relaxed);
                    tracing::info!(pause_ms = pause.as_millis() as u64, "Kisi asked us to slow down (429)");
                    tokio::time::sleep(pause).await;
                }
                s if s.is_server_error() => {
                    unavailable += 1;
                    if unavailable >= UNAVAILABLE_TRIES || !safe_to_repeat {
                        return Err(KisiError::Unavailable(format!("HTTP {}", s.as_u16())));
                    }
                    tokio::time::sleep(backoff(unavailable)).await;
                }
                StatusCode::UNAUTHORIZED => return Err(KisiError::InvalidKey),
                StatusCode::FORBIDDEN => {
                    return Err(KisiError::Forbidden { doing: doing.to_owned(), message: error_message(&bytes) })
                }
                StatusCode::NOT_FOUND => return Err(KisiError::NotFound(not_found_what(path))),
                s => {
                    return Err(KisiError::Rejected {
                        doing: doing.to_owned(),
                        message: format!("HTTP {}: {}", s.as_u16(), error_message(&bytes)),
                    })
                }
            }
        }
    }

    /// One request in its turn, never repeated: the status, any `Retry-After` and the body, or the
    /// transport failure in words.
    async fn attempt(
        &self,
        method: &Method,
        path: &str,
        body: Option<&serde_json::Value>,
        creates_event_set: bool,
    ) -> Result<(StatusCode, Option<Duration>, Vec<u8>), String> {
        self.wait_turn(creates_event_set).await;
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.base))
            .header("Authorization", format!("KISI-LOGIN {}", self.key.0))
            .header("Accept", "application/json");
        if let Some(body) = body {
            request = request.json(body);
        }
        let asked = Instant::now();
        let outcome = match request.send().await {
            Ok(response) => {
                let status = response.status();
                let retry_after = retry_after(response.headers());
                match response.bytes().await {
                    Ok(bytes) => Ok((status, retry_after, bytes.to_vec())),
                    Err(e) => Err(describe_transport(&e)),
                }
            }
            Err(e) => Err(describe_transport(&e)),
        };
        self.answer_us.fetch_add(asked.elapsed().as_micros() as u64, Ordering::Relaxed);
        if creates_event_set {
            // Kisi has certainly counted this one by now.
            self.pacing.lock().await.next_event_set = Instant::now() + EVENT_SET_SPACING;
        }
        outcome
    }

    async fn wait_turn(&self, creates_event_set: bool) {
        let mut pacing = self.pacing.lock().await;
        let now = Instant::now();
        let mut at = pacing.next_request;
        if creates_event_set {
            at = at.max(pacing.next_event_set);
        }
        if at > now {
            self.waited_ms.fetch_add((at - now).as_millis() as u64, Ordering::Relaxed);
            tokio::time::sleep_until(at).await;
        }
        let sent = Instant::now();
        pacing.next_request = sent + REQUEST_SPACING;
        if creates_event_set {
            pacing.next_event_set = sent + EVENT_SET_SPACING;
        }
    }
}

fn not_found_what(path: &str) -> String {
    let path = path.split('?').next().unwrap_or(path);
    if let Some(id) = path.strip_prefix("/integrations/") {
        format!("integration {id} (deleted in the Kisi dashboard?)")
    } else if let Some(id) = path.strip_prefix("/event_sets/") {
        format!("event set {id} (Kisi keeps them about a day)")
    } else {
        path.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_key_never_shows_in_debug_output() {
        let client = Client::new("http://127.0.0.1:9", ApiKey::new(" secret-key ").unwrap());
        let shown = format!("{client:?}");
        assert!(!shown.contains("secret-key"), "{shown}");
        assert!(ApiKey::new("   ").is_none());
    }

    #[test]
    fn kisi_error_bodies_become_their_message() {
        assert_eq!(error_message(br#"{"error":"Access denied.","code":"fcd8ef"}"#), "Access denied.");
        assert_eq!(error_message(br#"{"errors":{"url":["is invalid"]}}"#), "url is invalid");
        assert_eq!(error_message(b""), "no reason given");
    }

    #[test]
    fn cursors_are_escaped_and_times_are_rfc3339() {
        assert_eq!(percent_encode("a+b/c="), "a%2Bb%2Fc%3D");
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
    }
}
