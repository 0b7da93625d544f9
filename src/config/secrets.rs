//! Secrets — the webhook's signing key, the ngrok authtoken, the Kisi API key — kept in the OS keyring
//! (the Secret Service on Linux, Keychain on macOS, Credential Manager on Windows; [`super::keyring`]).
//! On a machine without one (a bare Linux session, CI), or with one that does not keep what it is
//! given, they go to `secrets.toml` in the config folder, readable by the owner only. A locked keyring
//! is an error, never a reason to use the file. Secrets never go to the settings file, the database or
//! a log line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::keyring::{Keyring, KeyringError, OsKeyring};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secret {
    SigningKey,
    NgrokAuthtoken,
    KisiApiKey,
}

impl Secret {
    fn name(self) -> &'static str {
        match self {
            Secret::SigningKey => "signing-key",
            Secret::NgrokAuthtoken => "ngrok-authtoken",
            Secret::KisiApiKey => "kisi-api-key",
        }
    }
}

/// Where a secret ended up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Keyring,
    File,
}

#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    #[error("cannot read or write {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path} is damaged ({reason}); delete it and enter the secrets again")]
    Invalid { path: PathBuf, reason: String },
    /// The keyring is there but cannot be used now. Nothing was written anywhere: a secret never goes
    /// to the file because the keyring was merely locked.
    #[error(
        "the system keyring is locked or refused access ({0}); unlock it (log in to your keychain) and \
         Doorwatch will use it as soon as it answers"
    )]
    Locked(String),
    #[error("the system keyring refused: {0}")]
    Keyring(String),
}

impl SecretsError {
    /// True when waiting may help: the keyring is locked and may be unlocked.
    pub fn is_locked(&self) -> bool {
        matches!(self, SecretsError::Locked(_))
    }
}

impl From<KeyringError> for SecretsError {
    fn from(e: KeyringError) -> SecretsError {
        match e {
            KeyringError::Locked(reason) => SecretsError::Locked(reason),
            KeyringError::Unavailable(reason) | KeyringError::Refused(reason) => SecretsError::Keyring(reason),
        }
    }
}

/// The secret store: the keyring when there is one that keeps what it is given, else the owner-only file.
#[derive(Debug, Clone)]
pub struct Secrets {
    file: PathBuf,
    keyring: Option<Arc<dyn Keyring>>,
}

impl Secrets {
    /// This platform's keyring first, `dir/secrets.toml` when there is none. (`DOORWATCH_SECRETS=file`
    /// makes [`crate::config::Config::secrets`] choose [`Secrets::file_only`] instead: portable installs,
    /// tests.)
    pub fn new(dir: &Path) -> Secrets {
        Secrets::with_keyring(dir, Arc::new(OsKeyring))
    }

    /// `keyring` first, `dir/secrets.toml` when it is unavailable or does not keep what it is given.
    pub fn with_keyring(dir: &Path, keyring: Arc<dyn Keyring>) -> Secrets {
        Secrets { file: dir.join("secrets.toml"), keyring: Some(keyring) }
    }

    /// Only the owner-only file, never the keyring.
    pub fn file_only(dir: &Path) -> Secrets {
        Secrets { file: dir.join("secrets.toml"), keyring: None }
    }

