//! End to end, in the real app with the real notification daemon and the fake Kisi: Ada is refused at
//! the main entrance; the notification's "Unlock Main Entrance…" opens the window's confirmation (the
//! door is not touched yet); "Unlock Main Entrance" there reaches Kisi exactly once, and the timeline
//! shows who let her in.
// The app under WebKitGTK, Xvfb and a D-Bus notification daemon: Linux only.
#![cfg(target_os = "linux")]

mod support;

#[path = "../../tests/support/fake_kisi/mod.rs"]
mod fake_kisi;

use std::time::Duration;

use doorwatch::store::{EventFilter, Reader};
use fantoccini::Locator;
use support::page::{wait_for, wait_for_text};
use support::{take_turn, wait_until, Desktop};

const KISI_KEY: &str = "e2e-kisi-key";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_person_is_let_in_from_the_notification_with_one_confirmation() {
    let _turn = take_turn().await;
    let fake = fake_kisi::FakeKisi::start(KISI_KEY).await;
    fake.add_place("Berlin HQ", Some("Europe/Berlin"), 1);
    let main = fake.add_lock("Main Entrance");
    let desktop = Desktop::start_with_env_and_settings(
        &[("KISI_API_KEY", KISI_KEY), ("KISI_API_BASE", &fake.base_url), ("USER", "grace")],
        |listen| format!("listen = \"{listen}\"\nsetup_done = true\n\n[kisi]\nremote_unlock = true\n"),
    );
    let c = desktop.open_app().await;
    wait_for(&c, Locator::Css("[data-testid=status-bar]"), 30).await.unwrap();

    let refused = serde_json::json!({
        "uuid": "ada-refused", "type": "lock.unlock", "actor_type": "User", "actor_name": "Ada Lovelace",
        "object_type": "Lock", "object_id": main, "object_name": "Main Entrance", "success": false,
        "error_code": "fcd8ef", "error_message": "Access denied.",
        "created_at": doorwatch::event::format_time(chrono::Utc::now().timestamp_millis()),
    });
    let (code, _) = desktop.deliver(&refused.to_string()).await;
    assert_eq!(code, 200);
    wait_until("the refused-unlock notification", Duration::from_secs(10), || {
        desktop.notifications_with("Refused at Main Entrance") == 1
    });
    assert!(desktop.notifications_with("Unlock Main Entrance…") == 1, "the notification offers the unlock as a button");

    // The notification's button only asks: the window shows the event and its confirmation.
    desktop.pick("Unlock Main Entrance");
    let out = desktop.dunstctl(&["context"]);
    assert!(out.status.success(), "dunstctl: {}", String::from_utf8_lossy(&out.stderr));
    let dialog = wait_for(&c, Locator::Css("[data-testid=unlock-confirm]"), 15).await.unwrap();
    wait_for_text(&dialog, "Unlock Main Entrance for Ada Lovelace?").await;
    assert!(fake.unlock_calls().is_empty(), "nothing is unlocked before the confirmation");

    c.find(Locator::Css("[data-testid=unlock-confirm-yes]")).await.unwrap().click().await.unwrap();
    let answer = wait_for(&c, Locator::Css("[data-testid=unlock-answer]"), 15).await.unwrap();
    wait_for_text(&answer, "Kisi unlocked Main Entrance.").await;
    assert_eq!(fake.unlock_calls(), vec![main], "exactly one unlock reached Kisi");

    // Doorwatch's record is in the store and in the timeline: who let her in.
    let filter = EventFilter { event_type: Some("doorwatch.remote_unlock".into()), ..EventFilter::default() };
    let records = Reader::open(&desktop.db()).unwrap().events(&filter, None, 10).unwrap().events;
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].event.actor_label.as_deref(), Some("grace"));
    let row = wait_for(&c, Locator::Css(&format!("[data-uuid='{}']", records[0].event.uuid)), 10).await.unwrap();
    wait_for_text(&row, "Remote unlock").await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(fake.unlock_calls().len(), 1, "and no second one followed");
    let _ = c.close().await;
}
