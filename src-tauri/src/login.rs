//! "Start at login": the settings say it, the system's login items do it, and Settings and the tray
//! change both together.

use doorwatch::config::Settings;
use tauri::AppHandle;
use tauri_plugin_autostart::ManagerExt as _;

use crate::error::CommandResult;
use crate::state::AppState;

/// Saves `settings` through the running Doorwatch, then makes the login item agree with them.
pub async fn apply_settings(app: &AppHandle, state: &AppState, settings: Settings) -> CommandResult<()> {
    let start_at_login = settings.start_at_login;
    state.doorwatch.apply_settings(settings).await?;
    let autolaunch = app.autolaunch();
    let result = if start_at_login { autolaunch.enable() } else { autolaunch.disable() };
    if let Err(e) = result {
        tracing::warn!(error = %e, "cannot change start at login");
    }
    Ok(())
}
