//! The organization's locks (`GET /locks`, API.md §7) and which one a person means by a name or an id.
//! What acts on a lock (unlock, lockdown) is in `door_actions`.

use serde::{Deserialize, Serialize};

use super::{Client, KisiError};

/// A lock, as far as Doorwatch reads it.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct Lock {
    pub id: i64,
    pub name: String,
    #[serde(default)]
    pub place_id: Option<i64>,
    #[serde(default)]
    pub place: Option<LockPlace>,
    /// Null when Kisi does not know (API.md §11).
    #[serde(default)]
    pub online: Option<bool>,
    #[serde(default)]
    pub open: bool,
    #[serde(default)]
    pub unlocked: bool,
    #[serde(default)]
    pub locked_down: bool,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct LockPlace {
    pub id: i64,
    pub name: String,
}

impl Lock {
    /// "Main Entrance (Berlin HQ)", or just the name when Kisi gave no place.
    pub fn describe(&self) -> String {
        match &self.place {
            Some(place) => format!("{} ({})", self.name, place.name),
            None => self.name.clone(),
        }
    }
}

impl Client {
    /// Every lock of the organization (Kisi pages them, at most 250 a page).
    pub async fn locks(&self) -> Result<Vec<Lock>, KisiError> {
        self.every("/locks", "list the doors").await
    }
}

/// The lock meant by `which`: an id, or a door's exact name in any case. A name two places share is
/// refused with both places named.
pub fn pick<'a>(locks: &'a [Lock], which: &str) -> Result<&'a Lock, String> {
    let which = which.trim();
    if let Ok(id) = which.parse::<i64>() {
        return locks.iter().find(|l| l.id == id).ok_or_else(|| format!("Kisi has no door with id {id}"));
    }
    let named: Vec<&Lock> = locks.iter().filter(|l| crate::alert::rules::same_name(&l.name, which)).collect();
    match named.as_slice() {
        [one] => Ok(one),
        [] => {
            let mut names: Vec<&str> = locks.iter().map(|l| l.name.as_str()).collect();
            names.sort_unstable();
            names.truncate(12);
            Err(format!("Kisi has no door named {which:?} (doors: {})", names.join(", ")))
        }
        many => {
            let ids: Vec<String> = many.iter().map(|l| format!("{} = {}", l.id, l.describe())).collect();
            Err(format!("{} doors are named {which:?}: give the id instead ({})", many.len(), ids.join("; ")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lock(id: i64, name: &str, place: &str) -> Lock {
        Lock {
            id,
            name: name.to_owned(),
            place_id: Some(1),
            place: Some(LockPlace { id: 1, name: place.to_owned() }),
            online: Some(true),
            open: false,
            unlocked: false,
            locked_down: false,
        }
    }

    #[test]
    fn a_door_is_picked_by_id_or_exact_name_and_a_shared_name_is_refused() {
        let locks = [lock(1, "Main Entrance", "Berlin"), lock(2, "Back Door", "Berlin"), lock(3, "Back door", "Paris")];
        assert_eq!(pick(&locks, "2").unwrap().id, 2);
        assert_eq!(pick(&locks, " main entrance ").unwrap().id, 1);
        let shared = pick(&locks, "back door").unwrap_err();
        assert!(shared.contains("2 = Back Door (Berlin)") && shared.contains("3 = Back door (Paris)"), "{shared}");
        assert!(pick(&locks, "Main").unwrap_err().contains("no door named \"Main\""));
        assert!(pick(&locks, "9").unwrap_err().contains("no door with id 9"));
    }
}
