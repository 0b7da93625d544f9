//! The timeline window. Closing it destroys the webview (most of the app's memory) while the app stays
//! in the tray; opening it again builds a new one with the size and position it had.

use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Manager, WebviewUrl, WebviewWindowBuilder, Window, WindowEvent};

use crate::state::AppState;

pub const MAIN: &str = "main";

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct Geometry {
    x: f64,
    y: f64,
    width: f64,
    height: f64,
}

const DEFAULT: Geometry = Geometry { x: f64::NAN, y: f64::NAN, width: 1040.0, height: 700.0 };

/// Something the window should show once it is up.
pub enum Show {
    Settings,
    Event(String),
    /// The timeline of a stretch of time (Unix ms), e.g. the night a morning summary sums up.
    Period {
        since: i64,
        until: i64,
    },
    /// One event with its door's unlock to confirm (a refused unlock's "Unlock…").
    Unlock(String),
}

/// An event uuid for the page's address: Kisi's are hex and dashes, ours body-sha256:…; anything
/// else is percent-encoded anyway.
fn encoded(uuid: &str) -> String {
    uuid.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b == b'-' { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

pub fn show_main(app: &AppHandle) {
    show_main_with(app, None);
}

/// Opens (or raises) the window, then asks it to show the settings or one event: through the page's
/// address when the window is new (its listeners are not there yet), through an event when it exists.
pub fn show_main_with(app: &AppHandle, show: Option<Show>) {
    if let Some(w) = app.get_webview_window(MAIN) {
        let _ = w.unminimize();
        let _ = w.show();
        let _ = w.set_focus();
        let _ = match show {
            Some(Show::Settings) => tauri::Emitter::emit(app, "open-settings", ()),
            Some(Show::Event(uuid)) => tauri::Emitter::emit(app, "show-event", uuid),
            Some(Show::Period { since, until }) => tauri::Emitter::emit(app, "show-period", [since, until]),
            Some(Show::Unlock(uuid)) => tauri::Emitter::emit(app, "show-unlock", uuid),
            None => Ok(()),
        };
    } else {
        // (The desktop benchmark times the window from this line to its rows on screen.)
        tracing::info!("opening the timeline window");
        let g = load(app).unwrap_or(DEFAULT);
        let page = match show {
            Some(Show::Settings) => "index.html#settings".to_owned(),
            // Event uuids are Kisi's (hex and dashes) or body-sha256:…; encode anything else anyway.
            Some(Show::Event(uuid)) => format!("index.html#event={}", encoded(&uuid)),
            Some(Show::Unlock(uuid)) => format!("index.html#unlock={}", encoded(&uuid)),
            Some(Show::Period { since, until }) => format!("index.html#period={since}-{until}"),
            None => "index.html".to_owned(),
        };
        let mut builder = WebviewWindowBuilder::new(app, MAIN, WebviewUrl::App(page.into()))
            .title("Doorwatch")
            .inner_size(g.width, g.height)
            .min_inner_size(640.0, 420.0);
        if g.x.is_finite() && g.y.is_finite() {
            builder = builder.position(g.x, g.y);
        }
        if let Err(e) = builder.build() {
            tracing::error!(error = %e, "cannot open the timeline window");
        }
    }
    // The person is looking now: the tray goes back to normal.
    // (A second launch can hand over while this app is still starting, before its state exists.)
    if let Some(state) = app.try_state::<AppState>() {
        state.unseen.send_replace(0);
    }
}

/// Remembers the window's place when it is closed.
pub fn on_event(window: &Window, event: &WindowEvent) {
    if window.label() != MAIN {
        return;
    }
    if let WindowEvent::Destroyed = event {
        crate::memory::after_window_closed(window.app_handle());
    }
    if let WindowEvent::CloseRequested { .. } = event {
        let scale = window.scale_factor().unwrap_or(1.0);
        let (Ok(pos), Ok(size)) = (window.outer_position(), window.inner_size()) else { return };
        let (pos, size) = (pos.to_logical::<f64>(scale), size.to_logical::<f64>(scale));
        let g = Geometry { x: pos.x, y: pos.y, width: size.width, height: size.height };
        if let Err(e) = save(window.app_handle(), g) {
            tracing::warn!(error = %e, "cannot remember the window's size and position");
        }
    }
}

fn path(app: &AppHandle) -> Option<std::path::PathBuf> {
    Some(app.try_state::<AppState>()?.doorwatch.config().config_dir.join("window.json"))
}

fn load(app: &AppHandle) -> Option<Geometry> {
    let g: Geometry = serde_json::from_slice(&std::fs::read(path(app)?).ok()?).ok()?;
    (g.width >= 320.0 && g.height >= 240.0).then_some(g)
}

fn save(app: &AppHandle, g: Geometry) -> std::io::Result<()> {
    let Some(p) = path(app) else { return Ok(()) }; // not started yet: nothing to remember it by
    if let Some(dir) = p.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(p, serde_json::to_vec(&g).map_err(std::io::Error::other)?)
}

/// Tells the window whenever the running state changes (the tunnel, Kisi's webhook, a catch-up, a
/// pause, an incident), so it reads its status then rather than asking every few seconds.
pub fn follow_status(app: AppHandle) {
    let mut running = app.state::<AppState>().doorwatch.running();
    tauri::async_runtime::spawn(async move {
        while running.changed().await.is_ok() {
            if app.get_webview_window(MAIN).is_some() {
                let _ = tauri::Emitter::emit(&app, "status-changed", ());
            }
        }
    });
}
