//! Who is in, on a real store and against the fake Kisi: a fixture day in Berlin gives each person's
//! first unlock (time, door) and where they were last seen, counts only people's successful unlocks of
//! that local day, equals Kisi's `/presences` for the same events, names whom Doorwatch missed, and
//! still answers from the store with Kisi unreachable (the command line too, as CSV and JSON).

#[path = "support/fake_kisi/mod.rs"]
mod fake_kisi;
#[path = "support/kisi_env.rs"]
mod kisi_env;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Europe::Berlin;
use std::sync::Arc;

use doorwatch::alert::zone::{self, Zone};
use doorwatch::app::presence::{self, check_with_kisi};
use doorwatch::event::{Event, Source};
use doorwatch::store::{Delivery, MetaChange, Store, StoreOptions};
use fake_kisi::FakeKisi;
use kisi_env::{cli, client, Config, API_KEY};
use serde_json::Value;

const DAY: (i32, u32, u32) = (2026, 11, 2);

/// A person's day: name, first unlock and its door, last unlock and its door, how many.
type Row<'a> = (&'a str, i64, Option<&'a str>, i64, Option<&'a str>, i64);

fn berlin(d: u32, h: u32, m: u32) -> DateTime<Utc> {
    Berlin.with_ymd_and_hms(DAY.0, DAY.1, d, h, m, 0).single().unwrap().with_timezone(&Utc)
}

/// The fixture day: Ada in early and out late through three doors, Grace once, an access link, a
/// refused visitor, the exit button, and an unlock each side of the day's edges in Berlin time.
fn fixture_day() -> Vec<Value> {
    let unlock = |uuid: &str, at, ok, door: &str, who: Option<&str>| fake_kisi::event(uuid, at, ok, door, who);
    let mut plumber = unlock("p1", berlin(2, 10, 0), true, "Side Door", Some("Plumber"));
    plumber["actor_type"] = "GroupLink".into();
    vec![
        unlock("a0", berlin(1, 23, 30), true, "Main Entrance", Some("Ada Lovelace")), // the day before
        unlock("a1", berlin(2, 0, 30), true, "Main Entrance", Some("Ada Lovelace")),  // 23:30 UTC, but today
        unlock("a2", berlin(2, 12, 0), true, "Back Door", Some("Ada Lovelace")),
        unlock("a3", berlin(2, 17, 2), true, "Bike Storage", Some("Ada Lovelace")),
        unlock("g1", berlin(2, 9, 10), true, "Side Door", Some("Grace Hopper")),
        plumber,
        unlock("x1", berlin(2, 9, 30), false, "Main Entrance", Some("Mallory")), // refused: not in
        unlock("e1", berlin(2, 11, 0), true, "Main Entrance", None),             // exit button
        unlock("a4", berlin(3, 0, 10), true, "Main Entrance", Some("Ada Lovelace")), // the day after
    ]
}

async fn store_with(dir: &std::path::Path, events: &[Value]) -> Store {
    let store = Store::open(&dir.join("d.sqlite3"), StoreOptions::default()).unwrap();
    for e in events {
        let event = Event::from_json(&serde_json::to_vec(e).unwrap()).unwrap();
        let received_at = event.created_at.unwrap();
        store.ingest(Delivery { event, received_at, verified: true, source: Source::Webhook }).await.unwrap();
    }
    store
}

fn date() -> NaiveDate {
    NaiveDate::from_ymd_opt(DAY.0, DAY.1, DAY.2).unwrap()
}

