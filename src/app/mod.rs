//! The running Doorwatch: the receiver, the upkeep that keeps it reachable and complete ([`online`]),
//! retention and the alert policy, started, re-configured and stopped as one value that `doorwatch
//! serve` and the desktop shell both consume. It announces through channels, never through a window:
//! stored events (the store's feed), [`Alert`]s to show, [`Notice`]s to log or print, and a `watch` of
//! the whole [`Running`] state.

mod alert_views;
mod alerts;
mod controls;
pub mod doors;
mod incidents;
mod keyring_retry;
pub mod kisi_setup;
pub mod online;
pub mod people;
pub mod presence;
pub mod remote_unlock;
pub mod status;
mod summary;
pub mod supervise;
mod upkeep;
mod views;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::Serialize;
use tokio::sync::{broadcast, mpsc, watch};

use crate::alert::zone::Zone;
use crate::alert::{Alert, AlertPolicy};
use crate::config::secrets::Secrets;
use crate::config::{Config, Flags, Settings};
use crate::receive::{Receiver, ReceiverConfig};
use crate::store::{Reader, Store, StoreError, StoredEvent, Synchronous};
pub use alert_views::{BuiltinLine, IncidentsView, NightView, RuleLine, RulesView};
pub use online::{KisiStatus, Notice, Online, OnlineConfig, OnlineStatus};
use supervise::{supervised, Report};
pub use views::{attention, SendTestError, SettingsView, StatusView};

/// What the running Doorwatch is doing, as one value that changes: the tray and `serve` follow it.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct Running {
    /// Why the receiver is not running, when it is not (port taken, database unreadable).
    pub receiver_error: Option<String>,
    /// Tunnel, Kisi webhook and catching up; `None` until the upkeep has started.
    pub online: Option<OnlineStatus>,
    #[ts(type = "number | null")]
    pub alerts_paused_until: Option<i64>,
    /// The last task that stopped unexpectedly and was restarted, and why (see [`supervise`]).
    pub task_failure: Option<String>,
    /// Door incidents open now (held or forced open, not yet closed or acknowledged).
    pub open_incidents: u32,
}

/// Why the settings file could not be used, and the setting at fault when the message names one.
#[derive(Debug, Clone)]
pub struct SettingsProblem {
    pub message: String,
    pub setting: Option<String>,
}

impl From<&crate::config::ConfigError> for SettingsProblem {
    fn from(e: &crate::config::ConfigError) -> SettingsProblem {
        SettingsProblem { message: e.to_string(), setting: e.setting() }
    }
}

/// Choices the face makes, beyond the configuration.
#[derive(Debug, Clone, Copy)]
pub struct StartOptions {
    /// Open the ngrok tunnel when there is a token (`serve` without `--tunnel ngrok` does not).
    pub tunnel: bool,
}

/// What the faces receive from the running Doorwatch.
pub struct Outputs {
    /// New stored events, subscribed before anything could store one (`None` when not receiving).
    pub events: Option<broadcast::Receiver<Arc<StoredEvent>>>,
    /// What deserves a notification, already decided by the policy (paused, muted, quiet hours…).
    pub alerts: mpsc::UnboundedReceiver<Alert>,
    /// Everything the upkeep reports, for a log or a line of output.
    pub notices: mpsc::UnboundedReceiver<Notice>,
}

/// The running Doorwatch. Cheap to clone; stop it once with [`Doorwatch::stop`].
#[derive(Clone)]
pub struct Doorwatch {
    inner: Arc<Inner>,
}

struct Inner {
    flags: Flags,
    options: StartOptions,
    config: Mutex<Config>,
    /// Why the settings file could not be used (the defaults are in use meanwhile).
    settings_error: Option<SettingsProblem>,
    secrets: Secrets,
    receiver: Mutex<Option<Receiver>>,
    reader: Mutex<Option<Reader>>,
    online: Mutex<Option<Online>>,
    /// Counts restarts of the upkeep, so that of two quick restarts only the later one's result stays.
    generation: AtomicU64,
    policy: Mutex<AlertPolicy>,
    /// The office's local time for the rules (the Kisi place's zone once known).
    zone: Mutex<Zone>,
    running: watch::Sender<Running>,
    alerts: mpsc::UnboundedSender<Alert>,
    notices: mpsc::UnboundedSender<Notice>,
    tasks: Mutex<Vec<tokio::task::JoinHandle<()>>>,
    /// Wakes the incident reminders when a person changed an incident.
    incidents_changed: tokio::sync::Notify,
}

