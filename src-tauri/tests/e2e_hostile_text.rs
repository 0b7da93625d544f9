//! End to end, in the real app (see `support`): a name that carries markup reaches the notification
//! daemon as text and the window as text — an `actor_name` of `<a href=…>Re-authenticate</a>` is never
//! a link on the office manager's screen.
// The app under WebKitGTK, Xvfb and a D-Bus notification daemon: Linux only.
#![cfg(target_os = "linux")]

mod support;

use std::time::Duration;

use fantoccini::Locator;
use support::events::unlock_at;
use support::page::wait_for;
use support::{take_turn, wait_until, Desktop};

const LINK: &str = r#"<a href="https://evil.example/login">Re-authenticate</a> & co"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn markup_in_a_name_is_shown_as_text_in_the_notification_and_the_window() {
    let _turn = take_turn().await;
    let desktop = Desktop::start();
    let c = desktop.open_app().await;
    wait_for(&c, Locator::Css("[data-testid=wizard-skip]"), 30).await.unwrap().click().await.unwrap();

    let (status, answer) = desktop.deliver(&unlock_at("hostile-1", LINK, false, "Back <b>door</b>")).await;
    assert_eq!(status, 200, "{answer}");
    wait_until("the refusal's notification", Duration::from_secs(15), || {
        desktop.notifications_with("Re-authenticate") > 0
    });
    // What the daemon was sent: the body escaped for its markup, the link's tag nowhere.
    assert_eq!(desktop.notifications_with("&lt;a href=&quot;https://evil.example/login&quot;&gt;"), 1);
    assert_eq!(desktop.notifications_with("&amp; co"), 1);
    assert_eq!(desktop.notifications_with("<a href="), 0);

    // The window shows the same text, and no link.
    let row = wait_for(&c, Locator::Css("[data-testid=timeline-row][data-uuid='hostile-1']"), 15).await.unwrap();
    let text = row.text().await.unwrap();
    assert!(text.contains("<a href=\"https://evil.example/login\">Re-authenticate</a> & co"), "{text}");
    assert!(c
        .find_all(Locator::Css("[data-testid=timeline-row] a, [data-testid=timeline-row] b"))
        .await
        .unwrap()
        .is_empty());
    let _ = c.close().await;
}
