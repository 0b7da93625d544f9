//! Desktop benchmark: memory, start-up and live latency of the real app (release build) under Xvfb,
//! against a floor measured in the same run — `doorwatch-floor`, a minimal Tauri 2 app from the same
//! dependency versions with only a tray icon, or a tray icon and one empty window.
//!
//! Memory is PSS summed over the app and the WebKit processes it starts (RSS beside it): PSS shares the
//! libraries mapped by several processes fairly, RSS counts them in each. The store holds 100,000
//! events. Latency: 200 signed deliveries 40 ms apart, each timed from just before its POST to the
//! moment its row is in the window's DOM (a MutationObserver in the page stamps it with `Date.now()`,
//! the same clock). Run with `make bench-desktop`.

#[path = "../tests/support/mod.rs"]
mod support;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use doorwatch::event::{format_time, Event, Source};
use doorwatch::signature::SigningKey;
use doorwatch::store::{Delivery, Store, StoreOptions, Synchronous};
use fantoccini::Locator;
use support::{Desktop, KEY};

const EVENTS: usize = 100_000;
const DELIVERIES: usize = 200;
const SETTLE: Duration = Duration::from_secs(5);

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let desktop = Desktop::start();
    let t = Instant::now();
    fill(&desktop, EVENTS);
    eprintln!("store of {EVENTS} events built in {:.1} s", t.elapsed().as_secs_f64());

    let floor_tray = measure_spawned(&desktop, env!("CARGO_BIN_EXE_doorwatch-floor"), &["--tray"]);
    let floor_window = measure_spawned(&desktop, env!("CARGO_BIN_EXE_doorwatch-floor"), &["--window"]);
    let hidden = measure_spawned(&desktop, env!("CARGO_BIN_EXE_doorwatch-desktop"), &["--hidden"]);
    let (open, closed, live, acks) = rt.block_on(window_run(&desktop));

    println!("# Desktop benchmark (release build, Xvfb, {EVENTS} events stored)");
    println!();
    println!("| configuration | PSS | RSS | processes | start to tray-ready |");
    println!("|---|---|---|---|---|");
    let row = |name: &str, m: &Memory, start: Option<Duration>| {
        let start = start.map(|d| format!("{:.0} ms", d.as_secs_f64() * 1000.0)).unwrap_or_default();
        println!("| {name} | {:.1} MB | {:.1} MB | {} | {start} |", m.pss_mb(), m.rss_mb(), m.processes);
    };
    row("floor: tray only", &floor_tray.0, Some(floor_tray.1));
    row("floor: tray + one empty window", &floor_window.0, Some(floor_window.1));
    row("Doorwatch: started in the tray (login item)", &hidden.0, Some(hidden.1));
    row(&format!("Doorwatch: window open, {EVENTS} events"), &open, None);
    row("Doorwatch: window closed again (webview destroyed)", &closed, None);
    println!();
    println!(
        "tray only: Doorwatch − floor = {:+.1} MB PSS after closing the window, {:+.1} MB started hidden (target ≤ +15 MB)",
        closed.pss_mb() - floor_tray.0.pss_mb(),
        hidden.0.pss_mb() - floor_tray.0.pss_mb()
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
}

fn now_ms() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs_f64() * 1000.0
}

fn percentiles(mut v: Vec<f64>) -> (f64, f64) {
    v.sort_by(f64::total_cmp);
    let at = |p: f64| v[((v.len() as f64 * p) as usize).min(v.len() - 1)];
    (at(0.5), at(0.99))
}

