//! Door incidents: a door held or forced open opens one, with the events that belong to it, until the
//! door closes (a `lock.closed`, live or backfilled) or someone acknowledges it. The lifecycle is
//! decided inside the writer's transaction, together with the event that changes it, so an incident
//! can never disagree with the events stored.
//!
//! An unsigned delivery (anyone who knows the URL could send one) cannot close what a signed or
//! backfilled event opened: a forged "closed" must not silence a propped-open door.

use rusqlite::{params, OptionalExtension, Row, Transaction};
use serde::Serialize;

use super::{ser_opt_time, ser_time, Reader, Store, StoreError, StoredEvent};
use crate::event::EventKind;

/// How an incident ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum IncidentEnd {
    /// The door reported closing.
    Closed,
    /// Someone pressed Acknowledge.
    Acknowledged,
}

impl IncidentEnd {
    fn as_str(self) -> &'static str {
        match self {
            IncidentEnd::Closed => "closed",
            IncidentEnd::Acknowledged => "acknowledged",
        }
    }

    fn parse(text: &str) -> Option<IncidentEnd> {
        match text {
            "closed" => Some(IncidentEnd::Closed),
            "acknowledged" => Some(IncidentEnd::Acknowledged),
            _ => None,
        }
    }
}

/// One door incident as stored. Times are Unix ms (RFC 3339 in JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct Incident {
    #[ts(type = "number")]
    pub id: i64,
    /// The door's name as Kisi gave it ('' when the event named none).
    pub door: String,
    /// `held_open`, or `forced_open` once any of its events was a forced opening.
    pub kind: EventKind,
    #[serde(serialize_with = "ser_time")]
    #[ts(type = "string")]
    pub opened_at: i64,
    /// The uuid of the event that opened it.
    pub opened_by: String,
    #[serde(serialize_with = "ser_opt_time")]
    #[ts(type = "string | null")]
    pub ended_at: Option<i64>,
    pub ended_by: Option<IncidentEnd>,
    /// The closing event's uuid, when a close ended it.
    pub ended_event: Option<String>,
    /// Repeat notifications sent while it was open.
    #[ts(type = "number")]
    pub reminders: i64,
    #[serde(serialize_with = "ser_opt_time")]
    #[ts(type = "string | null")]
    pub last_reminder: Option<i64>,
    /// Opened by a signed or backfilled event (an unsigned one cannot be told from a forgery).
    pub trusted: bool,
    /// How many stored events belong to it (the opening, repeats, the close).
    #[ts(type = "number")]
    pub events: i64,
}

impl Incident {
    pub fn is_open(&self) -> bool {
        self.ended_at.is_none()
    }

    /// How long the door was (or, while open, has been) open at `now`, in ms.
    pub fn open_for(&self, now: i64) -> i64 {
        (self.ended_at.unwrap_or(now) - self.opened_at).max(0)
    }
}

/// A change to an incident that a person (or the reminder) makes.
#[derive(Debug, Clone, Copy)]
pub enum IncidentChange {
    Acknowledge {
        id: i64,
        at: i64,
    },
    /// A repeat notification was shown at `at`.
    Reminded {
        id: i64,
        at: i64,
    },
}

