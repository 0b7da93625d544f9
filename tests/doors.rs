//! The doors board against the fake Kisi, in a running Doorwatch: it lists Kisi's locks with their
//! places; an API refresh shows a lock gone offline and says so once; a webhook shows a door opened
//! without waiting for the next read; a lockdown asked for here reaches Kisi once, is recorded, and the
//! board shows it; a role that may not is told in words. And `doorwatch doors`, online and not.

#[path = "support/delivery.rs"]
mod delivery;
#[path = "support/fake_kisi/mod.rs"]
mod fake_kisi;
#[path = "support/kisi_env.rs"]
mod kisi_env;

use std::sync::Arc;
use std::time::Duration;

use doorwatch::alert::Alert;
use doorwatch::app::doors::DoorsView;
use doorwatch::app::Doorwatch;
use doorwatch::store::EventFilter;
use fake_kisi::{FakeKisi, Refusal};
use kisi_env::{cli, running, Config, API_KEY, SIGNING_KEY};
use tokio::sync::mpsc::UnboundedReceiver;

/// Waits until the board satisfies `ok` (the upkeep reads Kisi in the background).
async fn board_until(doorwatch: &Doorwatch, what: &str, ok: impl Fn(&DoorsView) -> bool) -> DoorsView {
    for _ in 0..100 {
        let view = doorwatch.doors_view().unwrap();
        if ok(&view) {
            return view;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the board never showed {what}: {:?}", doorwatch.doors_view().unwrap());
}

fn state<'a>(view: &'a DoorsView, door: &str) -> &'a str {
    &view.rows.iter().find(|r| r.name == door).unwrap_or_else(|| panic!("no {door} on the board")).state
}

