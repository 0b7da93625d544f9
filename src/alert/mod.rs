//! The alert policy: which stored events tap the office manager on the shoulder, and how, decided as a
//! pure function of the event, the settings, what was alerted before, and the clock passed in. The
//! desktop shell only shows what this decides, so every rule here is tested without a display or a
//! notification daemon.
//!
//! Noise control: a burst of failures at one door (by default three within a minute) becomes one summary
//! that is updated rather than repeated; an event already alerted on never alerts again; pausing, muting
//! a door and quiet hours silence alerts; events that happened long ago (found by a backfill) do not
//! interrupt anyone.

mod flood;
mod settings;
pub mod text;

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};

use crate::event::{EventKind, Source};
use crate::store::StoredEvent;
pub use flood::{FLOOD_KEY, UNVERIFIED_ALERTS_PER_MINUTE};
pub use settings::{silence_warning, AlertSettings};

/// The next local midnight after `now` (in `now`'s zone), for "Pause alerts until tomorrow"; a day
/// later when that midnight does not exist (a DST change at midnight).
pub fn next_local_midnight<Tz: TimeZone>(now: &DateTime<Tz>) -> DateTime<Utc> {
    let midnight = (now.date_naive() + chrono::Days::new(1)).and_hms_opt(0, 0, 0).expect("midnight exists");
    now.timezone()
        .from_local_datetime(&midnight)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| now.with_timezone(&Utc) + chrono::Duration::hours(24))
}

/// Backfilled events (found after the laptop slept) that happened longer ago than this are stored and
/// shown, but do not raise a notification.
pub const STALE_AFTER: Duration = Duration::from_secs(15 * 60);

/// What to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    /// Alerts with the same key replace each other on screen (a burst's summary updates in place).
    pub key: String,
    pub title: String,
    pub body: String,
    /// The event the alert is about (its uuid, for "Open": the timeline at that event); `None` for
    /// what Doorwatch itself reports (caught up, webhook off, silent doors).
    pub event: Option<String>,
    /// The kind of that event (the tray's attention state counts refused unlocks).
    pub kind: Option<EventKind>,
    /// The door, for "Mute this door for 1 hour".
    pub door: Option<String>,
    /// True when this updates an alert already shown under the same key.
    pub replaces: bool,
    pub urgent: bool,
}

impl Alert {
    /// An alert about Doorwatch itself rather than a door event: no event to open, no door to mute.
    pub fn about_doorwatch(key: &str, title: &str, body: String, urgent: bool) -> Alert {
        Alert {
            key: key.to_owned(),
            title: title.to_owned(),
            body,
            event: None,
            kind: None,
            door: None,
            replaces: false,
            urgent,
        }
    }
}

/// Why an event did not alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Silence {
    NotAlerting,
    SwitchedOff,
    AlreadyAlerted,
    Paused,
    DoorMuted,
    QuietHours,
    Stale,
    /// Unverified, and more unverified events than [`UNVERIFIED_ALERTS_PER_MINUTE`] alerted this minute.
    UnverifiedFlood,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Notify(Alert),
    Silent(Silence),
}

/// How many alerted uuids are remembered to keep a re-delivery from alerting twice.
const REMEMBERED: usize = 4096;

/// The policy with its memory. One per app.
#[derive(Debug, Default)]
pub struct AlertPolicy {
    settings: AlertSettings,
    paused_until: Option<DateTime<Utc>>,
    muted: HashMap<String, DateTime<Utc>>,
    /// Recent failure times per door, for burst detection.
    failures: HashMap<String, VecDeque<DateTime<Utc>>>,
    seen: HashSet<String>,
    seen_order: VecDeque<String>,
    flood: flood::FloodGate,
}

impl AlertPolicy {
    pub fn new(settings: AlertSettings) -> AlertPolicy {
        AlertPolicy { settings, ..AlertPolicy::default() }
    }

