//! Desktop benchmark: memory, start-up and live latency of the real app (release build) under Xvfb,
//! against a floor measured in the same run — `doorwatch-floor`, a minimal Tauri 2 app from the same
//! dependency versions with only a tray icon, or a tray icon and one empty window.
//!
//! Memory is PSS summed over the app and the WebKit processes it starts (RSS beside it): PSS shares the
//! libraries mapped by several processes fairly, RSS counts them in each. The store holds 100,000
//! events. Latency: 200 signed deliveries 40 ms apart, each timed from just before its POST to the
//! moment its row is in the window's DOM (a MutationObserver in the page stamps it with `Date.now()`,
//! the same clock). Closed again, the app is measured at rest and after 100 more deliveries.
//!
//! Then the timeline on 1,000,000 stored events (the store filled up to that): from the app's launch to
//! the first rows painted (the page marks it after the next animation frame), against the same on the
//! 100,000-event store; scrolling 10,000 rows deep (DOM node count and each older page's load time,
//! against the top of the list and the first pages); and a burst of 500 deliveries in one second with
//! the longest gap between animation frames, against the same window idle. Last, on each store, the app
//! started in the tray has its window closed and opened again (`reopen_run`), timed from the request to
//! the list on screen. Run with `make bench-desktop`.
//!
//! Last, the idle cost ([`idle`]): CPU time and wakeups per minute in three states against the floor.
//!
//! By what it measures: [`memory`] (and start to tray-ready), [`window`] (window open → first rows, live
//! latency, the window closed), [`timeline`] (the 1,000,000-event store), [`reopen`] (the window opened
//! again in the running app, read off the [`screen`]); [`fill`] builds the store, [`process`] starts and
//! ends the programs measured, and [`report`] prints the tables.

#[path = "../../tests/support/mod.rs"]
mod support;

mod fill;
mod idle;
mod memory;
mod process;
mod reopen;
mod report;
mod screen;
mod timeline;
mod window;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use fill::fill;
use memory::measure_spawned;
use process::{floor_program, stop_app};
use reopen::reopen_run;
use support::Desktop;
use timeline::timeline_run;
use window::window_run;

const EVENTS: usize = 100_000;
const TIMELINE_EVENTS: usize = 1_000_000;
const DEEP_ROWS: usize = 10_000;
const BURST: usize = 500;
const DELIVERIES: usize = 200;
const SETTLE: Duration = Duration::from_secs(5);
/// How many times the window is closed and opened again in a running app.
const REOPENS: usize = 7;

fn main() {
    // Ten minutes unless told otherwise; `DOORWATCH_BENCH_ONLY=idle` measures the idle cost alone.
    let idle_secs: u64 = std::env::var("DOORWATCH_BENCH_IDLE_SECS").ok().and_then(|v| v.parse().ok()).unwrap_or(600);
    if std::env::var("DOORWATCH_BENCH_ONLY").as_deref() == Ok("idle") {
        idle::print(&idle::idle_run(&floor_program(), idle_secs));
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let desktop = Desktop::start();
    let t = Instant::now();
    fill(&desktop, 0..EVENTS);
    eprintln!("store of {EVENTS} events built in {:.1} s", t.elapsed().as_secs_f64());

    if std::env::var("DOORWATCH_BENCH_ONLY").as_deref() == Ok("timeline") {
        // The timeline half alone (a quicker run while working on the UI).
        fill(&desktop, EVENTS..TIMELINE_EVENTS);
        let timeline = rt.block_on(timeline_run(&desktop));
        stop_app(&desktop);
        let reopen = reopen_run(&desktop, REOPENS);
        report::print_timeline(&timeline, None, &reopen, None);
        return;
    }
    let floor = floor_program();
    let floor_tray = measure_spawned(&desktop, &floor, &["--tray"]);
    let floor_window = measure_spawned(&desktop, &floor, &["--window"]);
    let hidden = measure_spawned(&desktop, env!("CARGO_BIN_EXE_doorwatch-desktop"), &["--hidden"]);
    let run = rt.block_on(window_run(&desktop));
    stop_app(&desktop);
    let reopen_baseline = reopen_run(&desktop, REOPENS);
    let t = Instant::now();
    fill(&desktop, EVENTS..TIMELINE_EVENTS);
    eprintln!("store filled up to {TIMELINE_EVENTS} events in {:.1} s", t.elapsed().as_secs_f64());
    let timeline = rt.block_on(timeline_run(&desktop));
    stop_app(&desktop);
    let reopen = reopen_run(&desktop, REOPENS);

    drop(desktop);
    let idle = idle::idle_run(&floor, idle_secs);

    report::print_memory_and_latency(&floor, &floor_tray, &floor_window, &hidden, &run);
    report::print_timeline(&timeline, Some(&run.first_rows), &reopen, Some(&reopen_baseline));
    idle::print(&idle);
}

fn now_ms() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs_f64() * 1000.0
}

fn percentiles(mut v: Vec<f64>) -> (f64, f64) {
    v.sort_by(f64::total_cmp);
    let at = |p: f64| v[((v.len() as f64 * p) as usize).min(v.len() - 1)];
    (at(0.5), at(0.99))
}
