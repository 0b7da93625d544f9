//! An offline fake of Kisi's REST API (integrations, event sets, webhook delivery), built from the condensed
//! reference in /work/shared/kisi/API.md: its status codes and body shapes, and, where it says "NS" (not
//! stated), the choices marked in comments here.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::ops::RangeInclusive;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::http::{header, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, SecondsFormat, Utc};
use hmac::{Hmac, Mac};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use serde_json::{json, Map, Value};
use sha2::Sha256;

type Query = [(String, String)];

const ORGANIZATION_ID: i64 = 812;
const PLACE_ID: i64 = 3301;
/// API.md §1: 5 requests per second per user.
const REQUESTS_PER_SECOND: usize = 5;
/// API.md §3.1: an event set's interval defaults to, and cannot be wider than, 90 days.
const MAX_INTERVAL_DAYS: i64 = 90;
/// GET /event_sets/{id} `limit` default; also the size of the first page when POST answers `finished` (NS).
const EVENT_SET_PAGE: i64 = 50;
/// `Error.code` for generic errors is NS (API.md §9.7); `ffffff` is the table's "An unexpected issue occured.".
const GENERIC_CODE: &str = "ffffff";

/// Event types accepted in `enabled_events`: the families of `event-types.txt` a door monitor can care about
/// (lock, reader, controller*, wireless_lock*, place*, integration, login), copied verbatim.
const EVENT_TYPES: &str = "controller.assign controller.deassign controller.reboot controller.tamper \
    controller.update controller.wiegand_board_connect controller.wiegand_board_disconnect controller_input.closed \
    controller_input.opened controller_input.tamper controller_input.triggered controller_input_connection.create \
    controller_input_connection.destroy controller_input_connection.update controller_relay_connection.create \
    controller_relay_connection.destroy controller_relay_connection.update controller_wiegand_connection.create \
    controller_wiegand_connection.destroy controller_wiegand_connection.excessive_pin_attempts \
    controller_wiegand_connection.update integration.create integration.destroy integration.disable_due_to_error \
    integration.update integration.warn_due_to_error lock.cancel_lockdown lock.closed lock.create lock.destroy \
    lock.first_to_arrive lock.forced_open lock.held_open lock.last_to_leave lock.lock_down lock.locked lock.opened \
    lock.scheduled_unlock_ended lock.scheduled_unlock_started lock.tailgate lock.unlock lock.update login.create \
    login.destroy login.promote login.resolve place.cancel_lockdown place.create place.destroy place.lock_down \
    place.occupancy_rate_limit_reach place.update place_card.create place_card.destroy reader.access reader.assign \
    reader.deassign reader.reboot reader.reset_tamper reader.tamper reader.update wireless_lock.battery_warning \
    wireless_lock.closed wireless_lock.disenroll wireless_lock.locked wireless_lock.opened wireless_lock.tampered \
    wireless_lock.unlocked wireless_lock.update wireless_lock_connection.create wireless_lock_connection.destroy \
    wireless_lock_connection.update";

/// The `event_*` filters of an event set (API.md §3.1), echoed in every EventSet object.
const EVENT_SET_FILTERS: &str = "event_actor_id event_actor_type event_authenticated_by_id \
    event_authenticated_by_type event_object_id event_object_type event_place_id event_success event_sequence \
    event_type event_uuid";

pub struct FakeKisi {
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub base_url: String,
    shared: Arc<Mutex<State>>,
    server: tokio::task::JoinHandle<()>,
}

/// An integration as the fake stores it, including the write-only `signature_key`.
#[derive(Clone, Debug)]
pub struct FakeIntegration {
    pub id: i64,
    pub name: String,
    pub url: String,
    pub enabled: bool,
    pub disabled_due_to_error: bool,
    pub enabled_events: Vec<String>,
    pub signature_key: Option<String>,
    pub disabled_due_to_error_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Copy, Debug)]
pub enum Misbehave {
    /// 503 with an `Error` body.
    Unavailable,
    /// 429 with an `Error` body (counted in `rate_limited`).
    TooManyRequests,
    /// The connection is closed without any HTTP response.
    DropConnection,
    /// Answers normally after the delay.
    Slow(Duration),
}

