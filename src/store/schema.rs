//! The database schema as an append-only list of migrations, tracked by `PRAGMA user_version` and
//! applied in one transaction. Never edit a migration that has shipped: add the next one.

use rusqlite::Connection;

const MIGRATIONS: &[&str] = &[
    // v1: events, their indexes for the timeline's keyset queries, free-text search, and the bounded
    // log of rejected deliveries.
    r#"
    CREATE TABLE events (
        id              INTEGER PRIMARY KEY,
        uuid            TEXT    NOT NULL UNIQUE,
        type            TEXT    NOT NULL,
        kind            TEXT    NOT NULL,
        success         INTEGER,
        actor_type      TEXT,
        actor_id        INTEGER,
        actor_name      TEXT,
        actor_email     TEXT,
        actor_label     TEXT,
        object_type     TEXT,
        object_id       INTEGER,
        object_name     TEXT,
        place_id        INTEGER,
        organization_id INTEGER,
        error_code      TEXT,
        error_message   TEXT,
        message         TEXT,
        created_at      INTEGER NOT NULL,  -- the event's own time, Unix ms (received_at when Kisi sent none)
        received_at     INTEGER NOT NULL,  -- when this receiver stored it, Unix ms
        verified        INTEGER NOT NULL,  -- 1 when the X-Signature was checked and matched
        source          TEXT    NOT NULL,  -- 'webhook' | 'backfill'
        duplicates      INTEGER NOT NULL DEFAULT 0,  -- re-deliveries of the same uuid
        raw             BLOB    NOT NULL   -- the body exactly as delivered
    );
    -- Every index costs each insert, so the ones that serve failed unlocks cover only those rows.
    CREATE INDEX events_by_time        ON events (created_at, id);
    CREATE INDEX events_by_door        ON events (object_name COLLATE NOCASE, created_at, id);
    CREATE INDEX events_by_actor       ON events (actor_label COLLATE NOCASE, created_at, id);
    CREATE INDEX events_by_type        ON events (type, created_at, id);
    CREATE INDEX failed_by_time        ON events (created_at, id) WHERE kind = 'unlock_failed';
    CREATE INDEX failed_by_door        ON events (object_name COLLATE NOCASE, created_at, id)
        WHERE kind = 'unlock_failed';

    -- Free text over who, where and why it failed (Kisi's `message` repeats the first two).
    CREATE VIRTUAL TABLE events_text USING fts5 (
        actor_label, object_name, error_message,
        content = 'events', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2',
        detail = 'none', columnsize = 0
    );
    CREATE TRIGGER events_text_insert AFTER INSERT ON events BEGIN
        INSERT INTO events_text (rowid, actor_label, object_name, error_message)
        VALUES (new.id, new.actor_label, new.object_name, new.error_message);
    END;
    CREATE TRIGGER events_text_delete AFTER DELETE ON events BEGIN
        INSERT INTO events_text (events_text, rowid, actor_label, object_name, error_message)
        VALUES ('delete', old.id, old.actor_label, old.object_name, old.error_message);
    END;

    CREATE TABLE rejections (
        id     INTEGER PRIMARY KEY,
        at     INTEGER NOT NULL,  -- Unix ms
        reason TEXT    NOT NULL,
        size   INTEGER NOT NULL,  -- body bytes, or the declared Content-Length
        detail TEXT    NOT NULL
    );
    CREATE TABLE rejection_counts (
        reason TEXT PRIMARY KEY,
        count  INTEGER NOT NULL
    ) WITHOUT ROWID;
    "#,
    // v2: small facts the app keeps with the events, e.g. where an interrupted backfill must resume.
    r#"
    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) WITHOUT ROWID;
    "#,
    // v3: the time an event claimed when it was too far in the future to believe (it is stored, and
    // sorted, at its arrival instead; the claim stays here and in `raw`).
    r#"
    ALTER TABLE events ADD COLUMN claimed_created_at INTEGER;
    "#,
    // v4: a door closing is a kind of its own (it ends a door incident); door incidents (held or forced
    // open, until closed or acknowledged) and the events that belong to each.
    r#"
    UPDATE events SET kind = 'door_closed'
        WHERE type IN ('lock.closed', 'wireless_lock.closed', 'controller_input.closed');
    CREATE TABLE incidents (
        id              INTEGER PRIMARY KEY,
        door            TEXT    NOT NULL,  -- the event's object_name ('' when it had none)
        kind            TEXT    NOT NULL,  -- 'held_open' | 'forced_open' (the event that opened it)
        opened_at       INTEGER NOT NULL,  -- the opening event's time, Unix ms
        opened_by       TEXT    NOT NULL,  -- that event's uuid
        ended_at        INTEGER,           -- Unix ms; NULL while open
        ended_by        TEXT,              -- 'closed' | 'acknowledged'
        ended_event     TEXT,              -- the closing event's uuid, when closed by one
        reminders       INTEGER NOT NULL DEFAULT 0,  -- repeat notifications sent
        last_reminder   INTEGER,                     -- Unix ms of the latest notification
        trusted         INTEGER NOT NULL   -- 1 when opened by a signed or backfilled event
    );
    CREATE INDEX incidents_open ON incidents (door) WHERE ended_at IS NULL;
    CREATE INDEX incidents_by_time ON incidents (opened_at, id);
    CREATE TABLE incident_events (
        incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
        event_uuid  TEXT    NOT NULL,
        PRIMARY KEY (incident_id, event_uuid)
    ) WITHOUT ROWID;
    "#,
    // v5: the full-text index is kept by a follower transaction after each commit (`text_index.rs`),
    // not by a trigger inside it: a delivery is acknowledged once it is durable, not once it is indexed.
    // `text_indexed_up_to` in `meta` is the newest event id the index holds; every row up to it is
    // indexed, none after it. Deleting a row takes it out of the index only if it was in it (FTS5 must
    // never be asked to delete what it does not hold).
    // The index also keeps prefixes of 2 to 8 letters (every search word is a word beginning: "grace
    // hop" is `"grace"* "hop"*`, which without them merged every term's list, ≈ 16 ms on a million
    // events); it is rebuilt here from the rows, in about a second per million.
    r#"
    DROP TRIGGER events_text_insert;
    DROP TRIGGER events_text_delete;
    DROP TABLE events_text;
    CREATE VIRTUAL TABLE events_text USING fts5 (
        actor_label, object_name, error_message,
        content = 'events', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2',
        detail = 'none', columnsize = 0, prefix = '2 3 4 5 6 7 8'
    );
    INSERT INTO events_text (events_text) VALUES ('rebuild');
    INSERT INTO meta (key, value) VALUES ('text_indexed_up_to', (SELECT coalesce(max(id), 0) FROM events))
        ON CONFLICT (key) DO UPDATE SET value = excluded.value;
    CREATE TRIGGER events_text_delete AFTER DELETE ON events
    WHEN old.id <= (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'text_indexed_up_to')
    BEGIN
        INSERT INTO events_text (events_text, rowid, actor_label, object_name, error_message)
        VALUES ('delete', old.id, old.actor_label, old.object_name, old.error_message);
    END;
    "#,
];

/// The schema version this build writes.
pub const CURRENT_VERSION: i64 = MIGRATIONS.len() as i64;

/// What the database said about its version before migrating.
pub enum Migrated {
    UpToDate,
    NewerThanThisBuild(i64),
}

/// Brings the schema up to [`CURRENT_VERSION`], all steps in one transaction.
pub fn migrate(conn: &mut Connection) -> rusqlite::Result<Migrated> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if version > CURRENT_VERSION {
        return Ok(Migrated::NewerThanThisBuild(version));
    }
    if version == CURRENT_VERSION {
        return Ok(Migrated::UpToDate);
    }
    let tx = conn.transaction()?;
    for step in &MIGRATIONS[version as usize..] {
        tx.execute_batch(step)?;
    }
    tx.pragma_update(None, "user_version", CURRENT_VERSION)?;
    tx.commit()?;
    Ok(Migrated::UpToDate)
}
