//! Trust, in the running Doorwatch (a real SQLite file, a real HTTP server on a real port): a keyring that
//! accepts and forgets still leaves a signing key that works after a restart (in the owner-only file, and
//! Settings says so); a locked keyring refuses deliveries with 503 and shows trouble until it unlocks; a
//! public receiver without a key refuses unsigned deliveries, unless the user chose to accept them —
//! then they are stored marked unverified, and a flood of them is bounded in rows and notifications;
//! an event claiming a time in the future is stored at its arrival; a task that panicked is trouble.

mod support;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use doorwatch::alert::{Alert, FLOOD_KEY, UNVERIFIED_ALERTS_PER_MINUTE};
use doorwatch::app::{Doorwatch, Outputs, StartOptions};
use doorwatch::config::keyring::{Keyring, KeyringError};
use doorwatch::config::secrets::{Place, Secret};
use doorwatch::config::settings::Settings;
use doorwatch::config::{Config, Environment, Flags};
use doorwatch::receive::trust::UNVERIFIED_PER_MINUTE;
use doorwatch::store::{EventFilter, StoredEvent};
use support::delivery::deliver;

/// A keyring that says yes to every save and then has nothing: keyring 3's in-memory fallback, as
/// macOS and Windows builds without their native features had it.
#[derive(Debug, Default)]
struct Forgetful;

impl Keyring for Forgetful {
    fn get(&self, _name: &str) -> Result<Option<String>, KeyringError> {
        Ok(None)
    }
    fn set(&self, _name: &str, _value: &str) -> Result<(), KeyringError> {
        Ok(())
    }
    fn delete(&self, _name: &str) -> Result<(), KeyringError> {
        Ok(())
    }
}

/// A working keyring that can be locked, as a login keyring is until the user unlocks it.
#[derive(Debug, Default)]
struct Lockable {
    locked: AtomicBool,
    values: Mutex<HashMap<String, String>>,
}

impl Lockable {
    fn check(&self) -> Result<(), KeyringError> {
        match self.locked.load(Ordering::SeqCst) {
            true => Err(KeyringError::Locked("the test keyring is locked".into())),
            false => Ok(()),
        }
    }
}

impl Keyring for Lockable {
    fn get(&self, name: &str) -> Result<Option<String>, KeyringError> {
        self.check()?;
        Ok(self.values.lock().unwrap().get(name).cloned())
    }
    fn set(&self, name: &str, value: &str) -> Result<(), KeyringError> {
        self.check()?;
        self.values.lock().unwrap().insert(name.into(), value.into());
        Ok(())
    }
    fn delete(&self, name: &str) -> Result<(), KeyringError> {
        self.check()?;
        self.values.lock().unwrap().remove(name);
        Ok(())
    }
}

struct Running {
    doorwatch: Doorwatch,
    outputs: Outputs,
    url: String,
}

/// Doorwatch on a free loopback port, its files in `dir`, with `keyring` (or the owner-only file).
async fn start(dir: &std::path::Path, keyring: Option<Arc<dyn Keyring>>, settings: Settings) -> Running {
    let flags = Flags {
        db: Some(dir.join("doorwatch.sqlite3")),
        listen: Some("127.0.0.1:0".parse().unwrap()),
        relaxed_durability: None,
    };
    let env = match keyring {
        Some(_) => Environment::from_pairs::<&str>([]),
        None => Environment::from_pairs([(doorwatch::config::env::SECRETS, "file")]),
    };
    let mut config = Config::resolve(&flags, env, settings, dir.join("settings.toml")).unwrap();
    config.keyring = keyring;
    let (doorwatch, outputs) = Doorwatch::start(config, flags, None, StartOptions { tunnel: false }).await;
    let url = doorwatch.with_receiver(|r| r.local_url()).expect("the receiver started");
    Running { doorwatch, outputs, url }
}

fn public(accept_unsigned: bool) -> Settings {
    let mut s = Settings::default();
    s.tunnel.public_url = "https://doors.example.com".into();
    s.tunnel.accept_unsigned = accept_unsigned;
    s
}

fn refusal(uuid: &str, door: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "uuid": uuid, "type": "lock.unlock", "success": false, "actor_type": "User", "actor_name": "Mallory",
        "object_type": "Lock", "object_name": door, "created_at": chrono::Utc::now().to_rfc3339(),
        "error_message": "Access denied.",
    }))
    .unwrap()
}

fn all_events(d: &Doorwatch) -> Vec<StoredEvent> {
    d.read(|r| r.events(&EventFilter::default(), None, 100_000)).unwrap().events
}

fn error_code(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body).unwrap()["error"].as_str().unwrap_or_default().to_owned()
}

