//! What acts on a real door: the remote unlock (`POST /locks/{id}/unlock`, API.md §9) and lockdown of a
//! lock or a place (§10). Each is sent exactly once, in its turn under Kisi's rate limit, and never
//! repeated on its own — not after a 429, a 5xx or a lost connection (it may have happened all the
//! same). Whatever comes back is a [`DoorAnswer`] in words, for the person who asked and for the record.

use reqwest::{Method, StatusCode};
use serde::Serialize;

use super::locks::Lock;
use super::wire::error_message;
use super::Client;

/// What Kisi said to one request that acts on a door.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DoorAnswer {
    /// Kisi did it.
    pub done: bool,
    /// The HTTP status, or `None` when no answer came.
    pub status: Option<u16>,
    /// Kisi's error code (`fad001`…), when it gave one.
    pub code: Option<String>,
    /// The answer in words, e.g. "Kisi unlocked Main Entrance." or why not and what to do.
    pub words: String,
}

/// What a lockdown is about: one lock, or every door of a place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Lock { id: i64, name: String },
    Place { id: i64, name: String },
}

impl Target {
    fn path(&self, on: bool) -> String {
        let verb = if on { "lock_down" } else { "cancel_lockdown" };
        match self {
            Target::Lock { id, .. } => format!("/locks/{id}/{verb}"),
            Target::Place { id, .. } => format!("/places/{id}/{verb}"),
        }
    }

    /// "Main Entrance", "every door of Berlin HQ".
    pub fn describe(&self) -> String {
        match self {
            Target::Lock { name, .. } => name.clone(),
            Target::Place { name, .. } => format!("every door of {name}"),
        }
    }
}

impl Client {
    /// Asks Kisi once to unlock `lock` (its name is for the words). Never retried.
    pub async fn unlock(&self, lock: &Lock) -> DoorAnswer {
        let path = format!("/locks/{}/unlock", lock.id);
        match self.attempt(&Method::POST, &path, None, false).await {
            Ok((status, _, body)) => unlock_answer(&lock.name, status, &body),
            Err(reason) => DoorAnswer {
                done: false,
                status: None,
                code: None,
                words: format!(
                    "No answer from Kisi ({reason}). {} may or may not have unlocked: look at the timeline \
                     before trying again.",
                    lock.name
                ),
            },
        }
    }

    /// Asks Kisi once to lock down `target` (`on`) or to cancel its lockdown. Never retried.
    pub async fn lockdown(&self, target: &Target, on: bool) -> DoorAnswer {
        match self.attempt(&Method::POST, &target.path(on), None, false).await {
            Ok((status, _, body)) => lockdown_answer(target, on, status, &body),
            Err(reason) => DoorAnswer {
                done: false,
                status: None,
                code: None,
                words: format!(
                    "No answer from Kisi ({reason}). The lockdown of {} may or may not have changed: look at the \
                     doors board before trying again.",
                    target.describe()
                ),
            },
        }
    }
}

/// Kisi's `code` from an error body, if any.
fn kisi_code(body: &[u8]) -> Option<String> {
    serde_json::from_slice::<serde_json::Value>(body).ok()?.get("code")?.as_str().map(str::to_owned)
}

/// Kisi's answer to `POST /locks/{id}/unlock` in words (API.md §9's statuses and codes).
pub fn unlock_answer(door: &str, status: StatusCode, body: &[u8]) -> DoorAnswer {
    let code = kisi_code(body);
    let said = error_message(body);
    let words = match (status.as_u16(), code.as_deref()) {
        (200..=299, _) => format!("Kisi unlocked {door}."),
        (401, _) => "Kisi refused the API key (401): check it in Settings. The door was not unlocked.".to_owned(),
        (403, _) => format!(
            "Kisi did not unlock {door}: your API key's role may not unlock this door (403: {said}). Kisi's \
             roles say who can — an access manager or administrator of the place."
        ),
        (404, _) => format!("Kisi no longer has {door} (404): it was deleted, or this API key cannot see it."),
        (409, Some("fad001")) => {
            format!("{door} is locked down (409): no one can unlock it until the lockdown is cancelled.")
        }
        (409, Some("fad002")) => format!(
            "The place of {door} is locked down (409): no one can unlock its doors until the lockdown is cancelled."
        ),
        (409, Some("fad112")) => format!("An unlock of {door} is already in progress (409): wait a few seconds."),
        (422, _) => format!("Kisi did not accept the unlock of {door} (422: {said})."),
        (429, _) => format!("Kisi asked Doorwatch to slow down (429); {door} was not unlocked. Try again in a moment."),
        (503, Some("fad107")) => format!("{door} is offline (503: {said}): its wireless lock cannot be reached."),
        (503, Some("fac001")) => {
            format!("The Kisi controller of {door} is unavailable (503): check its power and network.")
        }
        (503, Some("fbc000")) => {
            format!("The Kisi controller of {door} is updating its firmware (503): try again in a few seconds.")
        }
        (s, _) if s >= 500 => format!("Kisi could not unlock {door} right now ({s}: {said})."),
        (s, _) => format!("Kisi did not unlock {door} ({s}: {said})."),
    };
    DoorAnswer { done: status.is_success(), status: Some(status.as_u16()), code, words }
}

