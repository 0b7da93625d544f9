//! The words of an alert: the built-in rules keep the wording people know ("Refused at Main Entrance",
//! "3 failed unlocks at …"); a rule of the user's is named in the title, with what happened below it.

use super::builtin::Category;
use super::rules::{Rule, RuleAction};
use super::{Alert, AlertSettings};
use crate::event::{Event, EventKind};

/// What went into the alert.
pub(super) struct Said<'a> {
    pub rule: &'a Rule,
    /// Set for a built-in rule.
    pub category: Option<Category>,
    /// The event's local time, "21:14".
    pub at: String,
    /// Refused unlocks at this door within the burst window (0 when not counted).
    pub burst: u32,
    /// Matches of a counting rule within its window.
    pub seen: u32,
}

impl Said<'_> {
    pub(super) fn alert(&self, e: &Event, settings: &AlertSettings) -> Alert {
        let door = e.object_name.clone();
        let door_name = door.clone().unwrap_or_else(|| "a door".to_owned());
        let who = e.actor_label.clone().unwrap_or_else(|| "Someone".to_owned());
        let at = &self.at;
        let critical = self.rule.action == RuleAction::Critical;
        let threshold = settings.burst_threshold.max(2);
        let mut alert = Alert {
            key: e.uuid.clone(),
            title: String::new(),
            body: String::new(),
            event: Some(e.uuid.clone()),
            kind: Some(e.kind),
            door,
            replaces: false,
            urgent: critical || matches!(e.kind, EventKind::UnlockFailed | EventKind::ForcedOpen),
            rule: Some(self.rule.name.clone()),
            critical,
            incident: None,
            period: None,
            unlock: None,
        };
        if self.burst >= threshold {
            alert.key = format!("burst:{door_name}");
            alert.title = format!("{} failed unlocks at {door_name}", self.burst);
            alert.body = format!(
                "within {} · latest: {who} at {at}{}",
                describe_window(settings.burst_window_secs),
                reason(&e.error_message)
            );
            alert.replaces = self.burst > threshold;
            return alert;
        }
        if self.rule.count > 1 {
            alert.key = format!("rule:{}:{}", self.rule.name, door_name.to_lowercase());
            alert.title = format!("{}: {} at {door_name}", self.rule.name, self.seen);
            alert.body = format!("within {} min · latest: {}", self.rule.within_minutes, what_happened(e, &who, at));
            alert.replaces = self.seen > self.rule.count;
            return alert;
        }
        let (title, body) = match self.category {
            Some(Category::FailedUnlock) => {
                (format!("Refused at {door_name}"), format!("{who} at {at}{}", reason(&e.error_message)))
            }
            Some(Category::HeldOpen) => (format!("{door_name} held open"), format!("since {at}")),
            Some(Category::ForcedOpen) => (format!("{door_name} forced open"), format!("at {at}")),
            Some(Category::Tamper) => (format!("Tampering detected: {door_name}"), format!("{} at {at}", e.event_type)),
            Some(Category::IntegrationDisabled) => (
                "Kisi switched off the Doorwatch webhook".to_owned(),
                "after delivery errors — new door events will not arrive until it is re-enabled in Kisi".to_owned(),
            ),
            None => (self.rule.name.clone(), what_happened(e, &who, at)),
        };
        alert.urgent = alert.urgent || matches!(self.category, Some(Category::Tamper | Category::IntegrationDisabled));
        alert.title = title;
        alert.body = body;
        alert
    }
}

/// One event in a sentence: "Ada Lovelace unlocked Server room at 19:42".
pub fn what_happened(e: &Event, who: &str, at: &str) -> String {
    let door = e.object_name.as_deref().unwrap_or("a door");
    match e.kind {
        EventKind::UnlockOk => format!("{who} unlocked {door} at {at}"),
        EventKind::UnlockFailed => format!("{who} was refused at {door} at {at}{}", reason(&e.error_message)),
        EventKind::DoorOpened => format!("{door} opened at {at}"),
        EventKind::HeldOpen => format!("{door} held open since {at}"),
        EventKind::ForcedOpen => format!("{door} forced open at {at}"),
        EventKind::DoorClosed => format!("{door} closed at {at}"),
        EventKind::Login => format!("new login by {who} at {at}"),
        EventKind::RemoteUnlock if e.success == Some(false) => {
            format!("{who} asked to unlock {door} remotely at {at}; Kisi did not")
        }
        EventKind::RemoteUnlock => format!("{who} unlocked {door} remotely at {at}"),
        EventKind::Other => format!("{} at {door} at {at}", e.event_type),
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
