//! End to end, in the real app (see `support`), against a fake Kisi API: the night's events fetched at
//! start and summarised in one alert, then the timeline on them (details, the new-events pill, CSV
//! export, insights, the door filter, paging) and Settings' "Connect to Kisi" and ngrok authtoken.
// The app under WebKitGTK, Xvfb and a D-Bus notification daemon: Linux only.
#![cfg(target_os = "linux")]

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};
use support::events::unlock;
use support::page::{click, loaded, rows, scroll_to_end, wait_for, wait_for_text};
use support::{take_turn, wait_until, Desktop, KEY};

#[path = "../../tests/support/fake_kisi/mod.rs"]
mod fake_kisi;

/// A laptop that slept through the night: at start the app fetches the night's events from Kisi, shows
/// them, and says so in one summary instead of one alert per old event. Then "Connect to Kisi" in
/// Settings creates the webhook for the public URL, signed with the key the receiver checks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_nights_events_are_fetched_at_start_and_connect_to_kisi_sets_up_the_webhook() {
    let _turn = take_turn().await;
    let fake = a_kisi_with_a_night_of_events().await;
    // An address where no ngrok answers: the tunnel's offline path, never ngrok's servers.
    let no_ngrok = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().to_string();
    // Where "Export CSV" saves (a native save dialog cannot be clicked through WebDriver).
    let exports = tempfile::tempdir().unwrap();
    let csv = exports.path().join("failed.csv");
    let desktop = Desktop::start_with(&[
        ("KISI_API_KEY", "e2e-kisi-key"),
        ("KISI_API_BASE", &fake.base_url),
        ("DOORWATCH_NGROK_SERVER", &no_ngrok),
        ("DOORWATCH_SAVE_AS", csv.to_str().unwrap()),
    ]);
    std::fs::create_dir_all(desktop.config_dir()).unwrap();
    // Set up long ago: no first-run guide.
    std::fs::write(
        desktop.config_dir().join("settings.toml"),
        "setup_done = true\n[tunnel]\npublic_url = \"https://door.example\"\n",
    )
    .unwrap();

    let c = desktop.open_app().await;
    the_night_is_shown_and_summarised_in_one_alert(&desktop, &c).await;
    a_row_opens_its_details(&c).await;
    a_new_event_while_reading_older_ones_shows_a_pill(&desktop, &c).await;
    export_the_failed_ones_as_csv(&c, &csv).await;
    insights_by_door_and_hour(&c).await;
    one_door_only_then_cleared(&c).await;
    the_next_page_loads_as_the_end_scrolls_into_view(&desktop, &c).await;
    connect_to_kisi_creates_the_webhook(&desktop, &c, &fake).await;
    an_ngrok_authtoken_starts_the_tunnel(&desktop, &c).await;
    c.close().await.unwrap();
}

/// A fake Kisi with 25 events of the night at the server room, three of them refused.
async fn a_kisi_with_a_night_of_events() -> fake_kisi::FakeKisi {
    let fake = fake_kisi::FakeKisi::start("e2e-kisi-key").await;
    fake.set_polls_before_finished(1);
    let now = chrono::Utc::now();
    fake.add_events((0..25).map(|i| {
        let at = now - chrono::Duration::minutes(60 + 15 * i);
        let failed = i % 8 == 3; // three of them
        fake_kisi::event(&format!("night-{i:02}"), at, !failed, "Server room", Some("Night Owl"))
    }));
    fake
}

