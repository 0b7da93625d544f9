//! Checkpoints off the commit path. In WAL mode SQLite copies the log back into the database now and
//! then; left to itself it does so inside whichever commit crosses the threshold, and that delivery
//! waits for the extra fsyncs. Here the writer never checkpoints: it tells this thread when its log has
//! grown past [`PAGES`] (SQLite's own threshold, read from its WAL hook after each commit), and this
//! thread, on its own connection, runs a PASSIVE checkpoint (which never blocks the writer) — at most
//! one per [`GAP`] — and a full one when the store closes. A store nobody writes to costs no wakeups.

use std::cell::Cell;
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::time::{Duration, Instant};

use rusqlite::hooks::Wal;
use rusqlite::Connection;

/// The log's length, in pages, past which a checkpoint is due (SQLite's default for autocheckpoint).
const PAGES: i32 = 1000;
/// The least time between two checkpoints while the log keeps growing (readers can hold a checkpoint
/// back; it is then tried again, not in a loop).
const GAP: Duration = Duration::from_millis(250);

pub(super) enum Signal {
    /// The log is past [`PAGES`].
    Grew,
    Stop,
}

/// The writer's side: registered on its connection, asked after each commit.
#[derive(Clone)]
pub(super) struct Nudge(SyncSender<Signal>);

thread_local! {
    /// The writer connection's log length after its last commit (its WAL hook runs on its thread).
    static LOG_PAGES: Cell<i32> = const { Cell::new(0) };
}

fn note_log_pages(_: &Wal, pages: std::ffi::c_int) -> rusqlite::Result<()> {
    LOG_PAGES.with(|p| p.set(pages));
    Ok(())
}

impl Nudge {
    /// Follows the log's length of `conn`, the writer's connection (replacing SQLite's autocheckpoint).
    pub(super) fn watch(conn: &Connection) {
        conn.wal_hook(Some(note_log_pages));
    }

    /// After a commit on the writer's thread: wakes the checkpointer if the log is long enough.
    pub(super) fn after_commit(&self) {
        if LOG_PAGES.with(Cell::get) >= PAGES {
            LOG_PAGES.with(|p| p.set(0));
            // Full: a wake-up is pending already, which is all this one would be.
            if let Err(TrySendError::Disconnected(_)) = self.0.try_send(Signal::Grew) {
                tracing::debug!("checkpointer gone; the log is checkpointed when the store next opens");
            }
        }
    }

    /// Ends the checkpointer after a last, full checkpoint.
    pub(super) fn stop(&self) {
        let _ = self.0.send(Signal::Stop);
    }
}

pub(super) fn spawn(conn: Connection) -> std::io::Result<(Nudge, std::thread::JoinHandle<()>)> {
    let (nudge, signals) = sync_channel(1);
    let thread = std::thread::Builder::new().name("doorwatch-checkpoint".into()).spawn(move || run(conn, signals))?;
    Ok((Nudge(nudge), thread))
}

fn run(conn: Connection, signals: Receiver<Signal>) {
    let mut due = false;
    loop {
        if !due && !matches!(signals.recv(), Ok(Signal::Grew)) {
            break;
        }
        checkpoint(&conn, "PASSIVE");
        due = false;
        // The pause: a stop ends it (and the thread) at once; a wake-up meanwhile waits for its end.
        let until = Instant::now() + GAP;
        loop {
            match signals.recv_timeout(until.saturating_duration_since(Instant::now())) {
                Ok(Signal::Grew) => due = true,
                Ok(Signal::Stop) | Err(RecvTimeoutError::Disconnected) => {
                    checkpoint(&conn, "TRUNCATE");
                    return;
                }
                Err(RecvTimeoutError::Timeout) => break,
            }
        }
    }
    checkpoint(&conn, "TRUNCATE");
}

fn checkpoint(conn: &Connection, mode: &str) {
    // A busy checkpoint just tries again next time; the log is never lost, only longer.
    if let Err(e) = conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |_| Ok(())) {
        tracing::debug!(error = %e, mode, "checkpoint skipped");
    }
}