#[tokio::test]
async fn a_fixture_day_gives_first_and_last_unlocks_and_equals_kisis_presences() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with(dir.path(), &fixture_day()).await;
    let zone = Zone::from_name(Some("Europe/Berlin"));
    let who = presence::who_came_in(&store.reader().unwrap(), &zone, date()).unwrap();
    let people: Vec<Row> = who
        .people
        .iter()
        .map(|p| (p.label.as_str(), p.first_at, p.first_door.as_deref(), p.last_at, p.last_door.as_deref(), p.unlocks))
        .collect();
    let ms = |t: DateTime<Utc>| t.timestamp_millis();
    assert_eq!(
        people,
        vec![
            (
                "Ada Lovelace",
                ms(berlin(2, 0, 30)),
                Some("Main Entrance"),
                ms(berlin(2, 17, 2)),
                Some("Bike Storage"),
                3
            ),
            ("Grace Hopper", ms(berlin(2, 9, 10)), Some("Side Door"), ms(berlin(2, 9, 10)), Some("Side Door"), 1),
            (
                "Access link: Plumber",
                ms(berlin(2, 10, 0)),
                Some("Side Door"),
                ms(berlin(2, 10, 0)),
                Some("Side Door"),
                1
            ),
        ]
    );
    assert_eq!(
        presence::line(&who.people[0], &zone),
        format!("{:<28} in 00:30 at Main Entrance, last seen 17:02 at Bike Storage (3 unlocks)", "Ada Lovelace")
    );

    let fake = FakeKisi::start(API_KEY).await;
    fake.add_place("Berlin HQ", Some("Europe/Berlin"), 4);
    fake.add_events(fixture_day());
    let check = check_with_kisi(&client(&fake), &who).await;
    assert!(check.asked && check.only_at_kisi.is_empty() && check.only_here.is_empty(), "{check:?}");
    assert_eq!(check.describe(), "Kisi's presences agree.");

    // Grace's one unlock never reached Doorwatch (the laptop was offline): Kisi names her.
    let missed: Vec<Value> = fixture_day().into_iter().filter(|e| e["uuid"] != "g1").collect();
    let dir2 = tempfile::tempdir().unwrap();
    let partial = store_with(dir2.path(), &missed).await;
    let who = presence::who_came_in(&partial.reader().unwrap(), &zone, date()).unwrap();
    let check = check_with_kisi(&client(&fake), &who).await;
    assert_eq!(check.only_at_kisi, vec!["Grace Hopper".to_owned()]);
    assert!(check.describe().contains("Kisi also counts Grace Hopper"), "{}", check.describe());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_answers_from_the_store_with_kisi_unreachable() {
    let config = Arc::new(Config::new());
    let mut day = fixture_day();
    day[4]["actor_name"] = "=HYPERLINK(\"http://evil\")".into(); // a name typed into Kisi
    let store = store_with(config.dir.path(), &day).await;
    // The office's zone, as the running Doorwatch keeps it from Kisi's places.
    store.change_meta(zone::META_KEY, MetaChange::Set("Europe/Berlin".into())).await.unwrap();
    drop(store);
    std::fs::rename(config.dir.path().join("d.sqlite3"), config.dir.path().join("doorwatch.sqlite3")).unwrap();
    let run = |args: &'static [&'static str]| {
        let config = Arc::clone(&config);
        // An address where nothing answers: Kisi is unreachable.
        tokio::task::spawn_blocking(move || cli(&config, "http://127.0.0.1:9", args))
    };
    let out = run(&["presence", "--date", "2026-11-02"]).await.unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{text} {}", String::from_utf8_lossy(&out.stderr));
    assert!(text.starts_with("Who came in on Monday 2 November 2026"), "{text}");
    assert!(
        text.contains("3 people") && text.contains("Ada Lovelace") && text.contains("Access link: Plumber"),
        "{text}"
    );
    assert!(text.contains("Not checked with Kisi (cannot reach Kisi"), "{text}");

    let out = run(&["presence", "--date", "2026-11-02", "--csv"]).await.unwrap();
    let csv = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(csv.starts_with("name,kind,first_in,first_door,last_seen,last_door,unlocks\n"), "{csv}");
    assert!(csv.contains("'=HYPERLINK"), "a formula is defused: {csv}");

    let out = run(&["presence", "--date", "2026-11-02", "--json", "--offline"]).await.unwrap();
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["who"]["people"].as_array().unwrap().len(), 3);
    assert_eq!(json["kisi"]["asked"], false);

    let out = run(&["presence", "--date", "2026-11-05"]).await.unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("Nobody came in on Thursday 5 November 2026"));
}
