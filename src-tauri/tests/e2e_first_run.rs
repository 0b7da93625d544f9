//! End to end, in the real app (see `support`): the first-run guide of a fresh install, step by step.
// The app under WebKitGTK, Xvfb and a D-Bus notification daemon: Linux only.
#![cfg(target_os = "linux")]

mod support;

use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, Locator};
use support::events::unlock;
use support::page::{wait_for, wait_for_text};
use support::{take_turn, wait_until, Desktop};

/// A fresh install: the first-run guide goes from nothing to a public URL, Kisi set up by hand with a
/// signature key the receiver then checks, a test event in the timeline and a test notification; it
/// remembers it was done, and Settings opens it again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_run_guide_goes_from_nothing_to_a_test_event_and_a_notification() {
    let _turn = take_turn().await;
    let desktop = Desktop::start();
    let c = desktop.open_app().await;
    find(&c, "[data-testid=wizard]").await;
    receiving_at_my_own_url(&c).await;
    let key = kisi_by_hand_with_a_fresh_signature_key(&desktop, &c).await;
    a_test_event_through_the_receiver(&c).await;
    a_test_notification_and_start_at_login(&desktop, &c).await;
    done_and_remembered(&desktop, &c, &key).await;

    // Settings opens the guide again.
    find(&c, "[data-testid=open-settings]").await.click().await.unwrap();
    find(&c, "[data-testid=open-guide]").await.click().await.unwrap();
    find(&c, "[data-testid=wizard]").await;
    let _ = c.close().await;
}

/// The element `css` finds, waited for up to 15 s (the guide's steps take their time).
async fn find(c: &Client, css: &str) -> Element {
    wait_for(c, Locator::Css(css), 15).await.unwrap_or_else(|e| panic!("{css}: {e}"))
}

/// 1. Receiving: "I have my own URL".
async fn receiving_at_my_own_url(c: &Client) {
    find(c, "[data-testid=wizard-own-url]").await.click().await.unwrap();
    find(c, "[data-testid=wizard-public-url]").await.send_keys("https://doors.example").await.unwrap();
    c.find(Locator::XPath("//section[@data-testid='wizard']//button[normalize-space()='Save']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(c, Locator::XPath("//p[contains(., 'Reachable at https://doors.example')]"), 15)
        .await
        .expect("the guide says Kisi can reach the URL");
    find(c, "[data-testid=wizard-next]").await.click().await.unwrap();
}

/// 2. Kisi, by hand: the URL to paste and a fresh signature key (returned), which the receiver checks
///    from then on.
async fn kisi_by_hand_with_a_fresh_signature_key(desktop: &Desktop, c: &Client) -> String {
    find(c, "[data-testid=wizard-kisi-manual]").await.click().await.unwrap();
    let url = find(c, "[data-testid=wizard-webhook-url]").await.text().await.unwrap();
    assert_eq!(url, "https://doors.example/webhooks/kisi");
    let key_shown = find(c, "[data-testid=wizard-signing-key]").await;
    let start = Instant::now();
    let mut key = String::new();
    while key.len() < 32 {
        assert!(start.elapsed() < Duration::from_secs(10), "no signature key shown: {key:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
        key = key_shown.text().await.unwrap();
    }
    find(c, "[data-testid=wizard-use-key]").await.click().await.unwrap();
    let message = find(c, "[data-testid=wizard-message]").await;
    wait_for_text(&message, "checks every delivery").await;
    let (code, _) = desktop.deliver_signed(&unlock("e2e-new-key", "Ada Lovelace", true), &key).await;
    assert_eq!(code, 200, "a delivery signed with the new key is stored");
    let (code, _) = desktop.deliver(&unlock("e2e-old-key", "Ada Lovelace", true)).await;
    assert_eq!(code, 401, "the old key no longer passes");
    find(c, "[data-testid=wizard-next]").await.click().await.unwrap();
    key
}

/// 3. A test event through the receiver.
async fn a_test_event_through_the_receiver(c: &Client) {
    find(c, "[data-testid=wizard-send-test]").await.click().await.unwrap();
    find(c, "[data-testid=wizard-test-result]").await;
    find(c, "[data-testid=wizard-next]").await.click().await.unwrap();
}

/// 4. A test notification, and start at login.
async fn a_test_notification_and_start_at_login(desktop: &Desktop, c: &Client) {
    find(c, "[data-testid=wizard-test-notification]").await.click().await.unwrap();
    wait_until("the test notification", Duration::from_secs(10), || {
        desktop.notifications_with("Doorwatch notifications work") == 1
    });
    find(c, "[data-testid=wizard-start-at-login]").await.click().await.unwrap();
    find(c, "[data-testid=wizard-finish]").await.click().await.unwrap();
}

/// Done: the timeline, with the deliveries of the guide; remembered in the settings file.
async fn done_and_remembered(desktop: &Desktop, c: &Client, key: &str) {
    find(c, "[data-testid=timeline-row][data-uuid='e2e-new-key']").await;
    let rows = c.find_all(Locator::Css("[data-testid=timeline-row]")).await.unwrap().len();
    assert_eq!(rows, 2, "the test event and the delivery signed with the new key");
    let settings = std::fs::read_to_string(desktop.config_dir().join("settings.toml")).unwrap();
    assert!(settings.contains("setup_done = true"), "{settings}");
    assert!(settings.contains("start_at_login = true"), "{settings}");
    assert!(settings.contains("public_url = \"https://doors.example\""), "{settings}");
    assert!(!settings.contains(key), "the signature key is a secret, not a setting");
    wait_until("the login item", Duration::from_secs(10), || {
        desktop.home().join(".config/autostart/Doorwatch.desktop").exists()
    });
}
