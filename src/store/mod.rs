//! The local SQLite store: the source of truth for every event Doorwatch has acknowledged.
//!
//! One writer thread owns the only write connection and commits deliveries in groups (see [`writer`]), and
//! door incidents with them ([`incidents`]); a second thread checkpoints the WAL off the commit path
//! ([`checkpoint`]); reads use their own connections ([`Reader`]). The file is created owner-only, opened
//! in WAL mode with `synchronous=FULL` unless the caller relaxes it, and versioned by [`schema`].

mod checkpoint;
mod doors;
pub mod export;
mod filter;
pub mod incidents;
mod insights;
mod presence;
mod private_file;
mod query;
mod rejection;
pub mod retention;
mod schema;
mod search;
mod text_index;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};
use serde::Serialize;
use tokio::sync::{broadcast, mpsc, oneshot};

use crate::event::{format_time, Event, Source};
pub use filter::EventFilter;
pub use incidents::{Incident, IncidentEnd};
pub use insights::{DayCount, FailureCell, Insights};
pub use presence::Presence;
pub use query::{Cursor, KindCounts, Page, Reader, RejectionCount, RejectionRecord};
pub use rejection::{RejectReason, Rejection};
pub use schema::CURRENT_VERSION as SCHEMA_VERSION;
pub use writer::MAX_BATCH;

/// How hard SQLite works to make a commit survive power loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Synchronous {
    /// fsync on every commit: an acknowledged event survives a power cut. The default.
    #[default]
    Full,
    /// fsync at checkpoints only: survives a crash of the app, not of the machine.
    Normal,
}

#[derive(Debug, Clone)]
pub struct StoreOptions {
    pub synchronous: Synchronous,
    /// How long a commit waits for a lock held by another process before answering 503.
    pub busy_timeout: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions { synchronous: Synchronous::Full, busy_timeout: Duration::from_secs(5) }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no Doorwatch database at {0} yet (start `doorwatch serve` once, or check --db / DOORWATCH_DB)")]
    NoDatabase(PathBuf),
    #[error("cannot open the database {path}: {reason}")]
    Open { path: PathBuf, reason: String },
    #[error(
        "the database {path} was written by a newer Doorwatch (schema v{found}, this build knows v{known}); \
         it was left untouched — install the newer version to read it"
    )]
    NewerSchema { path: PathBuf, found: i64, known: i64 },
    /// The commit did not happen (disk full, database locked by another program, I/O error).
    #[error("the database could not commit: {0}")]
    Unavailable(String),
    #[error("the database writer has stopped")]
    Closed,
    #[error("database query failed: {0}")]
    Query(#[from] rusqlite::Error),
}

/// An event as stored, with what the receiver knows about its delivery.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct StoredEvent {
    #[ts(type = "number")]
    pub id: i64,
    #[serde(serialize_with = "ser_time")]
    #[ts(type = "string")]
    pub received_at: i64,
    pub verified: bool,
    pub source: Source,
    #[ts(type = "number")]
    pub duplicates: i64,
    /// The `created_at` the event claimed when it lay more than [`FUTURE_TOLERANCE_MS`] after its
    /// arrival: it is stored and sorted at its arrival instead (so it cannot sit atop the timeline, count
    /// as "today" for ever or escape retention); the claim is kept here and in the raw JSON.
    #[serde(serialize_with = "ser_opt_time")]
    #[ts(type = "string | null")]
    pub claimed_created_at: Option<i64>,
    #[serde(flatten)]
    pub event: Event,
}

/// How far in the future (by this computer's clock) an event's own time may lie and still be believed:
/// clocks differ by seconds, not minutes.
pub const FUTURE_TOLERANCE_MS: i64 = 5 * 60 * 1000;

/// The time to store an event at, and the claim set aside when it is too far in the future.
pub fn believable_time(created_at: Option<i64>, received_at: i64) -> (i64, Option<i64>) {
    match created_at {
        Some(t) if t > received_at.saturating_add(FUTURE_TOLERANCE_MS) => (received_at, Some(t)),
        Some(t) => (t, None),
        None => (received_at, None),
    }
}

fn ser_opt_time<S: serde::Serializer>(ms: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    match ms {
        Some(ms) => s.serialize_str(&format_time(*ms)),
        None => s.serialize_none(),
    }
}

impl StoredEvent {
    /// An unsigned webhook delivery: anyone who knew the URL could have sent it. (Events fetched from
    /// Kisi's API by a backfill carry no signature but come from Kisi itself.)
    pub fn unverified(&self) -> bool {
        !self.verified && self.source == Source::Webhook
    }

    /// The time the timeline sorts by: the event's own, or its arrival when Kisi sent none.
    pub fn time(&self) -> i64 {
        self.event.created_at.unwrap_or(self.received_at)
    }
}