#[derive(Default)]
struct State {
    api_key: String,
    events: Vec<Value>,
    integrations: Vec<FakeIntegration>,
    event_sets: Vec<EventSet>,
    next_integration_id: i64,
    next_event_set_id: i64,
    misbehave: VecDeque<Misbehave>,
    polls_before_finished: usize,
    newest_first: bool,
    requests: Vec<(String, String)>,
    rate_limited: usize,
    /// When the admitted requests of the last second arrived (the sliding window).
    recent: VecDeque<Instant>,
    last_event_set_post: Option<Instant>,
}

struct EventSet {
    id: i64,
    created_at: DateTime<Utc>,
    /// GET polls still to answer `in_progress`.
    polls_left: usize,
    /// `interval`, the `event_*` filters and `place_id`, as echoed in every answer.
    echo: Map<String, Value>,
    /// The matching events, snapshotted and sorted when the set was created.
    events: Vec<Value>,
}

impl FakeKisi {
    /// Starts the server on 127.0.0.1:0 on the current tokio runtime; `api_key` is the only key accepted.
    pub async fn start(api_key: &str) -> FakeKisi {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("fake_kisi: cannot bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("fake_kisi: no local address");
        let shared = Arc::new(Mutex::new(State {
            api_key: api_key.to_string(),
            next_integration_id: 4411, // the ids of API.md's examples
            next_event_set_id: 90211,
            polls_before_finished: 1,
            newest_first: true,
            ..State::default()
        }));
        let server = tokio::spawn(accept_loop(listener, shared.clone()));
        FakeKisi { base_url: format!("http://{addr}"), shared, server }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.shared.lock().unwrap()
    }

    /// Adds events (API.md §2 objects, see [`event`]) to the organization's history.
    pub fn add_events(&self, events: impl IntoIterator<Item = Value>) {
        self.state().events.extend(events);
    }

    /// Integrations as stored, including the write-only signature_key.
    pub fn integrations(&self) -> Vec<FakeIntegration> {
        self.state().integrations.clone()
    }

    /// Adds an integration directly, with no enabled events and no signature key; returns its id.
    pub fn insert_integration(&self, name: &str, url: &str, enabled: bool) -> i64 {
        let mut state = self.state();
        let id = state.next_integration_id;
        state.next_integration_id += 1;
        let integration = FakeIntegration { name: name.into(), url: url.into(), enabled, ..new_integration(id) };
        state.integrations.push(integration);
        id
    }

    /// Kisi auto-disabling an integration: enabled=false, disabled_due_to_error=true, disabled_due_to_error_at=now.
    pub fn disable_due_to_error(&self, id: i64) {
        let mut state = self.state();
        let Some(integration) = state.integrations.iter_mut().find(|i| i.id == id) else {
            panic!("fake_kisi: no integration {id}")
        };
        let now = Utc::now();
        integration.enabled = false;
        integration.disabled_due_to_error = true;
        integration.disabled_due_to_error_at = Some(now);
        integration.updated_at = now;
    }

    /// Makes the next `count` API requests (any route) misbehave in the given way, then back to normal.
    /// Calls queue up: `misbehave(Unavailable, 2)` then `misbehave(DropConnection, 1)` affects three requests.
    pub fn misbehave(&self, how: Misbehave, count: usize) {
        self.state().misbehave.extend(std::iter::repeat(how).take(count));
    }

    /// How many GET /event_sets/{id} polls answer `in_progress` before `finished` (default 1; 0 makes
    /// POST /event_sets answer `finished` with the first page). Applies to sets created afterwards.
    pub fn set_polls_before_finished(&self, n: usize) {
        self.state().polls_before_finished = n;
    }

    /// Event-set pages newest first (the default; API.md §3.2 suggests it, the order is NS) or oldest first.
    /// Applies to sets created afterwards.
    pub fn set_newest_first(&self, yes: bool) {
        self.state().newest_first = yes;
    }

    /// Every request seen, misbehaving ones included: (method, path-with-query), in order.
    pub fn requests(&self) -> Vec<(String, String)> {
        self.state().requests.clone()
    }

    /// How many requests got a 429 (from the rate limits or from `Misbehave::TooManyRequests`).
    pub fn rate_limited(&self) -> usize {
        self.state().rate_limited
    }

    /// Delivers `event` to integration `id`'s url the way Kisi does (API.md §6): POST, the JSON body, and when
    /// the integration has a signature_key, `X-Signature: sha256=<lowercase hex HMAC-SHA256(body)>`.
    /// It delivers whatever the integration's `enabled`/`enabled_events` say: the test decides what Kisi sends.
    /// Returns the HTTP status received; panics on a connection failure.
    pub async fn deliver(&self, id: i64, event: &Value) -> u16 {
        self.deliver_raw(id, &serde_json::to_vec(event).unwrap()).await
    }

    /// `deliver` with the exact body bytes (serde_json sorts an object's keys, so use this to send a given text).
    pub async fn deliver_raw(&self, id: i64, body: &[u8]) -> u16 {
        let (url, key) = {
            let state = self.state();
            let Some(integration) = state.integrations.iter().find(|i| i.id == id) else {
                panic!("fake_kisi: no integration {id} to deliver to")
            };
            (integration.url.clone(), integration.signature_key.clone())
        };
        let mut request = reqwest::Client::new()
            .post(&url)
            .header(header::CONTENT_TYPE, "application/json")
            .timeout(Duration::from_secs(30)) // Kisi's timeout is NS; this only keeps a broken test from hanging.
            .body(body.to_vec());
        if let Some(key) = key {
            request = request.header("X-Signature", format!("sha256={}", signature(&key, body)));
        }
        match request.send().await {
            Ok(response) => response.status().as_u16(),
            Err(e) => panic!("fake_kisi: delivering to integration {id} at {url} failed: {e}"),
        }
    }
}

impl Drop for FakeKisi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Lowercase hex HMAC-SHA256 of `body` with `key`, as in Kisi's `X-Signature` (without the `sha256=` prefix).
pub fn signature(key: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("HMAC takes any key length");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// A complete Kisi event object (API.md §2, every required key) for a `lock.unlock` at `door` by `actor`
/// (None: no actor, e.g. an exit button). Ids derive from the names, so the same door has the same id.
pub fn event(uuid: &str, created_at: DateTime<Utc>, success: bool, door: &str, actor: Option<&str>) -> Value {
    let door_id = 5000 + small_hash(door);
    let outcome = if success { "unlocked" } else { "failed to unlock" };
    let (error_code, error_message) = if success { (None, None) } else { (Some("fcd8ef"), Some("Access denied.")) };
    json!({
        "uuid": uuid,
        "type": "lock.unlock",
        "actor_type": actor.map(|_| "User"),
        "actor_id": actor.map(|name| 40000 + small_hash(name)),
        "actor_name": actor,
        "actor_email": actor.map(|name| format!("{}@example.com", name.to_lowercase().replace(' ', "."))),
        "authenticated_by_type": actor.map(|_| "Login"),
        "authenticated_by_id": actor.map(|name| 990000 + small_hash(name)),
        "authorized_by_type": null,
        "authorized_by_id": null,
        "authorized_by_role_id": null,
        "object_type": "Lock",
        "object_id": door_id,
        "object_name": door,
        "object": {"id": door_id, "name": door},
        "action": "unlock",
        "created_at": timestamp(created_at),
        "message": format!("{} {outcome} {door}", actor.unwrap_or("Someone")),
        "success": success,
        "code": null,
        "sequence": format!("seq-{uuid}"),
        "organization_id": ORGANIZATION_ID,
        "place_id": PLACE_ID,
        "error_code": error_code,
        "error_message": error_message,
        "details": {},
        "via": {},
    })
}

fn small_hash(text: &str) -> i64 {
    text.bytes().fold(7i64, |h, b| (h * 31 + b as i64) % 9973)
}

/// RFC 3339 with whole seconds and `Z`, like Kisi's docs sample.
fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text).ok().map(|t| t.with_timezone(&Utc))
}

