//! How Doorwatch is configured, resolved once for every face of it: command-line flags > environment
//! ([`env`]) > `settings.toml` ([`settings`]) > documented defaults. Secrets not in the environment come
//! from the keyring ([`secrets`]). `doorwatch serve`, `send-test`, `events`, `backfill`, `kisi …` and the
//! desktop app all start from a [`Config`], so the same settings file means the same Doorwatch
//! whichever face starts it.

pub mod env;
pub mod keyring;
pub mod paths;
pub(crate) mod private_file;
mod rules_file;
pub mod secrets;
pub mod settings;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;

use crate::kisi::{self, ApiKey};
use crate::receive::signature::SigningKey;
use crate::receive::tunnel::{Authtoken, TunnelConfig};
use crate::store::{StoreOptions, Synchronous};
pub use env::Environment;
use keyring::Keyring;
use secrets::{Secret, Secrets, SecretsError};
pub use settings::{parse_listen, Settings, SettingsError, DEFAULT_LISTEN};

/// What the command line says; `None` leaves the choice to the environment, the file or the default.
#[derive(Debug, Clone, Default)]
pub struct Flags {
    pub db: Option<PathBuf>,
    pub listen: Option<SocketAddr>,
    /// `--relaxed-durability`.
    pub relaxed_durability: Option<bool>,
}

/// Which layer decided a value, for "set by DOORWATCH_LISTEN" in Settings and for tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    Flag,
    Environment,
    Settings,
    Default,
}

/// A value the environment sets badly: which variable, and why.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error("{var}: {reason}")]
    Environment { var: &'static str, reason: String },
    #[error("the settings file {path}: {reason}")]
    Invalid { path: PathBuf, reason: String },
}

impl ConfigError {
    /// The setting a bad value is in (`alerts.burst_window_secs`), when the error names one: the app opens
    /// Settings on it.
    pub fn setting(&self) -> Option<String> {
        // A rule's problem names the rule (`rule "Night": hours: …`): Settings shows it on the rules.
        let (ConfigError::Invalid { reason, .. } | ConfigError::Settings(SettingsError::Invalid { reason, .. })) = self
        else {
            return None;
        };
        if reason.lines().any(|l| l.starts_with("rule \"")) {
            return Some("rule".to_owned());
        }
        let ConfigError::Invalid { .. } = self else { return None };
        let (name, _) = reason.split_once(": ")?;
        let is_name = !name.is_empty() && name.chars().all(|c| c.is_ascii_lowercase() || c == '_' || c == '.');
        is_name.then(|| name.to_owned())
    }
}

/// The resolved configuration: where the files are, and every value the running Doorwatch uses.
#[derive(Debug, Clone)]
pub struct Config {
    pub env: Environment,
    pub config_dir: PathBuf,
    pub settings_path: PathBuf,
    /// The file's settings (or the defaults), as the user wrote them: Settings edits these.
    pub settings: Settings,
    pub db: PathBuf,
    pub db_origin: Origin,
    pub listen: SocketAddr,
    pub listen_origin: Origin,
    pub durability: Synchronous,
    pub durability_origin: Origin,
    /// The keyring to keep secrets in instead of this platform's (tests: one that forgets, one that is
    /// locked); `None` is the platform's, or the file with `DOORWATCH_SECRETS=file`.
    pub keyring: Option<Arc<dyn Keyring>>,
}

impl Config {
    /// Reads `settings.toml` from the config folder (`DOORWATCH_CONFIG_DIR`, else the platform's) and
    /// resolves. A file that does not parse, or a value out of range, is an error naming the file and
    /// the setting.
    pub fn load(flags: &Flags, env: Environment) -> Result<Config, ConfigError> {
        let settings_path = settings_path(&env);
        let settings = Settings::load(&settings_path)?;
        // Checked here, once, for every face: a value out of range is a message naming the setting, never
        // a task that panics later (a burst window of 10^16 seconds overflowed inside the feed).
        settings.validate().map_err(|reason| ConfigError::Invalid { path: settings_path.clone(), reason })?;
        Config::resolve(flags, env, settings, settings_path)
    }

