//! Desktop notifications through notify-rust (D-Bus on Linux) for the alerts the core decides on. A
//! burst's summary replaces its earlier notification instead of stacking; the buttons ("Open", "Mute
//! this door for 1 hour") come back as an [`Action`] on a channel. Without a notification daemon, the
//! failure is logged and the app carries on.

use std::collections::HashMap;
use std::sync::Mutex;

use doorwatch::alert::Alert;
use doorwatch::event::EventKind;
use tauri::{AppHandle, Manager};
use tokio::sync::mpsc;

use crate::messages::Action;
use crate::state::AppState;

/// Notification ids by alert key, so a summary can replace what it summarises.
static SHOWN: Mutex<Option<HashMap<String, u32>>> = Mutex::new(None);

/// Shows each alert of the running Doorwatch; a refusal also counts as unseen for the tray.
pub fn spawn(app: AppHandle, mut alerts: mpsc::UnboundedReceiver<Alert>) {
    tauri::async_runtime::spawn(async move {
        while let Some(alert) = alerts.recv().await {
            let state = app.state::<AppState>();
            if alert.kind == Some(EventKind::UnlockFailed) {
                state.unseen.send_modify(|n| *n += 1);
            }
            show(alert, state.actions.clone());
        }
    });
}

pub fn show(alert: Alert, actions: mpsc::UnboundedSender<Action>) {
    // Showing and waiting for an action both block on D-Bus: a thread of their own.
    let spawned = std::thread::Builder::new().name("doorwatch-notification".into()).spawn(move || {
        let mut n = notify_rust::Notification::new();
        n.appname("Doorwatch")
            .summary(&alert.title)
            .body(&body_text(&alert.body))
            .icon(if alert.urgent { "dialog-warning" } else { "dialog-information" })
            .hint(notify_rust::Hint::Category("device".into()))
            // "default" is a click on the notification; daemons that draw buttons show it as "Open".
            .action("default", "Open");
        if alert.door.is_some() {
            n.action("mute", "Mute this door for 1 hour");
        }
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
                    .insert(alert.key.clone(), handle.id());
                tracing::info!(title = %alert.title, "notification shown");
                if alert.replaces && previous.is_some() {
                    return; // the first notification's thread already waits for its actions
                }
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

/// The body as this platform's notification server reads it: freedesktop servers interpret markup.
#[cfg(all(unix, not(target_os = "macos")))]
fn body_text(body: &str) -> std::borrow::Cow<'_, str> {
    doorwatch::alert::text::freedesktop_body(body)
}

/// macOS and Windows show the body as plain text.
#[cfg(not(all(unix, not(target_os = "macos"))))]
fn body_text(body: &str) -> std::borrow::Cow<'_, str> {
    std::borrow::Cow::Borrowed(body)
}
