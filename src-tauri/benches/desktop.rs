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

#[path = "../tests/support/mod.rs"]
mod support;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use doorwatch::event::{format_time, Event, Source};
use doorwatch::receive::signature::SigningKey;
use doorwatch::store::{Delivery, Store, StoreOptions, Synchronous};
use fantoccini::Locator;
use support::{tree, Desktop, KEY};
use x11rb::connection::Connection as _;
use x11rb::protocol::xproto::{AtomEnum, ClientMessageEvent, ConnectionExt as _, EventMask, ImageFormat, MapState};

const EVENTS: usize = 100_000;
const TIMELINE_EVENTS: usize = 1_000_000;
const DEEP_ROWS: usize = 10_000;
const BURST: usize = 500;
const DELIVERIES: usize = 200;
const SETTLE: Duration = Duration::from_secs(5);
/// How many times the window is closed and opened again in a running app.
const REOPENS: usize = 7;

fn main() {
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
        print_timeline(&timeline, None, &reopen, None);
        return;
    }
    let floor = floor_program();
    let floor_tray = measure_spawned(&desktop, &floor, &["--tray"]);
    let floor_window = measure_spawned(&desktop, &floor, &["--window"]);
    let hidden = measure_spawned(&desktop, env!("CARGO_BIN_EXE_doorwatch-desktop"), &["--hidden"]);
    let run = rt.block_on(window_run(&desktop));
    let (open, closed, closed_after, live, acks) =
        (run.open, run.closed, run.closed_after_deliveries, run.latencies, run.acks);
    stop_app(&desktop);
    let reopen_baseline = reopen_run(&desktop, REOPENS);
    let t = Instant::now();
    fill(&desktop, EVENTS..TIMELINE_EVENTS);
    eprintln!("store filled up to {TIMELINE_EVENTS} events in {:.1} s", t.elapsed().as_secs_f64());
    let timeline = rt.block_on(timeline_run(&desktop));
    stop_app(&desktop);
    let reopen = reopen_run(&desktop, REOPENS);

    println!("# Desktop benchmark (release build, Xvfb, {EVENTS} events stored)");
    println!();
    let size = |p: &str| std::fs::metadata(p).map(|m| m.len() as f64 / 1_048_576.0).unwrap_or(f64::NAN);
    let (app_size, floor_size) = (size(env!("CARGO_BIN_EXE_doorwatch-desktop")), size(&floor));
    println!(
        "binary size (release profile: LTO, one codegen unit, stripped): doorwatch-desktop {app_size:.1} MiB, \
         the floor {floor_size:.1} MiB ({:.2}×)",
        app_size / floor_size
    );
    println!();
    println!("| configuration | PSS | RSS | private dirty | processes | start to tray-ready |");
    println!("|---|---|---|---|---|---|");
    let row = |name: &str, m: &Memory, start: Option<Duration>| {
        let start = start.map(|d| format!("{:.0} ms", d.as_secs_f64() * 1000.0)).unwrap_or_default();
        println!(
            "| {name} | {:.1} MB | {:.1} MB | {:.1} MB | {} | {start} |",
            m.pss_mb(),
            m.rss_mb(),
            m.private_dirty_mb(),
            m.processes
        );
    };
    row("floor: tray only", &floor_tray.0, Some(floor_tray.1));
    row("floor: tray + one empty window", &floor_window.0, Some(floor_window.1));
    row("Doorwatch: started in the tray (login item)", &hidden.0, Some(hidden.1));
    row(&format!("Doorwatch: window open, {EVENTS} events"), &open, None);
    row("Doorwatch: window closed again (webview destroyed)", &closed, None);
    row("Doorwatch: window closed, then 100 more deliveries", &closed_after, None);
    println!();
    println!(
        "tray only: Doorwatch − floor = {:+.1} MB PSS after closing the window ({:+.1} MB after 100 more deliveries), \
         {:+.1} MB started hidden (target ≤ +15 MB)",
        closed.pss_mb() - floor_tray.0.pss_mb(),
        closed_after.pss_mb() - floor_tray.0.pss_mb(),
        hidden.0.pss_mb() - floor_tray.0.pss_mb()
    );
    println!(
        "tray only, private dirty: Doorwatch − floor = {:+.1} MB after closing the window ({:+.1} MB after 100 more \
         deliveries), {:+.1} MB started hidden",
        closed.private_dirty_mb() - floor_tray.0.private_dirty_mb(),
        closed_after.private_dirty_mb() - floor_tray.0.private_dirty_mb(),
        hidden.0.private_dirty_mb() - floor_tray.0.private_dirty_mb()
    );
    println!(
        "window open: Doorwatch − floor with an empty window = {:+.1} MB PSS (target ≤ +60 MB)",
        open.pss_mb() - floor_window.0.pss_mb()
    );
    println!(
        "start to tray-ready: {:.0} ms, {:.2}× the floor's (target ≤ 1 s)",
        hidden.1.as_secs_f64() * 1000.0,
        hidden.1.as_secs_f64() / floor_tray.1.as_secs_f64()
    );
    let (p50, p99) = percentiles(live);
    let (a50, a99) = percentiles(acks);
    println!(
        "POST → row visible over {DELIVERIES} deliveries: p50 {p50:.1} ms, p99 {p99:.1} ms (targets ≤ 50 / ≤ 150 ms); \
         POST → 200 alone: p50 {a50:.1} ms, p99 {a99:.1} ms"
    );
    println!();
    print_timeline(&timeline, Some(&run.first_rows), &reopen, Some(&reopen_baseline));
}

