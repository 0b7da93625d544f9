//! The `doorwatch kisi setup`, `kisi status` and `backfill` commands against the fake Kisi API: the
//! webhook is created without the key ever being printed, a switched-off webhook is its own exit status,
//! and a backfill fetches and sums up what was missed.

#[path = "support/fake_kisi/mod.rs"]
mod fake_kisi;
#[path = "support/kisi_env.rs"]
mod kisi_env;

use std::sync::Arc;

use fake_kisi::FakeKisi;
use kisi_env::{cli, Config, API_KEY};

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
