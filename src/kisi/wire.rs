//! What goes over the wire to and from Kisi's API: the resources Doorwatch reads and writes, Kisi's
//! error bodies, and the way times and query values are written (API.md §1–§3).

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// An integration as Kisi returns it. The list omits `url` and `enabled_events`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct Integration {
    pub id: i64,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub enabled: bool,
    #[serde(default)]
    pub disabled_due_to_error: bool,
    #[serde(default)]
    pub disabled_due_to_error_at: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub enabled_events: Option<Vec<String>>,
}

/// The fields Doorwatch sets on its Event Webhook. `signature_key` is write-only at Kisi.
#[derive(Serialize, Default)]
pub struct IntegrationFields<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<&'a str>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled_events: Option<&'a [&'a str]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature_key: Option<&'a str>,
}

/// Where an event set is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventSetStatus {
    InProgress,
    Finished,
    Failed,
}

/// An event set (Kisi's way of reading history): its status and, once finished, a page of events
/// kept exactly as Kisi sent them, so they are parsed by the same code as webhook bodies.
#[derive(Debug, Deserialize)]
pub struct EventSet {
    pub id: i64,
    pub status: EventSetStatus,
    #[serde(default)]
    pub events: Option<Vec<Box<RawValue>>>,
    #[serde(default)]
    pub cursor: Option<String>,
}

#[derive(Deserialize)]
struct KisiErrorBody {
    error: String,
}

#[derive(Deserialize)]
struct KisiErrorsBody {
    errors: std::collections::BTreeMap<String, Vec<String>>,
}

/// Kisi's message from an `Error` or `Errors` body, or a short excerpt of whatever came.
pub(super) fn error_message(bytes: &[u8]) -> String {
    if let Ok(body) = serde_json::from_slice::<KisiErrorBody>(bytes) {
        return body.error;
    }
    if let Ok(body) = serde_json::from_slice::<KisiErrorsBody>(bytes) {
        return body
            .errors
            .iter()
            .map(|(field, problems)| format!("{field} {}", problems.join(", ")))
            .collect::<Vec<_>>()
            .join("; ");
    }
    let text = String::from_utf8_lossy(bytes);
    let text: String = text.chars().take(200).collect();
    if text.trim().is_empty() {
        "no reason given".to_owned()
    } else {
        text
    }
}

/// A time as Kisi's API reads it, e.g. `2026-11-02T08:00:00Z`.
pub fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// A query parameter's value, escaped.
pub(super) fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A place, as far as Doorwatch reads it (API.md §8).
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct Place {
    pub id: i64,
    pub name: String,
    /// An IANA zone name, e.g. `Europe/Berlin`; null when the place has none set.
    #[serde(default)]
    pub time_zone: Option<String>,
    #[serde(default)]
    pub locks_count: i64,
}