    pub fn settings(&self) -> &AlertSettings {
        &self.settings
    }

    pub fn set_settings(&mut self, settings: AlertSettings) {
        self.settings = settings;
    }

    /// No alerts until `until`.
    pub fn pause_until(&mut self, until: DateTime<Utc>) {
        self.paused_until = Some(until);
    }

    pub fn resume(&mut self) {
        self.paused_until = None;
    }

    /// When alerts are paused, until when.
    pub fn paused_until(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.paused_until.filter(|t| *t > now)
    }

    /// No alerts for `door` until `until`.
    pub fn mute_door(&mut self, door: &str, until: DateTime<Utc>) {
        self.muted.insert(door.to_owned(), until);
    }

    /// Decides about one newly stored event. `now` carries the local time zone, for quiet hours and
    /// for the times written in the alert.
    pub fn decide<Tz: TimeZone>(&mut self, stored: &StoredEvent, now: DateTime<Tz>) -> Decision
    where
        Tz::Offset: std::fmt::Display,
    {
        let e = &stored.event;
        let category = match Category::of(e.kind, &e.event_type) {
            Some(c) => c,
            None => return Decision::Silent(Silence::NotAlerting),
        };
        if !category.enabled(&self.settings) {
            return Decision::Silent(Silence::SwitchedOff);
        }
        if !self.remember(&e.uuid) {
            return Decision::Silent(Silence::AlreadyAlerted);
        }
        let utc = now.with_timezone(&Utc);
        // Only what a backfill found can be old news. A webhook delivery is live whatever its
        // `created_at` says: Kisi's clock and this laptop's differ, and a clock 15 minutes fast must not
        // silence every alert.
        let age = utc.timestamp_millis() - stored.time();
        if stored.source == Source::Backfill && age > STALE_AFTER.as_millis() as i64 {
            return Decision::Silent(Silence::Stale);
        }
        let door = e.object_name.clone();
        // Bursts are counted even while silenced, so a summary after a pause tells the whole story.
        let burst = if category == Category::FailedUnlock { self.count_failure(door.as_deref(), utc) } else { 0 };
        if self.paused_until(utc).is_some() {
            return Decision::Silent(Silence::Paused);
        }
        if let Some(d) = &door {
            if self.muted.get(d).is_some_and(|until| *until > utc) {
                return Decision::Silent(Silence::DoorMuted);
            }
        }
        if self.in_quiet_hours(&now) {
            return Decision::Silent(Silence::QuietHours);
        }
        let at = DateTime::<Utc>::from_timestamp_millis(stored.time())
            .map(|t| t.with_timezone(&now.timezone()).format("%H:%M").to_string())
            .unwrap_or_default();
        let door_name = door.clone().unwrap_or_else(|| "a door".to_owned());
        let who = e.actor_label.clone().unwrap_or_else(|| "Someone".to_owned());
        let alert = match category {
            Category::FailedUnlock if burst >= self.settings.burst_threshold.max(2) => Alert {
                key: format!("burst:{door_name}"),
                title: format!("{burst} failed unlocks at {door_name}"),
                body: format!(
                    "within {} · latest: {who} at {at}{}",
                    describe_window(self.settings.burst_window_secs),
                    reason(&e.error_message)
                ),
                event: Some(e.uuid.clone()),
                kind: Some(e.kind),
                door,
                replaces: burst > self.settings.burst_threshold.max(2),
                urgent: true,
            },
            Category::FailedUnlock => Alert {
                key: e.uuid.clone(),
                title: format!("Refused at {door_name}"),
                body: format!("{who} at {at}{}", reason(&e.error_message)),
                event: Some(e.uuid.clone()),
                kind: Some(e.kind),
                door,
                replaces: false,
                urgent: true,
            },
            Category::HeldOpen => simple(e, door, format!("{door_name} held open"), format!("since {at}"), false),
            Category::ForcedOpen => simple(e, door, format!("{door_name} forced open"), format!("at {at}"), true),
            Category::Tamper => {
                simple(e, door, format!("Tampering detected: {door_name}"), format!("{} at {at}", e.event_type), true)
            }
            Category::IntegrationDisabled => simple(
                e,
                door,
                "Kisi switched off the Doorwatch webhook".to_owned(),
                "after delivery errors — new door events will not arrive until it is re-enabled in Kisi".to_owned(),
                true,
            ),
        };
        if !stored.unverified() {
            return Decision::Notify(alert);
        }
        match self.flood.admit(utc) {
            flood::Gate::Pass => Decision::Notify(flood::mark_unverified(alert)),
            flood::Gate::Summary => Decision::Notify(flood::summary()),
            flood::Gate::Hold => Decision::Silent(Silence::UnverifiedFlood),
        }
    }

