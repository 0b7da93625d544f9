//! A realistic sample delivery, signed the way Kisi signs, to check a receiver end to end without a
//! door: what Kisi's guide uses Webhook.site for. The CLI's `send-test` and the app's "Send test event"
//! both use it.

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::json;

use crate::receive::signature::SigningKey;

/// A sample `lock.unlock` event with a fresh uuid, happening `now`.
pub fn sample_event(failed: bool, now: DateTime<Utc>) -> Vec<u8> {
    let uuid = random_uuid();
    let (actor, message) = if failed {
        ("Test Person", "Test Person failed to unlock Main Entrance (Doorwatch test event)")
    } else {
        ("Test Person", "Test Person unlocked Main Entrance (Doorwatch test event)")
    };
    let body = json!({
        "uuid": uuid,
        "type": "lock.unlock",
        "action": "unlock",
        "actor_type": "User",
        "actor_id": 1,
        "actor_name": actor,
        "actor_email": "test.person@example.com",
        "object_type": "Lock",
        "object_id": 1,
        "object_name": "Main Entrance",
        "organization_id": 1,
        "place_id": 1,
        "success": !failed,
        "error_code": if failed { Some("fcd8ef") } else { None },
        "error_message": if failed { Some("Access denied.") } else { None },
        "message": message,
        "created_at": now.to_rfc3339_opts(SecondsFormat::Secs, true),
    });
    serde_json::to_vec(&body).expect("a JSON value always serialises")
}

/// A random version-4 UUID in its usual text form.
pub fn random_uuid() -> String {
    let mut b: [u8; 16] = rand::random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}

/// What the receiver answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub body: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("nothing answered at {url} — is `doorwatch serve` (or the app) running, and is the URL right?")]
    Unreachable { url: String },
    #[error("{url} did not answer within {secs} s")]
    Timeout { url: String, secs: u64 },
    #[error("{0:?} is not a usable URL (expected something like http://127.0.0.1:8787/webhooks/kisi)")]
    BadUrl(String),
    #[error("sending to {url} failed: {reason}")]
    Other { url: String, reason: String },
}

const TIMEOUT: Duration = Duration::from_secs(10);

/// Posts `body` as JSON to `url`, signed with `key` when there is one (`X-Signature: sha256=<hex>`).
pub async fn send(url: &str, body: Vec<u8>, key: Option<&SigningKey>) -> Result<Answer, SendError> {
    let parsed = reqwest::Url::parse(url).map_err(|_| SendError::BadUrl(url.to_owned()))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(SendError::BadUrl(url.to_owned()));
    }
    let client = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .user_agent(concat!("doorwatch-send-test/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| SendError::Other { url: url.to_owned(), reason: e.to_string() })?;
    let mut request = client.post(parsed).header("content-type", "application/json");
    if let Some(key) = key {
        request = request.header("x-signature", key.sign(&body));
    }
    let response = request.body(body).send().await.map_err(|e| {
        if e.is_timeout() {
            SendError::Timeout { url: url.to_owned(), secs: TIMEOUT.as_secs() }
        } else if e.is_connect() {
            SendError::Unreachable { url: url.to_owned() }
        } else {
            SendError::Other { url: url.to_owned(), reason: e.to_string() }
        }
    })?;
    let status = response.status().as_u16();
    let body = response.text().await.unwrap_or_default();
    Ok(Answer { status, body })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Event, EventKind};

    #[test]
    fn samples_parse_as_the_kind_they_claim() {
        let now = Utc::now();
        let ok = Event::from_json(&sample_event(false, now)).unwrap();
        let failed = Event::from_json(&sample_event(true, now)).unwrap();
        assert_eq!(ok.kind, EventKind::UnlockOk);
        assert_eq!(failed.kind, EventKind::UnlockFailed);
        assert_eq!(failed.error_message.as_deref(), Some("Access denied."));
        assert_ne!(ok.uuid, failed.uuid);
        assert_eq!(ok.created_at, Some(now.timestamp() * 1000));
    }

    #[test]
    fn uuids_look_like_version_4() {
        let u = random_uuid();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
    }
}