async fn wait_for(what: &str, mut ok: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !ok() {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Every alert raised within `settle` of the last one.
async fn drain_alerts(outputs: &mut Outputs, settle: Duration) -> Vec<Alert> {
    let mut alerts = Vec::new();
    while let Ok(Some(alert)) = tokio::time::timeout(settle, outputs.alerts.recv()).await {
        alerts.push(alert);
    }
    alerts
}

#[tokio::test]
async fn a_keyring_that_forgets_leaves_the_key_in_the_owner_only_file_and_it_works_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let first = start(dir.path(), Some(Arc::new(Forgetful)), Settings::default()).await;
    let place = first.doorwatch.secrets().set(Secret::SigningKey, "key-that-must-survive").unwrap();
    assert_eq!(place, Place::File, "the read-back found the keyring had forgotten");
    first.doorwatch.stop().await;

    let again = start(dir.path(), Some(Arc::new(Forgetful)), Settings::default()).await;
    let client = reqwest::Client::new();
    let body = refusal("0b9f3c1e-0000-4000-8000-000000000001", "Main Entrance");
    assert_eq!(deliver(&client, &again.url, &body, None).await.0, 401, "the key is in force: unsigned is refused");
    assert_eq!(deliver(&client, &again.url, &body, Some("key-that-must-survive")).await.0, 200);
    let events = all_events(&again.doorwatch);
    assert_eq!(events.len(), 1);
    assert!(events[0].verified);

    let view = again.doorwatch.settings_view().unwrap();
    assert!(view.signing_key_set);
    let file = dir.path().join("secrets.toml");
    assert_eq!(view.secrets_file.as_deref(), Some(file.to_str().unwrap()), "Settings says where the secret is");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    }
    again.doorwatch.stop().await;
}

#[tokio::test]
async fn a_locked_keyring_refuses_deliveries_with_503_and_trouble_until_it_unlocks() {
    let dir = tempfile::tempdir().unwrap();
    let keyring = Arc::new(Lockable::default());
    keyring.set("signing-key", "key-in-the-keyring").unwrap();
    keyring.locked.store(true, Ordering::SeqCst);
    let running = start(dir.path(), Some(keyring.clone()), Settings::default()).await;
    let client = reqwest::Client::new();
    let body = refusal("0b9f3c1e-0000-4000-8000-000000000002", "Main Entrance");

    let response = client
        .post(&running.url)
        .header("content-type", "application/json")
        .header("x-signature", support::delivery::signature("key-in-the-keyring", &body))
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 503, "fails closed: not stored as unverified");
    assert_eq!(response.headers()["retry-after"], "30");
    assert_eq!(error_code(&response.text().await.unwrap()), "signing_key_unreadable");
    assert_eq!(deliver(&client, &running.url, &body, None).await.0, 503, "unsigned waits too");
    assert!(all_events(&running.doorwatch).is_empty(), "nothing stored");
    let status = running.doorwatch.status_view().unwrap();
    assert!(status.trouble, "the tray shows trouble");
    assert!(status.summary.contains("signing key unreadable"), "{}", status.summary);
    let settings = running.doorwatch.settings_view().expect("Settings still opens while the keyring is locked");
    assert!(!settings.signing_key_set);

    // Saving while locked is an error, and never writes the secret to the file instead.
    let saved = running.doorwatch.secrets().set(Secret::NgrokAuthtoken, "ngrok-token-while-locked");
    assert!(saved.unwrap_err().is_locked());
    assert!(!dir.path().join("secrets.toml").exists(), "no plaintext copy");

    keyring.locked.store(false, Ordering::SeqCst);
    let d = running.doorwatch.clone();
    wait_for("the key to be read again", || d.with_receiver(|r| r.signature_check_on()).unwrap_or(false)).await;
    assert_eq!(deliver(&client, &running.url, &body, Some("key-in-the-keyring")).await.0, 200);
    let events = all_events(&running.doorwatch);
    assert_eq!(events.len(), 1);
    assert!(events[0].verified);
    let status = running.doorwatch.status_view().unwrap();
    assert!(!status.trouble, "{}", status.summary);
    running.doorwatch.stop().await;
}

#[tokio::test]
async fn a_public_receiver_without_a_key_refuses_unsigned_deliveries_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let running = start(dir.path(), None, public(false)).await;
    let client = reqwest::Client::new();
    let (status, body) =
        deliver(&client, &running.url, &refusal("0b9f3c1e-0000-4000-8000-000000000003", "Main Entrance"), None).await;
    assert_eq!(status, 401);
    assert_eq!(error_code(&body), "unsigned_refused");
    assert!(body.contains("Accept unsigned deliveries"), "{body}");
    assert!(all_events(&running.doorwatch).is_empty());
    let view = running.doorwatch.status_view().unwrap();
    assert!(view.trouble);
    assert!(view.summary.contains("unsigned deliveries are refused"), "{}", view.summary);
    running.doorwatch.stop().await;
}

