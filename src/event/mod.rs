//! The Kisi event model: a tolerant parse of a webhook body into a domain event, and the facts
//! derived from it that the timeline and the alerts need (a kind, a human actor label, a stable id).
//!
//! Kisi does not publish a webhook schema (API.md §6), so every field is optional here, a field of an
//! unexpected type is treated as absent, unknown fields are ignored, and the raw bytes travel with the
//! event so that nothing Kisi sent is ever lost.

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

mod kind;

pub use kind::{EventKind, Source, REMOTE_UNLOCK_TYPE};

/// Why a body could not be read as an event at all.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ParseError {
    #[error("body is not valid JSON: {0}")]
    Json(String),
    #[error("body is JSON but not an object (found {0})")]
    NotAnObject(&'static str),
}

/// A Kisi event as received: every field optional, plus what Doorwatch derives from it.
/// Serialised (for `--json`, exports and the UI) with times as RFC 3339 and `raw` as embedded JSON.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct Event {
    /// Kisi's `uuid`, or `body-sha256:<hex>` for deliveries without one (see [`derived_uuid`]).
    pub uuid: String,
    #[serde(rename = "type")]
    pub event_type: String,
    pub kind: EventKind,
    pub success: Option<bool>,
    pub actor_type: Option<String>,
    #[ts(type = "number | null")]
    pub actor_id: Option<i64>,
    pub actor_name: Option<String>,
    pub actor_email: Option<String>,
    /// `None` when the event has no actor (a door sensor, say) and is not an unlock.
    pub actor_label: Option<String>,
    pub object_type: Option<String>,
    #[ts(type = "number | null")]
    pub object_id: Option<i64>,
    pub object_name: Option<String>,
    #[ts(type = "number | null")]
    pub place_id: Option<i64>,
    #[ts(type = "number | null")]
    pub organization_id: Option<i64>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub message: Option<String>,
    /// The event's own time in Unix milliseconds, when Kisi sent a readable one.
    #[serde(serialize_with = "ser_opt_time")]
    #[ts(type = "string")]
    pub created_at: Option<i64>,
    /// The body exactly as delivered.
    #[serde(serialize_with = "ser_raw")]
    #[ts(type = "unknown")]
    pub raw: Vec<u8>,
}

fn ser_opt_time<S: serde::Serializer>(ms: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    match ms {
        Some(ms) => s.serialize_str(&format_time(*ms)),
        None => s.serialize_none(),
    }
}

/// The raw body as JSON inside JSON (compacted onto one line), or as a string should it somehow not be
/// JSON: stored bodies always parsed once, so the fallback only guards against a hand-edited database.
fn ser_raw<S: serde::Serializer>(raw: &[u8], s: S) -> Result<S::Ok, S::Error> {
    let compact = String::from_utf8(compact_json(raw)).ok();
    match compact.and_then(|c| serde_json::value::RawValue::from_string(c).ok()) {
        Some(value) => value.serialize(s),
        None => s.serialize_str(&String::from_utf8_lossy(raw)),
    }
}

impl Event {
    /// Parses a webhook body. Only bytes that are not a JSON object are refused.
    pub fn from_json(raw: &[u8]) -> Result<Event, ParseError> {
        let value: Value = serde_json::from_slice(raw).map_err(|e| ParseError::Json(e.to_string()))?;
        let Value::Object(map) = value else {
            return Err(ParseError::NotAnObject(json_type_name(&value)));
        };
        Ok(Event::from_map(&map, raw.to_vec()))
    }

    /// Builds an event from an already parsed object (the Kisi API's event sets use this too).
    pub fn from_map(map: &Map<String, Value>, raw: Vec<u8>) -> Event {
        let text = |key: &str| map.get(key).and_then(Value::as_str).map(str::to_owned);
        let int = |key: &str| map.get(key).and_then(Value::as_i64);
        let event_type = text("type").unwrap_or_default();
        let success = map.get("success").and_then(Value::as_bool);
        let kind = EventKind::classify(&event_type, success);
        let actor_type = text("actor_type");
        let actor_name = text("actor_name");
        let actor_label = actor_label(kind, actor_type.as_deref(), actor_name.as_deref());
        let uuid =
            text("uuid").map(|u| u.trim().to_owned()).filter(|u| !u.is_empty()).unwrap_or_else(|| derived_uuid(&raw));
        Event {
            uuid,
            event_type,
            kind,
            success,
            actor_type,
            actor_id: int("actor_id"),
            actor_name,
            actor_email: text("actor_email"),
            actor_label,
            object_type: text("object_type"),
            object_id: int("object_id"),
            object_name: text("object_name"),
            place_id: int("place_id"),
            organization_id: int("organization_id"),
            error_code: text("error_code"),
            error_message: text("error_message"),
            message: text("message"),
            created_at: map.get("created_at").and_then(Value::as_str).and_then(parse_time),
            raw,
        }
    }
}

/// The label people see for who acted. Kisi documents three actor types for unlocks: a `User`, no actor
/// (the request-to-exit button) and a `GroupLink` (an access link); anything else is shown by its type.
pub fn actor_label(kind: EventKind, actor_type: Option<&str>, actor_name: Option<&str>) -> Option<String> {
    let name = actor_name.map(str::trim).filter(|n| !n.is_empty());
    match (actor_type, name) {
        (Some("User"), Some(name)) => Some(name.to_owned()),
        (Some("User"), None) => Some("Unknown user".to_owned()),
        (Some("GroupLink"), Some(name)) => Some(format!("Access link: {name}")),
        (Some("GroupLink"), None) => Some("Access link".to_owned()),
        (None, _) if matches!(kind, EventKind::UnlockOk | EventKind::UnlockFailed) => Some("Exit button".to_owned()),
        (None, Some(name)) => Some(name.to_owned()),
        (None, None) => None,
        (Some(other), Some(name)) => Some(format!("{}: {name}", humanize_type(other))),
        (Some(other), None) => Some(humanize_type(other)),
    }
}

