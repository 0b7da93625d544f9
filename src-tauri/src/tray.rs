//! The tray icon and its menu. Menu ids are an enum; the icon shows the state (normal, attention when
//! failed unlocks went unseen or a door incident is open, trouble when the receiver or the tunnel is down or Kisi switched the
//! webhook off), and the first, disabled menu line says the state in words (Linux tray hosts show no
//! tooltips, so it is in the menu as well). It follows the running Doorwatch, the stored events and
//! the unseen count by itself: nothing else refreshes it.

use tauri::image::Image;
use tauri::menu::{CheckMenuItem, Menu, MenuItem, PredefinedMenuItem, Submenu};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager, Wry};
use tauri_plugin_autostart::ManagerExt as _;
use tauri_plugin_clipboard_manager::ClipboardExt as _;

use crate::state::AppState;
use crate::windows::{self, Show};

const TRAY: &str = "doorwatch";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MenuId {
    Status,
    Open,
    CopyUrl,
    SendTest,
    PauseHour,
    PauseTomorrow,
    Resume,
    StartAtLogin,
    Settings,
    Quit,
}

impl MenuId {
    const ALL: [MenuId; 10] = [
        MenuId::Status,
        MenuId::Open,
        MenuId::CopyUrl,
        MenuId::SendTest,
        MenuId::PauseHour,
        MenuId::PauseTomorrow,
        MenuId::Resume,
        MenuId::StartAtLogin,
        MenuId::Settings,
        MenuId::Quit,
    ];

    fn id(self) -> &'static str {
        match self {
            MenuId::Status => "status",
            MenuId::Open => "open",
            MenuId::CopyUrl => "copy-url",
            MenuId::SendTest => "send-test",
            MenuId::PauseHour => "pause-hour",
            MenuId::PauseTomorrow => "pause-tomorrow",
            MenuId::Resume => "resume",
            MenuId::StartAtLogin => "start-at-login",
            MenuId::Settings => "settings",
            MenuId::Quit => "quit",
        }
    }

    fn parse(id: &str) -> Option<MenuId> {
        MenuId::ALL.into_iter().find(|m| m.id() == id)
    }
}

/// The menu items whose text or state changes while the app runs.
pub struct TrayItems {
    status: MenuItem<Wry>,
    url: MenuItem<Wry>,
    resume: MenuItem<Wry>,
    start_at_login: CheckMenuItem<Wry>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Look {
    Normal,
    Attention,
    Trouble,
}

/// Linux and Windows panels show the coloured tile, legible on light and dark panels alike.
#[cfg(not(target_os = "macos"))]
fn icon(look: Look) -> Image<'static> {
    match look {
        Look::Normal => tauri::include_image!("../icons/tray-normal.png"),
        Look::Attention => tauri::include_image!("../icons/tray-attention.png"),
        Look::Trouble => tauri::include_image!("../icons/tray-trouble.png"),
    }
}

/// The macOS menu bar wants template images (shape only, tinted by the system for light and dark).
#[cfg(target_os = "macos")]
fn icon(look: Look) -> Image<'static> {
    match look {
        Look::Normal => tauri::include_image!("../icons/tray-template-normal@2x.png"),
        Look::Attention => tauri::include_image!("../icons/tray-template-attention@2x.png"),
        Look::Trouble => tauri::include_image!("../icons/tray-template-trouble@2x.png"),
    }
}

pub fn build(app: &tauri::App) -> tauri::Result<()> {
    let item = |id: MenuId, text: &str, enabled: bool| MenuItem::with_id(app, id.id(), text, enabled, None::<&str>);
    let status = item(MenuId::Status, "Doorwatch — starting…", false)?;
    let open = item(MenuId::Open, "Open timeline", true)?;
    let url = item(MenuId::CopyUrl, "Webhook URL: …", true)?;
    let send_test = item(MenuId::SendTest, "Send test event", true)?;
    let resume = item(MenuId::Resume, "Resume alerts", false)?;
    let pause = Submenu::with_items(
        app,
        "Pause alerts",
        true,
        &[
            &item(MenuId::PauseHour, "For 1 hour", true)?,
            &item(MenuId::PauseTomorrow, "Until tomorrow", true)?,
            &resume,
        ],
    )?;
    let autostart = app.autolaunch().is_enabled().unwrap_or(false);
    let start_at_login =
        CheckMenuItem::with_id(app, MenuId::StartAtLogin.id(), "Start at login", true, autostart, None::<&str>)?;
    let settings = item(MenuId::Settings, "Settings…", true)?;
    let quit = item(MenuId::Quit, "Quit Doorwatch", true)?;
    let separator = || PredefinedMenuItem::separator(app);
    let menu = Menu::with_items(
        app,
        &[
            &status,
            &separator()?,
            &open,
            &url,
            &send_test,
            &separator()?,
            &pause,
            &start_at_login,
            &settings,
            &separator()?,
            &quit,
        ],
    )?;
    TrayIconBuilder::with_id(TRAY)
        .icon(icon(Look::Normal))
        .icon_as_template(cfg!(target_os = "macos"))
        .tooltip("Doorwatch")
        .menu(&menu)
        .on_menu_event(|app, event| {
            if let Some(id) = MenuId::parse(event.id().as_ref()) {
                on_menu(app, id);
            }
        })
        .build(app)?;
    app.manage(TrayItems { status, url, resume, start_at_login });
    Ok(())
}

