//! The nagging of a door incident: while a door stays held or forced open, its notification repeats
//! every few minutes, saying how long, until the door closes or someone acknowledges it. Pure: the
//! incidents and the clock are passed in.

use chrono::{DateTime, TimeZone, Utc};

use super::Alert;
use crate::event::EventKind;
use crate::store::Incident;

/// The rule name an incident's notifications carry (`ALERT Door incident: …` in `serve`).
pub const RULE: &str = "Door incident";

/// The key an incident's notifications share, so that each repeat replaces the one before.
pub fn key(id: i64) -> String {
    format!("incident:{id}")
}

/// When `incident`'s next repeat is due (Unix ms), or `None` when it no longer repeats.
pub fn next_reminder(incident: &Incident, every_minutes: u32) -> Option<i64> {
    if every_minutes == 0 || !incident.is_open() {
        return None;
    }
    let last = incident.last_reminder.unwrap_or(incident.opened_at);
    Some(last + i64::from(every_minutes) * 60_000)
}

/// The open incidents whose repeat is due at `now` (Unix ms).
pub fn due(open: &[Incident], every_minutes: u32, now: i64) -> Vec<&Incident> {
    open.iter().filter(|i| next_reminder(i, every_minutes).is_some_and(|at| at <= now)).collect()
}

/// How long, in words: "45 s", "14 min", "2 h 5 min", "3 d 4 h".
pub fn how_long(ms: i64) -> String {
    let minutes = ms.max(0) / 60_000;
    match minutes {
        0 => format!("{} s", ms.max(0) / 1000),
        1..=59 => format!("{minutes} min"),
        60..=1439 if minutes % 60 == 0 => format!("{} h", minutes / 60),
        60..=1439 => format!("{} h {} min", minutes / 60, minutes % 60),
        _ => format!("{} d {} h", minutes / 1440, minutes % 1440 / 60),
    }
}

/// The repeat notification for an incident still open at `now` (which carries the local zone).
pub fn reminder<Tz: TimeZone>(incident: &Incident, now: &DateTime<Tz>) -> Alert
where
    Tz::Offset: std::fmt::Display,
{
    let door = if incident.door.is_empty() { "A door" } else { incident.door.as_str() };
    let state = match incident.kind {
        EventKind::ForcedOpen => "forced open",
        _ => "held open",
    };
    let since = DateTime::<Utc>::from_timestamp_millis(incident.opened_at)
        .map(|t| t.with_timezone(&now.timezone()).format("%H:%M").to_string())
        .unwrap_or_default();
    let open_for = how_long(incident.open_for(now.timestamp_millis()));
    let unverified = if incident.trusted { "" } else { " · not signed by Kisi: it may not be real" };
    Alert {
        key: key(incident.id),
        title: format!("{door} still open ({open_for})"),
        body: format!("{state} since {since}; Acknowledge once someone is on it{unverified}"),
        event: Some(incident.opened_by.clone()),
        kind: Some(incident.kind),
        door: (!incident.door.is_empty()).then(|| incident.door.clone()),
        replaces: true,
        urgent: true,
        rule: Some(RULE.to_owned()),
        critical: false,
        incident: Some(incident.id),
        period: None,
        unlock: None,
    }
}

/// The first notification of an incident takes its key, so that the repeats replace it on screen.
pub fn opened(mut alert: Alert, id: i64) -> Alert {
    alert.key = key(id);
    alert.incident = Some(id);
    alert
}

#[cfg(test)]
mod tests {
    use super::how_long;

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(how_long(45_000), "45 s");
        assert_eq!(how_long(14 * 60_000 + 59_000), "14 min");
        assert_eq!(how_long(120 * 60_000), "2 h");
        assert_eq!(how_long(125 * 60_000), "2 h 5 min");
        assert_eq!(how_long((3 * 1440 + 250) * 60_000), "3 d 4 h");
        assert_eq!(how_long(-5), "0 s");
    }
}
