//! The doors board and "Who is in" on a store of 1,000,000 events (a year of an office with 200 doors
//! and 2,000 people, whom the last day sees all come in), against the window's first paint of the
//! timeline measured in the same run (the newest page, what the window shows first anyway); and the
//! API calls the upkeep makes per hour at rest, against Kisi's limit (5 a second per user).
//!
//! The store is built once through the real writer (`synchronous=NORMAL` to build faster; reads do not
//! change) and kept in target/bench-data. Each view is computed 50 times warm; median and p99.
//! Run with `make bench`.

#[path = "../tests/support/fake_kisi/mod.rs"]
mod fake_kisi;

#[path = "support/fill.rs"]
mod fill;
#[path = "support/timing.rs"]
mod timing;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, TimeZone, Utc};
use doorwatch::alert::zone::Zone;
use doorwatch::app::doors::board;
use doorwatch::app::online::{Online, OnlineConfig};
use doorwatch::app::presence::{who_came_in, WhoIsInView};
use doorwatch::event::format_time;
use doorwatch::kisi::locks::{Lock, LockPlace};
use doorwatch::kisi::{ApiKey, Client};
use doorwatch::store::{EventFilter, Reader, Store, StoreOptions, SCHEMA_VERSION};
use timing::{ms, time};

const EVENTS: i64 = 1_000_000;
const DOORS: i64 = 200;
const PEOPLE: i64 = 2_000;
const DAY: i64 = 86_400_000;
/// 2025-12-01T00:00:00Z: a year up to 2026-12-01; the last day is 2026-11-30.
const START: i64 = 1_764_547_200_000;
const RUNS: usize = 50;

