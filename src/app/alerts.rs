//! The running Doorwatch's alert tasks: every newly stored event goes through the policy, the upkeep's
//! notices that deserve it become alerts, and silent doors during opening hours are pointed out once.
//! Each face receives the result on the alerts channel; none of them decides.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{broadcast, mpsc, watch};

use super::{lock, Doorwatch, Notice, OnlineStatus};
use crate::alert::{Alert, Decision};
use crate::event::EventKind;
use crate::store::StoredEvent;

/// How often the doors' silence is checked.
const SILENCE_CHECK: Duration = Duration::from_secs(60);

pub(super) async fn consider_new_events(doorwatch: Doorwatch, mut feed: broadcast::Receiver<Arc<StoredEvent>>) {
    loop {
        let event = match feed.recv().await {
            Ok(event) => event,
            Err(RecvError::Lagged(n)) => {
                tracing::warn!(missed = n, "the alert policy fell behind; those events are stored but not alerted");
                continue;
            }
            Err(RecvError::Closed) => return,
        };
        let zone = doorwatch.zone();
        let decision = zone.decide(&mut lock(&doorwatch.inner.policy), &event, Utc::now());
        match decision {
            Decision::Notify(alert) => {
                let alert = with_incident(&doorwatch, alert, &event);
                let _ = doorwatch.inner.alerts.send(doorwatch.with_unlock(alert, &event));
            }
            Decision::Silent(why) => tracing::debug!(uuid = %event.event.uuid, ?why, "no alert"),
        }
    }
}

/// A held- or forced-open alert belongs to its door incident: it takes the incident's key (its
/// repeats replace it on screen) and its Acknowledge. A second such event of the same incident
/// updates the notification already shown.
fn with_incident(doorwatch: &Doorwatch, alert: Alert, event: &StoredEvent) -> Alert {
    if !matches!(event.event.kind, EventKind::HeldOpen | EventKind::ForcedOpen) {
        return alert;
    }
    let uuid = &event.event.uuid;
    let incident = |r: &crate::store::Reader| match r.incident_of_event(uuid)? {
        Some(id) => r.incident(id),
        None => Ok(None),
    };
    match doorwatch.read(incident) {
        Ok(Some(incident)) => {
            let mut alert = crate::alert::incident::opened(alert, incident.id);
            alert.replaces = incident.opened_by != *uuid;
            alert
        }
        Ok(None) => alert,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the door incident; alerting without it");
            alert
        }
    }
}

/// Mirrors the upkeep's status into [`super::Running`], and passes its notices on: all of them to the
/// notices channel, and "caught up" and "webhook off" as alerts too (unless alerts are paused).
pub(super) async fn follow_online(
    doorwatch: Doorwatch,
    mut status: watch::Receiver<OnlineStatus>,
    notices: Arc<tokio::sync::Mutex<mpsc::UnboundedReceiver<Notice>>>,
) {
    // Held for as long as this runs; a restart after a panic takes it up again.
    let mut notices = notices.lock().await;
    let running = &doorwatch.inner.running;
    let mirror = |now: OnlineStatus| {
        if let Some(name) = &now.place_zone {
            *lock(&doorwatch.inner.zone) = crate::alert::zone::Zone::from_name(Some(name));
        }
        running.send_modify(|r| r.online = Some(now));
    };
    mirror(status.borrow_and_update().clone());
    loop {
        tokio::select! {
            changed = status.changed() => {
                if changed.is_err() {
                    return;
                }
                mirror(status.borrow_and_update().clone());
            }
            notice = notices.recv() => {
                let Some(notice) = notice else { return };
                if let Some(alert) = notice_alert(&notice) {
                    if doorwatch.alerts_paused_until().is_none() {
                        let _ = doorwatch.inner.alerts.send(alert);
                    }
                }
                let _ = doorwatch.inner.notices.send(notice);
            }
        }
    }
}

/// The notices a person is told about, as the alert they become.
fn notice_alert(notice: &Notice) -> Option<Alert> {
    let (key, title, body, urgent) = match notice {
        Notice::WhileAway(text) => ("away", "Doorwatch caught up", text, false),
        Notice::WebhookOff(text) => ("webhook", "Kisi webhook is off", text, true),
        Notice::Door { lock, title, body, urgent } => {
            return Some(Alert::about_doorwatch(&format!("door:{lock}"), title, body.clone(), *urgent))
        }
        Notice::UrlFollowed(_) | Notice::Problem(_) => return None,
    };
    Some(Alert::about_doorwatch(key, title, body.clone(), urgent))
}

/// Once a minute, asks the policy whether the doors have been silent too long during opening hours,
/// and says so once per silent stretch (the next event starts a new one).
pub(super) async fn watch_silence(doorwatch: Doorwatch) {
    let mut warned_for: Option<Option<i64>> = None;
    loop {
        tokio::time::sleep(SILENCE_CHECK).await;
        let Ok(last) = doorwatch.read(|r| r.last_webhook_at()) else { continue };
        let settings = lock(&doorwatch.inner.policy).settings().clone();
        let Some(warning) = crate::alert::silence_warning(&settings, last, &chrono::Local::now()) else {
            continue;
        };
        if warned_for == Some(last) {
            continue;
        }
        warned_for = Some(last);
        if lock(&doorwatch.inner.policy).paused_until(Utc::now()).is_none() {
            let alert = Alert::about_doorwatch("silence", "No door events lately", warning, false);
            let _ = doorwatch.inner.alerts.send(alert);
        }
    }
}