fn new_integration(id: i64) -> FakeIntegration {
    let now = Utc::now();
    FakeIntegration {
        id,
        name: String::new(),
        url: String::new(),
        enabled: true, // the default is NS; API.md §5.3 suggests true
        disabled_due_to_error: false,
        enabled_events: Vec::new(),
        signature_key: None,
        disabled_due_to_error_at: None,
        created_at: now,
        updated_at: now,
    }
}

// ---- serving ------------------------------------------------------------------------------------------

/// Serves each connection with hyper directly rather than `axum::serve`, because `Misbehave::DropConnection`
/// needs the service to fail: when the service returns `Err`, hyper's HTTP/1 dispatcher ends the connection
/// with that error and drops the socket without writing any response, so the client sees the connection
/// close (a connection error, not an HTTP status).
async fn accept_loop(listener: tokio::net::TcpListener, shared: Arc<Mutex<State>>) {
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

fn param<'a>(query: &'a Query, name: &str) -> Option<&'a str> {
    query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// An integer query parameter in `range`, `default` when absent; None when malformed or out of range.
fn int_param(query: &Query, name: &str, default: i64, range: RangeInclusive<i64>) -> Option<i64> {
    let value = param(query, name).map_or(Some(default), |text| text.parse().ok())?;
    range.contains(&value).then_some(value)
}

