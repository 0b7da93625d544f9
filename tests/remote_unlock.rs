//! "Let them in" against the fake Kisi: one confirmed unlock is exactly one `POST /locks/{id}/unlock`
//! and one record in the store (source `doorwatch`: who, on which computer, Kisi's answer); a refusal
//! is said in words and never retried, not even a 5xx or a dropped connection; and the command line
//! asks first, refusing to act when there is no terminal to ask on and no `--yes`.

#[path = "support/delivery.rs"]
mod delivery;
#[path = "support/fake_kisi/mod.rs"]
mod fake_kisi;
#[path = "support/kisi_env.rs"]
mod kisi_env;

use std::sync::Arc;

use doorwatch::app::remote_unlock::{self, Operator};
use doorwatch::event::{EventKind, Source};
use doorwatch::kisi::locks;
use doorwatch::store::{EventFilter, Store, StoreOptions, StoredEvent};
use fake_kisi::{FakeKisi, Misbehave, Refusal};
use kisi_env::{cli, client, running, Config, API_KEY, SIGNING_KEY};

fn operator() -> Operator {
    Operator { person: "Grace".into(), computer: "front-desk-laptop".into(), via: "the Doorwatch app" }
}

/// Doorwatch's records of remote unlocks in the store at `path`.
fn records(store: &Store) -> Vec<StoredEvent> {
    let filter = EventFilter { event_type: Some("doorwatch.remote_unlock".into()), ..EventFilter::default() };
    store.reader().unwrap().events(&filter, None, 100).unwrap().events
}

fn unlock_requests(fake: &FakeKisi, id: i64) -> usize {
    let path = format!("/locks/{id}/unlock");
    fake.requests().iter().filter(|(method, p)| method == "POST" && *p == path).count()
}

#[tokio::test]
async fn one_confirmed_unlock_is_one_call_and_one_record() {
    let fake = FakeKisi::start(API_KEY).await;
    fake.add_place("Berlin HQ", Some("Europe/Berlin"), 2);
    let main = fake.add_lock("Main Entrance");
    fake.add_lock("Back Door");
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("d.sqlite3"), StoreOptions::default()).unwrap();
    let client = client(&fake);

    let doors = client.locks().await.unwrap();
    let lock = locks::pick(&doors, "main entrance").unwrap();
    assert_eq!(lock.describe(), "Main Entrance (Berlin HQ)");
    let done = remote_unlock::unlock(&client, &store, lock, &operator()).await;
    assert!(done.answer.done, "{done:?}");
    assert_eq!(done.describe(), "Kisi unlocked Main Entrance.");
    assert_eq!(fake.unlock_calls(), vec![main], "exactly one unlock, of that door");

    let stored = records(&store);
    assert_eq!(stored.len(), 1);
    let record = &stored[0];
    assert_eq!(Ok(record.event.uuid.clone()), done.recorded);
    assert_eq!((record.source, record.verified, record.event.kind), (Source::Doorwatch, true, EventKind::RemoteUnlock));
    assert_eq!(record.event.actor_label.as_deref(), Some("Grace"));
    assert_eq!(record.event.object_name.as_deref(), Some("Main Entrance"));
    assert_eq!(record.event.success, Some(true));
    let message = record.event.message.as_deref().unwrap();
    assert!(message.contains("front-desk-laptop") && message.contains("Kisi unlocked Main Entrance."), "{message}");
}

