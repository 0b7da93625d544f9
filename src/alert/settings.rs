//! The alert settings (a part of `settings.toml`: which events alert, bursts, quiet hours, opening
//! hours) and the one decision that needs only them and the clock: are the doors silent too long?

use chrono::{DateTime, NaiveTime, TimeZone};
use serde::{Deserialize, Serialize};

/// Which events alert, and the noise controls. Part of the settings file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS, Deserialize)]
#[serde(default)]
pub struct AlertSettings {
    /// Refused unlocks (`lock.unlock` with `success: false`).
    pub failed_unlocks: bool,
    /// A door held open too long (`lock.held_open`).
    pub held_open: bool,
    /// A door forced open (`lock.forced_open`).
    pub forced_open: bool,
    /// Tampering with a reader, controller or lock.
    pub tamper: bool,
    /// Kisi switched the webhook off after errors (`integration.disable_due_to_error`).
    pub integration_disabled: bool,
    /// This many failures at one door within `burst_window_secs` become one updating summary.
    pub burst_threshold: u32,
    #[ts(type = "number")]
    pub burst_window_secs: u64,
    /// No alerts between these local times ("22:00" to "07:00"), when both are set.
    #[serde(with = "clock_time")]
    #[ts(type = "string | null")]
    pub quiet_from: Option<NaiveTime>,
    #[serde(with = "clock_time")]
    #[ts(type = "string | null")]
    pub quiet_until: Option<NaiveTime>,
    /// No door event at all for this many minutes during opening hours is worth a look (Kisi may have
    /// stopped sending). 0 turns it off.
    pub silence_minutes: u32,
    /// Opening hours, Monday to Friday, local time, for `silence_minutes`.
    #[serde(with = "clock_time")]
    #[ts(type = "string | null")]
    pub open_from: Option<NaiveTime>,
    #[serde(with = "clock_time")]
    #[ts(type = "string | null")]
    pub open_until: Option<NaiveTime>,
    /// While a door incident is open (held or forced open), its notification repeats every this many
    /// minutes until the door closes or someone acknowledges it. 0 = notify once.
    pub incident_repeat_minutes: u32,
    /// On workdays, the morning summary of the night comes at the first moment after this local time
    /// that the computer is awake. Empty = no summary.
    #[serde(with = "clock_time")]
    #[ts(type = "string | null")]
    pub summary_at: Option<NaiveTime>,
}

impl Default for AlertSettings {
    fn default() -> Self {
        AlertSettings {
            failed_unlocks: true,
            held_open: true,
            forced_open: true,
            tamper: true,
            integration_disabled: true,
            burst_threshold: 3,
            burst_window_secs: 60,
            quiet_from: None,
            quiet_until: None,
            silence_minutes: 180,
            open_from: NaiveTime::from_hms_opt(8, 0, 0),
            open_until: NaiveTime::from_hms_opt(18, 0, 0),
            incident_repeat_minutes: 5,
            summary_at: NaiveTime::from_hms_opt(7, 30, 0),
        }
    }
}

/// A warning when the doors have been silent too long during opening hours, counted from the later of
/// the last event's arrival and today's opening (the night does not count). `None` when all is well,
/// outside opening hours, at weekends, or when switched off. `now` carries the local time zone.
pub fn silence_warning<Tz: TimeZone>(
    settings: &AlertSettings,
    last_event_at: Option<i64>,
    now: &DateTime<Tz>,
) -> Option<String> {
    use chrono::{Datelike, Weekday};
    let (Some(open), Some(close)) = (settings.open_from, settings.open_until) else { return None };
    if settings.silence_minutes == 0 || matches!(now.weekday(), Weekday::Sat | Weekday::Sun) {
        return None;
    }
    let time = now.time();
    if time < open || time >= close {
        return None;
    }
    let opened_today = now.timezone().from_local_datetime(&now.date_naive().and_time(open)).earliest()?;
    let since = last_event_at.unwrap_or(i64::MIN).max(opened_today.timestamp_millis());
    let silent_ms = now.timestamp_millis() - since;
    if silent_ms < i64::from(settings.silence_minutes) * 60_000 {
        return None;
    }
    let hours = silent_ms as f64 / 3_600_000.0;
    let how_long = if hours >= 1.0 {
        format!("{} hours", (hours * 10.0).round() / 10.0)
    } else {
        format!("{} minutes", silent_ms / 60_000)
    };
    Some(format!(
        "No door events for {how_long} during opening hours. If doors were used, Kisi may have stopped sending: \
         check the tunnel and the webhook in Settings."
    ))
}

/// Times of day as people write them: "22:00" (seconds allowed, never required).
mod clock_time {
    use chrono::NaiveTime;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &Option<NaiveTime>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&t.format("%H:%M").to_string()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveTime>, D::Error> {
        let Some(text) = Option::<String>::deserialize(d)? else { return Ok(None) };
        if text.trim().is_empty() {
            return Ok(None);
        }
        NaiveTime::parse_from_str(text.trim(), "%H:%M")
            .or_else(|_| NaiveTime::parse_from_str(text.trim(), "%H:%M:%S"))
            .map(Some)
            .map_err(|_| serde::de::Error::custom(format!("{text:?} is not a time of day like \"22:00\"")))
    }
}
