//! The store on a real SQLite file: fixtures round-trip with the right kind and label, the timeline's
//! queries page and filter correctly, and what was stored survives a restart.

mod support;

use std::collections::HashSet;

use doorwatch::event::{Event, EventKind, Source};
use doorwatch::store::{Delivery, EventFilter, Ingested, Reader, Store, StoreError, StoreOptions, SCHEMA_VERSION};
use support::*;

fn delivery(raw: &[u8], received_at: i64) -> Delivery {
    Delivery { event: Event::from_json(raw).unwrap(), received_at, verified: true, source: Source::Webhook }
}

/// A small event at `created_at` (Unix ms) with the given door, actor and outcome.
fn event_at(uuid: &str, created_at: i64, door: &str, actor: &str, success: bool) -> Vec<u8> {
    let t = doorwatch::event::format_time(created_at);
    serde_json::to_vec(&serde_json::json!({
        "uuid": uuid, "type": "lock.unlock", "actor_type": "User", "actor_name": actor,
        "object_name": door, "success": success, "created_at": t,
        "error_message": if success { None } else { Some("Access denied.") },
    }))
    .unwrap()
}

#[tokio::test]
async fn every_fixture_is_stored_and_read_back_with_its_kind_and_actor_label() {
    let t = open_store();
    let expected = [
        ("full-event-object.json", EventKind::UnlockOk, Some("Ada Lovelace")),
        ("lock-held-open.json", EventKind::HeldOpen, None),
        ("lock-opened.json", EventKind::DoorOpened, None),
        ("login-create.json", EventKind::Login, Some("Ada Lovelace")),
        ("seed-sample.json", EventKind::UnlockOk, Some("string: string")),
        ("unlock-access-link.json", EventKind::UnlockOk, Some("Access link: Cleaning crew link")),
        ("unlock-exit-button.json", EventKind::UnlockOk, Some("Exit button")),
        ("unlock-failed-user.json", EventKind::UnlockFailed, Some("Grace Hopper")),
        ("unlock-ok-user.json", EventKind::UnlockOk, Some("Ada Lovelace")),
    ];
    assert_eq!(expected.len(), FIXTURES.len());
    for (name, kind, label) in expected {
        let raw = fixture(name);
        // Received now: after the fixtures' own times (a time well after its arrival would be disbelieved).
        let now = chrono::Utc::now().timestamp_millis();
        let Ingested::Stored(stored) = t.store.ingest(delivery(&raw, now)).await.unwrap() else {
            panic!("{name} was not new")
        };
        let read = t.store.reader().unwrap().event(&stored.event.uuid).unwrap().unwrap();
        assert_eq!(read.event.kind, kind, "{name}");
        assert_eq!(read.event.actor_label.as_deref(), label, "{name}");
        assert_eq!(read.event.raw, raw, "{name}: raw bytes must come back identical");
        assert_eq!(*stored, read, "{name}: what the feed announced is what was stored");
    }
    let full = t.store.reader().unwrap().event("0b6f3a52-1c1e-4d8a-9f53-2a8c6f1d0e08").unwrap().unwrap();
    assert_eq!(full.event.created_at, doorwatch::event::parse_time("2026-11-02T09:00:01.250Z"));
    assert_eq!(full.event.actor_email.as_deref(), Some("ada@example.com"));
    assert_eq!(full.event.place_id, Some(3301));
    let failed = t.store.reader().unwrap().event("0b6f3a52-1c1e-4d8a-9f53-2a8c6f1d0e02").unwrap().unwrap();
    assert_eq!(failed.event.error_code.as_deref(), Some("fcd8ef"));
    assert_eq!(failed.event.error_message.as_deref(), Some("Access denied."));
}

#[tokio::test]
async fn unknown_event_types_are_stored_generically() {
    let t = open_store();
    let raw = br#"{"uuid":"u-new","type":"teleporter.engage","object_name":"Bay 1","future_field":[1,2]}"#;
    t.store.ingest(delivery(raw, 5)).await.unwrap();
    let e = t.store.reader().unwrap().event("u-new").unwrap().unwrap();
    assert_eq!(e.event.kind, EventKind::Other);
    assert_eq!(e.event.event_type, "teleporter.engage");
    assert_eq!(e.time(), 5, "without created_at the arrival time orders it");
}

