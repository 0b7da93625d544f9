//! What kind of thing happened (the kinds the timeline, the rules and the alerts use, from Kisi's type
//! and success) and where a stored event came from.

use serde::{Deserialize, Serialize};

/// What happened, in the terms the timeline and the alerts care about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ts_rs::TS, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    UnlockOk,
    UnlockFailed,
    DoorOpened,
    HeldOpen,
    ForcedOpen,
    /// The door shut again (`lock.closed` and its wireless-lock and input variants): ends an incident.
    DoorClosed,
    Login,
    /// Doorwatch's own record of a remote unlock someone asked for here (`doorwatch.remote_unlock`),
    /// with Kisi's answer: who let whom in, from which computer.
    RemoteUnlock,
    Other,
}

impl EventKind {
    pub const ALL: [EventKind; 9] = [
        EventKind::UnlockOk,
        EventKind::UnlockFailed,
        EventKind::DoorOpened,
        EventKind::HeldOpen,
        EventKind::ForcedOpen,
        EventKind::DoorClosed,
        EventKind::Login,
        EventKind::RemoteUnlock,
        EventKind::Other,
    ];

    /// Derives the kind from Kisi's `type` and `success`. There is no separate "unlock failed" type in
    /// Kisi: a failed unlock is `lock.unlock` with `success: false`.
    pub fn classify(event_type: &str, success: Option<bool>) -> EventKind {
        match event_type {
            "lock.unlock" | "wireless_lock.unlocked" | "reader.access" => {
                if success == Some(false) {
                    EventKind::UnlockFailed
                } else {
                    EventKind::UnlockOk
                }
            }
            "lock.opened" | "wireless_lock.opened" | "controller_input.opened" => EventKind::DoorOpened,
            "lock.held_open" => EventKind::HeldOpen,
            "lock.forced_open" => EventKind::ForcedOpen,
            "lock.closed" | "wireless_lock.closed" | "controller_input.closed" => EventKind::DoorClosed,
            "login.create" => EventKind::Login,
            REMOTE_UNLOCK_TYPE => EventKind::RemoteUnlock,
            _ => EventKind::Other,
        }
    }

    /// The stable name stored in the database and shown in JSON (`unlock_failed`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::UnlockOk => "unlock_ok",
            EventKind::UnlockFailed => "unlock_failed",
            EventKind::DoorOpened => "door_opened",
            EventKind::HeldOpen => "held_open",
            EventKind::ForcedOpen => "forced_open",
            EventKind::DoorClosed => "door_closed",
            EventKind::Login => "login",
            EventKind::RemoteUnlock => "remote_unlock",
            EventKind::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// A short word for people: what the timeline and the CLI print as the outcome.
    pub fn label(self) -> &'static str {
        match self {
            EventKind::UnlockOk => "Unlocked",
            EventKind::UnlockFailed => "Refused",
            EventKind::DoorOpened => "Opened",
            EventKind::HeldOpen => "Held open",
            EventKind::ForcedOpen => "Forced open",
            EventKind::DoorClosed => "Closed",
            EventKind::Login => "New login",
            EventKind::RemoteUnlock => "Remote unlock",
            EventKind::Other => "Event",
        }
    }
}

/// The type of Doorwatch's own record of a remote unlock.
pub const REMOTE_UNLOCK_TYPE: &str = "doorwatch.remote_unlock";

/// Where a stored event came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Webhook,
    Backfill,
    /// Written by Doorwatch itself: the record of a remote unlock asked for on this computer.
    Doorwatch,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Webhook => "webhook",
            Source::Backfill => "backfill",
            Source::Doorwatch => "doorwatch",
        }
    }

    pub fn parse(s: &str) -> Option<Source> {
        match s {
            "webhook" => Some(Source::Webhook),
            "backfill" => Some(Source::Backfill),
            "doorwatch" => Some(Source::Doorwatch),
            _ => None,
        }
    }
}