    /// The owner-only file used when there is no keyring that keeps secrets.
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// Reads a secret: the keyring's value, else the file's. A locked keyring is an error
    /// ([`SecretsError::Locked`]), never "no secret": the caller fails closed and asks again later.
    pub fn get(&self, secret: Secret) -> Result<Option<String>, SecretsError> {
        if let Some(keyring) = &self.keyring {
            match keyring.get(secret.name()) {
                Ok(Some(value)) => return Ok(Some(value)),
                Ok(None) | Err(KeyringError::Unavailable(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(self.read_file()?.remove(secret.name()))
    }

    /// Stores `value`; an empty value deletes the secret. Every keyring save is read back: a keyring that
    /// accepts a value and then does not return it is treated as no keyring, and the value goes to the
    /// owner-only file (see [`Secrets::kept_in_file`]).
    pub fn set(&self, secret: Secret, value: &str) -> Result<Place, SecretsError> {
        let value = value.trim();
        if value.is_empty() {
            self.delete(secret)?;
            return Ok(if self.keyring.is_some() { Place::Keyring } else { Place::File });
        }
        if let Some(keyring) = &self.keyring {
            let name = secret.name();
            match keyring.set(name, value).and_then(|()| keyring.get(name)) {
                Ok(Some(read)) if read == value => {
                    // A copy left in the file from a time without keyring would shadow nothing, but
                    // it should not linger.
                    self.remove_from_file(secret)?;
                    return Ok(Place::Keyring);
                }
                Ok(_) => {
                    tracing::warn!(
                        "the system keyring accepted a secret but did not give it back; keeping secrets in \
                         the owner-only file instead"
                    );
                    let _ = keyring.delete(name); // nothing stale may shadow the file's value
                }
                Err(KeyringError::Unavailable(e)) => {
                    tracing::info!("no system keyring ({e}); keeping secrets in the owner-only file");
                }
                Err(e) => return Err(e.into()),
            }
        }
        self.change_file(|all| all.insert(secret.name().to_owned(), value.to_owned()).as_deref() != Some(value))?;
        Ok(Place::File)
    }

    pub fn delete(&self, secret: Secret) -> Result<(), SecretsError> {
        if let Some(keyring) = &self.keyring {
            match keyring.delete(secret.name()) {
                Ok(()) | Err(KeyringError::Unavailable(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        self.remove_from_file(secret)
    }

    /// True when secrets live in the owner-only file: there is no keyring, or the file holds any (the
    /// keyring was missing or did not keep them). Settings says so, with the file's path.
    pub fn kept_in_file(&self) -> Result<bool, SecretsError> {
        Ok(self.keyring.is_none() || !self.read_file()?.is_empty())
    }

    fn remove_from_file(&self, secret: Secret) -> Result<(), SecretsError> {
        self.change_file(|all| all.remove(secret.name()).is_some())
    }

    /// Reads the file, lets `change` edit the secrets (true when it changed something) and writes them
    /// back, holding `secrets.toml.lock` throughout: two writers at once (the app and `doorwatch kisi
    /// setup`) each keep the other's secret instead of the last one's copy winning.
    fn change_file(&self, change: impl FnOnce(&mut BTreeMap<String, String>) -> bool) -> Result<(), SecretsError> {
        let io = |source| SecretsError::Io { path: self.file.clone(), source };
        let lock_path = self.file.with_extension("toml.lock");
        if let Some(dir) = lock_path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let mut options = std::fs::OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let lock = options.open(&lock_path).map_err(io)?;
        lock.lock().map_err(io)?;
        let mut all = self.read_file()?;
        if change(&mut all) {
            self.write_file(&all)?;
        }
        Ok(()) // the lock is released when `lock` is closed
    }

    fn read_file(&self) -> Result<BTreeMap<String, String>, SecretsError> {
        match std::fs::read_to_string(&self.file) {
            Ok(text) => toml::from_str(&text).map_err(|e| SecretsError::Invalid {
                path: self.file.clone(),
                // toml's message quotes the offending line, which may hold a secret: keep only the gist.
                reason: e.message().to_owned(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
            Err(source) => Err(SecretsError::Io { path: self.file.clone(), source }),
        }
    }

    fn write_file(&self, all: &BTreeMap<String, String>) -> Result<(), SecretsError> {
        let text = format!(
            "# Doorwatch's secrets, kept here because this machine has no system keyring. Owner-only; never share.\n{}",
            toml::to_string(all).expect("a map of strings serialises")
        );
        crate::config::private_file::write(&self.file, text.as_bytes())
            .map_err(|source| SecretsError::Io { path: self.file.clone(), source })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_store_keeps_secrets_owner_only_and_deletes_them() {
        let dir = tempfile::tempdir().unwrap();
        let secrets = Secrets::file_only(dir.path());
        assert_eq!(secrets.get(Secret::SigningKey).unwrap(), None);
        assert_eq!(secrets.set(Secret::SigningKey, "  k-123  ").unwrap(), Place::File);
        secrets.set(Secret::NgrokAuthtoken, "tok").unwrap();
        assert_eq!(secrets.get(Secret::SigningKey).unwrap().as_deref(), Some("k-123"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("secrets.toml")).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        secrets.set(Secret::SigningKey, "").unwrap();
        assert_eq!(secrets.get(Secret::SigningKey).unwrap(), None);
        assert_eq!(secrets.get(Secret::NgrokAuthtoken).unwrap().as_deref(), Some("tok"));
    }

    #[test]
    fn writers_at_the_same_time_lose_no_secret() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().to_owned();
        let writers: Vec<_> = (0..8)
            .map(|i| {
                let path = path.clone();
                std::thread::spawn(move || {
                    let secret = [Secret::SigningKey, Secret::NgrokAuthtoken, Secret::KisiApiKey][i % 3];
                    // Each writer has a store of its own, as two processes would.
                    Secrets::file_only(&path).set(secret, &format!("value-{}", i % 3)).unwrap();
                })
            })
            .collect();
        writers.into_iter().for_each(|w| w.join().unwrap());
        let secrets = Secrets::file_only(&path);
        assert_eq!(secrets.get(Secret::SigningKey).unwrap().as_deref(), Some("value-0"));
        assert_eq!(secrets.get(Secret::NgrokAuthtoken).unwrap().as_deref(), Some("value-1"));
        assert_eq!(secrets.get(Secret::KisiApiKey).unwrap().as_deref(), Some("value-2"));
    }

    #[test]
    fn a_damaged_file_is_reported_without_its_contents() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("secrets.toml"), "signing-key = super-secret-unquoted\n").unwrap();
        let message = Secrets::file_only(dir.path()).get(Secret::SigningKey).unwrap_err().to_string();
        assert!(message.contains("secrets.toml"), "{message}");
        assert!(!message.contains("super-secret"), "{message}");
    }
}
