//! IPC commands about the alerts: the rules in words as Settings edits them, why an event alerted,
//! and door incidents (the list, and Acknowledge from the window). One-line adapters over the core.

use doorwatch::alert::AlertSettings;
use doorwatch::app::{IncidentsView, NightView, RulesView};
use tauri::State;

use crate::error::CommandResult;
use crate::state::AppState;

#[tauri::command]
pub async fn describe_rules(
    state: State<'_, AppState>,
    rules: Vec<serde_json::Value>,
    alerts: AlertSettings,
) -> CommandResult<RulesView> {
    Ok(state.doorwatch.rules_view(&rules, &alerts))
}

#[tauri::command]
pub async fn explain_event(state: State<'_, AppState>, uuid: String) -> CommandResult<Option<String>> {
    Ok(state.doorwatch.why(&uuid)?)
}

#[tauri::command]
pub async fn incidents(state: State<'_, AppState>) -> CommandResult<IncidentsView> {
    Ok(state.doorwatch.incidents_view()?)
}

/// True when it was open and now is acknowledged; false when it had ended already.
#[tauri::command]
pub async fn acknowledge_incident(state: State<'_, AppState>, id: i64) -> CommandResult<bool> {
    Ok(state.doorwatch.acknowledge_incident(id).await?)
}

/// The morning summary's words for the night so far.
#[tauri::command]
pub async fn night_summary(state: State<'_, AppState>) -> CommandResult<NightView> {
    Ok(state.doorwatch.night_view()?)
}