fn ser_time<S: serde::Serializer>(ms: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_time(*ms))
}

/// A change to a `meta` entry, decided inside the writer's transaction (so it cannot race another).
#[derive(Debug, Clone)]
pub enum MetaChange {
    Set(String),
    Remove,
    /// Sets a time (Unix ms) unless the entry already holds an earlier one.
    LowerTo(i64),
    /// Moves a time forward to `to`, but only if it is in `[from, to)` now.
    AdvanceWithin {
        from: i64,
        to: i64,
    },
}

/// One event on its way into the store.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub event: Event,
    pub received_at: i64,
    pub verified: bool,
    pub source: Source,
}

/// What the store did with a delivery; either way it is durably committed when this is returned.
#[derive(Debug, Clone, PartialEq)]
pub enum Ingested {
    Stored(Arc<StoredEvent>),
    Duplicate {
        id: i64,
        uuid: String,
        duplicates: i64,
    },
    /// A backfilled event that was already stored (usually by its webhook): left exactly as it was.
    AlreadyStored {
        uuid: String,
    },
}

impl Ingested {
    pub fn uuid(&self) -> &str {
        match self {
            Ingested::Stored(e) => &e.event.uuid,
            Ingested::Duplicate { uuid, .. } | Ingested::AlreadyStored { uuid } => uuid,
        }
    }
}

/// A handle on the store: cheap to clone, shared by the ingest router, the CLI and the desktop shell.
/// The writer thread stops, after committing everything queued, when the last handle is dropped.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    jobs: Option<mpsc::Sender<writer::Job>>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
    checkpointer: Mutex<Option<(checkpoint::Nudge, std::thread::JoinHandle<()>)>>,
    feed: broadcast::Sender<Arc<StoredEvent>>,
    busy_timeout: Duration,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.jobs.take();
        if let Some(thread) = self.thread.lock().ok().and_then(|mut t| t.take()) {
            let _ = thread.join();
        }
        // After the writer, so the final checkpoint sees every commit.
        if let Some((nudge, thread)) = self.checkpointer.lock().ok().and_then(|mut c| c.take()) {
            nudge.stop();
            let _ = thread.join();
        }
    }
}

/// How many new events the feed holds for a slow subscriber before it reports `Lagged` (after which
/// the subscriber re-reads from the store, which is the source of truth).
const FEED_CAPACITY: usize = 1024;
/// How many deliveries may wait for the writer before new ones wait for room.
const QUEUE_CAPACITY: usize = 8192;

impl Store {
    /// Opens (creating if needed) the database at `path` and starts its writer thread.
    pub fn open(path: &Path, options: StoreOptions) -> Result<Store, StoreError> {
        private_file::create(path)?;
        let conn = open_connection(path, OpenFlags::SQLITE_OPEN_READ_WRITE, &options)?;
        conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        let checkpoint_conn = open_connection(path, OpenFlags::SQLITE_OPEN_READ_WRITE, &options)?;
        let thread_error = |e: std::io::Error| StoreError::Open {
            path: path.to_owned(),
            reason: format!("cannot start a database thread: {e}"),
        };
        let (nudge, checkpointer) = checkpoint::spawn(checkpoint_conn).map_err(thread_error)?;
        let (jobs, rx) = mpsc::channel(QUEUE_CAPACITY);
        let (feed, _) = broadcast::channel(FEED_CAPACITY);
        let thread = writer::spawn(conn, rx, feed.clone(), nudge.clone()).map_err(thread_error)?;
        Ok(Store {
            inner: Arc::new(Inner {
                path: path.to_owned(),
                jobs: Some(jobs),
                thread: Mutex::new(Some(thread)),
                checkpointer: Mutex::new(Some((nudge, checkpointer))),
                feed,
                busy_timeout: options.busy_timeout,
            }),
        })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Stores a delivery and returns once it is durably committed (or the commit failed).
    pub async fn ingest(&self, delivery: Delivery) -> Result<Ingested, StoreError> {
        let (reply, answer) = oneshot::channel();
        let jobs = self.inner.jobs.as_ref().ok_or(StoreError::Closed)?;
        jobs.send(writer::Job::Insert { delivery: Box::new(delivery), reply }).await.map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }

    /// Stores many deliveries (a backfill page) and returns once all are committed. They are queued
    /// together, so the writer commits them in a few transactions rather than one each.
    pub async fn ingest_batch(&self, deliveries: Vec<Delivery>) -> Result<Vec<Ingested>, StoreError> {
        let jobs = self.inner.jobs.as_ref().ok_or(StoreError::Closed)?;
        let mut answers = Vec::with_capacity(deliveries.len());
        for delivery in deliveries {
            let (reply, answer) = oneshot::channel();
            jobs.send(writer::Job::Insert { delivery: Box::new(delivery), reply })
                .await
                .map_err(|_| StoreError::Closed)?;
            answers.push(answer);
        }
        let mut outcomes = Vec::with_capacity(answers.len());
        for answer in answers {
            outcomes.push(answer.await.map_err(|_| StoreError::Closed)??);
        }
        Ok(outcomes)
    }

    /// Changes a small fact kept with the events, once it is committed.
    pub async fn change_meta(&self, key: &str, change: MetaChange) -> Result<(), StoreError> {
        let (reply, answer) = oneshot::channel();
        let jobs = self.inner.jobs.as_ref().ok_or(StoreError::Closed)?;
        jobs.send(writer::Job::Meta { key: key.to_owned(), change, reply }).await.map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }

    /// Deletes up to `limit` of the oldest events created before `before` (Unix ms), in one short
    /// transaction of the writer; returns how many went. Call again until it returns less than `limit`.
    pub async fn prune(&self, before: i64, limit: usize) -> Result<usize, StoreError> {
        let (reply, answer) = oneshot::channel();
        let jobs = self.inner.jobs.as_ref().ok_or(StoreError::Closed)?;
        jobs.send(writer::Job::Prune { before, limit, reply }).await.map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }

    /// Records a refused delivery in the bounded rejection log. Does not wait for the commit: a
    /// flood of garbage must not slow down real deliveries.
    pub fn record_rejection(&self, rejection: Rejection) {
        if let Some(jobs) = &self.inner.jobs {
            let _ = jobs.try_send(writer::Job::Reject(rejection));
        }
    }

    /// New events (never duplicates), in commit order, after they are committed.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<StoredEvent>> {
        self.inner.feed.subscribe()
    }

