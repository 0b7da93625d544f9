//! Doorwatch's desktop shell: the tray, the timeline window, IPC commands and notifications, wired
//! to the core (`doorwatch`) that does the work. Start-up reads the same settings and environment as
//! `doorwatch serve`: `DOORWATCH_DB`, `DOORWATCH_LISTEN`, `DOORWATCH_SIGNING_KEY`, `NGROK_AUTHTOKEN`,
//! `NGROK_DOMAIN`, `KISI_API_KEY` override the settings file and the keyring.

mod alerts;
mod commands;
mod error;
mod feed;
mod memory;
mod notifications;
mod state;
mod tray;
mod windows;

use std::sync::atomic::AtomicU32;
use std::sync::Mutex;

use doorwatch::alert::AlertPolicy;
use doorwatch::app::online::{Online, OnlineConfig};
use doorwatch::config::secrets::Secrets;
use doorwatch::config::settings::{self, Settings};
use doorwatch::config::{self, ENV_LISTEN};
use doorwatch::receive::{Receiver, ReceiverConfig};
use doorwatch::store::{StoreOptions, Synchronous};
use tauri::{AppHandle, Manager, RunEvent};
use tauri_plugin_autostart::{MacosLauncher, ManagerExt as _};

use error::{CommandError, CommandResult};
use state::{AppState, Paths};

/// Writes the TypeScript declarations of every type that crosses IPC into `dir`, generated from these
/// Rust types (ts-rs), so the window's types are never typed twice. `tests/ui_bindings.rs` keeps
/// `ui/src/bindings/` equal to them; `make bindings` rewrites it.
#[doc(hidden)]
pub fn export_typescript(dir: &std::path::Path) -> Result<(), ts_rs::ExportError> {
    use ts_rs::TS;
    state::StatusView::export_all_to(dir)?;
    state::SettingsView::export_all_to(dir)?;
    feed::FeedMessage::export_all_to(dir)?;
    commands::PageView::export_all_to(dir)?;
    error::CommandError::export_all_to(dir)?;
    doorwatch::store::EventFilter::export_all_to(dir)?;
    doorwatch::kisi::integration::SetupOutcome::export_all_to(dir)?;
    doorwatch::store::Insights::export_all_to(dir)?;
    Ok(())
}

/// Launched by the login item: stay in the tray.
const HIDDEN: &str = "--hidden";

