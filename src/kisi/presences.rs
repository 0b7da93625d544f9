//! Who Kisi counts as present at a place on a date (`GET /presences`, API.md §13): the check of the
//! list Doorwatch derives from its own store.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{Client, KisiError};
use crate::event::{actor_label, EventKind};

/// One presence as Kisi lists it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct KisiPresence {
    pub actor_type: String,
    #[serde(default)]
    pub actor_id: Option<i64>,
    pub actor_name: String,
    #[serde(default)]
    pub last_unlocked_lock_name: Option<String>,
    /// RFC 3339, UTC.
    pub first_unlock_at: String,
    pub last_unlock_at: String,
    #[serde(default)]
    pub status: String,
    pub place_id: i64,
}

impl KisiPresence {
    /// The name as Doorwatch's timeline shows this actor ("Access link: Plumber" for a group link).
    pub fn label(&self) -> String {
        actor_label(EventKind::UnlockOk, Some(&self.actor_type), Some(&self.actor_name))
            .unwrap_or_else(|| self.actor_name.clone())
    }
}

impl Client {
    /// Everyone Kisi counts as present at `place_id` on `date` (a date in the place's time zone).
    pub async fn presences(&self, place_id: i64, date: NaiveDate) -> Result<Vec<KisiPresence>, KisiError> {
        self.every(&format!("/presences?place_id={place_id}&date={date}"), "read who is in").await
    }
}
