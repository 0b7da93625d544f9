//! One-step Kisi setup and the webhook's upkeep, against the fake Kisi API: setup creates exactly one
//! integration whose key the receiver then accepts, re-running it repairs rather than duplicates, a new
//! tunnel URL is followed, a disabled webhook is noticed and switched back on, and the client's errors
//! say what is wrong.

#[path = "support/fake_kisi.rs"]
mod fake_kisi;

use std::sync::Arc;
use std::time::Duration;

use doorwatch::app::kisi_setup;
use doorwatch::app::online::{KisiStatus, Notice, Online, OnlineConfig};
use doorwatch::config::secrets::{Secret, Secrets};
use doorwatch::config::settings::Settings;
use doorwatch::kisi::integration::{self, Health, EVENT_TYPES};
use doorwatch::kisi::{ApiKey, Client, KisiError};
use doorwatch::receive::tunnel::{Problem, TunnelStatus};
use doorwatch::receive::{Receiver, ReceiverConfig};
use doorwatch::store::{EventFilter, StoreOptions};
use fake_kisi::{FakeKisi, Misbehave};

const API_KEY: &str = "kisi-test-api-key";

fn client(fake: &FakeKisi) -> Client {
    Client::new(&fake.base_url, ApiKey::new(API_KEY).unwrap())
}

struct Config {
    dir: tempfile::TempDir,
}

impl Config {
    fn new() -> Config {
        Config { dir: tempfile::tempdir().unwrap() }
    }
    fn secrets(&self) -> Secrets {
        Secrets::file_only(self.dir.path())
    }
    fn settings_path(&self) -> std::path::PathBuf {
        self.dir.path().join("settings.toml")
    }
    /// The configuration Doorwatch resolves for this folder: secrets in its owner-only file.
    fn resolved(&self) -> doorwatch::config::Config {
        use doorwatch::config::{env, Environment, Flags};
        let env = Environment::from_pairs([(env::SECRETS, "file")]);
        doorwatch::config::Config::resolve(&Flags::default(), env, Settings::default(), self.settings_path()).unwrap()
    }
    fn settings(&self) -> Settings {
        Settings::load(&self.settings_path()).unwrap()
    }
}

