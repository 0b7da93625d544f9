//! Exports of the timeline: CSV for spreadsheets and JSON Lines for programs, over any filter, read page
//! by page so that exporting years of history takes little memory.

use std::io::Write;

use crate::event::format_time;
use crate::store::{EventFilter, Reader, StoreError, StoredEvent};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Jsonl,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot write the export: {0}")]
    Io(#[from] std::io::Error),
    #[error("cannot write the export: {0}")]
    Csv(#[from] csv::Error),
}

/// Writes the export to `path` through a fresh owner-only file beside it, renamed into place once
/// complete and synced: a failed export never leaves half a file where a good one was (the partial
/// file is removed). Returns how many events were written.
pub fn to_file(
    reader: &Reader,
    filter: &EventFilter,
    format: Format,
    path: &std::path::Path,
) -> Result<u64, ExportError> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    let mut tmp = tempfile::Builder::new().prefix(".doorwatch-export-").tempfile_in(dir)?;
    let n = export(reader, filter, format, tmp.as_file_mut())?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| ExportError::Io(e.error))?;
    Ok(n)
}

/// The CSV columns, in order.
pub const CSV_HEADER: [&str; 18] = [
    "created_at",
    "door",
    "actor",
    "outcome",
    "kind",
    "type",
    "success",
    "error_code",
    "error_message",
    "actor_type",
    "actor_name",
    "actor_email",
    "message",
    "uuid",
    "received_at",
    "verified",
    "source",
    "duplicates",
];

const PAGE: usize = 1000;

/// Writes every event matching `filter`, newest first, and returns how many were written.
pub fn export(reader: &Reader, filter: &EventFilter, format: Format, out: impl Write) -> Result<u64, ExportError> {
    match format {
        Format::Csv => {
            let mut csv = csv::Writer::from_writer(out);
            csv.write_record(CSV_HEADER)?;
            let n = each_event(reader, filter, |e| Ok(csv.write_record(csv_row(e))?))?;
            csv.flush()?;
            Ok(n)
        }
        Format::Jsonl => {
            let mut out = std::io::BufWriter::new(out);
            let n = each_event(reader, filter, |e| write_json_line(&mut out, e))?;
            out.flush()?;
            Ok(n)
        }
    }
}

/// One event as one line of JSON (what `doorwatch events --json` prints).
pub fn write_json_line(out: &mut impl Write, event: &StoredEvent) -> Result<(), ExportError> {
    serde_json::to_writer(&mut *out, event).map_err(std::io::Error::from)?;
    out.write_all(b"\n")?;
    Ok(())
}

fn each_event(
    reader: &Reader,
    filter: &EventFilter,
    mut f: impl FnMut(&StoredEvent) -> Result<(), ExportError>,
) -> Result<u64, ExportError> {
    let (mut after, mut n) = (None, 0);
    loop {
        let page = reader.events(filter, after, PAGE)?;
        for e in &page.events {
            f(e)?;
            n += 1;
        }
        match page.next {
            Some(next) => after = Some(next),
            None => return Ok(n),
        }
    }
}

fn csv_row(e: &StoredEvent) -> Vec<String> {
    let ev = &e.event;
    let text = |v: &Option<String>| safe_cell(v.as_deref().unwrap_or(""));
    vec![
        format_time(e.time()),
        text(&ev.object_name),
        text(&ev.actor_label),
        ev.kind.label().to_owned(),
        ev.kind.as_str().to_owned(),
        safe_cell(&ev.event_type),
        ev.success.map(|s| s.to_string()).unwrap_or_default(),
        text(&ev.error_code),
        text(&ev.error_message),
        text(&ev.actor_type),
        text(&ev.actor_name),
        text(&ev.actor_email),
        text(&ev.message),
        safe_cell(&ev.uuid),
        format_time(e.received_at),
        e.verified.to_string(),
        e.source.as_str().to_owned(),
        e.duplicates.to_string(),
    ]
}

/// Spreadsheet programs run a cell that starts with `=`, `+`, `-` or `@` as a formula; a name typed
/// into Kisi must not become one on the office manager's laptop. A leading `'` makes such a cell text.
/// Where the spreadsheet splits on another separator than ours (`;` in German or French Excel, a tab,
/// `|`), every piece it would make is a cell of its own, so each piece that would start a formula gets
/// its `'` too: `Ada;=2+5` becomes `Ada;'=2+5`.
pub(crate) fn safe_cell(s: &str) -> String {
    let trigger = |c: char| matches!(c, '=' | '+' | '-' | '@' | '\t' | '\r');
    let separator = |c: char| matches!(c, ',' | ';' | '\t' | '|');
    let mut out = String::with_capacity(s.len() + 1);
    let mut piece_start = true;
    for c in s.chars() {
        if piece_start && trigger(c) {
            out.push('\'');
        }
        out.push(c);
        // Spaces after a separator do not start the piece: Excel skips them before a formula.
        piece_start = separator(c) || (piece_start && c == ' ');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_like_cells_are_defused() {
        assert_eq!(safe_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(safe_cell("@SUM(1)"), "'@SUM(1)");
        assert_eq!(safe_cell("Ada Lovelace"), "Ada Lovelace");
        assert_eq!(safe_cell(""), "");
    }

    #[test]
    fn a_formula_after_any_separator_is_defused_too() {
        assert_eq!(safe_cell("Ada;=2+5"), "Ada;'=2+5");
        assert_eq!(safe_cell("Ada; =2+5"), "Ada; '=2+5");
        assert_eq!(safe_cell("a,+1|@SUM(1)\t-2"), "a,'+1|'@SUM(1)\t'-2");
        // Not a piece's first character: left alone.
        assert_eq!(safe_cell("Jean-Luc Picard"), "Jean-Luc Picard");
        assert_eq!(safe_cell("a=b"), "a=b");
    }
}