// ---- error bodies (API.md §1) -------------------------------------------------------------------------

/// `Error` = {"error": message, "code": 6 hex digits}.
fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({"error": message, "code": GENERIC_CODE}))).into_response()
}

fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "Not found")
}

fn push_error(errors: &mut Map<String, Value>, field: &str, message: impl Into<String>) {
    let list = errors.entry(field).or_insert_with(|| json!([]));
    list.as_array_mut().unwrap().push(Value::String(message.into()));
}

/// `Errors` = {"errors": {field: [message, ...]}}, always with 422.
fn validation_errors(errors: Map<String, Value>) -> Response {
    (StatusCode::UNPROCESSABLE_ENTITY, Json(json!({ "errors": errors }))).into_response()
}

fn validation_error(field: &str, message: &str) -> Response {
    let mut errors = Map::new();
    push_error(&mut errors, field, message);
    validation_errors(errors)
}

/// The object under `key` in a `{"key": {...}}` request body.
fn wrapped(body: &[u8], key: &str) -> Option<Map<String, Value>> {
    serde_json::from_slice::<Value>(body).ok()?.get(key)?.as_object().cloned()
}

// ---- integrations (API.md §5) -------------------------------------------------------------------------

/// The list-item shape (GET /integrations): no url, no enabled_events; no `place`, as place_id is null.
fn summary(i: &FakeIntegration) -> Value {
    json!({
        "id": i.id,
        "resource_type": "Integration",
        "name": i.name,
        "type": "event_webhook",
        "enabled": i.enabled,
        "disabled_due_to_error": i.disabled_due_to_error,
        "disabled_due_to_error_at": i.disabled_due_to_error_at.map(timestamp),
        "created_at": timestamp(i.created_at),
        "updated_at": timestamp(i.updated_at),
        "organization_id": ORGANIZATION_ID,
        "organization": {"id": ORGANIZATION_ID, "resource_type": "Organization", "name": "Acme Inc", "domain": "acme"},
        "place_id": null,
    })
}

/// The Event Webhook Integration object (POST, GET /{id}); never the write-only signature_key.
fn integration_object(i: &FakeIntegration) -> Value {
    let mut object = summary(i);
    object["url"] = json!(i.url);
    object["enabled_events"] = json!(i.enabled_events);
    object
}

