//! What a person asks for from outside the window — a notification's buttons — comes back here as a
//! value on a channel and is carried out in one place, so notifications call into nothing.

use std::sync::Arc;

use doorwatch::app::supervise::supervised;
use tauri::{AppHandle, Manager};
use tokio::sync::mpsc;

use crate::messages::Action;
use crate::state::AppState;
use crate::windows::{self, Show};

/// Carries out each action as it arrives.
/// Supervised: a panic is trouble in the tray, and the next action is carried out again.
pub fn spawn(app: AppHandle, actions: mpsc::UnboundedReceiver<Action>) {
    let report = app.state::<AppState>().doorwatch.report();
    let actions = Arc::new(tokio::sync::Mutex::new(actions));
    tauri::async_runtime::spawn(async move {
        supervised("the notification buttons", report, move || carry_out(app.clone(), Arc::clone(&actions)));
    });
}

async fn carry_out(app: AppHandle, actions: Arc<tokio::sync::Mutex<mpsc::UnboundedReceiver<Action>>>) {
    let mut actions = actions.lock().await;
    while let Some(action) = actions.recv().await {
        match action {
            Action::Open { event: None } => windows::show_main(&app),
            Action::Open { event: Some(uuid) } => windows::show_main_with(&app, Some(Show::Event(uuid))),
            Action::OpenPeriod { since, until } => windows::show_main_with(&app, Some(Show::Period { since, until })),
            Action::MuteDoor { door } => app.state::<AppState>().doorwatch.mute_door_for_an_hour(&door),
            Action::ConfirmUnlock { event } => windows::show_main_with(&app, Some(Show::Unlock(event))),
            Action::Acknowledge { incident } => {
                match app.state::<AppState>().doorwatch.acknowledge_incident(incident).await {
                    Ok(true) => {}
                    Ok(false) => tracing::info!(incident, "already closed or acknowledged"),
                    Err(e) => tracing::warn!(error = %e, incident, "cannot acknowledge the door incident"),
                }
            }
        }
    }
}