pub fn run() {
    init_logging();
    let state = initial_state();
    let hidden = std::env::args().any(|a| a == HIDDEN);
    let app = tauri::Builder::default()
        // First, so a second launch hands over to the running app before anything else starts.
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| windows::show_main(app)))
        .plugin(tauri_plugin_autostart::init(MacosLauncher::LaunchAgent, Some(vec![HIDDEN])))
        .plugin(tauri_plugin_clipboard_manager::init())
        .plugin(tauri_plugin_dialog::init())
        .manage(state)
        .invoke_handler(tauri::generate_handler![
            commands::list_events,
            commands::status,
            commands::subscribe,
            commands::send_test_event,
            commands::get_settings,
            commands::save_settings,
            commands::set_signing_key,
            commands::generate_signing_key,
            commands::pause_alerts,
            commands::open_data_folder,
            commands::close_window,
            commands::set_secret,
            commands::connect_kisi,
            commands::re_enable_webhook,
            commands::catch_up,
            commands::export_csv,
            commands::insights,
            commands::test_notification,
        ])
        .on_window_event(windows::on_event)
        .setup(move |app| {
            start_receiver(app.handle());
            alerts::watch_silence(app.handle().clone());
            tray::build(app)?;
            tray::refresh(app.handle());
            // benches/desktop.rs times start-up to this line.
            tracing::info!("tray ready");
            if !hidden {
                windows::show_main(app.handle());
            }
            Ok(())
        })
        .build(tauri::generate_context!())
        .expect("Doorwatch could not start its window system");
    app.run(|app, event| match event {
        // The last window closed: Doorwatch keeps receiving in the tray.
        RunEvent::ExitRequested { code: None, api, .. } => api.prevent_exit(),
        RunEvent::Exit => stop_receiver(app),
        _ => {}
    });
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("DOORWATCH_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("doorwatch=info,doorwatch_desktop=info"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}

fn initial_state() -> AppState {
    let db = std::env::var_os(config::ENV_DB)
        .filter(|v| !v.is_empty())
        .map(Into::into)
        .unwrap_or_else(config::default_db_path);
    let config_dir = settings::config_dir();
    let settings_path = config_dir.join("settings.toml");
    let (settings, settings_error) = match Settings::load(&settings_path) {
        Ok(s) => (s, None),
        Err(e) => {
            tracing::error!("{e}; using the defaults until it is fixed");
            (Settings::default(), Some(e.to_string()))
        }
    };
    let policy = AlertPolicy::new(settings.alerts.clone());
    AppState {
        paths: Paths { db, settings: settings_path, config_dir: config_dir.clone() },
        receiver: Mutex::new(None),
        online: Mutex::new(None),
        online_generation: Default::default(),
        receiver_error: Mutex::new(None),
        settings_error,
        reader: Mutex::new(None),
        listen_from_env: std::env::var_os(ENV_LISTEN).is_some_and(|v| !v.is_empty()),
        settings: Mutex::new(settings),
        secrets: Secrets::new(&config_dir),
        policy: Mutex::new(policy),
        unseen_failures: AtomicU32::new(0),
        ui_channel: Mutex::new(None),
    }
}

/// Starts the receiver with the settings, the environment and the keyring, and forwards its feed.
/// A failure (port taken, database unreadable) leaves the app running in the trouble state, saying why.
fn start_receiver(app: &AppHandle) {
    let state = app.state::<AppState>();
    let settings = state.settings.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let listen = std::env::var(ENV_LISTEN).ok().filter(|v| !v.is_empty()).unwrap_or(settings.listen.clone());
    let signing_key = config::signing_key(&state.secrets).unwrap_or_else(|e| {
        tracing::warn!(error = %e, "cannot read the signing key");
        None
    });
    let result = match config::parse_listen(&listen) {
        Err(e) => Err(format!("the listen address {e}")),
        Ok(addr) => tauri::async_runtime::block_on(Receiver::start(ReceiverConfig {
            db: state.paths.db.clone(),
            listen: addr,
            signing_key,
            store: StoreOptions {
                synchronous: if settings.relaxed_durability { Synchronous::Normal } else { Synchronous::Full },
                ..StoreOptions::default()
            },
        }))
        .map_err(|e| e.to_string()),
    };
    match result {
        Ok(receiver) => {
            tracing::info!(url = %receiver.local_url(), "receiving");
            feed::spawn(app.clone(), receiver.store().subscribe());
            let store = receiver.store().clone();
            let days = settings.retention_days;
            tauri::async_runtime::spawn(async move { doorwatch::store::retention::spawn(store, days) });
            *state.receiver.lock().unwrap_or_else(|p| p.into_inner()) = Some(receiver);
            restart_online(app);
        }
        Err(e) => {
            tracing::error!("not receiving: {e}");
            *state.receiver_error.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
        }
    }
}

/// Starts the tunnel and the Kisi upkeep for the running receiver (each part only if its token or key
/// is there), and shows what they report: the tray follows their status, notices become notifications.
/// Starts the tunnel and the Kisi upkeep for the running receiver (each part only if its token or key
/// is there), stopping the ones that ran before, and shows what they report: the tray follows their
/// status, notices become notifications. Starts them again with the current settings and
/// secrets. Asynchronous, so it can be called from the main thread and from IPC commands alike (a
/// command already runs on the async runtime, where blocking on it would panic).
pub(crate) fn restart_online(app: &AppHandle) {
    use std::sync::atomic::Ordering;
    let state = app.state::<AppState>();
    let generation = state.online_generation.fetch_add(1, Ordering::SeqCst) + 1;
    let old = state.online.lock().unwrap_or_else(|p| p.into_inner()).take();
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        if let Some(old) = old {
            old.stop().await;
        }
        let state = app.state::<AppState>();
        if state.online_generation.load(Ordering::SeqCst) != generation {
            return; // a later restart is on its way and will start the upkeep
        }
        let settings = state.settings.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let config = match OnlineConfig::resolve(&settings, &state.secrets) {
            Ok(config) => config,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the tunnel token or Kisi key; receiving locally only");
                return;
            }
        };
        let Some((store, key)) = state.with_receiver(|r| (r.store().clone(), r.key_slot())) else { return };
        let (online, notices) = Online::start(config, store, key);
        let status = online.status();
        {
            let mut slot = state.online.lock().unwrap_or_else(|p| p.into_inner());
            if state.online_generation.load(Ordering::SeqCst) != generation {
                return; // superseded meanwhile: `online` is dropped, which ends its tasks
            }
            // Whatever another restart left here ends when dropped.
            *slot = Some(online);
        }
        alerts::show_online(app.clone(), status, notices);
        tray::refresh(&app);
    });
}

