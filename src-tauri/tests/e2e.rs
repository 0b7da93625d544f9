//! End to end, in the real app: its real window (WebKitGTK under Xvfb, driven through tauri-driver and
//! WebKitWebDriver), a real notification daemon (dunst) on a private D-Bus session, and dbus-monitor to
//! see what was sent. Everything is started and stopped by the test itself.

mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use doorwatch::receive::signature::SigningKey;
use fantoccini::{Client, Locator};
use support::{wait_until, Desktop, KEY};

async fn post(url: &str, body: &str) -> (u16, String) {
    post_signed(url, body, KEY).await
}

async fn post_signed(url: &str, body: &str, key: &str) -> (u16, String) {
    let signature = SigningKey::new(key).unwrap().sign(body.as_bytes());
    let r = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .header("x-signature", signature)
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

fn unlock(uuid: &str, person: &str, success: bool) -> String {
    unlock_at(uuid, person, success, "Main Entrance")
}

fn unlock_at(uuid: &str, person: &str, success: bool, door: &str) -> String {
    serde_json::json!({
        "uuid": uuid, "type": "lock.unlock", "actor_type": "User", "actor_name": person,
        "object_type": "Lock", "object_name": door, "success": success,
        "error_code": if success { None } else { Some("fcd8ef") },
        "error_message": if success { None } else { Some("Access denied.") },
        "created_at": chrono_now(),
    })
    .to_string()
}

fn chrono_now() -> String {
    doorwatch::event::format_time(
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64,
    )
}

/// One real desktop at a time: two WebKit windows on two cores under Xvfb make each other hang.
static ONE_DESKTOP: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// How many events the window has loaded (rendered or not: the list is virtualised).
async fn loaded(c: &fantoccini::Client) -> usize {
    let el = c.find(Locator::Css(".timeline")).await.unwrap();
    el.attr("data-loaded").await.unwrap().and_then(|n| n.parse().ok()).unwrap_or(0)
}

async fn rows(c: &Client, uuid: &str) -> usize {
    c.find_all(Locator::Css(&format!("[data-testid=timeline-row][data-uuid='{uuid}']"))).await.unwrap().len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_unlock_appears_live_and_notifies_once_and_the_tray_app_keeps_receiving() {
    let _one = ONE_DESKTOP.lock().await;
    let desktop = Desktop::start();
    let c = desktop.open_app().await;
    let status =
        c.wait().at_most(Duration::from_secs(30)).for_element(Locator::Css("[data-testid=status-bar]")).await.unwrap();
    wait_for_text(&status, "Listening").await;
    assert!(status.text().await.unwrap().contains("Signature check on"));
    // A fresh install opens on the setup guide (its own test walks through it); skipped here.
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("[data-testid=wizard-skip]"))
        .await
        .expect("the first-run guide")
        .click()
        .await
        .unwrap();

    // A signed failed unlock: one row, marked failed, and exactly one notification naming door and person.
    let (code, answer) = post(&desktop.webhook(), &unlock("e2e-fail-1", "Grace Hopper", false)).await;
    assert_eq!((code, answer.contains("stored")), (200, true), "{answer}");
    let row = c
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("[data-testid=timeline-row][data-uuid='e2e-fail-1']"))
        .await
        .unwrap();
    assert_eq!(row.attr("data-kind").await.unwrap().as_deref(), Some("unlock_failed"));
    let text = row.text().await.unwrap();
    assert!(
        text.contains("Main Entrance") && text.contains("Grace Hopper") && text.contains("Access denied."),
        "{text}"
    );
    wait_until("the notification", Duration::from_secs(10), || {
        desktop.notifications_with("Refused at Main Entrance") == 1
    });
    assert_eq!(desktop.notifications_with("Grace Hopper"), 1);

    // The same delivery again: acknowledged as a duplicate, no new row, no new notification.
    let (code, answer) = post(&desktop.webhook(), &unlock("e2e-fail-1", "Grace Hopper", false)).await;
    assert_eq!((code, answer.contains("duplicate")), (200, true), "{answer}");
    // A successful unlock: a row, and no notification.
    let (code, _) = post(&desktop.webhook(), &unlock("e2e-ok-1", "Ada Lovelace", true)).await;
    assert_eq!(code, 200);
    c.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css("[data-uuid='e2e-ok-1']")).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(rows(&c, "e2e-fail-1").await, 1, "a duplicate delivery added a row");
    assert_eq!(desktop.notifications_with("Refused at Main Entrance"), 1, "a duplicate notified again");
    assert_eq!(desktop.notifications_with("Ada Lovelace"), 0, "a successful unlock notified");

    // The notification's "Mute this door for 1 hour" button (pressed through dunst's own context menu):
    // the next refusal at that door is stored and shown, but does not notify.
    let out = desktop.dunstctl(&["context"]);
    assert!(out.status.success(), "dunstctl: {}", String::from_utf8_lossy(&out.stderr));
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (code, _) = post(&desktop.webhook(), &unlock("e2e-fail-muted", "Grace Hopper", false)).await;
    assert_eq!(code, 200);
    c.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css("[data-uuid='e2e-fail-muted']")).await.unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(desktop.notifications_with("Refused at Main Entrance"), 1, "a muted door notified");

    // Start at login, from Settings: off by default, and saving it writes the login item.
    let autostart = desktop.home().join(".config/autostart/Doorwatch.desktop");
    assert!(!autostart.exists(), "start at login must be off by default");
    c.find(Locator::Css("[data-testid=open-settings]")).await.unwrap().click().await.unwrap();
    let checkbox = c
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("[data-testid=start-at-login]"))
        .await
        .unwrap();
    checkbox.click().await.unwrap();
    c.find(Locator::Css("[data-testid=save-settings]")).await.unwrap().click().await.unwrap();
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("[data-testid=settings-message]"))
        .await
        .unwrap();
    wait_until("the login item", Duration::from_secs(10), || autostart.exists());
    let entry = std::fs::read_to_string(&autostart).unwrap();
    assert!(entry.contains("doorwatch-desktop") && entry.contains("--hidden"), "{entry}");
    let settings = std::fs::read_to_string(desktop.config_dir().join("settings.toml")).unwrap();
    assert!(settings.contains("start_at_login = true"), "{settings}");

    // A burst at one door: the first two refusals notify one by one, the third becomes a summary that
    // the fourth and fifth update in place on screen — three notifications, not five.
    desktop.dunstctl(&["close-all"]);
    for i in 1..=5 {
        let (code, _) = post(
            &desktop.webhook(),
            &unlock_at(&format!("e2e-burst-{i}"), &format!("Visitor {i}"), false, "Loading Dock"),
        )
        .await;
        assert_eq!(code, 200);
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    wait_until("the burst's summary", Duration::from_secs(10), || {
        desktop.notifications_with("5 failed unlocks at Loading Dock") == 1
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(desktop.on_screen(), 3, "two refusals and one summary are on screen");
    desktop.dunstctl(&["close-all"]);
    let history = String::from_utf8_lossy(&desktop.dunstctl(&["history"]).stdout).into_owned();
    assert!(history.contains("5 failed unlocks at Loading Dock"), "{history}");
    assert!(
        !history.contains("3 failed unlocks") && !history.contains("4 failed unlocks"),
        "the summary was replaced, not stacked: {history}"
    );

    // A notification's "Open" (a click on it; here dunstctl's default action) shows that event: in the
    // open window, selected with its details beside it.
    refused_then_open(&desktop, "e2e-fail-gate", "Side Gate").await;
    let detail = c
        .wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::Css("[data-testid=event-detail]"))
        .await
        .expect("Open shows the event's details");
    let text = detail.text().await.unwrap();
    assert!(text.contains("Side Gate") && text.contains("Linus"), "{text}");
    c.find(Locator::Css("[data-testid=timeline-row][data-uuid='e2e-fail-gate'].selected"))
        .await
        .expect("the event is selected in the list");
    c.find(Locator::Css(".detail-panel button")).await.unwrap().click().await.unwrap();
    desktop.dunstctl(&["close-all"]);

    // The window goes where the person puts it, and comes back there.
    c.set_window_rect(140, 90, 900, 620).await.expect("WebDriver moves the window");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let placed = x_window_geometry(&desktop).expect("the window on screen");

    // Close the window: the webview goes, the app stays in the tray and keeps receiving.
    let app_pid = desktop.app_pid();
    // Ctrl+W, as a person would (WebDriver's own "close window" would end the session and the app).
    let body = c.find(Locator::Css("body")).await.unwrap();
    // The window is gone before WebDriver answers, so its answer is "no such window".
    let _ = body.send_keys(&format!("{}w", char::from(fantoccini::key::Key::Control))).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(Path::new(&format!("/proc/{app_pid}")).exists(), "closing the window quit the app");
    assert!(!x_window_named(&desktop, "Doorwatch"), "the window was hidden, not destroyed");
    let geometry: serde_json::Value =
        serde_json::from_slice(&std::fs::read(desktop.config_dir().join("window.json")).unwrap()).unwrap();
    assert!(geometry["width"].as_f64().unwrap() >= 640.0, "the window's size is remembered: {geometry}");
    let (code, _) = post(&desktop.webhook(), &unlock("e2e-while-closed", "Ada Lovelace", true)).await;
    assert_eq!(code, 200, "the app stopped receiving when its window closed");
    let reader = doorwatch::store::Reader::open(&desktop.db()).unwrap();
    assert!(reader.event("e2e-while-closed").unwrap().is_some());
    // With the window gone, the app gives back what the webview left: WebKit's network process ends.
    // (WebDriver's session dies with it; what follows is checked on the screen and in the store.)
    wait_until("the network process to end", Duration::from_secs(10), || {
        !children_of(app_pid).iter().any(|c| c.starts_with("WebKitNetworkPr"))
    });

    // A refusal while the window is closed: its notification's "Open" brings the window back, where it
    // was and as large, at that event: the refused row and the details panel are on screen.
    refused_then_open(&desktop, "e2e-fail-closed", "Back Door").await;
    wait_until("the window to come back", Duration::from_secs(15), || x_window_named(&desktop, "Doorwatch"));
    assert!(Path::new(&format!("/proc/{app_pid}")).exists());
    assert_eq!(x_window_geometry(&desktop), Some(placed), "the window came back elsewhere or resized");
    // Light theme: refused rows are #fdecea, the details panel (and the status bar) #f4f6f8.
    wait_until("the timeline and the event's details on screen", Duration::from_secs(20), || {
        let colours = screen_colours(&desktop);
        colours.get("FDECEA").copied().unwrap_or(0) > 10_000 && colours.get("F4F6F8").copied().unwrap_or(0) > 100_000
    });
    assert!(
        children_of(app_pid).iter().any(|c| c.starts_with("WebKitNetworkPr")),
        "the reopened window runs on a new network process"
    );

    // A second launch hands over to the running app and exits: still one app, one window.
    let windows = x_windows_named(&desktop, "Doorwatch");
    let second = Command::new(env!("CARGO_BIN_EXE_doorwatch-desktop"))
        .envs(desktop.env.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(second.success(), "the second launch should hand over and exit");
    assert!(Path::new(&format!("/proc/{app_pid}")).exists());
    assert_eq!(x_windows_named(&desktop, "Doorwatch"), windows, "the second launch opened another window");
    assert_eq!(desktop.notifications_with("Refused at Main Entrance"), 1);
    let _ = c.close().await;
}

/// A refusal by Linus at `door`, then a click on its notification (dunstctl's default action: "Open").
async fn refused_then_open(desktop: &Desktop, uuid: &str, door: &str) {
    let (code, _) = post(&desktop.webhook(), &unlock_at(uuid, "Linus", false, door)).await;
    assert_eq!(code, 200);
    wait_until("the notification", Duration::from_secs(10), || {
        desktop.notifications_with(&format!("Refused at {door}")) == 1
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    let out = desktop.dunstctl(&["action", "0"]);
    assert!(out.status.success(), "dunstctl: {}", String::from_utf8_lossy(&out.stderr));
}

async fn wait_for_text(el: &fantoccini::elements::Element, needle: &str) {
    let start = Instant::now();
    loop {
        if el.text().await.unwrap_or_default().contains(needle) {
            return;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "never saw {needle:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The command names of a process's children.
fn children_of(pid: u32) -> Vec<String> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else { continue };
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else { continue };
        if stat[close + 1..].split_whitespace().nth(1) == Some(&pid.to_string()) {
            names.push(stat[open + 1..close].to_owned());
        }
    }
    names
}

fn display(desktop: &Desktop) -> &str {
    &desktop.env.iter().find(|(k, _)| k == "DISPLAY").unwrap().1
}

/// How many X windows have this name (GTK makes more than one per toplevel).
fn x_windows_named(desktop: &Desktop, name: &str) -> usize {
    Command::new("xwininfo")
        .args(["-root", "-tree", "-display", display(desktop)])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).matches(&format!("\"{name}\"")).count())
        .unwrap_or(0)
}

fn x_window_named(desktop: &Desktop, name: &str) -> bool {
    x_windows_named(desktop, name) > 0
}

/// The timeline window's place and size on screen: x, y, width, height.
fn x_window_geometry(desktop: &Desktop) -> Option<(i64, i64, i64, i64)> {
    let out = Command::new("xwininfo").args(["-name", "Doorwatch", "-display", display(desktop)]).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let field = |label: &str| {
        text.lines().find_map(|l| l.trim().strip_prefix(label)).and_then(|v| v.trim().parse::<i64>().ok())
    };
    Some((field("Absolute upper-left X:")?, field("Absolute upper-left Y:")?, field("Width:")?, field("Height:")?))
}

/// Pixel counts by colour (upper-case hex) of the whole screen, read with ImageMagick.
fn screen_colours(desktop: &Desktop) -> std::collections::HashMap<String, u64> {
    let shot = desktop.home().join("screen.png");
    let took = Command::new("import")
        .args(["-display", display(desktop), "-window", "root", shot.to_str().unwrap()])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !took {
        return Default::default();
    }
    let out = Command::new("convert").args([shot.to_str().unwrap(), "-format", "%c", "histogram:info:-"]).output();
    let text = out.map(|o| String::from_utf8_lossy(&o.stdout).into_owned()).unwrap_or_default();
    // Lines like "  68298: (253,236,234) #FDECEA srgb(253,236,234)".
    text.lines()
        .filter_map(|l| {
            let (count, rest) = l.trim().split_once(':')?;
            let hex = rest.split_whitespace().find(|w| w.starts_with('#'))?;
            Some((hex.trim_start_matches('#').to_uppercase(), count.trim().parse().ok()?))
        })
        .collect()
}

#[path = "../../tests/support/fake_kisi.rs"]
mod fake_kisi;

/// A laptop that slept through the night: at start the app fetches the night's events from Kisi, shows
/// them, and says so in one summary instead of one alert per old event. Then "Connect to Kisi" in
/// Settings creates the webhook for the public URL, signed with the key the receiver checks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_nights_events_are_fetched_at_start_and_connect_to_kisi_sets_up_the_webhook() {
    let _one = ONE_DESKTOP.lock().await;
    let fake = fake_kisi::FakeKisi::start("e2e-kisi-key").await;
    fake.set_polls_before_finished(1);
    let now = chrono::Utc::now();
    fake.add_events((0..25).map(|i| {
        let at = now - chrono::Duration::minutes(60 + 15 * i);
        let failed = i % 8 == 3; // three of them
        fake_kisi::event(&format!("night-{i:02}"), at, !failed, "Server room", Some("Night Owl"))
    }));
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
    c.wait()
        .at_most(Duration::from_secs(60))
        .for_element(Locator::Css("[data-testid=timeline-row][data-uuid='night-03']"))
        .await
        .unwrap();
    let start = Instant::now();
    while loaded(&c).await != 25 {
        assert!(start.elapsed() < Duration::from_secs(30), "the window never loaded all 25 events");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    wait_until("the summary", Duration::from_secs(10), || {
        desktop.notifications_with("While you were away: 3 failed unlocks") == 1
    });
    assert_eq!(desktop.notifications_with("Server room"), 0, "old events do not alert one by one");

    // A row opens its details: how it arrived, and Kisi's raw JSON.
    c.find(Locator::Css("[data-testid=timeline-row][data-uuid='night-03']")).await.unwrap().click().await.unwrap();
    let detail = c
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("[data-testid=event-detail]"))
        .await
        .unwrap();
    let text = detail.text().await.unwrap();
    assert!(text.contains("Server room") && text.contains("Backfill") && text.contains("Night Owl"), "{text}");
    let raw = c.find(Locator::Css("[data-testid=raw-json]")).await.unwrap().text().await.unwrap();
    assert!(raw.contains("\"uuid\": \"night-03\""), "{raw}");

    // Scrolled down to read older events, a new one does not move the page: a pill says it came.
    c.execute("document.querySelector('.timeline').scrollTop = 10000; return null;", vec![]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (code, _) = post(&desktop.webhook(), &unlock("e2e-live-while-reading", "Ada Lovelace", true)).await;
    assert_eq!(code, 200);
    let pill = c
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("[data-testid=new-events-pill]"))
        .await
        .unwrap();
    assert!(pill.text().await.unwrap().contains("1 new event"));
    pill.click().await.unwrap();

    // "Failed only", then Export CSV: the file holds exactly the three refusals.
    c.find(Locator::Css("[data-testid=filter-failed]")).await.unwrap().click().await.unwrap();
    c.find(Locator::Css("[data-testid=export-csv]")).await.unwrap().click().await.unwrap();
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::XPath("//p[contains(., 'Exported 3 events to')]"))
        .await
        .unwrap();
    let exported = std::fs::read_to_string(&csv).unwrap();
    let lines: Vec<&str> = exported.lines().collect();
    assert_eq!(lines.len(), 4, "{exported}");
    assert!(lines[0].starts_with("created_at,door,actor,outcome"), "{exported}");
    assert!(lines[1..].iter().all(|l| l.contains("Server room") && l.contains("Night Owl")), "{exported}");
    c.find(Locator::Css("[data-testid=filter-all]")).await.unwrap().click().await.unwrap();

    // Insights: the refusals of the night by door and hour (the chart, and the same numbers as a table).
    c.find(Locator::Css("[data-testid=open-insights]")).await.unwrap().click().await.unwrap();
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("[data-testid=insights-heatmap] canvas"))
        .await
        .unwrap();
    let table = c
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("[data-testid=insights-table]"))
        .await
        .unwrap();
    let numbers = table.prop("textContent").await.unwrap().unwrap_or_default();
    assert!(numbers.contains("Server room"), "{numbers}");
    c.find(Locator::Css("[data-testid=open-insights]")).await.unwrap().click().await.unwrap();

    // One door: only its events, said in the summary line, cleared in one click.
    c.find(Locator::Css("[data-testid=more-filters]")).await.unwrap().click().await.unwrap();
    let door = c.wait().for_element(Locator::Css("[data-testid=filter-door]")).await.unwrap();
    door.send_keys("Main Entrance\u{E007}").await.unwrap(); // U+E007: WebDriver's Enter key
    let start = Instant::now();
    while c.find_all(Locator::Css("[data-testid=timeline-row]")).await.unwrap().len() != 1 {
        assert!(start.elapsed() < Duration::from_secs(10), "the door filter never narrowed the list to one row");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(rows(&c, "e2e-live-while-reading").await, 1);
    let summary = c.find(Locator::Css("[data-testid=filter-summary]")).await.unwrap().text().await.unwrap();
    assert!(summary.contains("door “Main Entrance”"), "{summary}");
    // 100 more events make two pages; cleared, the list shows the first page and loads the next as
    // the end of the list scrolls into view.
    for i in 0..100 {
        let (code, _) = post(&desktop.webhook(), &unlock(&format!("e2e-page-{i:03}"), "Page Turner", true)).await;
        assert_eq!(code, 200);
    }
    c.find(Locator::Css("[data-testid=clear-filters]")).await.unwrap().click().await.unwrap();
    let start = Instant::now();
    loop {
        let shown = loaded(&c).await;
        if shown == 126 {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "scrolling down loaded {shown} of 126 events");
        c.execute("const t = document.querySelector('.timeline'); t.scrollTop = t.scrollHeight; return null;", vec![])
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // The list is virtualised: of the 126 loaded rows only those in and near view are in the page, and
    // the oldest (at the bottom, scrolled to) is one of them.
    c.execute("const t = document.querySelector('.timeline'); t.scrollTop = t.scrollHeight; return null;", vec![])
        .await
        .unwrap();
    let in_dom = c.find_all(Locator::Css("[data-testid=timeline-row]")).await.unwrap().len();
    assert!(in_dom < 60, "{in_dom} rows in the DOM for 126 loaded");
    c.wait()
        .at_most(Duration::from_secs(5))
        .for_element(Locator::Css("[data-testid=timeline-row][data-uuid='night-24']"))
        .await
        .expect("the oldest event is rendered at the bottom of the list");

    c.find(Locator::Css("[data-testid=open-settings]")).await.unwrap().click().await.unwrap();
    let connect = c
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("[data-testid=connect-kisi]"))
        .await
        .unwrap();
    connect.click().await.unwrap();
    let message = c
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css("[data-testid=settings-message]"))
        .await
        .unwrap();
    wait_for_text(&message, "Created Doorwatch's webhook").await;
    let made = fake.integrations();
    assert_eq!(made.len(), 1);
    assert_eq!(made[0].url, "https://door.example/webhooks/kisi");
    // DOORWATCH_SIGNING_KEY fixes the receiver's key here, so Kisi was given that one.
    assert_eq!(made[0].signature_key.as_deref(), Some(KEY));
    let settings = std::fs::read_to_string(desktop.config_dir().join("settings.toml")).unwrap();
    assert!(settings.contains(&format!("integration_id = {}", made[0].id)), "{settings}");

    // Pasting an ngrok authtoken starts the tunnel at once; here ngrok cannot be reached, which the
    // window says in words while the receiver goes on.
    let token = c.find(Locator::Css("input[aria-label='ngrok authtoken']")).await.unwrap();
    token.send_keys("2aBcDeFgHiJkLmNoPqRsTuVwXyZ_0123456789abcdefghij").await.unwrap();
    c.find(Locator::XPath("//button[normalize-space()='Save token']")).await.unwrap().click().await.unwrap();
    let banner = c
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::XPath("//p[contains(., 'tunnel offline: cannot reach ngrok')]"))
        .await
        .unwrap();
    assert!(banner.text().await.unwrap().contains("Kisi cannot reach Doorwatch"));
    let secrets = std::fs::read_to_string(desktop.config_dir().join("secrets.toml")).unwrap();
    assert!(secrets.contains("ngrok"), "the token is kept with the secrets");
    let settings = std::fs::read_to_string(desktop.config_dir().join("settings.toml")).unwrap();
    assert!(!settings.contains("2aBcDeFg"), "and never in the settings file");
    c.close().await.unwrap();
}

