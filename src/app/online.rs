//! Keeping the receiver reachable and complete while it runs, for `doorwatch serve` and the desktop app
//! alike: the tunnel (if there is an ngrok token), Kisi's webhook following the tunnel's URL, a backfill
//! when Doorwatch starts, when the machine wakes from sleep and when the tunnel comes back after an
//! outage, and a periodic check that Kisi has not switched the webhook off. Without a token or an API
//! key each part is simply off; the local receiver never depends on any of them.
//!
//! What happens is published as one [`OnlineStatus`] value (for the tray and the status bar), and what
//! deserves the user's attention as [`Notice`]s (for a notification, or a line of `serve`'s output).

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use serde::Serialize;
use tokio::sync::{mpsc, watch, Notify};

use crate::config::secrets::{Secrets, SecretsError};
use crate::config::Config;
use crate::kisi::backfill::{self, Progress};
use crate::kisi::integration::{self, Health};
use crate::kisi::{Client, KisiError};
use crate::receive::ingest::KeySlot;
use crate::receive::tunnel::{Tunnel, TunnelConfig, TunnelStatus};
use crate::store::Store;

/// How often the wall clock is compared with the monotonic clock to notice a sleep.
const WAKE_CHECK: Duration = Duration::from_secs(15);
/// A backfill that failed because Kisi could not be reached is tried again after this, this many times
/// in a row.
const BACKFILL_RETRY_AFTER: Duration = Duration::from_secs(20);
const BACKFILL_RETRIES: u32 = 10;

/// Everything the status bar and tray say about reachability.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct OnlineStatus {
    pub tunnel: TunnelStatus,
    /// Where Kisi should send webhooks: the tunnel's URL, or the one entered for another tunnel.
    pub public_url: Option<String>,
    pub kisi: KisiStatus,
    /// Set while a backfill runs.
    pub catching_up: Option<CatchingUp>,
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
}

#[derive(Debug, Clone)]
pub struct OnlineConfig {
    pub tunnel: Option<TunnelConfig>,
    /// The public URL of another tunnel, when there is no ngrok token.
    pub manual_public_url: Option<String>,
    pub kisi: Option<Arc<Client>>,
    pub integration_id: Option<i64>,
    pub health_every: Duration,
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

struct Shared {
    kisi: Option<Arc<Client>>,
    integration_id: Mutex<Option<i64>>,
    status: watch::Sender<OnlineStatus>,
    catch_up: Notify,
    check_health: Notify,
    notices: mpsc::UnboundedSender<Notice>,
    /// Held while pointing Kisi's webhook at the tunnel, so the tunnel follower and the health check
    /// never both see the old address and both change it.
    following: tokio::sync::Mutex<()>,
}

impl Shared {
    /// Points the webhook at `webhook` unless it already is; `Ok(true)` when it was changed.
    async fn follow(&self, client: &Client, id: i64, webhook: &str) -> Result<bool, KisiError> {
        let _one_at_a_time = self.following.lock().await;
        let changed = integration::follow_url(client, id, webhook).await?;
        if changed {
            self.notify(Notice::UrlFollowed(webhook.to_owned()));
        }
        Ok(changed)
    }

    fn integration(&self) -> Option<i64> {
        *self.integration_id.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn notify(&self, notice: Notice) {
        let _ = self.notices.send(notice);
    }
}

impl Online {
    /// Starts the tunnel and the upkeep tasks on the current runtime. Deliveries through the tunnel go
    /// to `store`, checked with `key` (the local receiver's key slot).
    pub fn start(config: OnlineConfig, store: Store, key: KeySlot) -> (Online, mpsc::UnboundedReceiver<Notice>) {
        let tunnel = config.tunnel.clone().map(|c| Tunnel::start(c, store.clone(), key));
        let status = tunnel.as_ref().map(|t| t.status());
        Online::assemble(config, store, tunnel, status)
    }

    /// Like [`Online::start`], but the tunnel's status comes from the caller instead of an ngrok
    /// session: the seam through which tests drive "online at URL", "offline", "back online".
    pub fn with_tunnel_status(
        config: OnlineConfig,
        store: Store,
        tunnel_status: watch::Receiver<TunnelStatus>,
    ) -> (Online, mpsc::UnboundedReceiver<Notice>) {
        Online::assemble(config, store, None, Some(tunnel_status))
    }