    /// Resolves from settings already read (the app keeps running on the defaults when the file is bad).
    pub fn resolve(
        flags: &Flags,
        env: Environment,
        settings: Settings,
        settings_path: PathBuf,
    ) -> Result<Config, ConfigError> {
        let config_dir = settings_path.parent().map(PathBuf::from).unwrap_or_default();
        let (db, db_origin) = match (&flags.db, env.get(env::DB)) {
            (Some(db), _) => (db.clone(), Origin::Flag),
            (None, Some(db)) => (PathBuf::from(db), Origin::Environment),
            (None, None) => (paths::default_db(), Origin::Default),
        };
        let (listen, listen_origin) = match (flags.listen, env.get(env::LISTEN)) {
            (Some(addr), _) => (addr, Origin::Flag),
            (None, Some(text)) => {
                let addr =
                    parse_listen(text).map_err(|reason| ConfigError::Environment { var: env::LISTEN, reason })?;
                (addr, Origin::Environment)
            }
            (None, None) => {
                let addr = parse_listen(&settings.listen).map_err(|reason| ConfigError::Invalid {
                    path: settings_path.clone(),
                    reason: format!("listen: {reason}"),
                })?;
                let origin = if settings.listen.trim() == DEFAULT_LISTEN { Origin::Default } else { Origin::Settings };
                (addr, origin)
            }
        };
        let (relaxed, durability_origin) = match flags.relaxed_durability {
            Some(relaxed) => (relaxed, Origin::Flag),
            None if settings.relaxed_durability => (true, Origin::Settings),
            None => (false, Origin::Default),
        };
        Ok(Config {
            env,
            config_dir,
            settings_path,
            settings,
            db,
            db_origin,
            listen,
            listen_origin,
            durability: if relaxed { Synchronous::Normal } else { Synchronous::Full },
            durability_origin,
            keyring: None,
        })
    }

    /// The same flags and environment over newly saved settings.
    pub fn with_settings(&self, settings: Settings, flags: &Flags) -> Result<Config, ConfigError> {
        let mut config = Config::resolve(flags, self.env.clone(), settings, self.settings_path.clone())?;
        config.keyring = self.keyring.clone();
        Ok(config)
    }

    pub fn store_options(&self) -> StoreOptions {
        StoreOptions { synchronous: self.durability, ..StoreOptions::default() }
    }

    /// The secret store beside the settings file (the keyring first unless `DOORWATCH_SECRETS=file`).
    pub fn secrets(&self) -> Secrets {
        if let Some(keyring) = &self.keyring {
            Secrets::with_keyring(&self.config_dir, keyring.clone())
        } else if self.env.get(env::SECRETS) == Some("file") {
            Secrets::file_only(&self.config_dir)
        } else {
            Secrets::new(&self.config_dir)
        }
    }

    /// The webhook's signing key: `DOORWATCH_SIGNING_KEY`, else the saved one.
    pub fn signing_key(&self, secrets: &Secrets) -> Result<Option<SigningKey>, SecretsError> {
        match self.env.get(env::SIGNING_KEY) {
            Some(key) => Ok(SigningKey::new(key)),
            None => Ok(secrets.get(Secret::SigningKey)?.and_then(|k| SigningKey::new(&k))),
        }
    }

    /// The signing key text the environment fixes, if it does (setup must then give Kisi that one).
    pub fn signing_key_from_env(&self) -> Option<&str> {
        self.env.get(env::SIGNING_KEY)
    }

    /// The ngrok authtoken: `NGROK_AUTHTOKEN`, else the saved one.
    pub fn ngrok_authtoken(&self, secrets: &Secrets) -> Result<Option<Authtoken>, SecretsError> {
        match self.env.get(env::NGROK_AUTHTOKEN) {
            Some(token) => Ok(Authtoken::new(token)),
            None => Ok(secrets.get(Secret::NgrokAuthtoken)?.and_then(|t| Authtoken::new(&t))),
        }
    }

    /// The tunnel to open, if there is a token: its fixed domain from `NGROK_DOMAIN` or the settings.
    pub fn tunnel(&self, secrets: &Secrets) -> Result<Option<TunnelConfig>, SecretsError> {
        Ok(self.ngrok_authtoken(secrets)?.map(|authtoken| TunnelConfig {
            authtoken,
            domain: self
                .env
                .get(env::NGROK_DOMAIN)
                .map(str::to_owned)
                .or_else(|| Some(self.settings.tunnel.domain.trim().to_owned()))
                .filter(|d| !d.is_empty()),
            server_addr: self.env.get(env::NGROK_SERVER).map(str::to_owned),
        }))
    }

    /// Kisi's API: `KISI_API_BASE`, else Kisi's own.
    pub fn kisi_base(&self) -> &str {
        self.env.get(env::KISI_API_BASE).unwrap_or(kisi::DEFAULT_BASE)
    }

    /// A Kisi API client, if there is a key: `KISI_API_KEY`, else the saved one.
    pub fn kisi_client(&self, secrets: &Secrets) -> Result<Option<kisi::Client>, SecretsError> {
        let key = match self.env.get(env::KISI_API_KEY) {
            Some(key) => ApiKey::new(key),
            None => secrets.get(Secret::KisiApiKey)?.and_then(|k| ApiKey::new(&k)),
        };
        Ok(key.map(|key| kisi::Client::new(self.kisi_base(), key)))
    }
}

/// `settings.toml` in `DOORWATCH_CONFIG_DIR`, else in the platform's config folder.
pub fn settings_path(env: &Environment) -> PathBuf {
    let dir = env.get(env::CONFIG_DIR).map(PathBuf::from).unwrap_or_else(paths::default_config_dir);
    dir.join(paths::SETTINGS_FILE)
}

#[cfg(test)]
mod tests;
