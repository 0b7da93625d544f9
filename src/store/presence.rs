//! Who came in: for a stretch of time (a day, in the office's zone), every person or access link with a
//! successful unlock — their first (when, at which door) and their last — from the local store alone,
//! so the list works with Kisi unreachable and during an evacuation. Exit buttons and other actors that
//! are not people are left out.

use rusqlite::params;
use serde::Serialize;

use super::{Reader, StoreError};

/// One person's day at the doors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct Presence {
    /// As the timeline shows them: "Ada Lovelace", "Access link: Plumber".
    pub label: String,
    /// Kisi's actor type: `User`, `GroupLink`.
    pub actor_type: String,
    #[ts(type = "number | null")]
    pub actor_id: Option<i64>,
    /// The first successful unlock, Unix ms, and its door.
    #[ts(type = "number")]
    pub first_at: i64,
    pub first_door: Option<String>,
    /// The last successful unlock, Unix ms, and its door: where they were last seen.
    #[ts(type = "number")]
    pub last_at: i64,
    pub last_door: Option<String>,
    #[ts(type = "number")]
    pub unlocks: i64,
}

/// People's actor types (API.md §2): users and access links.
const PEOPLE: &str = "('User', 'GroupLink')";

impl Reader {
    /// Everyone with a successful unlock in `[from, until)` (Unix ms), first in first.
    pub fn presence(&self, from: i64, until: i64) -> Result<Vec<Presence>, StoreError> {
        // One pass over the day's unlocks (events_by_time), numbered from each end per person.
        let sql = format!(
            "WITH day AS (
                 SELECT actor_label AS label, actor_type, actor_id, object_name AS door, created_at,
                        ROW_NUMBER() OVER (PARTITION BY actor_label ORDER BY created_at, id) AS from_first,
                        ROW_NUMBER() OVER (PARTITION BY actor_label ORDER BY created_at DESC, id DESC) AS from_last,
                        COUNT(*) OVER (PARTITION BY actor_label) AS unlocks
                   FROM events
                  WHERE created_at >= ?1 AND created_at < ?2 AND kind = 'unlock_ok'
                    AND actor_label IS NOT NULL AND actor_type IN {PEOPLE}
             )
             SELECT f.label, f.actor_type, f.actor_id, f.created_at, f.door, l.created_at, l.door, f.unlocks
               FROM day f JOIN day l ON l.label = f.label AND l.from_last = 1
              WHERE f.from_first = 1
              ORDER BY f.created_at, f.label"
        );
        let mut statement = self.conn.prepare_cached(&sql)?;
        let rows = statement.query_map(params![from, until], |r| {
            Ok(Presence {
                label: r.get(0)?,
                actor_type: r.get(1)?,
                actor_id: r.get(2)?,
                first_at: r.get(3)?,
                first_door: r.get(4)?,
                last_at: r.get(5)?,
                last_door: r.get(6)?,
                unlocks: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
