//! Times on the command line (`--since`, `--until`): RFC 3339, local dates and times, or ages.

use chrono::{DateTime, Local, NaiveDate, TimeZone, Utc};

/// Reads a time for --since/--until: RFC 3339, a local date (its midnight), a local date and time, or an
/// age counted back from now (`90m`, `24h`, `7d`).
pub(super) fn parse_when(text: &str) -> Result<i64, String> {
    parse_when_at(text, Utc::now())
}

fn parse_when_at(text: &str, now: DateTime<Utc>) -> Result<i64, String> {
    let t = text.trim();
    if let Some(ms) = crate::event::parse_time(t).filter(|_| t.contains('T') && (t.ends_with('Z') || has_offset(t))) {
        return Ok(ms);
    }
    if let Some((i, _)) = t.char_indices().last() {
        let (n, unit) = t.split_at(i);
        if let (Ok(n), Some(secs)) = (n.parse::<u32>(), unit_seconds(unit)) {
            // Kisi keeps no door events from before 2010; a century is a generous bound.
            const CENTURY_MS: i64 = 100 * 366 * 86_400_000;
            return Some(n as i64 * secs * 1000)
                .filter(|ago| *ago <= CENTURY_MS)
                .map(|ago| now.timestamp_millis() - ago)
                .ok_or_else(|| format!("{t:?} is too far back"));
        }
    }
    if let Ok(date) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        let midnight = date.and_hms_opt(0, 0, 0).expect("midnight exists");
        return local_ms(midnight).ok_or_else(|| format!("{t:?} does not exist in the local time zone"));
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(naive) = chrono::NaiveDateTime::parse_from_str(t, fmt) {
            return local_ms(naive).ok_or_else(|| format!("{t:?} does not exist in the local time zone"));
        }
    }
    Err(format!("{t:?} is not a time: use 2026-11-02, 2026-11-02T09:00:00Z, or an age such as 90m, 24h, 7d"))
}

fn has_offset(t: &str) -> bool {
    let tail = &t[t.len().saturating_sub(6)..];
    (tail.starts_with('+') || tail.starts_with('-')) && tail.as_bytes().get(3) == Some(&b':')
}

fn unit_seconds(unit: &str) -> Option<i64> {
    match unit {
        "s" => Some(1),
        "m" => Some(60),
        "h" => Some(3600),
        "d" => Some(86_400),
        "w" => Some(7 * 86_400),
        _ => None,
    }
}

fn local_ms(naive: chrono::NaiveDateTime) -> Option<i64> {
    Local.from_local_datetime(&naive).earliest().map(|t| t.timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_read_in_every_documented_form() {
        let now = DateTime::parse_from_rfc3339("2026-11-30T12:00:00Z").unwrap().with_timezone(&Utc);
        let at = |s: &str| parse_when_at(s, now);
        assert_eq!(at("2026-11-02T09:00:00Z"), Ok(1_793_610_000_000));
        assert_eq!(at("2026-11-02T10:00:00+01:00"), Ok(1_793_610_000_000));
        assert_eq!(at("24h"), Ok(now.timestamp_millis() - 86_400_000));
        assert_eq!(at("90m"), Ok(now.timestamp_millis() - 5_400_000));
        assert!(at("2026-11-02").is_ok());
        assert!(at("2026-11-02 09:30").is_ok());
        assert!(at("last tuesday").unwrap_err().contains("is not a time"));
        assert!(at("5y").is_err());
        assert!(at("7д").is_err(), "a multi-byte last character is an error, not a crash");
        assert!(at("-5d").is_err(), "an age is never negative");
        assert!(at("4000000000d").is_err());
    }
}
