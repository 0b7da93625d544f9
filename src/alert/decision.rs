//! What the policy decides about one event — an [`Alert`] to show, or a [`Silence`] with its reason —
//! and how each is said in words (`doorwatch rules test`, the event's details panel).

use crate::event::EventKind;

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
    /// The rule that raised it (`None` for what Doorwatch reports about itself).
    pub rule: Option<String>,
    /// A critical rule's alert: it broke through quiet hours, a pause or a mute.
    pub critical: bool,
    /// The open door incident it is about, for "Acknowledge".
    pub incident: Option<i64>,
    /// The stretch of time it sums up (Unix ms, from and until), for "Open": the timeline filtered to it.
    pub period: Option<(i64, i64)>,
    /// The door a refused unlock's "Unlock…" button lets the person in at (remote unlock switched on,
    /// a Kisi key, an event at a Kisi lock); set by the running Doorwatch, not by the policy.
    pub unlock: Option<String>,
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
            rule: None,
            critical: false,
            incident: None,
            period: None,
            unlock: None,
        }
    }

    /// What `doorwatch serve` prints: `<rule name>: <title> — <body>`, or `<title>: <body>` when
    /// Doorwatch speaks for itself.
    pub fn line(&self) -> String {
        match &self.rule {
            Some(rule) if *rule != self.title => format!("{rule}: {} — {}", self.title, self.body),
            _ => format!("{}: {}", self.title, self.body),
        }
    }
}

/// Why an event did not alert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Silence {
    /// No rule, built-in or the user's, matches it.
    NotAlerting,
    /// The built-in rule that matches is switched off in `[alerts]`.
    SwitchedOff {
        rule: String,
        setting: &'static str,
    },
    /// The first matching rule says `silent`.
    SilentRule(String),
    /// The rule counts matches and has not seen enough yet.
    Counting {
        rule: String,
        seen: u32,
        needed: u32,
        within_minutes: u32,
    },
    AlreadyAlerted,
    Paused,
    DoorMuted,
    QuietHours,
    Stale,
    /// Unverified, and more unverified events than [`super::UNVERIFIED_ALERTS_PER_MINUTE`] alerted this
    /// minute.
    UnverifiedFlood,
}

impl Silence {
    /// The reason, in words.
    pub fn describe(&self) -> String {
        match self {
            Silence::NotAlerting => "no rule alerts on this kind of event".to_owned(),
            Silence::SwitchedOff { rule, setting } => format!("the built-in rule {rule:?} is switched off ({setting})"),
            Silence::SilentRule(rule) => format!("the rule {rule:?} says silent"),
            Silence::Counting { rule, seen, needed, within_minutes } => {
                format!("the rule {rule:?} needs {needed} within {within_minutes} min at this door; {seen} so far")
            }
            Silence::AlreadyAlerted => "it was alerted on already".to_owned(),
            Silence::Paused => "alerts were paused".to_owned(),
            Silence::DoorMuted => "this door was muted".to_owned(),
            Silence::QuietHours => "it was during quiet hours".to_owned(),
            Silence::Stale => "a backfill found it long after it happened".to_owned(),
            Silence::UnverifiedFlood => "too many unverified events were alerting (held back)".to_owned(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Notify(Alert),
    Silent(Silence),
}

impl Decision {
    /// The decision in one line: `<rule>: alert`, `<rule>: critical`, or `silent: <why>`.
    pub fn explain(&self) -> String {
        match self {
            Decision::Notify(alert) => {
                let action = if alert.critical { "critical" } else { "alert" };
                match &alert.rule {
                    Some(rule) => format!("{rule}: {action}"),
                    None => action.to_owned(),
                }
            }
            Decision::Silent(why) => format!("silent: {}", why.describe()),
        }
    }
}
