//! The window through WebDriver on the 100,000-event store: open → first rows, memory with the window
//! open, live latency (POST → row in the DOM), then the window closed and the app in the tray again.

use std::time::{Duration, Instant};

use doorwatch::event::format_time;
use fantoccini::Locator;

use crate::memory::{memory, Memory};
use crate::support::delivery::deliver;
use crate::support::{Desktop, KEY};
use crate::{now_ms, DELIVERIES, SETTLE};

/// Starts the app through WebDriver and waits for its window to show stored events.
/// Returns the session and when it was asked for (ms since the epoch): WebKitWebDriver launches the app
/// for the session, so that is the launch.
pub async fn open_on_rows(desktop: &Desktop) -> (fantoccini::Client, f64) {
    let asked = now_ms();
    let c = desktop.open_app().await;
    c.wait()
        .at_most(Duration::from_secs(60))
        .for_element(Locator::Css("[data-testid=timeline-row]"))
        .await
        .expect("the window shows the stored events");
    (c, asked)
}

pub struct FirstRows {
    pub from_launch: f64,
    pub from_navigation: f64,
}

/// Reads the page's "first rows painted" mark: from the app's launch and from the page's navigation.
pub async fn first_rows(c: &fantoccini::Client, launched: f64) -> FirstRows {
    let start = Instant::now();
    loop {
        let mark = c
            .execute(
                "const m = performance.getEntriesByName('doorwatch:first-rows')[0];
                 return m ? [performance.timeOrigin + m.startTime, m.startTime] : null;",
                vec![],
            )
            .await
            .unwrap();
        if let Some(m) = mark.as_array() {
            let (at, since_navigation) = (m[0].as_f64().unwrap(), m[1].as_f64().unwrap());
            return FirstRows { from_launch: at - launched, from_navigation: since_navigation };
        }
        assert!(start.elapsed() < Duration::from_secs(60), "the page never marked its first rows");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A successful unlock at the main entrance, now: the body the benchmark delivers (signed with [`KEY`]).
pub fn unlock_body(uuid: &str) -> String {
    format!(
        r#"{{"uuid":"{uuid}","type":"lock.unlock","actor_type":"User","actor_name":"Ada Lovelace","object_name":"Main Entrance","success":true,"created_at":"{}"}}"#,
        format_time(now_ms() as i64)
    )
}

pub struct WindowRun {
    pub open: Memory,
    pub closed: Memory,
    pub closed_after_deliveries: Memory,
    pub first_rows: FirstRows,
    pub latencies: Vec<f64>,
    pub acks: Vec<f64>,
}

/// Through WebDriver: the window open on the full store, live latency, then the window closed.
pub async fn window_run(desktop: &Desktop) -> WindowRun {
    let (c, launched) = open_on_rows(desktop).await;
    let pid = desktop.app_pid();
    let first_rows = first_rows(&c, launched).await;
    tokio::time::sleep(SETTLE).await;
    let open = memory(pid);

    let client = reqwest::Client::new();
    let (latencies, acks) = live_latencies(desktop, &c, &client).await;

    let body = c.find(Locator::Css("body")).await.unwrap();
    let _ = body.send_keys(&format!("{}w", char::from(fantoccini::key::Key::Control))).await;
    tokio::time::sleep(SETTLE).await;
    let closed = memory(pid);
    // The tray app goes on receiving: what it uses comes back into memory, no more.
    for i in 0..100 {
        let body = unlock_body(&format!("closed-{i}"));
        let (status, _) = deliver(&client, &desktop.webhook(), body.as_bytes(), Some(KEY)).await;
        assert_eq!(status, 200);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(SETTLE).await;
    let closed_after_deliveries = memory(pid);
    let _ = c.close().await;
    WindowRun { open, closed, closed_after_deliveries, first_rows, latencies, acks }
}

/// [`DELIVERIES`] signed deliveries 40 ms apart: for each, POST → row in the window's DOM (stamped by a
/// MutationObserver in the page) and POST → 200, in ms.
async fn live_latencies(desktop: &Desktop, c: &fantoccini::Client, client: &reqwest::Client) -> (Vec<f64>, Vec<f64>) {
    c.execute(
        "window.__seen = {};
         new MutationObserver(() => {
           for (const el of document.querySelectorAll('[data-testid=timeline-row]')) {
             const u = el.dataset.uuid;
             if (!(u in window.__seen)) window.__seen[u] = Date.now();
           }
         }).observe(document.body, { childList: true, subtree: true });",
        vec![],
    )
    .await
    .unwrap();
    let mut sent = Vec::new();
    let mut acks = Vec::new();
    for i in 0..DELIVERIES {
        let uuid = format!("live-{i}");
        let t0 = now_ms();
        let (status, _) = deliver(client, &desktop.webhook(), unlock_body(&uuid).as_bytes(), Some(KEY)).await;
        assert_eq!(status, 200);
        acks.push(now_ms() - t0);
        sent.push((uuid, t0));
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let seen = c.execute("return window.__seen;", vec![]).await.unwrap();
    let latencies: Vec<f64> = sent
        .iter()
        .map(|(u, t0)| seen[u].as_f64().unwrap_or_else(|| panic!("{u} never appeared in the window")) - t0)
        .collect();
    (latencies, acks)
}
