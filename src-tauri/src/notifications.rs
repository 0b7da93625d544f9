//! Desktop notifications through notify-rust (D-Bus on Linux) for the alerts the core decides on. An
//! alert that updates another (a burst's summary, a door incident's repeat) replaces it on screen
//! instead of stacking; the buttons ("Open", "Acknowledge" on a door incident, "Mute this door for 1
//! hour") come back as an [`Action`] on a channel. Without a notification daemon, the failure is
//! logged and the app carries on.
//!
//! Each notification waits for its buttons on a thread of its own; at most [`MAX_WAITING`] wait at
//! once, so a flood cannot pile up threads (beyond that, a notification is shown without buttons to
//! listen for). The platform differences — freedesktop's hints, in-place updates and markup; Windows'
//! and macOS' plain text — are the `platform` modules at the end.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use doorwatch::alert::Alert;
use doorwatch::app::supervise::supervised;
use doorwatch::event::EventKind;
use tauri::{AppHandle, Manager};
use tokio::sync::mpsc;

use crate::messages::Action;
use crate::state::AppState;

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
    platform::show(alert, actions);
}

/// The notification for `alert`: its words, its icon and its buttons.
fn notification(alert: &Alert) -> notify_rust::Notification {
    let mut n = notify_rust::Notification::new();
    n.appname("Doorwatch")
        .summary(&alert.title)
        .body(&platform::body_text(&alert.body))
        .icon(if alert.urgent { "dialog-warning" } else { "dialog-information" })
        // "default" is a click on the notification; daemons that draw buttons show it as "Open".
        .action("default", "Open");
    if alert.incident.is_some() {
        n.action("acknowledge", "Acknowledge");
    }
    if let Some(door) = &alert.unlock {
        // It only opens the window's confirmation: a door is never unlocked from a notification alone.
        n.action("unlock", &format!("Unlock {door}…"));
    }
    if alert.door.is_some() {
        n.action("mute", "Mute this door for 1 hour");
    }
    platform::decorate(&mut n);
    n
}

/// What a button of `alert`'s notification asks for.
fn asked(alert: &Alert, action: &str) -> Option<Action> {
    tracing::info!(action, key = %alert.key, "notification answered");
    match action {
        "default" => Some(match alert.period {
            Some((since, until)) => Action::OpenPeriod { since, until },
            None => Action::Open { event: alert.event.clone() },
        }),
        "acknowledge" => alert.incident.map(|incident| Action::Acknowledge { incident }),
        "mute" => alert.door.clone().map(|door| Action::MuteDoor { door }),
        "unlock" => alert.unlock.as_ref().and(alert.event.clone()).map(|event| Action::ConfirmUnlock { event }),
        _ => None,
    }
}

/// Starts a thread for `work`, saying so when it cannot.
fn on_a_thread(work: impl FnOnce() + Send + 'static) {
    if let Err(e) = std::thread::Builder::new().name("doorwatch-notification".into()).spawn(work) {
        tracing::warn!(error = %e, "could not start the notification thread");
    }
}

/// Freedesktop servers (Linux, BSD): a category hint, markup bodies, and updates in place. A server
/// sends a notification's button presses to the D-Bus connection that last showed it, so the thread
/// that showed a notification also shows its updates, on its own connection, and hears its buttons.
#[cfg(all(unix, not(target_os = "macos")))]
mod platform {
    use std::collections::HashMap;
    use std::sync::Mutex;

    use doorwatch::alert::Alert;
    use notify_rust::NotificationResponse;
    use tokio::sync::mpsc;

    use super::{asked, notification, on_a_thread, Waiting, MAX_WAITING};
    use crate::messages::Action;

    /// The thread that shows each alert key's notification, by its channel for updates.
    static SHOWING: Mutex<Option<HashMap<String, mpsc::UnboundedSender<Alert>>>> = Mutex::new(None);

