//! Shows what the core's alert policy decides: one call per new event, and the pause and mute actions.

use chrono::{DateTime, Utc};
use doorwatch::alert::Decision;
use doorwatch::event::EventKind;
use doorwatch::store::StoredEvent;
use tauri::{AppHandle, Manager};

use crate::state::AppState;

/// Asks the policy about a newly stored event and shows the notification it decides on.
pub fn consider(app: &AppHandle, event: &StoredEvent) {
    let state = app.state::<AppState>();
    let decision = state.policy.lock().unwrap_or_else(|p| p.into_inner()).decide(event, chrono::Local::now());
    match decision {
        Decision::Notify(alert) => {
            if event.event.kind == EventKind::UnlockFailed {
                state.unseen_failures.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            crate::notifications::show(app, alert);
        }
        Decision::Silent(why) => tracing::debug!(uuid = %event.event.uuid, ?why, "no alert"),
    }
}

/// Pauses alerts until `until`, or resumes them with `None`.
pub fn pause(state: &AppState, until: Option<DateTime<Utc>>) {
    let mut policy = state.policy.lock().unwrap_or_else(|p| p.into_inner());
    match until {
        Some(t) => policy.pause_until(t),
        None => policy.resume(),
    }
}

pub fn mute_door_for_an_hour(app: &AppHandle, door: &str) {
    let state = app.state::<AppState>();
    state.policy.lock().unwrap_or_else(|p| p.into_inner()).mute_door(door, Utc::now() + chrono::Duration::hours(1));
}

/// The next local midnight, for "Pause alerts until tomorrow".
pub fn tomorrow() -> DateTime<Utc> {
    let now = chrono::Local::now();
    let midnight = (now.date_naive() + chrono::Days::new(1)).and_hms_opt(0, 0, 0).expect("midnight exists");
    use chrono::TimeZone;
    chrono::Local
        .from_local_datetime(&midnight)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| Utc::now() + chrono::Duration::hours(24))
}

/// Follows the tunnel and Kisi upkeep: the tray shows its state, and its notices become notifications
/// (unless alerts are paused): "While you were away: 4 failed unlocks", "Kisi switched the webhook off".
pub fn show_online(
    app: AppHandle,
    mut status: tokio::sync::watch::Receiver<doorwatch::app::online::OnlineStatus>,
    mut notices: tokio::sync::mpsc::UnboundedReceiver<doorwatch::app::online::Notice>,
) {
    use doorwatch::app::online::Notice;
    tauri::async_runtime::spawn(async move {
        loop {
            tokio::select! {
                changed = status.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    crate::tray::refresh(&app);
                }
                notice = notices.recv() => {
                    let Some(notice) = notice else { return };
                    let (key, title, body, urgent) = match notice {
                        Notice::WhileAway(text) => ("away", "Doorwatch caught up", text, false),
                        Notice::WebhookOff(text) => ("webhook", "Kisi webhook is off", text, true),
                        Notice::UrlFollowed(url) => {
                            tracing::info!(%url, "Kisi's webhook follows the new tunnel URL");
                            continue;
                        }
                        Notice::Problem(text) => {
                            tracing::warn!("{text}");
                            continue;
                        }
                    };
                    let state = app.state::<AppState>();
                    let paused = state.policy.lock().unwrap_or_else(|p| p.into_inner()).paused_until(Utc::now()).is_some();
                    if !paused {
                        crate::notifications::show(&app, doorwatch::alert::Alert {
                            key: key.to_owned(),
                            title: title.to_owned(),
                            body,
                            uuid: String::new(),
                            door: None,
                            replaces: false,
                            urgent,
                        });
                    }
                    crate::tray::refresh(&app);
                }
            }
        }
    });
}

/// Once a minute, asks the policy whether the doors have been silent too long during opening hours,
/// and says so once per silent stretch (the next event starts a new one).
pub fn watch_silence(app: AppHandle) {
    tauri::async_runtime::spawn(async move {
        let mut warned_for: Option<Option<i64>> = None;
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(60)).await;
            let state = app.state::<AppState>();
            if state.with_receiver(|_| ()).is_none() {
                continue;
            }
            let Ok(last) = state.read(|r| r.last_webhook_at()) else { continue };
            let settings = state.policy.lock().unwrap_or_else(|p| p.into_inner()).settings().clone();
            let Some(warning) = doorwatch::alert::silence_warning(&settings, last, &chrono::Local::now()) else {
                continue;
            };
            if warned_for == Some(last) {
                continue;
            }
            warned_for = Some(last);
            let paused = state.policy.lock().unwrap_or_else(|p| p.into_inner()).paused_until(Utc::now()).is_some();
            if !paused {
                crate::notifications::show(
                    &app,
                    doorwatch::alert::Alert {
                        key: "silence".to_owned(),
                        title: "No door events lately".to_owned(),
                        body: warning,
                        uuid: String::new(),
                        door: None,
                        replaces: false,
                        urgent: false,
                    },
                );
            }
        }
    });
}
