//! Locks (API.md §7, §9, §11): `GET /locks` paged and filtered by name, `GET /locks/{id}`, and the
//! remote unlock `POST /locks/{id}/unlock`, which is recorded (tests count the calls) and answers with
//! §9's mapping: 200 `{"message":"Unlocked!"}`, or 403/404/409/503 with Kisi's code and message. Each
//! attempt adds a `lock.unlock` event to the organization's history, as Kisi does.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use serde_json::{json, Value};

use super::errors::not_found;
use super::helpers::{page, param, timestamp};
use super::{Query, State, ORGANIZATION_ID, PLACE_ID};

/// A lock as the fake keeps it.
#[derive(Clone, Debug)]
pub struct FakeLock {
    pub id: i64,
    pub name: String,
    pub place_id: i64,
    pub place_name: String,
    pub online: Option<bool>,
    pub open: bool,
    pub locked_down: bool,
    /// What the next unlocks answer instead of unlocking (§9's failure mapping), if anything.
    pub refusal: Option<Refusal>,
}

/// Why Kisi refuses a remote unlock (API.md §9), with the status and code it answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// 403 `fcd8ef`: the key's user has no access to this door.
    NoAccess,
    /// 409 `fad112`: an unlock is already in progress.
    InProgress,
    /// 503 `fad107`: the wireless lock is offline.
    Offline,
    /// 503 `fac001`: the controller is unavailable.
    ControllerUnavailable,
}

impl Refusal {
    fn answer(self) -> (StatusCode, &'static str, &'static str) {
        match self {
            Refusal::NoAccess => (StatusCode::FORBIDDEN, "fcd8ef", "Access denied."),
            Refusal::InProgress => {
                (StatusCode::CONFLICT, "fad112", "An unlock is already in progress for the wireless lock.")
            }
            Refusal::Offline => (StatusCode::SERVICE_UNAVAILABLE, "fad107", "The wireless lock is offline."),
            Refusal::ControllerUnavailable => {
                (StatusCode::SERVICE_UNAVAILABLE, "fac001", "The Kisi controller is currently unavailable.")
            }
        }
    }
}

impl FakeLock {
    pub(super) fn new(id: i64, name: &str, place_id: i64, place_name: &str) -> FakeLock {
        FakeLock {
            id,
            name: name.to_owned(),
            place_id,
            place_name: place_name.to_owned(),
            online: Some(true),
            open: false,
            locked_down: false,
            refusal: None,
        }
    }

    /// The Lock object of §7, every required key.
    fn json(&self) -> Value {
        json!({
            "id": self.id, "resource_type": "Lock", "created_at": "2023-01-10T12:00:00Z",
            "updated_at": "2024-05-14T09:12:03Z", "configured": true, "description": null,
            "first_to_arrive_required_until": null, "first_to_arrive_satisfied": false,
            "latitude": null, "longitude": null, "locked_down": self.locked_down,
            "locked_down_since": self.locked_down.then_some("2024-05-14T09:00:00Z"), "name": self.name,
            "on_scheduled_unlock": false, "online": self.online, "open": self.open, "order_id": null,
            "unlocked": false, "geofence_restriction_enabled": false, "geofence_restriction_radius": 100,
            "reader_restriction_enabled": false, "time_restriction_enabled": false,
            "time_restriction_time_zone": null, "place_id": self.place_id,
            "place": {"id": self.place_id, "name": self.place_name, "latitude": null, "longitude": null},
            "floor_id": null, "groups_count": 1, "unlocked_until": null,
        })
    }
}

/// The place a new lock belongs to: the first added place, else API.md's example place.
pub(super) fn home_place(state: &State) -> (i64, String) {
    match state.places.first() {
        Some(p) => (p["id"].as_i64().unwrap_or(PLACE_ID), p["name"].as_str().unwrap_or_default().to_owned()),
        None => (PLACE_ID, "Berlin HQ".to_owned()),
    }
}

pub(super) fn list_locks(state: &State, query: &Query) -> Response {
    let words = param(query, "query").map(str::to_lowercase);
    let matching: Vec<&FakeLock> =
        state.locks.iter().filter(|l| words.as_ref().is_none_or(|w| l.name.to_lowercase().contains(w))).collect();
    page(query, 50, matching.iter().map(|l| l.json()).collect())
}

pub(super) fn one_lock(state: &State, id: &str) -> Response {
    match id.parse::<i64>().ok().and_then(|id| state.locks.iter().find(|l| l.id == id)) {
        Some(lock) => Json(lock.json()).into_response(),
        None => not_found(),
    }
}

/// `POST /locks/{id}/unlock`: recorded, then answered as §9 maps it.
pub(super) fn unlock(state: &mut State, id: &str) -> Response {
    let Some(lock) = id.parse::<i64>().ok().and_then(|id| state.locks.iter().find(|l| l.id == id)).cloned() else {
        return not_found();
    };
    state.unlock_calls.push(lock.id);
    let place_locked_down =
        state.places.iter().any(|p| p["id"].as_i64() == Some(lock.place_id) && p["locked_down"] == true);
    let refused = if lock.locked_down {
        Some((StatusCode::CONFLICT, "fad001", "The door is currently locked down."))
    } else if place_locked_down {
        Some((StatusCode::CONFLICT, "fad002", "The place is currently locked down."))
    } else {
        lock.refusal.map(Refusal::answer)
    };
    let n = state.unlock_calls.len();
    state.events.push(json!({
        "uuid": format!("fake-remote-unlock-{n}"), "type": "lock.unlock", "actor_type": "User",
        "actor_id": 48213, "actor_name": "Doorwatch API key", "object_type": "Lock", "object_id": lock.id,
        "object_name": lock.name, "success": refused.is_none(), "created_at": timestamp(Utc::now()),
        "organization_id": ORGANIZATION_ID, "place_id": lock.place_id,
        "error_code": refused.map(|r| r.1), "error_message": refused.map(|r| r.2),
    }));
    match refused {
        Some((status, code, message)) => (status, Json(json!({"error": message, "code": code}))).into_response(),
        None => Json(json!({"message": "Unlocked!"})).into_response(),
    }
}

/// `POST /locks/{id}/lock_down|cancel_lockdown` and `/places/{id}/…` (API.md §10): recorded, then 204
/// (idempotent), 404 for an unknown id, 403 when the lock refuses its unlocks for lack of access (a role
/// that may not unlock may not lock down either). A place's flag is its own: unlocks check both.
pub(super) fn lockdown(state: &mut State, what: &str, id: &str, on: bool) -> Response {
    let Ok(id) = id.parse::<i64>() else { return not_found() };
    state.lockdown_calls.push(format!("{what}/{id}/{}", if on { "lock_down" } else { "cancel_lockdown" }));
    let refused = match what {
        "locks" => match state.locks.iter_mut().find(|l| l.id == id) {
            None => return not_found(),
            Some(lock) if lock.refusal == Some(Refusal::NoAccess) => true,
            Some(lock) => {
                lock.locked_down = on;
                false
            }
        },
        _ => match state.places.iter_mut().find(|p| p["id"].as_i64() == Some(id)) {
            None => return not_found(),
            Some(place) => {
                place["locked_down"] = on.into();
                false
            }
        },
    };
    if refused {
        return (StatusCode::FORBIDDEN, Json(json!({"error": "Access denied.", "code": "afc496"}))).into_response();
    }
    StatusCode::NO_CONTENT.into_response()
}
