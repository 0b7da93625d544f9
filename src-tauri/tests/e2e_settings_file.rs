//! End to end, in the real app (see `support`): the desktop app reads `settings.toml` exactly as
//! `doorwatch serve` does (tests/cli.rs checks the command line against the same file): the listen
//! address and the durability written there are the ones it runs with.
// The app under WebKitGTK, Xvfb and a D-Bus notification daemon: Linux only.
#![cfg(target_os = "linux")]

mod support;

use std::time::Duration;

use fantoccini::Locator;
use support::events::unlock;
use support::page::{rows, wait_for};
use support::{take_turn, wait_until, Desktop};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_listens_and_commits_as_the_settings_file_says() {
    let _turn = take_turn().await;
    let desktop = Desktop::start_with_settings(|listen| {
        format!("listen = \"{listen}\"\nrelaxed_durability = true\nsetup_done = true\n")
    });
    let c = desktop.open_app().await;

    // It receives on the file's address: a delivery there is stored and shown.
    let (status, answer) = desktop.deliver(&unlock("settings-file-1", "Ada Lovelace", true)).await;
    assert_eq!(status, 200, "{answer}");
    wait_for(&c, Locator::Css("[data-testid=timeline-row][data-uuid='settings-file-1']"), 15).await.unwrap();
    assert_eq!(rows(&c, "settings-file-1").await, 1);

    // It opened the store with the file's durability, and says so where serve says it.
    wait_until("the app's log", Duration::from_secs(10), || desktop.app_log().contains("receiving"));
    let log = desktop.app_log();
    let line = log.lines().find(|l| l.contains("receiving")).unwrap_or_default();
    assert!(line.contains(&desktop.webhook()) && line.contains("durability=\"relaxed\""), "{line}");

    // Settings shows the address as the file's to edit, not as an override.
    c.find(Locator::Css("[data-testid=open-settings]")).await.unwrap().click().await.unwrap();
    let field = wait_for(&c, Locator::Css("[data-testid=listen]"), 10).await.unwrap();
    let shown = field.prop("value").await.unwrap().unwrap_or_default();
    assert_eq!(format!("http://{shown}/webhooks/kisi"), desktop.webhook());
    let _ = c.close().await;
}
