//! What the shell keeps while it runs: the receiver, a read connection, the settings, the secrets and
//! the alert policy. Each is the core's own type; the shell only holds them.

use std::path::PathBuf;
use std::sync::atomic::AtomicU32;
use std::sync::Mutex;

use doorwatch::alert::AlertPolicy;
use doorwatch::app::online::{Online, OnlineStatus};
use doorwatch::config::secrets::Secrets;
use doorwatch::config::settings::Settings;
use doorwatch::receive::Receiver;
use doorwatch::store::{Reader, StoreError};

pub struct Paths {
    pub db: PathBuf,
    pub settings: PathBuf,
    pub config_dir: PathBuf,
}

pub struct AppState {
    pub paths: Paths,
    pub receiver: Mutex<Option<Receiver>>,
    /// The tunnel and Kisi upkeep, while the receiver runs.
    pub online: Mutex<Option<Online>>,
    /// Counts restarts of the upkeep, so that of two quick restarts only the later one's result stays.
    pub online_generation: std::sync::atomic::AtomicU64,
    /// Why the receiver is not running, when it is not.
    pub receiver_error: Mutex<Option<String>>,
    /// Why the settings file could not be read (the defaults are in use meanwhile).
    pub settings_error: Option<String>,
    pub reader: Mutex<Option<Reader>>,
    pub settings: Mutex<Settings>,
    /// True when DOORWATCH_LISTEN decides the address, not the settings file.
    pub listen_from_env: bool,
    pub secrets: Secrets,
    pub policy: Mutex<AlertPolicy>,
    /// Failed unlocks alerted since the window was last opened: the tray's attention state.
    pub unseen_failures: AtomicU32,
    /// The window's channel for live events, while a window is listening.
    pub ui_channel: Mutex<Option<tauri::ipc::Channel<crate::feed::FeedMessage>>>,
}

impl AppState {
    /// Runs `f` with the shared read connection, opening it on first use.
    pub fn read<T>(&self, f: impl FnOnce(&Reader) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let mut slot = self.reader.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_none() {
            *slot = Some(Reader::open(&self.paths.db)?);
        }
        f(slot.as_ref().expect("opened above"))
    }

    pub fn with_receiver<T>(&self, f: impl FnOnce(&Receiver) -> T) -> Option<T> {
        self.receiver.lock().unwrap_or_else(|p| p.into_inner()).as_ref().map(f)
    }

    pub fn with_online<T>(&self, f: impl FnOnce(&Online) -> T) -> Option<T> {
        self.online.lock().unwrap_or_else(|p| p.into_inner()).as_ref().map(f)
    }

    pub fn online_status(&self) -> Option<OnlineStatus> {
        self.with_online(|o| o.status().borrow().clone())
    }

    /// The URL Kisi should call: the public one when there is one, else the local one.
    pub fn webhook_url(&self) -> Option<String> {
        let public = self.online_status().and_then(|s| s.public_url);
        match public.and_then(|p| doorwatch::kisi::integration::webhook_url(&p).ok()) {
            Some(url) => Some(url),
            None => self.with_receiver(|r| r.local_url()),
        }
    }
}

/// The core's status plus what only the shell knows (alerts paused, the tray's one-line summary).
#[derive(serde::Serialize, ts_rs::TS)]
pub struct StatusView {
    #[serde(flatten)]
    pub status: doorwatch::app::status::Status,
    pub summary: String,
    #[ts(type = "number | null")]
    pub alerts_paused_until: Option<i64>,
    pub receiver_error: Option<String>,
    pub settings_error: Option<String>,
    /// Tunnel, Kisi webhook and catching up; `None` while the receiver is not running.
    pub online: Option<OnlineStatus>,
    /// The URL to give Kisi (public when there is a tunnel).
    pub webhook_url: Option<String>,
}

