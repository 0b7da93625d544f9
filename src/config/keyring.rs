//! The system keyring as the secret store sees it: one value per name, and three ways to fail that call
//! for different answers. [`OsKeyring`] is this platform's (Secret Service, Keychain, Credential
//! Manager, chosen per target in `Cargo.toml`); tests give [`super::secrets::Secrets`] keyrings of
//! their own — one that accepts and forgets, one that is locked — through the same trait.

/// Why the keyring did not answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyringError {
    /// There is no keyring here (no Secret Service, no D-Bus session): secrets go to the owner-only file.
    #[error("no system keyring: {0}")]
    Unavailable(String),
    /// There is one, but it cannot be used now (locked at login, the prompt dismissed): secrets must
    /// wait for it, never go to the file instead.
    #[error("the system keyring is locked or refused access: {0}")]
    Locked(String),
    /// It answered with an error of another kind (a value it cannot hold, say).
    #[error("the system keyring refused: {0}")]
    Refused(String),
}

/// A keyring holding Doorwatch's secrets by name.
pub trait Keyring: Send + Sync + std::fmt::Debug {
    /// The value stored under `name`; `Ok(None)` when there is none.
    fn get(&self, name: &str) -> Result<Option<String>, KeyringError>;
    fn set(&self, name: &str, value: &str) -> Result<(), KeyringError>;
    /// Removes `name`; removing what is not there is not an error.
    fn delete(&self, name: &str) -> Result<(), KeyringError>;
}

const SERVICE: &str = "doorwatch";

/// This platform's keyring, through the `keyring` crate. Every call opens a new entry, so a store that
/// keeps a value only inside one entry object (the crate's in-memory fallback) is caught by the read-back.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsKeyring;

impl Keyring for OsKeyring {
    fn get(&self, name: &str) -> Result<Option<String>, KeyringError> {
        match entry(name)?.get_password() {
            Ok(value) => Ok(Some(value)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(classify(e)),
        }
    }

    fn set(&self, name: &str, value: &str) -> Result<(), KeyringError> {
        entry(name)?.set_password(value).map_err(classify)
    }

    fn delete(&self, name: &str) -> Result<(), KeyringError> {
        match entry(name)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(classify(e)),
        }
    }
}

fn entry(name: &str) -> Result<keyring::Entry, KeyringError> {
    keyring::Entry::new(SERVICE, name).map_err(classify)
}

/// `PlatformFailure` is a keyring that is not there (no Secret Service on the bus, no session);
/// `NoStorageAccess` is one that is there but locked, or whose prompt was dismissed.
fn classify(e: keyring::Error) -> KeyringError {
    match e {
        keyring::Error::PlatformFailure(_) => KeyringError::Unavailable(e.to_string()),
        keyring::Error::NoStorageAccess(_) => KeyringError::Locked(e.to_string()),
        other => KeyringError::Refused(other.to_string()),
    }
}