#[tokio::test]
async fn accepted_unsigned_deliveries_are_marked_unverified_in_the_row_and_the_notification() {
    let dir = tempfile::tempdir().unwrap();
    let mut running = start(dir.path(), None, public(true)).await;
    let client = reqwest::Client::new();
    let uuid = "0b9f3c1e-0000-4000-8000-000000000004";
    assert_eq!(deliver(&client, &running.url, &refusal(uuid, "Main Entrance"), None).await.0, 200);
    let event = running.doorwatch.read(|r| r.event(uuid)).unwrap().expect("stored");
    assert!(!event.verified && event.unverified());
    let details = serde_json::to_value(&event).unwrap();
    assert_eq!(details["verified"], false, "the details the window shows say so");
    let alert = tokio::time::timeout(Duration::from_secs(10), running.outputs.alerts.recv()).await.unwrap().unwrap();
    assert!(alert.title.ends_with("(unverified)"), "{}", alert.title);
    assert!(alert.body.contains("not signed by Kisi"), "{}", alert.body);
    let view = running.doorwatch.status_view().unwrap();
    assert!(view.trouble && view.summary.contains("anyone with the URL can add events"), "{}", view.summary);
    running.doorwatch.stop().await;
}

#[tokio::test]
async fn a_flood_of_unsigned_deliveries_stores_at_most_the_cap_and_raises_one_summary() {
    let dir = tempfile::tempdir().unwrap();
    let mut running = start(dir.path(), None, public(true)).await;
    let client = reqwest::Client::new();
    let mut statuses: HashMap<u16, usize> = HashMap::new();
    for i in 0..10_000u32 {
        let body = refusal(&format!("0b9f3c1e-0000-4000-8000-{i:012}"), &format!("Door {}", i % 500));
        *statuses.entry(deliver(&client, &running.url, &body, None).await.0).or_default() += 1;
    }
    let stored = statuses.get(&200).copied().unwrap_or(0);
    assert!(stored <= UNVERIFIED_PER_MINUTE as usize, "{statuses:?}");
    assert_eq!(stored + statuses.get(&429).copied().unwrap_or(0), 10_000, "{statuses:?}");
    assert_eq!(all_events(&running.doorwatch).len(), stored, "only what was acknowledged is stored");

    let alerts = drain_alerts(&mut running.outputs, Duration::from_secs(3)).await;
    let summaries = alerts.iter().filter(|a| a.key == FLOOD_KEY).count();
    assert_eq!(summaries, 1, "{alerts:#?}");
    assert!(alerts.len() <= UNVERIFIED_ALERTS_PER_MINUTE + 1, "{alerts:#?}");
    let counts = running.doorwatch.read(|r| r.rejection_counts()).unwrap();
    let capped = counts.iter().find(|c| c.reason == "too_many_unverified").map_or(0, |c| c.count);
    assert_eq!(capped as usize, 10_000 - stored, "every refusal is counted");
    running.doorwatch.stop().await;
}

#[tokio::test]
async fn an_event_dated_in_the_future_is_stored_at_its_arrival_with_the_claim_kept() {
    let dir = tempfile::tempdir().unwrap();
    let running = start(dir.path(), None, Settings::default()).await;
    let client = reqwest::Client::new();
    let claimed = chrono::Utc::now() + chrono::Duration::days(400);
    let soon = chrono::Utc::now() + chrono::Duration::seconds(90);
    for (uuid, at) in
        [("0b9f3c1e-0000-4000-8000-00000000000a", claimed), ("0b9f3c1e-0000-4000-8000-00000000000b", soon)]
    {
        let body = serde_json::to_vec(&serde_json::json!({
            "uuid": uuid, "type": "lock.unlock", "success": true, "object_name": "Main Entrance",
            "created_at": at.to_rfc3339(),
        }))
        .unwrap();
        assert_eq!(deliver(&client, &running.url, &body, None).await.0, 200);
    }
    let far = running.doorwatch.read(|r| r.event("0b9f3c1e-0000-4000-8000-00000000000a")).unwrap().unwrap();
    assert_eq!(far.time(), far.received_at, "sorted at its arrival, not a year from now");
    assert_eq!(far.claimed_created_at, Some(claimed.timestamp_millis()), "the claim is flagged");
    assert!(String::from_utf8_lossy(&far.event.raw).contains(&claimed.to_rfc3339()), "and kept in the raw JSON");
    let near = running.doorwatch.read(|r| r.event("0b9f3c1e-0000-4000-8000-00000000000b")).unwrap().unwrap();
    assert_eq!(near.time(), soon.timestamp_millis(), "a clock a little ahead is believed");
    assert_eq!(near.claimed_created_at, None);
    let newest = all_events(&running.doorwatch);
    assert_eq!(newest[0].event.uuid, "0b9f3c1e-0000-4000-8000-00000000000b", "the far claim is not on top");
    running.doorwatch.stop().await;
}

#[tokio::test]
async fn a_task_that_stopped_unexpectedly_is_trouble_until_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let running = start(dir.path(), None, Settings::default()).await;
    assert!(!running.doorwatch.status_view().unwrap().trouble);
    // What a supervised task's panic reports (app::supervise restarts the task; its own tests show that).
    (running.doorwatch.report())("the alerts", "attempt to add with overflow".into());
    let view = running.doorwatch.status_view().unwrap();
    assert!(view.trouble);
    let failure = view.task_failure.expect("the window is told");
    assert_eq!(failure, "the alerts stopped unexpectedly (attempt to add with overflow) and was restarted");
    assert!(view.summary.contains(&failure), "{}", view.summary);
    running.doorwatch.stop().await;
}