async fn receiver(dir: &std::path::Path, key: Option<String>) -> Receiver {
    Receiver::start(ReceiverConfig {
        db: dir.join("doorwatch.sqlite3"),
        listen: "127.0.0.1:0".parse().unwrap(),
        signing_key: key.as_deref().and_then(doorwatch::receive::signature::SigningKey::new),
        store: StoreOptions::default(),
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn setup_creates_one_integration_whose_key_the_receiver_then_accepts() {
    let fake = FakeKisi::start(API_KEY).await;
    let config = Config::new();
    // The receiver runs without a key; setup hands it the new one without a restart.
    let receiver = receiver(config.dir.path(), None).await;
    let slot = receiver.key_slot();

    let outcome = kisi_setup::set_up_kisi(&client(&fake), "https://door.example/", &config.resolved(), Some(&slot))
        .await
        .unwrap();

    assert!(outcome.created);
    let all = fake.integrations();
    assert_eq!(all.len(), 1);
    let made = &all[0];
    assert_eq!(made.id, outcome.integration_id);
    assert_eq!(made.url, "https://door.example/webhooks/kisi");
    assert!(made.enabled);
    assert_eq!(made.enabled_events, EVENT_TYPES.iter().map(|s| s.to_string()).collect::<Vec<_>>());
    let kisi_key = made.signature_key.clone().expect("Kisi got a signature key");
    assert!(kisi_key.len() >= 32, "a long random key");
    assert_eq!(config.secrets().get(Secret::SigningKey).unwrap().as_deref(), Some(kisi_key.as_str()));
    assert_eq!(config.settings().kisi.integration_id, Some(outcome.integration_id));
    let settings_text = std::fs::read_to_string(config.settings_path()).unwrap();
    assert!(!settings_text.contains(&kisi_key), "the key is not in the settings file");

    // "Kisi" delivers, signed with the key it was given, to the address the webhook points at (moved to
    // this receiver, as a tunnel would forward it): accepted and verified.
    let kisi = client(&fake);
    assert!(integration::follow_url(&kisi, made.id, &receiver.local_url()).await.unwrap());
    let event = fake_kisi::event(
        "6a1c0e52-1111-4c55-9e0a-1d2b3c4d5e6f",
        chrono::Utc::now(),
        false,
        "Main Entrance",
        Some("Ada"),
    );
    assert_eq!(fake.deliver(made.id, &event).await, 200);
    let reader = receiver.store().reader().unwrap();
    let page = reader.events(&EventFilter::default(), None, 10).unwrap();
    assert_eq!(page.events.len(), 1);
    assert!(page.events[0].verified);
    assert_eq!(page.events[0].event.object_name.as_deref(), Some("Main Entrance"));

    // Once the key changes at Kisi only (someone edits it in the dashboard), deliveries are refused.
    kisi.update_integration(
        made.id,
        &doorwatch::kisi::IntegrationFields { signature_key: Some("not-the-key"), ..Default::default() },
    )
    .await
    .unwrap();
    assert_eq!(fake.deliver(made.id, &event).await, 401);
    receiver.stop().await;
}

#[tokio::test]
async fn running_setup_again_repairs_its_integration_instead_of_adding_one() {
    let fake = FakeKisi::start(API_KEY).await;
    let someone_elses = fake.insert_integration("Slack door alerts", "https://hooks.example.com/x", true);
    let config = Config::new();
    let kisi = client(&fake);
    let first = kisi_setup::set_up_kisi(&kisi, "https://one.example", &config.resolved(), None).await.unwrap();
    let first_key = config.secrets().get(Secret::SigningKey).unwrap();
    // Someone breaks it in the dashboard: switched off, pointed elsewhere.
    fake.disable_due_to_error(first.integration_id);

    let again = kisi_setup::set_up_kisi(&kisi, "https://two.example", &config.resolved(), None).await.unwrap();
    assert!(!again.created);
    assert_eq!(again.integration_id, first.integration_id);
    let ours: Vec<_> = fake.integrations().into_iter().filter(|i| i.id != someone_elses).collect();
    assert_eq!(ours.len(), 1, "no second integration");
    assert_eq!(ours[0].url, "https://two.example/webhooks/kisi");
    assert!(ours[0].enabled && !ours[0].disabled_due_to_error);
    let new_key = config.secrets().get(Secret::SigningKey).unwrap();
    assert_ne!(new_key, first_key, "a fresh key");
    assert_eq!(ours[0].signature_key, new_key, "Kisi and the receiver share it");
    let other = fake.integrations().into_iter().find(|i| i.id == someone_elses).unwrap();
    assert_eq!(other.url, "https://hooks.example.com/x", "another integration is left alone");

    // With the remembered id lost (settings deleted), it is found by its name, not duplicated.
    std::fs::remove_file(config.settings_path()).unwrap();
    let third = kisi_setup::set_up_kisi(&kisi, "https://two.example", &config.resolved(), None).await.unwrap();
    assert_eq!(third.integration_id, first.integration_id);
    assert_eq!(fake.integrations().len(), 2);
}

#[tokio::test]
async fn setup_refuses_a_local_url_and_changes_nothing() {
    let fake = FakeKisi::start(API_KEY).await;
    let config = Config::new();
    let err =
        kisi_setup::set_up_kisi(&client(&fake), "http://127.0.0.1:8787", &config.resolved(), None).await.unwrap_err();
    assert!(err.to_string().contains("cannot reach"), "{err}");
    assert!(fake.integrations().is_empty());
    assert!(fake.requests().is_empty(), "Kisi was not even called");
    assert_eq!(config.secrets().get(Secret::SigningKey).unwrap(), None);
}

#[tokio::test]
async fn a_bad_api_key_is_named_as_such_and_changes_nothing() {
    let fake = FakeKisi::start(API_KEY).await;
    let config = Config::new();
    let wrong = Client::new(&fake.base_url, ApiKey::new("wrong-key").unwrap());
    let err = kisi_setup::set_up_kisi(&wrong, "https://door.example", &config.resolved(), None).await.unwrap_err();
    assert!(matches!(err, kisi_setup::SetupError::Kisi(KisiError::InvalidKey)), "{err}");
    assert!(err.to_string().contains("API key"), "{err}");
    assert!(fake.integrations().is_empty());
    assert_eq!(config.secrets().get(Secret::SigningKey).unwrap(), None, "no key saved for a failed setup");
}

#[tokio::test]
async fn kisi_being_briefly_down_or_busy_is_retried_and_a_long_outage_is_reported() {
    let fake = FakeKisi::start(API_KEY).await;
    let kisi = client(&fake);
    fake.misbehave(Misbehave::Unavailable, 1);
    fake.misbehave(Misbehave::DropConnection, 1);
    fake.misbehave(Misbehave::TooManyRequests, 1);
    assert!(kisi.integrations().await.unwrap().is_empty());
    assert_eq!(fake.rate_limited(), 1);
    assert!(kisi.rate_limit_wait() >= Duration::from_secs(1), "a 429 waits at least a second");

    fake.misbehave(Misbehave::Unavailable, 10);
    let err = kisi.integrations().await.unwrap_err();
    assert!(matches!(err, KisiError::Unavailable(_)), "{err}");
    assert!(err.is_transient());
}

#[tokio::test]
async fn requests_keep_to_kisis_rate_limits() {
    let fake = FakeKisi::start(API_KEY).await;
    let kisi = client(&fake);
    for _ in 0..12 {
        kisi.integrations().await.unwrap();
    }
    let now = chrono::Utc::now().timestamp_millis();
    for _ in 0..3 {
        kisi.create_event_set(now - 3_600_000, now).await.unwrap();
    }
    assert_eq!(fake.rate_limited(), 0, "never over 5 a second, nor 1 event set a second");
}

#[tokio::test]
async fn a_disabled_webhook_is_noticed_and_switched_back_on() {
    let fake = FakeKisi::start(API_KEY).await;
    let config = Config::new();
    let kisi = client(&fake);
    let id =
        kisi_setup::set_up_kisi(&kisi, "https://door.example", &config.resolved(), None).await.unwrap().integration_id;
    assert!(matches!(integration::health(&kisi, id).await.unwrap(), Health::Enabled { .. }));

    let receiver = receiver(config.dir.path(), None).await;
    let (_tunnel_tx, tunnel_rx) = tokio::sync::watch::channel(TunnelStatus::Off);
    let online_config = online_config(&fake, id);
    let (online, mut notices) = Online::with_tunnel_status(online_config, receiver.store().clone(), tunnel_rx);
    let mut status = online.status();
    wait_until(&mut status, |s| matches!(&s.kisi, KisiStatus::Checked { health: Health::Enabled { .. }, .. })).await;

    fake.disable_due_to_error(id);
    online.check_health();
    wait_until(&mut status, |s| {
        matches!(&s.kisi, KisiStatus::Checked { health: Health::Disabled { due_to_error: true, .. }, .. })
    })
    .await;
    let notice = tokio::time::timeout(Duration::from_secs(10), notices.recv()).await.unwrap().unwrap();
    assert!(matches!(&notice, Notice::WebhookOff(text) if text.contains("failed deliveries")), "{notice:?}");

    integration::re_enable(&kisi, id).await.unwrap();
    online.check_health();
    wait_until(&mut status, |s| matches!(&s.kisi, KisiStatus::Checked { health: Health::Enabled { .. }, .. })).await;
    assert!(fake.integrations()[0].enabled);
    online.stop().await;
    receiver.stop().await;
}

#[tokio::test]
async fn a_new_tunnel_url_is_followed_and_a_tunnel_back_from_an_outage_catches_up() {
    let fake = FakeKisi::start(API_KEY).await;
    fake.set_polls_before_finished(0);
    let config = Config::new();
    let id = kisi_setup::set_up_kisi(&client(&fake), "https://first.example", &config.resolved(), None)
        .await
        .unwrap()
        .integration_id;
    let receiver = receiver(config.dir.path(), None).await;
    let (tunnel_tx, tunnel_rx) = tokio::sync::watch::channel(TunnelStatus::Connecting);
    let online_config = online_config(&fake, id);
    let (online, mut notices) = Online::with_tunnel_status(online_config, receiver.store().clone(), tunnel_rx);

    tunnel_tx.send_replace(TunnelStatus::Online { url: "https://second.ngrok.app".into() });
    let notice = tokio::time::timeout(Duration::from_secs(20), notices.recv()).await.unwrap().unwrap();
    assert_eq!(notice, Notice::UrlFollowed("https://second.ngrok.app/webhooks/kisi".into()));
    assert_eq!(fake.integrations()[0].url, "https://second.ngrok.app/webhooks/kisi");

    // While the tunnel is down, two doors are used; when it is back, they are fetched.
    tunnel_tx.send_replace(TunnelStatus::Offline { problem: Problem::Unreachable, reason: "test".into() });
    let mut status = online.status();
    wait_until(&mut status, |s| matches!(s.tunnel, TunnelStatus::Offline { .. })).await;
    let now = chrono::Utc::now();
    fake.add_events([
        fake_kisi::event(
            "7b000000-0000-4000-8000-000000000001",
            now - chrono::Duration::minutes(5),
            false,
            "Back door",
            Some("Eve"),
        ),
        fake_kisi::event(
            "7b000000-0000-4000-8000-000000000002",
            now - chrono::Duration::minutes(4),
            true,
            "Back door",
            Some("Bob"),
        ),
    ]);
    tunnel_tx.send_replace(TunnelStatus::Online { url: "https://second.ngrok.app".into() });
    let notice = tokio::time::timeout(Duration::from_secs(30), notices.recv()).await.unwrap().unwrap();
    // With an empty store the gap starts 7 days back; both events are new, one a failed unlock.
    assert_eq!(notice, Notice::WhileAway("While you were away: 1 failed unlock".into()));
    assert_eq!(receiver.store().reader().unwrap().count().unwrap(), 2);
    online.stop().await;
    receiver.stop().await;
}

/// Upkeep for integration `id` at the fake, with no tunnel of its own and no backfill at start.
fn online_config(fake: &FakeKisi, id: i64) -> OnlineConfig {
    OnlineConfig {
        tunnel: None,
        manual_public_url: None,
        kisi: Some(Arc::new(client(fake))),
        integration_id: Some(id),
        health_every: Duration::from_secs(3600),
        backfill: doorwatch::kisi::backfill::Options { poll_every: Duration::from_millis(50), ..Default::default() },
        backfill_on_start: false,
        backfill_retry_after: Duration::from_millis(200),
    }
}

async fn wait_until(
    status: &mut tokio::sync::watch::Receiver<doorwatch::app::online::OnlineStatus>,
    done: impl Fn(&doorwatch::app::online::OnlineStatus) -> bool,
) {
    let reached =
        tokio::time::timeout(Duration::from_secs(20), status.wait_for(|s| done(s))).await.is_ok_and(|r| r.is_ok());
    let last = status.borrow().clone();
    assert!(reached, "status never got there; last: {last:?}");
}

/// `doorwatch` with its own settings and secrets folder, pointed at the fake Kisi.
fn cli(config: &Config, kisi_base: &str, args: &[&str]) -> std::process::Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_doorwatch"));
    for var in ["DOORWATCH_LISTEN", "DOORWATCH_SIGNING_KEY", "NGROK_AUTHTOKEN", "NGROK_DOMAIN", "DOORWATCH_LOG"] {
        cmd.env_remove(var);
    }
    cmd.env("DOORWATCH_CONFIG_DIR", config.dir.path())
        .env("DOORWATCH_SECRETS", "file")
        .env("DOORWATCH_DB", config.dir.path().join("doorwatch.sqlite3"))
        .env("KISI_API_KEY", API_KEY)
        .env("KISI_API_BASE", kisi_base)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
}

/// Runs the command on a blocking thread, so the fake keeps answering meanwhile.
async fn cli_in_background(config: &Arc<Config>, fake: &FakeKisi, args: &[&str]) -> std::process::Output {
    let (config, base) = (Arc::clone(config), fake.base_url.clone());
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    tokio::task::spawn_blocking(move || cli(&config, &base, &args.iter().map(String::as_str).collect::<Vec<_>>()))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_sets_up_checks_and_backfills() {
    let fake = FakeKisi::start(API_KEY).await;
    fake.set_polls_before_finished(0);
    let now = chrono::Utc::now();
    fake.add_events((0..30).map(|i| {
        let at = now - chrono::Duration::minutes(10 + i);
        fake_kisi::event(&format!("8c000000-0000-4000-8000-{i:012}"), at, i % 10 != 0, "Main Entrance", Some("Ada"))
    }));
    let config = Arc::new(Config::new());
    let out = cli_in_background(&config, &fake, &["kisi", "setup", "--public-url", "https://door.example"]).await;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{stdout} {}", String::from_utf8_lossy(&out.stderr));
    assert!(
        stdout.contains("Created Kisi webhook") && stdout.contains("https://door.example/webhooks/kisi"),
        "{stdout}"
    );
    let key = fake.integrations()[0].signature_key.clone().unwrap();
    assert!(!stdout.contains(&key), "the key is never printed");

    let out = cli_in_background(&config, &fake, &["kisi", "status"]).await;
    assert!(String::from_utf8_lossy(&out.stdout).contains("Kisi webhook on"));

    fake.disable_due_to_error(fake.integrations()[0].id);
    let out = cli_in_background(&config, &fake, &["kisi", "status"]).await;
    assert_eq!(out.status.code(), Some(3), "a switched-off webhook is a distinct exit status");
    assert!(String::from_utf8_lossy(&out.stdout).contains("switched the webhook off"));

    let out = cli_in_background(&config, &fake, &["backfill", "--since", "2h"]).await;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{stdout} {}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("Fetched 30 events from Kisi: 30 new, 0 already stored."), "{stdout}");
    assert!(stdout.contains("While you were away: 3 failed unlocks"), "{stdout}");
}

#[tokio::test]
async fn a_backfill_that_cannot_reach_kisi_just_after_waking_is_tried_again() {
    let fake = FakeKisi::start(API_KEY).await;
    fake.set_polls_before_finished(0);
    fake.add_events([fake_kisi::event(
        "9f000000-0000-4000-8000-000000000001",
        chrono::Utc::now() - chrono::Duration::minutes(20),
        false,
        "Back door",
        Some("Eve"),
    )]);
    let config = Config::new();
    let receiver = receiver(config.dir.path(), None).await;
    // The network is not back yet: the first attempt's requests all fail.
    fake.misbehave(Misbehave::DropConnection, 5);
    let online_config = OnlineConfig { backfill_on_start: true, integration_id: None, ..online_config(&fake, 0) };
    let (online, mut notices) = Online::with_tunnel_status(
        online_config,
        receiver.store().clone(),
        tokio::sync::watch::channel(TunnelStatus::Off).1,
    );
    let mut summary = None;
    while summary.is_none() {
        match tokio::time::timeout(Duration::from_secs(30), notices.recv()).await.unwrap().unwrap() {
            Notice::WhileAway(text) => summary = Some(text),
            Notice::Problem(text) => assert!(text.contains("catching up failed"), "{text}"),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(summary.unwrap(), "While you were away: 1 failed unlock");
    assert_eq!(receiver.store().reader().unwrap().count().unwrap(), 1);
    online.stop().await;
    receiver.stop().await;
}
