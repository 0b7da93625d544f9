//! The one error shape that crosses IPC: `{ code, message }`. `code` is an [`ErrorCode`] (generated
//! into the UI's types, so the window branches on it, never on message text) and `message` is shown;
//! details of our own failures go to the log, not to the window.

use serde::Serialize;

/// What kind of failure a command had.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    BadCursor,
    /// No database yet: nothing was ever received.
    NoDatabase,
    Database,
    /// A setting is out of range; the message names it.
    InvalidSetting,
    Settings,
    Secrets,
    NotReceiving,
    SendFailed,
    SendRejected,
    OpenFolder,
    Window,
    NoApiKey,
    NoPublicUrl,
    KisiSetup,
    NotSetUp,
    Kisi,
    Export,
    /// Doorwatch did not ask Kisi to act (remote unlock off, no key, an unsigned event); the message says why.
    Refused,
}

#[derive(Debug, Serialize, ts_rs::TS)]
pub struct CommandError {
    pub code: ErrorCode,
    pub message: String,
}

impl CommandError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> CommandError {
        CommandError { code, message: message.into() }
    }
}

impl From<doorwatch::store::StoreError> for CommandError {
    fn from(e: doorwatch::store::StoreError) -> Self {
        use doorwatch::store::StoreError;
        match e {
            StoreError::NoDatabase(_) => CommandError::new(ErrorCode::NoDatabase, e.to_string()),
            StoreError::Open { .. } | StoreError::NewerSchema { .. } => {
                CommandError::new(ErrorCode::Database, e.to_string())
            }
            _ => {
                tracing::error!(error = %e, "database error");
                CommandError::new(ErrorCode::Database, "The database could not be read; see the log for details.")
            }
        }
    }
}

impl From<doorwatch::config::ConfigError> for CommandError {
    fn from(e: doorwatch::config::ConfigError) -> Self {
        use doorwatch::config::ConfigError;
        let code = match e {
            ConfigError::Invalid { .. } | ConfigError::Environment { .. } => ErrorCode::InvalidSetting,
            ConfigError::Settings(_) => ErrorCode::Settings,
        };
        CommandError::new(code, e.to_string())
    }
}

impl From<doorwatch::config::secrets::SecretsError> for CommandError {
    fn from(e: doorwatch::config::secrets::SecretsError) -> Self {
        CommandError::new(ErrorCode::Secrets, e.to_string())
    }
}

impl From<doorwatch::app::SendTestError> for CommandError {
    fn from(e: doorwatch::app::SendTestError) -> Self {
        use doorwatch::app::SendTestError;
        let code = match e {
            SendTestError::NotReceiving => ErrorCode::NotReceiving,
            SendTestError::Send(_) => ErrorCode::SendFailed,
            SendTestError::Rejected { .. } => ErrorCode::SendRejected,
        };
        CommandError::new(code, e.to_string())
    }
}

pub type CommandResult<T> = Result<T, CommandError>;