fn list_integrations(state: &State, query: &Query) -> Response {
    let Some(limit) = int_param(query, "limit", 10, 1..=250) else {
        return validation_error("limit", "must be between 1 and 250");
    };
    let Some(offset) = int_param(query, "offset", 0, 0..=20000) else {
        return validation_error("offset", "must be between 0 and 20000");
    };
    // Of the filters, `ids` (comma-separated) and `enabled`; the others concern places, groups and names.
    let ids = param(query, "ids").map(|s| s.split(',').map(|id| id.trim().to_string()).collect::<Vec<_>>());
    let enabled = param(query, "enabled").map(|s| s == "true");
    let matching: Vec<&FakeIntegration> = state
        .integrations
        .iter()
        .filter(|i| ids.as_ref().map_or(true, |ids| ids.contains(&i.id.to_string())))
        .filter(|i| enabled.map_or(true, |enabled| i.enabled == enabled))
        .collect();
    let page: Vec<Value> = matching.iter().skip(offset as usize).take(limit as usize).map(|i| summary(i)).collect();
    // The requested range, even past the total (API.md §1).
    let range = format!("{}-{}/{}", offset, offset + limit - 1, matching.len());
    (StatusCode::OK, [("x-collection-range", range)], Json(page)).into_response()
}

/// Checks the fields of an `integration` body and writes the valid ones into `target`; returns the problems
/// (empty when all is well). All fields are optional here; `create_integration` checks the required ones.
fn apply_integration_fields(fields: &Map<String, Value>, target: &mut FakeIntegration) -> Map<String, Value> {
    let mut errors = Map::new();
    match fields.get("name").map(|v| v.as_str().unwrap_or("")) {
        Some(name) if name.trim().is_empty() => push_error(&mut errors, "name", "can't be blank"),
        Some(name) => target.name = name.to_string(),
        None => {}
    }
    if let Some(url) = fields.get("url").map(|v| v.as_str().unwrap_or("")) {
        let parsed = reqwest::Url::parse(url);
        if (url.starts_with("http://") || url.starts_with("https://")) && parsed.is_ok_and(|u| u.has_host()) {
            target.url = url.to_string();
        } else {
            push_error(&mut errors, "url", "is invalid");
        }
    }
    match fields.get("enabled").map(Value::as_bool) {
        Some(Some(enabled)) => target.enabled = enabled,
        Some(None) => push_error(&mut errors, "enabled", "is invalid"),
        None => {}
    }
    match fields.get("enabled_events").map(Value::as_array) {
        Some(Some(list)) => {
            target.enabled_events.clear();
            for item in list {
                match item.as_str().filter(|t| EVENT_TYPES.split_whitespace().any(|known| known == *t)) {
                    Some(t) => target.enabled_events.push(t.to_string()),
                    None => push_error(&mut errors, "enabled_events", format!("{item} is not included in the list")),
                }
            }
        }
        Some(None) => push_error(&mut errors, "enabled_events", "is invalid"),
        None => {}
    }
    match fields.get("signature_key") {
        None => {}
        // Clearing with null or "" is an assumption (NS): no key means unsigned deliveries.
        Some(Value::Null) => target.signature_key = None,
        Some(Value::String(key)) => target.signature_key = (!key.is_empty()).then(|| key.clone()),
        Some(_) => push_error(&mut errors, "signature_key", "is invalid"),
    }
    errors
}

fn create_integration(state: &mut State, body: &[u8]) -> Response {
    let Some(fields) = wrapped(body, "integration") else {
        return validation_error("integration", "is missing");
    };
    let mut integration = new_integration(state.next_integration_id);
    let mut errors = apply_integration_fields(&fields, &mut integration);
    match fields.get("type").and_then(Value::as_str) {
        Some("event_webhook") => {}
        None => push_error(&mut errors, "type", "can't be blank"),
        // Other integration types exist (API.md §5) but the fake only knows event webhooks.
        Some(_) => push_error(&mut errors, "type", "is not included in the list"),
    }
    for required in ["name", "url"] {
        if !fields.contains_key(required) {
            push_error(&mut errors, required, "can't be blank");
        }
    }
    if !errors.is_empty() {
        return validation_errors(errors);
    }
    state.next_integration_id += 1;
    let object = integration_object(&integration);
    state.integrations.push(integration);
    (StatusCode::OK, Json(object)).into_response() // 200, not 201 (API.md §5.3)
}

