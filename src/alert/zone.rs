//! The office's local time: the Kisi place's `time_zone` when Doorwatch knows it (read from `GET /places`
//! and kept with the events), else this computer's. Rules' days and hours, quiet hours and the morning
//! summary are all in this zone, with its DST changes.

use chrono::{DateTime, Utc};

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

    /// `f` applied to `now` in this zone (for what needs the local calendar, like the morning summary).
    pub fn with_local<R>(&self, now: DateTime<Utc>, f: impl FnOnce(chrono::NaiveDateTime) -> R) -> R {
        match self {
            Zone::Named(tz) => f(now.with_timezone(tz).naive_local()),
            Zone::Computer => f(now.with_timezone(&chrono::Local).naive_local()),
        }
    }
}