/// Stops the tunnel and upkeep at exit (from the main thread, not from a command).
fn stop_online(app: &AppHandle) {
    let online = app.state::<AppState>().online.lock().unwrap_or_else(|p| p.into_inner()).take();
    if let Some(online) = online {
        tauri::async_runtime::block_on(online.stop());
    }
}

fn stop_receiver(app: &AppHandle) {
    stop_online(app);
    let receiver = app.state::<AppState>().receiver.lock().unwrap_or_else(|p| p.into_inner()).take();
    if let Some(receiver) = receiver {
        tauri::async_runtime::block_on(receiver.stop());
    }
}

/// Saves settings and applies what can change while running (alerts, start at login).
pub(crate) fn apply_settings(app: &AppHandle, state: &AppState, mut settings: Settings) -> CommandResult<()> {
    // Which Kisi integration is ours is setup's to say, not a form's (the window may hold an older copy).
    settings.kisi.integration_id = state.settings.lock().unwrap_or_else(|p| p.into_inner()).kisi.integration_id;
    settings.save(&state.paths.settings)?;
    let autolaunch = app.autolaunch();
    let result = if settings.start_at_login { autolaunch.enable() } else { autolaunch.disable() };
    if let Err(e) = result {
        tracing::warn!(error = %e, "cannot change start at login");
    }
    state.policy.lock().unwrap_or_else(|p| p.into_inner()).set_settings(settings.alerts.clone());
    let reach_changed = {
        let current = state.settings.lock().unwrap_or_else(|p| p.into_inner());
        current.tunnel != settings.tunnel || current.kisi.health_check_minutes != settings.kisi.health_check_minutes
    };
    *state.settings.lock().unwrap_or_else(|p| p.into_inner()) = settings;
    if reach_changed {
        restart_online(app);
    }
    Ok(())
}

/// Posts a signed sample event to this app's own receiver, as Kisi would.
pub(crate) async fn send_test(state: &AppState, failed: bool) -> CommandResult<String> {
    // Signed with the key the receiver checks right now (a key just set in Settings or the setup guide
    // counts, even where DOORWATCH_SIGNING_KEY chose the one it started with).
    let (url, key) = state.with_receiver(|r| (r.local_url(), r.key_slot().get())).ok_or_else(|| {
        CommandError::new("not_receiving", "The receiver is not running, so there is nothing to test.")
    })?;
    let body = doorwatch::kisi::sample::sample_event(failed, chrono::Utc::now());
    let answer = doorwatch::kisi::sample::send(&url, body, key.as_ref())
        .await
        .map_err(|e| CommandError::new("send_failed", e.to_string()))?;
    if (200..300).contains(&answer.status) {
        Ok("Test event received and stored.".to_owned())
    } else {
        Err(CommandError::new("send_rejected", format!("The receiver answered {}: {}", answer.status, answer.body)))
    }
}

pub(crate) fn open_folder(dir: &std::path::Path) -> std::io::Result<()> {
    let program = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    };
    std::process::Command::new(program).arg(dir).spawn().map(drop)
}