#[derive(serde::Serialize, ts_rs::TS)]
pub struct SettingsView {
    pub settings: Settings,
    pub signing_key_set: bool,
    #[ts(type = "string")]
    pub database_path: PathBuf,
    #[ts(type = "string")]
    pub settings_path: PathBuf,
    pub listen_overridden_by_env: bool,
    pub listening_on: Option<String>,
    pub ngrok_token_set: bool,
    pub kisi_key_set: bool,
    /// NGROK_AUTHTOKEN / KISI_API_KEY decide, not the saved secrets.
    pub ngrok_token_from_env: bool,
    pub kisi_key_from_env: bool,
}

impl AppState {
    pub fn status(&self) -> Result<StatusView, StoreError> {
        let (url, receiving, signing) = self
            .with_receiver(|r| (r.local_url(), true, r.signature_check_on()))
            .unwrap_or_else(|| (String::new(), false, false));
        let now = chrono::Local::now();
        let status = match self.read(|r| doorwatch::app::status::Status::read(r, url.clone(), receiving, signing, &now))
        {
            Ok(s) => s,
            // No database yet (the receiver could not start): still say what is known.
            Err(StoreError::NoDatabase(_)) => doorwatch::app::status::Status {
                local_url: url,
                receiving,
                signature_check: signing,
                last_event_at: None,
                today: Default::default(),
                rejections: vec![],
                events_total: 0,
            },
            Err(e) => return Err(e),
        };
        let utc = chrono::Utc::now();
        let paused = self.policy.lock().unwrap_or_else(|p| p.into_inner()).paused_until(utc);
        let receiver_error = self.receiver_error.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let online = self.online_status();
        let summary = match (&receiver_error, &online) {
            (Some(e), _) => format!("Not receiving: {e}"),
            (None, Some(o)) => match attention(o) {
                Some(problem) => format!("{} · {problem}", status.summary(utc)),
                None => status.summary(utc),
            },
            (None, None) => status.summary(utc),
        };
        Ok(StatusView {
            status,
            summary,
            alerts_paused_until: paused.map(|t| t.timestamp_millis()),
            receiver_error,
            settings_error: self.settings_error.clone(),
            online,
            webhook_url: self.webhook_url(),
        })
    }

    pub fn settings_view(&self) -> Result<SettingsView, doorwatch::config::secrets::SecretsError> {
        let signing_key_set = match self.with_receiver(|r| r.signature_check_on()) {
            Some(on) => on,
            None => self.secrets.get(doorwatch::config::secrets::Secret::SigningKey)?.is_some(),
        };
        Ok(SettingsView {
            settings: self.settings.lock().unwrap_or_else(|p| p.into_inner()).clone(),
            signing_key_set,
            database_path: self.paths.db.clone(),
            settings_path: self.paths.settings.clone(),
            listen_overridden_by_env: self.listen_from_env,
            listening_on: self.with_receiver(|r| r.addr().to_string()),
            ngrok_token_set: doorwatch::config::ngrok_authtoken(&self.secrets)?.is_some(),
            kisi_key_set: doorwatch::config::kisi_client(&self.secrets)?.is_some(),
            ngrok_token_from_env: env_set(doorwatch::receive::tunnel::ENV_AUTHTOKEN),
            kisi_key_from_env: env_set(doorwatch::kisi::ENV_API_KEY),
        })
    }
}

fn env_set(var: &str) -> bool {
    std::env::var(var).is_ok_and(|v| !v.trim().is_empty())
}

/// What about reachability needs the user, in a few words: the tray shows trouble for it.
pub fn attention(online: &OnlineStatus) -> Option<String> {
    use doorwatch::app::online::KisiStatus;
    use doorwatch::kisi::integration::Health;
    use doorwatch::receive::tunnel::TunnelStatus;
    if let TunnelStatus::Offline { reason, .. } = &online.tunnel {
        return Some(format!("tunnel offline: {reason}"));
    }
    match &online.kisi {
        KisiStatus::Checked { health, description } if !matches!(health, Health::Enabled { .. }) => {
            Some(description.clone())
        }
        KisiStatus::Trouble { reason } => Some(format!("Kisi: {reason}")),
        _ => None,
    }
}
