//! The morning summary: due exactly once a workday, even when the laptop slept through its time; the
//! night's words from a real store (refusals by door, after-hours entries, incidents with their
//! durations); and `doorwatch summary` / `doorwatch incidents` printing the same.

mod support;

use chrono::{NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Europe::Berlin;
use doorwatch::alert::summary::{self, due};
use doorwatch::alert::zone::Zone;
use doorwatch::alert::AlertSettings;
use doorwatch::event::{format_time, Event, Source};
use doorwatch::store::{Delivery, Store};
use support::cli::*;
use support::*;

fn local(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap()
}

/// Unix ms of a Berlin wall-clock time.
fn berlin(text: &str) -> i64 {
    Berlin.from_local_datetime(&local(text)).unwrap().timestamp_millis()
}

#[test]
fn it_fires_exactly_once_after_a_sleep_across_its_time() {
    let settings = AlertSettings::default(); // 07:30, closing 18:00
    let mut shown_on: Option<NaiveDate> = Some(NaiveDate::from_ymd_opt(2026, 11, 6).unwrap()); // Friday's
    let mut fired = Vec::new();
    // Monday: awake 07:00–07:10, asleep until 09:42 (no ticks), then awake every minute until noon.
    let minutes = (0..=10).map(|m| 7 * 60 + m).chain((9 * 60 + 42)..=(12 * 60));
    for m in minutes {
        let now = local(&format!("2026-11-09 {:02}:{:02}", m / 60, m % 60));
        if due(&settings, shown_on, now) {
            shown_on = Some(now.date());
            fired.push(now);
        }
    }
    assert_eq!(fired, vec![local("2026-11-09 09:42")]);
    // Tuesday at 07:30 it comes again, once; a restart that remembers Tuesday does not repeat it.
    assert!(due(&settings, shown_on, local("2026-11-10 07:30")));
    assert!(!due(&settings, Some(local("2026-11-10 07:30").date()), local("2026-11-10 07:31")));
}

fn event(uuid: &str, kind: &str, success: bool, door: &str, at: i64) -> Delivery {
    let body = serde_json::json!({
        "uuid": uuid, "type": kind, "success": success, "actor_type": "User", "actor_name": "Ada Lovelace",
        "object_type": "Lock", "object_name": door, "created_at": format_time(at),
    });
    let event = Event::from_json(&serde_json::to_vec(&body).unwrap()).unwrap();
    Delivery { event, received_at: at, verified: true, source: Source::Webhook }
}

/// Friday 6 to Monday 9 November 2026 in a Berlin office.
async fn weekend(store: &Store) {
    let mut all = vec![
        event("before-closing", "lock.unlock", true, "Main Entrance", berlin("2026-11-06 17:10")),
        event("sat", "lock.unlock", true, "Main Entrance", berlin("2026-11-07 10:00")),
        event("sun", "lock.unlock", true, "Server Room", berlin("2026-11-08 22:00")),
        event("refused-main", "lock.unlock", false, "Main Entrance", berlin("2026-11-08 23:00")),
        event("bike-held", "lock.held_open", true, "Bike storage", berlin("2026-11-07 11:00")),
        event("bike-closed", "lock.closed", true, "Bike storage", berlin("2026-11-07 11:14")),
    ];
    for i in 0..7 {
        all.push(event(&format!("refused-{i}"), "lock.unlock", false, "Back Door", berlin("2026-11-09 06:00") + i));
    }
    store.ingest_batch(all).await.unwrap();
}

const NIGHT: &str = "2 after-hours entries, 7 refused at Back Door, 1 at Main Entrance, Bike storage held open 14 min";

#[tokio::test]
async fn the_night_is_said_in_one_line() {
    let t = open_store();
    weekend(&t.store).await;
    let settings = AlertSettings::default();
    let zone = Zone::Named(Berlin);
    let monday = Berlin.from_local_datetime(&local("2026-11-09 07:30")).unwrap().with_timezone(&chrono::Utc);
    let since = summary::night_since(&settings, &zone, monday);
    assert_eq!(since, berlin("2026-11-06 18:00"));
    let night =
        summary::gather(&t.store.reader().unwrap(), &settings, &zone, since, monday.timestamp_millis()).unwrap();
    assert_eq!(night.title(), "Since Fri 18:00");
    assert_eq!(night.line(), NIGHT);
    let alert = night.alert();
    assert_eq!((alert.period, alert.urgent), (Some((since, monday.timestamp_millis())), false));

    let quiet = summary::gather(&t.store.reader().unwrap(), &settings, &zone, 0, 1).unwrap();
    assert_eq!(quiet.line(), "a quiet night: no after-hours entries, no refused unlocks, no door left open");
}

#[tokio::test]
async fn the_cli_prints_the_same_summary_and_lists_incidents() {
    let t = open_store();
    weekend(&t.store).await;
    let forced = Event::from_json(&fixture("lock-forced-open.json")).unwrap();
    let at = forced.created_at.unwrap();
    t.store.ingest(Delivery { event: forced, received_at: at, verified: true, source: Source::Webhook }).await.unwrap();
    let db = t.path.clone();
    drop(t.store);

    let since = format_time(berlin("2026-11-06 18:00"));
    let out = run(doorwatch(&db).args(["summary", "--since", &since]).env("TZ", "Europe/Berlin"));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let printed = text(&out.stdout);
    let mut lines = printed.lines();
    assert_eq!(lines.next(), Some("Since Fri 18:00"));
    // The forced-open server room (Saturday 03:14) is still open, so it joins the night's incidents.
    let (before, bike) = NIGHT.split_once(", Bike").unwrap();
    let line = lines.next().unwrap();
    assert!(line.starts_with(&format!("{before}, Server Room forced open ")), "{printed}");
    assert!(line.ends_with(&format!(" (still open), Bike{bike}")), "{printed}");

    let out = run(doorwatch(&db).args(["incidents", "--open", "--json"]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let open: Vec<serde_json::Value> = text(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(open.len(), 1);
    assert_eq!((open[0]["door"].as_str(), open[0]["kind"].as_str()), (Some("Server Room"), Some("forced_open")));
    assert_eq!(open[0]["opened_at"].as_str(), Some("2026-11-07T02:14:03.000Z"));

    let out = run(doorwatch(&db).arg("incidents"));
    let listed = text(&out.stdout);
    assert!(listed.contains("Server Room  forced open OPEN for "), "{listed}");
    assert!(listed.contains("Bike storage  held open 14 min, then closed"), "{listed}");

    let out = run(doorwatch(&db).args(["summary", "--since", "2099-01-01"]));
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("is not in the past"), "{}", text(&out.stderr));
}
