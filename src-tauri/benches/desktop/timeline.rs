//! The window on the 1,000,000-event store: first rows, 10,000 rows deep, and a burst of 500 deliveries
//! in one second against the same window idle.

use std::time::{Duration, Instant};

use crate::support::delivery::deliver;
use crate::support::{Desktop, KEY};
use crate::window::{first_rows, open_on_rows, unlock_body, FirstRows};
use crate::{BURST, DEEP_ROWS};

pub struct TimelineRun {
    pub first_rows: FirstRows,
    pub nodes_top: usize,
    pub nodes_deep: usize,
    pub rows_rendered_deep: usize,
    pub loaded_deep: usize,
    pub page_loads: Vec<f64>,
    pub idle_longest_frame: f64,
    pub burst_longest_frame: f64,
    pub burst_shown_after: f64,
}

const NODES: &str = "return document.getElementsByTagName('*').length;";
const LOADED: &str = "return +document.querySelector('.timeline').dataset.loaded;";
/// Records the gaps between animation frames until `window.__stopFrames` is set.
const FRAME_PROBE: &str = "window.__gaps = []; window.__stopFrames = false;
    let last = performance.now();
    const frame = (t) => { window.__gaps.push(t - last); last = t; if (!window.__stopFrames) requestAnimationFrame(frame); };
    requestAnimationFrame(frame);
    return null;";
const FRAME_STOP: &str = "window.__stopFrames = true; return Math.max(0, ...window.__gaps);";

async fn count(c: &fantoccini::Client, script: &str) -> usize {
    c.execute(script, vec![]).await.unwrap().as_u64().unwrap_or(0) as usize
}

/// The window on the 1,000,000-event store: first rows, 10,000 rows deep, a burst of 500.
pub async fn timeline_run(desktop: &Desktop) -> TimelineRun {
    let (c, launched) = open_on_rows(desktop).await;
    let first_rows = first_rows(&c, launched).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let nodes_top = count(&c, NODES).await;
    let Deep { nodes_deep, rows_rendered_deep, loaded_deep, page_loads } = deep(&c).await;

    // Back at the top, the same frame probe idle for a second, then during a burst of 500 in 1 s.
    c.execute("document.querySelector('.timeline').scrollTop = 0; return null;", vec![]).await.unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    c.execute(FRAME_PROBE, vec![]).await.unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle_longest_frame = c.execute(FRAME_STOP, vec![]).await.unwrap().as_f64().unwrap();
    let (burst_shown_after, burst_longest_frame) = burst(desktop, &c).await;
    let _ = c.close().await;
    TimelineRun {
        first_rows,
        nodes_top,
        nodes_deep,
        rows_rendered_deep,
        loaded_deep,
        page_loads,
        idle_longest_frame,
        burst_longest_frame,
        burst_shown_after,
    }
}

/// The page [`DEEP_ROWS`] rows down, and how long each older page took to load on the way there.
struct Deep {
    nodes_deep: usize,
    rows_rendered_deep: usize,
    loaded_deep: usize,
    page_loads: Vec<f64>,
}

/// Down to 10,000 rows: scrolled to the end again and again, each time the next page arrives.
async fn deep(c: &fantoccini::Client) -> Deep {
    let start = Instant::now();
    loop {
        let loaded = count(
            c,
            "const t = document.querySelector('.timeline'); t.scrollTop = t.scrollHeight; return +t.dataset.loaded;",
        )
        .await;
        if loaded >= DEEP_ROWS {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(300), "scrolling stuck at {loaded} rows");
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let nodes_deep = count(c, NODES).await;
    let rows_rendered_deep = count(c, "return document.querySelectorAll('[data-testid=timeline-row]').length;").await;
    let loaded_deep = count(c, LOADED).await;
    let page_loads: Vec<f64> = c
        .execute("return performance.getEntriesByName('doorwatch:page-load').map((e) => e.duration);", vec![])
        .await
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_f64())
        .collect();
    assert!(page_loads.len() >= 20, "only {} page loads were measured", page_loads.len());
    eprintln!("older page loads, ms in order: {:?}", page_loads.iter().map(|t| t.round() as u32).collect::<Vec<_>>());
    Deep { nodes_deep, rows_rendered_deep, loaded_deep, page_loads }
}

/// [`BURST`] signed deliveries spread over one second, with the frame probe on: when the last of them
/// was in the window (ms from the first), and the longest gap between frames meanwhile.
async fn burst(desktop: &Desktop, c: &fantoccini::Client) -> (f64, f64) {
    let before = count(c, LOADED).await;
    c.execute(FRAME_PROBE, vec![]).await.unwrap();
    let client = reqwest::Client::new();
    let url = desktop.webhook();
    let t0 = Instant::now();
    let mut posts = Vec::new();
    for i in 0..BURST {
        let (client, url) = (client.clone(), url.clone());
        let due = t0 + Duration::from_secs(1) * i as u32 / BURST as u32;
        posts.push(tokio::spawn(async move {
            tokio::time::sleep_until(due.into()).await;
            deliver(&client, &url, unlock_body(&format!("burst-{i}")).as_bytes(), Some(KEY)).await.0
        }));
    }
    for p in posts {
        // A success status: 200–299, as `reqwest::StatusCode::is_success` has it.
        assert!((200..300).contains(&p.await.unwrap()));
    }
    loop {
        if count(c, LOADED).await >= before + BURST {
            break;
        }
        assert!(t0.elapsed() < Duration::from_secs(60), "the burst never all reached the window");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let burst_shown_after = t0.elapsed().as_secs_f64() * 1000.0;
    let burst_longest_frame = c.execute(FRAME_STOP, vec![]).await.unwrap().as_f64().unwrap();
    (burst_shown_after, burst_longest_frame)
}