#[tokio::test]
async fn refusals_are_said_in_words_recorded_and_never_retried() {
    let fake = FakeKisi::start(API_KEY).await;
    let main = fake.add_lock("Main Entrance");
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("d.sqlite3"), StoreOptions::default()).unwrap();
    let client = client(&fake);
    let doors = client.locks().await.unwrap();
    let lock = locks::pick(&doors, &main.to_string()).unwrap();

    fake.change_lock(main, |l| l.refusal = Some(Refusal::NoAccess));
    let denied = remote_unlock::unlock(&client, &store, lock, &operator()).await;
    assert!(!denied.answer.done);
    assert!(denied.answer.words.contains("role may not unlock this door"), "{}", denied.answer.words);
    assert_eq!(unlock_requests(&fake, main), 1);

    // A 5xx is retried for every other request; not for a door.
    fake.change_lock(main, |l| l.refusal = Some(Refusal::Offline));
    let offline = remote_unlock::unlock(&client, &store, lock, &operator()).await;
    assert!(offline.answer.words.contains("Main Entrance is offline"), "{}", offline.answer.words);
    assert_eq!(unlock_requests(&fake, main), 2);

    fake.change_lock(main, |l| (l.refusal, l.locked_down) = (None, true));
    let locked = remote_unlock::unlock(&client, &store, lock, &operator()).await;
    assert!(locked.answer.words.contains("is locked down"), "{}", locked.answer.words);

    fake.change_lock(main, |l| l.locked_down = false);
    fake.misbehave(Misbehave::DropConnection, 1);
    let lost = remote_unlock::unlock(&client, &store, lock, &operator()).await;
    assert!(lost.answer.words.contains("may or may not have unlocked"), "{}", lost.answer.words);
    assert_eq!(unlock_requests(&fake, main), 4, "a dropped connection is not tried again");

    fake.misbehave(Misbehave::TooManyRequests, 1);
    let slow = remote_unlock::unlock(&client, &store, lock, &operator()).await;
    assert!(slow.answer.words.contains("was not unlocked"), "{}", slow.answer.words);
    assert_eq!(unlock_requests(&fake, main), 5, "nor is a 429");
    assert_eq!(fake.unlock_calls().len(), 3, "the two misbehaving requests never reached the door");

    fake.remove_lock(main);
    let gone = remote_unlock::unlock(&client, &store, lock, &operator()).await;
    assert!(gone.answer.words.contains("no longer has Main Entrance"), "{}", gone.answer.words);

    // Every attempt is on the record, each with Kisi's answer as its reason.
    let stored = records(&store);
    assert_eq!(stored.len(), 6);
    assert!(stored.iter().all(|e| e.event.success == Some(false)));
    let reasons: Vec<String> = stored.iter().filter_map(|e| e.event.error_message.clone()).collect();
    assert!(reasons.iter().any(|r| r.contains("role may not unlock")), "{reasons:?}");
    assert!(stored.iter().any(|e| e.event.error_code.as_deref() == Some("fcd8ef")));
}

async fn cli_in_background(config: &Arc<Config>, fake: &FakeKisi, args: &[&str]) -> (Option<i32>, String, String) {
    // Kisi's 5 requests a second are per user, across processes: each run here is a new process
    // with its own pacing, so runs in quick succession would meet the fake's 429 (which, for an
    // unlock, is a refusal: it is never retried).
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (config, base) = (Arc::clone(config), fake.base_url.clone());
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let out =
        tokio::task::spawn_blocking(move || cli(&config, &base, &args.iter().map(String::as_str).collect::<Vec<_>>()))
            .await
            .unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code(), text(&out.stdout), text(&out.stderr))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_asks_first_and_unlocks_once() {
    let fake = FakeKisi::start(API_KEY).await;
    let main = fake.add_lock("Main Entrance");
    let config = Arc::new(Config::new());

    let (code, out, err) = cli_in_background(&config, &fake, &["kisi", "unlock", "Main Entrance"]).await;
    assert_eq!(code, Some(1), "{out} {err}");
    assert!(err.contains("no terminal to ask on: add --yes"), "{err}");
    assert!(fake.unlock_calls().is_empty(), "nothing was unlocked without a yes");

    let (code, _, err) = cli_in_background(&config, &fake, &["kisi", "unlock", "Side Door", "--yes"]).await;
    assert_eq!(code, Some(1));
    assert!(err.contains("Kisi has no door named \"Side Door\" (doors: Main Entrance)"), "{err}");

    let (code, out, err) = cli_in_background(&config, &fake, &["kisi", "unlock", "main entrance", "--yes"]).await;
    assert_eq!(code, Some(0), "{out} {err}");
    assert_eq!(out.trim(), "Kisi unlocked Main Entrance.");
    assert_eq!(fake.unlock_calls(), vec![main]);

    fake.change_lock(main, |l| l.refusal = Some(Refusal::NoAccess));
    let (code, out, _) = cli_in_background(&config, &fake, &["kisi", "unlock", &main.to_string(), "--yes"]).await;
    assert_eq!(code, Some(1), "a refusal is a failure");
    assert!(out.contains("your API key's role may not unlock this door"), "{out}");

    let store = Store::open(&config.dir.path().join("doorwatch.sqlite3"), StoreOptions::default()).unwrap();
    let stored = records(&store);
    assert_eq!(stored.len(), 2, "both attempts are on the record, the refused one too");
    assert!(stored.iter().all(|e| e.event.actor_label.as_deref() == Some("grace")));
    assert!(stored.iter().all(|e| e.event.message.as_deref().is_some_and(|m| m.contains("from the command line"))));
}