    fn assemble(
        config: OnlineConfig,
        store: Store,
        tunnel: Option<Tunnel>,
        tunnel_status: Option<watch::Receiver<TunnelStatus>>,
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
        };
        let (status_tx, status) = watch::channel(initial);
        let (notices_tx, notices) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            kisi: config.kisi.clone(),
            integration_id: Mutex::new(config.integration_id),
            status: status_tx,
            catch_up: Notify::new(),
            check_health: Notify::new(),
            notices: notices_tx,
            following: tokio::sync::Mutex::new(()),
        });
        let mut tasks = vec![tokio::spawn(backfills(
            Arc::clone(&shared),
            store,
            config.backfill.clone(),
            config.backfill_retry_after,
        ))];
        if shared.kisi.is_some() {
            tasks.push(tokio::spawn(health_checks(Arc::clone(&shared), config.health_every)));
            tasks.push(tokio::spawn(wake_watch(Arc::clone(&shared))));
            if config.backfill_on_start {
                shared.catch_up.notify_one();
            }
        }
        if let Some(tunnel_status) = tunnel_status {
            tasks.push(tokio::spawn(follow_tunnel(Arc::clone(&shared), tunnel_status)));
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

/// Mirrors the tunnel's status; when it comes online with a URL Kisi does not have, points the webhook
/// there; when it comes back after an outage, catches up.
async fn follow_tunnel(shared: Arc<Shared>, mut tunnel: watch::Receiver<TunnelStatus>) {
    let mut was_offline = false;
    loop {
        let now = tunnel.borrow_and_update().clone();
        shared.status.send_modify(|s| {
            s.tunnel = now.clone();
            if let Some(url) = now.url() {
                s.public_url = Some(url.to_owned());
            }
        });
        match &now {
            TunnelStatus::Online { url } => {
                if let (Some(client), Some(id)) = (&shared.kisi, shared.integration()) {
                    match integration::webhook_url(url) {
                        Ok(webhook) => match shared.follow(client, id, &webhook).await {
                            Ok(_) => {}
                            Err(e) => {
                                shared.notify(Notice::Problem(format!("could not update the Kisi webhook: {e}")));
                                // The health check compares the addresses and tries again.
                                let again = Arc::clone(&shared);
                                tokio::spawn(async move {
                                    tokio::time::sleep(Duration::from_secs(30)).await;
                                    again.check_health.notify_one();
                                });
                            }
                        },
                        Err(e) => tracing::warn!("tunnel URL unusable: {e}"),
                    }
                }
                if was_offline {
                    shared.catch_up.notify_one();
                }
                was_offline = false;
            }
            TunnelStatus::Offline { .. } => was_offline = true,
            _ => {}
        }
        if tunnel.changed().await.is_err() {
            return;
        }
    }
}

/// Runs backfills one at a time, whenever asked; asks made during a run are served by one more run.
async fn backfills(shared: Arc<Shared>, store: Store, options: backfill::Options, retry_after: Duration) {
    let mut retries = 0;
    loop {
        shared.catch_up.notified().await;
        let Some(client) = shared.kisi.clone() else { continue };
        let now = chrono::Utc::now().timestamp_millis();
        let (from, until) = match backfill::pending_range(&store, now) {
            Ok(range) => range,
            Err(e) => {
                shared.notify(Notice::Problem(format!("cannot start catching up: {e}")));
                continue;
            }
        };
        let status = &shared.status;
        let result = backfill::run(&client, &store, from, until, &options, |p| {
            status.send_modify(|s| s.catching_up = Some(CatchingUp::from(p)));
        })
        .await;
        shared.status.send_modify(|s| s.catching_up = None);
        match result {
            Ok(report) => {
                tracing::info!(fetched = report.fetched, stored = report.stored, "caught up");
                if let Some(summary) = report.while_you_were_away() {
                    shared.notify(Notice::WhileAway(summary));
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "backfill failed");
                shared.notify(Notice::Problem(format!("catching up failed: {e}")));
                // Just woken, the network is often not back yet: try again shortly rather than
                // waiting for the next wake or reconnection.
                let transient = matches!(&e, backfill::BackfillError::Kisi(k) if k.is_transient());
                if transient && retries < BACKFILL_RETRIES {
                    retries += 1;
                    let again = Arc::clone(&shared);
                    tokio::spawn(async move {
                        tokio::time::sleep(retry_after).await;
                        again.catch_up.notify_one();
                    });
                    continue;
                }
            }
        }
        retries = 0;
    }
}

/// Reads the integration every `every` (and on demand); tells the user once when it goes off.
async fn health_checks(shared: Arc<Shared>, every: Duration) {
    let mut was_healthy = true;
    loop {
        if let (Some(client), Some(id)) = (&shared.kisi, shared.integration()) {
            let kisi = match integration::health(client, id).await {
                Ok(Health::Enabled { url }) if pointed_elsewhere(&shared, url.as_deref()).is_some() => {
                    // Kisi calls an old address (the tunnel's changed and following it failed): fix it.
                    let webhook = pointed_elsewhere(&shared, url.as_deref()).unwrap_or_default();
                    match shared.follow(client, id, &webhook).await {
                        Ok(_) => KisiStatus::Checked {
                            description: Health::Enabled { url: None }.describe(),
                            health: Health::Enabled { url: Some(webhook) },
                        },
                        Err(e) => KisiStatus::Trouble { reason: format!("Kisi still calls an old address: {e}") },
                    }
                }
                Ok(health) => {
                    let healthy = matches!(health, Health::Enabled { .. });
                    if was_healthy && !healthy {
                        shared.notify(Notice::WebhookOff(health.describe()));
                    }
                    was_healthy = healthy;
                    KisiStatus::Checked { description: health.describe(), health }
                }
                Err(e) => KisiStatus::Trouble { reason: e.to_string() },
            };
            shared.status.send_modify(|s| s.kisi = kisi);
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = shared.check_health.notified() => {}
        }
    }
}

/// The webhook URL Kisi should call now, when the tunnel is online and Kisi's (`current`) differs.
fn pointed_elsewhere(shared: &Shared, current: Option<&str>) -> Option<String> {
    let status = shared.status.borrow();
    let url = status.tunnel.url()?;
    let webhook = integration::webhook_url(url).ok()?;
    (current != Some(webhook.as_str())).then_some(webhook)
}

/// Notices that the machine slept (the wall clock ran on while the monotonic clock stood) and catches up.
async fn wake_watch(shared: Arc<Shared>) {
    let mut wall = SystemTime::now();
    let mut mono = std::time::Instant::now();
    loop {
        tokio::time::sleep(WAKE_CHECK).await;
        let (wall_now, mono_now) = (SystemTime::now(), std::time::Instant::now());
        let wall_elapsed = wall_now.duration_since(wall).unwrap_or_default();
        if backfill::slept(wall_elapsed, mono_now - mono) {
            tracing::info!(asleep_secs = (wall_elapsed - (mono_now - mono)).as_secs(), "woke from sleep; catching up");
            shared.catch_up.notify_one();
        }
        (wall, mono) = (wall_now, mono_now);
    }
}
