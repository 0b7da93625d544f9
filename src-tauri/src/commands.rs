//! IPC commands: each takes the app state and a DTO, calls the core, and maps the error. No logic here
//! beyond that; what a command decides lives in the core.

use chrono::Utc;
use doorwatch::app::{SettingsView, StatusView};
use doorwatch::config::secrets::Secret;
use doorwatch::config::Settings;
use doorwatch::receive::signature::{generate_key, SigningKey};
use doorwatch::store::{Cursor, EventFilter, StoredEvent};
use serde::Serialize;
use tauri::ipc::Channel;
use tauri::{AppHandle, State};

use crate::error::{CommandError, CommandResult, ErrorCode};
use crate::messages::{FeedMessage, LiveView};
use crate::state::AppState;

#[derive(Serialize, ts_rs::TS)]
pub struct PageView {
    events: Vec<StoredEvent>,
    next: Option<String>,
}

#[tauri::command]
pub async fn list_events(
    state: State<'_, AppState>,
    filter: EventFilter,
    after: Option<String>,
    limit: u32,
) -> CommandResult<PageView> {
    let after =
        after.map(|c| c.parse::<Cursor>()).transpose().map_err(|e| CommandError::new(ErrorCode::BadCursor, e))?;
    let page = state.doorwatch.read(|r| r.events(&filter, after, limit as usize))?;
    Ok(PageView { events: page.events, next: page.next.map(|c| c.to_string()) })
}

#[tauri::command]
pub async fn status(state: State<'_, AppState>) -> CommandResult<StatusView> {
    Ok(state.doorwatch.status_view()?)
}

#[tauri::command]
pub async fn subscribe(
    state: State<'_, AppState>,
    on_message: Channel<FeedMessage>,
    filter: EventFilter,
) -> CommandResult<()> {
    *state.live.lock().unwrap_or_else(|p| p.into_inner()) = Some(LiveView { channel: on_message, filter });
    Ok(())
}

/// The window shows another filter: only events it lists are pushed from now on.
#[tauri::command]
pub async fn follow_filter(state: State<'_, AppState>, filter: EventFilter) -> CommandResult<()> {
    if let Some(view) = state.live.lock().unwrap_or_else(|p| p.into_inner()).as_mut() {
        view.filter = filter;
    }
    Ok(())
}

#[tauri::command]
pub async fn send_test_event(state: State<'_, AppState>, failed: bool) -> CommandResult<String> {
    Ok(state.doorwatch.send_test_event(failed).await?)
}

#[tauri::command]
pub async fn get_settings(state: State<'_, AppState>) -> CommandResult<SettingsView> {
    Ok(state.doorwatch.settings_view()?)
}

#[tauri::command]
pub async fn save_settings(
    app: AppHandle,
    state: State<'_, AppState>,
    settings: Settings,
) -> CommandResult<SettingsView> {
    crate::login::apply_settings(&app, &state, settings).await?;
    Ok(state.doorwatch.settings_view()?)
}

#[tauri::command]
pub async fn set_signing_key(state: State<'_, AppState>, key: Option<String>) -> CommandResult<SettingsView> {
    let key = key.unwrap_or_default();
    state.doorwatch.secrets().set(Secret::SigningKey, &key)?;
    state.doorwatch.with_receiver(|r| r.set_signing_key(SigningKey::new(&key)));
    Ok(state.doorwatch.settings_view()?)
}

/// The first-run guide's "Send a test notification": shown like an alert, so the person sees where
/// refusals will appear (and finds out now if no notification daemon is running).
#[tauri::command]
pub async fn test_notification(state: State<'_, AppState>) -> CommandResult<()> {
    let alert = doorwatch::alert::Alert::about_doorwatch(
        "test",
        "Doorwatch notifications work",
        "A refused unlock will look like this: the door, who, when and Kisi's reason.".to_owned(),
        false,
    );
    crate::notifications::show(alert, state.actions.clone());
    Ok(())
}

#[tauri::command]
pub async fn generate_signing_key() -> CommandResult<String> {
    Ok(generate_key())
}

/// `minutes: None` resumes alerts.
#[tauri::command]
pub async fn pause_alerts(state: State<'_, AppState>, minutes: Option<u32>) -> CommandResult<StatusView> {
    state.doorwatch.pause_alerts(minutes.map(|m| Utc::now() + chrono::Duration::minutes(m as i64)));
    Ok(state.doorwatch.status_view()?)
}

#[tauri::command]
pub async fn open_data_folder(state: State<'_, AppState>) -> CommandResult<()> {
    let dir = state.doorwatch.config().db.parent().map(|d| d.to_owned()).unwrap_or_default();
    open_folder(&dir)
        .map_err(|e| CommandError::new(ErrorCode::OpenFolder, format!("cannot open {}: {e}", dir.display())))
}

/// Closes the window to the tray (Ctrl+W), the same way its close button does.
#[tauri::command]
pub async fn close_window(window: tauri::WebviewWindow) -> CommandResult<()> {
    window.close().map_err(|e| CommandError::new(ErrorCode::Window, e.to_string()))
}

/// Which secret `set_secret` changes. The signing key has its own command (it also swaps the key of the
/// running receiver).
#[derive(serde::Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum SecretName {
    NgrokAuthtoken,
    KisiApiKey,
}

/// Saves (or with an empty value forgets) the ngrok authtoken or the Kisi API key, and restarts the
/// tunnel and Kisi upkeep with it.
#[tauri::command]
pub async fn set_secret(state: State<'_, AppState>, name: SecretName, value: String) -> CommandResult<SettingsView> {
    let secret = match name {
        SecretName::NgrokAuthtoken => Secret::NgrokAuthtoken,
        SecretName::KisiApiKey => Secret::KisiApiKey,
    };
    let secrets = state.doorwatch.secrets();
    if value.trim().is_empty() {
        secrets.delete(secret)?;
    } else {
        secrets.set(secret, value.trim())?;
    }
    state.doorwatch.restart_online().await;
    Ok(state.doorwatch.settings_view()?)
}

