//! Door incidents on a real SQLite file, with the clock passed in: a held-open door opens one, its
//! repeats come every N minutes while it stays open, and they stop when the door closes (live or
//! backfilled) or someone acknowledges it. An unsigned "closed" cannot end what a signed event
//! opened. Then the running Doorwatch: the first alert carries the incident, a repeat follows, and
//! Acknowledge stops it.

mod support;

use std::time::Duration;

use doorwatch::alert::incident;
use doorwatch::app::{Doorwatch, StartOptions};
use doorwatch::config::{Config, Environment, Flags, Settings};
use doorwatch::event::{format_time, Event, EventKind, Source};
use doorwatch::store::{Delivery, IncidentEnd, Store};
use support::*;

const MIN: i64 = 60_000;
/// 2026-11-02T12:31:30Z, the held-open fixture's time.
const T0: i64 = 1_793_622_690_000;

fn door_event(uuid: &str, kind: &str, door: &str, at: i64) -> Event {
    let body = serde_json::json!({
        "uuid": uuid, "type": kind, "object_type": "Lock", "object_name": door, "success": true,
        "created_at": format_time(at),
    });
    Event::from_json(&serde_json::to_vec(&body).unwrap()).unwrap()
}

async fn deliver(store: &Store, event: Event, verified: bool, source: Source) {
    let received_at = event.created_at.unwrap();
    store.ingest(Delivery { event, received_at, verified, source }).await.unwrap();
}

#[test]
fn the_fixture_times_are_what_the_tests_assume() {
    let held = Event::from_json(&fixture("lock-held-open.json")).unwrap();
    assert_eq!(held.created_at, Some(T0));
    let closed = Event::from_json(&fixture("lock-closed.json")).unwrap();
    assert_eq!(closed.kind, EventKind::DoorClosed);
    assert_eq!(closed.object_name, held.object_name);
}

#[tokio::test]
async fn a_held_open_door_repeats_every_n_minutes_until_it_closes() {
    let t = open_store();
    let held = Event::from_json(&fixture("lock-held-open.json")).unwrap();
    deliver(&t.store, held.clone(), true, Source::Webhook).await;
    // Kisi says it again a minute later: the same incident, not a second one.
    deliver(&t.store, door_event("held-2", "lock.held_open", "Back Door", T0 + MIN), true, Source::Webhook).await;
    let reader = t.store.reader().unwrap();
    let open = reader.open_incidents().unwrap();
    assert_eq!(open.len(), 1, "{open:?}");
    let id = open[0].id;
    assert_eq!((open[0].door.as_str(), open[0].kind, open[0].events), ("Back Door", EventKind::HeldOpen, 2));
    assert_eq!(reader.incident_of_event(&held.uuid).unwrap(), Some(id));

    // Every 5 minutes from the opening, counted from the last repeat shown.
    let mut shown = Vec::new();
    for minute in 0..=14 {
        let now = T0 + minute * MIN;
        let open = reader.open_incidents().unwrap();
        for due in incident::due(&open, 5, now) {
            assert!(t.store.record_reminder(due.id, now).await.unwrap());
            shown.push(minute);
        }
    }
    assert_eq!(shown, vec![5, 10]);
    let alert = incident::reminder(&reader.incident(id).unwrap().unwrap(), &chrono::Utc::now());
    assert_eq!(alert.key, format!("incident:{id}"));
    assert_eq!(alert.incident, Some(id));
    assert!(alert.replaces && alert.title.starts_with("Back Door still open ("), "{alert:?}");

    let closed = Event::from_json(&fixture("lock-closed.json")).unwrap();
    deliver(&t.store, closed.clone(), true, Source::Webhook).await;
    assert!(reader.open_incidents().unwrap().is_empty());
    let ended = reader.incident(id).unwrap().unwrap();
    assert_eq!(ended.ended_by, Some(IncidentEnd::Closed));
    assert_eq!(ended.ended_event.as_deref(), Some(closed.uuid.as_str()));
    assert_eq!(ended.open_for(i64::MAX), 13 * MIN + 40_000);
    assert_eq!(ended.reminders, 2);
    // The repeats stop, and a late reminder cannot be recorded against a closed incident.
    assert!(incident::due(&reader.open_incidents().unwrap(), 5, T0 + 60 * MIN).is_empty());
    assert!(!t.store.record_reminder(id, T0 + 15 * MIN).await.unwrap());
}