/// The alerts that came so far, by title.
fn alerts_so_far(alerts: &mut UnboundedReceiver<Alert>) -> Vec<String> {
    std::iter::from_fn(|| alerts.try_recv().ok()).map(|a| a.title).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_board_follows_kisi_and_the_webhook_and_says_what_changed_once() {
    let fake = FakeKisi::start(API_KEY).await;
    fake.add_place("Berlin HQ", Some("Europe/Berlin"), 2);
    let main = fake.add_lock("Main Entrance");
    fake.add_lock("Back Door");
    let dir = tempfile::tempdir().unwrap();
    let (doorwatch, mut outputs, url) = running(&fake, dir.path()).await;

    let view = board_until(&doorwatch, "Kisi's two doors", |v| v.rows.len() == 2).await;
    assert!(view.as_of.is_some() && view.problem.is_none());
    assert_eq!(view.rows[0].place.as_deref(), Some("Berlin HQ"));
    assert_eq!((state(&view, "Main Entrance"), state(&view, "Back Door")), ("Closed", "Closed"));

    // Kisi loses the main entrance: the next read shows it, and tells once.
    fake.change_lock(main, |l| l.online = Some(false));
    doorwatch.with_online(|o| o.refresh_doors());
    board_until(&doorwatch, "the door offline", |v| state(v, "Main Entrance") == "Offline").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(alerts_so_far(&mut outputs.alerts), vec!["Main Entrance is offline".to_owned()]);
    doorwatch.with_online(|o| o.refresh_doors());
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(alerts_so_far(&mut outputs.alerts).is_empty(), "the same state is not told again");

    // The back door opens: the webhook says so before Kisi is read again.
    let opened = serde_json::json!({
        "uuid": "opened-1", "type": "lock.opened", "object_type": "Lock", "object_name": "Back Door",
        "success": true, "created_at": doorwatch::event::format_time(chrono::Utc::now().timestamp_millis() + 1000),
    });
    let body = serde_json::to_vec(&opened).unwrap();
    assert_eq!(delivery::deliver(&reqwest::Client::new(), &url, &body, Some(SIGNING_KEY)).await.0, 200);
    let view = board_until(&doorwatch, "the back door open", |v| state(v, "Back Door") == "Open").await;
    let back = view.rows.iter().find(|r| r.name == "Back Door").unwrap();
    assert_eq!(back.last_event_uuid.as_deref(), Some("opened-1"));
    assert!(back.last_event.as_deref().unwrap().starts_with("Back Door opened at"), "{:?}", back.last_event);

    // Held open since before Kisi's last read: the open incident says it is not closed yet.
    let held = serde_json::json!({
        "uuid": "held-1", "type": "lock.held_open", "object_type": "Lock", "object_name": "Back Door",
        "success": true, "created_at": doorwatch::event::format_time(view.as_of.unwrap() - 60_000),
    });
    let body = serde_json::to_vec(&held).unwrap();
    assert_eq!(delivery::deliver(&reqwest::Client::new(), &url, &body, Some(SIGNING_KEY)).await.0, 200);
    let view = board_until(&doorwatch, "the incident", |v| state(v, "Back Door") == "Held open").await;
    assert!(view.rows.iter().find(|r| r.name == "Back Door").unwrap().incident.is_some());
    doorwatch.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lockdown_reaches_kisi_once_is_recorded_and_shows_on_the_board() {
    let fake = FakeKisi::start(API_KEY).await;
    fake.add_place("Berlin HQ", Some("Europe/Berlin"), 2);
    let main = fake.add_lock("Main Entrance");
    let back = fake.add_lock("Back Door");
    let dir = tempfile::tempdir().unwrap();
    let (doorwatch, mut outputs, _) = running(&fake, dir.path()).await;
    board_until(&doorwatch, "Kisi's doors", |v| v.rows.len() == 2).await;

    let done = doorwatch.lockdown(main, false, true).await.unwrap();
    assert!(done.done && done.words.starts_with("Kisi locked down Main Entrance"), "{}", done.words);
    assert_eq!(fake.lockdown_calls(), vec![format!("locks/{main}/lock_down")]);
    board_until(&doorwatch, "the lockdown", |v| state(v, "Main Entrance") == "Locked down").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(alerts_so_far(&mut outputs.alerts), vec!["Main Entrance is locked down".to_owned()]);

    // Every door of the place, then lifted.
    assert!(doorwatch.lockdown(back, true, true).await.unwrap().words.contains("every door of Berlin HQ"));
    assert!(doorwatch.lockdown(back, true, false).await.unwrap().done);
    assert_eq!(
        fake.lockdown_calls()[1..],
        ["places/3301/lock_down".to_owned(), "places/3301/cancel_lockdown".to_owned()]
    );

    // A role that may not: said in words, asked once, nothing changed.
    fake.change_lock(back, |l| l.refusal = Some(Refusal::NoAccess));
    let denied = doorwatch.lockdown(back, false, true).await.unwrap();
    assert!(!denied.done && denied.words.contains("your API key's role may not"), "{}", denied.words);
    assert_eq!(fake.lockdown_calls().len(), 4);
    assert!(doorwatch.lockdown(9999, false, true).await.unwrap_err().contains("does not know that door"));
    assert_eq!(fake.lockdown_calls().len(), 4, "an unknown door is not asked about");

    // Each request is on the record, with who asked and Kisi's answer.
    let filter = EventFilter { event_type: Some("doorwatch.lockdown".into()), ..EventFilter::default() };
    let records = doorwatch.read(|r| r.events(&filter, None, 10)).unwrap().events;
    assert_eq!(records.len(), 3);
    assert_eq!(records.iter().filter(|e| e.event.success == Some(false)).count(), 1);
    doorwatch.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_prints_the_board() {
    let fake = FakeKisi::start(API_KEY).await;
    fake.add_place("Berlin HQ", Some("Europe/Berlin"), 2);
    let main = fake.add_lock("Main Entrance");
    fake.add_lock("Bike Storage");
    fake.change_lock(main, |l| l.online = Some(false));
    let config = Arc::new(Config::new());
    // The store a running Doorwatch made (the board adds each door's last event from it).
    let db = config.dir.path().join("doorwatch.sqlite3");
    drop(doorwatch::store::Store::open(&db, doorwatch::store::StoreOptions::default()).unwrap());
    let run = |base: String, args: &'static [&'static str]| {
        let config = Arc::clone(&config);
        tokio::task::spawn_blocking(move || cli(&config, &base, args))
    };
    let out = run(fake.base_url.clone(), &["doors"]).await.unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{text} {}", String::from_utf8_lossy(&out.stderr));
    assert!(text.starts_with("2 doors, from Kisi just now"), "{text}");
    assert!(text.contains("Main Entrance (Berlin HQ)") && text.contains("OFFLINE"), "{text}");
    assert!(text.contains("Bike Storage (Berlin HQ)") && text.contains("Closed"), "{text}");

    tokio::time::sleep(Duration::from_millis(1100)).await; // Kisi's 5 a second, across processes
    let out = run(fake.base_url.clone(), &["doors", "--json"]).await.unwrap();
    let rows: Vec<serde_json::Value> =
        String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["state"], "Offline");

    // Kisi unreachable and nothing remembered (the CLI does not keep what it read): a clear error.
    let out = run("http://127.0.0.1:9".into(), &["doors"]).await.unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Doorwatch knows no doors yet"));
}
