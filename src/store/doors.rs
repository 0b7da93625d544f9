//! The doors' latest events, for the doors board: the newest event at each door by name (any case),
//! each an index lookup on `events_by_door`, so a board of 200 doors costs 200 lookups whatever the
//! size of the store.

use super::query::{read_event, COLUMNS};
use super::{Reader, StoreError, StoredEvent};

impl Reader {
    /// The newest stored event at the door named `door` (any case), if any.
    pub fn last_event_at(&self, door: &str) -> Result<Option<StoredEvent>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM events WHERE object_name = ?1 COLLATE NOCASE ORDER BY object_name COLLATE NOCASE, \
             created_at DESC, id DESC LIMIT 1"
        );
        let mut statement = self.conn.prepare_cached(&sql)?;
        let mut rows = statement.query_map([door], read_event)?;
        Ok(rows.next().transpose()?)
    }
}
