//! Forwards the core's feed of new events to the window in batches (a burst of deliveries arrives as
//! one message, not a flood), only those the window's filter lists (the store's own filter decides,
//! so the window never re-implements it). When the forwarder falls behind, the window is told to read
//! again from the store, the source of truth.

use std::sync::Arc;
use std::time::Duration;

use doorwatch::app::supervise::supervised;
use doorwatch::store::StoredEvent;
use tauri::{AppHandle, Manager};
use tokio::sync::broadcast::{error::RecvError, Receiver};

use crate::messages::FeedMessage;
use crate::state::AppState;

/// How long a burst may gather before it is sent on; short enough to feel live.
const GATHER: Duration = Duration::from_millis(16);
const MAX_BATCH: usize = 500;

/// Supervised: a panic is trouble in the tray and the forwarder starts again on the same feed.
pub fn spawn(app: AppHandle, feed: Receiver<Arc<StoredEvent>>) {
    let report = app.state::<AppState>().doorwatch.report();
    let feed = Arc::new(tokio::sync::Mutex::new(feed));
    tauri::async_runtime::spawn(async move {
        supervised("the live timeline", report, move || forward(app.clone(), Arc::clone(&feed)));
    });
}

async fn forward(app: AppHandle, feed: Arc<tokio::sync::Mutex<Receiver<Arc<StoredEvent>>>>) {
    let mut feed = feed.lock().await;
    loop {
        let mut batch = Vec::new();
        let mut missed = false;
        match feed.recv().await {
            Ok(e) => batch.push(e),
            Err(RecvError::Lagged(_)) => missed = true,
            Err(RecvError::Closed) => return,
        }
        let deadline = tokio::time::Instant::now() + GATHER;
        while batch.len() < MAX_BATCH {
            match tokio::time::timeout_at(deadline, feed.recv()).await {
                Ok(Ok(e)) => batch.push(e),
                Ok(Err(RecvError::Lagged(_))) => missed = true,
                Ok(Err(RecvError::Closed)) | Err(_) => break,
            }
        }
        send_to_window(&app, &batch, missed);
    }
}

fn send_to_window(app: &AppHandle, batch: &[Arc<StoredEvent>], missed: bool) {
    let state = app.state::<AppState>();
    let mut live = state.live.lock().unwrap_or_else(|p| p.into_inner());
    let Some(view) = live.as_ref() else { return };
    let message = if missed {
        FeedMessage::Resync
    } else {
        let events: Vec<StoredEvent> =
            batch.iter().filter(|e| view.filter.matches(e)).map(|e| StoredEvent::clone(e)).collect();
        if events.is_empty() {
            return;
        }
        FeedMessage::Events { events }
    };
    if view.channel.send(message).is_err() {
        // The window is gone; the next one subscribes again and reads from the store.
        *live = None;
    }
}
