//! What a person does to the running Doorwatch's alerts: pause and resume them, mute a door for an
//! hour, acknowledge a door incident; and what they can ask of it (the zone, why an event alerted).

use chrono::{DateTime, Utc};

use super::{lock, Doorwatch};
use crate::alert::zone::Zone;
use crate::store::StoreError;

impl Doorwatch {
    /// Pauses alerts until `until`, or resumes them with `None`.
    pub fn pause_alerts(&self, until: Option<DateTime<Utc>>) {
        {
            let mut policy = lock(&self.inner.policy);
            match until {
                Some(t) => policy.pause_until(t),
                None => policy.resume(),
            }
        }
        self.inner.running.send_modify(|r| r.alerts_paused_until = until.map(|t| t.timestamp_millis()));
    }

    /// When alerts are paused, until when.
    pub fn alerts_paused_until(&self) -> Option<DateTime<Utc>> {
        lock(&self.inner.policy).paused_until(Utc::now())
    }

    /// The office's local time zone, as the rules use it.
    pub fn zone(&self) -> Zone {
        *lock(&self.inner.zone)
    }

    /// What the alert policy decided about a recent event, in words ("Refused unlocks: alert",
    /// "silent: …"); `None` for events decided before this start.
    pub fn explanation(&self, uuid: &str) -> Option<String> {
        lock(&self.inner.policy).explanation(uuid).map(str::to_owned)
    }

    /// "Mute this door for 1 hour".
    pub fn mute_door_for_an_hour(&self, door: &str) {
        lock(&self.inner.policy).mute_door(door, Utc::now() + chrono::Duration::hours(1));
    }

    /// Acknowledge: someone is on it, so the incident stops repeating. False when it was no longer
    /// open (the door closed meanwhile, or it was acknowledged elsewhere).
    pub async fn acknowledge_incident(&self, id: i64) -> Result<bool, StoreError> {
        let store = self.store().ok_or(StoreError::Closed)?;
        let acknowledged = store.acknowledge_incident(id, Utc::now().timestamp_millis()).await?;
        if acknowledged {
            tracing::info!(incident = id, "door incident acknowledged");
            self.inner.incidents_changed.notify_one();
        }
        Ok(acknowledged)
    }
}
