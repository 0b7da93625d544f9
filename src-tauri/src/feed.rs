//! Forwards the core's feed of new events to the window in batches (a burst of deliveries arrives as
//! one message, not a flood). When the forwarder falls behind, the window is told to read again from
//! the store, the source of truth.

use std::sync::Arc;
use std::time::Duration;

use doorwatch::store::StoredEvent;
use serde::Serialize;
use tauri::{AppHandle, Manager};
use tokio::sync::broadcast::{error::RecvError, Receiver};

use crate::state::AppState;

/// What the window receives: new events, or "read again from the store".
#[derive(Clone, Serialize, ts_rs::TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FeedMessage {
    Events { events: Vec<StoredEvent> },
    Resync,
}

/// How long a burst may gather before it is sent on; short enough to feel live.
const GATHER: Duration = Duration::from_millis(16);
const MAX_BATCH: usize = 500;

pub fn spawn(app: AppHandle, mut feed: Receiver<Arc<StoredEvent>>) {
    tauri::async_runtime::spawn(async move {
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
            let message = if missed {
                FeedMessage::Resync
            } else {
                FeedMessage::Events { events: batch.iter().map(|e| StoredEvent::clone(e)).collect() }
            };
            send_to_window(&app, message);
        }
    });
}

fn send_to_window(app: &AppHandle, message: FeedMessage) {
    let state = app.state::<AppState>();
    let mut channel = state.ui_channel.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(c) = channel.as_ref() {
        if c.send(message).is_err() {
            // The window is gone; the next one subscribes again and reads from the store.
            *channel = None;
        }
    }
}
