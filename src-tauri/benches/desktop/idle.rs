//! Idle cost: CPU time and wakeups (context switches) per minute of the release app, in three states —
//! started in the tray with no events, in the tray after its window was opened and closed, and with its
//! window open and idle — against the floor app (tray only; tray and one empty window) over the same
//! minutes. Each program runs on a private desktop of its own (Xvfb, D-Bus, dunst), so the app's
//! single-instance hand-over sees only itself and no program's X or D-Bus traffic lands on another's.
//!
//! CPU time is each thread's on-CPU nanoseconds (`/proc/PID/task/TID/schedstat`), wakeups each thread's
//! voluntary and involuntary context switches (`/proc/PID/task/TID/status`), per thread between a
//! reading when the state has settled and one `secs` later, summed over the program and every process
//! it started (WebKit's). Who woke, by thread name, goes to stderr.

use std::process::Child;
use std::time::Duration;

use crate::process::{end_tree, spawn_ready};
use crate::screen::Screen;
use crate::support::{tree, Desktop};
use crate::SETTLE;

/// One program's cost over the measured stretch.
#[derive(Debug, Default, Clone, Copy)]
pub struct Cost {
    pub cpu_ms_per_min: f64,
    pub wakeups_per_min: f64,
    pub threads: usize,
    pub processes: usize,
}

pub struct Idle {
    pub secs: u64,
    pub floor_tray: Cost,
    pub floor_window: Cost,
    pub started_hidden: Cost,
    pub window_closed: Cost,
    pub window_open: Cost,
}

/// Each thread's on-CPU time and context switches so far, by thread id, with its name.
#[derive(Default, Clone)]
struct Sample {
    tasks: std::collections::HashMap<u32, Task>,
    processes: usize,
}

#[derive(Default, Clone)]
struct Task {
    name: String,
    cpu_ns: u64,
    switches: u64,
}

fn sample(root: u32) -> Sample {
    let mut s = Sample::default();
    for pid in tree(root) {
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else { continue };
        s.processes += 1;
        for task in tasks.flatten() {
            let Some(tid) = task.file_name().to_str().and_then(|t| t.parse::<u32>().ok()) else { continue };
            let dir = task.path();
            let sched = std::fs::read_to_string(dir.join("schedstat")).unwrap_or_default();
            let status = std::fs::read_to_string(dir.join("status")).unwrap_or_default();
            let switches = status
                .lines()
                .filter_map(|l| {
                    l.strip_prefix("voluntary_ctxt_switches:").or(l.strip_prefix("nonvoluntary_ctxt_switches:"))
                })
                .filter_map(|n| n.trim().parse::<u64>().ok())
                .sum();
            s.tasks.insert(
                tid,
                Task {
                    name: std::fs::read_to_string(dir.join("comm")).unwrap_or_default().trim().to_owned(),
                    cpu_ns: sched.split_whitespace().next().and_then(|v| v.parse().ok()).unwrap_or(0),
                    switches,
                },
            );
        }
    }
    s
}

impl Sample {
    /// What each thread alive at `self` did since `start` (a thread started since counts from zero;
    /// one that ended meanwhile is not counted — an idle program's threads do not come and go).
    fn since(&self, start: &Sample) -> (u64, u64, std::collections::BTreeMap<String, u64>) {
        let (mut cpu, mut switches, mut by_name) = (0, 0, std::collections::BTreeMap::new());
        for (tid, t) in &self.tasks {
            let before = start.tasks.get(tid).filter(|b| b.name == t.name);
            let c = t.cpu_ns.saturating_sub(before.map_or(0, |b| b.cpu_ns));
            let w = t.switches.saturating_sub(before.map_or(0, |b| b.switches));
            cpu += c;
            switches += w;
            *by_name.entry(t.name.clone()).or_default() += w;
        }
        (cpu, switches, by_name)
    }
}

/// A program measured: its desktop (kept alive for the run) and its process.
struct Measured {
    _desktop: Desktop,
    child: Child,
    start: Sample,
}

const APP: &str = env!("CARGO_BIN_EXE_doorwatch-desktop");

