//! The receiver's state in one value, for the tray, the status bar and `serve`: where it listens,
//! whether signatures are checked, when the last event came, today's counts and what was rejected.

use chrono::{DateTime, TimeZone, Utc};
use serde::Serialize;

use crate::store::{Incident, KindCounts, Reader, RejectionCount, StoreError};

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct Status {
    /// The local webhook URL, e.g. `http://127.0.0.1:8787/webhooks/kisi`.
    pub local_url: String,
    pub receiving: bool,
    pub signature_check: bool,
    /// When the last event arrived (Unix ms).
    #[ts(type = "number | null")]
    pub last_event_at: Option<i64>,
    pub today: KindCounts,
    pub rejections: Vec<RejectionCount>,
    #[ts(type = "number")]
    pub events_total: i64,
    /// Doors held or forced open now, oldest first: the window shows them above the timeline.
    pub open_incidents: Vec<Incident>,
}

impl Status {
    /// Reads the store's part of the status. `now` carries the local time zone, which decides where
    /// "today" begins.
    pub fn read<Tz: TimeZone>(
        reader: &Reader,
        local_url: String,
        receiving: bool,
        signature_check: bool,
        now: &DateTime<Tz>,
    ) -> Result<Status, StoreError> {
        let midnight = now
            .timezone()
            .from_local_datetime(&now.date_naive().and_hms_opt(0, 0, 0).expect("midnight exists"))
            .earliest()
            .map(|t| t.timestamp_millis())
            .unwrap_or_else(|| now.timestamp_millis() - 86_400_000);
        Ok(Status {
            local_url,
            receiving,
            signature_check,
            last_event_at: reader.last_received_at()?,
            today: reader.counts_since(midnight)?,
            rejections: reader.rejection_counts()?,
            events_total: reader.count()?,
            open_incidents: reader.open_incidents()?,
        })
    }

    /// What is known before any database exists (the receiver could not start).
    pub fn nothing_stored(local_url: String, receiving: bool, signature_check: bool) -> Status {
        Status {
            local_url,
            receiving,
            signature_check,
            last_event_at: None,
            today: KindCounts::default(),
            rejections: vec![],
            events_total: 0,
            open_incidents: vec![],
        }
    }

    /// One line for the tray: "2 failed unlocks today · receiving · last event 3 min ago".
    pub fn summary(&self, now: DateTime<Utc>) -> String {
        let failed = match self.today.unlock_failed {
            0 => "No failed unlocks today".to_owned(),
            1 => "1 failed unlock today".to_owned(),
            n => format!("{n} failed unlocks today"),
        };
        let receiving = if self.receiving { "receiving" } else { "NOT receiving" };
        let last = match self.last_event_at {
            None => "no events yet".to_owned(),
            Some(at) => format!("last event {}", ago(now.timestamp_millis() - at)),
        };
        format!("{failed} · {receiving} · {last}")
    }
}

/// "just now", "3 min ago", "2 h ago", "4 days ago".
pub fn ago(ms: i64) -> String {
    let secs = ms.max(0) / 1000;
    match secs {
        0..=59 => "just now".to_owned(),
        60..=3599 => format!("{} min ago", secs / 60),
        3600..=86_399 => format!("{} h ago", secs / 3600),
        _ if secs < 2 * 86_400 => "yesterday".to_owned(),
        _ => format!("{} days ago", secs / 86_400),
    }
}

/// How long until [`ago`]`(ms)` says something else: the moment a window showing it must read it again.
pub fn ago_changes_in(ms: i64) -> i64 {
    const MIN: i64 = 60_000;
    const HOUR: i64 = 60 * MIN;
    const DAY: i64 = 24 * HOUR;
    let ms = ms.max(0);
    match ms {
        _ if ms < MIN => MIN - ms,
        _ if ms < HOUR => MIN - ms % MIN,
        _ if ms < DAY => HOUR - ms % HOUR,
        _ if ms < 2 * DAY => 2 * DAY - ms,
        _ => DAY - ms % DAY,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_words_change_exactly_when_said() {
        for ms in [0, 59_999, 60_000, 61_500, 3_599_999, 3_600_000, 7_300_000, 86_399_999, 86_400_000, 200_000_000] {
            let next = ago_changes_in(ms);
            assert!(next > 0, "{ms}");
            assert_eq!(ago(ms), ago(ms + next - 1), "unchanged until then ({ms})");
            assert_ne!(ago(ms), ago(ms + next), "changed then ({ms})");
        }
    }

    #[test]
    fn the_summary_reads_as_a_sentence() {
        let mut s = Status {
            local_url: String::new(),
            receiving: true,
            signature_check: true,
            last_event_at: Some(1_000_000),
            today: KindCounts::default(),
            rejections: vec![],
            events_total: 0,
            open_incidents: vec![],
        };
        let now = DateTime::<Utc>::from_timestamp_millis(1_000_000 + 180_000).unwrap();
        assert_eq!(s.summary(now), "No failed unlocks today · receiving · last event 3 min ago");
        s.today.unlock_failed = 2;
        s.receiving = false;
        s.last_event_at = None;
        assert_eq!(s.summary(now), "2 failed unlocks today · NOT receiving · no events yet");
    }

    #[test]
    fn ages_are_rounded_for_people() {
        assert_eq!(ago(5_000), "just now");
        assert_eq!(ago(7_200_000), "2 h ago");
        assert_eq!(ago(3 * 86_400_000), "3 days ago");
        // Moved from the UI's own copy, which the window no longer has.
        assert_eq!(ago(30_000), "just now");
        assert_eq!(ago(3 * 60_000), "3 min ago");
        assert_eq!(ago(5 * 3_600_000), "5 h ago");
        assert_eq!(ago(-60_000), "just now", "a clock a little ahead is not the future");
    }
}
