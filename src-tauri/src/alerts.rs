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