/// The timeline half's table; the baselines are the same measures on the 100,000-event store of the same run.
fn print_timeline(
    timeline: &TimelineRun,
    baseline: Option<&FirstRows>,
    reopen: &Reopen,
    reopen_baseline: Option<&Reopen>,
) {
    println!("# Timeline on {TIMELINE_EVENTS} events");
    println!();
    println!("| measure | {TIMELINE_EVENTS} events | baseline | ratio | target |");
    println!("|---|---|---|---|---|");
    let versus = |now: f64, then: Option<f64>| match then {
        Some(then) => (format!("{then:.0} ms ({EVENTS} events)"), format!("{:.2}×", now / then)),
        None => ("(not run)".to_owned(), String::new()),
    };
    let median = |v: &[f64]| percentiles(v.to_vec()).0;
    let worst = |v: &[f64]| v.iter().copied().fold(0.0, f64::max);
    let (b, r) = versus(median(&reopen.from_request), reopen_baseline.map(|b| median(&b.from_request)));
    println!(
        "| window opened in the running app (tray's Open) → first rows on screen, median of {} (worst) | {:.0} ms ({:.0} ms) | {b} | {r} | ≤ 500 ms |",
        reopen.from_request.len(),
        median(&reopen.from_request),
        worst(&reopen.from_request)
    );
    let (b, r) = versus(median(&reopen.from_launch), reopen_baseline.map(|b| median(&b.from_launch)));
    println!(
        "| the same from a second launch (the launcher: a new process hands over) | {:.0} ms ({:.0} ms) | {b} | {r} | |",
        median(&reopen.from_launch),
        worst(&reopen.from_launch)
    );
    let (b, r) = versus(timeline.first_rows.from_launch, baseline.map(|b| b.from_launch));
    println!(
        "| app launch (process start) → first rows painted | {:.0} ms | {b} | {r} | |",
        timeline.first_rows.from_launch
    );
    let (b, r) = versus(timeline.first_rows.from_navigation, baseline.map(|b| b.from_navigation));
    println!("| page load start → first rows painted | {:.0} ms | {b} | {r} | |", timeline.first_rows.from_navigation);
    println!(
        "| DOM nodes, {DEEP_ROWS} rows deep | {} ({} rows rendered of {} loaded) | {} (top of the list) | {:.2}× | bounded |",
        timeline.nodes_deep,
        timeline.rows_rendered_deep,
        timeline.loaded_deep,
        timeline.nodes_top,
        timeline.nodes_deep as f64 / timeline.nodes_top as f64
    );
    let pages = &timeline.page_loads;
    let (all_p50, all_p99) = percentiles(pages.clone());
    let (first_p50, _) = percentiles(pages[..10].to_vec());
    let (deep_p50, _) = percentiles(pages[pages.len() - 10..].to_vec());
    println!(
        "| older page load (100 rows), all {} pages down to {DEEP_ROWS} rows: p50 / p99 | {all_p50:.0} / {all_p99:.0} ms \
         (over 20 ms: {} pages; worst {:.0} ms) | | | ≤ 20 ms |",
        pages.len(),
        pages.iter().filter(|&&t| t > 20.0).count(),
        worst(pages)
    );
    println!(
        "| the last 10 of them (p50) | {deep_p50:.0} ms | {first_p50:.0} ms (the first 10, p50) | {:.2}× | flat |",
        deep_p50 / first_p50
    );
    println!(
        "| longest gap between frames, {BURST} deliveries in 1 s | {:.0} ms (shown in {:.0} ms) | {:.0} ms (idle, 1 s) | {:.2}× | no freeze |",
        timeline.burst_longest_frame,
        timeline.burst_shown_after,
        timeline.idle_longest_frame,
        timeline.burst_longest_frame / timeline.idle_longest_frame
    );
}

