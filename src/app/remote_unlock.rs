//! "Let them in": one remote unlock that a person confirmed, sent to Kisi once, and recorded in the
//! store as Doorwatch's own event — who pressed it, on which computer, from where (the app or the
//! command line), and Kisi's answer — so the timeline shows who let whom in. Asking first is the
//! face's job (a dialog, a terminal prompt); by the time this runs, the person has said yes.

use std::sync::Arc;

use serde::Serialize;
use serde_json::json;

use super::Doorwatch;
use crate::alert::Alert;
use crate::event::{Event, EventKind, Source, REMOTE_UNLOCK_TYPE};
use crate::kisi::door_actions::DoorAnswer;
use crate::kisi::locks::Lock;
use crate::kisi::{rfc3339, Client};
use crate::store::{Delivery, Ingested, Store, StoreError, StoredEvent};

/// Who asked for the unlock, and from where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operator {
    /// The person logged in on this computer.
    pub person: String,
    pub computer: String,
    /// "the Doorwatch app", "the command line".
    pub via: &'static str,
}

impl Operator {
    /// The person logged in here, on this computer's name.
    pub fn here(via: &'static str) -> Operator {
        let person = ["USER", "USERNAME", "LOGNAME"]
            .iter()
            .find_map(|v| std::env::var(v).ok().filter(|s| !s.trim().is_empty()))
            .unwrap_or_else(|| "someone".to_owned());
        let computer = gethostname::gethostname().to_string_lossy().trim().to_owned();
        let computer = if computer.is_empty() { "this computer".to_owned() } else { computer };
        Operator { person, computer, via }
    }
}

/// What came of one confirmed unlock.
#[derive(Debug, Clone)]
pub struct RemoteUnlock {
    pub answer: DoorAnswer,
    /// The stored record's uuid, or why it could not be written (the door may have opened anyway).
    pub recorded: Result<String, String>,
}

impl RemoteUnlock {
    /// Kisi's answer, and a warning when the record is missing.
    pub fn describe(&self) -> String {
        match &self.recorded {
            Ok(_) => self.answer.words.clone(),
            Err(why) => format!("{} (Doorwatch could not record it: {why})", self.answer.words),
        }
    }
}

/// Asks Kisi once to unlock `lock`, then records the attempt, whatever Kisi answered.
pub async fn unlock(client: &Client, store: &Store, lock: &Lock, by: &Operator) -> RemoteUnlock {
    let answer = client.unlock(lock).await;
    let act = Act {
        event_type: REMOTE_UNLOCK_TYPE,
        object_type: "Lock",
        object_id: lock.id,
        name: &lock.name,
        place_id: lock.place_id,
        doing: format!("unlock {}", lock.name),
    };
    let recorded = keep(store, &act, by, &answer).await;
    RemoteUnlock { answer, recorded }
}

/// What Doorwatch asked Kisi to do at a door or a place, for the record.
pub struct Act<'a> {
    /// `doorwatch.remote_unlock`, `doorwatch.lockdown`…
    pub event_type: &'a str,
    /// `Lock` or `Place`.
    pub object_type: &'a str,
    pub object_id: i64,
    pub name: &'a str,
    pub place_id: Option<i64>,
    /// "unlock Main Entrance", "lock down every door of Berlin HQ".
    pub doing: String,
}

/// Writes the record of `act` and Kisi's answer; its uuid, or why it could not be written.
pub async fn keep(store: &Store, act: &Act<'_>, by: &Operator, answer: &DoorAnswer) -> Result<String, String> {
    let now = chrono::Utc::now().timestamp_millis();
    let event = record(act, by, answer, now);
    let uuid = event.uuid.clone();
    let stored = store.ingest(Delivery { event, received_at: now, verified: true, source: Source::Doorwatch }).await;
    let recorded = match stored {
        Ok(Ingested::Stored(_)) => Ok(uuid),
        Ok(other) => Err(format!("the store answered {other:?}")),
        Err(e) => Err(e.to_string()),
    };
    if let Err(why) = &recorded {
        tracing::error!(doing = %act.doing, %why, "a door action was not recorded");
    }
    recorded
}

