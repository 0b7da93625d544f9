//! The one error shape that crosses IPC: `{ code, message }`. The UI branches on `code` and shows
//! `message`; details of our own failures go to the log, not to the window.

use serde::Serialize;

#[derive(Debug, Serialize, ts_rs::TS)]
pub struct CommandError {
    pub code: &'static str,
    pub message: String,
}

impl CommandError {
    pub fn new(code: &'static str, message: impl Into<String>) -> CommandError {
        CommandError { code, message: message.into() }
    }
}

impl From<doorwatch::store::StoreError> for CommandError {
    fn from(e: doorwatch::store::StoreError) -> Self {
        use doorwatch::store::StoreError;
        match e {
            StoreError::NoDatabase(_) => CommandError::new("no_database", e.to_string()),
            StoreError::Open { .. } | StoreError::NewerSchema { .. } => CommandError::new("database", e.to_string()),
            _ => {
                tracing::error!(error = %e, "database error");
                CommandError::new("database", "The database could not be read; see the log for details.")
            }
        }
    }
}

impl From<doorwatch::config::settings::SettingsError> for CommandError {
    fn from(e: doorwatch::config::settings::SettingsError) -> Self {
        CommandError::new("settings", e.to_string())
    }
}

impl From<doorwatch::config::secrets::SecretsError> for CommandError {
    fn from(e: doorwatch::config::secrets::SecretsError) -> Self {
        CommandError::new("secrets", e.to_string())
    }
}

pub type CommandResult<T> = Result<T, CommandError>;
