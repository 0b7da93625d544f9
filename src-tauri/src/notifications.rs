//! Desktop notifications through notify-rust (D-Bus on Linux) for the alerts the core decides on. A
//! burst's summary replaces its earlier notification instead of stacking; the buttons ("Open", "Mute
//! this door for 1 hour") come back as an [`Action`] on a channel. Without a notification daemon, the
//! failure is logged and the app carries on.
//!
//! Each notification waits for its buttons on a thread of its own; at most [`MAX_WAITING`] wait at
//! once, so a flood cannot pile up threads (beyond that, a notification is shown without buttons to
//! listen for). The platform differences — freedesktop's hints, ids and markup; Windows' and macOS'
//! plain text — are the `platform` functions at the end.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use doorwatch::alert::Alert;
use doorwatch::app::supervise::supervised;
use doorwatch::event::EventKind;
use tauri::{AppHandle, Manager};
use tokio::sync::mpsc;

use crate::messages::Action;
use crate::state::AppState;

/// Notification ids by alert key, so a summary can replace what it summarises.
static SHOWN: Mutex<Option<HashMap<String, u32>>> = Mutex::new(None);

/// How many notifications may wait for their buttons at once, each on a thread.
pub const MAX_WAITING: usize = 16;
static WAITING: AtomicUsize = AtomicUsize::new(0);

/// A place among the [`MAX_WAITING`], given back when dropped.
struct Waiting;

impl Waiting {
    fn take() -> Option<Waiting> {
        let before = WAITING.fetch_add(1, Ordering::SeqCst);
        if before >= MAX_WAITING {
            WAITING.fetch_sub(1, Ordering::SeqCst);
            return None;
        }
        Some(Waiting)
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        WAITING.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Shows each alert of the running Doorwatch; a refusal also counts as unseen for the tray.
/// Supervised: a panic is trouble in the tray, and the next alert is shown again.
pub fn spawn(app: AppHandle, alerts: mpsc::UnboundedReceiver<Alert>) {
    let report = app.state::<AppState>().doorwatch.report();
    let alerts = Arc::new(tokio::sync::Mutex::new(alerts));
    tauri::async_runtime::spawn(async move {
        supervised("the notifications", report, move || show_each(app.clone(), Arc::clone(&alerts)));
    });
}

async fn show_each(app: AppHandle, alerts: Arc<tokio::sync::Mutex<mpsc::UnboundedReceiver<Alert>>>) {
    let mut alerts = alerts.lock().await;
    while let Some(alert) = alerts.recv().await {
        let state = app.state::<AppState>();
        if alert.kind == Some(EventKind::UnlockFailed) {
            state.unseen.send_modify(|n| *n += 1);
        }
        show(alert, state.actions.clone());
    }
}

pub fn show(alert: Alert, actions: mpsc::UnboundedSender<Action>) {
    // Showing and waiting for an action both block on D-Bus: a thread of their own.
    let spawned = std::thread::Builder::new().name("doorwatch-notification".into()).spawn(move || {
        let mut n = notify_rust::Notification::new();
        n.appname("Doorwatch")
            .summary(&alert.title)
            .body(&platform::body_text(&alert.body))
            .icon(if alert.urgent { "dialog-warning" } else { "dialog-information" })
            // "default" is a click on the notification; daemons that draw buttons show it as "Open".
            .action("default", "Open");
        if alert.door.is_some() {
            n.action("mute", "Mute this door for 1 hour");
        }
        platform::decorate(&mut n);
        let previous =
            SHOWN.lock().unwrap_or_else(|p| p.into_inner()).as_ref().and_then(|m| m.get(&alert.key).copied());
        if let (true, Some(id)) = (alert.replaces, previous) {
            n.id(id);
        }
        match n.show() {
            Ok(handle) => {
                SHOWN
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .get_or_insert_with(HashMap::new)
                    .extend(platform::id(&handle).map(|id| (alert.key.clone(), id)));
                tracing::info!(title = %alert.title, "notification shown");
                if alert.replaces && previous.is_some() {
                    return; // the first notification's thread already waits for its actions
                }
                let Some(_waiting) = Waiting::take() else {
                    tracing::warn!(
                        "{MAX_WAITING} notifications already wait for a click; not listening to this one's buttons"
                    );
                    return;
                };
                let key = alert.key.clone();
                handle.wait_for_action(|action| {
                    let asked = match action {
                        "default" => Some(Action::Open { event: alert.event.clone() }),
                        "mute" => alert.door.clone().map(|door| Action::MuteDoor { door }),
                        _ => None,
                    };
                    if let Some(asked) = asked {
                        let _ = actions.send(asked);
                    }
                });
                // Closed or acted on: the next alert with this key is shown afresh, with a thread of its
                // own waiting for its buttons.
                if let Some(shown) = SHOWN.lock().unwrap_or_else(|p| p.into_inner()).as_mut() {
                    shown.remove(&key);
                }
            }
            Err(e) => tracing::warn!(error = %e, "could not show a notification (is a notification daemon running?)"),
        }
    });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "could not start the notification thread");
    }
}

/// Freedesktop servers (Linux, BSD): a category hint, ids to replace a notification by, markup bodies.
#[cfg(all(unix, not(target_os = "macos")))]
mod platform {
    pub fn decorate(n: &mut notify_rust::Notification) {
        n.hint(notify_rust::Hint::Category("device".into()));
    }

    pub fn id(handle: &notify_rust::NotificationHandle) -> Option<u32> {
        Some(handle.id())
    }

    pub fn body_text(body: &str) -> std::borrow::Cow<'_, str> {
        doorwatch::alert::text::freedesktop_body(body)
    }
}

/// Windows toasts and macOS notifications: no hints, no ids to replace by (a summary shows anew), and
/// the body is plain text, shown as given.
#[cfg(not(all(unix, not(target_os = "macos"))))]
mod platform {
    pub fn decorate(_n: &mut notify_rust::Notification) {}

    pub fn id<H>(_handle: &H) -> Option<u32> {
        None
    }

    pub fn body_text(body: &str) -> std::borrow::Cow<'_, str> {
        std::borrow::Cow::Borrowed(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_most_max_waiting_notifications_wait_for_their_buttons_and_a_place_comes_back_when_one_closes() {
        let mut waiting: Vec<Waiting> = std::iter::from_fn(Waiting::take).take(MAX_WAITING + 5).collect();
        assert_eq!(waiting.len(), MAX_WAITING, "a flood of distinct alerts cannot pile up waiting threads");
        assert!(Waiting::take().is_none());
        waiting.pop(); // one notification closed
        let again = Waiting::take();
        assert!(again.is_some(), "a closed notification gives its place back");
        assert!(Waiting::take().is_none());
    }
}