/// `MarketplaceInstallation` → `Marketplace installation`.
fn humanize_type(actor_type: &str) -> String {
    let mut out = String::with_capacity(actor_type.len() + 4);
    for (i, c) in actor_type.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push(' ');
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// A stable id for a body that carries no `uuid` (older deliveries lacked it): the same bytes always
/// give the same id, so re-deliveries of such a body still collapse into one row.
pub fn derived_uuid(raw: &[u8]) -> String {
    format!("body-sha256:{}", hex::encode(Sha256::digest(raw)))
}

/// Reads Kisi's `created_at`: RFC 3339 with `Z` or an offset, with or without fractional seconds.
/// A time without any zone is taken as UTC, which is what Kisi's samples use.
pub fn parse_time(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp_millis());
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(t.and_utc().timestamp_millis());
        }
    }
    None
}

/// Formats Unix milliseconds as RFC 3339 UTC with milliseconds (`2026-11-02T09:00:01.250Z`).
pub fn format_time(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true))
        .unwrap_or_else(|| ms.to_string())
}

fn json_type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Removes the white space between JSON tokens, leaving every other byte as it was (key order, number
/// spelling, escapes), so a raw body can be embedded in one line of JSON Lines output.
pub fn compact_json(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let (mut in_string, mut escaped) = (false, false);
    for &b in raw {
        if in_string {
            out.push(b);
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else if !matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
            if b == b'"' {
                in_string = true;
            }
            out.push(b);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_unlock_is_its_own_kind() {
        assert_eq!(EventKind::classify("lock.unlock", Some(false)), EventKind::UnlockFailed);
        assert_eq!(EventKind::classify("lock.unlock", Some(true)), EventKind::UnlockOk);
        assert_eq!(EventKind::classify("lock.held_open", Some(true)), EventKind::HeldOpen);
        assert_eq!(EventKind::classify("space.invented", None), EventKind::Other);
    }

    #[test]
    fn kinds_round_trip_through_their_names() {
        for k in EventKind::ALL {
            assert_eq!(EventKind::parse(k.as_str()), Some(k));
            assert_eq!(serde_json::to_value(k).unwrap(), Value::String(k.as_str().into()));
        }
    }

    #[test]
    fn actor_labels_follow_kisi_actor_types() {
        let unlock = EventKind::UnlockOk;
        assert_eq!(actor_label(unlock, Some("User"), Some("Ada")).as_deref(), Some("Ada"));
        assert_eq!(actor_label(unlock, None, None).as_deref(), Some("Exit button"));
        assert_eq!(actor_label(unlock, Some("GroupLink"), Some("Crew")).as_deref(), Some("Access link: Crew"));
        assert_eq!(actor_label(unlock, Some("Guest"), Some("Bob")).as_deref(), Some("Guest: Bob"));
        assert_eq!(
            actor_label(unlock, Some("MarketplaceInstallation"), None).as_deref(),
            Some("Marketplace installation")
        );
        assert_eq!(actor_label(EventKind::HeldOpen, None, None), None);
    }

    #[test]
    fn created_at_accepts_z_offsets_and_fractions() {
        let z = parse_time("2026-11-02T09:00:01Z").unwrap();
        assert_eq!(parse_time("2026-11-02T09:00:01.250Z"), Some(z + 250));
        assert_eq!(parse_time("2026-11-02T10:00:01+01:00"), Some(z));
        assert_eq!(parse_time("2026-11-02T09:00:01.5+00:00"), Some(z + 500));
        assert_eq!(parse_time("2026-11-02T09:00:01"), Some(z));
        assert_eq!(parse_time("yesterday"), None);
        assert_eq!(format_time(z + 250), "2026-11-02T09:00:01.250Z");
    }

    #[test]
    fn fields_of_the_wrong_type_are_absent_not_fatal() {
        let e =
            Event::from_json(br#"{"uuid":"u1","type":"lock.unlock","actor_id":"12","success":"no","x":1}"#).unwrap();
        assert_eq!(e.actor_id, None);
        assert_eq!(e.success, None);
        assert_eq!(e.kind, EventKind::UnlockOk);
    }

    #[test]
    fn body_without_uuid_gets_an_id_from_its_bytes() {
        let body = br#"{"type":"lock.unlock"}"#;
        let a = Event::from_json(body).unwrap();
        assert_eq!(a.uuid, Event::from_json(body).unwrap().uuid);
        assert!(a.uuid.starts_with("body-sha256:"));
        assert_ne!(a.uuid, Event::from_json(br#"{"type":"lock.opened"}"#).unwrap().uuid);
    }

    #[test]
    fn non_objects_are_refused_with_the_reason() {
        assert_eq!(Event::from_json(b"[1]").unwrap_err(), ParseError::NotAnObject("an array"));
        assert!(matches!(Event::from_json(b"{\"a\":").unwrap_err(), ParseError::Json(_)));
    }

    #[test]
    fn compacting_keeps_strings_and_drops_layout() {
        let raw = b"{\n  \"a b\": \"x \\\" y\",\n  \"n\": 1.50\n}\n";
        assert_eq!(compact_json(raw), br#"{"a b":"x \" y","n":1.50}"#.to_vec());
    }
}
