//! Read queries for the timeline, the CLI and the status bar, on a read-only connection.
//!
//! Every list is keyset-paginated on (`created_at`, `id`), newest first, and served by an index, so the
//! millionth row costs what the first does. `created_at` is the event's own time: Kisi does not promise
//! to deliver in order, and the timeline shows when things happened, not when they arrived.

use std::fmt;
use std::str::FromStr;

use rusqlite::types::Value;
use rusqlite::{params_from_iter, Connection, OptionalExtension, Row};
use serde::Serialize;

use super::filter::{has_word_starting_with, push_filter, search_words};
use super::{EventFilter, RejectReason, StoreError, StoredEvent};
use crate::event::{Event, EventKind, Source};

/// A read connection with the timeline's queries.
pub struct Reader {
    pub(super) conn: Connection,
}

/// Where a page ended: the next page starts strictly after this (`created_at`, `id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub created_at: i64,
    pub id: i64,
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.created_at, self.id)
    }
}

impl FromStr for Cursor {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (t, id) = s.split_once('.').ok_or_else(|| format!("cursor {s:?} is not of the form TIME.ID"))?;
        Ok(Cursor {
            created_at: t.parse().map_err(|_| format!("cursor {s:?} has a bad time"))?,
            id: id.parse().map_err(|_| format!("cursor {s:?} has a bad id"))?,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub events: Vec<StoredEvent>,
    /// `None` when this was the last page.
    pub next: Option<Cursor>,
}

/// How many events of each kind, for "today: 42 unlocks, 2 failed".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct KindCounts {
    #[ts(type = "number")]
    pub unlock_ok: i64,
    #[ts(type = "number")]
    pub unlock_failed: i64,
    #[ts(type = "number")]
    pub door_opened: i64,
    #[ts(type = "number")]
    pub held_open: i64,
    #[ts(type = "number")]
    pub forced_open: i64,
    #[ts(type = "number")]
    pub door_closed: i64,
    #[ts(type = "number")]
    pub login: i64,
    #[ts(type = "number")]
    pub remote_unlock: i64,
    #[ts(type = "number")]
    pub other: i64,
}

impl KindCounts {
    pub fn total(&self) -> i64 {
        self.unlock_ok
            + self.unlock_failed
            + self.door_opened
            + self.held_open
            + self.forced_open
            + self.door_closed
            + self.login
            + self.remote_unlock
            + self.other
    }

