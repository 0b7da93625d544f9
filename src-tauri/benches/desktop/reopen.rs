//! Window open → first rows on screen, in a running app, read off the X screen.

use std::process::{Child, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use crate::process::{end_tree, spawn_ready};
use crate::screen::{differing, Screen};
use crate::support::Desktop;
use crate::SETTLE;

const PROGRAM: &str = env!("CARGO_BIN_EXE_doorwatch-desktop");

/// A window's place and size on screen: x, y, width, height.
type Rect = (i16, i16, u16, u16);

/// Window open → first rows on screen, in a running app: started in the tray (as at login), its window
/// opened by a second launch, which hands over to it and so calls what the tray's Open calls
/// (`windows::show_main`). The first opening, left to settle, gives the picture of the list; then the
/// window is closed (as the window manager's close button does), left 5 s (its network process ends after
/// 2 s, so every opening starts WebKit afresh), and opened again, timed to the first screen read that
/// shows the list as it settled: from the launch (what the launcher costs), and from the app's "opening
/// the timeline window" (what the tray's Open costs). The screen is read every ~10 ms, so each time is
/// late by at most that.
pub struct Reopen {
    pub from_launch: Vec<f64>,
    pub from_request: Vec<f64>,
}

pub fn reopen_run(desktop: &Desktop, times: usize) -> Reopen {
    let (mut app, _, opening) = spawn_ready(desktop, PROGRAM, &["--hidden"]);
    let screen = Screen::connect(&desktop.env.iter().find(|(k, _)| k == "DISPLAY").unwrap().1);
    let mut launch = open(desktop);
    let (_, placed) = wait_for_window(&screen);
    let (x, y, w, h) = placed;
    // The list and its headings, not the status bar (its "last event … ago" moves with the clock).
    let rect = (x, y, w, h.saturating_sub(48));
    // The pointer away from the window, so no row is under it (hovered) in one picture and not another.
    screen.warp(if x > 0 { 0 } else { 1279 }, 799);
    let picture = settled_picture(&screen, rect);
    let _ = launch.wait();
    let mut out = Reopen { from_launch: Vec::new(), from_request: Vec::new() };
    for _ in 0..times {
        let (from_launch, from_request) = close_and_reopen(desktop, &screen, &opening, (rect, &picture), placed);
        out.from_launch.push(from_launch);
        out.from_request.push(from_request);
    }
    end_tree(app.id());
    let _ = app.wait();
    out
}

/// A second launch of the app, which hands over to the running one (its window opens) and exits.
fn open(desktop: &Desktop) -> Child {
    Command::new(PROGRAM)
        .envs(desktop.env.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn wait_for_window(screen: &Screen) -> (u32, Rect) {
    let start = Instant::now();
    loop {
        if let Some(w) = screen.window("Doorwatch") {
            return w;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "the window never opened");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The picture of `rect` once it has not changed for 3 s.
fn settled_picture(screen: &Screen, rect: Rect) -> Vec<u8> {
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
    picture
}

/// The window closed, left [`SETTLE`], and opened again until `rect` shows `picture` again: ms from the
/// launch, and from the app's "opening the timeline window". It must come back `placed`.
fn close_and_reopen(
    desktop: &Desktop,
    screen: &Screen,
    opening: &Receiver<Instant>,
    (rect, picture): (Rect, &[u8]),
    placed: Rect,
) -> (f64, f64) {
    let (window, _) = wait_for_window(screen);
    screen.close(window);
    let start = Instant::now();
    while screen.window("Doorwatch").is_some() {
        assert!(start.elapsed() < Duration::from_secs(10), "the window did not close");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(SETTLE);
    assert!(differing(&screen.grab(rect), picture) > 0, "the list is still on screen after closing");
    while opening.try_recv().is_ok() {}
    let t0 = Instant::now();
    let mut launch = open(desktop);
    loop {
        // Matching to within 0.1% of the pixels: exact but for a blinking text caret, were there one.
        if differing(&screen.grab(rect), picture) * 1000 <= picture.len() / 4 {
            break;
        }
        assert!(t0.elapsed() < Duration::from_secs(30), "the reopened window never showed the list");
        std::thread::sleep(Duration::from_millis(10));
    }
    let (shown, from_launch) = (Instant::now(), t0.elapsed());
    let asked = opening.recv_timeout(Duration::from_secs(10)).expect("the app never logged the window opening");
    let times = (from_launch.as_secs_f64() * 1000.0, (shown - asked).as_secs_f64() * 1000.0);
    let _ = launch.wait();
    assert_eq!(screen.window("Doorwatch").map(|(_, at)| at), Some(placed), "the window came back elsewhere or resized");
    std::thread::sleep(Duration::from_secs(1));
    times
}
