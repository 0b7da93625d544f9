//! The insights view's queries: refused unlocks by door and hour of day, and unlocks per day, over a
//! range in the caller's time zone.

use rusqlite::params;
use serde::Serialize;

use super::{Reader, StoreError};

/// Failed unlocks at one door in one hour of the day (0–23, in the caller's time zone).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct FailureCell {
    pub door: String,
    pub hour: u8,
    #[ts(type = "number")]
    pub count: i64,
}

/// Unlocks and refused unlocks on one local day (`YYYY-MM-DD`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct DayCount {
    pub day: String,
    #[ts(type = "number")]
    pub unlocks: i64,
    #[ts(type = "number")]
    pub failed: i64,
}

/// What the insights view shows for a range: failures by door and hour, and unlocks per day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct Insights {
    #[ts(type = "number")]
    pub since: i64,
    #[ts(type = "number")]
    pub until: i64,
    pub failures: Vec<FailureCell>,
    pub days: Vec<DayCount>,
}

impl Reader {
    /// Failed unlocks per door and hour of day between `since` and `until` (Unix ms). Hours are
    /// shifted by `utc_offset_secs`, the caller's time zone, so 09 means nine in the morning there.
    pub fn failures_by_door_and_hour(
        &self,
        since: i64,
        until: i64,
        utc_offset_secs: i32,
    ) -> Result<Vec<FailureCell>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT coalesce(object_name, ''), ((created_at / 1000 + ?3) % 86400 + 86400) % 86400 / 3600, count(*)
             FROM events WHERE kind = 'unlock_failed' AND created_at >= ?1 AND created_at < ?2
             GROUP BY 1, 2 ORDER BY 1, 2",
        )?;
        let cells = stmt
            .query_map(params![since, until, utc_offset_secs], |r| {
                Ok(FailureCell { door: r.get(0)?, hour: r.get::<_, i64>(1)? as u8, count: r.get(2)? })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(cells)
    }

    /// Unlocks and refusals per local day between `since` and `until` (Unix ms), days shifted by
    /// `utc_offset_secs` like [`Reader::failures_by_door_and_hour`]. Days without unlocks are absent.
    pub fn unlocks_per_day(&self, since: i64, until: i64, utc_offset_secs: i32) -> Result<Vec<DayCount>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT (created_at / 1000 + ?3) / 86400, sum(kind = 'unlock_ok'), sum(kind = 'unlock_failed')
             FROM events WHERE created_at >= ?1 AND created_at < ?2 AND kind IN ('unlock_ok', 'unlock_failed')
             GROUP BY 1 ORDER BY 1",
        )?;
        let days = stmt
            .query_map(params![since, until, utc_offset_secs], |r| {
                let day: i64 = r.get(0)?;
                let date = chrono::DateTime::from_timestamp(day * 86_400, 0).unwrap_or_default().date_naive();
                Ok(DayCount { day: date.format("%Y-%m-%d").to_string(), unlocks: r.get(1)?, failed: r.get(2)? })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(days)
    }

    /// The insights view's figures for `[since, until)`.
    pub fn insights(&self, since: i64, until: i64, utc_offset_secs: i32) -> Result<Insights, StoreError> {
        Ok(Insights {
            since,
            until,
            failures: self.failures_by_door_and_hour(since, until, utc_offset_secs)?,
            days: self.unlocks_per_day(since, until, utc_offset_secs)?,
        })
    }
}

impl Reader {
    /// Refused unlocks per door in `[since, until)` (Unix ms), the most first.
    pub fn refused_by_door(&self, since: i64, until: i64) -> Result<Vec<(String, i64)>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT coalesce(object_name, ''), count(*) FROM events
             WHERE kind = 'unlock_failed' AND created_at >= ?1 AND created_at < ?2
             GROUP BY 1 ORDER BY 2 DESC, 1",
        )?;
        let rows = stmt.query_map(params![since, until], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The times (Unix ms) of the successful unlocks in `[since, until)`.
    pub fn unlock_times(&self, since: i64, until: i64) -> Result<Vec<i64>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT created_at FROM events WHERE created_at >= ?1 AND created_at < ?2 AND kind = 'unlock_ok'
             ORDER BY created_at",
        )?;
        let rows = stmt.query_map(params![since, until], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