/// Fills the test desktop's database through the real writer.
fn fill(desktop: &Desktop, n: usize) {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let store =
        Store::open(&desktop.db(), StoreOptions { synchronous: Synchronous::Normal, ..Default::default() }).unwrap();
    let start = now_ms() as i64 - 90 * 86_400_000;
    rt.block_on(async {
        let mut tasks = Vec::new();
        for i in 0..n {
            let body = format!(
                r#"{{"uuid":"fill-{i}","type":"lock.unlock","actor_type":"User","actor_name":"Person {}","object_name":"Door {}","success":{},"error_message":{},"created_at":"{}"}}"#,
                i % 300,
                i % 12,
                i % 20 != 0,
                if i % 20 == 0 { "\"Access denied.\"" } else { "null" },
                format_time(start + (i as i64) * 77_000),
            );
            let delivery = Delivery {
                event: Event::from_json(body.as_bytes()).unwrap(),
                received_at: start,
                verified: true,
                source: Source::Webhook,
            };
            let store = store.clone();
            tasks.push(tokio::spawn(async move { store.ingest(delivery).await.unwrap() }));
        }
        for t in tasks {
            t.await.unwrap();
        }
    });
    drop(store);
}

/// PSS and RSS of a process and all its descendants.
#[derive(Debug, Default, Clone, Copy)]
struct Memory {
    pss_kb: u64,
    rss_kb: u64,
    processes: usize,
}

impl Memory {
    fn pss_mb(&self) -> f64 {
        self.pss_kb as f64 / 1024.0
    }
    fn rss_mb(&self) -> f64 {
        self.rss_kb as f64 / 1024.0
    }
}

fn tree(root: u32) -> Vec<u32> {
    let mut parents = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { continue };
        // The parent is the second field after the parenthesised command name.
        let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else { continue };
        if let Some(ppid) = rest.split_whitespace().nth(1).and_then(|p| p.parse::<u32>().ok()) {
            parents.push((pid, ppid));
        }
    }
    let mut out = vec![root];
    let mut i = 0;
    while i < out.len() {
        let p = out[i];
        out.extend(parents.iter().filter(|(_, pp)| *pp == p).map(|(c, _)| *c));
        i += 1;
    }
    out
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
        m.processes += 1;
        let name = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        parts.push(format!("{} {:.1} MB", name.trim(), field("Pss:") as f64 / 1024.0));
    }
    eprintln!("  PSS by process: {}", parts.join(", "));
    m
}

/// Starts `program`, times it to "tray ready" on stderr, lets it settle, measures, stops it.
fn measure_spawned(desktop: &Desktop, program: &str, args: &[&str]) -> (Memory, Duration) {
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
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("tray ready") {
                let _ = tx.send(());
            }
        }
    });
    rx.recv_timeout(Duration::from_secs(30)).unwrap_or_else(|_| panic!("{program} never got its tray ready"));
    let ready = start.elapsed();
    std::thread::sleep(SETTLE);
    let m = memory(child.id());
    let _ = child.kill();
    let _ = child.wait();
    std::thread::sleep(Duration::from_secs(1));
    (m, ready)
}

/// Through WebDriver: the window open on the full store, live latency, then the window closed.
async fn window_run(desktop: &Desktop) -> (Memory, Memory, Vec<f64>, Vec<f64>) {
    let c = desktop.open_app().await;
    c.wait()
        .at_most(Duration::from_secs(60))
        .for_element(Locator::Css("[data-testid=timeline-row]"))
        .await
        .expect("the window shows the stored events");
    tokio::time::sleep(SETTLE).await;
    let pid = desktop.app_pid();
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
    let key = SigningKey::new(KEY).unwrap();
    let mut sent = Vec::new();
    let mut acks = Vec::new();
    for i in 0..DELIVERIES {
        let uuid = format!("live-{i}");
        let body = format!(
            r#"{{"uuid":"{uuid}","type":"lock.unlock","actor_type":"User","actor_name":"Ada Lovelace","object_name":"Main Entrance","success":true,"created_at":"{}"}}"#,
            format_time(now_ms() as i64)
        );
        let t0 = now_ms();
        let r = client
            .post(desktop.webhook())
            .header("content-type", "application/json")
            .header("x-signature", key.sign(body.as_bytes()))
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
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
    let _ = c.close().await;
    (open, closed, latencies, acks)
}
