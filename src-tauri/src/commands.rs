//! IPC commands: each takes the app state and a DTO, calls the core, and maps the error. No logic here
//! beyond that; what a command decides lives in the core.

use chrono::Utc;
use doorwatch::config::secrets::Secret;
use doorwatch::config::settings::Settings;
use doorwatch::receive::signature::{generate_key, SigningKey};
use doorwatch::store::{Cursor, EventFilter, StoredEvent};
use serde::Serialize;
use tauri::ipc::Channel;
use tauri::{AppHandle, State};

use crate::error::{CommandError, CommandResult};
use crate::feed::FeedMessage;
use crate::state::AppState;
use crate::{alerts, tray};

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
    let after = after.map(|c| c.parse::<Cursor>()).transpose().map_err(|e| CommandError::new("bad_cursor", e))?;
    let page = state.read(|r| r.events(&filter, after, limit as usize))?;
    Ok(PageView { events: page.events, next: page.next.map(|c| c.to_string()) })
}

#[tauri::command]
pub async fn status(state: State<'_, AppState>) -> CommandResult<crate::state::StatusView> {
    Ok(state.status()?)
}

#[tauri::command]
pub async fn subscribe(state: State<'_, AppState>, on_message: Channel<FeedMessage>) -> CommandResult<()> {
    *state.ui_channel.lock().unwrap_or_else(|p| p.into_inner()) = Some(on_message);
    Ok(())
}

#[tauri::command]
pub async fn send_test_event(state: State<'_, AppState>, failed: bool) -> CommandResult<String> {
    crate::kisi::sample(&state, failed).await
}

#[tauri::command]
pub async fn get_settings(state: State<'_, AppState>) -> CommandResult<crate::state::SettingsView> {
    Ok(state.settings_view()?)
}

#[tauri::command]
pub async fn save_settings(
    app: AppHandle,
    state: State<'_, AppState>,
    settings: Settings,
) -> CommandResult<crate::state::SettingsView> {
    settings.validate().map_err(|m| CommandError::new("invalid_setting", m))?;
    crate::apply_settings(&app, &state, settings)?;
    Ok(state.settings_view()?)
}

#[tauri::command]
pub async fn set_signing_key(
    state: State<'_, AppState>,
    key: Option<String>,
) -> CommandResult<crate::state::SettingsView> {
    let key = key.unwrap_or_default();
    state.secrets.set(Secret::SigningKey, &key)?;
    state.with_receiver(|r| r.set_signing_key(SigningKey::new(&key)));
    Ok(state.settings_view()?)
}

/// The first-run guide's "Send a test notification": shown like an alert, so the person sees where
/// refusals will appear (and finds out now if no notification daemon is running).
#[tauri::command]
pub async fn test_notification(app: AppHandle) -> CommandResult<()> {
    crate::notifications::show(
        &app,
        doorwatch::alert::Alert {
            key: "test".to_owned(),
            title: "Doorwatch notifications work".to_owned(),
            body: "A refused unlock will look like this: the door, who, when and Kisi's reason.".to_owned(),
            uuid: String::new(),
            door: None,
            replaces: false,
            urgent: false,
        },
    );
    Ok(())
}

#[tauri::command]
pub async fn generate_signing_key() -> CommandResult<String> {
    Ok(generate_key())
}

/// `minutes: None` resumes alerts.
#[tauri::command]
pub async fn pause_alerts(
    app: AppHandle,
    state: State<'_, AppState>,
    minutes: Option<u32>,
) -> CommandResult<crate::state::StatusView> {
    alerts::pause(&state, minutes.map(|m| Utc::now() + chrono::Duration::minutes(m as i64)));
    tray::refresh(&app);
    Ok(state.status()?)
}

#[tauri::command]
pub async fn open_data_folder(state: State<'_, AppState>) -> CommandResult<()> {
    let dir = state.paths.db.parent().map(|d| d.to_owned()).unwrap_or_default();
    crate::open_folder(&dir)
        .map_err(|e| CommandError::new("open_folder", format!("cannot open {}: {e}", dir.display())))
}

