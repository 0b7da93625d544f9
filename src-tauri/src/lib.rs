//! Doorwatch's desktop shell: the tray, the timeline window, IPC commands and notifications over the
//! running Doorwatch of the core (`doorwatch::app`), started from the same configuration as `doorwatch
//! serve` (flags > environment > settings.toml > defaults). This file is the builder and the wiring
//! of the core's channels to the shell's parts; what they do lives in their modules.

mod actions;
mod alert_commands;
mod bindings;
mod commands;
mod door_commands;
mod error;
mod feed;
mod login;
mod memory;
mod messages;
mod notifications;
mod presence_commands;
mod state;
mod tray;
mod windows;

use std::sync::Mutex;

use doorwatch::app::{Doorwatch, SettingsProblem, StartOptions};
use doorwatch::config::{Config, Environment, Flags};
use tauri::{Manager, RunEvent};
use tauri_plugin_autostart::MacosLauncher;

use state::AppState;

pub use bindings::export_typescript;

/// Launched by the login item: stay in the tray.
const HIDDEN: &str = "--hidden";

pub fn run() {
    init_logging();
    let hidden = std::env::args().any(|a| a == HIDDEN);
    // The single-instance check's D-Bus connection (zbus, on Linux) runs on tokio when it is made inside
    // a tokio runtime; outside one, zbus starts a thread pool of its own that wakes twice a second for
    // as long as the app runs (BENCHMARKS.md, "Idle cost"). So the builder runs inside Tauri's runtime.
    let runtime = tauri::async_runtime::handle();
    let _inside = runtime.inner().enter();
    let app = tauri::Builder::default()
        // First, so a second launch hands over to the running app before anything else starts.
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| windows::show_main(app)))
        .plugin(tauri_plugin_autostart::init(MacosLauncher::LaunchAgent, Some(vec![HIDDEN])))
        .plugin(tauri_plugin_clipboard_manager::init())
        .plugin(tauri_plugin_dialog::init())
        .invoke_handler(tauri::generate_handler![
            commands::list_events,
            commands::status,
            commands::subscribe,
            commands::follow_filter,
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
            alert_commands::describe_rules,
            alert_commands::explain_event,
            alert_commands::incidents,
            alert_commands::acknowledge_incident,
            alert_commands::night_summary,
            door_commands::unlock_offer,
            door_commands::unlock_door,
            door_commands::doors,
            door_commands::lockdown,
            presence_commands::who_is_in,
            presence_commands::check_presence,
            presence_commands::export_presence_csv,
            presence_commands::actor_details,
        ])
        .on_window_event(windows::on_event)
        .setup(move |app| {
            // After the single-instance check: a second launch hands over before it opens anything.
            let (state, outputs) = tauri::async_runtime::block_on(start());
            app.manage(state);
            let handle = app.handle();
            if let Some(events) = outputs.events {
                feed::spawn(handle.clone(), events);
            }
            notifications::spawn(handle.clone(), outputs.alerts);
            actions::spawn(handle.clone(), outputs.actions);
            log_notices(outputs.notices);
            tray::build(app)?;
            tray::follow(handle.clone());
            windows::follow_status(handle.clone());
            // benches/desktop/ times start-up to this line.
            tracing::info!("tray ready");
            if !hidden {
                windows::show_main(handle);
            }
            Ok(())
        })
        .build(tauri::generate_context!())
        .expect("Doorwatch could not start its window system");
    app.run(|app, event| match event {
        // The last window closed: Doorwatch keeps receiving in the tray.
        RunEvent::ExitRequested { code: None, api, .. } => api.prevent_exit(),
        RunEvent::Exit => tauri::async_runtime::block_on(app.state::<AppState>().doorwatch.stop()),
        _ => {}
    });
}

/// What the shell's tasks receive from the running Doorwatch.
struct ShellOutputs {
    events: Option<tokio::sync::broadcast::Receiver<std::sync::Arc<doorwatch::store::StoredEvent>>>,
    alerts: tokio::sync::mpsc::UnboundedReceiver<doorwatch::alert::Alert>,
    notices: tokio::sync::mpsc::UnboundedReceiver<doorwatch::app::Notice>,
    actions: tokio::sync::mpsc::UnboundedReceiver<messages::Action>,
}

/// Starts the running Doorwatch from the same configuration as `doorwatch serve`. A settings file that
/// cannot be used leaves the app on the defaults, saying why; a receiver that cannot start leaves it
/// in the tray in the trouble state.
async fn start() -> (AppState, ShellOutputs) {
    let flags = Flags::default();
    let env = Environment::from_process();
    let (config, settings_error) = match Config::load(&flags, env.clone()) {
        Ok(config) => (config, None),
        Err(e) => {
            tracing::error!("{e}; using the defaults until it is fixed");
            let path = doorwatch::config::settings_path(&env);
            let defaults = Config::resolve(&flags, env.clone(), Default::default(), path.clone())
                .or_else(|_| Config::resolve(&flags, Environment::default(), Default::default(), path))
                .expect("the defaults resolve");
            (defaults, Some(SettingsProblem::from(&e)))
        }
    };
    let (doorwatch, outputs) = Doorwatch::start(config, flags, settings_error, StartOptions { tunnel: true }).await;
    let (actions_tx, actions) = tokio::sync::mpsc::unbounded_channel();
    let state =
        AppState { doorwatch, unseen: tokio::sync::watch::channel(0).0, live: Mutex::new(None), actions: actions_tx };
    let outputs = ShellOutputs { events: outputs.events, alerts: outputs.alerts, notices: outputs.notices, actions };
    (state, outputs)
}

/// The upkeep's notices that are not alerts go to the log.
fn log_notices(mut notices: tokio::sync::mpsc::UnboundedReceiver<doorwatch::app::Notice>) {
    use doorwatch::app::Notice;
    tauri::async_runtime::spawn(async move {
        while let Some(notice) = notices.recv().await {
            match notice {
                Notice::UrlFollowed(url) => tracing::info!(%url, "Kisi's webhook follows the new tunnel URL"),
                Notice::Problem(text) => tracing::warn!("{text}"),
                Notice::WhileAway(text) | Notice::WebhookOff(text) => tracing::info!("{text}"),
                Notice::Door { title, body, .. } => tracing::info!("{title}: {body}"),
            }
        }
    });
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("DOORWATCH_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("doorwatch=info,doorwatch_desktop=info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr()); // no colour codes in a log file
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_ansi(ansi).with_writer(std::io::stderr).try_init();
}