/// The place's zone as the store remembers it from the last look at Kisi's places.
fn remembered_zone(store: &crate::store::Store) -> Zone {
    let name = store.reader().ok().and_then(|r| r.meta(crate::alert::zone::META_KEY).ok().flatten());
    Zone::from_name(name.as_deref())
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Doorwatch {
    /// Starts the receiver (on the current tokio runtime), the upkeep, retention and the alert policy.
    /// A receiver that cannot start leaves the rest of Doorwatch up, saying why in [`Running`]:
    /// `serve` exits with that reason, the app shows it as trouble.
    pub async fn start(
        config: Config,
        flags: Flags,
        settings_error: Option<SettingsProblem>,
        options: StartOptions,
    ) -> (Doorwatch, Outputs) {
        let secrets = config.secrets();
        // Fails closed: a key that cannot be read (a locked keyring, a damaged file) is not "no key".
        let (signing_key, unreadable) = match config.signing_key(&secrets) {
            Ok(key) => (key, None),
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the signing key; deliveries wait (503) until it can be read");
                (None, Some(e.to_string()))
            }
        };
        let started = Receiver::start(ReceiverConfig {
            db: config.db.clone(),
            listen: config.listen,
            signing_key,
            store: config.store_options(),
        })
        .await;
        if let (Ok(r), Some(why)) = (&started, &unreadable) {
            r.key_slot().set_unreadable(why);
        }
        let (receiver, receiver_error) = match started {
            Ok(r) => {
                let durability = if config.durability == Synchronous::Normal { "relaxed" } else { "full" };
                tracing::info!(url = %r.local_url(), durability, "receiving");
                (Some(r), None)
            }
            Err(e) => {
                tracing::error!("not receiving: {e}");
                (None, Some(e.to_string()))
            }
        };
        let (alerts_tx, alerts) = mpsc::unbounded_channel();
        let (notices_tx, notices) = mpsc::unbounded_channel();
        let (running, _) = watch::channel(Running {
            receiver_error,
            online: None,
            alerts_paused_until: None,
            task_failure: None,
            open_incidents: 0,
        });
        let policy = AlertPolicy::with_rules(config.settings.alerts.clone(), config.settings.rules.clone());
        let zone = receiver.as_ref().map(|r| r.store().clone()).map_or(Zone::Computer, |store| remembered_zone(&store));
        let doorwatch = Doorwatch {
            inner: Arc::new(Inner {
                flags,
                options,
                config: Mutex::new(config),
                settings_error,
                secrets,
                receiver: Mutex::new(receiver),
                reader: Mutex::new(None),
                online: Mutex::new(None),
                generation: AtomicU64::new(0),
                policy: Mutex::new(policy),
                zone: Mutex::new(zone),
                running,
                alerts: alerts_tx,
                notices: notices_tx,
                tasks: Mutex::new(Vec::new()),
                incidents_changed: tokio::sync::Notify::new(),
            }),
        };
        let events = doorwatch.events();
        if let Some(store) = doorwatch.store() {
            let days = doorwatch.config().settings.retention_days;
            let report = doorwatch.report();
            let (d, feed_store) = (doorwatch.clone(), store.clone());
            let mut tasks = vec![supervised("the alerts", report.clone(), move || {
                alerts::consider_new_events(d.clone(), feed_store.subscribe())
            })];
            if let Some(days) = crate::store::retention::enabled(days) {
                let store = store.clone();
                tasks.push(supervised("retention", report.clone(), move || {
                    crate::store::retention::run(store.clone(), days)
                }));
            }
            let d = doorwatch.clone();
            tasks.push(supervised("the silence check", report.clone(), move || alerts::watch_silence(d.clone())));
            let (d, feed_store) = (doorwatch.clone(), store.clone());
            tasks.push(supervised("the incident reminders", report.clone(), move || {
                incidents::remind(d.clone(), feed_store.subscribe())
            }));
            let d = doorwatch.clone();
            tasks.push(supervised("the morning summary", report.clone(), move || summary::morning(d.clone())));
            if unreadable.is_some() {
                let d = doorwatch.clone();
                tasks.push(supervised("the keyring retry", report, move || keyring_retry::until_readable(d.clone())));
            }
            lock(&doorwatch.inner.tasks).extend(tasks);
            doorwatch.restart_online().await;
        }
        (doorwatch, Outputs { events, alerts, notices })
    }

    /// Where supervised tasks report a panic: [`Running::task_failure`], which the tray shows as trouble.
    pub fn report(&self) -> Report {
        let running = Arc::downgrade(&self.inner);
        Arc::new(move |task, why| {
            if let Some(inner) = running.upgrade() {
                let failure = format!("{task} stopped unexpectedly ({why}) and was restarted");
                inner.running.send_modify(|r| r.task_failure = Some(failure));
            }
        })
    }

    /// The configuration in force.
    pub fn config(&self) -> Config {
        lock(&self.inner.config).clone()
    }

    pub fn settings(&self) -> Settings {
        lock(&self.inner.config).settings.clone()
    }

    pub fn secrets(&self) -> &Secrets {
        &self.inner.secrets
    }

    pub fn settings_error(&self) -> Option<&SettingsProblem> {
        self.inner.settings_error.as_ref()
    }

    /// The store, while the receiver runs.
    pub fn store(&self) -> Option<Store> {
        self.with_receiver(|r| r.store().clone())
    }

    pub fn with_receiver<T>(&self, f: impl FnOnce(&Receiver) -> T) -> Option<T> {
        lock(&self.inner.receiver).as_ref().map(f)
    }

    pub fn with_online<T>(&self, f: impl FnOnce(&Online) -> T) -> Option<T> {
        lock(&self.inner.online).as_ref().map(f)
    }

    /// New stored events (only what was committed), while the receiver runs.
    pub fn events(&self) -> Option<broadcast::Receiver<Arc<StoredEvent>>> {
        self.with_receiver(|r| r.store().subscribe())
    }

    /// The whole running state, as it changes.
    pub fn running(&self) -> watch::Receiver<Running> {
        self.inner.running.subscribe()
    }

    /// Runs `f` with the shared read connection, opening it on first use.
    pub fn read<T>(&self, f: impl FnOnce(&Reader) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let mut slot = lock(&self.inner.reader);
        if slot.is_none() {
            *slot = Some(Reader::open(&lock(&self.inner.config).db)?);
        }
        f(slot.as_ref().expect("opened above"))
    }

    /// Saves new settings and applies what changed while running: the alert policy at once; the
    /// tunnel and Kisi upkeep restarted when how Kisi reaches us changed. (The listen address, the
    /// database and durability take effect at the next start.)
    pub async fn apply_settings(&self, mut settings: Settings) -> Result<(), crate::config::ConfigError> {
        settings.validate().map_err(|reason| crate::config::ConfigError::Invalid {
            path: lock(&self.inner.config).settings_path.clone(),
            reason,
        })?;
        let reach_changed = {
            let mut config = lock(&self.inner.config);
            // Which Kisi integration is ours is setup's to say, not a form's (it may hold an older copy).
            settings.kisi.integration_id = config.settings.kisi.integration_id;
            settings.save(&config.settings_path)?;
            let current = &config.settings;
            let changed = current.tunnel != settings.tunnel
                || current.kisi.health_check_minutes != settings.kisi.health_check_minutes;
            {
                let mut policy = lock(&self.inner.policy);
                policy.set_settings(settings.alerts.clone());
                policy.set_rules(settings.rules.clone());
            }
            let mut next = config.with_settings(settings, &self.inner.flags)?;
            // What only takes effect at the next start stays as it runs now.
            (next.listen, next.listen_origin, next.durability) =
                (config.listen, config.listen_origin, config.durability);
            *config = next;
            changed
        };
        if reach_changed {
            self.restart_online().await;
        }
        // Whoever shows a setting (the tray's "Start at login") looks again.
        self.inner.running.send_modify(|_| {});
        Ok(())
    }

    /// After Kisi setup: the integration now remembered in the settings file.
    pub fn remember_integration(&self, id: i64) {
        lock(&self.inner.config).settings.kisi.integration_id = Some(id);
        self.with_online(|o| o.set_integration(id));
    }

    /// Starts the tunnel and the Kisi upkeep (each part only if its token or key is there), stopping
    /// the ones that ran before, with the current settings and secrets.
    pub async fn restart_online(&self) {
        let generation = self.inner.generation.fetch_add(1, Ordering::SeqCst) + 1;
        let old = lock(&self.inner.online).take();
        if let Some(old) = old {
            old.stop().await;
        }
        if self.inner.generation.load(Ordering::SeqCst) != generation {
            return; // a later restart is on its way and will start the upkeep
        }
        let config = self.config();
        let mut online_config = match OnlineConfig::resolve(&config, &self.inner.secrets) {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the tunnel token or Kisi key; receiving locally only");
                // No tunnel can start, but a public URL of the user's own still makes the receiver public.
                self.with_receiver(|r| {
                    let tunnel = &config.settings.tunnel;
                    r.key_slot().set_exposure(!tunnel.public_url.trim().is_empty(), tunnel.accept_unsigned)
                });
                return;
            }
        };
        if !self.inner.options.tunnel {
            online_config.tunnel = None;
        }
        let Some((store, key)) = self.with_receiver(|r| (r.store().clone(), r.key_slot())) else { return };
        // A public receiver is a signed receiver (see receive::trust).
        key.set_exposure(
            online_config.tunnel.is_some() || online_config.manual_public_url.is_some(),
            config.settings.tunnel.accept_unsigned,
        );
        let (online, notices) = Online::start(online_config, store, key, self.report());
        let (d, status, notices) = (self.clone(), online.status(), Arc::new(tokio::sync::Mutex::new(notices)));
        let forward = supervised("the Kisi upkeep's status", self.report(), move || {
            alerts::follow_online(d.clone(), status.clone(), Arc::clone(&notices))
        });
        let mut slot = lock(&self.inner.online);
        if self.inner.generation.load(Ordering::SeqCst) != generation {
            forward.abort();
            return; // superseded meanwhile: `online` is dropped, which ends its tasks
        }
        *slot = Some(online);
        lock(&self.inner.tasks).push(forward);
    }

    /// Stops accepting, lets the deliveries under way commit, and ends every task.
    pub async fn stop(&self) {
        for task in lock(&self.inner.tasks).drain(..) {
            task.abort();
        }
        let online = lock(&self.inner.online).take();
        if let Some(online) = online {
            online.stop().await;
        }
        lock(&self.inner.reader).take();
        let receiver = lock(&self.inner.receiver).take();
        if let Some(receiver) = receiver {
            receiver.stop().await;
        }
    }
}