    /// Remembers `uuid`; false if it was already remembered.
    fn remember(&mut self, uuid: &str) -> bool {
        if !self.seen.insert(uuid.to_owned()) {
            return false;
        }
        self.seen_order.push_back(uuid.to_owned());
        if self.seen_order.len() > REMEMBERED {
            if let Some(old) = self.seen_order.pop_front() {
                self.seen.remove(&old);
            }
        }
        true
    }

    /// Records a failure at `door` and returns how many fell within the burst window.
    fn count_failure(&mut self, door: Option<&str>, now: DateTime<Utc>) -> u32 {
        let window = chrono::Duration::seconds(self.settings.burst_window_secs as i64);
        let times = self.failures.entry(door.unwrap_or_default().to_owned()).or_default();
        times.push_back(now);
        while times.front().is_some_and(|t| now - *t > window) {
            times.pop_front();
        }
        times.len() as u32
    }

    fn in_quiet_hours<Tz: TimeZone>(&self, now: &DateTime<Tz>) -> bool {
        let (Some(from), Some(until)) = (self.settings.quiet_from, self.settings.quiet_until) else {
            return false;
        };
        let t = now.time();
        if from <= until {
            from <= t && t < until
        } else {
            t >= from || t < until // across midnight
        }
    }
}

fn simple(e: &crate::event::Event, door: Option<String>, title: String, body: String, urgent: bool) -> Alert {
    Alert {
        key: e.uuid.clone(),
        title,
        body,
        event: Some(e.uuid.clone()),
        kind: Some(e.kind),
        door,
        replaces: false,
        urgent,
    }
}

fn reason(error: &Option<String>) -> String {
    error.as_deref().map(|m| format!(" — {m}")).unwrap_or_default()
}

fn describe_window(secs: u64) -> String {
    match secs {
        60 => "a minute".to_owned(),
        s if s % 60 == 0 => format!("{} minutes", s / 60),
        s => format!("{s} seconds"),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Category {
    FailedUnlock,
    HeldOpen,
    ForcedOpen,
    Tamper,
    IntegrationDisabled,
}

impl Category {
    fn of(kind: EventKind, event_type: &str) -> Option<Category> {
        match (kind, event_type) {
            (EventKind::UnlockFailed, _) => Some(Category::FailedUnlock),
            (EventKind::HeldOpen, _) => Some(Category::HeldOpen),
            (EventKind::ForcedOpen, _) => Some(Category::ForcedOpen),
            (_, "reader.tamper" | "controller.tamper" | "controller_input.tamper" | "wireless_lock.tampered") => {
                Some(Category::Tamper)
            }
            (_, "integration.disable_due_to_error") => Some(Category::IntegrationDisabled),
            _ => None,
        }
    }

    fn enabled(self, s: &AlertSettings) -> bool {
        match self {
            Category::FailedUnlock => s.failed_unlocks,
            Category::HeldOpen => s.held_open,
            Category::ForcedOpen => s.forced_open,
            Category::Tamper => s.tamper,
            Category::IntegrationDisabled => s.integration_disabled,
        }
    }
}
