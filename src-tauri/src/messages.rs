//! What the shell's parts hand each other: the window's live messages (with the filter it shows) and
//! what a notification's buttons ask for. Types only, so every part can name them without importing
//! the part that acts on them.

use doorwatch::store::{EventFilter, StoredEvent};
use serde::Serialize;

/// What the window receives: new events, or "read again from the store".
#[derive(Clone, Serialize, ts_rs::TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FeedMessage {
    Events { events: Vec<StoredEvent> },
    Resync,
}

/// The window that listens: its channel and the filter of the list it shows.
pub struct LiveView {
    pub channel: tauri::ipc::Channel<FeedMessage>,
    pub filter: EventFilter,
}

/// What a person asks for from outside the window (a notification's buttons).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// "Open": the timeline, at this event when there is one.
    Open { event: Option<String> },
    /// "Open" on a summary: the timeline of that stretch of time (Unix ms, from and until).
    OpenPeriod { since: i64, until: i64 },
    /// "Acknowledge" on a door incident: someone is on it, stop repeating.
    Acknowledge { incident: i64 },
    /// "Mute this door for 1 hour".
    MuteDoor { door: String },
    /// "Unlock <door>…" on a refused unlock: the window, at that event, asking to confirm.
    ConfirmUnlock { event: String },
}