/// A refused unlock at `door` (Kisi lock `lock`) as Kisi delivers it.
fn refused_at(uuid: &str, door: &str, lock: i64) -> Vec<u8> {
    let mut body = fake_kisi::event(uuid, chrono::Utc::now(), false, door, Some("Ada Lovelace"));
    body["object_id"] = lock.into();
    serde_json::to_vec(&body).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_running_doorwatch_offers_the_unlock_only_when_switched_on_and_for_signed_events() {
    let fake = FakeKisi::start(API_KEY).await;
    let main = fake.add_lock("Main Entrance");
    let dir = tempfile::tempdir().unwrap();
    let (doorwatch, mut outputs, url) = running(&fake, dir.path()).await;
    let http = reqwest::Client::new();

    // Off (the default): no button, no offer, and asking anyway changes nothing.
    assert_eq!(
        delivery::deliver(&http, &url, &refused_at("r1", "Main Entrance", main), Some(SIGNING_KEY)).await.0,
        200
    );
    assert_eq!(next_alert(&mut outputs.alerts).await.unlock, None);
    assert_eq!(doorwatch.unlock_offer("r1").unwrap(), None);
    let refused = doorwatch.unlock_door("r1").await.unwrap_err();
    assert!(refused.contains("Remote unlock is off"), "{refused}");

    let mut settings = doorwatch.settings();
    settings.kisi.remote_unlock = true;
    doorwatch.apply_settings(settings).await.unwrap();
    assert_eq!(
        delivery::deliver(&http, &url, &refused_at("r2", "Main Entrance", main), Some(SIGNING_KEY)).await.0,
        200
    );
    let alert = next_alert(&mut outputs.alerts).await;
    assert_eq!((alert.event.as_deref(), alert.unlock.as_deref()), (Some("r2"), Some("Main Entrance")));
    let offer = doorwatch.unlock_offer("r2").unwrap().expect("offered");
    assert_eq!(
        (offer.lock_id, offer.door.as_str(), offer.person.as_deref()),
        (main, "Main Entrance", Some("Ada Lovelace"))
    );
    assert!(fake.unlock_calls().is_empty(), "offering is not unlocking");
    // Only a refused unlock offers it.
    let mut ok = fake_kisi::event("ok1", chrono::Utc::now(), true, "Main Entrance", Some("Ada Lovelace"));
    ok["object_id"] = main.into();
    assert_eq!(delivery::deliver(&http, &url, &serde_json::to_vec(&ok).unwrap(), Some(SIGNING_KEY)).await.0, 200);
    assert_eq!(doorwatch.unlock_offer("ok1").unwrap(), None);
    assert!(doorwatch.unlock_door("ok1").await.unwrap_err().contains("refused unlock only"));

    let done = doorwatch.unlock_door("r2").await.unwrap();
    assert_eq!((done.done, done.words.as_str()), (true, "Kisi unlocked Main Entrance."));
    assert_eq!(fake.unlock_calls(), vec![main]);
    let store = doorwatch.store().unwrap();
    let stored = records(&store);
    assert_eq!(stored.len(), 1);
    assert!(stored[0].event.message.as_deref().unwrap().contains("from the Doorwatch app"));

    // Anyone who knows the URL could send an unsigned "Ada was refused": with a signing key it is not
    // even stored, and without one it is stored unverified, which never offers a door (the window's
    // tests show that side).
    assert_eq!(delivery::deliver(&http, &url, &refused_at("forged", "Main Entrance", main), None).await.0, 401);
    assert_eq!(doorwatch.unlock_offer("forged").unwrap(), None);
    assert_eq!(fake.unlock_calls().len(), 1);
    doorwatch.stop().await;
}

async fn next_alert(
    alerts: &mut tokio::sync::mpsc::UnboundedReceiver<doorwatch::alert::Alert>,
) -> doorwatch::alert::Alert {
    tokio::time::timeout(std::time::Duration::from_secs(10), alerts.recv()).await.expect("an alert").expect("open")
}
