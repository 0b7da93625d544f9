//! What the window, the tray and the web view show of the running Doorwatch, as values: the status
//! (with its one-line summary) and the settings as the Settings panel edits them.

use std::path::PathBuf;

use serde::Serialize;

use super::{Doorwatch, KisiStatus, OnlineStatus};
use crate::app::status::Status;
use crate::config::secrets::{Secret, SecretsError};
use crate::config::{env, Origin, Settings};
use crate::kisi::integration::{self, Health};
use crate::receive::ingest::KeySlot;
use crate::receive::tunnel::TunnelStatus;
use crate::store::StoreError;

/// The store's status plus the running state and the line the tray shows.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct StatusView {
    #[serde(flatten)]
    pub status: Status,
    pub summary: String,
    #[ts(type = "number | null")]
    pub alerts_paused_until: Option<i64>,
    pub receiver_error: Option<String>,
    pub settings_error: Option<String>,
    /// The setting `settings_error` is about (`alerts.quiet_from`), when known: the window opens Settings on it.
    pub settings_field: Option<String>,
    /// Tunnel, Kisi webhook and catching up; `None` while the receiver is not running.
    pub online: Option<OnlineStatus>,
    /// The URL to give Kisi (public when there is a tunnel).
    pub webhook_url: Option<String>,
    /// "3 min ago": when the last event arrived, in the words the tray uses too.
    pub last_event_ago: Option<String>,
    /// When (Unix ms) `last_event_ago` will say something else: the window reads the status again then,
    /// and never on a timer otherwise. `None` when nothing here ages.
    #[ts(type = "number | null")]
    pub words_change_at: Option<i64>,
    /// What about trusting deliveries needs the user (the signing key cannot be read; the receiver is
    /// public without one): the window shows it as a banner.
    pub trust_problem: Option<String>,
    /// A task that stopped unexpectedly and was restarted: the window says so until the next start.
    pub task_failure: Option<String>,
    /// Something needs the user (the receiver or the tunnel is down, Kisi switched the webhook off, a
    /// trust problem): the tray shows trouble.
    pub trouble: bool,
}

#[derive(Debug, Serialize, ts_rs::TS)]
pub struct SettingsView {
    pub settings: Settings,
    pub signing_key_set: bool,
    #[ts(type = "string")]
    pub database_path: PathBuf,
    #[ts(type = "string")]
    pub settings_path: PathBuf,
    /// Which layer decided the listen address (a flag or DOORWATCH_LISTEN overrides the file).
    pub listen_origin: Origin,
    pub listening_on: Option<String>,
    pub ngrok_token_set: bool,
    pub kisi_key_set: bool,
    /// NGROK_AUTHTOKEN / KISI_API_KEY decide, not the saved secrets.
    pub ngrok_token_from_env: bool,
    pub kisi_key_from_env: bool,
    /// The owner-only file the secrets are kept in, when they are not in the system keyring (there is
    /// none, or it did not keep what it was given); `None` while the keyring holds them.
    pub secrets_file: Option<String>,
}

/// What about trusting deliveries needs the user, in a few words: the key cannot be read, or the
/// receiver is public without one.
pub fn trust_problem(slot: &KeySlot) -> Option<String> {
    if let Some(why) = slot.unreadable() {
        return Some(format!("signing key unreadable, deliveries wait: {why}"));
    }
    if slot.refuses_unsigned() {
        return Some("public without a signing key: unsigned deliveries are refused (set the key in Settings)".into());
    }
    if slot.accepts_unsigned_publicly() {
        return Some("public without a signing key: anyone with the URL can add events".into());
    }
    None
}