    /// A read connection of its own.
    pub fn reader(&self) -> Result<Reader, StoreError> {
        Reader::from_connection(open_connection(
            &self.inner.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY,
            &StoreOptions { busy_timeout: self.inner.busy_timeout, ..StoreOptions::default() },
        )?)
    }
}

impl Reader {
    /// Opens an existing database for reading, without creating one where there is none.
    pub fn open(path: &Path) -> Result<Reader, StoreError> {
        if !path.exists() {
            return Err(StoreError::NoDatabase(path.to_owned()));
        }
        // A read-write open first, so an older schema is brought up to date before it is read.
        drop(open_connection(path, OpenFlags::SQLITE_OPEN_READ_WRITE, &StoreOptions::default())?);
        Reader::from_connection(open_connection(path, OpenFlags::SQLITE_OPEN_READ_ONLY, &StoreOptions::default())?)
    }
}

fn open_connection(path: &Path, flags: OpenFlags, options: &StoreOptions) -> Result<Connection, StoreError> {
    let fail = |e: rusqlite::Error| StoreError::Open { path: path.to_owned(), reason: describe_open_error(&e) };
    let mut conn = Connection::open_with_flags(path, flags | OpenFlags::SQLITE_OPEN_NO_MUTEX).map_err(fail)?;
    conn.busy_timeout(options.busy_timeout).map_err(fail)?;
    if flags.contains(OpenFlags::SQLITE_OPEN_READ_WRITE) {
        let mode: String = conn.pragma_update_and_check(None, "journal_mode", "wal", |r| r.get(0)).map_err(fail)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Open { path: path.to_owned(), reason: format!("WAL mode unavailable ({mode})") });
        }
        let sync = match options.synchronous {
            Synchronous::Full => "FULL",
            Synchronous::Normal => "NORMAL",
        };
        conn.pragma_update(None, "synchronous", sync).map_err(fail)?;
        match schema::migrate(&mut conn).map_err(fail)? {
            schema::Migrated::UpToDate => {}
            schema::Migrated::NewerThanThisBuild(found) => {
                return Err(StoreError::NewerSchema { path: path.to_owned(), found, known: schema::CURRENT_VERSION });
            }
        }
    } else {
        let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).map_err(fail)?;
        if found > schema::CURRENT_VERSION {
            return Err(StoreError::NewerSchema { path: path.to_owned(), found, known: schema::CURRENT_VERSION });
        }
    }
    Ok(conn)
}

fn describe_open_error(e: &rusqlite::Error) -> String {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::NotADatabase) => {
            "it is not a SQLite database or it is damaged; it was left untouched (restore it from a backup, or \
             move it aside to start a new one)"
                .to_owned()
        }
        Some(rusqlite::ErrorCode::DatabaseCorrupt) => {
            "it is damaged; it was left untouched (restore it from a backup, or move it aside to start a new one)"
                .to_owned()
        }
        _ => e.to_string(),
    }
}