    fn slot(&mut self, kind: EventKind) -> &mut i64 {
        match kind {
            EventKind::UnlockOk => &mut self.unlock_ok,
            EventKind::UnlockFailed => &mut self.unlock_failed,
            EventKind::DoorOpened => &mut self.door_opened,
            EventKind::HeldOpen => &mut self.held_open,
            EventKind::ForcedOpen => &mut self.forced_open,
            EventKind::DoorClosed => &mut self.door_closed,
            EventKind::Login => &mut self.login,
            EventKind::RemoteUnlock => &mut self.remote_unlock,
            EventKind::Other => &mut self.other,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct RejectionCount {
    pub reason: String,
    /// The reason in words ("bad signature"), as the status bar says it.
    pub description: String,
    #[ts(type = "number")]
    pub count: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RejectionRecord {
    pub at: i64,
    pub reason: String,
    pub size: i64,
    pub detail: String,
}

pub(super) const COLUMNS: &str =
    "id, uuid, type, kind, success, actor_type, actor_id, actor_name, actor_email, actor_label,
    object_type, object_id, object_name, place_id, organization_id, error_code, error_message, message,
    created_at, received_at, verified, source, duplicates, raw, claimed_created_at";

impl Reader {
    pub(super) fn from_connection(conn: Connection) -> Result<Reader, StoreError> {
        register_functions(&conn)?;
        Ok(Reader { conn })
    }

    /// One page of events matching `filter`, newest first, starting after `after`.
    pub fn events(&self, filter: &EventFilter, after: Option<Cursor>, limit: usize) -> Result<Page, StoreError> {
        let limit = limit.clamp(1, 10_000);
        let Some(words) = filter.search.as_deref().map(search_words).filter(|w| !w.is_empty()) else {
            let select = format!("SELECT {COLUMNS} FROM events WHERE 1{{filters}}");
            return self.page(select, Params::default(), filter, after, limit);
        };
        self.search(&words, filter, after, limit)
    }

    /// Runs `select` with the filters and the cursor where it says `{filters}`, then the order and
    /// the limit at its end.
    pub(super) fn page(
        &self,
        select: String,
        params: Params,
        filter: &EventFilter,
        after: Option<Cursor>,
        limit: usize,
    ) -> Result<Page, StoreError> {
        let mut conditions = String::new();
        let mut args: Vec<Value> = params.before_filters;
        push_filter(filter, &mut conditions, &mut args);
        if let Some(c) = after {
            conditions.push_str(" AND (created_at, id) < (?, ?)");
            args.push(c.created_at.into());
            args.push(c.id.into());
        }
        args.extend(params.after_filters);
        let sql = format!("{} ORDER BY created_at DESC, id DESC LIMIT ?", select.replace("{filters}", &conditions));
        args.push((limit as i64 + 1).into());
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut events = stmt.query_map(params_from_iter(args), read_event)?.collect::<Result<Vec<_>, _>>()?;
        let next = if events.len() > limit {
            events.truncate(limit);
            events.last().map(|e| Cursor { created_at: e.time(), id: e.id })
        } else {
            None
        };
        Ok(Page { events, next })
    }

    /// One event by its uuid.
    pub fn event(&self, uuid: &str) -> Result<Option<StoredEvent>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM events WHERE uuid = ?1");
        Ok(self.conn.prepare_cached(&sql)?.query_row([uuid], read_event).optional()?)
    }

    /// How many events are stored in all.
    pub fn count(&self) -> Result<i64, StoreError> {
        Ok(self.conn.query_row("SELECT count(*) FROM events", [], |r| r.get(0))?)
    }

    /// Counts by kind of the events that happened at or after `since` (Unix ms): pass the start of
    /// the local day for "today".
    pub fn counts_since(&self, since: i64) -> Result<KindCounts, StoreError> {
        let mut stmt =
            self.conn.prepare_cached("SELECT kind, count(*) FROM events WHERE created_at >= ?1 GROUP BY kind")?;
        let mut counts = KindCounts::default();
        let rows = stmt.query_map([since], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
        for row in rows {
            let (kind, n) = row?;
            *counts.slot(EventKind::parse(&kind).unwrap_or(EventKind::Other)) += n;
        }
        Ok(counts)
    }

    /// When the most recently stored event arrived (Unix ms), if any.
    pub fn last_received_at(&self) -> Result<Option<i64>, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT received_at FROM events ORDER BY id DESC LIMIT 1")?
            .query_row([], |r| r.get(0))
            .optional()?)
    }

    /// When the last webhook delivery was stored (backfilled events do not count: they say nothing
    /// about whether webhooks still arrive).
    pub fn last_webhook_at(&self) -> Result<Option<i64>, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT received_at FROM events WHERE source = 'webhook' ORDER BY id DESC LIMIT 1")?
            .query_row([], |r| r.get(0))
            .optional()?)
    }

    /// The time of the newest event (its own `created_at`): where a backfill starts looking.
    pub fn newest_event_time(&self) -> Result<Option<i64>, StoreError> {
        Ok(self.conn.prepare_cached("SELECT max(created_at) FROM events")?.query_row([], |r| r.get(0))?)
    }