#[tokio::test]
async fn bodies_without_uuid_collapse_by_their_bytes() {
    let t = open_store();
    let raw = br#"{"type":"lock.unlock","object_name":"Old Door","success":true}"#;
    assert!(matches!(t.store.ingest(delivery(raw, 1)).await.unwrap(), Ingested::Stored(_)));
    assert!(matches!(t.store.ingest(delivery(raw, 2)).await.unwrap(), Ingested::Duplicate { duplicates: 1, .. }));
    assert_eq!(t.store.reader().unwrap().count().unwrap(), 1);
}

#[tokio::test]
async fn pages_are_newest_first_by_event_time_and_never_repeat_or_skip() {
    let t = open_store();
    let base = 1_793_600_000_000;
    // Delivered out of order, with ties on the same millisecond.
    for i in (0..250).rev() {
        let at = base + (i / 2) * 1000;
        t.store.ingest(delivery(&event_at(&format!("e{i}"), at, "Main Entrance", "Ada", true), 0)).await.unwrap();
    }
    let reader = t.store.reader().unwrap();
    let (mut seen, mut after, mut last_time) = (Vec::new(), None, i64::MAX);
    loop {
        let page = reader.events(&EventFilter::default(), after, 40).unwrap();
        for e in &page.events {
            assert!(e.time() <= last_time, "out of order");
            last_time = e.time();
            seen.push(e.event.uuid.clone());
        }
        match page.next {
            Some(c) => after = Some(c),
            None => break,
        }
    }
    assert_eq!(seen.len(), 250);
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 250, "a row appeared on two pages");
}

#[tokio::test]
async fn filters_select_what_they_say() {
    let t = open_store();
    let day = 86_400_000;
    let base = 1_793_577_600_000; // 2026-11-02T00:00:00Z
    let rows = [
        ("a", base + 9 * 3_600_000, "Main Entrance", "Ada Lovelace", true),
        ("b", base + 10 * 3_600_000, "Main Entrance", "Grace Hopper", false),
        ("c", base + 10 * 3_600_000 + 60_000, "Back Door", "Grace Hopper", false),
        ("d", base + day + 3_600_000, "Main Entrance", "Grace Hopper", false),
        ("e", base + day + 7_200_000, "Back Door", "Ada Lovelace", true),
    ];
    for (uuid, at, door, actor, ok) in rows {
        t.store.ingest(delivery(&event_at(uuid, at, door, actor, ok), at)).await.unwrap();
    }
    let reader = t.store.reader().unwrap();
    let uuids = |f: EventFilter| -> Vec<String> {
        reader.events(&f, None, 100).unwrap().events.into_iter().map(|e| e.event.uuid).collect()
    };
    assert_eq!(uuids(EventFilter { failed_only: true, ..Default::default() }), ["d", "c", "b"]);
    assert_eq!(uuids(EventFilter { door: Some("main entrance".into()), ..Default::default() }), ["d", "b", "a"]);
    assert_eq!(
        uuids(EventFilter { failed_only: true, door: Some("Main Entrance".into()), ..Default::default() }),
        ["d", "b"]
    );
    assert_eq!(uuids(EventFilter { actor: Some("ada lovelace".into()), ..Default::default() }), ["e", "a"]);
    assert_eq!(uuids(EventFilter { since: Some(base + day), ..Default::default() }), ["e", "d"]);
    assert_eq!(uuids(EventFilter { until: Some(base + 10 * 3_600_000), ..Default::default() }), ["a"]);
    assert_eq!(
        uuids(EventFilter { event_type: Some("lock.opened".into()), ..Default::default() }),
        Vec::<String>::new()
    );
    assert_eq!(uuids(EventFilter { search: Some("grac hop".into()), ..Default::default() }), ["d", "c", "b"]);
    assert_eq!(uuids(EventFilter { search: Some("denied back".into()), ..Default::default() }), ["c"]);
    assert_eq!(uuids(EventFilter { search: Some("\"; DROP TABLE events; --".into()), ..Default::default() }).len(), 0);

    let today = reader.counts_since(base + day).unwrap();
    assert_eq!((today.unlock_ok, today.unlock_failed, today.total()), (1, 1, 2));
    assert_eq!(reader.last_received_at().unwrap(), Some(base + day + 7_200_000));

    let cells = reader.failures_by_door_and_hour(base, base + 2 * day, 0).unwrap();
    let cells: Vec<(String, u8, i64)> = cells.into_iter().map(|c| (c.door, c.hour, c.count)).collect();
    assert_eq!(cells, [("Back Door".into(), 10, 1), ("Main Entrance".into(), 1, 1), ("Main Entrance".into(), 10, 1)]);
    let shifted = reader.failures_by_door_and_hour(base, base + 2 * day, 2 * 3600).unwrap();
    assert!(shifted.iter().all(|c| c.hour == 12 || c.hour == 3), "hours follow the caller's time zone");
}

