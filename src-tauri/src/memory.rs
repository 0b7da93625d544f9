//! Giving memory back once the timeline window is gone, so the app in the tray costs little.
//!
//! Destroying the webview ends WebKit's web process, but three things stay behind on Linux: WebKit's
//! network process (which WebKitGTK keeps for the web context however long no page is open —
//! tauri-apps/tauri#14626), glibc's freed-but-kept heap pages, and the pages of the libraries and code
//! that only the window used, still resident. Two seconds after the window is destroyed (unless it was
//! reopened), each is handed back: the network process is ended (WebKit starts a new one with the next
//! window), the heap is trimmed, and the process's file-backed pages are offered to the kernel to
//! reclaim (`MADV_PAGEOUT`); what the tray and the receiver go on using is faulted back in from the page
//! cache as they use it. BENCHMARKS.md (desktop) measures the result, including after deliveries.

use std::time::Duration;

use tauri::{AppHandle, Manager};

const AFTER: Duration = Duration::from_secs(2);

/// Called when the main window has been destroyed.
pub fn after_window_closed(app: &AppHandle) {
    let app = app.clone();
    let spawned = std::thread::Builder::new().name("doorwatch-trim".into()).spawn(move || {
        std::thread::sleep(AFTER);
        let (tx, rx) = std::sync::mpsc::channel();
        // Windows are created on the main thread: checking and ending the network process there means
        // no window can be opening in between.
        let handle = app.clone();
        let asked = app.run_on_main_thread(move || {
            let ended = handle.webview_windows().is_empty() && end_network_processes();
            let _ = tx.send(handle.webview_windows().is_empty().then_some(ended));
        });
        if asked.is_err() {
            return;
        }
        let Ok(Some(ended)) = rx.recv() else { return }; // reopened meanwhile: keep everything
        give_back_heap();
        let trimmed = trim_working_set();
        tracing::info!(network_process_ended = ended, ranges = trimmed, "memory handed back after the window closed");
    });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "could not start the memory trim");
    }
}

/// Ends this process's WebKitNetworkProcess children; true when one was ended.
#[cfg(target_os = "linux")]
fn end_network_processes() -> bool {
    let me = std::process::id();
    let mut ended = false;
    let Ok(procs) = std::fs::read_dir("/proc") else { return false };
    for entry in procs.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else { continue };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { continue };
        // "pid (comm) state ppid …": comm is cut to 15 bytes by the kernel.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else { continue };
        let comm = &stat[open + 1..close];
        let ppid = stat[close + 1..].split_whitespace().nth(1).and_then(|p| p.parse::<u32>().ok());
        if ppid == Some(me) && comm.starts_with("WebKitNetworkPr") {
            // SAFETY: kill(2) only sends a signal. The pid is a child of this process read just now:
            // a child's pid is not reused until this process (WebKit, here) has reaped it.
            ended |= unsafe { libc::kill(pid, libc::SIGTERM) } == 0;
        }
    }
    ended
}

#[cfg(not(target_os = "linux"))]
fn end_network_processes() -> bool {
    false // macOS and Windows end their web helpers themselves
}

/// glibc keeps freed pages in its arenas for reuse; hand them back.
fn give_back_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory at the top of glibc's heaps; it touches no live
    // allocation and is safe to call at any time from any thread.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Offers every file-backed mapping of this process to the kernel for reclaiming. `MADV_PAGEOUT` is a
/// hint that never loses data: dirty or shared pages are skipped, and a page used again is read back.
/// Returns how many ranges were advised.
#[cfg(target_os = "linux")]
fn trim_working_set() -> usize {
    let Ok(maps) = std::fs::read_to_string("/proc/self/maps") else { return 0 };
    let mut advised = 0;
    for line in maps.lines() {
        let mut fields = line.split_whitespace();
        let (Some(range), Some(path)) = (fields.next(), fields.nth(4)) else { continue };
        if !path.starts_with('/') {
            continue; // anonymous memory, the stack, [vdso]…: nothing to page out without swap
        }
        let Some((start, end)) = range.split_once('-') else { continue };
        let (Ok(start), Ok(end)) = (usize::from_str_radix(start, 16), usize::from_str_radix(end, 16)) else {
            continue;
        };
        // SAFETY: the range is a whole mapping of this process as listed by the kernel; MADV_PAGEOUT
        // changes no contents (it only lets the kernel reclaim pages it can read back), so no Rust
        // reference is invalidated. A mapping unmapped since /proc/self/maps was read gives ENOMEM.
        if unsafe { libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_PAGEOUT) } == 0 {
            advised += 1;
        }
    }
    advised
}

#[cfg(not(target_os = "linux"))]
fn trim_working_set() -> usize {
    0
}
