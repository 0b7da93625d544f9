//! The benchmark's tables, printed (on stdout) once everything is measured.

use std::time::Duration;

use crate::memory::Memory;
use crate::reopen::Reopen;
use crate::timeline::TimelineRun;
use crate::window::{FirstRows, WindowRun};
use crate::{percentiles, BURST, DEEP_ROWS, DELIVERIES, EVENTS, TIMELINE_EVENTS};

/// The first half's table and lines: binary size, memory and start-up against the floor, live latency.
/// `floor_tray`, `floor_window` and `hidden` are what [`crate::memory::measure_spawned`] measured.
pub fn print_memory_and_latency(
    floor: &str,
    floor_tray: &(Memory, Duration),
    floor_window: &(Memory, Duration),
    hidden: &(Memory, Duration),
    run: &WindowRun,
) {
    let (open, closed, closed_after) = (&run.open, &run.closed, &run.closed_after_deliveries);
    println!("# Desktop benchmark (release build, Xvfb, {EVENTS} events stored)");
    println!();
    let size = |p: &str| std::fs::metadata(p).map(|m| m.len() as f64 / 1_048_576.0).unwrap_or(f64::NAN);
    let (app_size, floor_size) = (size(env!("CARGO_BIN_EXE_doorwatch-desktop")), size(floor));
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
    row(&format!("Doorwatch: window open, {EVENTS} events"), open, None);
    row("Doorwatch: window closed again (webview destroyed)", closed, None);
    row("Doorwatch: window closed, then 100 more deliveries", closed_after, None);
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
    let (p50, p99) = percentiles(run.latencies.clone());
    let (a50, a99) = percentiles(run.acks.clone());
    println!(
        "POST → row visible over {DELIVERIES} deliveries: p50 {p50:.1} ms, p99 {p99:.1} ms (targets ≤ 50 / ≤ 150 ms); \
         POST → 200 alone: p50 {a50:.1} ms, p99 {a99:.1} ms"
    );
    println!();
}

/// The timeline half's table; the baselines are the same measures on the 100,000-event store of the same run.
pub fn print_timeline(
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