/// The event that records an act at a door: of its type, at its lock or place, by the operator,
/// successful when Kisi did it, with Kisi's answer as its error when not.
pub fn record(act: &Act<'_>, by: &Operator, answer: &DoorAnswer, now: i64) -> Event {
    let uuid = format!("doorwatch-act-{now}-{:016x}", rand::random::<u64>());
    let body = json!({
        "uuid": uuid,
        "type": act.event_type,
        "actor_type": "User",
        "actor_name": by.person,
        "object_type": act.object_type,
        "object_id": act.object_id,
        "object_name": act.name,
        "place_id": act.place_id,
        "success": answer.done,
        "error_code": (!answer.done).then(|| answer.code.clone()).flatten(),
        "error_message": (!answer.done).then(|| answer.words.clone()),
        "message": format!("{} on {} asked Kisi to {} from {}: {}", by.person, by.computer, act.doing, by.via, answer.words),
        "created_at": rfc3339(now),
        "doorwatch": {
            "computer": by.computer,
            "via": by.via,
            "kisi_status": answer.status,
            "kisi_answer": answer.words,
        },
    });
    let raw = serde_json::to_vec(&body).expect("a JSON value serializes");
    Event::from_json(&raw).expect("Doorwatch's own record is an event")
}

/// The unlock the window offers for an event: its door, and who was refused there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct UnlockOffer {
    #[ts(type = "number")]
    pub lock_id: i64,
    pub door: String,
    /// Who was refused ("Ada Lovelace", "Access link: Plumber"), when Kisi named them.
    pub person: Option<String>,
    /// Who will be recorded as asking: "grace on front-desk-laptop".
    pub operator: String,
}

/// What came of an unlock or a lockdown asked for in the window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct DoorActDone {
    /// Kisi did it.
    pub done: bool,
    pub words: String,
}

/// The Kisi lock an event happened at, when Kisi named it by id (a refused unlock at a reader does).
pub fn lock_of(e: &Event) -> Option<Lock> {
    if e.object_type.as_deref().is_some_and(|t| t != "Lock") {
        return None;
    }
    Some(Lock {
        id: e.object_id?,
        name: e.object_name.clone().filter(|n| !n.trim().is_empty())?,
        place_id: e.place_id,
        place: None,
        online: None,
        open: false,
        unlocked: false,
        locked_down: false,
    })
}

impl Doorwatch {
    /// The shared Kisi client, when remote unlock is switched on and there is an API key.
    fn unlocking_client(&self) -> Result<Arc<Client>, String> {
        if !super::lock(&self.inner.config).settings.kisi.remote_unlock {
            return Err("Remote unlock is off: turn on “Let me unlock doors from Doorwatch” in Settings".to_owned());
        }
        self.with_online(|o| o.kisi().cloned())
            .flatten()
            .ok_or_else(|| "Remote unlock needs a Kisi API key: save one in Settings".to_owned())
    }

    /// What the window offers for the stored event `uuid`: for a refused unlock, its door's unlock;
    /// else nothing. Never for an unsigned delivery: anyone who knows the URL could invent "Ada was
    /// refused" to be let in.
    pub fn unlock_offer(&self, uuid: &str) -> Result<Option<UnlockOffer>, StoreError> {
        if self.unlocking_client().is_err() {
            return Ok(None);
        }
        let Some(stored) = self.read(|r| r.event(uuid))? else { return Ok(None) };
        if stored.unverified() || stored.event.kind != EventKind::UnlockFailed {
            return Ok(None);
        }
        let operator = Operator::here("the Doorwatch app");
        Ok(lock_of(&stored.event).map(|lock| UnlockOffer {
            lock_id: lock.id,
            door: lock.name,
            person: stored.event.actor_label.clone(),
            operator: format!("{} on {}", operator.person, operator.computer),
        }))
    }

    /// A refused unlock's alert with its "Unlock…" button, when the event offers one.
    pub(super) fn with_unlock(&self, mut alert: Alert, stored: &StoredEvent) -> Alert {
        let e = &stored.event;
        if e.kind == EventKind::UnlockFailed && !stored.unverified() && self.unlocking_client().is_ok() {
            alert.unlock = lock_of(e).map(|lock| lock.name);
        }
        alert
    }

    /// Asks Kisi once to unlock the door of the stored event `uuid` — the person confirmed in the
    /// window — and records it. An error says why nothing was asked.
    pub async fn unlock_door(&self, uuid: &str) -> Result<DoorActDone, String> {
        let client = self.unlocking_client()?;
        let store = self.store().ok_or("Doorwatch's store is not open, so the unlock could not be recorded")?;
        let stored =
            self.read(|r| r.event(uuid)).map_err(|e| e.to_string())?.ok_or("That event is no longer stored")?;
        if stored.unverified() {
            return Err(
                "That event was not signed by Kisi (anyone could have sent it), so Doorwatch does not unlock for it"
                    .into(),
            );
        }
        if stored.event.kind != EventKind::UnlockFailed {
            return Err("Doorwatch offers to unlock a door for a refused unlock only".into());
        }
        let lock = lock_of(&stored.event).ok_or("Kisi did not say which lock this event happened at")?;
        let done = unlock(&client, &store, &lock, &Operator::here("the Doorwatch app")).await;
        Ok(DoorActDone { done: done.answer.done, words: done.describe() })
    }
}
