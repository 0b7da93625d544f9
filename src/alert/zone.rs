//! The office's local time: the Kisi place's `time_zone` when Doorwatch knows it (read from `GET /places`
//! and kept with the events), else this computer's. Rules' days and hours, quiet hours and the morning
//! summary are all in this zone, with its DST changes.

use chrono::{DateTime, FixedOffset, LocalResult, TimeZone, Utc};

use super::{AlertPolicy, Decision};
use crate::store::StoredEvent;

/// The `meta` entry that holds the place's IANA zone name.
pub const META_KEY: &str = "place_time_zone";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Zone {
    /// A named IANA zone (the Kisi place's).
    Named(chrono_tz::Tz),
    /// This computer's zone.
    #[default]
    Computer,
}

impl Zone {
    /// The named zone, or the computer's when the name is absent or not a zone this build knows.
    pub fn from_name(name: Option<&str>) -> Zone {
        match name.map(str::trim).filter(|n| !n.is_empty()).map(str::parse::<chrono_tz::Tz>) {
            Some(Ok(tz)) => Zone::Named(tz),
            Some(Err(_)) => {
                tracing::warn!(zone = ?name, "the Kisi place's time zone is unknown here; using this computer's");
                Zone::Computer
            }
            None => Zone::Computer,
        }
    }

    /// How the zone is named for people: "Europe/Berlin (the Kisi place's)".
    pub fn describe(&self) -> String {
        match self {
            Zone::Named(tz) => format!("{} (the Kisi place's)", tz.name()),
            Zone::Computer => "this computer's time zone".to_owned(),
        }
    }

    /// The policy's decision about `stored`, with `now` in this zone.
    pub fn decide(&self, policy: &mut AlertPolicy, stored: &StoredEvent, now: DateTime<Utc>) -> Decision {
        match self {
            Zone::Named(tz) => policy.decide(stored, now.with_timezone(tz)),
            Zone::Computer => policy.decide(stored, now.with_timezone(&chrono::Local)),
        }
    }

    /// The moment a local date and time names here (the earlier one when a DST change repeats it;
    /// the hour after, when it skips it), in Unix ms.
    pub fn to_utc(&self, local: chrono::NaiveDateTime) -> i64 {
        fn resolve<Tz: TimeZone>(tz: &Tz, local: chrono::NaiveDateTime) -> i64 {
            match tz.from_local_datetime(&local) {
                LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.timestamp_millis(),
                LocalResult::None => resolve(tz, local + chrono::Duration::hours(1)),
            }
        }
        match self {
            Zone::Named(tz) => resolve(tz, local),
            Zone::Computer => resolve(&chrono::Local, local),
        }
    }

    /// `now` as the local time here, with the offset in force at that moment (enough for the time
    /// of day, the date and what is written in an alert; not for arithmetic across a DST change).
    pub fn local(&self, now: DateTime<Utc>) -> DateTime<FixedOffset> {
        match self {
            Zone::Named(tz) => now.with_timezone(tz).fixed_offset(),
            Zone::Computer => now.with_timezone(&chrono::Local).fixed_offset(),
        }
    }
}