/// What about reachability needs the user, in a few words.
pub fn attention(online: &OnlineStatus) -> Option<String> {
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

impl Doorwatch {
    /// The URL Kisi should call: the public one when there is one, else the local one.
    pub fn webhook_url(&self) -> Option<String> {
        let public = self.with_online(|o| o.status().borrow().public_url.clone()).flatten();
        match public.and_then(|p| integration::webhook_url(&p).ok()) {
            Some(url) => Some(url),
            None => self.with_receiver(|r| r.local_url()),
        }
    }

    pub fn status_view(&self) -> Result<StatusView, StoreError> {
        let (url, receiving, signing) = self
            .with_receiver(|r| (r.local_url(), true, r.signature_check_on()))
            .unwrap_or_else(|| (String::new(), false, false));
        let now = chrono::Local::now();
        let status = match self.read(|r| Status::read(r, url.clone(), receiving, signing, &now)) {
            Ok(s) => s,
            // No database yet (the receiver could not start): still say what is known.
            Err(StoreError::NoDatabase(_)) => Status::nothing_stored(url, receiving, signing),
            Err(e) => return Err(e),
        };
        let utc = chrono::Utc::now();
        let running = self.running().borrow().clone();
        let trust = self.with_receiver(|r| trust_problem(&r.key_slot())).flatten();
        let problem = trust
            .clone()
            .or_else(|| running.task_failure.clone())
            .or_else(|| running.online.as_ref().and_then(attention));
        let summary = match (&running.receiver_error, &problem) {
            (Some(e), _) => format!("Not receiving: {e}"),
            (None, Some(problem)) => format!("{} · {problem}", status.summary(utc)),
            (None, None) => status.summary(utc),
        };
        let now = utc.timestamp_millis();
        let last_event_ago = status.last_event_at.map(|at| crate::app::status::ago(now - at));
        let words_change_at = status.last_event_at.map(|at| now + crate::app::status::ago_changes_in(now - at));
        Ok(StatusView {
            last_event_ago,
            words_change_at,
            status,
            summary,
            alerts_paused_until: self.alerts_paused_until().map(|t| t.timestamp_millis()),
            trouble: running.receiver_error.is_some() || problem.is_some(),
            trust_problem: trust,
            task_failure: running.task_failure.clone(),
            receiver_error: running.receiver_error,
            settings_error: self.settings_error().map(|p| p.message.clone()),
            settings_field: self.settings_error().and_then(|p| p.setting.clone()),
            online: running.online,
            webhook_url: self.webhook_url(),
        })
    }

    /// Settings opens while the keyring is locked too: a secret that cannot be read counts as not set
    /// there (the status says why deliveries wait), rather than keeping the whole panel shut.
    pub fn settings_view(&self) -> Result<SettingsView, SecretsError> {
        let config = self.config();
        let secrets = self.secrets();
        let is_set = |read: Result<bool, SecretsError>| match read {
            Err(e) if e.is_locked() => Ok(false),
            other => other,
        };
        let signing_key_set = match self.with_receiver(|r| r.signature_check_on()) {
            Some(on) => on,
            None => is_set(secrets.get(Secret::SigningKey).map(|k| k.is_some()))?,
        };
        let ngrok_token_set = is_set(config.ngrok_authtoken(secrets).map(|t| t.is_some()))?;
        let kisi_key_set = is_set(config.kisi_client(secrets).map(|k| k.is_some()))?;
        Ok(SettingsView {
            signing_key_set,
            database_path: config.db.clone(),
            settings_path: config.settings_path.clone(),
            listen_origin: config.listen_origin,
            listening_on: self.with_receiver(|r| r.addr().to_string()),
            ngrok_token_set,
            kisi_key_set,
            ngrok_token_from_env: config.env.is_set(env::NGROK_AUTHTOKEN),
            kisi_key_from_env: config.env.is_set(env::KISI_API_KEY),
            secrets_file: secrets.kept_in_file()?.then(|| secrets.file().display().to_string()),
            settings: config.settings,
        })
    }
}

/// Why "Send test event" did not end with a stored event.
#[derive(Debug, thiserror::Error)]
pub enum SendTestError {
    #[error("The receiver is not running, so there is nothing to test.")]
    NotReceiving,
    #[error("{0}")]
    Send(#[from] crate::kisi::sample::SendError),
    #[error("The receiver answered {status}: {body}")]
    Rejected { status: u16, body: String },
}

impl Doorwatch {
    /// Posts a signed sample event to this Doorwatch's own receiver, as Kisi would: signed with the key
    /// the receiver checks right now (a key just set in Settings or by setup counts).
    pub async fn send_test_event(&self, failed: bool) -> Result<String, SendTestError> {
        let (url, key) =
            self.with_receiver(|r| (r.local_url(), r.key_slot().get())).ok_or(SendTestError::NotReceiving)?;
        let body = crate::kisi::sample::sample_event(failed, chrono::Utc::now());
        let answer = crate::kisi::sample::send(&url, body, key.as_ref()).await?;
        if (200..300).contains(&answer.status) {
            Ok("Test event received and stored.".to_owned())
        } else {
            Err(SendTestError::Rejected { status: answer.status, body: answer.body })
        }
    }
}