fn main() {
    let events: i64 = std::env::var("DOORWATCH_BENCH_EVENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(EVENTS);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("../bench-data");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("board-{events}-schema{SCHEMA_VERSION}.sqlite3"));
    if !(path.exists() && Reader::open(&path).and_then(|r| r.count()).is_ok_and(|n| n == events)) {
        let _ = std::fs::remove_file(&path);
        let t = Instant::now();
        build(&path, events);
        println!("built {events} events in {:.1} s", t.elapsed().as_secs_f64());
    }
    let reader = Reader::open(&path).unwrap();
    let zone = Zone::from_name(Some("UTC"));
    let last_day = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
    let locks: Vec<Lock> = (0..DOORS).map(lock).collect();
    let as_of = Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap().timestamp_millis();

    println!("# Doors board and Who is in, {events} events, {DOORS} doors, {PEOPLE} people");
    println!();
    let first_page = time(RUNS, || reader.events(&EventFilter::default(), None, 50).unwrap().events.len());
    let doors = time(RUNS, || board(&reader, &locks, as_of, &zone).unwrap().len());
    let people = time(RUNS, || WhoIsInView::of(&who_came_in(&reader, &zone, last_day).unwrap(), &zone).rows.len());
    let shown = who_came_in(&reader, &zone, last_day).unwrap().people.len();
    println!("| view | median | p99 | / first page of the timeline (same run) | target |");
    println!("|---|---|---|---|---|");
    println!("| first page of the timeline (50 events) | {} | {} | 1× | |", ms(first_page.0), ms(first_page.1));
    for (name, t) in [(format!("doors board ({DOORS} doors)"), doors), (format!("who is in ({shown} people)"), people)]
    {
        let verdict = if t.1 <= 0.100 { "≤ 100 ms: met" } else { "≤ 100 ms: MISSED" };
        println!("| {name} | {} | {} | {:.1}× | {verdict} |", ms(t.0), ms(t.1), t.0 / first_page.0);
    }
    println!();
    api_calls_at_rest();
}

/// Counts the requests each periodic task makes in one round against the fake Kisi (with 200 locks),
/// times how often it runs in an hour.
fn api_calls_at_rest() {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let fake = fake_kisi::FakeKisi::start("bench-key").await;
        fake.add_place("Berlin HQ", Some("Europe/Berlin"), DOORS);
        for k in 0..DOORS {
            fake.add_lock(&format!("Door {k}"));
        }
        let id = fake.insert_integration("Doorwatch", "https://door.example/webhooks/kisi", true);
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("d.sqlite3"), StoreOptions::default()).unwrap();
        let health_every = Duration::from_secs(10 * 60); // the default kisi.health_check_minutes
        let doors_every = Duration::from_secs(5 * 60); // app::online's DOORS_EVERY
        let config = OnlineConfig {
            tunnel: None,
            manual_public_url: None,
            kisi: Some(Arc::new(Client::new(&fake.base_url, ApiKey::new("bench-key").unwrap()))),
            integration_id: Some(id),
            health_every,
            doors_every,
            backfill: Default::default(),
            backfill_on_start: false,
            backfill_retry_after: Duration::from_secs(3600),
        };
        let (_tx, tunnel) = tokio::sync::watch::channel(doorwatch::receive::tunnel::TunnelStatus::Off);
        let (online, _notices) = Online::with_tunnel_status(config, store, tunnel);
        // The first round of every task at start; then one more of each, asked for.
        tokio::time::sleep(Duration::from_secs(3)).await;
        let count = |prefix: &str| fake.requests().iter().filter(|(_, p)| p.starts_with(prefix)).count();
        let (health0, doors0) = (count("/integrations"), count("/locks"));
        online.check_health();
        online.refresh_doors();
        tokio::time::sleep(Duration::from_secs(3)).await;
        let health = count("/integrations") - health0;
        let doors = count("/locks") - doors0;
        let per_hour = |n: usize, every: Duration| n as f64 * 3600.0 / every.as_secs_f64();
        let total = per_hour(health, health_every) + per_hour(doors, doors_every) + 1.0 / 24.0; // places: daily
        let limit = 5.0 * 3600.0;
        println!("API calls per hour at rest ({DOORS} doors, no events, webhook healthy):");
        println!("- webhook check: {health} request(s) every {} min", health_every.as_secs() / 60);
        println!("- doors board: {doors} request(s) every {} min", doors_every.as_secs() / 60);
        println!("- places (time zone): 1 a day");
        println!(
            "- total ≈ {total:.1} an hour = {:.4}× Kisi's limit of {limit:.0} an hour (5 a second)",
            total / limit
        );
        drop(online);
    });
}

fn lock(k: i64) -> Lock {
    Lock {
        id: 5000 + k,
        name: format!("Door {k}"),
        place_id: Some(3301),
        place: Some(LockPlace { id: 3301, name: "Berlin HQ".into() }),
        online: Some(k % 50 != 0),
        open: false,
        unlocked: false,
        locked_down: false,
    }
}

/// A year of events through the real writer: the first `events - 3 × PEOPLE` spread over 364 days,
/// then the last day, on which each of the people unlocks three times.
fn build(path: &Path, events: i64) {
    let last_day = START + 364 * DAY;
    let spread = events - 3 * PEOPLE;
    fill::fill(path, events, 0x9e37_79b9_7f4a_7c15, |i, r| {
        let (at, person) = if i < spread {
            (START + i * 364 * DAY / spread + (r % 60_000) as i64, (r >> 8) as i64 % PEOPLE)
        } else {
            let k = i - spread;
            (last_day + 7 * 3_600_000 + k * 12_000 + (r % 1000) as i64, k % PEOPLE)
        };
        let door = (r >> 20) as i64 % DOORS;
        let ok = (r >> 32) % 20 != 0;
        let body = format!(
            r#"{{"uuid":"board-{i:010}","actor_type":"User","actor_id":{person},"actor_name":"Person {person}","object_type":"Lock","object_id":{},"object_name":"Door {door}","place_id":3301,"success":{ok},"type":"lock.unlock","created_at":"{}"}}"#,
            5000 + door,
            format_time(at)
        );
        (at, body.into_bytes())
    });
}
