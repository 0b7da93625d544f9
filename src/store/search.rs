//! Free-text search: which of its two paths answers (the newest rows checked one by one for common
//! words; the full-text index for the others), and the index's tail past its mark (`text_index.rs`).

use super::filter::fts_query;
use super::query::{Params, COLUMNS};
use super::text_index::INDEXED_UP_TO;
use super::{EventFilter, StoreError};
use crate::store::{Cursor, Page, Reader};

/// How many of the newest rows (that pass the other filters) a search for common words checks one by
/// one before it turns to the full-text index (BENCHMARKS.md measures both paths).
const SCAN_WINDOW: usize = 5000;
/// Words the index lists for this many events or more are "common": the newest rows are checked first.
const COMMON: usize = 5_000;

impl Reader {
    /// One page of the events `words` are in (and `filter` lists), newest first.
    pub(super) fn search(
        &self,
        words: &[String],
        filter: &EventFilter,
        after: Option<Cursor>,
        limit: usize,
    ) -> Result<Page, StoreError> {
        let fts = fts_query(words);
        // Words in many events: the newest rows, checked one by one, fill a page fastest. Words in
        // fewer (one person's name over a year, a visitor): just their events, through the index.
        let common = match self.indexed_matches(&fts) {
            Ok(n) => n >= COMMON,
            // Text the index splits differently from us (rare symbols inside a word) can make FTS5
            // refuse the query; the rows checked one by one are still a true answer.
            Err(e) => {
                tracing::debug!(error = %e, "full-text query refused; answering from the recent rows");
                return self.recent(words, filter, after, limit);
            }
        };
        if common {
            let page = self.recent(words, filter, after, limit)?;
            if page.next.is_some() {
                return Ok(page);
            }
        }
        // Only ids and times are sorted; the page's rows are read once it is known. The index follows
        // the commits (`text_index.rs`): the rows after its mark are checked one by one.
        let rare = format!(
            "SELECT {COLUMNS} FROM events WHERE id IN (
                 SELECT events.id FROM (
                     SELECT rowid AS rid FROM events_text WHERE events_text MATCH ?
                     UNION ALL
                     SELECT id FROM events
                     WHERE id > coalesce((SELECT CAST(value AS INTEGER) FROM meta WHERE key = '{INDEXED_UP_TO}'), 0)
                       AND doorwatch_words_match(?, actor_label, object_name, error_message)
                 ) AS m CROSS JOIN events ON events.id = m.rid
                 WHERE 1{{filters}} ORDER BY created_at DESC, id DESC LIMIT {})",
            limit + 1
        );
        let params = Params { before_filters: vec![fts.into(), words.join(" ").into()], after_filters: Vec::new() };
        self.page(rare, params, filter, after, limit)
    }

    /// The newest [`SCAN_WINDOW`] rows that pass the other filters, checked one by one for the words
    /// (only their text columns are read for that).
    fn recent(
        &self,
        words: &[String],
        filter: &EventFilter,
        after: Option<Cursor>,
        limit: usize,
    ) -> Result<Page, StoreError> {
        let recent = format!(
            "SELECT {COLUMNS} FROM events WHERE id IN (
                 SELECT id FROM (
                     SELECT id, created_at, actor_label, object_name, error_message FROM events
                     WHERE 1{{filters}} ORDER BY created_at DESC, id DESC LIMIT {SCAN_WINDOW})
                 WHERE doorwatch_words_match(?, actor_label, object_name, error_message)
                 ORDER BY created_at DESC, id DESC LIMIT {})",
            limit + 1
        );
        let params = Params { before_filters: Vec::new(), after_filters: vec![words.join(" ").into()] };
        self.page(recent, params, filter, after, limit)
    }

    /// How many events the index lists for an FTS5 query, counted up to [`COMMON`].
    fn indexed_matches(&self, fts: &str) -> rusqlite::Result<usize> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT count(*) FROM (SELECT rowid FROM events_text WHERE events_text MATCH ?1 LIMIT {COMMON})"
        ))?;
        stmt.query_row([fts], |r| r.get::<_, i64>(0)).map(|n| n as usize)
    }
}