/// Starts the app through WebDriver and waits for its window to show stored events.
/// Returns the session and when it was asked for (ms since the epoch): WebKitWebDriver launches the app
/// for the session, so that is the launch.
async fn open_on_rows(desktop: &Desktop) -> (fantoccini::Client, f64) {
    let asked = now_ms();
    let c = desktop.open_app().await;
    c.wait()
        .at_most(Duration::from_secs(60))
        .for_element(Locator::Css("[data-testid=timeline-row]"))
        .await
        .expect("the window shows the stored events");
    (c, asked)
}

/// Stops the app the last WebDriver session started (its session may have ended with the window).
fn stop_app(desktop: &Desktop) {
    if let Some(pid) = desktop.try_app_pid() {
        end_tree(pid);
    }
}

/// Ends a process and all its descendants (WebKit's helpers too) and waits until they are gone, so that
/// nothing left over shares library pages with — and so lowers the PSS of — the next one measured.
fn end_tree(root: u32) {
    let all = tree(root);
    for pid in &all {
        // SAFETY: kill(2) only sends a signal, to processes this benchmark started.
        unsafe { libc::kill(*pid as i32, libc::SIGKILL) };
    }
    let start = Instant::now();
    while all.iter().any(|p| std::fs::read_to_string(format!("/proc/{p}/stat")).is_ok_and(|s| !s.contains(") Z ")))
        && start.elapsed() < Duration::from_secs(10)
    {
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_secs(1));
}

struct FirstRows {
    from_launch: f64,
    from_navigation: f64,
}

