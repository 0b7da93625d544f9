//! The doors board: every Kisi lock with its place and its state now — online or offline, open,
//! locked down — the last event at it and any open incident. Kisi's `GET /locks` is read every few
//! minutes (one request per 250 locks, far under Kisi's 5 a second) and remembered in the store, so the
//! board answers offline and after a restart; the webhook's events since that read are newer, and win
//! (a door opened or closed a minute ago). A lock that goes offline or into lockdown (and back) is a
//! notice, once per change.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::online::Notice;
use super::remote_unlock::{keep, Act, DoorActDone, Operator};
use super::upkeep::Shared;
use crate::alert::rules::same_name;
use crate::alert::zone::Zone;
use crate::event::EventKind;
use crate::kisi::locks::Lock;
use crate::store::{MetaChange, Reader, Store, StoreError};

/// Where the last `GET /locks` is kept (JSON).
pub const META_KEY: &str = "kisi_locks";

/// The locks as Kisi last listed them, and when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Remembered {
    pub at: i64,
    pub locks: Vec<Lock>,
}

impl Remembered {
    pub fn read(reader: &Reader) -> Result<Option<Remembered>, StoreError> {
        Ok(reader.meta(META_KEY)?.and_then(|text| serde_json::from_str(&text).ok()))
    }

    async fn keep(&self, store: &Store) -> Result<(), StoreError> {
        let text = serde_json::to_string(self).expect("locks serialize");
        store.change_meta(META_KEY, MetaChange::Set(text)).await
    }
}

/// One door on the board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct DoorRow {
    #[ts(type = "number")]
    pub lock_id: i64,
    pub name: String,
    pub place: Option<String>,
    #[ts(type = "number | null")]
    pub place_id: Option<i64>,
    /// "Offline", "Locked down", "Forced open", "Held open" (an open incident), "Open", "Closed" (or
    /// "Unknown" when Kisi does not say).
    pub state: String,
    /// Kisi's flags, with newer webhook events applied.
    pub online: Option<bool>,
    pub open: bool,
    pub locked_down: bool,
    /// The last event at the door in words ("Ada Lovelace unlocked Main Entrance at 09:12"), and its uuid.
    pub last_event: Option<String>,
    pub last_event_uuid: Option<String>,
    /// An open door incident here: its id.
    #[ts(type = "number | null")]
    pub incident: Option<i64>,
}

/// The board, and how fresh it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct DoorsView {
    pub rows: Vec<DoorRow>,
    /// When Kisi last listed the locks (Unix ms).
    #[ts(type = "number | null")]
    pub as_of: Option<i64>,
    /// Why the last read failed, while it does.
    pub problem: Option<String>,
}

/// The board from the remembered locks, the store's newest events and open incidents.
pub fn board(reader: &Reader, locks: &[Lock], as_of: i64, zone: &Zone) -> Result<Vec<DoorRow>, StoreError> {
    let incidents = reader.open_incidents()?;
    let mut rows = Vec::with_capacity(locks.len());
    for lock in locks {
        let last = reader.last_event_at(&lock.name)?;
        let mut open = lock.open;
        if let Some(e) = last.as_ref().filter(|e| e.time() > as_of) {
            match e.event.kind {
                EventKind::DoorOpened | EventKind::HeldOpen | EventKind::ForcedOpen => open = true,
                EventKind::DoorClosed => open = false,
                _ => {}
            }
        }
        // An open incident means no close came since the door was held or forced open.
        let incident = incidents.iter().find(|i| same_name(&i.door, &lock.name));
        let state = match (lock.online, lock.locked_down, incident, open) {
            (Some(false), ..) => "Offline",
            (_, true, ..) => "Locked down",
            (_, _, Some(i), _) if i.kind == EventKind::ForcedOpen => "Forced open",
            (_, _, Some(_), _) => "Held open",
            (_, _, _, true) => "Open",
            (None, ..) => "Unknown",
            _ => "Closed",
        };
        let open = open || incident.is_some();
        let words = last.as_ref().map(|e| {
            let at = DateTime::<Utc>::from_timestamp_millis(e.time())
                .map(|t| zone.local(t).format("%a %H:%M").to_string())
                .unwrap_or_default();
            let who = e.event.actor_label.clone().unwrap_or_else(|| "Someone".to_owned());
            crate::alert::what_happened(&e.event, &who, &at)
        });
        rows.push(DoorRow {
            lock_id: lock.id,
            name: lock.name.clone(),
            place: lock.place.as_ref().map(|p| p.name.clone()),
            place_id: lock.place_id.or(lock.place.as_ref().map(|p| p.id)),
            state: state.to_owned(),
            online: lock.online,
            open,
            locked_down: lock.locked_down,
            last_event: words,
            last_event_uuid: last.map(|e| e.event.uuid),
            incident: incident.map(|i| i.id),
        });
    }
    Ok(rows)
}