/// Kisi's answer to a lockdown or its cancelling, in words (API.md §10: 204, or 401/403/404).
pub fn lockdown_answer(target: &Target, on: bool, status: StatusCode, body: &[u8]) -> DoorAnswer {
    let what = target.describe();
    let said = error_message(body);
    let words = match status.as_u16() {
        200..=299 if on => format!("Kisi locked down {what}: no one can unlock it until the lockdown is cancelled."),
        200..=299 => format!("Kisi cancelled the lockdown of {what}."),
        401 => "Kisi refused the API key (401): check it in Settings. Nothing changed.".to_owned(),
        403 => format!(
            "Kisi did not change the lockdown of {what}: your API key's role may not (403: {said}). Lockdown is for \
             place administrators."
        ),
        404 => format!("Kisi no longer has {what} (404): it was deleted, or this API key cannot see it."),
        429 => format!(
            "Kisi asked Doorwatch to slow down (429); the lockdown of {what} did not change. Try again in a moment."
        ),
        s => format!("Kisi did not change the lockdown of {what} ({s}: {said})."),
    };
    DoorAnswer { done: status.is_success(), status: Some(status.as_u16()), code: kisi_code(body), words }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refusal_says_why_in_words() {
        let said = |status: u16, body: &str| {
            unlock_answer("Main Entrance", StatusCode::from_u16(status).unwrap(), body.as_bytes())
        };
        let ok = said(200, r#"{"message":"Unlocked!"}"#);
        assert!(ok.done && ok.words == "Kisi unlocked Main Entrance.");
        let denied = said(403, r#"{"error":"Access denied.","code":"fcd8ef"}"#);
        assert!(
            !denied.done && denied.words.contains("role may not unlock") && denied.words.contains("Access denied.")
        );
        assert_eq!(denied.code.as_deref(), Some("fcd8ef"));
        assert!(said(409, r#"{"error":"x","code":"fad001"}"#).words.contains("locked down"));
        assert!(said(503, r#"{"error":"The wireless lock is offline.","code":"fad107"}"#).words.contains("offline"));
        assert!(said(404, "").words.contains("no longer has Main Entrance"));
        assert!(said(500, "oops").words.contains("500: oops"));
    }

    #[test]
    fn a_lockdown_answer_says_what_changed_or_why_not() {
        let door = Target::Lock { id: 1, name: "Main Entrance".into() };
        let ok = lockdown_answer(&door, true, StatusCode::NO_CONTENT, b"");
        assert!(ok.done && ok.words.starts_with("Kisi locked down Main Entrance"), "{}", ok.words);
        let place = Target::Place { id: 2, name: "Berlin HQ".into() };
        assert_eq!(
            lockdown_answer(&place, false, StatusCode::NO_CONTENT, b"").words,
            "Kisi cancelled the lockdown of every door of Berlin HQ."
        );
        let denied =
            lockdown_answer(&door, true, StatusCode::FORBIDDEN, br#"{"error":"Access denied.","code":"afc496"}"#);
        assert!(!denied.done && denied.words.contains("place administrators"), "{}", denied.words);
        assert_eq!(Target::Place { id: 2, name: String::new() }.path(false), "/places/2/cancel_lockdown");
    }
}
