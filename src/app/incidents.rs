//! The running Doorwatch's incident reminders: while a door stays held or forced open, its
//! notification repeats every `alerts.incident_repeat_minutes`, until the door closes (live or
//! backfilled — the store ends the incident) or someone acknowledges it. A repeat is recorded in the
//! store before it is shown, so an incident that ended meanwhile is never nagged about, and
//! [`super::Running::open_incidents`] follows the count (the tray's attention).
//!
//! It sleeps until the next repeat is due, waking early only for events that open or end an
//! incident and for a person's acknowledgment; with no incident open it barely wakes at all.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::time::Instant;

use super::{lock, Doorwatch};
use crate::alert::incident;
use crate::event::EventKind;
use crate::store::{Incident, IncidentEnd, StoredEvent};

/// The longest sleep while an incident is open (a laptop's sleep stops the monotonic clock, so a
/// long timer could fire late after it wakes).
const AWAKE_CHECK: Duration = Duration::from_secs(60);
/// The longest sleep with no incident open.
const IDLE_CHECK: Duration = Duration::from_secs(600);

pub(super) async fn remind(doorwatch: Doorwatch, mut feed: broadcast::Receiver<Arc<StoredEvent>>) {
    // Incidents due but held back (paused, muted, quiet hours): asked again a minute later, not at once.
    let mut held_back: HashMap<i64, i64> = HashMap::new();
    let mut open: Vec<Incident> = Vec::new();
    loop {
        let before = std::mem::take(&mut open);
        open = match doorwatch.read(|r| r.open_incidents()) {
            Ok(open) => open,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the open incidents; trying again in a minute");
                before.clone()
            }
        };
        doorwatch.inner.running.send_if_modified(|r| {
            let count = open.len() as u32;
            std::mem::replace(&mut r.open_incidents, count) != count
        });
        say_closed(&doorwatch, &before, &open);
        let every = lock(&doorwatch.inner.policy).settings().incident_repeat_minutes;
        let now = Utc::now().timestamp_millis();
        held_back.retain(|id, _| open.iter().any(|i| i.id == *id));
        for due in incident::due(&open, every, now) {
            if held_back.get(&due.id).is_some_and(|held| now - held < AWAKE_CHECK.as_millis() as i64) {
                continue;
            }
            if !nag(&doorwatch, due, now).await {
                held_back.insert(due.id, now);
            }
        }
        let retry = AWAKE_CHECK.as_millis() as i64;
        let next = open
            .iter()
            .filter_map(|i| {
                let at = incident::next_reminder(i, every)?;
                Some(held_back.get(&i.id).map_or(at, |held| at.max(held + retry)))
            })
            .min();
        let wait = match next {
            Some(at) => Duration::from_millis((at - now).clamp(1_000, retry) as u64),
            None if open.is_empty() => IDLE_CHECK,
            None => AWAKE_CHECK,
        };
        if !sleep_until_relevant(&doorwatch, &mut feed, Instant::now() + wait).await {
            return;
        }
    }
}

/// Shows one repeat, unless alerts are held back; true when it was shown (or the incident ended).
async fn nag(doorwatch: &Doorwatch, due: &Incident, now: i64) -> bool {
    let local = doorwatch.zone().local(Utc::now());
    let alert = incident::reminder(due, &local);
    if let Some(why) = lock(&doorwatch.inner.policy).holding_back(alert.door.as_deref(), &local) {
        tracing::debug!(incident = due.id, ?why, "incident repeat held back");
        return false;
    }
    let Some(store) = doorwatch.store() else { return true };
    match store.record_reminder(due.id, now).await {
        Ok(true) => {
            let _ = doorwatch.inner.alerts.send(alert);
            true
        }
        Ok(false) => true, // it ended meanwhile
        Err(e) => {
            tracing::warn!(error = %e, "cannot record an incident repeat; not showing it");
            false
        }
    }
}

/// An incident that was nagged about and has now closed: its notification says so, in place.
fn say_closed(doorwatch: &Doorwatch, before: &[Incident], open: &[Incident]) {
    for gone in before.iter().filter(|b| b.reminders > 0 && !open.iter().any(|o| o.id == b.id)) {
        let Ok(Some(ended)) = doorwatch.read(|r| r.incident(gone.id)) else { continue };
        if ended.ended_by != Some(IncidentEnd::Closed) {
            continue; // acknowledged: the person knows
        }
        let door = if ended.door.is_empty() { "The door" } else { ended.door.as_str() };
        let mut alert = incident::reminder(&ended, &doorwatch.zone().local(Utc::now()));
        alert.title = format!("{door} closed");
        alert.body = format!("after {} open", incident::how_long(ended.open_for(Utc::now().timestamp_millis())));
        alert.urgent = false;
        alert.incident = None;
        let _ = doorwatch.inner.alerts.send(alert);
    }
}

/// Waits until `deadline`, an event that opens or ends an incident, or a person's change. False when
/// the feed has closed (Doorwatch is stopping).
async fn sleep_until_relevant(
    doorwatch: &Doorwatch,
    feed: &mut broadcast::Receiver<Arc<StoredEvent>>,
    deadline: Instant,
) -> bool {
    loop {
        tokio::select! {
            _ = tokio::time::sleep_until(deadline) => return true,
            _ = doorwatch.inner.incidents_changed.notified() => return true,
            event = feed.recv() => match event {
                Ok(e) if matches!(e.event.kind, EventKind::HeldOpen | EventKind::ForcedOpen | EventKind::DoorClosed) => {
                    return true
                }
                Ok(_) => {}
                Err(RecvError::Lagged(_)) => return true,
                Err(RecvError::Closed) => return false,
            },
        }
    }
}
