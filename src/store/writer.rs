//! The writer thread: the only code that writes to the database.
//!
//! Deliveries that arrive while a commit is under way queue up and are committed together in the next
//! transaction (group commit), so many concurrent deliveries share one fsync. Each delivery is
//! answered only after its group's COMMIT returned; if the commit fails, every delivery in the group is
//! answered with the error (the router turns that into a 503, and Kisi retries), and nothing of the
//! group is kept. New events go out on the feed only after their commit.

use std::sync::Arc;

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use tokio::sync::mpsc::error::TryRecvError;
use tokio::sync::{broadcast, mpsc, oneshot};

use super::checkpoint::Nudge;
use super::incidents::{self, IncidentChange};
use super::text_index::{self, Next, TextIndex};
use super::{Delivery, Ingested, MetaChange, Rejection, StoreError, StoredEvent};
use crate::event::Source;

/// The most deliveries one transaction takes; more wait for the next one.
pub const MAX_BATCH: usize = 512;
/// The rejection log keeps this many recent entries (counts per reason are kept for ever).
pub(super) const REJECTIONS_KEPT: i64 = 300;

pub(super) enum Job {
    Insert {
        delivery: Box<Delivery>,
        reply: oneshot::Sender<Result<Ingested, StoreError>>,
    },
    Reject(Rejection),
    /// Changes a `meta` entry.
    Meta {
        key: String,
        change: MetaChange,
        reply: oneshot::Sender<Result<(), StoreError>>,
    },
    /// A person's change to a door incident (acknowledge, a reminder shown).
    Incident {
        change: IncidentChange,
        reply: oneshot::Sender<Result<bool, StoreError>>,
    },
    /// Deletes up to `limit` of the oldest events created before `before` (retention).
    Prune {
        before: i64,
        limit: usize,
        reply: oneshot::Sender<Result<usize, StoreError>>,
    },
}

/// What the transaction did for one job.
enum Outcome {
    Event(Ingested),
    Pruned(usize),
    Changed(bool),
    Done,
}

pub(super) fn spawn(
    conn: Connection,
    jobs: mpsc::Receiver<Job>,
    feed: broadcast::Sender<Arc<StoredEvent>>,
    checkpoints: Nudge,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new().name("doorwatch-writer".into()).spawn(move || run(conn, jobs, feed, checkpoints))
}

fn run(
    mut conn: Connection,
    mut jobs: mpsc::Receiver<Job>,
    feed: broadcast::Sender<Arc<StoredEvent>>,
    checkpoints: Nudge,
) {
    Nudge::watch(&conn);
    let mut text = match TextIndex::load(&conn) {
        Ok(text) => Some(text),
        Err(e) => {
            tracing::error!(error = %e, "cannot read where the full-text index stands; it is not kept up this time");
            None
        }
    };
    // Only to wait for a job with a timeout (the queue is a tokio channel); no task ever runs on it.
    let waiter = tokio::runtime::Builder::new_current_thread().enable_time().build().ok();
    let mut batch = Vec::with_capacity(MAX_BATCH);
    loop {
        // Deliveries first: the index follows when the queue is empty (or quiet, for a few rows).
        let job = match (text.as_ref().map(TextIndex::next), &waiter) {
            (Some(next @ (Next::Now | Next::Must)), _) => match jobs.try_recv() {
                Ok(job) => {
                    if next == Next::Must {
                        follow(&mut text, &mut conn);
                    }
                    Some(job)
                }
                Err(TryRecvError::Empty) => {
                    follow(&mut text, &mut conn);
                    continue;
                }
                Err(TryRecvError::Disconnected) => None,
            },
            (Some(Next::WhenQuiet), Some(waiter)) => {
                match waiter.block_on(async { tokio::time::timeout(text_index::QUIET, jobs.recv()).await }) {
                    Ok(job) => job,
                    Err(_quiet) => {
                        follow(&mut text, &mut conn);
                        continue;
                    }
                }
            }
            // `blocking_recv` returns None once every sender is gone and the queue is empty, so
            // everything that was queued is committed before the thread ends.
            _ => jobs.blocking_recv(),
        };
        let Some(job) = job else { break };
        batch.push(job);
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let newest = commit(&mut conn, &mut batch, &feed);
        checkpoints.after_commit();
        if let (Some(text), Some(id)) = (text.as_mut(), newest) {
            text.committed(id);
        }
    }
    // Everything is committed; index the rest, so the next start has nothing to catch up.
    while let Some(t) = text.as_mut().filter(|t| t.next() != Next::Sleep) {
        t.follow(&mut conn);
    }
}