#[tokio::test]
async fn everything_survives_a_restart() {
    let t = open_store();
    let mut uuids = Vec::new();
    for name in FIXTURES {
        uuids.push(t.store.ingest(delivery(&fixture(name), 7)).await.unwrap().uuid().to_owned());
    }
    let path = t.path.clone();
    let before = events_snapshot(&path);
    drop(t.store);
    let reopened = Store::open(&path, StoreOptions::default()).unwrap();
    assert_eq!(events_snapshot(&path), before);
    let reader = reopened.reader().unwrap();
    for uuid in uuids {
        assert!(reader.event(&uuid).unwrap().is_some(), "{uuid} lost across a restart");
    }
    // A re-delivery after the restart is still recognised.
    let again = reopened.ingest(delivery(&fixture("unlock-ok-user.json"), 8)).await.unwrap();
    assert!(matches!(again, Ingested::Duplicate { duplicates: 1, .. }));
}

#[cfg(unix)]
#[test]
fn the_database_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let t = open_store();
    let mode = std::fs::metadata(&t.path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

#[test]
fn a_newer_database_is_refused_with_a_message_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("future.sqlite3");
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1).unwrap();
    drop(conn);
    let err = Store::open(&path, StoreOptions::default()).err().unwrap();
    assert!(matches!(err, StoreError::NewerSchema { .. }));
    let message = err.to_string();
    assert!(message.contains(path.to_str().unwrap()), "{message}");
    assert!(message.contains("newer"), "{message}");
}

#[test]
fn a_file_that_is_not_a_database_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.sqlite3");
    let junk = b"these are my notes, not a database at all......................................".repeat(20);
    std::fs::write(&path, &junk).unwrap();
    let err = Store::open(&path, StoreOptions::default()).err().unwrap();
    let message = err.to_string();
    assert!(message.contains(path.to_str().unwrap()), "{message}");
    assert!(message.contains("not a SQLite database"), "{message}");
    assert_eq!(std::fs::read(&path).unwrap(), junk, "the file must not be touched");
}

#[test]
fn reading_where_there_is_no_database_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("typo.sqlite3");
    assert!(matches!(Reader::open(&path), Err(StoreError::NoDatabase(_))));
    assert!(!path.exists());
}

