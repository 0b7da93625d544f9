//! End to end, in the real app (see `support`), with the real notification daemon: a weekend rule from
//! settings.toml alerts on a successful unlock and is named in the event's details; a door held open
//! is an incident that shows above the timeline and repeats its notification every minute, until the
//! notification's Acknowledge button stops it.
// The app under WebKitGTK, Xvfb and a D-Bus notification daemon: Linux only.
#![cfg(target_os = "linux")]

mod support;

use std::time::Duration;

use chrono::{Datelike, Duration as Span, TimeZone, Utc, Weekday};
use doorwatch::event::format_time;
use doorwatch::store::{IncidentEnd, Reader};
use fantoccini::{Client, Locator};
use support::events::unlock;
use support::page::{wait_for, wait_for_text};
use support::{take_turn, wait_until, Desktop};

const SETTINGS: &str = r#"
setup_done = true

[alerts]
incident_repeat_minutes = 1

[[rule]]
name = "Server room at the weekend"
when = ["unlock_ok", "unlock_failed", "door_opened"]
doors = ["server room"]
days = ["sat", "sun"]
action = "alert"
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_weekend_rule_alerts_and_a_propped_door_nags_until_acknowledged() {
    let _turn = take_turn().await;
    let desktop = Desktop::start_with_settings(|listen| format!("listen = \"{listen}\"\n{SETTINGS}"));
    let c = desktop.open_app().await;
    wait_for(&c, Locator::Css("[data-testid=status-bar]"), 30).await.unwrap();
    a_weekend_rule_alerts_on_a_successful_unlock(&desktop, &c).await;
    a_held_open_door_repeats_until_acknowledged(&desktop, &c).await;
    let _ = c.close().await;
}

/// Ada lets herself into the server room last Saturday (the event's own time is what the rule reads):
/// a notification names the rule; the same unlock on a weekday would have stayed silent.
async fn a_weekend_rule_alerts_on_a_successful_unlock(desktop: &Desktop, c: &Client) {
    let mut day = Utc::now().date_naive() - Span::days(1);
    while day.weekday() != Weekday::Sat {
        day -= Span::days(1);
    }
    let saturday = Utc.from_utc_datetime(&day.and_hms_opt(10, 0, 0).unwrap());
    let body = |uuid: &str, at: i64| {
        serde_json::json!({
            "uuid": uuid, "type": "lock.unlock", "actor_type": "User", "actor_name": "Ada Lovelace",
            "object_type": "Lock", "object_name": "Server Room", "success": true, "created_at": format_time(at),
        })
        .to_string()
    };
    let (code, _) = desktop.deliver(&body("weekend-entry", saturday.timestamp_millis())).await;
    assert_eq!(code, 200);
    let friday = saturday - Span::days(1);
    let (code, _) = desktop.deliver(&body("weekday-entry", friday.timestamp_millis())).await;
    assert_eq!(code, 200);
    wait_until("the weekend rule's notification", Duration::from_secs(10), || {
        desktop.notifications_with("Server room at the weekend") == 1
    });
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(desktop.notifications_with("Server room at the weekend"), 1, "the weekday entry alerted too");
    // And an unlock at another door is silent, as it always was.
    desktop.deliver(&unlock("plain-entry", "Grace Hopper", true)).await;
    wait_for(c, Locator::Css("[data-uuid='plain-entry']"), 10).await.unwrap();
    assert_eq!(desktop.notifications_with("Grace Hopper"), 0);

    // The event's details say which rule alerted.
    let row = wait_for(c, Locator::Css("[data-uuid='weekend-entry']"), 10).await.unwrap();
    row.click().await.unwrap();
    let detail = wait_for(c, Locator::Css("[data-testid=event-detail]"), 10).await.unwrap();
    wait_for_text(&detail, "Server room at the weekend: alert").await;
    c.find(Locator::Css("[data-uuid='weekday-entry']")).await.unwrap().click().await.unwrap();
    wait_for_text(&detail, "silent").await;
    desktop.dunstctl(&["close-all"]);
}

/// The back door held open since three minutes ago: the first notification, then at once a repeat
/// ("still open (3 min)"), a minute later another; the window shows it above the timeline.
/// Acknowledge (the notification's button) ends the incident, and no repeat follows.
async fn a_held_open_door_repeats_until_acknowledged(desktop: &Desktop, c: &Client) {
    let since = Utc::now().timestamp_millis() - 3 * 60_000 - 5_000;
    let held = serde_json::json!({
        "uuid": "held-back-door", "type": "lock.held_open", "object_type": "Lock", "object_name": "Back Door",
        "success": true, "created_at": format_time(since),
    });
    let (code, _) = desktop.deliver(&held.to_string()).await;
    assert_eq!(code, 200);
    wait_until("the first repeat", Duration::from_secs(15), || {
        desktop.notifications_with("Back Door still open (3 min)") == 1
    });
    // The window reads the status again when the event arrives: the incident is above the timeline.
    let banner = wait_for(c, Locator::Css("[data-testid=open-incident]"), 10).await.unwrap();
    wait_for_text(&banner, "Back Door").await;
    wait_until("the repeat a minute later", Duration::from_secs(80), || {
        desktop.notifications_with("Back Door still open (4 min)") == 1
    });
    assert_eq!(desktop.on_screen(), 1, "each repeat replaces the one before on screen");

    desktop.pick("Acknowledge");
    let out = desktop.dunstctl(&["context"]);
    assert!(out.status.success(), "dunstctl: {}", String::from_utf8_lossy(&out.stderr));
    let db = desktop.db();
    wait_until("the incident acknowledged", Duration::from_secs(10), || {
        let reader = Reader::open(&db).unwrap();
        let incidents = reader.recent_incidents(10).unwrap();
        incidents.len() == 1 && incidents[0].ended_by == Some(IncidentEnd::Acknowledged)
    });
    let reminders = Reader::open(&db).unwrap().recent_incidents(1).unwrap()[0].reminders;
    // The next repeat would have come within a minute; none does.
    tokio::time::sleep(Duration::from_secs(70)).await;
    assert_eq!(desktop.notifications_with("Back Door still open (5 min)"), 0, "a repeat after Acknowledge");
    assert_eq!(Reader::open(&db).unwrap().recent_incidents(1).unwrap()[0].reminders, reminders);
    // The window's banner went with it (the status is read again at least every 30 s).
    let still = c.find_all(Locator::Css("[data-testid=open-incident]")).await.unwrap();
    assert!(still.is_empty(), "the window still shows the acknowledged incident");
}