/// "Connect to Kisi": creates or repairs Doorwatch's webhook at Kisi for the public URL, with a fresh
/// signing key that the receiver uses at once.
#[tauri::command]
pub async fn connect_kisi(state: State<'_, AppState>) -> CommandResult<doorwatch::kisi::integration::SetupOutcome> {
    use doorwatch::app::kisi_setup::{set_up_kisi, SetupError};
    let doorwatch = &state.doorwatch;
    let client = doorwatch.with_online(|o| o.kisi().cloned()).flatten().ok_or_else(|| {
        CommandError::new(
            ErrorCode::NoApiKey,
            "Enter your Kisi API key first (Kisi dashboard → your profile → API keys).",
        )
    })?;
    let public_url = doorwatch.running().borrow().online.as_ref().and_then(|s| s.public_url.clone());
    let public_url =
        public_url.ok_or_else(|| CommandError::new(ErrorCode::NoPublicUrl, SetupError::NoPublicUrl.to_string()))?;
    let key = doorwatch.with_receiver(|r| r.key_slot());
    let outcome = set_up_kisi(&client, &public_url, &doorwatch.config(), key.as_ref())
        .await
        .map_err(|e| CommandError::new(ErrorCode::KisiSetup, e.to_string()))?;
    doorwatch.remember_integration(outcome.integration_id);
    Ok(outcome)
}

/// Switches Doorwatch's webhook at Kisi back on after Kisi disabled it.
#[tauri::command]
pub async fn re_enable_webhook(state: State<'_, AppState>) -> CommandResult<()> {
    let (client, id) = state
        .doorwatch
        .with_online(|o| o.kisi().cloned().zip(o.integration_id()))
        .flatten()
        .ok_or_else(|| CommandError::new(ErrorCode::NotSetUp, "Connect to Kisi first."))?;
    doorwatch::kisi::integration::re_enable(&client, id)
        .await
        .map_err(|e| CommandError::new(ErrorCode::Kisi, e.to_string()))?;
    state.doorwatch.with_online(|o| o.check_health());
    Ok(())
}

/// Fetches what the webhook missed now, instead of waiting for the next wake or reconnection.
#[tauri::command]
pub async fn catch_up(state: State<'_, AppState>) -> CommandResult<()> {
    state
        .doorwatch
        .with_online(|o| o.kisi().is_some().then(|| o.catch_up()))
        .flatten()
        .ok_or_else(|| CommandError::new(ErrorCode::NoApiKey, "Catching up needs your Kisi API key."))
}

/// "Export CSV": asks where to save (the system's save dialog), then writes the events of the current
/// filter there through the core's export. `None` when the dialog was cancelled.
/// `DOORWATCH_SAVE_AS` names the file instead of asking (for the end-to-end tests, which cannot click in
/// a native dialog).
#[tauri::command]
pub async fn export_csv(
    app: AppHandle,
    state: State<'_, AppState>,
    filter: EventFilter,
) -> CommandResult<Option<String>> {
    let name = format!("door-events-{}.csv", chrono::Local::now().format("%Y-%m-%d"));
    let path = save_as(&app, "Export door events", &name).await;
    let Some(path) = path else { return Ok(None) };
    let db = state.doorwatch.config().db;
    let target = path.clone();
    let written = tokio::task::spawn_blocking(move || {
        let reader = doorwatch::store::Reader::open(&db)?;
        doorwatch::store::export::to_file(&reader, &filter, doorwatch::store::export::Format::Csv, &target)
    })
    .await
    .map_err(|e| CommandError::new(ErrorCode::Export, e.to_string()))?
    .map_err(|e| CommandError::new(ErrorCode::Export, format!("Cannot write {}: {e}", path.display())))?;
    Ok(Some(format!("Exported {written} events to {}", path.display())))
}

/// Where to save a CSV: the save dialog's answer (`None` when cancelled), or `DOORWATCH_SAVE_AS` (the
/// end-to-end tests' way past a native dialog they cannot drive).
pub async fn save_as(app: &AppHandle, title: &str, file_name: &str) -> Option<std::path::PathBuf> {
    if let Some(path) = std::env::var_os("DOORWATCH_SAVE_AS").filter(|p| !p.is_empty()) {
        return Some(std::path::PathBuf::from(path));
    }
    use tauri_plugin_dialog::DialogExt;
    let (chosen, answer) = tokio::sync::oneshot::channel();
    app.dialog().file().set_title(title).add_filter("CSV (spreadsheets)", &["csv"]).set_file_name(file_name).save_file(
        move |path| {
            let _ = chosen.send(path);
        },
    );
    answer.await.ok().flatten().and_then(|p| p.into_path().ok())
}

/// The insights view: failed unlocks per door and hour, and unlocks per day, over the last `days` days
/// in the local time zone.
#[tauri::command]
pub async fn insights(state: State<'_, AppState>, days: u32) -> CommandResult<doorwatch::store::Insights> {
    let now = chrono::Local::now();
    let until = now.timestamp_millis();
    let offset = now.offset().local_minus_utc();
    Ok(state.doorwatch.read(|r| r.insights(until - i64::from(days.clamp(1, 366)) * 86_400_000, until, offset))?)
}

fn open_folder(dir: &std::path::Path) -> std::io::Result<()> {
    let program = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    };
    std::process::Command::new(program).arg(dir).spawn().map(drop)
}