/// Reads the page's "first rows painted" mark: from the app's launch and from the page's navigation.
async fn first_rows(c: &fantoccini::Client, launched: f64) -> FirstRows {
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

async fn count(c: &fantoccini::Client, script: &str) -> usize {
    c.execute(script, vec![]).await.unwrap().as_u64().unwrap_or(0) as usize
}

async fn sign_and_post(client: &reqwest::Client, url: &str, body: String) -> reqwest::StatusCode {
    let key = SigningKey::new(KEY).unwrap();
    client
        .post(url)
        .header("content-type", "application/json")
        .header("x-signature", key.sign(body.as_bytes()))
        .body(body)
        .send()
        .await
        .unwrap()
        .status()
}

fn unlock_body(uuid: &str) -> String {
    format!(
        r#"{{"uuid":"{uuid}","type":"lock.unlock","actor_type":"User","actor_name":"Ada Lovelace","object_name":"Main Entrance","success":true,"created_at":"{}"}}"#,
        format_time(now_ms() as i64)
    )
}

struct TimelineRun {
    first_rows: FirstRows,
    nodes_top: usize,
    nodes_deep: usize,
    rows_rendered_deep: usize,
    loaded_deep: usize,
    page_loads: Vec<f64>,
    idle_longest_frame: f64,
    burst_longest_frame: f64,
    burst_shown_after: f64,
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

/// The window on the 1,000,000-event store: first rows, 10,000 rows deep, a burst of 500.
async fn timeline_run(desktop: &Desktop) -> TimelineRun {
    let (c, launched) = open_on_rows(desktop).await;
    let first_rows = first_rows(&c, launched).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let nodes_top = count(&c, NODES).await;

    // Down to 10,000 rows: scrolled to the end again and again, each time the next page arrives.
    let start = Instant::now();
    loop {
        let loaded = count(
            &c,
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
    let nodes_deep = count(&c, NODES).await;
    let rows_rendered_deep = count(&c, "return document.querySelectorAll('[data-testid=timeline-row]').length;").await;
    let loaded_deep = count(&c, LOADED).await;
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

    // Back at the top, the same frame probe idle for a second, then during a burst of 500 in 1 s.
    c.execute("document.querySelector('.timeline').scrollTop = 0; return null;", vec![]).await.unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    c.execute(FRAME_PROBE, vec![]).await.unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle_longest_frame = c.execute(FRAME_STOP, vec![]).await.unwrap().as_f64().unwrap();

    let before = count(&c, LOADED).await;
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
            sign_and_post(&client, &url, unlock_body(&format!("burst-{i}"))).await
        }));
    }
    for p in posts {
        assert!(p.await.unwrap().is_success());
    }
    loop {
        if count(&c, LOADED).await >= before + BURST {
            break;
        }
        assert!(t0.elapsed() < Duration::from_secs(60), "the burst never all reached the window");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let burst_shown_after = t0.elapsed().as_secs_f64() * 1000.0;
    let burst_longest_frame = c.execute(FRAME_STOP, vec![]).await.unwrap().as_f64().unwrap();
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

/// The floor app (package `doorwatch-floor`), built into the same target folder as this benchmark.
fn floor_program() -> String {
    let exe = std::env::current_exe().unwrap();
    // target/release/deps/desktop-… → target/release/doorwatch-floor
    let floor = exe.parent().and_then(|deps| deps.parent()).unwrap().join("doorwatch-floor");
    assert!(
        floor.exists(),
        "{} is missing: build it first (cargo build --release -p doorwatch-floor; make bench-desktop does)",
        floor.display()
    );
    floor.display().to_string()
}

fn now_ms() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs_f64() * 1000.0
}

fn percentiles(mut v: Vec<f64>) -> (f64, f64) {
    v.sort_by(f64::total_cmp);
    let at = |p: f64| v[((v.len() as f64 * p) as usize).min(v.len() - 1)];
    (at(0.5), at(0.99))
}

/// Fills the test desktop's database through the real writer, events `range` (by number) of a
/// history that ends now: one event every 7.7 s, so 1,000,000 span about three months.
fn fill(desktop: &Desktop, range: std::ops::Range<usize>) {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let store =
        Store::open(&desktop.db(), StoreOptions { synchronous: Synchronous::Normal, ..Default::default() }).unwrap();
    let end = now_ms() as i64 - 60_000;
    rt.block_on(async {
        for chunk in range.collect::<Vec<_>>().chunks(5_000) {
            let deliveries = chunk
                .iter()
                .map(|&i| {
                    let body = format!(
                        r#"{{"uuid":"fill-{i}","type":"lock.unlock","actor_type":"User","actor_name":"Person {}","object_name":"Door {}","success":{},"error_message":{},"created_at":"{}"}}"#,
                        i % 300,
                        i % 12,
                        i % 20 != 0,
                        if i % 20 == 0 { "\"Access denied.\"" } else { "null" },
                        format_time(end - (i as i64) * 7_700),
                    );
                    Delivery {
                        event: Event::from_json(body.as_bytes()).unwrap(),
                        received_at: end,
                        verified: true,
                        source: Source::Webhook,
                    }
                })
                .collect();
            store.ingest_batch(deliveries).await.unwrap();
        }
    });
    drop(store);
}

/// PSS and RSS of a process and all its descendants.
#[derive(Debug, Default, Clone, Copy)]
struct Memory {
    pss_kb: u64,
    rss_kb: u64,
    /// Private_Dirty: pages only these processes have and that cannot be dropped and read back again
    /// (heap, relocated library data…), so neither sharing nor the kernel's reclaiming changes them.
    private_dirty_kb: u64,
    processes: usize,
}

impl Memory {
    fn pss_mb(&self) -> f64 {
        self.pss_kb as f64 / 1024.0
    }
    fn rss_mb(&self) -> f64 {
        self.rss_kb as f64 / 1024.0
    }
    fn private_dirty_mb(&self) -> f64 {
        self.private_dirty_kb as f64 / 1024.0
    }
}

fn memory(root: u32) -> Memory {
    let mut m = Memory::default();
    let mut parts = Vec::new();
    for pid in tree(root) {
        let Ok(rollup) = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")) else { continue };
        let field = |name: &str| {
            rollup
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
        };
        m.pss_kb += field("Pss:");
        m.rss_kb += field("Rss:");
        m.private_dirty_kb += field("Private_Dirty:");
        m.processes += 1;
        let name = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        parts.push(format!("{} {:.1} MB", name.trim(), field("Pss:") as f64 / 1024.0));
    }
    eprintln!("  PSS by process: {}", parts.join(", "));
    m
}

/// Starts `program`, times it to "tray ready" on stderr, lets it settle, measures, stops it.
fn measure_spawned(desktop: &Desktop, program: &str, args: &[&str]) -> (Memory, Duration) {
    let (mut child, ready, _) = spawn_ready(desktop, program, args);
    std::thread::sleep(SETTLE);
    let m = memory(child.id());
    end_tree(child.id());
    let _ = child.wait();
    (m, ready)
}

/// Starts `program` on the test desktop and waits until it says "tray ready" on stderr; the receiver
/// then gets the moment of each "opening the timeline window" it logs.
fn spawn_ready(desktop: &Desktop, program: &str, args: &[&str]) -> (Child, Duration, Receiver<Instant>) {
    let start = Instant::now();
    let mut child: Child = Command::new(program)
        .args(args)
        .envs(desktop.env.iter().map(|(k, v)| (k, v)))
        .env("DOORWATCH_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let (opening_tx, opening) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("tray ready") {
                let _ = tx.send(());
            }
            if line.contains("opening the timeline window") {
                let _ = opening_tx.send(Instant::now());
            }
        }
    });
    rx.recv_timeout(Duration::from_secs(30)).unwrap_or_else(|_| panic!("{program} never got its tray ready"));
    (child, start.elapsed(), opening)
}

