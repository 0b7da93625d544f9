//! Which events a person asked for: the [`EventFilter`] the window, `doorwatch events` and `export`
//! share, turned into SQL for the store's queries, and checked against one event for the live push, so
//! a pushed event is shown exactly when the query would have listed it.

use rusqlite::types::Value;
use serde::{Deserialize, Serialize};

use super::StoredEvent;
use crate::event::EventKind;

/// Which events to list. Empty fields do not filter. Text filters ignore case.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ts_rs::TS, Deserialize)]
#[serde(default)]
pub struct EventFilter {
    /// Failed unlocks only.
    pub failed_only: bool,
    /// The door, by its exact name (`object_name`).
    pub door: Option<String>,
    /// Who acted, by their exact label ("Ada Lovelace", "Exit button", "Access link: Crew").
    pub actor: Option<String>,
    /// Kisi's event type, e.g. `lock.unlock`.
    pub event_type: Option<String>,
    /// From this time on (Unix ms, inclusive).
    #[ts(type = "number | null")]
    pub since: Option<i64>,
    /// Before this time (Unix ms, exclusive).
    #[ts(type = "number | null")]
    pub until: Option<i64>,
    /// Words that must all appear (as word beginnings) in the actor, the door or the error message.
    pub search: Option<String>,
}

impl EventFilter {
    /// Whether the store's query for this filter lists `e`: the same fields, the same case rules
    /// (SQLite's `NOCASE` folds ASCII letters only), the same word-beginning search.
    pub fn matches(&self, e: &StoredEvent) -> bool {
        fn text(v: &Option<String>) -> Option<&str> {
            v.as_deref().map(str::trim).filter(|s| !s.is_empty())
        }
        let same =
            |field: &Option<String>, wanted: &str| field.as_deref().is_some_and(|f| f.eq_ignore_ascii_case(wanted));
        let ev = &e.event;
        let at = e.time();
        if self.failed_only && ev.kind != EventKind::UnlockFailed {
            return false;
        }
        if text(&self.door).is_some_and(|door| !same(&ev.object_name, door))
            || text(&self.actor).is_some_and(|actor| !same(&ev.actor_label, actor))
            || text(&self.event_type).is_some_and(|t| ev.event_type != t)
            || self.since.is_some_and(|since| at < since)
            || self.until.is_some_and(|until| at >= until)
        {
            return false;
        }
        let words = self.search.as_deref().map(search_words).unwrap_or_default();
        let fields = [&ev.actor_label, &ev.object_name, &ev.error_message];
        words.iter().all(|w| fields.iter().any(|f| f.as_deref().is_some_and(|f| has_word_starting_with(f, w))))
    }
}

/// The filters other than free text (which decides the shape of the query, see [`Reader::events`]).
pub(super) fn push_filter(filter: &EventFilter, sql: &mut String, args: &mut Vec<Value>) {
    let text = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    if filter.failed_only {
        sql.push_str(" AND kind = 'unlock_failed'");
    }
    if let Some(door) = text(&filter.door) {
        sql.push_str(" AND object_name = ? COLLATE NOCASE");
        args.push(door.into());
    }
    if let Some(actor) = text(&filter.actor) {
        sql.push_str(" AND actor_label = ? COLLATE NOCASE");
        args.push(actor.into());
    }
    if let Some(t) = text(&filter.event_type) {
        sql.push_str(" AND type = ?");
        args.push(t.into());
    }
    if let Some(since) = filter.since {
        sql.push_str(" AND created_at >= ?");
        args.push(since.into());
    }
    if let Some(until) = filter.until {
        sql.push_str(" AND created_at < ?");
        args.push(until.into());
    }
}

/// The words of what a person typed, folded like the full-text index folds them (lower case, accents
/// removed); punctuation separates words and never reaches FTS5 syntax.
pub(super) fn search_words(input: &str) -> Vec<String> {
    input.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(|w| fold(w).collect()).collect()
}

/// Lower case, and accents removed from Latin letters only ("Zoë" → "zoe", "Пётр" stays "пётр"), which
/// is how FTS5's `unicode61 remove_diacritics 2` reads text, so both search paths agree.
fn fold(word: &str) -> impl Iterator<Item = char> + '_ {
    use unicode_normalization::char::{decompose_canonical, is_combining_mark};
    word.chars().flat_map(|c| {
        let mut base = None;
        decompose_canonical(c, |d| {
            if base.is_none() && !is_combining_mark(d) {
                base = Some(d);
            }
        });
        let latin = |b: char| matches!(b as u32, 0x41..=0x5A | 0x61..=0x7A | 0xC0..=0x24F | 0x1E00..=0x1EFF);
        let kept = match base {
            Some(b) if latin(b) => b,
            _ => c,
        };
        kept.to_lowercase()
    })
}

/// Every word must appear as the start of a word: "gra hop" finds "Grace Hopper".
pub(super) fn fts_query(words: &[String]) -> String {
    words.iter().map(|w| format!("\"{w}\"*")).collect::<Vec<_>>().join(" ")
}

/// Whether `text` has a word (a run of letters and digits) that starts with `prefix`, ignoring case
/// and accents. `prefix` is already folded.
pub(super) fn has_word_starting_with(text: &str, prefix: &str) -> bool {
    text.split(|c: char| !c.is_alphanumeric()).any(|word| {
        let mut word = fold(word);
        prefix.chars().all(|p| word.next() == Some(p))
    })
}