/// A fresh install: the first-run guide goes from nothing to a public URL, Kisi set up by hand with a
/// signature key the receiver then checks, a test event in the timeline and a test notification; it
/// remembers it was done, and Settings opens it again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_run_guide_goes_from_nothing_to_a_test_event_and_a_notification() {
    let _one = ONE_DESKTOP.lock().await;
    let desktop = Desktop::start();
    let c = desktop.open_app().await;
    let find = |css: &'static str| {
        let c = c.clone();
        async move {
            c.wait()
                .at_most(Duration::from_secs(15))
                .for_element(Locator::Css(css))
                .await
                .unwrap_or_else(|e| panic!("{css}: {e}"))
        }
    };
    find("[data-testid=wizard]").await;

    // 1. Receiving: "I have my own URL".
    find("[data-testid=wizard-own-url]").await.click().await.unwrap();
    find("[data-testid=wizard-public-url]").await.send_keys("https://doors.example").await.unwrap();
    c.find(Locator::XPath("//section[@data-testid='wizard']//button[normalize-space()='Save']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::XPath("//p[contains(., 'Reachable at https://doors.example')]"))
        .await
        .expect("the guide says Kisi can reach the URL");
    find("[data-testid=wizard-next]").await.click().await.unwrap();

    // 2. Kisi, by hand: the URL to paste and a fresh signature key, which the receiver checks from then on.
    find("[data-testid=wizard-kisi-manual]").await.click().await.unwrap();
    let url = find("[data-testid=wizard-webhook-url]").await.text().await.unwrap();
    assert_eq!(url, "https://doors.example/webhooks/kisi");
    let key_shown = find("[data-testid=wizard-signing-key]").await;
    let start = Instant::now();
    let mut key = String::new();
    while key.len() < 32 {
        assert!(start.elapsed() < Duration::from_secs(10), "no signature key shown: {key:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
        key = key_shown.text().await.unwrap();
    }
    find("[data-testid=wizard-use-key]").await.click().await.unwrap();
    let message = find("[data-testid=wizard-message]").await;
    wait_for_text(&message, "checks every delivery").await;
    let (code, _) = post_signed(&desktop.webhook(), &unlock("e2e-new-key", "Ada Lovelace", true), &key).await;
    assert_eq!(code, 200, "a delivery signed with the new key is stored");
    let (code, _) = post(&desktop.webhook(), &unlock("e2e-old-key", "Ada Lovelace", true)).await;
    assert_eq!(code, 401, "the old key no longer passes");
    find("[data-testid=wizard-next]").await.click().await.unwrap();

    // 3. A test event through the receiver.
    find("[data-testid=wizard-send-test]").await.click().await.unwrap();
    find("[data-testid=wizard-test-result]").await;
    find("[data-testid=wizard-next]").await.click().await.unwrap();

    // 4. A test notification, and start at login.
    find("[data-testid=wizard-test-notification]").await.click().await.unwrap();
    wait_until("the test notification", Duration::from_secs(10), || {
        desktop.notifications_with("Doorwatch notifications work") == 1
    });
    find("[data-testid=wizard-start-at-login]").await.click().await.unwrap();
    find("[data-testid=wizard-finish]").await.click().await.unwrap();

    // Done: the timeline, with the deliveries of the guide; remembered in the settings file.
    find("[data-testid=timeline-row][data-uuid='e2e-new-key']").await;
    let rows = c.find_all(Locator::Css("[data-testid=timeline-row]")).await.unwrap().len();
    assert_eq!(rows, 2, "the test event and the delivery signed with the new key");
    let settings = std::fs::read_to_string(desktop.config_dir().join("settings.toml")).unwrap();
    assert!(settings.contains("setup_done = true"), "{settings}");
    assert!(settings.contains("start_at_login = true"), "{settings}");
    assert!(settings.contains("public_url = \"https://doors.example\""), "{settings}");
    assert!(!settings.contains(&key), "the signature key is a secret, not a setting");
    wait_until("the login item", Duration::from_secs(10), || {
        desktop.home().join(".config/autostart/Doorwatch.desktop").exists()
    });

    // Settings opens the guide again.
    find("[data-testid=open-settings]").await.click().await.unwrap();
    find("[data-testid=open-guide]").await.click().await.unwrap();
    find("[data-testid=wizard]").await;
    let _ = c.close().await;
}