fn on_menu(app: &AppHandle, id: MenuId) {
    let state = app.state::<AppState>();
    let doorwatch = &state.doorwatch;
    match id {
        MenuId::Status => {}
        MenuId::Open => windows::show_main(app),
        MenuId::CopyUrl => {
            if let Some(url) = doorwatch.webhook_url() {
                if let Err(e) = app.clipboard().write_text(url) {
                    tracing::warn!(error = %e, "cannot copy to the clipboard");
                }
            }
        }
        MenuId::SendTest => {
            let app = app.clone();
            tauri::async_runtime::spawn(async move {
                match app.state::<AppState>().doorwatch.send_test_event(false).await {
                    Ok(m) => tracing::info!("{m}"),
                    Err(e) => tracing::warn!("test event: {e}"),
                }
            });
        }
        MenuId::PauseHour => doorwatch.pause_alerts(Some(chrono::Utc::now() + chrono::Duration::hours(1))),
        MenuId::PauseTomorrow => {
            doorwatch.pause_alerts(Some(doorwatch::alert::next_local_midnight(&chrono::Local::now())))
        }
        MenuId::Resume => doorwatch.pause_alerts(None),
        MenuId::StartAtLogin => {
            let mut settings = doorwatch.settings();
            settings.start_at_login = !settings.start_at_login;
            let app = app.clone();
            tauri::async_runtime::spawn(async move {
                if let Err(e) = crate::login::apply_settings(&app, &app.state::<AppState>(), settings).await {
                    tracing::warn!("start at login: {}", e.message);
                }
            });
        }
        MenuId::Settings => windows::show_main_with(app, Some(Show::Settings)),
        MenuId::Quit => app.exit(0),
    }
}

/// How long the tray lets a burst of stored events gather before it reads the store's counts again.
const BURST_GATHER: std::time::Duration = std::time::Duration::from_millis(250);

/// Brings the tray up to date whenever the running state, the stored events or the unseen count
/// change (the summary counts today's refusals and says when the last event came).
pub fn follow(app: AppHandle) {
    let state = app.state::<AppState>();
    let mut running = state.doorwatch.running();
    let mut unseen = state.unseen.subscribe();
    let mut events = state.doorwatch.events();
    tauri::async_runtime::spawn(async move {
        loop {
            refresh(&app);
            let stored = async {
                match events.as_mut() {
                    Some(feed) => {
                        if let Err(tokio::sync::broadcast::error::RecvError::Closed) = feed.recv().await {
                            std::future::pending::<()>().await;
                        }
                        // A burst refreshes the tray once, not once per event (each refresh reads the
                        // store's counts): gather what arrives meanwhile, then read.
                        tokio::time::sleep(BURST_GATHER).await;
                        while !matches!(
                            feed.try_recv(),
                            Err(tokio::sync::broadcast::error::TryRecvError::Empty
                                | tokio::sync::broadcast::error::TryRecvError::Closed)
                        ) {}
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                changed = running.changed() => if changed.is_err() { return },
                changed = unseen.changed() => if changed.is_err() { return },
                () = stored => {}
            }
        }
    });
}

/// Brings the icon, the title (the count of unseen failures) and the status line up to date.
fn refresh(app: &AppHandle) {
    let Some(items) = app.try_state::<TrayItems>() else { return };
    let state = app.state::<AppState>();
    let unseen = *state.unseen.borrow();
    let open_incidents = state.doorwatch.running().borrow().open_incidents;
    let (summary, trouble, paused) = match state.doorwatch.status_view() {
        Ok(s) => (s.summary, s.trouble, s.alerts_paused_until.is_some()),
        Err(e) => (format!("Database trouble: {e}"), true, false),
    };
    let look = if trouble {
        Look::Trouble
    } else if unseen > 0 || open_incidents > 0 {
        Look::Attention
    } else {
        Look::Normal
    };
    let paused_text = if paused { " · alerts paused" } else { "" };
    let incidents_text = match open_incidents {
        0 => String::new(),
        1 => " · a door is held open".to_owned(),
        n => format!(" · {n} doors held open"),
    };
    let summary = format!("{summary}{incidents_text}");
    let _ = items.status.set_text(format!("{summary}{paused_text}"));
    let _ = items.resume.set_enabled(paused);
    if let Some(url) = state.doorwatch.webhook_url() {
        let _ = items.url.set_text(format!("Copy webhook URL: {url}"));
    }
    let login = state.doorwatch.settings().start_at_login;
    let _ = items.start_at_login.set_checked(login);
    if let Some(tray) = app.tray_by_id(TRAY) {
        let _ = tray.set_icon(Some(icon(look)));
        let _ = tray.set_icon_as_template(cfg!(target_os = "macos"));
        let _ = tray.set_tooltip(Some(format!("Doorwatch — {summary}{paused_text}")));
        let _ = tray.set_title(if unseen > 0 { Some(unseen.to_string()) } else { None::<String> });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_menu_id_round_trips_and_ids_are_distinct() {
        let mut seen = std::collections::HashSet::new();
        for id in MenuId::ALL {
            assert_eq!(MenuId::parse(id.id()), Some(id));
            assert!(seen.insert(id.id()), "{} used twice", id.id());
        }
        assert_eq!(MenuId::parse("no-such-item"), None);
    }
}