fn started(program: &str, args: &[&str], close_window: bool) -> (Desktop, Child) {
    let desktop = Desktop::start();
    let (child, _, _) = spawn_ready(&desktop, program, args);
    if close_window {
        let screen = Screen::connect(&desktop.env.iter().find(|(k, _)| k == "DISPLAY").unwrap().1);
        let mut waited = Duration::ZERO;
        let window = loop {
            if let Some((w, _)) = screen.window("Doorwatch") {
                break w;
            }
            assert!(waited < Duration::from_secs(30), "the window never opened");
            std::thread::sleep(Duration::from_millis(50));
            waited += Duration::from_millis(50);
        };
        std::thread::sleep(SETTLE);
        // As a window manager's close button does; the app stays in the tray. Asked again until the
        // window is gone (a close that arrives while the page is still starting can be missed).
        let mut asked = 0;
        while screen.window("Doorwatch").is_some() {
            assert!(asked < 10, "the window would not close");
            screen.close(window);
            asked += 1;
            std::thread::sleep(Duration::from_secs(1));
        }
    }
    (desktop, child)
}

/// Starts the five programs, lets each settle, then measures them all over the same `secs` seconds.
pub fn idle_run(floor: &str, secs: u64) -> Idle {
    let programs: Vec<(Desktop, Child)> = vec![
        started(floor, &["--tray"], false),
        started(floor, &["--window"], false),
        started(APP, &["--hidden"], false),
        started(APP, &[], true),
        started(APP, &[], false),
    ];
    // Past the window's first paint, and past what the app does 2 s after its window closes.
    std::thread::sleep(SETTLE * 2);
    let measured: Vec<Measured> = programs
        .into_iter()
        .map(|(desktop, child)| {
            let start = sample(child.id());
            Measured { _desktop: desktop, child, start }
        })
        .collect();
    eprintln!("idle: measuring five programs for {secs} s");
    std::thread::sleep(Duration::from_secs(secs));
    let minutes = secs as f64 / 60.0;
    let names = ["floor, tray", "floor, window", "started hidden", "window closed", "window open"];
    let costs: Vec<Cost> = measured
        .into_iter()
        .zip(names)
        .map(|(mut m, name)| {
            let end = sample(m.child.id());
            let (cpu_ns, switches, by_name) = end.since(&m.start);
            let woke: Vec<String> = by_name
                .iter()
                .filter(|(_, n)| **n > 0)
                .map(|(thread, n)| format!("{thread} {:.0}", *n as f64 / minutes))
                .collect();
            eprintln!("idle, {name}: wakeups per minute by thread: {}", woke.join(", "));
            end_tree(m.child.id());
            let _ = m.child.wait();
            Cost {
                cpu_ms_per_min: cpu_ns as f64 / 1e6 / minutes,
                wakeups_per_min: switches as f64 / minutes,
                threads: end.tasks.len(),
                processes: end.processes,
            }
        })
        .collect();
    Idle {
        secs,
        floor_tray: costs[0],
        floor_window: costs[1],
        started_hidden: costs[2],
        window_closed: costs[3],
        window_open: costs[4],
    }
}

/// The table BENCHMARKS.md's "Desktop app" reports, with the targets.
pub fn print(idle: &Idle) {
    println!();
    println!("## Idle cost over {} min (all five programs over the same minutes)", idle.secs / 60);
    println!();
    println!("| state | CPU per min | floor | ratio (≤ 1.2×) | wakeups per min | floor | above the floor, per second (≤ 1) | threads | processes |");
    println!("|---|---|---|---|---|---|---|---|---|");
    let row = |name: &str, app: &Cost, floor: &Cost| {
        println!(
            "| {name} | {:.1} ms | {:.1} ms | {:.2}× | {:.0} | {:.0} | {:+.2} | {} | {} |",
            app.cpu_ms_per_min,
            floor.cpu_ms_per_min,
            app.cpu_ms_per_min / floor.cpu_ms_per_min,
            app.wakeups_per_min,
            floor.wakeups_per_min,
            (app.wakeups_per_min - floor.wakeups_per_min) / 60.0,
            app.threads,
            app.processes,
        );
    };
    row("started in the tray, no events (floor: tray only)", &idle.started_hidden, &idle.floor_tray);
    row("tray, after the window was closed (floor: tray only)", &idle.window_closed, &idle.floor_tray);
    row("window open and idle (floor: tray + empty window)", &idle.window_open, &idle.floor_window);
    println!(
        "| floor: tray only | {:.1} ms | | | {:.0} | | | {} | {} |",
        idle.floor_tray.cpu_ms_per_min,
        idle.floor_tray.wakeups_per_min,
        idle.floor_tray.threads,
        idle.floor_tray.processes
    );
    println!(
        "| floor: tray + empty window | {:.1} ms | | | {:.0} | | | {} | {} |",
        idle.floor_window.cpu_ms_per_min,
        idle.floor_window.wakeups_per_min,
        idle.floor_window.threads,
        idle.floor_window.processes
    );
}
