//! Keeping the receiver reachable and complete while it runs, for `doorwatch serve` and the desktop app
//! alike: the tunnel (if there is an ngrok token), Kisi's webhook following the tunnel's URL, a backfill
//! when Doorwatch starts, when the machine wakes from sleep and when the tunnel comes back after an
//! outage, and a periodic check that Kisi has not switched the webhook off. Without a token or an API
//! key each part is simply off; the local receiver never depends on any of them.
//!
//! What happens is published as one [`OnlineStatus`] value (for the tray and the status bar), and what
//! deserves the user's attention as [`Notice`]s (for a notification, or a line of `serve`'s output).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::{mpsc, watch, Notify};

use super::supervise::{supervised, Report};
use super::upkeep::{self, Shared};
use crate::config::secrets::{Secrets, SecretsError};
use crate::config::Config;
use crate::kisi::backfill::{self, Progress};
use crate::kisi::integration::Health;
use crate::kisi::Client;
use crate::receive::ingest::KeySlot;
use crate::receive::tunnel::{Tunnel, TunnelConfig, TunnelStatus};
use crate::store::Store;

/// A backfill that failed because Kisi could not be reached is tried again after this (up to
/// [`upkeep::BACKFILL_RETRIES`] times in a row).
const BACKFILL_RETRY_AFTER: Duration = Duration::from_secs(20);
/// How often Kisi's locks are read for the doors board: 12 requests an hour per 250 locks.
const DOORS_EVERY: Duration = Duration::from_secs(5 * 60);

/// Everything the status bar and tray say about reachability.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct OnlineStatus {
    pub tunnel: TunnelStatus,
    /// Where Kisi should send webhooks: the tunnel's URL, or the one entered for another tunnel.
    pub public_url: Option<String>,
    pub kisi: KisiStatus,
    /// Set while a backfill runs.
    pub catching_up: Option<CatchingUp>,
    /// The office's time zone, from the Kisi place with the most locks (`None` until read, or when no
    /// place has one).
    pub place_zone: Option<String>,
    /// Why Kisi's doors could not be read, while they cannot (the board shows the last known).
    pub doors_problem: Option<String>,
}

/// A backfill's progress, with the sentence every face shows for it.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct CatchingUp {
    #[serde(flatten)]
    pub progress: Progress,
    /// "Catching up: 1,240 of ~3,000 events".
    pub description: String,
}