/// Closes the window to the tray (Ctrl+W), the same way its close button does.
#[tauri::command]
pub async fn close_window(window: tauri::WebviewWindow) -> CommandResult<()> {
    window.close().map_err(|e| CommandError::new("window", e.to_string()))
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
pub async fn set_secret(
    app: AppHandle,
    state: State<'_, AppState>,
    name: SecretName,
    value: String,
) -> CommandResult<crate::state::SettingsView> {
    let secret = match name {
        SecretName::NgrokAuthtoken => Secret::NgrokAuthtoken,
        SecretName::KisiApiKey => Secret::KisiApiKey,
    };
    if value.trim().is_empty() {
        state.secrets.delete(secret)?;
    } else {
        state.secrets.set(secret, value.trim())?;
    }
    crate::restart_online(&app);
    Ok(state.settings_view()?)
}

/// "Connect to Kisi": creates or repairs Doorwatch's webhook at Kisi for the public URL, with a fresh
/// signing key that the receiver uses at once.
#[tauri::command]
pub async fn connect_kisi(state: State<'_, AppState>) -> CommandResult<doorwatch::kisi::integration::SetupOutcome> {
    let client = state.with_online(|o| o.kisi().cloned()).flatten().ok_or_else(|| {
        CommandError::new("no_api_key", "Enter your Kisi API key first (Kisi dashboard → your profile → API keys).")
    })?;
    let public_url = state.online_status().and_then(|s| s.public_url).ok_or_else(|| {
        CommandError::new("no_public_url", doorwatch::app::online::SetupError::NoPublicUrl.to_string())
    })?;
    let key = state.with_receiver(|r| r.key_slot());
    let outcome =
        doorwatch::app::online::set_up_kisi(&client, &public_url, &state.secrets, &state.paths.settings, key.as_ref())
            .await
            .map_err(|e| CommandError::new("kisi_setup", e.to_string()))?;
    state.settings.lock().unwrap_or_else(|p| p.into_inner()).kisi.integration_id = Some(outcome.integration_id);
    state.with_online(|o| o.set_integration(outcome.integration_id));
    Ok(outcome)
}

/// Switches Doorwatch's webhook at Kisi back on after Kisi disabled it.
#[tauri::command]
pub async fn re_enable_webhook(state: State<'_, AppState>) -> CommandResult<()> {
    let (client, id) = state
        .with_online(|o| o.kisi().cloned().zip(o.integration_id()))
        .flatten()
        .ok_or_else(|| CommandError::new("not_set_up", "Connect to Kisi first."))?;
    doorwatch::kisi::integration::re_enable(&client, id).await.map_err(|e| CommandError::new("kisi", e.to_string()))?;
    state.with_online(|o| o.check_health());
    Ok(())
}

/// Fetches what the webhook missed now, instead of waiting for the next wake or reconnection.
#[tauri::command]
pub async fn catch_up(state: State<'_, AppState>) -> CommandResult<()> {
    state
        .with_online(|o| o.kisi().is_some().then(|| o.catch_up()))
        .flatten()
        .ok_or_else(|| CommandError::new("no_api_key", "Catching up needs your Kisi API key."))
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
    let path = match std::env::var_os("DOORWATCH_SAVE_AS").filter(|p| !p.is_empty()) {
        Some(path) => Some(std::path::PathBuf::from(path)),
        None => {
            use tauri_plugin_dialog::DialogExt;
            let (chosen, answer) = tokio::sync::oneshot::channel();
            app.dialog()
                .file()
                .set_title("Export door events")
                .add_filter("CSV (spreadsheets)", &["csv"])
                .set_file_name(format!("door-events-{}.csv", chrono::Local::now().format("%Y-%m-%d")))
                .save_file(move |path| {
                    let _ = chosen.send(path);
                });
            answer.await.ok().flatten().and_then(|p| p.into_path().ok())
        }
    };
    let Some(path) = path else { return Ok(None) };
    let db = state.paths.db.clone();
    let target = path.clone();
    let written = tokio::task::spawn_blocking(move || {
        let reader = doorwatch::store::Reader::open(&db)?;
        doorwatch::store::export::to_file(&reader, &filter, doorwatch::store::export::Format::Csv, &target)
    })
    .await
    .map_err(|e| CommandError::new("export", e.to_string()))?
    .map_err(|e| CommandError::new("export", format!("Cannot write {}: {e}", path.display())))?;
    Ok(Some(format!("Exported {written} events to {}", path.display())))
}

/// The insights view: failed unlocks per door and hour, and unlocks per day, over the last `days` days
/// in the local time zone.
#[tauri::command]
pub async fn insights(state: State<'_, AppState>, days: u32) -> CommandResult<doorwatch::store::Insights> {
    let now = chrono::Local::now();
    let until = now.timestamp_millis();
    let offset = now.offset().local_minus_utc();
    Ok(state.read(|r| r.insights(until - i64::from(days.clamp(1, 366)) * 86_400_000, until, offset))?)
}
