//! The organization's places (`GET /places`, API.md §8), read for one thing: the office's time zone,
//! which the alert rules, quiet hours and the morning summary use as "local time".

use super::wire::Place;
use super::{Client, KisiError};

impl Client {
    /// Every place of the organization (Kisi pages them, at most 250 a page).
    pub async fn places(&self) -> Result<Vec<Place>, KisiError> {
        self.every("/places", "list places").await
    }
}

/// The place whose zone is the office's: of those with a time zone, the one with the most locks (the
/// first by id on a tie). An organization with offices in several zones gets its main one's.
pub fn office(places: &[Place]) -> Option<&Place> {
    places
        .iter()
        .filter(|p| p.time_zone.as_deref().is_some_and(|z| !z.trim().is_empty()))
        .max_by(|a, b| a.locks_count.cmp(&b.locks_count).then(b.id.cmp(&a.id)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(id: i64, zone: Option<&str>, locks: i64) -> Place {
        Place { id, name: format!("Place {id}"), time_zone: zone.map(str::to_owned), locks_count: locks }
    }

    #[test]
    fn the_office_is_the_place_with_a_zone_and_the_most_locks() {
        let places = [place(1, Some("Europe/London"), 2), place(2, None, 9), place(3, Some("Europe/Berlin"), 5)];
        assert_eq!(office(&places).map(|p| p.id), Some(3));
        let tie = [place(4, Some("America/New_York"), 3), place(5, Some("Europe/Berlin"), 3)];
        assert_eq!(office(&tie).map(|p| p.id), Some(4));
        assert!(office(&[place(6, Some(" "), 1)]).is_none());
    }
}