/// Window open → first rows on screen, in a running app: started in the tray (as at login), its window
/// opened by a second launch, which hands over to it and so calls what the tray's Open calls
/// (`windows::show_main`). The first opening, left to settle, gives the picture of the list; then the
/// window is closed (as the window manager's close button does), left 5 s (its network process ends after
/// 2 s, so every opening starts WebKit afresh), and opened again, timed to the first screen read that
/// shows the list as it settled: from the launch (what the launcher costs), and from the app's "opening
/// the timeline window" (what the tray's Open costs). The screen is read every ~10 ms, so each time is
/// late by at most that.
struct Reopen {
    from_launch: Vec<f64>,
    from_request: Vec<f64>,
}

fn reopen_run(desktop: &Desktop, times: usize) -> Reopen {
    let program = env!("CARGO_BIN_EXE_doorwatch-desktop");
    let (mut app, _, opening) = spawn_ready(desktop, program, &["--hidden"]);
    let screen = Screen::connect(&desktop.env.iter().find(|(k, _)| k == "DISPLAY").unwrap().1);
    let open = || {
        Command::new(program)
            .envs(desktop.env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let wait_for_window = || {
        let start = Instant::now();
        loop {
            if let Some(w) = screen.window("Doorwatch") {
                return w;
            }
            assert!(start.elapsed() < Duration::from_secs(30), "the window never opened");
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    let mut launch = open();
    let (_, (x, y, w, h)) = wait_for_window();
    // The list and its headings, not the status bar (its "last event … ago" moves with the clock).
    let rect = (x, y, w, h.saturating_sub(48));
    // The pointer away from the window, so no row is under it (hovered) in one picture and not another.
    screen.warp(if x > 0 { 0 } else { 1279 }, 799);
    let mut picture = screen.grab(rect);
    let settled = Instant::now();
    let mut still = Instant::now();
    while still.elapsed() < Duration::from_secs(3) {
        assert!(settled.elapsed() < Duration::from_secs(60), "the window never settled");
        std::thread::sleep(Duration::from_millis(100));
        let now = screen.grab(rect);
        if differing(&now, &picture) > 0 {
            picture = now;
            still = Instant::now();
        }
    }
    let _ = launch.wait();
    let mut out = Reopen { from_launch: Vec::new(), from_request: Vec::new() };
    for _ in 0..times {
        let (window, _) = wait_for_window();
        screen.close(window);
        let start = Instant::now();
        while screen.window("Doorwatch").is_some() {
            assert!(start.elapsed() < Duration::from_secs(10), "the window did not close");
            std::thread::sleep(Duration::from_millis(20));
        }
        std::thread::sleep(SETTLE);
        assert!(differing(&screen.grab(rect), &picture) > 0, "the list is still on screen after closing");
        while opening.try_recv().is_ok() {}
        let t0 = Instant::now();
        let mut launch = open();
        loop {
            // Matching to within 0.1% of the pixels: exact but for a blinking text caret, were there one.
            if differing(&screen.grab(rect), &picture) * 1000 <= picture.len() / 4 {
                break;
            }
            assert!(t0.elapsed() < Duration::from_secs(30), "the reopened window never showed the list");
            std::thread::sleep(Duration::from_millis(10));
        }
        let (shown, from_launch) = (Instant::now(), t0.elapsed());
        let asked = opening.recv_timeout(Duration::from_secs(10)).expect("the app never logged the window opening");
        out.from_launch.push(from_launch.as_secs_f64() * 1000.0);
        out.from_request.push((shown - asked).as_secs_f64() * 1000.0);
        let _ = launch.wait();
        assert_eq!(
            screen.window("Doorwatch").map(|(_, at)| at),
            Some((x, y, w, h)),
            "the window came back elsewhere or resized"
        );
        std::thread::sleep(Duration::from_secs(1));
    }
    end_tree(app.id());
    let _ = app.wait();
    out
}

/// How many pixels (4 bytes each, as Xvfb's 24-bit screen gives them) differ between two screen reads.
fn differing(a: &[u8], b: &[u8]) -> usize {
    if a.len() != b.len() {
        return a.len().max(b.len()) / 4;
    }
    a.chunks_exact(4).zip(b.chunks_exact(4)).filter(|(p, q)| p[..3] != q[..3]).count()
}

/// The test desktop's X screen, spoken to directly: no window manager runs there, so top-level windows
/// are the root window's children.
struct Screen {
    conn: x11rb::rust_connection::RustConnection,
    root: u32,
}

impl Screen {
    fn connect(display: &str) -> Screen {
        let (conn, n) = x11rb::connect(Some(display)).expect("the test desktop's X display");
        let root = conn.setup().roots[n].root;
        Screen { conn, root }
    }

    fn atom(&self, name: &str) -> u32 {
        self.conn.intern_atom(false, name.as_bytes()).unwrap().reply().unwrap().atom
    }

    /// The largest mapped top-level window with this title, and its place and size.
    fn window(&self, title: &str) -> Option<(u32, (i16, i16, u16, u16))> {
        let tree = self.conn.query_tree(self.root).ok()?.reply().ok()?;
        let mut best: Option<(u32, (i16, i16, u16, u16))> = None;
        for w in tree.children {
            let Some(attrs) = self.conn.get_window_attributes(w).ok().and_then(|c| c.reply().ok()) else { continue };
            if attrs.map_state != MapState::VIEWABLE {
                continue;
            }
            let name = self
                .conn
                .get_property(false, w, AtomEnum::WM_NAME, AtomEnum::ANY, 0, 64)
                .ok()
                .and_then(|c| c.reply().ok())
                .map(|p| p.value)
                .unwrap_or_default();
            if name != title.as_bytes() {
                continue;
            }
            let Some(g) = self.conn.get_geometry(w).ok().and_then(|c| c.reply().ok()) else { continue };
            let area = |r: &(i16, i16, u16, u16)| u32::from(r.2) * u32::from(r.3);
            let at = (g.x, g.y, g.width, g.height);
            if best.as_ref().map_or(true, |(_, b)| area(b) < area(&at)) {
                best = Some((w, at));
            }
        }
        best
    }

    /// The pixels of a rectangle of the screen.
    fn grab(&self, (x, y, w, h): (i16, i16, u16, u16)) -> Vec<u8> {
        self.conn.get_image(ImageFormat::Z_PIXMAP, self.root, x, y, w, h, !0).unwrap().reply().unwrap().data
    }

    fn warp(&self, x: i16, y: i16) {
        self.conn.warp_pointer(x11rb::NONE, self.root, 0, 0, 0, 0, x, y).unwrap();
        self.conn.flush().unwrap();
    }

    /// Asks a window to close, as a window manager's close button does (WM_DELETE_WINDOW).
    fn close(&self, window: u32) {
        let message = ClientMessageEvent::new(
            32,
            window,
            self.atom("WM_PROTOCOLS"),
            [self.atom("WM_DELETE_WINDOW"), x11rb::CURRENT_TIME, 0, 0, 0],
        );
        self.conn.send_event(false, window, EventMask::NO_EVENT, message).unwrap();
        self.conn.flush().unwrap();
    }
}

struct WindowRun {
    open: Memory,
    closed: Memory,
    closed_after_deliveries: Memory,
    first_rows: FirstRows,
    latencies: Vec<f64>,
    acks: Vec<f64>,
}

/// Through WebDriver: the window open on the full store, live latency, then the window closed.
async fn window_run(desktop: &Desktop) -> WindowRun {
    let (c, launched) = open_on_rows(desktop).await;
    let pid = desktop.app_pid();
    let first_rows = first_rows(&c, launched).await;
    tokio::time::sleep(SETTLE).await;
    let open = memory(pid);

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
    let client = reqwest::Client::new();
    let mut sent = Vec::new();
    let mut acks = Vec::new();
    for i in 0..DELIVERIES {
        let uuid = format!("live-{i}");
        let t0 = now_ms();
        let status = sign_and_post(&client, &desktop.webhook(), unlock_body(&uuid)).await;
        assert_eq!(status.as_u16(), 200);
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

    let body = c.find(Locator::Css("body")).await.unwrap();
    let _ = body.send_keys(&format!("{}w", char::from(fantoccini::key::Key::Control))).await;
    tokio::time::sleep(SETTLE).await;
    let closed = memory(pid);
    // The tray app goes on receiving: what it uses comes back into memory, no more.
    for i in 0..100 {
        let status = sign_and_post(&client, &desktop.webhook(), unlock_body(&format!("closed-{i}"))).await;
        assert_eq!(status.as_u16(), 200);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(SETTLE).await;
    let closed_after_deliveries = memory(pid);
    let _ = c.close().await;
    WindowRun { open, closed, closed_after_deliveries, first_rows, latencies, acks }
}