async fn the_night_is_shown_and_summarised_in_one_alert(desktop: &Desktop, c: &Client) {
    wait_for(c, Locator::Css("[data-testid=timeline-row][data-uuid='night-03']"), 60).await.unwrap();
    let start = Instant::now();
    while loaded(c).await != 25 {
        assert!(start.elapsed() < Duration::from_secs(30), "the window never loaded all 25 events");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    wait_until("the summary", Duration::from_secs(10), || {
        desktop.notifications_with("While you were away: 3 failed unlocks") == 1
    });
    assert_eq!(desktop.notifications_with("Server room"), 0, "old events do not alert one by one");
}

/// A row opens its details: how it arrived, and Kisi's raw JSON.
async fn a_row_opens_its_details(c: &Client) {
    click(c, "[data-testid=timeline-row][data-uuid='night-03']").await;
    let detail = wait_for(c, Locator::Css("[data-testid=event-detail]"), 10).await.unwrap();
    let text = detail.text().await.unwrap();
    assert!(text.contains("Server room") && text.contains("Backfill") && text.contains("Night Owl"), "{text}");
    let raw = c.find(Locator::Css("[data-testid=raw-json]")).await.unwrap().text().await.unwrap();
    assert!(raw.contains("\"uuid\": \"night-03\""), "{raw}");
}

/// Scrolled down to read older events, a new one does not move the page: a pill says it came.
async fn a_new_event_while_reading_older_ones_shows_a_pill(desktop: &Desktop, c: &Client) {
    c.execute("document.querySelector('.timeline').scrollTop = 10000; return null;", vec![]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (code, _) = desktop.deliver(&unlock("e2e-live-while-reading", "Ada Lovelace", true)).await;
    assert_eq!(code, 200);
    let pill = wait_for(c, Locator::Css("[data-testid=new-events-pill]"), 10).await.unwrap();
    assert!(pill.text().await.unwrap().contains("1 new event"));
    pill.click().await.unwrap();
}

/// "Failed only", then Export CSV: the file holds exactly the three refusals.
async fn export_the_failed_ones_as_csv(c: &Client, csv: &Path) {
    click(c, "[data-testid=filter-failed]").await;
    click(c, "[data-testid=export-csv]").await;
    wait_for(c, Locator::XPath("//p[contains(., 'Exported 3 events to')]"), 10).await.unwrap();
    let exported = std::fs::read_to_string(csv).unwrap();
    let lines: Vec<&str> = exported.lines().collect();
    assert_eq!(lines.len(), 4, "{exported}");
    assert!(lines[0].starts_with("created_at,door,actor,outcome"), "{exported}");
    assert!(lines[1..].iter().all(|l| l.contains("Server room") && l.contains("Night Owl")), "{exported}");
    click(c, "[data-testid=filter-all]").await;
}

/// Insights: the refusals of the night by door and hour (the chart, and the same numbers as a table).
async fn insights_by_door_and_hour(c: &Client) {
    click(c, "[data-testid=open-insights]").await;
    wait_for(c, Locator::Css("[data-testid=insights-heatmap] canvas"), 10).await.unwrap();
    let table = wait_for(c, Locator::Css("[data-testid=insights-table]"), 10).await.unwrap();
    let numbers = table.prop("textContent").await.unwrap().unwrap_or_default();
    assert!(numbers.contains("Server room"), "{numbers}");
    click(c, "[data-testid=open-insights]").await;
}

/// One door: only its events, said in the summary line (cleared in one click: the next step).
async fn one_door_only_then_cleared(c: &Client) {
    click(c, "[data-testid=more-filters]").await;
    let door = c.wait().for_element(Locator::Css("[data-testid=filter-door]")).await.unwrap();
    door.send_keys("Main Entrance\u{E007}").await.unwrap(); // U+E007: WebDriver's Enter key
    let start = Instant::now();
    while c.find_all(Locator::Css("[data-testid=timeline-row]")).await.unwrap().len() != 1 {
        assert!(start.elapsed() < Duration::from_secs(10), "the door filter never narrowed the list to one row");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(rows(c, "e2e-live-while-reading").await, 1);
    let summary = c.find(Locator::Css("[data-testid=filter-summary]")).await.unwrap().text().await.unwrap();
    assert!(summary.contains("door “Main Entrance”"), "{summary}");
}

/// 100 more events make two pages; the door filter cleared in one click, the list shows the first page
/// and loads the next as the end of the list scrolls into view.
async fn the_next_page_loads_as_the_end_scrolls_into_view(desktop: &Desktop, c: &Client) {
    for i in 0..100 {
        let (code, _) = desktop.deliver(&unlock(&format!("e2e-page-{i:03}"), "Page Turner", true)).await;
        assert_eq!(code, 200);
    }
    click(c, "[data-testid=clear-filters]").await;
    let start = Instant::now();
    loop {
        let shown = loaded(c).await;
        if shown == 126 {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "scrolling down loaded {shown} of 126 events");
        scroll_to_end(c).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // The list is virtualised: of the 126 loaded rows only those in and near view are in the page, and
    // the oldest (at the bottom, scrolled to) is one of them.
    scroll_to_end(c).await;
    let in_dom = c.find_all(Locator::Css("[data-testid=timeline-row]")).await.unwrap().len();
    assert!(in_dom < 60, "{in_dom} rows in the DOM for 126 loaded");
    wait_for(c, Locator::Css("[data-testid=timeline-row][data-uuid='night-24']"), 5)
        .await
        .expect("the oldest event is rendered at the bottom of the list");
}

/// "Connect to Kisi" in Settings creates the webhook for the public URL, with the receiver's key.
async fn connect_to_kisi_creates_the_webhook(desktop: &Desktop, c: &Client, fake: &fake_kisi::FakeKisi) {
    click(c, "[data-testid=open-settings]").await;
    let connect = wait_for(c, Locator::Css("[data-testid=connect-kisi]"), 10).await.unwrap();
    connect.click().await.unwrap();
    let message = wait_for(c, Locator::Css("[data-testid=settings-message]"), 20).await.unwrap();
    wait_for_text(&message, "Created Doorwatch's webhook").await;
    let made = fake.integrations();
    assert_eq!(made.len(), 1);
    assert_eq!(made[0].url, "https://door.example/webhooks/kisi");
    // DOORWATCH_SIGNING_KEY fixes the receiver's key here, so Kisi was given that one.
    assert_eq!(made[0].signature_key.as_deref(), Some(KEY));
    let settings = std::fs::read_to_string(desktop.config_dir().join("settings.toml")).unwrap();
    assert!(settings.contains(&format!("integration_id = {}", made[0].id)), "{settings}");
}

/// Pasting an ngrok authtoken starts the tunnel at once; here ngrok cannot be reached, which the
/// window says in words while the receiver goes on.
async fn an_ngrok_authtoken_starts_the_tunnel(desktop: &Desktop, c: &Client) {
    let token = c.find(Locator::Css("input[aria-label='ngrok authtoken']")).await.unwrap();
    token.send_keys("2aBcDeFgHiJkLmNoPqRsTuVwXyZ_0123456789abcdefghij").await.unwrap();
    c.find(Locator::XPath("//button[normalize-space()='Save token']")).await.unwrap().click().await.unwrap();
    let banner =
        wait_for(c, Locator::XPath("//p[contains(., 'tunnel offline: cannot reach ngrok')]"), 30).await.unwrap();
    assert!(banner.text().await.unwrap().contains("Kisi cannot reach Doorwatch"));
    let secrets = std::fs::read_to_string(desktop.config_dir().join("secrets.toml")).unwrap();
    assert!(secrets.contains("ngrok"), "the token is kept with the secrets");
    let settings = std::fs::read_to_string(desktop.config_dir().join("settings.toml")).unwrap();
    assert!(!settings.contains("2aBcDeFg"), "and never in the settings file");
}
