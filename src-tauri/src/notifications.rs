//! Desktop notifications through notify-rust (D-Bus on Linux). A burst's summary replaces its earlier
//! notification instead of stacking; "Open" shows the timeline at the event and "Mute this door for 1
//! hour" mutes it. Without a notification daemon, the failure is logged and the app carries on.

use std::collections::HashMap;
use std::sync::Mutex;

use doorwatch::alert::Alert;
use tauri::AppHandle;

/// Notification ids by alert key, so a summary can replace what it summarises.
static SHOWN: Mutex<Option<HashMap<String, u32>>> = Mutex::new(None);

pub fn show(app: &AppHandle, alert: Alert) {
    let app = app.clone();
    // Showing and waiting for an action both block on D-Bus: a thread of their own.
    let spawned = std::thread::Builder::new().name("doorwatch-notification".into()).spawn(move || {
        let mut n = notify_rust::Notification::new();
        n.appname("Doorwatch")
            .summary(&alert.title)
            .body(&alert.body)
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
                handle.wait_for_action(|action| match action {
                    "default" if alert.uuid.is_empty() => crate::windows::show_main(&app),
                    "default" => {
                        crate::windows::show_main_with(&app, Some(crate::windows::Show::Event(alert.uuid.clone())));
                    }
                    "mute" => {
                        if let Some(door) = &alert.door {
                            crate::alerts::mute_door_for_an_hour(&app, door);
                        }
                    }
                    _ => {}
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
