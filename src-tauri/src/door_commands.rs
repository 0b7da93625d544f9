//! IPC commands about the doors: the doors board, what a refused unlock offers ("Unlock Main
//! Entrance…"), the unlock and lockdown themselves after the person confirmed in the window. One-line
//! adapters over the core, which checks the setting, the key and the door again, sends once and records it.

use doorwatch::app::doors::DoorsView;
use doorwatch::app::remote_unlock::{DoorActDone, UnlockOffer};
use tauri::State;

use crate::error::{CommandError, CommandResult, ErrorCode};
use crate::state::AppState;

#[tauri::command]
pub async fn unlock_offer(state: State<'_, AppState>, uuid: String) -> CommandResult<Option<UnlockOffer>> {
    Ok(state.doorwatch.unlock_offer(&uuid)?)
}

#[tauri::command]
pub async fn unlock_door(state: State<'_, AppState>, uuid: String) -> CommandResult<DoorActDone> {
    state.doorwatch.unlock_door(&uuid).await.map_err(|why| CommandError::new(ErrorCode::Refused, why))
}

#[tauri::command]
pub async fn doors(state: State<'_, AppState>) -> CommandResult<DoorsView> {
    Ok(state.doorwatch.doors_view()?)
}

/// Locks down the door `lock_id` (or every door of its place), or cancels that lockdown.
#[tauri::command]
pub async fn lockdown(
    state: State<'_, AppState>,
    lock_id: i64,
    whole_place: bool,
    on: bool,
) -> CommandResult<DoorActDone> {
    state.doorwatch.lockdown(lock_id, whole_place, on).await.map_err(|why| CommandError::new(ErrorCode::Refused, why))
}
