//! What a person asks for from outside the window — a notification's buttons — comes back here as a
//! value on a channel and is carried out in one place, so notifications call into nothing.

use tauri::{AppHandle, Manager};
use tokio::sync::mpsc;

use crate::messages::Action;
use crate::state::AppState;
use crate::windows::{self, Show};

/// Carries out each action as it arrives.
pub fn spawn(app: AppHandle, mut actions: mpsc::UnboundedReceiver<Action>) {
    tauri::async_runtime::spawn(async move {
        while let Some(action) = actions.recv().await {
            match action {
                Action::Open { event: None } => windows::show_main(&app),
                Action::Open { event: Some(uuid) } => windows::show_main_with(&app, Some(Show::Event(uuid))),
                Action::MuteDoor { door } => app.state::<AppState>().doorwatch.mute_door_for_an_hour(&door),
            }
        }
    });
}
