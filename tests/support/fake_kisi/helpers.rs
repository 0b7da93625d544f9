//! What the resources share: Kisi's event objects and signatures as tests build them, timestamps,
//! query parameters and wrapped request bodies.

use std::ops::RangeInclusive;

use chrono::{DateTime, SecondsFormat, Utc};
use hmac::{Hmac, Mac};
use serde_json::{json, Map, Value};
use sha2::Sha256;

use super::{Query, ORGANIZATION_ID, PLACE_ID};

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

pub(super) fn small_hash(text: &str) -> i64 {
    text.bytes().fold(7i64, |h, b| (h * 31 + b as i64) % 9973)
}

/// RFC 3339 with whole seconds and `Z`, like Kisi's docs sample.
pub(super) fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub(super) fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text).ok().map(|t| t.with_timezone(&Utc))
}

pub(super) fn param<'a>(query: &'a Query, name: &str) -> Option<&'a str> {
    query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// An integer query parameter in `range`, `default` when absent; None when malformed or out of range.
pub(super) fn int_param(query: &Query, name: &str, default: i64, range: RangeInclusive<i64>) -> Option<i64> {
    let value = param(query, name).map_or(Some(default), |text| text.parse().ok())?;
    range.contains(&value).then_some(value)
}

/// The object under `key` in a `{"key": {...}}` request body.
pub(super) fn wrapped(body: &[u8], key: &str) -> Option<Map<String, Value>> {
    serde_json::from_slice::<Value>(body).ok()?.get(key)?.as_object().cloned()
}

/// One page of a list (API.md §1): `limit` (default `default_limit`, at most 250) and `offset` from the
/// query, answered as the bare array with `X-Collection-Range` naming the requested range, even past the
/// total; 422 for a parameter out of range.
pub(super) fn page(query: &Query, default_limit: i64, all: Vec<Value>) -> axum::response::Response {
    use axum::response::IntoResponse;
    let Some(limit) = int_param(query, "limit", default_limit, 1..=250) else {
        return super::errors::validation_error("limit", "must be between 1 and 250");
    };
    let Some(offset) = int_param(query, "offset", 0, 0..=20000) else {
        return super::errors::validation_error("offset", "must be between 0 and 20000");
    };
    let range = format!("{}-{}/{}", offset, offset + limit - 1, all.len());
    let page: Vec<Value> = all.into_iter().skip(offset as usize).take(limit as usize).collect();
    (axum::http::StatusCode::OK, [("x-collection-range", range)], axum::Json(page)).into_response()
}