fn one_integration(state: &mut State, method: &Method, id: &str, body: &[u8]) -> Response {
    let Some(index) = id.parse::<i64>().ok().and_then(|id| state.integrations.iter().position(|i| i.id == id)) else {
        return not_found();
    };
    match method.as_str() {
        "GET" => Json(integration_object(&state.integrations[index])).into_response(),
        "DELETE" => {
            state.integrations.remove(index);
            StatusCode::NO_CONTENT.into_response()
        }
        "PATCH" => {
            let Some(fields) = wrapped(body, "integration") else {
                return validation_error("integration", "is missing");
            };
            let mut updated = state.integrations[index].clone();
            let errors = apply_integration_fields(&fields, &mut updated);
            if !errors.is_empty() {
                return validation_errors(errors);
            }
            // Whether re-enabling clears the auto-disable flag is NS (API.md §5.1); here it does.
            if fields.get("enabled") == Some(&Value::Bool(true)) {
                updated.disabled_due_to_error = false;
                updated.disabled_due_to_error_at = None;
            }
            updated.updated_at = Utc::now();
            state.integrations[index] = updated;
            StatusCode::NO_CONTENT.into_response()
        }
        _ => not_found(),
    }
}

// ---- event sets (API.md §3) ---------------------------------------------------------------------------

/// `Start/End` only; the `Start/Duration` and `Duration/End` forms of API.md §3.1 are not supported by the fake
/// and get the same 422 as a malformed interval. The interval is [start, end).
fn parse_interval(text: &str) -> Result<(DateTime<Utc>, DateTime<Utc>), &'static str> {
    let (start, end) = text.split_once('/').ok_or("is invalid")?;
    let (start, end) = (parse_time(start).ok_or("is invalid")?, parse_time(end).ok_or("is invalid")?);
    if start >= end {
        return Err("must end after it starts");
    }
    if end - start > chrono::Duration::days(MAX_INTERVAL_DAYS) {
        return Err("cannot be wider than 90 days");
    }
    Ok((start, end))
}

/// Whether `event` passes the set's filters: string filters are `,`-separated lists of accepted values;
/// numbers and booleans must be equal; `place_id` scopes the set to a place.
fn matches_filters(event: &Value, echo: &Map<String, Value>) -> bool {
    let filters_pass = EVENT_SET_FILTERS.split_whitespace().all(|filter| {
        let have = &event[&filter["event_".len()..]];
        match &echo[filter] {
            Value::Null => true,
            Value::String(list) => {
                let have = have.as_str().map_or_else(|| have.to_string(), str::to_string);
                list.split(',').any(|wanted| wanted.trim() == have)
            }
            wanted => wanted == have,
        }
    });
    filters_pass && (echo["place_id"].is_null() || echo["place_id"] == event["place_id"])
}