/// Inside the writer's transaction, after `stored` was inserted: opens, extends or ends incidents.
pub(super) fn follow(tx: &Transaction<'_>, stored: &StoredEvent) -> rusqlite::Result<()> {
    let e = &stored.event;
    let door = e.object_name.as_deref().unwrap_or_default();
    let (at, uuid, trusted) = (stored.time(), e.uuid.as_str(), !stored.unverified());
    match e.kind {
        EventKind::HeldOpen | EventKind::ForcedOpen => {
            let open: Option<i64> = tx
                .prepare_cached("SELECT id FROM incidents WHERE door = ?1 AND ended_at IS NULL ORDER BY id LIMIT 1")?
                .query_row(params![door], |r| r.get(0))
                .optional()?;
            let id = match open {
                Some(id) => {
                    if e.kind == EventKind::ForcedOpen {
                        tx.execute("UPDATE incidents SET kind = 'forced_open' WHERE id = ?1", params![id])?;
                    }
                    id
                }
                None => {
                    tx.execute(
                        "INSERT INTO incidents (door, kind, opened_at, opened_by, trusted) VALUES (?1, ?2, ?3, ?4, ?5)",
                        params![door, e.kind.as_str(), at, uuid, trusted],
                    )?;
                    let id = tx.last_insert_rowid();
                    // A backfill can bring the close before the opening: then it was over already.
                    if let Some((close, closed_at)) = later_close(tx, door, at)? {
                        end(tx, id, closed_at, IncidentEnd::Closed, Some(&close))?;
                        attach(tx, id, &close)?;
                    }
                    id
                }
            };
            attach(tx, id, uuid)
        }
        EventKind::DoorClosed => {
            let ended: Vec<i64> = tx
                .prepare_cached(
                    "UPDATE incidents SET ended_at = ?2, ended_by = 'closed', ended_event = ?3
                     WHERE door = ?1 AND ended_at IS NULL AND opened_at <= ?2 AND (?4 OR trusted = 0)
                     RETURNING id",
                )?
                .query_map(params![door, at, uuid, trusted], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            for id in ended {
                attach(tx, id, uuid)?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// The first close of `door` at or after `at` already stored.
fn later_close(tx: &Transaction<'_>, door: &str, at: i64) -> rusqlite::Result<Option<(String, i64)>> {
    tx.prepare_cached(
        "SELECT uuid, created_at FROM events
         WHERE object_name = ?1 COLLATE NOCASE AND created_at >= ?2 AND object_name = ?1 AND kind = 'door_closed'
         ORDER BY created_at LIMIT 1",
    )?
    .query_row(params![door, at], |r| Ok((r.get(0)?, r.get(1)?)))
    .optional()
}

fn attach(tx: &Transaction<'_>, id: i64, uuid: &str) -> rusqlite::Result<()> {
    tx.prepare_cached("INSERT OR IGNORE INTO incident_events (incident_id, event_uuid) VALUES (?1, ?2)")?
        .execute(params![id, uuid])?;
    Ok(())
}

fn end(tx: &Transaction<'_>, id: i64, at: i64, by: IncidentEnd, event: Option<&str>) -> rusqlite::Result<usize> {
    tx.execute(
        "UPDATE incidents SET ended_at = ?2, ended_by = ?3, ended_event = ?4 WHERE id = ?1 AND ended_at IS NULL",
        params![id, at, by.as_str(), event],
    )
}

/// Inside the writer's transaction: applies a person's change; whether the incident was open.
pub(super) fn change(tx: &Transaction<'_>, change: IncidentChange) -> rusqlite::Result<bool> {
    let changed = match change {
        IncidentChange::Acknowledge { id, at } => end(tx, id, at, IncidentEnd::Acknowledged, None)?,
        IncidentChange::Reminded { id, at } => tx.execute(
            "UPDATE incidents SET reminders = reminders + 1, last_reminder = ?2 WHERE id = ?1 AND ended_at IS NULL",
            params![id, at],
        )?,
    };
    Ok(changed == 1)
}

/// Retention: incidents that ended before `before`, with their event lists.
pub(super) fn prune(tx: &Transaction<'_>, before: i64) -> rusqlite::Result<usize> {
    tx.execute(
        "DELETE FROM incident_events WHERE incident_id IN (SELECT id FROM incidents WHERE ended_at < ?1)",
        params![before],
    )?;
    tx.execute("DELETE FROM incidents WHERE ended_at < ?1", params![before])
}

const COLUMNS: &str = "id, door, kind, opened_at, opened_by, ended_at, ended_by, ended_event, reminders, \
                       last_reminder, trusted, (SELECT count(*) FROM incident_events WHERE incident_id = id)";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Incident> {
    let kind: String = r.get(2)?;
    let ended_by: Option<String> = r.get(6)?;
    Ok(Incident {
        id: r.get(0)?,
        door: r.get(1)?,
        kind: EventKind::parse(&kind).unwrap_or(EventKind::HeldOpen),
        opened_at: r.get(3)?,
        opened_by: r.get(4)?,
        ended_at: r.get(5)?,
        ended_by: ended_by.as_deref().and_then(IncidentEnd::parse),
        ended_event: r.get(7)?,
        reminders: r.get(8)?,
        last_reminder: r.get(9)?,
        trusted: r.get(10)?,
        events: r.get(11)?,
    })
}

impl Reader {
    /// The incidents still open, oldest first.
    pub fn open_incidents(&self) -> Result<Vec<Incident>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM incidents WHERE ended_at IS NULL ORDER BY opened_at, id");
        let rows = self.conn.prepare_cached(&sql)?.query_map([], from_row)?.collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// The most recent incidents (open or not), newest first.
    pub fn recent_incidents(&self, limit: usize) -> Result<Vec<Incident>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM incidents ORDER BY opened_at DESC, id DESC LIMIT ?1");
        let rows =
            self.conn.prepare_cached(&sql)?.query_map(params![limit as i64], from_row)?.collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// Incidents that were open at some moment of `[since, until)`, oldest first.
    pub fn incidents_between(&self, since: i64, until: i64) -> Result<Vec<Incident>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM incidents WHERE opened_at < ?2 AND (ended_at IS NULL OR ended_at >= ?1)
             ORDER BY opened_at, id"
        );
        let rows =
            self.conn.prepare_cached(&sql)?.query_map(params![since, until], from_row)?.collect::<Result<_, _>>()?;
        Ok(rows)
    }

    pub fn incident(&self, id: i64) -> Result<Option<Incident>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM incidents WHERE id = ?1");
        Ok(self.conn.prepare_cached(&sql)?.query_row(params![id], from_row).optional()?)
    }

    /// The incident an event belongs to (the latest, if several).
    pub fn incident_of_event(&self, uuid: &str) -> Result<Option<i64>, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT max(incident_id) FROM incident_events WHERE event_uuid = ?1")?
            .query_row(params![uuid], |r| r.get(0))?)
    }
}

impl Store {
    /// Ends an open incident as acknowledged at `at`; false when it was not open (already closed,
    /// acknowledged elsewhere, or unknown).
    pub async fn acknowledge_incident(&self, id: i64, at: i64) -> Result<bool, StoreError> {
        self.change_incident(IncidentChange::Acknowledge { id, at }).await
    }

    /// Records a repeat notification; false when the incident is no longer open.
    pub async fn record_reminder(&self, id: i64, at: i64) -> Result<bool, StoreError> {
        self.change_incident(IncidentChange::Reminded { id, at }).await
    }

    async fn change_incident(&self, change: IncidentChange) -> Result<bool, StoreError> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let jobs = self.inner.jobs.as_ref().ok_or(StoreError::Closed)?;
        jobs.send(super::writer::Job::Incident { change, reply }).await.map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }
}