    fn showing() -> std::sync::MutexGuard<'static, Option<HashMap<String, mpsc::UnboundedSender<Alert>>>> {
        SHOWING.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn show(alert: Alert, actions: mpsc::UnboundedSender<Action>) {
        let alert = {
            let mut map = showing();
            let map = map.get_or_insert_with(HashMap::new);
            if !alert.replaces {
                map.remove(&alert.key);
            }
            let key = alert.key.clone();
            match map.get(&key) {
                Some(updates) => match updates.send(alert) {
                    Ok(()) => return, // its thread updates the notification on screen
                    Err(mpsc::error::SendError(alert)) => alert,
                },
                None => alert,
            }
        };
        let Some(waiting) = Waiting::take() else {
            tracing::warn!("{MAX_WAITING} notifications already wait for a click; not listening to this one's buttons");
            on_a_thread(move || {
                if let Err(e) = notification(&alert).show() {
                    tracing::warn!(error = %e, "could not show a notification (is a notification daemon running?)");
                }
            });
            return;
        };
        let (updates, mut pending) = mpsc::unbounded_channel();
        showing().get_or_insert_with(HashMap::new).insert(alert.key.clone(), updates.clone());
        on_a_thread(move || {
            let _waiting = waiting;
            let key = alert.key.clone();
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
            match runtime {
                Ok(runtime) => runtime.block_on(follow(alert, &mut pending, &actions)),
                Err(e) => tracing::warn!(error = %e, "could not wait for a notification's buttons"),
            }
            // Closed or acted on: the next alert with this key is shown afresh.
            if let Some(map) = showing().as_mut() {
                if map.get(&key).is_some_and(|mine| mine.same_channel(&updates)) {
                    map.remove(&key);
                }
            }
        });
    }

    /// Shows `alert`, then updates it in place with what arrives on `pending`, until a button is
    /// pressed or the notification is closed.
    async fn follow(
        mut alert: Alert,
        pending: &mut mpsc::UnboundedReceiver<Alert>,
        actions: &mpsc::UnboundedSender<Action>,
    ) {
        let mut handle = match notification(&alert).show_async().await {
            Ok(handle) => handle,
            Err(e) => {
                tracing::warn!(error = %e, "could not show a notification (is a notification daemon running?)");
                return;
            }
        };
        tracing::info!(title = %alert.title, "notification shown");
        loop {
            let mut answer = None;
            tokio::select! {
                _ = handle.wait_for_action_async(|response| answer = Some(response.clone())) => {
                    let action = match answer {
                        Some(NotificationResponse::Default) => "default".to_owned(),
                        Some(NotificationResponse::Action(action)) => action,
                        _ => return, // closed
                    };
                    if let Some(asked) = asked(&alert, &action) {
                        let _ = actions.send(asked);
                    }
                    return;
                }
                next = pending.recv() => {
                    let Some(next) = next else { return };
                    alert = next;
                    *handle = notification(&alert);
                    match handle.update() {
                        Ok(()) => tracing::info!(title = %alert.title, "notification shown"),
                        Err(e) => tracing::warn!(error = %e, "could not update a notification"),
                    }
                }
            }
        }
    }

    pub fn decorate(n: &mut notify_rust::Notification) {
        n.hint(notify_rust::Hint::Category("device".into()));
    }

    pub fn body_text(body: &str) -> std::borrow::Cow<'_, str> {
        doorwatch::alert::text::freedesktop_body(body)
    }
}

/// Windows toasts and macOS notifications: no hints, no updates in place (a summary shows anew), and
/// the body is plain text, shown as given.
#[cfg(not(all(unix, not(target_os = "macos"))))]
mod platform {
    use doorwatch::alert::Alert;
    use tokio::sync::mpsc;

    use super::{asked, notification, on_a_thread, Waiting, MAX_WAITING};
    use crate::messages::Action;

    pub fn show(alert: Alert, actions: mpsc::UnboundedSender<Action>) {
        on_a_thread(move || match notification(&alert).show() {
            Ok(handle) => {
                tracing::info!(title = %alert.title, "notification shown");
                let Some(_waiting) = Waiting::take() else {
                    tracing::warn!(
                        "{MAX_WAITING} notifications already wait for a click; not listening to this one's buttons"
                    );
                    return;
                };
                handle.wait_for_action(|action| {
                    if let Some(asked) = asked(&alert, action) {
                        let _ = actions.send(asked);
                    }
                });
            }
            Err(e) => tracing::warn!(error = %e, "could not show a notification"),
        });
    }

    pub fn decorate(_n: &mut notify_rust::Notification) {}

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

    #[test]
    fn a_summary_opens_its_period_and_an_incident_is_acknowledged() {
        let mut alert = Alert::about_doorwatch("summary", "Since Fri 18:00", "a quiet night".into(), false);
        alert.period = Some((1, 2));
        assert_eq!(asked(&alert, "default"), Some(Action::OpenPeriod { since: 1, until: 2 }));
        assert_eq!(asked(&alert, "acknowledge"), None, "no incident, no Acknowledge");
        alert.incident = Some(7);
        assert_eq!(asked(&alert, "acknowledge"), Some(Action::Acknowledge { incident: 7 }));
    }
}