fn follow(text: &mut Option<TextIndex>, conn: &mut Connection) {
    if let Some(text) = text {
        text.follow(conn);
    }
}

/// Commits the batch and answers each job; the newest event id it stored, if any.
fn commit(conn: &mut Connection, batch: &mut Vec<Job>, feed: &broadcast::Sender<Arc<StoredEvent>>) -> Option<i64> {
    let mut newest = None;
    match write(conn, batch) {
        Ok(outcomes) => {
            for (job, outcome) in batch.drain(..).zip(outcomes) {
                match (job, outcome) {
                    (Job::Insert { reply, .. }, Outcome::Event(outcome)) => {
                        if let Ingested::Stored(event) = &outcome {
                            newest = newest.max(Some(event.id));
                            // No subscriber is fine: the store is the source of truth.
                            let _ = feed.send(Arc::clone(event));
                        }
                        let _ = reply.send(Ok(outcome));
                    }
                    (Job::Meta { reply, .. }, _) => {
                        let _ = reply.send(Ok(()));
                    }
                    (Job::Prune { reply, .. }, Outcome::Pruned(n)) => {
                        let _ = reply.send(Ok(n));
                    }
                    (Job::Incident { reply, .. }, Outcome::Changed(changed)) => {
                        let _ = reply.send(Ok(changed));
                    }
                    _ => {}
                }
            }
        }
        Err(e) => {
            tracing::error!(error = %e, deliveries = batch.len(), "commit failed; answering 503 so Kisi retries");
            let failed = || StoreError::Unavailable(e.to_string());
            for job in batch.drain(..) {
                match job {
                    Job::Insert { reply, .. } => {
                        let _ = reply.send(Err(failed()));
                    }
                    Job::Meta { reply, .. } => {
                        let _ = reply.send(Err(failed()));
                    }
                    Job::Prune { reply, .. } => {
                        let _ = reply.send(Err(failed()));
                    }
                    Job::Incident { reply, .. } => {
                        let _ = reply.send(Err(failed()));
                    }
                    Job::Reject(_) => {}
                }
            }
        }
    }
    newest
}

