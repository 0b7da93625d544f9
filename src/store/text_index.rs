//! The full-text index, kept by a follower: the writer commits a delivery (and answers it) first, and
//! indexes its words afterwards, in a transaction of its own, a few dozen rows at a time.
//!
//! Why: maintaining FTS5 inside the acknowledged transaction cost each delivery more than the row, its
//! indexes and its commit together (BENCHMARKS.md, "Where an acknowledged delivery's time goes"), and
//! a delivery needs durability, not searchability. Why it loses nothing:
//! - `meta.text_indexed_up_to` is the newest event id the index holds, moved in the same transaction
//!   as the rows it indexes: every row up to it is indexed, none after it (ids only grow).
//! - Searches read the index for rows up to the mark and check the few rows after it one by one
//!   (`query.rs`), so a search finds an event from the moment it is committed.
//! - After a crash the writer catches up from the mark before it sleeps again; the follower's commits
//!   need no fsync of their own (WAL with `synchronous=NORMAL`: a power cut can only take the newest of
//!   them, and the mark goes with them, so the next start indexes those rows again).

use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

/// The `meta` key of the newest indexed event id.
pub(super) const INDEXED_UP_TO: &str = "text_indexed_up_to";
/// Rows one follower transaction indexes at most: short enough that a delivery arriving meanwhile
/// waits well under a millisecond for the writer.
const CHUNK: i64 = 64;
/// Fewer rows than this wait for the writer to be quiet for [`QUIET`]: one FTS5 segment for many rows
/// costs far less than one segment each.
const ENOUGH: i64 = 32;
/// Under a flood the queue is never empty; this far behind, the index takes [`FLOOD_CHUNK`] rows
/// after every commit, so the rows a search checks one by one stay few.
const FALLEN_BEHIND: i64 = 4096;
const FLOOD_CHUNK: i64 = 512;
/// How long the writer waits for more deliveries before it indexes the few it has.
pub(super) const QUIET: Duration = Duration::from_millis(50);

/// Where the index stands against the newest committed row. Lives on the writer thread.
pub(super) struct TextIndex {
    up_to: i64,
    newest: i64,
    /// The last attempt failed (disk full, say): no new attempt until the next commit.
    stalled: bool,
    /// The connection's own `synchronous`, restored after each follower transaction.
    synchronous: i64,
}

/// What the writer should do about the index now.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Next {
    /// Nothing to index: wait for the next job as long as it takes.
    Sleep,
    /// A few rows wait: index them if no job comes within [`QUIET`].
    WhenQuiet,
    /// Index a chunk as soon as the queue is empty.
    Now,
    /// Index a large chunk before the next commit, queue or not.
    Must,
}

impl TextIndex {
    /// Reads the mark and the newest row. A store without the mark (it is written by the migration)
    /// counts as indexed up to nothing, which is slow to catch up but never wrong.
    pub(super) fn load(conn: &Connection) -> rusqlite::Result<TextIndex> {
        let up_to: Option<String> =
            conn.query_row("SELECT value FROM meta WHERE key = ?1", [INDEXED_UP_TO], |r| r.get(0)).optional()?;
        let newest: i64 = conn.query_row("SELECT coalesce(max(id), 0) FROM events", [], |r| r.get(0))?;
        let synchronous = conn.pragma_query_value(None, "synchronous", |r| r.get(0))?;
        Ok(TextIndex { up_to: up_to.and_then(|v| v.parse().ok()).unwrap_or(0), newest, stalled: false, synchronous })
    }

    /// A committed transaction stored rows up to `id`.
    pub(super) fn committed(&mut self, id: i64) {
        self.newest = self.newest.max(id);
        self.stalled = false;
    }

    pub(super) fn next(&self) -> Next {
        let behind = self.newest - self.up_to;
        if self.stalled || behind <= 0 {
            Next::Sleep
        } else if behind < ENOUGH {
            Next::WhenQuiet
        } else if behind < FALLEN_BEHIND {
            Next::Now
        } else {
            Next::Must
        }
    }

    /// Indexes the next rows after the mark ([`CHUNK`] of them, more when far behind), and moves the
    /// mark, in one transaction without an fsync of its own. A failure leaves both as they were (the
    /// rows are indexed later).
    pub(super) fn follow(&mut self, conn: &mut Connection) {
        let chunk = if self.next() == Next::Must { FLOOD_CHUNK } else { CHUNK };
        match index_chunk(conn, self.up_to, chunk, self.synchronous) {
            Ok(Some(last)) => self.up_to = last,
            Ok(None) => self.up_to = self.newest,
            Err(e) => {
                tracing::warn!(error = %e, "full-text indexing failed; searches read the newest rows one by one until it succeeds");
                self.stalled = true;
            }
        }
    }
}

fn index_chunk(conn: &mut Connection, up_to: i64, chunk: i64, synchronous: i64) -> rusqlite::Result<Option<i64>> {
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    let result = (|| {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let last: Option<i64> = tx.query_row(
            "SELECT max(id) FROM (SELECT id FROM events WHERE id > ?1 ORDER BY id LIMIT ?2)",
            params![up_to, chunk],
            |r| r.get(0),
        )?;
        if let Some(last) = last {
            tx.prepare_cached(
                "INSERT INTO events_text (rowid, actor_label, object_name, error_message)
                 SELECT id, actor_label, object_name, error_message FROM events WHERE id > ?1 AND id <= ?2",
            )?
            .execute(params![up_to, last])?;
            tx.prepare_cached(
                "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )?
            .execute(params![INDEXED_UP_TO, last.to_string()])?;
        }
        tx.commit()?;
        Ok(last)
    })();
    // Deliveries commit with the store's own durability (a full fsync), whatever happened here.
    conn.pragma_update(None, "synchronous", synchronous)?;
    result
}