/// What changed between two reads that deserves a notice: a lock gone offline or back, a lockdown
/// begun or lifted. Locks new to the list count as changed from "online, not locked down".
pub fn changes(before: Option<&[Lock]>, after: &[Lock]) -> Vec<Notice> {
    let mut notices = Vec::new();
    for lock in after {
        let was = before.and_then(|b| b.iter().find(|l| l.id == lock.id));
        let was_online = was.map_or(Some(true), |w| w.online);
        let was_locked_down = was.is_some_and(|w| w.locked_down);
        let door = lock.describe();
        if lock.online == Some(false) && was_online != Some(false) {
            notices.push(Notice::Door {
                lock: lock.id,
                title: format!("{} is offline", lock.name),
                body: format!("Kisi cannot reach {door}: nobody can unlock it from Kisi until it is back"),
                urgent: true,
            });
        } else if lock.online == Some(true) && was_online == Some(false) {
            notices.push(Notice::Door {
                lock: lock.id,
                title: format!("{} is back online", lock.name),
                body: format!("Kisi reaches {door} again"),
                urgent: false,
            });
        }
        if lock.locked_down != was_locked_down {
            let (title, body) = if lock.locked_down {
                (
                    format!("{} is locked down", lock.name),
                    format!("No one can unlock {door} until the lockdown is cancelled"),
                )
            } else {
                (format!("{}: lockdown lifted", lock.name), format!("{door} opens for its people again"))
            };
            notices.push(Notice::Door { lock: lock.id, title, body, urgent: lock.locked_down });
        }
    }
    notices
}

/// Reads Kisi's locks every `every` (and when asked: after a lockdown here), remembers them, and tells
/// what changed. Without an API key it does nothing.
pub(super) async fn refresh(shared: Arc<Shared>, store: Store, every: Duration) {
    let Some(client) = shared.kisi.clone() else { return };
    loop {
        let now = Utc::now().timestamp_millis();
        match client.locks().await {
            Ok(locks) => {
                let before = store.reader().ok().and_then(|r| Remembered::read(&r).ok().flatten());
                for notice in changes(before.as_ref().map(|b| b.locks.as_slice()), &locks) {
                    shared.notify(notice);
                }
                if let Err(e) = (Remembered { at: now, locks }).keep(&store).await {
                    tracing::warn!(error = %e, "cannot keep the doors Kisi listed");
                }
                shared.status.send_if_modified(|s| s.doors_problem.take().is_some());
            }
            Err(e) => {
                tracing::info!(error = %e, "cannot read Kisi's doors; the board shows the last known");
                let problem = Some(e.to_string());
                shared.status.send_if_modified(|s| std::mem::replace(&mut s.doors_problem, problem.clone()) != problem);
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = shared.refresh_doors.notified() => {}
        }
    }
}

/// The type of Doorwatch's record of a lockdown it asked for, and of its cancelling.
pub const LOCKDOWN_TYPE: &str = "doorwatch.lockdown";
pub const CANCEL_LOCKDOWN_TYPE: &str = "doorwatch.cancel_lockdown";

impl super::Doorwatch {
    /// The doors board: the remembered locks with the store's newer events and open incidents.
    pub fn doors_view(&self) -> Result<DoorsView, StoreError> {
        let zone = self.zone();
        let problem = self.running().borrow().online.as_ref().and_then(|o| o.doors_problem.clone());
        self.read(|r| match Remembered::read(r)? {
            Some(known) => {
                Ok(DoorsView { rows: board(r, &known.locks, known.at, &zone)?, as_of: Some(known.at), problem })
            }
            None => Ok(DoorsView { rows: Vec::new(), as_of: None, problem }),
        })
    }

    /// Locks down (`on`) a door of the board, or every door of its place (`whole_place`), or cancels
    /// that lockdown — the person confirmed in the window. Sent once, recorded, then the board is read
    /// again from Kisi. An error says why nothing was asked.
    pub async fn lockdown(&self, lock_id: i64, whole_place: bool, on: bool) -> Result<DoorActDone, String> {
        use crate::kisi::door_actions::Target;
        let client = self
            .with_online(|o| o.kisi().cloned())
            .flatten()
            .ok_or("Lockdown needs a Kisi API key: save one in Settings")?;
        let store = self.store().ok_or("Doorwatch's store is not open, so the lockdown could not be recorded")?;
        let known = self.read(Remembered::read).map_err(|e| e.to_string())?;
        let lock = known
            .and_then(|k| k.locks.into_iter().find(|l| l.id == lock_id))
            .ok_or("Doorwatch does not know that door (yet): wait for the board to be read from Kisi")?;
        let target = match (&lock.place, whole_place) {
            (Some(place), true) => Target::Place { id: place.id, name: place.name.clone() },
            (None, true) => return Err(format!("Kisi did not say which place {} belongs to", lock.name)),
            (_, false) => Target::Lock { id: lock.id, name: lock.name.clone() },
        };
        let answer = client.lockdown(&target, on).await;
        let (object_type, object_id, name) = match &target {
            Target::Lock { id, name } => ("Lock", *id, name.as_str()),
            Target::Place { id, name } => ("Place", *id, name.as_str()),
        };
        let doing = if on {
            format!("lock down {}", target.describe())
        } else {
            format!("cancel the lockdown of {}", target.describe())
        };
        let act = Act {
            event_type: if on { LOCKDOWN_TYPE } else { CANCEL_LOCKDOWN_TYPE },
            object_type,
            object_id,
            name,
            place_id: lock.place_id,
            doing,
        };
        let recorded = keep(&store, &act, &Operator::here("the Doorwatch app"), &answer).await;
        self.with_online(|o| o.refresh_doors());
        let words = match recorded {
            Ok(_) => answer.words.clone(),
            Err(why) => format!("{} (Doorwatch could not record it: {why})", answer.words),
        };
        Ok(DoorActDone { done: answer.done, words })
    }
}
