//! What the shell keeps while it runs: the running Doorwatch (the core's value, which owns the
//! receiver, settings, secrets and the alert policy), the tray's count of unseen refusals, the
//! window's live channel and the way back for a notification's buttons. The shell only holds them.

use std::sync::Mutex;

use doorwatch::app::Doorwatch;
use tokio::sync::{mpsc, watch};

use crate::messages::{Action, LiveView};

pub struct AppState {
    pub doorwatch: Doorwatch,
    /// Refused unlocks alerted since the window was last opened: the tray's attention state.
    pub unseen: watch::Sender<u32>,
    /// The window's channel for live events and the filter it shows, while a window is listening.
    pub live: Mutex<Option<LiveView>>,
    /// What a notification's buttons ask for.
    pub actions: mpsc::UnboundedSender<Action>,
}