impl From<&Progress> for CatchingUp {
    fn from(p: &Progress) -> CatchingUp {
        CatchingUp { progress: p.clone(), description: p.describe() }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum KisiStatus {
    /// No API key: webhooks only (no setup, backfill or health check).
    NoApiKey,
    /// A key, but no webhook integration set up yet.
    NotSetUp,
    /// The first health check is under way.
    Checking,
    Checked {
        health: Health,
        description: String,
    },
    /// The last call to Kisi failed (the key was refused, Kisi was down…).
    Trouble {
        reason: String,
    },
}

/// Something worth telling the user about once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// "While you were away: 4 failed unlocks".
    WhileAway(String),
    /// Kisi switched the webhook off (or it was deleted).
    WebhookOff(String),
    /// The webhook now points at the tunnel's new URL.
    UrlFollowed(String),
    /// A backfill or health check failed.
    Problem(String),
    /// A door went offline or came back, or a lockdown began or was lifted.
    Door { lock: i64, title: String, body: String, urgent: bool },
}

#[derive(Debug, Clone)]
pub struct OnlineConfig {
    pub tunnel: Option<TunnelConfig>,
    /// The public URL of another tunnel, when there is no ngrok token.
    pub manual_public_url: Option<String>,
    pub kisi: Option<Arc<Client>>,
    pub integration_id: Option<i64>,
    pub health_every: Duration,
    /// How often Kisi's locks are read for the doors board.
    pub doors_every: Duration,
    pub backfill: backfill::Options,
    /// Run a backfill as soon as it starts (the app and `serve` do; tests may not).
    pub backfill_on_start: bool,
    /// A backfill that failed because Kisi could not be reached is tried again after this (up to
    /// ten times in a row).
    pub backfill_retry_after: Duration,
}

impl OnlineConfig {
    /// From the resolved configuration and the secrets.
    pub fn resolve(config: &Config, secrets: &Secrets) -> Result<OnlineConfig, SecretsError> {
        let settings = &config.settings;
        let manual = settings.tunnel.public_url.trim();
        Ok(OnlineConfig {
            tunnel: config.tunnel(secrets)?,
            manual_public_url: (!manual.is_empty()).then(|| manual.to_owned()),
            kisi: config.kisi_client(secrets)?.map(Arc::new),
            integration_id: settings.kisi.integration_id,
            health_every: Duration::from_secs(u64::from(settings.kisi.health_check_minutes.max(1)) * 60),
            doors_every: DOORS_EVERY,
            backfill: backfill::Options::default(),
            backfill_on_start: true,
            backfill_retry_after: BACKFILL_RETRY_AFTER,
        })
    }
}

/// The running upkeep. Stop it with [`Online::stop`].
pub struct Online {
    shared: Arc<Shared>,
    status: watch::Receiver<OnlineStatus>,
    tunnel: Option<Tunnel>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Online {
    /// Starts the tunnel and the upkeep tasks on the current runtime. Deliveries through the tunnel go
    /// to `store`, checked with `key` (the local receiver's key slot).
    /// Its tasks are supervised: a panic is told to `report` and the task restarted.
    pub fn start(
        config: OnlineConfig,
        store: Store,
        key: KeySlot,
        report: Report,
    ) -> (Online, mpsc::UnboundedReceiver<Notice>) {
        let tunnel = config.tunnel.clone().map(|c| Tunnel::start(c, store.clone(), key));
        let status = tunnel.as_ref().map(|t| t.status());
        Online::assemble(config, store, tunnel, status, report)
    }

    /// Like [`Online::start`], but the tunnel's status comes from the caller instead of an ngrok
    /// session: the seam through which tests drive "online at URL", "offline", "back online".
    pub fn with_tunnel_status(
        config: OnlineConfig,
        store: Store,
        tunnel_status: watch::Receiver<TunnelStatus>,
    ) -> (Online, mpsc::UnboundedReceiver<Notice>) {
        Online::assemble(config, store, None, Some(tunnel_status), super::supervise::log_only())
    }

    fn assemble(
        config: OnlineConfig,
        store: Store,
        tunnel: Option<Tunnel>,
        tunnel_status: Option<watch::Receiver<TunnelStatus>>,
        report: Report,
    ) -> (Online, mpsc::UnboundedReceiver<Notice>) {
        let kisi_status = match (&config.kisi, config.integration_id) {
            (None, _) => KisiStatus::NoApiKey,
            (Some(_), None) => KisiStatus::NotSetUp,
            (Some(_), Some(_)) => KisiStatus::Checking,
        };
        let initial = OnlineStatus {
            tunnel: tunnel_status.as_ref().map(|t| t.borrow().clone()).unwrap_or(TunnelStatus::Off),
            public_url: config.manual_public_url.clone(),
            kisi: kisi_status,
            catching_up: None,
            place_zone: None,
            doors_problem: None,
        };
        let (status_tx, status) = watch::channel(initial);
        let (notices_tx, notices) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            kisi: config.kisi.clone(),
            integration_id: Mutex::new(config.integration_id),
            status: status_tx,
            catch_up: Notify::new(),
            check_health: Notify::new(),
            refresh_doors: Notify::new(),
            notices: notices_tx,
            following: tokio::sync::Mutex::new(()),
        });
        let (zone_store, doors_store) = (store.clone(), store.clone());
        let (s, backfill, retry_after) = (Arc::clone(&shared), config.backfill.clone(), config.backfill_retry_after);
        let mut tasks = vec![supervised("the backfill", report.clone(), move || {
            upkeep::backfills(Arc::clone(&s), store.clone(), backfill.clone(), retry_after)
        })];
        if shared.kisi.is_some() {
            let (s, every) = (Arc::clone(&shared), config.health_every);
            tasks.push(supervised("the webhook check", report.clone(), move || {
                upkeep::health_checks(Arc::clone(&s), every)
            }));
            let s = Arc::clone(&shared);
            tasks.push(supervised("the wake watch", report.clone(), move || upkeep::wake_watch(Arc::clone(&s))));
            let s = Arc::clone(&shared);
            tasks.push(supervised("the place's time zone", report.clone(), move || {
                upkeep::place_zone(Arc::clone(&s), zone_store.clone())
            }));
            let (s, every) = (Arc::clone(&shared), config.doors_every);
            tasks.push(supervised("the doors board", report.clone(), move || {
                super::doors::refresh(Arc::clone(&s), doors_store.clone(), every)
            }));
            if config.backfill_on_start {
                shared.catch_up.notify_one();
            }
        }
        if let Some(tunnel_status) = tunnel_status {
            let s = Arc::clone(&shared);
            tasks.push(supervised("the tunnel watch", report, move || {
                upkeep::follow_tunnel(Arc::clone(&s), tunnel_status.clone())
            }));
        }
        (Online { shared, status, tunnel, tasks }, notices)
    }

    pub fn status(&self) -> watch::Receiver<OnlineStatus> {
        self.status.clone()
    }

    /// Runs a backfill now (or right after the one under way).
    pub fn catch_up(&self) {
        self.shared.catch_up.notify_one();
    }

    /// Checks the webhook's health now.
    pub fn check_health(&self) {
        self.shared.check_health.notify_one();
    }

    /// Reads Kisi's doors again now (after a lockdown changed here).
    pub fn refresh_doors(&self) {
        self.shared.refresh_doors.notify_one();
    }

    /// After setup: the integration to watch from now on.
    pub fn set_integration(&self, id: i64) {
        *self.shared.integration_id.lock().unwrap_or_else(|p| p.into_inner()) = Some(id);
        self.shared.status.send_modify(|s| s.kisi = KisiStatus::Checking);
        self.shared.check_health.notify_one();
    }

    pub fn kisi(&self) -> Option<&Arc<Client>> {
        self.shared.kisi.as_ref()
    }

    pub fn integration_id(&self) -> Option<i64> {
        self.shared.integration()
    }

    pub async fn stop(mut self) {
        for task in self.tasks.drain(..) {
            task.abort();
        }
        if let Some(tunnel) = self.tunnel.take() {
            tunnel.stop().await;
        }
    }
}

impl Drop for Online {
    /// Dropped without `stop` (replaced by a newer one): its tasks end with it rather than run on twice.
    /// (A dropped tunnel closes itself: its stop channel's sender goes with it.)
    fn drop(&mut self) {
        for task in self.tasks.drain(..) {
            task.abort();
        }
    }
}
