//! The programs measured: the floor app found, a program started on the test desktop until its tray is
//! ready, and a process tree ended.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use crate::support::{tree, Desktop};

/// The floor app (package `doorwatch-floor`), built into the same target folder as this benchmark.
pub fn floor_program() -> String {
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

/// Stops the app the last WebDriver session started (its session may have ended with the window).
pub fn stop_app(desktop: &Desktop) {
    if let Some(pid) = desktop.try_app_pid() {
        end_tree(pid);
    }
}

/// Ends a process and all its descendants (WebKit's helpers too) and waits until they are gone, so that
/// nothing left over shares library pages with — and so lowers the PSS of — the next one measured.
pub fn end_tree(root: u32) {
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

/// Starts `program` on the test desktop and waits until it says "tray ready" on stderr; the receiver
/// then gets the moment of each "opening the timeline window" it logs.
pub fn spawn_ready(desktop: &Desktop, program: &str, args: &[&str]) -> (Child, Duration, Receiver<Instant>) {
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
