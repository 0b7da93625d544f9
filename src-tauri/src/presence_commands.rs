//! IPC commands about people: "Who is in" — the day's list from the store (instant, offline), Kisi's
//! check of it (slower, when the API answers), the list as CSV — and who an event's actor is. One-line
//! adapters over `doorwatch::app::presence` and `doorwatch::app::people`.

use chrono::NaiveDate;
use doorwatch::app::presence::{self, KisiCheck, WhoIsInView};
use tauri::{AppHandle, State};

use crate::error::{CommandError, CommandResult, ErrorCode};
use crate::state::AppState;

fn day(date: Option<String>) -> CommandResult<Option<NaiveDate>> {
    date.filter(|d| !d.trim().is_empty())
        .map(|d| NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d"))
        .transpose()
        .map_err(|_| CommandError::new(ErrorCode::InvalidSetting, "The date is not a day like 2026-11-02"))
}

#[tauri::command]
pub async fn who_is_in(state: State<'_, AppState>, date: Option<String>) -> CommandResult<WhoIsInView> {
    let (who, zone) = state.doorwatch.who_is_in(day(date)?)?;
    Ok(WhoIsInView::of(&who, &zone))
}

#[tauri::command]
pub async fn check_presence(state: State<'_, AppState>, date: Option<String>) -> CommandResult<KisiCheck> {
    let (who, _) = state.doorwatch.who_is_in(day(date)?)?;
    Ok(state.doorwatch.check_presence(&who).await)
}

/// Asks where to save, then writes the day's list as CSV; `None` when cancelled.
#[tauri::command]
pub async fn export_presence_csv(
    app: AppHandle,
    state: State<'_, AppState>,
    date: Option<String>,
) -> CommandResult<Option<String>> {
    let (who, zone) = state.doorwatch.who_is_in(day(date)?)?;
    let Some(path) = crate::commands::save_as(&app, "Export who is in", &format!("who-is-in-{}.csv", who.date)).await
    else {
        return Ok(None);
    };
    let written = presence::csv_to_file(&who, &zone, &path)
        .map_err(|e| CommandError::new(ErrorCode::Export, format!("Cannot write {}: {e}", path.display())))?;
    Ok(Some(format!("Exported {written} {} to {}", if written == 1 { "person" } else { "people" }, path.display())))
}

/// What Kisi says of an event's actor (an access link, a user), in words; `None` for other actors.
#[tauri::command]
pub async fn actor_details(state: State<'_, AppState>, uuid: String) -> CommandResult<Option<String>> {
    state.doorwatch.actor_details(&uuid).await.map_err(|why| CommandError::new(ErrorCode::Kisi, why))
}
