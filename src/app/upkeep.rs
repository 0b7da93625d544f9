//! The upkeep's long-lived tasks behind [`super::online::Online`]: the tunnel follower (Kisi's webhook
//! follows the tunnel's URL), the backfills (one at a time, whenever asked), the webhook health check
//! and the wake watch (a sleep noticed from the two clocks). They share one [`Shared`] and report
//! through its status and notices.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use tokio::sync::{mpsc, watch, Notify};

use super::online::{CatchingUp, KisiStatus, Notice, OnlineStatus};
use crate::kisi::backfill;
use crate::kisi::integration::{self, Health};
use crate::kisi::{Client, KisiError};
use crate::receive::tunnel::TunnelStatus;
use crate::store::{MetaChange, Store};

/// How often the wall clock is compared with the monotonic clock to notice a sleep.
const WAKE_CHECK: Duration = Duration::from_secs(15);
/// How many times in a row a backfill that could not reach Kisi is tried again.
pub(super) const BACKFILL_RETRIES: u32 = 10;

pub(super) struct Shared {
    pub(super) kisi: Option<Arc<Client>>,
    pub(super) integration_id: Mutex<Option<i64>>,
    pub(super) status: watch::Sender<OnlineStatus>,
    pub(super) catch_up: Notify,
    pub(super) check_health: Notify,
    pub(super) refresh_doors: Notify,
    pub(super) notices: mpsc::UnboundedSender<Notice>,
    /// Held while pointing Kisi's webhook at the tunnel, so the tunnel follower and the health check
    /// never both see the old address and both change it.
    pub(super) following: tokio::sync::Mutex<()>,
}

impl Shared {
    /// Points the webhook at `webhook` unless it already is; `Ok(true)` when it was changed.
    pub(super) async fn follow(&self, client: &Client, id: i64, webhook: &str) -> Result<bool, KisiError> {
        let _one_at_a_time = self.following.lock().await;
        let changed = integration::follow_url(client, id, webhook).await?;
        if changed {
            self.notify(Notice::UrlFollowed(webhook.to_owned()));
        }
        Ok(changed)
    }

    pub(super) fn integration(&self) -> Option<i64> {
        *self.integration_id.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(super) fn notify(&self, notice: Notice) {
        let _ = self.notices.send(notice);
    }
}

/// Mirrors the tunnel's status; when it comes online with a URL Kisi does not have, points the webhook
/// there; when it comes back after an outage, catches up.
pub(super) async fn follow_tunnel(shared: Arc<Shared>, mut tunnel: watch::Receiver<TunnelStatus>) {
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
pub(super) async fn backfills(shared: Arc<Shared>, store: Store, options: backfill::Options, retry_after: Duration) {
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
pub(super) async fn health_checks(shared: Arc<Shared>, every: Duration) {
    let mut was_healthy = true;
    loop {
        if let (Some(client), Some(id)) = (&shared.kisi, shared.integration()) {
            let checked = integration::check(client, id).await;
            if let Ok((Health::Enabled { .. }, missing)) = &checked {
                if !missing.is_empty() {
                    match integration::add_events(client, id, missing).await {
                        Ok(()) => tracing::info!(?missing, "the Kisi webhook now sends these events too"),
                        Err(e) => tracing::warn!(error = %e, "cannot ask Kisi for the events the webhook lacks"),
                    }
                }
            }
            let kisi = match checked.map(|(health, _)| health) {
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

/// Reads the office's time zone from Kisi's places at start and once a day (an hour after a failure),
/// keeps it with the events (so the CLI and the next start use it offline) and in the status.
pub(super) async fn place_zone(shared: Arc<Shared>, store: Store) {
    const DAILY: Duration = Duration::from_secs(24 * 3600);
    let Some(client) = shared.kisi.clone() else { return };
    loop {
        let wait = match client.places().await {
            Ok(places) => {
                let zone = crate::kisi::places::office(&places).and_then(|p| p.time_zone.clone());
                if let Some(zone) = &zone {
                    let saved = store.change_meta(crate::alert::zone::META_KEY, MetaChange::Set(zone.clone())).await;
                    if let Err(e) = saved {
                        tracing::warn!(error = %e, "cannot keep the place's time zone");
                    }
                }
                shared.status.send_if_modified(|s| std::mem::replace(&mut s.place_zone, zone.clone()) != zone);
                DAILY
            }
            Err(e) => {
                tracing::info!(error = %e, "cannot read Kisi's places for the time zone; trying again in an hour");
                Duration::from_secs(3600)
            }
        };
        tokio::time::sleep(wait).await;
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
pub(super) async fn wake_watch(shared: Arc<Shared>) {
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
