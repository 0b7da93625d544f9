//! Checkpoints off the commit path. In WAL mode SQLite copies the log back into the database now and
//! then; left to itself it does so inside whichever commit crosses the threshold, and that delivery
//! waits for the extra fsyncs. Here the writer never checkpoints: this thread, on its own connection,
//! runs a PASSIVE checkpoint (which never blocks the writer) a few times a second, and a full one when
//! the store closes.

use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

use rusqlite::Connection;

const INTERVAL: Duration = Duration::from_millis(250);

pub(super) fn spawn(conn: Connection, stop: Receiver<()>) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new().name("doorwatch-checkpoint".into()).spawn(move || run(conn, stop))
}

fn run(conn: Connection, stop: Receiver<()>) {
    while let Err(RecvTimeoutError::Timeout) = stop.recv_timeout(INTERVAL) {
        checkpoint(&conn, "PASSIVE");
    }
    checkpoint(&conn, "TRUNCATE");
}

fn checkpoint(conn: &Connection, mode: &str) {
    // A busy checkpoint just tries again next time; the log is never lost, only longer.
    if let Err(e) = conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |_| Ok(())) {
        tracing::debug!(error = %e, mode, "checkpoint skipped");
    }
}