/// Writes the batch in one transaction. Returns one outcome per job.
fn write(conn: &mut Connection, batch: &[Job]) -> rusqlite::Result<Vec<Outcome>> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut outcomes = Vec::with_capacity(batch.len());
    let mut rejected = false;
    {
        let mut insert = tx.prepare_cached(INSERT_EVENT)?;
        let mut insert_backfilled = tx.prepare_cached(INSERT_BACKFILLED_EVENT)?;
        let mut reject =
            tx.prepare_cached("INSERT INTO rejections (at, reason, size, detail) VALUES (?1, ?2, ?3, ?4)")?;
        let mut count = tx.prepare_cached(
            "INSERT INTO rejection_counts (reason, count) VALUES (?1, 1)
             ON CONFLICT (reason) DO UPDATE SET count = count + 1",
        )?;
        for job in batch {
            match job {
                Job::Insert { delivery, .. } => {
                    let e = &delivery.event;
                    let (created_at, claimed) = super::believable_time(e.created_at, delivery.received_at);
                    let statement = match delivery.source {
                        Source::Webhook | Source::Doorwatch => &mut insert,
                        Source::Backfill => &mut insert_backfilled,
                    };
                    let row: Option<(i64, i64)> = statement
                        .query_row(
                            params![
                                e.uuid,
                                e.event_type,
                                e.kind.as_str(),
                                e.success,
                                e.actor_type,
                                e.actor_id,
                                e.actor_name,
                                e.actor_email,
                                e.actor_label,
                                e.object_type,
                                e.object_id,
                                e.object_name,
                                e.place_id,
                                e.organization_id,
                                e.error_code,
                                e.error_message,
                                e.message,
                                created_at,
                                delivery.received_at,
                                delivery.verified,
                                delivery.source.as_str(),
                                e.raw,
                                claimed,
                            ],
                            |r| Ok((r.get(0)?, r.get(1)?)),
                        )
                        .optional()?;
                    let Some((id, duplicates)) = row else {
                        // No row back: a backfilled copy of an event already stored, left as it was.
                        outcomes.push(Outcome::Event(Ingested::AlreadyStored { uuid: e.uuid.clone() }));
                        continue;
                    };
                    outcomes.push(Outcome::Event(if duplicates == 0 {
                        let mut event = e.clone();
                        event.created_at = Some(created_at);
                        let stored = StoredEvent {
                            id,
                            received_at: delivery.received_at,
                            verified: delivery.verified,
                            source: delivery.source,
                            duplicates: 0,
                            claimed_created_at: claimed,
                            event,
                        };
                        incidents::follow(&tx, &stored)?;
                        Ingested::Stored(Arc::new(stored))
                    } else {
                        Ingested::Duplicate { id, uuid: e.uuid.clone(), duplicates }
                    }));
                }
                Job::Meta { key, change, .. } => {
                    match change {
                        MetaChange::Set(value) => tx.execute(
                            "INSERT INTO meta (key, value) VALUES (?1, ?2)
                             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                            params![key, value],
                        )?,
                        MetaChange::Remove => tx.execute("DELETE FROM meta WHERE key = ?1", params![key])?,
                        MetaChange::LowerTo(t) => tx.execute(
                            "INSERT INTO meta (key, value) VALUES (?1, ?2)
                             ON CONFLICT (key) DO UPDATE SET value =
                               CASE WHEN CAST(excluded.value AS INTEGER) < CAST(meta.value AS INTEGER)
                                    THEN excluded.value ELSE meta.value END",
                            params![key, t.to_string()],
                        )?,
                        MetaChange::AdvanceWithin { from, to } => tx.execute(
                            "UPDATE meta SET value = ?3
                             WHERE key = ?1 AND CAST(value AS INTEGER) >= ?2 AND CAST(value AS INTEGER) < ?4",
                            params![key, from, to.to_string(), to],
                        )?,
                    };
                    outcomes.push(Outcome::Done);
                }
                Job::Prune { before, limit, .. } => {
                    // The oldest first, a bounded number at a time: a short transaction that ingest
                    // deliveries can share or follow at once.
                    let n = tx.execute(
                        "DELETE FROM events WHERE id IN
                           (SELECT id FROM events WHERE created_at < ?1 ORDER BY created_at, id LIMIT ?2)",
                        params![before, *limit as i64],
                    )?;
                    if n < *limit {
                        // The events are gone up to `before`: so are the incidents that ended by then.
                        incidents::prune(&tx, *before)?;
                    }
                    outcomes.push(Outcome::Pruned(n));
                }
                Job::Incident { change, .. } => {
                    outcomes.push(Outcome::Changed(incidents::change(&tx, *change)?));
                }
                Job::Reject(r) => {
                    reject.execute(params![r.at, r.reason.as_str(), r.size as i64, r.detail])?;
                    count.execute(params![r.reason.as_str()])?;
                    rejected = true;
                    outcomes.push(Outcome::Done);
                }
            }
        }
    }
    if rejected {
        tx.execute(
            "DELETE FROM rejections WHERE id <= (SELECT max(id) FROM rejections) - ?1",
            params![REJECTIONS_KEPT],
        )?;
    }
    tx.commit()?;
    Ok(outcomes)
}

/// A new uuid inserts a row with `duplicates = 0`; a uuid already stored (earlier, or earlier in the
/// same batch) leaves the row as it was except for its re-delivery count, which goes up by one.
const INSERT_EVENT: &str = "
    INSERT INTO events (uuid, type, kind, success, actor_type, actor_id, actor_name, actor_email, actor_label,
                        object_type, object_id, object_name, place_id, organization_id, error_code,
                        error_message, message, created_at, received_at, verified, source, raw,
                        claimed_created_at)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22,
            ?23)
    ON CONFLICT (uuid) DO UPDATE SET duplicates = duplicates + 1
    RETURNING id, duplicates";

/// A backfill finds events that usually arrived by webhook already: those are not re-deliveries, so an
/// existing row is left exactly as it was (no row is returned).
const INSERT_BACKFILLED_EVENT: &str = "
    INSERT INTO events (uuid, type, kind, success, actor_type, actor_id, actor_name, actor_email, actor_label,
                        object_type, object_id, object_name, place_id, organization_id, error_code,
                        error_message, message, created_at, received_at, verified, source, raw,
                        claimed_created_at)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22,
            ?23)
    ON CONFLICT (uuid) DO NOTHING
    RETURNING id, duplicates";
