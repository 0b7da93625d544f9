//! IPC commands that act on a door: what a refused unlock offers ("Unlock Main Entrance…") and the
//! unlock itself, after the person confirmed in the window. One-line adapters over the core, which
//! checks the setting, the key and the event again, sends once and records it.

use doorwatch::app::remote_unlock::{UnlockDone, UnlockOffer};
use tauri::State;

use crate::error::{CommandError, CommandResult, ErrorCode};
use crate::state::AppState;

#[tauri::command]
pub async fn unlock_offer(state: State<'_, AppState>, uuid: String) -> CommandResult<Option<UnlockOffer>> {
    Ok(state.doorwatch.unlock_offer(&uuid)?)
}

#[tauri::command]
pub async fn unlock_door(state: State<'_, AppState>, uuid: String) -> CommandResult<UnlockDone> {
    state.doorwatch.unlock_door(&uuid).await.map_err(|why| CommandError::new(ErrorCode::Refused, why))
}