fn create_event_set(state: &mut State, body: &[u8]) -> Response {
    let Some(fields) = wrapped(body, "event_set") else {
        return validation_error("event_set", "is missing");
    };
    let (start, end, interval) = match fields.get("interval") {
        None | Some(Value::Null) => {
            // The past 90 days, ending at the next whole second so that events from "now" are in.
            let end = DateTime::from_timestamp(Utc::now().timestamp() + 1, 0).unwrap();
            let start = end - chrono::Duration::days(MAX_INTERVAL_DAYS);
            (start, end, format!("{}/{}", timestamp(start), timestamp(end)))
        }
        Some(Value::String(text)) => match parse_interval(text) {
            Ok((start, end)) => (start, end, text.clone()),
            Err(message) => return validation_error("interval", message),
        },
        Some(_) => return validation_error("interval", "is invalid"),
    };
    let place_id = fields.get("place_id").cloned().unwrap_or(Value::Null);
    if !place_id.is_null() && !fields.get("event_place_id").unwrap_or(&Value::Null).is_null() {
        return validation_error("place_id", "cannot be set together with event_place_id");
    }
    let mut echo = Map::new();
    echo.insert("interval".into(), Value::String(interval));
    for filter in EVENT_SET_FILTERS.split_whitespace() {
        echo.insert(filter.into(), fields.get(filter).cloned().unwrap_or(Value::Null));
    }
    echo.insert("place_id".into(), place_id);

    let mut events: Vec<(DateTime<Utc>, &Value)> = state
        .events
        .iter()
        .filter_map(|e| Some((parse_time(e["created_at"].as_str()?)?, e)))
        .filter(|(at, e)| start <= *at && *at < end && matches_filters(e, &echo))
        .collect();
    // By created_at (newest first unless switched), then uuid ascending for equal times.
    let newest_first = state.newest_first;
    events.sort_by(|(a, x), (b, y)| {
        let by_time = if newest_first { b.cmp(a) } else { a.cmp(b) };
        by_time.then_with(|| x["uuid"].as_str().cmp(&y["uuid"].as_str()))
    });
    let set = EventSet {
        id: state.next_event_set_id,
        created_at: Utc::now(),
        polls_left: state.polls_before_finished,
        echo,
        events: events.into_iter().map(|(_, e)| e.clone()).collect(),
    };
    state.next_event_set_id += 1;
    let answer = event_set_object(&set, (set.polls_left == 0).then_some(0), EVENT_SET_PAGE as usize);
    state.event_sets.push(set);
    (StatusCode::OK, Json(answer)).into_response() // 200, not 201 (API.md §3.1)
}

fn fetch_event_set(state: &mut State, id: &str, query: &Query) -> Response {
    // The maximum limit is NS (API.md §3.2); the fake takes the lists' 250 and answers 400 above it.
    let Some(limit) = int_param(query, "limit", EVENT_SET_PAGE, 1..=250) else {
        return error(StatusCode::BAD_REQUEST, "limit must be between 1 and 250");
    };
    let Some(set) = id.parse::<i64>().ok().and_then(|id| state.event_sets.iter_mut().find(|s| s.id == id)) else {
        return not_found();
    };
    if set.polls_left > 0 {
        set.polls_left -= 1;
        return Json(event_set_object(set, None, 0)).into_response();
    }
    let offset = match param(query, "cursor").map(|cursor| decode_cursor(cursor, set)) {
        None => 0,
        Some(Some(offset)) => offset,
        Some(None) => return error(StatusCode::BAD_REQUEST, "The cursor is invalid."),
    };
    Json(event_set_object(set, Some(offset), limit as usize)).into_response()
}

/// The EventSet object: `in_progress` without `events` when `page` is None, else `finished` with the events
/// from offset `page` on and the cursor of the next page (null on the last one).
fn event_set_object(set: &EventSet, page: Option<usize>, limit: usize) -> Value {
    let mut object = Map::new();
    object.insert("id".into(), json!(set.id));
    object.insert("created_at".into(), json!(timestamp(set.created_at)));
    object.insert("status".into(), json!(if page.is_some() { "finished" } else { "in_progress" }));
    object.extend(set.echo.clone());
    let mut cursor = Value::Null;
    if let Some(offset) = page {
        let events: Vec<Value> = set.events.iter().skip(offset).take(limit).cloned().collect();
        if offset + limit < set.events.len() {
            cursor = Value::String(encode_cursor(set.id, offset + limit));
        }
        object.insert("events".into(), Value::Array(events));
    }
    object.insert("cursor".into(), cursor);
    Value::Object(object)
}

/// Opaque to clients: URL-safe base64 (no padding, so nothing to escape) of `{"set":id,"offset":n}`.
fn encode_cursor(set: i64, offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(json!({"set": set, "offset": offset}).to_string())
}

/// The offset in a cursor made for this set; None for anything else (a garbled cursor, another set's).
fn decode_cursor(cursor: &str, set: &EventSet) -> Option<usize> {
    let value: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(cursor.trim()).ok()?).ok()?;
    let offset = value["offset"].as_u64()? as usize;
    (value["set"].as_i64()? == set.id && offset <= set.events.len()).then_some(offset)
}
