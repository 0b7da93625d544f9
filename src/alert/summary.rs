//! The morning summary: on workdays, once, at the first moment after `alerts.summary_at` that the
//! computer is awake, one notification sums up the night since closing time — refused unlocks by
//! door, after-hours entries, door incidents and how long each lasted. `doorwatch summary` prints the
//! same words. Deciding when is pure (the local time is passed in); gathering reads the store.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Weekday};

use super::incident::how_long;
use super::zone::Zone;
use super::{Alert, AlertSettings};
use crate::event::EventKind;
use crate::store::{Incident, Reader, StoreError};

/// The `meta` entry that holds the local date of the last summary shown (`2026-12-04`).
pub const META_KEY: &str = "summary_shown_on";
/// How many doors and incidents the summary names before it says "and N more".
const NAMED: usize = 3;

fn workday(date: NaiveDate) -> bool {
    !matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

fn closing(settings: &AlertSettings) -> NaiveTime {
    settings.open_until.unwrap_or(NaiveTime::from_hms_opt(18, 0, 0).expect("a time"))
}

fn outside_opening_hours(settings: &AlertSettings, local: NaiveDateTime) -> bool {
    let (Some(open), Some(close)) = (settings.open_from, settings.open_until) else {
        return !workday(local.date());
    };
    !workday(local.date()) || local.time() < open || local.time() >= close
}

/// Whether the summary is due at `now` (local): a workday, at or after `summary_at` and before
/// closing time, and not yet shown today. A laptop that slept through `summary_at` shows it on waking.
pub fn due(settings: &AlertSettings, shown_on: Option<NaiveDate>, now: NaiveDateTime) -> bool {
    let Some(at) = settings.summary_at else { return false };
    // A summary time after closing (an evening shift's) has no end but midnight.
    let before_closing = closing(settings) <= at || now.time() < closing(settings);
    workday(now.date()) && now.time() >= at && before_closing && shown_on != Some(now.date())
}

/// Closing time on the last workday before `today` (Monday's night began on Friday), local.
pub fn night_start(settings: &AlertSettings, today: NaiveDate) -> NaiveDateTime {
    let mut day = today - Duration::days(1);
    while !workday(day) {
        day -= Duration::days(1);
    }
    day.and_time(closing(settings))
}

/// When the night before `now` began, in `zone` (Unix ms).
pub fn night_since(settings: &AlertSettings, zone: &Zone, now: chrono::DateTime<chrono::Utc>) -> i64 {
    zone.to_utc(night_start(settings, zone.local(now).date_naive()))
}

/// What the night held.
#[derive(Debug, Clone, PartialEq)]
pub struct Night {
    /// Unix ms, `[since, until)`.
    pub since: i64,
    pub until: i64,
    /// How `since` reads locally: "Fri 18:00".
    pub since_label: String,
    /// Refused unlocks per door, the most first.
    pub refused: Vec<(String, i64)>,
    /// Successful unlocks outside opening hours.
    pub after_hours_entries: usize,
    /// Incidents open at some moment of the night.
    pub incidents: Vec<Incident>,
}

/// Reads the night `[since, until)` from the store; local times in `zone`.
pub fn gather(
    reader: &Reader,
    settings: &AlertSettings,
    zone: &Zone,
    since: i64,
    until: i64,
) -> Result<Night, StoreError> {
    let local = |ms: i64| zone.local(chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default()).naive_local();
    let entries = reader.unlock_times(since, until)?;
    Ok(Night {
        since,
        until,
        since_label: local(since).format("%a %H:%M").to_string(),
        refused: reader.refused_by_door(since, until)?,
        after_hours_entries: entries.into_iter().filter(|t| outside_opening_hours(settings, local(*t))).count(),
        incidents: reader.incidents_between(since, until)?,
    })
}

fn door(name: &str) -> &str {
    if name.is_empty() {
        "a door"
    } else {
        name
    }
}

impl Night {
    /// One line: "2 after-hours entries, 7 refused at Back Door, 1 at Main Entrance, Bike storage
    /// held open 14 min".
    pub fn line(&self) -> String {
        let mut parts = Vec::new();
        match self.after_hours_entries {
            0 => {}
            1 => parts.push("1 after-hours entry".to_owned()),
            n => parts.push(format!("{n} after-hours entries")),
        }
        for (i, (name, n)) in self.refused.iter().take(NAMED).enumerate() {
            parts.push(if i == 0 {
                format!("{n} refused at {}", door(name))
            } else {
                format!("{n} at {}", door(name))
            });
        }
        if self.refused.len() > NAMED {
            let rest: i64 = self.refused[NAMED..].iter().map(|(_, n)| n).sum();
            parts.push(format!("{rest} at {} other doors", self.refused.len() - NAMED));
        }
        for incident in self.incidents.iter().take(NAMED) {
            let how = if incident.kind == EventKind::ForcedOpen { "forced open" } else { "held open" };
            let lasted = how_long(incident.open_for(self.until));
            let still = if incident.is_open() { " (still open)" } else { "" };
            parts.push(format!("{} {how} {lasted}{still}", door(&incident.door)));
        }
        if self.incidents.len() > NAMED {
            parts.push(format!("{} more door incidents", self.incidents.len() - NAMED));
        }
        if parts.is_empty() {
            return "a quiet night: no after-hours entries, no refused unlocks, no door left open".to_owned();
        }
        parts.join(", ")
    }

    /// The notification: its title says since when, its body is [`Night::line`]; "Open" shows the
    /// timeline of that stretch.
    pub fn alert(&self) -> Alert {
        let urgent = self.incidents.iter().any(Incident::is_open);
        let mut alert = Alert::about_doorwatch("summary", &self.title(), self.line(), urgent);
        alert.rule = Some("Morning summary".to_owned());
        alert.period = Some((self.since, self.until));
        alert
    }

    pub fn title(&self) -> String {
        format!("Since {}", self.since_label)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(date: &str, time: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(&format!("{date} {time}"), "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn monday_morning_sums_up_since_friday_closing() {
        let s = AlertSettings::default();
        assert_eq!(night_start(&s, at("2026-12-07", "07:30").date()), at("2026-12-04", "18:00"));
        assert_eq!(night_start(&s, at("2026-12-08", "07:30").date()), at("2026-12-07", "18:00"));
    }

    #[test]
    fn it_is_due_once_on_a_workday_between_its_time_and_closing() {
        let s = AlertSettings::default();
        let monday = at("2026-12-07", "07:30").date();
        assert!(!due(&s, None, at("2026-12-07", "07:29")));
        assert!(due(&s, None, at("2026-12-07", "07:30")));
        assert!(due(&s, None, at("2026-12-07", "11:00")), "woken late: still shown");
        assert!(!due(&s, Some(monday), at("2026-12-07", "07:31")), "once a day");
        assert!(!due(&s, None, at("2026-12-07", "18:00")), "not after closing");
        assert!(!due(&s, None, at("2026-12-05", "09:00")), "not on a Saturday");
        assert!(!due(&AlertSettings { summary_at: None, ..s }, None, at("2026-12-07", "09:00")));
    }
}