#[tokio::test]
async fn search_finds_the_same_events_whether_its_words_are_rare_or_common() {
    let t = open_store();
    let base = 1_793_577_600_000;
    // 2,100 of Grace's unlocks (commoner than the full-text index is asked to list), one of Ada's,
    // and one refused unlock with an accented name.
    let mut tasks = Vec::new();
    for i in 0..2100 {
        let store = t.store.clone();
        let raw = event_at(&format!("g{i}"), base + i * 1000, "Main Entrance", "Grace Hopper", true);
        tasks.push(tokio::spawn(async move { store.ingest(delivery(&raw, 0)).await.unwrap() }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    t.store.ingest(delivery(&event_at("ada", base + 5, "Back Door", "Ada Lovelace", true), 0)).await.unwrap();
    t.store.ingest(delivery(&event_at("zoe", base + 7, "Back Door", "Zoë Grant", false), 0)).await.unwrap();
    t.store.ingest(delivery(&event_at("petr", base + 9, "Back Door", "Пётр Иванов", true), 0)).await.unwrap();
    let reader = t.store.reader().unwrap();
    let search = |words: &str, limit| {
        let filter = EventFilter { search: Some(words.into()), ..Default::default() };
        reader.events(&filter, None, limit).unwrap()
    };
    // Common: a page of the newest, and the pages continue.
    let page = search("grace hop", 50);
    assert_eq!(page.events.len(), 50);
    assert_eq!(page.events[0].event.uuid, "g2099");
    assert!(page.next.is_some());
    let all_grace = search("GRACE", 10_000);
    assert_eq!(all_grace.events.len(), 2100);
    // "gr" is common too (Grace) and also finds Zoë Grant: the row-by-row check agrees with the index.
    assert_eq!(search("gr", 10_000).events.len(), 2101);
    // Rare: through the full-text index.
    assert_eq!(search("lovelace", 50).events.iter().map(|e| e.event.uuid.as_str()).collect::<Vec<_>>(), ["ada"]);
    assert_eq!(search("back denied", 50).events[0].event.uuid, "zoe");
    assert!(search("hopper lovelace", 50).events.is_empty());
    // Accents are folded the same way on both paths.
    assert_eq!(search("zoe", 50).events[0].event.uuid, "zoe");
    assert_eq!(search("gr", 1).events.len(), 1);
    // Accents are folded on Latin letters only, as the index does: Cyrillic is found as written.
    assert_eq!(search("ПЁТР", 50).events[0].event.uuid, "petr");
    assert_eq!(search("иван", 50).events[0].event.uuid, "petr");
    // A symbol the index splits a word on does not turn into an error.
    assert!(search("aⓐb", 50).events.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_deletes_only_what_is_older_than_the_period_in_batches_while_deliveries_go_on() {
    let t = open_store();
    let day = 86_400_000;
    let now = chrono::Utc::now().timestamp_millis();
    // 1,700 events from 40 days ago (more than three batches), and 30 from yesterday.
    let old: Vec<Delivery> = (0..1_700)
        .map(|i| {
            delivery(&event_at(&format!("old-{i}"), now - 40 * day + i, "Archive Door", "Olga Oldtimer", false), now)
        })
        .collect();
    t.store.ingest_batch(old).await.unwrap();
    let recent: Vec<Delivery> = (0..30)
        .map(|i| delivery(&event_at(&format!("new-{i}"), now - day + i, "Main Entrance", "Nina New", true), now))
        .collect();
    t.store.ingest_batch(recent).await.unwrap();

    // Deliveries keep arriving while retention works through the old ones.
    let store = t.store.clone();
    let arriving = tokio::spawn(async move {
        for i in 0..200 {
            let at = chrono::Utc::now().timestamp_millis();
            let raw = event_at(&format!("live-{i}"), at, "Side Door", "Liv", true);
            assert!(matches!(store.ingest(delivery(&raw, at)).await.unwrap(), Ingested::Stored(_)));
        }
    });
    let cutoff = doorwatch::store::retention::cutoff(30, now).unwrap();
    let deleted = doorwatch::store::retention::prune_before(&t.store, cutoff).await.unwrap();
    arriving.await.unwrap();

    assert_eq!(deleted, 1_700);
    let reader = t.store.reader().unwrap();
    assert_eq!(reader.count().unwrap(), 230);
    assert!(reader.event("old-0").unwrap().is_none());
    assert!(reader.event("new-0").unwrap().is_some());
    // The search index forgot them too.
    let search = |words: &str| EventFilter { search: Some(words.into()), ..EventFilter::default() };
    assert!(reader.events(&search("Olga"), None, 10).unwrap().events.is_empty());
    assert_eq!(reader.events(&search("Nina"), None, 50).unwrap().events.len(), 30);
    // Nothing more to do the second time.
    assert_eq!(doorwatch::store::retention::prune_before(&t.store, cutoff).await.unwrap(), 0);
}

#[tokio::test]
async fn insights_count_failures_by_door_and_hour_and_unlocks_by_local_day() {
    let t = open_store();
    // 2026-11-02 in Berlin (UTC+1): 08:30 and 08:45 refused at the back door, 23:30 unlocked (which is
    // 22:30 UTC, still the 2nd), and 00:30 on the 3rd (23:30 UTC on the 2nd) unlocked.
    let berlin = |d: u32, h: u32, m: u32| {
        chrono::FixedOffset::east_opt(3600).unwrap().with_ymd_and_hms(2026, 11, d, h, m, 0).unwrap().timestamp_millis()
    };
    use chrono::TimeZone;
    let events = [
        event_at("i1", berlin(2, 8, 30), "Back door", "Eve", false),
        event_at("i2", berlin(2, 8, 45), "Back door", "Eve", false),
        event_at("i3", berlin(2, 23, 30), "Main Entrance", "Ada", true),
        event_at("i4", berlin(3, 0, 30), "Main Entrance", "Ada", true),
    ];
    t.store.ingest_batch(events.iter().map(|raw| delivery(raw, berlin(4, 0, 0))).collect()).await.unwrap();
    let reader = t.store.reader().unwrap();
    let insights = reader.insights(berlin(1, 0, 0), berlin(4, 0, 0), 3600).unwrap();
    assert_eq!(insights.failures.len(), 1);
    assert_eq!(
        (insights.failures[0].door.as_str(), insights.failures[0].hour, insights.failures[0].count),
        ("Back door", 8, 2)
    );
    let days: Vec<_> = insights.days.iter().map(|d| (d.day.as_str(), d.unlocks, d.failed)).collect();
    assert_eq!(days, vec![("2026-11-02", 1, 2), ("2026-11-03", 1, 0)]);
}