    /// A small fact kept with the events (see `Store::set_meta`).
    pub fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT value FROM meta WHERE key = ?1")?
            .query_row([key], |r| r.get(0))
            .optional()?)
    }

    /// Rejected deliveries by reason, since the database was created.
    pub fn rejection_counts(&self) -> Result<Vec<RejectionCount>, StoreError> {
        let mut stmt = self.conn.prepare_cached("SELECT reason, count FROM rejection_counts ORDER BY count DESC")?;
        let rows = stmt.query_map([], |r| {
            let reason: String = r.get(0)?;
            let description =
                RejectReason::parse(&reason).map_or_else(|| reason.replace('_', " "), |r| r.describe().into());
            Ok(RejectionCount { reason, description, count: r.get(1)? })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// The most recent rejected deliveries, newest first (the log keeps the last few hundred).
    pub fn recent_rejections(&self, limit: usize) -> Result<Vec<RejectionRecord>, StoreError> {
        let mut stmt =
            self.conn.prepare_cached("SELECT at, reason, size, detail FROM rejections ORDER BY id DESC LIMIT ?1")?;
        let rows = stmt.query_map([limit as i64], |r| {
            Ok(RejectionRecord { at: r.get(0)?, reason: r.get(1)?, size: r.get(2)?, detail: r.get(3)? })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }
}

/// A query's own parameters: those written before its `{filters}` and those after.
#[derive(Default)]
pub(super) struct Params {
    pub(super) before_filters: Vec<Value>,
    pub(super) after_filters: Vec<Value>,
}

/// The same test as [`fts_query`], for one row: `doorwatch_words_match(words, field, field, …)`. It runs
/// on every row a common-word search walks, so it borrows the row's text and allocates nothing.
fn register_functions(conn: &Connection) -> rusqlite::Result<()> {
    use rusqlite::functions::FunctionFlags;
    conn.create_scalar_function(
        "doorwatch_words_match",
        -1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            let words = ctx.get_raw(0).as_str().unwrap_or("");
            let fields: Vec<&str> = (1..ctx.len()).filter_map(|i| ctx.get_raw(i).as_str().ok()).collect();
            Ok(words.split(' ').all(|w| fields.iter().any(|f| has_word_starting_with(f, w))))
        },
    )
}

pub(super) fn read_event(r: &Row<'_>) -> rusqlite::Result<StoredEvent> {
    let kind: String = r.get(3)?;
    let source: String = r.get(21)?;
    Ok(StoredEvent {
        id: r.get(0)?,
        received_at: r.get(19)?,
        verified: r.get(20)?,
        source: Source::parse(&source).unwrap_or(Source::Webhook),
        duplicates: r.get(22)?,
        claimed_created_at: r.get(24)?,
        event: Event {
            uuid: r.get(1)?,
            event_type: r.get(2)?,
            kind: EventKind::parse(&kind).unwrap_or(EventKind::Other),
            success: r.get(4)?,
            actor_type: r.get(5)?,
            actor_id: r.get(6)?,
            actor_name: r.get(7)?,
            actor_email: r.get(8)?,
            actor_label: r.get(9)?,
            object_type: r.get(10)?,
            object_id: r.get(11)?,
            object_name: r.get(12)?,
            place_id: r.get(13)?,
            organization_id: r.get(14)?,
            error_code: r.get(15)?,
            error_message: r.get(16)?,
            message: r.get(17)?,
            created_at: Some(r.get(18)?),
            raw: r.get(23)?,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::filter::fts_query;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let c = Cursor { created_at: 1_700_000_000_000, id: 42 };
        assert_eq!(c.to_string().parse::<Cursor>(), Ok(c));
        assert!("nope".parse::<Cursor>().is_err());
        assert!("1.x".parse::<Cursor>().is_err());
    }

    #[test]
    fn search_words_become_prefix_terms_without_fts_syntax() {
        assert_eq!(fts_query(&search_words("Grace hop")), "\"grace\"* \"hop\"*");
        assert_eq!(fts_query(&search_words("\"OR\" NEAR(a*")), "\"or\"* \"near\"* \"a\"*");
        assert!(search_words("  -- ").is_empty());
    }

    #[test]
    fn row_matching_looks_at_word_starts_in_any_case() {
        assert!(has_word_starting_with("Grace Hopper", "hop"));
        assert!(has_word_starting_with("Access link: Crew", "crew"));
        assert!(has_word_starting_with("ÉLAN Door", "elan"));
        assert_eq!(search_words("Zoë"), ["zoe"]);
        assert_eq!(search_words("Пётр Ça"), ["пётр", "ca"]);
        assert!(!has_word_starting_with("Grace Hopper", "opper"));
        assert!(!has_word_starting_with("", "a"));
    }
}
