//! The full-text index follows the commits instead of sitting inside them (`src/store/text_index.rs`):
//! a search finds an event from the moment it is acknowledged, an index left behind by a crash is caught
//! up when the store opens again, deleting rows the index never held leaves it sound, and common and
//! rare words page alike. (That an idle store wakes none of its threads: `tests/store_idle.rs`.)

mod support;

use std::time::{Duration, Instant};

use doorwatch::event::{Event, Source};
use doorwatch::store::{Delivery, EventFilter, Reader, Store, StoreOptions};
use rusqlite::Connection;
use support::*;

const BASE: i64 = 1_793_577_600_000;

fn delivery(uuid: &str, at: i64, actor: &str) -> Delivery {
    let raw = serde_json::to_vec(&serde_json::json!({
        "uuid": uuid, "type": "lock.unlock", "actor_type": "User", "actor_name": actor,
        "object_name": "Main Entrance", "success": true, "created_at": doorwatch::event::format_time(at),
    }))
    .unwrap();
    Delivery { event: Event::from_json(&raw).unwrap(), received_at: at, verified: true, source: Source::Webhook }
}

/// Stores one visitor's unlock, then 6,000 newer ones by staff: the visitor is older than the newest
/// rows a search checks one by one, so only the full-text path (index or its tail) can find her.
async fn fill(store: &Store) {
    store.ingest(delivery("visitor", BASE, "Margaret Hamilton")).await.unwrap();
    let batch = (0..6000).map(|i| delivery(&format!("staff-{i}"), BASE + 1000 + i, "Staff Member")).collect();
    store.ingest_batch(batch).await.unwrap();
}

fn found(reader: &Reader, words: &str) -> Vec<String> {
    let filter = EventFilter { search: Some(words.into()), ..Default::default() };
    reader.events(&filter, None, 50).unwrap().events.into_iter().map(|e| e.event.uuid).collect()
}

fn mark(conn: &Connection) -> i64 {
    conn.query_row("SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'text_indexed_up_to'", [], |r| r.get(0))
        .unwrap()
}

fn indexed(conn: &Connection, words: &str) -> i64 {
    conn.query_row("SELECT count(*) FROM events_text WHERE events_text MATCH ?1", [words], |r| r.get(0)).unwrap()
}

/// FTS5's own check: its structure is sound, and, with `against_rows`, it holds exactly the rows'
/// words (only true once the index has caught up).
fn fts_sound(conn: &Connection, against_rows: bool) {
    conn.execute("INSERT INTO events_text (events_text, rank) VALUES ('integrity-check', ?1)", [against_rows as i64])
        .unwrap();
}

/// What a crash between a commit and its follower leaves: rows the index does not hold yet.
fn forget_the_index(path: &std::path::Path) {
    let conn = Connection::open(path).unwrap();
    conn.execute_batch(
        "INSERT INTO events_text (events_text) VALUES ('delete-all');
         UPDATE meta SET value = '0' WHERE key = 'text_indexed_up_to';",
    )
    .unwrap();
}

#[tokio::test]
async fn an_event_is_found_from_its_commit_and_indexed_when_the_writer_is_free() {
    let t = open_store_with(StoreOptions { synchronous: doorwatch::store::Synchronous::Normal, ..Default::default() });
    fill(&t.store).await;
    let reader = t.store.reader().unwrap();
    // Found at once, whether the follower has run yet or not.
    assert_eq!(found(&reader, "hamilton"), ["visitor"]);
    // And the follower does run, soon after the last commit.
    let conn = Connection::open(&t.path).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while mark(&conn) < 6001 {
        assert!(Instant::now() < deadline, "the index never caught up (mark {})", mark(&conn));
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(indexed(&conn, "hamilton"), 1);
    assert_eq!(indexed(&conn, "staff"), 6000, "every row indexed once");
    fts_sound(&conn, true);
}

#[tokio::test]
async fn an_index_left_behind_is_searched_row_by_row_and_caught_up_at_the_next_start() {
    let t = open_store_with(StoreOptions { synchronous: doorwatch::store::Synchronous::Normal, ..Default::default() });
    fill(&t.store).await;
    let path = t.path.clone();
    drop(t.store);
    forget_the_index(&path);
    // Before any writer runs: the index holds nothing, and the search still finds her.
    let reader = Reader::open(&path).unwrap();
    assert_eq!(found(&reader, "hamilton"), ["visitor"]);
    assert!(found(&reader, "lovelace").is_empty());
    // Rows the index never held can be deleted without harming it (retention after a crash).
    let conn = Connection::open(&path).unwrap();
    conn.execute("DELETE FROM events WHERE uuid = 'staff-0'", []).unwrap();
    fts_sound(&conn, false);
    // The next start catches up, and every row is in the index once.
    let store = Store::open(&path, StoreOptions::default()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while mark(&conn) < 6001 {
        assert!(Instant::now() < deadline, "the index never caught up (mark {})", mark(&conn));
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(indexed(&conn, "hamilton"), 1);
    assert_eq!(indexed(&conn, "staff"), 5999);
    fts_sound(&conn, true);
    assert_eq!(found(&reader, "hamilton"), ["visitor"]);
    // Deleting indexed rows takes them out of the index (the retention path).
    conn.execute("DELETE FROM events WHERE uuid = 'visitor'", []).unwrap();
    assert_eq!(indexed(&conn, "hamilton"), 0);
    fts_sound(&conn, true);
    drop(store);
}

#[tokio::test]
async fn a_common_word_pages_from_the_newest_rows_and_deep_pages_still_agree() {
    let t = open_store_with(StoreOptions { synchronous: doorwatch::store::Synchronous::Normal, ..Default::default() });
    // 24,000 staff unlocks (more than a search counts as "common"), every 100th by the visitor.
    let batch = (0..24_000)
        .map(|i| {
            let who = if i % 100 == 0 { "Margaret Hamilton" } else { "Staff Member" };
            delivery(&format!("e{i:05}"), BASE + i * 1000, who)
        })
        .collect();
    t.store.ingest_batch(batch).await.unwrap();
    let reader = t.store.reader().unwrap();
    let search = |words: &str, after| {
        let filter = EventFilter { search: Some(words.into()), ..Default::default() };
        reader.events(&filter, after, 50).unwrap()
    };
    let expected = |from: i64| -> Vec<String> {
        (0..from).rev().filter(|i| i % 100 != 0).take(50).map(|i| format!("e{i:05}")).collect()
    };
    let first = search("staff", None);
    assert_eq!(first.events.iter().map(|e| e.event.uuid.clone()).collect::<Vec<_>>(), expected(24_000));
    // Far past the newest rows a search checks one by one: the index answers, in the same order.
    let mut page = first;
    for _ in 0..150 {
        page = search("staff", page.next);
    }
    let last_seen: i64 = page.events[0].event.uuid[1..].parse().unwrap();
    assert_eq!(page.events.iter().map(|e| e.event.uuid.clone()).collect::<Vec<_>>(), expected(last_seen + 1));
    assert!(last_seen < 24_000 - 5_000, "the pages went past the rows checked one by one");
    // A rare word among them: just its events, newest first.
    let visitor = search("hamilton", None);
    assert_eq!(visitor.events.len(), 50);
    assert_eq!(visitor.events[0].event.uuid, "e23900");
    assert!(visitor.events.iter().all(|e| e.event.actor_label.as_deref() == Some("Margaret Hamilton")));
}
