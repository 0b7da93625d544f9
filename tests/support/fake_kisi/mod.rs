//! An offline fake of Kisi's REST API (integrations, event sets, places, locks and remote unlock, presences, webhook delivery), built from the condensed
//! reference in /work/shared/kisi/API.md: its status codes and body shapes, and, where it says "NS" (not
//! stated), the choices marked in comments here.
//!
//! This file holds the fake's handle and state; `server` accepts, limits and routes the requests,
//! `integrations` and `event_sets` answer them, `errors` shapes the error bodies, and `helpers` holds what
//! they share, with the [`event`] and [`signature`] that tests use.
#![allow(dead_code)]

mod errors;
mod event_sets;
mod helpers;
mod integrations;
mod locks;
mod people;
mod places;
mod presences;
mod server;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::http::header;
use chrono::{DateTime, Utc};
use serde_json::Value;

// Each test binary uses a part of these.
#[allow(unused_imports)]
pub use helpers::{event, signature};
#[allow(unused_imports)]
pub use locks::{FakeLock, Refusal};

use event_sets::EventSet;
use integrations::new_integration;

type Query = [(String, String)];

const ORGANIZATION_ID: i64 = 812;
const PLACE_ID: i64 = 3301;

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
    /// `GET /places`: none unless a test adds some.
    places: Vec<Value>,
    /// `GET /locks`: none unless a test adds some.
    locks: Vec<FakeLock>,
    /// The lock of every `POST /locks/{id}/unlock` that reached a lock, in order.
    unlock_calls: Vec<i64>,
    /// Every lockdown request, as `locks/5521/lock_down` or `places/3301/cancel_lockdown`, in order.
    lockdown_calls: Vec<String>,
    /// `GET /group_links` and `GET /users/{id}`: none unless a test adds some.
    group_links: Vec<Value>,
    users: Vec<Value>,
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
        let server = tokio::spawn(server::accept_loop(listener, shared.clone()));
        FakeKisi { base_url: format!("http://{addr}"), shared, server }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.shared.lock().unwrap()
    }

    /// Adds events (API.md §2 objects, see [`event`]) to the organization's history.
    pub fn add_events(&self, events: impl IntoIterator<Item = Value>) {
        self.state().events.extend(events);
    }

    /// Adds a place (API.md §8) with this time zone (an IANA name, or none) and number of locks.
    pub fn add_place(&self, name: &str, time_zone: Option<&str>, locks_count: i64) {
        let mut state = self.state();
        let id = PLACE_ID + state.places.len() as i64;
        state.places.push(places::place(id, name, time_zone, locks_count));
    }

    /// Adds a lock (API.md §7), online, closed, not locked down, at the first added place; returns its id.
    pub fn add_lock(&self, name: &str) -> i64 {
        let mut state = self.state();
        let id = 5521 + state.locks.len() as i64; // the id of API.md's example lock
        let (place_id, place_name) = locks::home_place(&state);
        state.locks.push(FakeLock::new(id, name, place_id, &place_name));
        id
    }

    /// Changes lock `id` as `change` says (offline, locked down, refusing unlocks…).
    pub fn change_lock(&self, id: i64, change: impl FnOnce(&mut FakeLock)) {
        let mut state = self.state();
        let Some(lock) = state.locks.iter_mut().find(|l| l.id == id) else { panic!("fake_kisi: no lock {id}") };
        change(lock);
    }

    /// Removes lock `id` (deleted in the dashboard: its unlock answers 404).
    pub fn remove_lock(&self, id: i64) {
        self.state().locks.retain(|l| l.id != id);
    }

    /// The lock of every remote unlock that reached one, in order.
    pub fn unlock_calls(&self) -> Vec<i64> {
        self.state().unlock_calls.clone()
    }

    /// Adds an access link (API.md §14) made by `created_by` (a user's id and name), valid until an
    /// RFC 3339 time; returns its id.
    pub fn add_group_link(&self, name: &str, created_by: Option<(i64, &str)>, valid_until: Option<&str>) -> i64 {
        let mut state = self.state();
        let id = 7001 + state.group_links.len() as i64; // the id of API.md's example link
        state.group_links.push(people::group_link(id, name, created_by, valid_until));
        id
    }

    /// Adds a user (API.md §15); returns their id.
    pub fn add_user(&self, name: &str, access_enabled: bool) -> i64 {
        let mut state = self.state();
        let id = 48213 + state.users.len() as i64; // the id of API.md's example user
        state.users.push(people::user(id, name, access_enabled));
        id
    }

    /// Every lockdown request, as `locks/5521/lock_down` or `places/3301/cancel_lockdown`, in order.
    pub fn lockdown_calls(&self) -> Vec<String> {
        self.state().lockdown_calls.clone()
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
        self.state().misbehave.extend(std::iter::repeat_n(how, count));
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
