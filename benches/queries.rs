//! Timeline query benchmark on a store of 1,000,000 events (a busy office's few years), against the
//! obvious alternatives measured in the same run: OFFSET paging instead of keyset paging, and the same
//! filters with the indexes switched off (`NOT INDEXED`, a full scan).
//!
//! The store is built once through the real writer (with `synchronous=NORMAL` to build it faster; it
//! does not change how reads perform) and kept in target/bench-data for later runs. Events are spread
//! over 365 days, 12 doors, 300 people (30 first names × 10 last names), about 5 % failed unlocks. Each query runs 200 times warm; the
//! table shows the median and the 99th percentile.

#[path = "support/fill.rs"]
mod fill;
#[path = "support/timing.rs"]
mod timing;

use std::path::Path;
use std::time::Instant;

use doorwatch::event::format_time;
use doorwatch::store::{Cursor, EventFilter, Reader, SCHEMA_VERSION};
use timing::{ms, time};

const EVENTS: i64 = 1_000_000;
const DAY: i64 = 86_400_000;
/// 2025-12-01T00:00:00Z: the data covers the year up to 2026-12-01.
const START: i64 = 1_764_547_200_000;
const RUNS: usize = 200;

fn main() {
    let events: i64 = std::env::var("DOORWATCH_BENCH_EVENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(EVENTS);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("../bench-data");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("events-{events}-schema{SCHEMA_VERSION}-data2.sqlite3"));
    let build_start = Instant::now();
    if !usable(&path, events) {
        let _ = std::fs::remove_file(&path);
        build(&path, events);
        println!("built {events} events in {:.1} s", build_start.elapsed().as_secs_f64());
    }
    let size = std::fs::metadata(&path).unwrap().len();
    let reader = Reader::open(&path).unwrap();
    let raw = rusqlite::Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();

    let end = START + 365 * DAY;
    let today = end - DAY;
    let month = end - 30 * DAY;
    let deep = (events * 9 / 10) as usize;
    let deep_cursor: Cursor = raw
        .query_row(
            "SELECT created_at, id FROM events ORDER BY created_at DESC, id DESC LIMIT 1 OFFSET ?1",
            [deep as i64 - 1],
            |r| Ok(Cursor { created_at: r.get(0)?, id: r.get(1)? }),
        )
        .unwrap();
    let door_month =
        EventFilter { failed_only: true, door: Some("Back Door".into()), since: Some(month), ..Default::default() };

    println!("# Timeline queries on {events} events ({:.0} MB on disk)", size as f64 / 1e6);
    println!();
    println!("| query | median | p99 | baseline (same run) | median | p99 | speed-up |");
    println!("|---|---|---|---|---|---|---|");
    let first = time(RUNS, || reader.events(&EventFilter::default(), None, 50).unwrap().events.len());
    let offset_first = time(RUNS, || offset_page(&raw, 0));
    row("first page (50, newest)", first, "OFFSET 0", offset_first);
    let deep_page = time(RUNS, || reader.events(&EventFilter::default(), Some(deep_cursor), 50).unwrap().events.len());
    let offset_deep = time(RUNS, || offset_page(&raw, deep));
    row(&format!("page at row {deep} (keyset)"), deep_page, &format!("OFFSET {deep}"), offset_deep);
    let failed_door = time(RUNS, || reader.events(&door_month, None, 50).unwrap().events.len());
    let failed_door_scan = time(RUNS, || {
        raw.prepare_cached(
            "SELECT id FROM events NOT INDEXED WHERE kind = 'unlock_failed' AND object_name = 'Back Door' COLLATE NOCASE
             AND created_at >= ?1 ORDER BY created_at DESC, id DESC LIMIT 50",
        )
        .unwrap()
        .query_map([month], |r| r.get::<_, i64>(0))
        .unwrap()
        .count()
    });
    row("failed at one door, last 30 days", failed_door, "full scan", failed_door_scan);
    let counts = time(RUNS, || reader.counts_since(today).unwrap().total() as usize);
    let counts_scan = time(RUNS, || {
        raw.prepare_cached("SELECT kind, count(*) FROM events NOT INDEXED WHERE created_at >= ?1 GROUP BY kind")
            .unwrap()
            .query_map([today], |r| r.get::<_, i64>(1))
            .unwrap()
            .count()
    });
    row("counts for today by kind", counts, "full scan", counts_scan);
    let heat = time(RUNS, || reader.failures_by_door_and_hour(month, end, 3600).unwrap().len());
    let heat_scan = time(RUNS, || {
        raw.prepare_cached(
            "SELECT object_name, (created_at / 1000 + 3600) % 86400 / 3600, count(*) FROM events NOT INDEXED
             WHERE kind = 'unlock_failed' AND created_at >= ?1 AND created_at < ?2 GROUP BY 1, 2",
        )
        .unwrap()
        .query_map([month, end], |r| r.get::<_, i64>(2))
        .unwrap()
        .count()
    });
    row("failures per door × hour, 30 days", heat, "full scan", heat_scan);
    for (words, like) in [("grace hop", "%grace hop%"), ("denied", "%denied%")] {
        let filter = EventFilter { search: Some(words.into()), ..Default::default() };
        let ours = time(RUNS, || reader.events(&filter, None, 50).unwrap().events.len());
        let scan = time(RUNS, || {
            raw.prepare_cached(
                "SELECT id FROM events WHERE actor_label LIKE ?1 OR object_name LIKE ?1 OR error_message LIKE ?1
                 ORDER BY created_at DESC, id DESC LIMIT 50",
            )
            .unwrap()
            .query_map([like], |r| r.get::<_, i64>(0))
            .unwrap()
            .count()
        });
        row(&format!("free text \"{words}\", first page"), ours, "LIKE '%…%' newest first", scan);
    }
    let last = time(RUNS, || reader.last_received_at().unwrap().map_or(0, |_| 1));
    println!("| time of the last event | {} | {} | | | | |", ms(last.0), ms(last.1));
}

fn usable(path: &Path, events: i64) -> bool {
    path.exists() && Reader::open(path).and_then(|r| r.count()).map(|n| n == events).unwrap_or(false)
}

fn row(name: &str, ours: (f64, f64), baseline: &str, theirs: (f64, f64)) {
    println!(
        "| {name} | {} | {} | {baseline} | {} | {} | {:.1}× |",
        ms(ours.0),
        ms(ours.1),
        ms(theirs.0),
        ms(theirs.1),
        theirs.0 / ours.0
    );
}

fn offset_page(conn: &rusqlite::Connection, offset: usize) -> usize {
    conn.prepare_cached("SELECT * FROM events ORDER BY created_at DESC, id DESC LIMIT 50 OFFSET ?1")
        .unwrap()
        .query_map([offset as i64], |r| {
            (0..24).map(|i| r.get::<_, rusqlite::types::Value>(i)).collect::<Result<Vec<_>, _>>()
        })
        .unwrap()
        .count()
}

/// Fills a store through the real writer with reproducible pseudo-random events.
fn build(path: &Path, events: i64) {
    fill::fill(path, events, 0x2545_f491_4f6c_dd1d, |i, r| {
        let at = START + (i * 365 * DAY) / events + (r % 60_000) as i64;
        (at, body(i, at, r))
    });
}

const FIRST: [&str; 30] = [
    "Ada",
    "Grace",
    "Alan",
    "Edsger",
    "Barbara",
    "Donald",
    "Frances",
    "John",
    "Margaret",
    "Ken",
    "Dennis",
    "Linus",
    "Radia",
    "Tim",
    "Vint",
    "Hedy",
    "Katherine",
    "Dorothy",
    "Mary",
    "Annie",
    "Claude",
    "Niklaus",
    "Leslie",
    "Tony",
    "Shafi",
    "Sophie",
    "Karen",
    "Adele",
    "Jean",
    "Evelyn",
];
const LAST: [&str; 10] =
    ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Backus", "Hamilton", "Thompson"];
const DOORS: [&str; 12] = [
    "Main Entrance",
    "Back Door",
    "Storage Room",
    "Server Room",
    "Garage",
    "Roof Access",
    "Kitchen",
    "Lab 1",
    "Lab 2",
    "Mail Room",
    "Bike Cage",
    "Side Gate",
];

fn body(i: i64, at: i64, r: u64) -> Vec<u8> {
    let person = ((r >> 8) % 300) as usize;
    let name = format!("{} {}", FIRST[person % FIRST.len()], LAST[person / FIRST.len() % LAST.len()]);
    let door_id = ((r >> 20) % 12) as usize;
    let door = DOORS[door_id];
    let (kind, success) = match (r >> 32) % 100 {
        0..=4 => ("lock.unlock", false),
        5..=79 => ("lock.unlock", true),
        80..=91 => ("lock.opened", true),
        92..=94 => ("lock.held_open", true),
        95 => ("lock.forced_open", true),
        _ => ("login.create", true),
    };
    let actor = if kind == "lock.unlock" || kind == "login.create" {
        format!(r#""actor_type":"User","actor_id":{person},"actor_name":"{name}""#)
    } else {
        r#""actor_type":null,"actor_id":null,"actor_name":null"#.to_owned()
    };
    let error = if success {
        r#""error_code":null,"error_message":null"#
    } else {
        r#""error_code":"fcd8ef","error_message":"Access denied.""#
    };
    format!(
        r#"{{"uuid":"bench-{i:010}",{actor},"object_type":"Lock","object_id":{door_id},"object_name":"{door}","organization_id":812,"place_id":3301,"success":{success},"type":"{kind}",{error},"created_at":"{}"}}"#,
        format_time(at)
    )
    .into_bytes()
}