#[tokio::test]
async fn a_backfilled_close_ends_it_even_when_it_arrives_before_the_opening() {
    let t = open_store();
    // Live: held open; the laptop sleeps; the backfill brings the close.
    deliver(&t.store, door_event("h1", "lock.held_open", "Bike storage", T0), true, Source::Webhook).await;
    deliver(&t.store, door_event("c1", "lock.closed", "Bike storage", T0 + 14 * MIN), false, Source::Backfill).await;
    // Both only by backfill, newest first: the close is already stored when the opening arrives.
    deliver(&t.store, door_event("c2", "lock.closed", "Side door", T0 + 3 * MIN), false, Source::Backfill).await;
    deliver(&t.store, door_event("h2", "lock.held_open", "Side door", T0), false, Source::Backfill).await;
    let reader = t.store.reader().unwrap();
    assert!(reader.open_incidents().unwrap().is_empty(), "{:?}", reader.open_incidents());
    let all = reader.recent_incidents(10).unwrap();
    let by_door = |door: &str| all.iter().find(|i| i.door == door).unwrap().clone();
    assert_eq!(by_door("Bike storage").open_for(0), 14 * MIN);
    assert_eq!(by_door("Side door").ended_event.as_deref(), Some("c2"));
    assert_eq!(by_door("Side door").events, 2);
    // A close at one door does not end another door's incident.
    deliver(&t.store, door_event("h3", "lock.forced_open", "Server Room", T0), true, Source::Webhook).await;
    deliver(&t.store, door_event("c3", "lock.closed", "Back Door", T0 + MIN), true, Source::Webhook).await;
    let open = reader.open_incidents().unwrap();
    assert_eq!((open.len(), open[0].kind), (1, EventKind::ForcedOpen));
}

#[tokio::test]
async fn acknowledge_ends_it_once_and_an_unsigned_close_cannot() {
    let t = open_store();
    deliver(&t.store, door_event("h1", "lock.held_open", "Back Door", T0), true, Source::Webhook).await;
    // Anyone who knows the URL could send this "closed": it is stored, but the door still nags.
    deliver(&t.store, door_event("fake-close", "lock.closed", "Back Door", T0 + MIN), false, Source::Webhook).await;
    let reader = t.store.reader().unwrap();
    let id = reader.open_incidents().unwrap()[0].id;
    assert!(reader.event("fake-close").unwrap().is_some());

    assert!(t.store.acknowledge_incident(id, T0 + 2 * MIN).await.unwrap());
    assert!(!t.store.acknowledge_incident(id, T0 + 3 * MIN).await.unwrap(), "a second press changes nothing");
    let ended = reader.incident(id).unwrap().unwrap();
    assert_eq!((ended.ended_by, ended.ended_at), (Some(IncidentEnd::Acknowledged), Some(T0 + 2 * MIN)));
    assert!(incident::due(&reader.open_incidents().unwrap(), 5, T0 + 30 * MIN).is_empty());
    assert!(!t.store.acknowledge_incident(9_999, T0).await.unwrap(), "an unknown incident");
}

#[tokio::test]
async fn the_running_doorwatch_alerts_repeats_and_stops_when_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let flags = Flags {
        db: Some(dir.path().join("d.sqlite3")),
        listen: Some("127.0.0.1:0".parse().unwrap()),
        ..Flags::default()
    };
    let env = Environment::from_pairs([(doorwatch::config::env::SECRETS, "file")]);
    let config = Config::resolve(&flags, env, Settings::default(), dir.path().join("settings.toml")).unwrap();
    let (doorwatch, mut outputs) = Doorwatch::start(config, flags, None, StartOptions { tunnel: false }).await;
    let url = doorwatch.with_receiver(|r| r.local_url()).unwrap();
    let mut running = doorwatch.running();

    // Held open since twelve minutes ago (Kisi tells late, or the backfill found it): the first
    // notification, then at once a repeat saying how long — both under the incident's key.
    let since = chrono::Utc::now().timestamp_millis() - 12 * MIN;
    let body = serde_json::to_vec(&serde_json::json!({
        "uuid": "held-live", "type": "lock.held_open", "object_type": "Lock", "object_name": "Back Door",
        "success": true, "created_at": format_time(since),
    }))
    .unwrap();
    assert_eq!(delivery::deliver(&reqwest::Client::new(), &url, &body, None).await.0, 200);
    let first = next_alert(&mut outputs.alerts).await;
    let id = first.incident.expect("the first alert names its incident");
    assert_eq!((first.key.clone(), first.replaces), (incident::key(id), false));
    let repeat = next_alert(&mut outputs.alerts).await;
    assert_eq!((repeat.key.clone(), repeat.replaces, repeat.incident), (incident::key(id), true, Some(id)));
    assert_eq!(repeat.title, "Back Door still open (12 min)");
    tokio::time::timeout(Duration::from_secs(10), running.wait_for(|r| r.open_incidents == 1)).await.unwrap().unwrap();

    assert!(doorwatch.acknowledge_incident(id).await.unwrap());
    tokio::time::timeout(Duration::from_secs(10), running.wait_for(|r| r.open_incidents == 0)).await.unwrap().unwrap();
    let stored = doorwatch.read(|r| r.incident(id)).unwrap().unwrap();
    assert_eq!((stored.ended_by, stored.reminders), (Some(IncidentEnd::Acknowledged), 1));
    // Nothing more about it.
    assert!(tokio::time::timeout(Duration::from_secs(2), outputs.alerts.recv()).await.is_err());
    doorwatch.stop().await;
}

async fn next_alert(
    alerts: &mut tokio::sync::mpsc::UnboundedReceiver<doorwatch::alert::Alert>,
) -> doorwatch::alert::Alert {
    tokio::time::timeout(Duration::from_secs(10), alerts.recv()).await.expect("an alert").expect("the channel is open")
}
