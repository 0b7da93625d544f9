//! The organization's locks (`GET /locks`, API.md §7) and the remote unlock (`POST /locks/{id}/unlock`,
//! §9). An unlock acts on a real door, so it is sent exactly once, in its turn under Kisi's rate limit,
//! and never repeated on its own — not after a 429, a 5xx or a lost connection (the door may have
//! opened all the same). Whatever comes back is an [`UnlockAnswer`] in words, for the person who asked
//! and for the record.

use reqwest::{Method, StatusCode};
use serde::{Deserialize, Serialize};

use super::wire::error_message;
use super::{Client, KisiError};

/// A lock, as far as Doorwatch reads it.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct Lock {
    pub id: i64,
    pub name: String,
    #[serde(default)]
    pub place_id: Option<i64>,
    #[serde(default)]
    pub place: Option<LockPlace>,
    /// Null when Kisi does not know (API.md §11).
    #[serde(default)]
    pub online: Option<bool>,
    #[serde(default)]
    pub open: bool,
    #[serde(default)]
    pub unlocked: bool,
    #[serde(default)]
    pub locked_down: bool,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct LockPlace {
    pub id: i64,
    pub name: String,
}

impl Lock {
    /// "Main Entrance (Berlin HQ)", or just the name when Kisi gave no place.
    pub fn describe(&self) -> String {
        match &self.place {
            Some(place) => format!("{} ({})", self.name, place.name),
            None => self.name.clone(),
        }
    }
}

/// What Kisi said to one unlock request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnlockAnswer {
    pub unlocked: bool,
    /// The HTTP status, or `None` when no answer came.
    pub status: Option<u16>,
    /// Kisi's error code (`fad001`…), when it gave one.
    pub code: Option<String>,
    /// The answer in words, e.g. "Kisi unlocked Main Entrance." or why not and what to do.
    pub words: String,
}

impl Client {
    /// Every lock of the organization (Kisi pages them, at most 250 a page).
    pub async fn locks(&self) -> Result<Vec<Lock>, KisiError> {
        self.every("/locks", "list the doors").await
    }

    /// Asks Kisi once to unlock `lock` (its name is for the words). Never retried.
    pub async fn unlock(&self, lock: &Lock) -> UnlockAnswer {
        let path = format!("/locks/{}/unlock", lock.id);
        match self.attempt(&Method::POST, &path, None, false).await {
            Ok((status, _, body)) => unlock_answer(&lock.name, status, &body),
            Err(reason) => UnlockAnswer {
                unlocked: false,
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
}

/// Kisi's answer to `POST /locks/{id}/unlock` in words (API.md §9's statuses and codes).
pub fn unlock_answer(door: &str, status: StatusCode, body: &[u8]) -> UnlockAnswer {
    let code = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("code").and_then(|c| c.as_str()).map(str::to_owned));
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
    UnlockAnswer { unlocked: status.is_success(), status: Some(status.as_u16()), code, words }
}

/// The lock meant by `which`: an id, or a door's exact name in any case. A name two places share is
/// refused with both places named.
pub fn pick<'a>(locks: &'a [Lock], which: &str) -> Result<&'a Lock, String> {
    let which = which.trim();
    if let Ok(id) = which.parse::<i64>() {
        return locks.iter().find(|l| l.id == id).ok_or_else(|| format!("Kisi has no door with id {id}"));
    }
    let named: Vec<&Lock> = locks.iter().filter(|l| crate::alert::rules::same_name(&l.name, which)).collect();
    match named.as_slice() {
        [one] => Ok(one),
        [] => {
            let mut names: Vec<&str> = locks.iter().map(|l| l.name.as_str()).collect();
            names.sort_unstable();
            names.truncate(12);
            Err(format!("Kisi has no door named {which:?} (doors: {})", names.join(", ")))
        }
        many => {
            let ids: Vec<String> = many.iter().map(|l| format!("{} = {}", l.id, l.describe())).collect();
            Err(format!("{} doors are named {which:?}: give the id instead ({})", many.len(), ids.join("; ")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lock(id: i64, name: &str, place: &str) -> Lock {
        Lock {
            id,
            name: name.to_owned(),
            place_id: Some(1),
            place: Some(LockPlace { id: 1, name: place.to_owned() }),
            online: Some(true),
            open: false,
            unlocked: false,
            locked_down: false,
        }
    }

    #[test]
    fn every_refusal_says_why_in_words() {
        let said = |status: u16, body: &str| {
            unlock_answer("Main Entrance", StatusCode::from_u16(status).unwrap(), body.as_bytes())
        };
        let ok = said(200, r#"{"message":"Unlocked!"}"#);
        assert!(ok.unlocked && ok.words == "Kisi unlocked Main Entrance.");
        let denied = said(403, r#"{"error":"Access denied.","code":"fcd8ef"}"#);
        assert!(
            !denied.unlocked && denied.words.contains("role may not unlock") && denied.words.contains("Access denied.")
        );
        assert_eq!(denied.code.as_deref(), Some("fcd8ef"));
        assert!(said(409, r#"{"error":"x","code":"fad001"}"#).words.contains("locked down"));
        assert!(said(503, r#"{"error":"The wireless lock is offline.","code":"fad107"}"#).words.contains("offline"));
        assert!(said(404, "").words.contains("no longer has Main Entrance"));
        assert!(said(500, "oops").words.contains("500: oops"));
    }

    #[test]
    fn a_door_is_picked_by_id_or_exact_name_and_a_shared_name_is_refused() {
        let locks = [lock(1, "Main Entrance", "Berlin"), lock(2, "Back Door", "Berlin"), lock(3, "Back door", "Paris")];
        assert_eq!(pick(&locks, "2").unwrap().id, 2);
        assert_eq!(pick(&locks, " main entrance ").unwrap().id, 1);
        let shared = pick(&locks, "back door").unwrap_err();
        assert!(shared.contains("2 = Back Door (Berlin)") && shared.contains("3 = Back door (Paris)"), "{shared}");
        assert!(pick(&locks, "Main").unwrap_err().contains("no door named \"Main\""));
        assert!(pick(&locks, "9").unwrap_err().contains("no door with id 9"));
    }
}
