//! IPC commands: each takes the app state and a DTO, calls the core, and maps the error. No logic here
//! beyond that; what a command decides lives in the core.

use chrono::Utc;
use doorwatch::secrets::Secret;
use doorwatch::settings::Settings;
use doorwatch::signature::{generate_key, SigningKey};
use doorwatch::store::{Cursor, EventFilter, StoredEvent};
use serde::Serialize;
use tauri::ipc::Channel;
use tauri::{AppHandle, State};

use crate::error::{CommandError, CommandResult};
use crate::feed::FeedMessage;
use crate::state::AppState;
use crate::{alerts, tray};

#[derive(Serialize)]
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
    crate::send_test(&state, failed).await
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
