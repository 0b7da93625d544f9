//! Who is in: the people whose first unlock of a day (the office's day, in its zone) was at which door
//! and when, and where they were last seen — from the local store, so it answers with Kisi unreachable
//! — then checked against Kisi's own presences when the API answers. The same list for the window, the
//! muster list it prints, the CSV and `doorwatch presence`.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::alert::zone::Zone;
use crate::kisi::presences::KisiPresence;
use crate::kisi::{Client, KisiError};
use crate::store::{Presence, Reader, StoreError};

/// The people of one day, from the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct WhoIsIn {
    /// The day, `YYYY-MM-DD`, in `zone`.
    #[ts(type = "string")]
    pub date: NaiveDate,
    pub zone: String,
    /// Its bounds, Unix ms.
    #[ts(type = "number")]
    pub from: i64,
    #[ts(type = "number")]
    pub until: i64,
    pub people: Vec<Presence>,
}

/// What Kisi's presences say of the same day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct KisiCheck {
    /// Kisi answered (with an API key and the network).
    pub asked: bool,
    /// People Kisi counts that the store has no unlock of (missed while offline: a backfill fetches them).
    pub only_at_kisi: Vec<String>,
    /// People the store has that Kisi does not count.
    pub only_here: Vec<String>,
    /// Why Kisi could not be asked, in words.
    pub problem: Option<String>,
    /// All of it in one sentence ([`KisiCheck::describe`]).
    pub words: String,
}

impl KisiCheck {
    pub fn not_asked(why: impl Into<String>) -> KisiCheck {
        let check = KisiCheck {
            asked: false,
            only_at_kisi: Vec::new(),
            only_here: Vec::new(),
            problem: Some(why.into()),
            words: String::new(),
        };
        check.in_words()
    }

    fn in_words(mut self) -> KisiCheck {
        self.words = self.describe();
        self
    }

    /// One sentence: "Kisi agrees.", or what differs.
    pub fn describe(&self) -> String {
        if let Some(problem) = &self.problem {
            return format!("Not checked with Kisi ({problem}): this list is Doorwatch's own.");
        }
        if self.only_at_kisi.is_empty() && self.only_here.is_empty() {
            return "Kisi's presences agree.".to_owned();
        }
        let mut parts = Vec::new();
        if !self.only_at_kisi.is_empty() {
            parts.push(format!(
                "Kisi also counts {} (Doorwatch missed their unlocks; catching up with Kisi fetches them)",
                self.only_at_kisi.join(", ")
            ));
        }
        if !self.only_here.is_empty() {
            parts.push(format!("Kisi does not count {}", self.only_here.join(", ")));
        }
        format!("{}.", parts.join("; "))
    }
}

/// Today in `zone`.
pub fn today(zone: &Zone, now: DateTime<Utc>) -> NaiveDate {
    zone.local(now).date_naive()
}

/// The people of `date` in `zone`, from the store.
pub fn who_came_in(reader: &Reader, zone: &Zone, date: NaiveDate) -> Result<WhoIsIn, StoreError> {
    let midnight = |d: NaiveDate| zone.to_utc(d.and_hms_opt(0, 0, 0).expect("midnight exists"));
    let (from, until) = (midnight(date), midnight(date.succ_opt().unwrap_or(date)));
    Ok(WhoIsIn { date, zone: zone.describe(), from, until, people: reader.presence(from, until)? })
}

/// Asks Kisi for the presences of `date` at every place and compares them with the store's list.
pub async fn check_with_kisi(client: &Client, who: &WhoIsIn) -> KisiCheck {
    let asked = async {
        let mut all = Vec::new();
        for place in client.places().await? {
            all.extend(client.presences(place.id, who.date).await?);
        }
        Ok::<_, KisiError>(all)
    };
    match asked.await {
        Ok(kisi) => compare(&who.people, &kisi),
        Err(e) => KisiCheck::not_asked(e.to_string()),
    }
}

/// Who one list has and the other does not, by the name the timeline shows (any case).
pub fn compare(here: &[Presence], kisi: &[KisiPresence]) -> KisiCheck {
    let same = crate::alert::rules::same_name;
    let mut only_at_kisi: Vec<String> =
        kisi.iter().map(KisiPresence::label).filter(|k| !here.iter().any(|p| same(&p.label, k))).collect();
    only_at_kisi.sort();
    only_at_kisi.dedup();
    let only_here =
        here.iter().filter(|p| !kisi.iter().any(|k| same(&k.label(), &p.label))).map(|p| p.label.clone()).collect();
    KisiCheck { asked: true, only_at_kisi, only_here, problem: None, words: String::new() }.in_words()
}

/// One person as a line of the list and the muster list: "07:58 Main Entrance → 17:02 Back Door".
pub fn line(p: &Presence, zone: &Zone) -> String {
    let at = |ms: i64| {
        DateTime::<Utc>::from_timestamp_millis(ms)
            .map(|t| zone.local(t).format("%H:%M").to_string())
            .unwrap_or_default()
    };
    let door = |d: &Option<String>| d.clone().unwrap_or_else(|| "a door".to_owned());
    format!(
        "{:<28} in {} at {}, last seen {} at {} ({} unlock{})",
        p.label,
        at(p.first_at),
        door(&p.first_door),
        at(p.last_at),
        door(&p.last_door),
        p.unlocks,
        if p.unlocks == 1 { "" } else { "s" }
    )
}

/// The list as CSV for a spreadsheet: local times, and no cell a spreadsheet would run as a formula.
pub fn write_csv(who: &WhoIsIn, zone: &Zone, out: impl std::io::Write) -> Result<(), csv::Error> {
    let at = |ms: i64| {
        DateTime::<Utc>::from_timestamp_millis(ms).map(|t| zone.local(t).format("%Y-%m-%d %H:%M").to_string())
    };
    let mut w = csv::Writer::from_writer(out);
    w.write_record(["name", "kind", "first_in", "first_door", "last_seen", "last_door", "unlocks"])?;
    for p in &who.people {
        let safe = |s: &str| crate::store::export::safe_cell(s);
        w.write_record([
            safe(&p.label),
            safe(&p.actor_type),
            at(p.first_at).unwrap_or_default(),
            safe(p.first_door.as_deref().unwrap_or("")),
            at(p.last_at).unwrap_or_default(),
            safe(p.last_door.as_deref().unwrap_or("")),
            p.unlocks.to_string(),
        ])?;
    }
    w.flush()?;
    Ok(())
}

/// One person as the window's list and muster list show them, times already in the office's zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct PresenceRow {
    pub name: String,
    /// "Person" or "Access link".
    pub kind: String,
    pub first_in: String,
    pub first_door: String,
    pub last_seen: String,
    pub last_door: String,
    #[ts(type = "number")]
    pub unlocks: i64,
}

/// Who came in on a day, as the window shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct WhoIsInView {
    /// `YYYY-MM-DD`, the day shown.
    pub date: String,
    /// "Monday 2 November 2026 (Europe/Berlin (the Kisi place's))".
    pub title: String,
    pub rows: Vec<PresenceRow>,
}

impl WhoIsInView {
    pub fn of(who: &WhoIsIn, zone: &Zone) -> WhoIsInView {
        let at = |ms: i64| {
            DateTime::<Utc>::from_timestamp_millis(ms)
                .map(|t| zone.local(t).format("%H:%M").to_string())
                .unwrap_or_default()
        };
        let door = |d: &Option<String>| d.clone().unwrap_or_else(|| "—".to_owned());
        let rows = who
            .people
            .iter()
            .map(|p| PresenceRow {
                name: p.label.clone(),
                kind: if p.actor_type == "GroupLink" { "Access link" } else { "Person" }.to_owned(),
                first_in: at(p.first_at),
                first_door: door(&p.first_door),
                last_seen: at(p.last_at),
                last_door: door(&p.last_door),
                unlocks: p.unlocks,
            })
            .collect();
        WhoIsInView {
            date: who.date.to_string(),
            title: format!("{} ({})", who.date.format("%A %-d %B %Y"), who.zone),
            rows,
        }
    }
}

impl super::Doorwatch {
    /// Who came in on `date` (today in the office's zone when `None`), from the store.
    pub fn who_is_in(&self, date: Option<NaiveDate>) -> Result<(WhoIsIn, Zone), StoreError> {
        let zone = self.zone();
        let date = date.unwrap_or_else(|| today(&zone, Utc::now()));
        let who = self.read(|r| who_came_in(r, &zone, date))?;
        Ok((who, zone))
    }

    /// Kisi's presences for the same day, compared (with the upkeep's client, within its rate limit).
    pub async fn check_presence(&self, who: &WhoIsIn) -> KisiCheck {
        match self.with_online(|o| o.kisi().cloned()).flatten() {
            Some(client) => check_with_kisi(&client, who).await,
            None => KisiCheck::not_asked("no Kisi API key"),
        }
    }
}

/// Writes the list as CSV to `path` through a fresh file beside it, renamed into place once complete
/// (a failed export leaves no half file); returns how many people were written.
pub fn csv_to_file(who: &WhoIsIn, zone: &Zone, path: &std::path::Path) -> Result<usize, String> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    let mut tmp = tempfile::Builder::new().prefix(".doorwatch-export-").tempfile_in(dir).map_err(|e| e.to_string())?;
    write_csv(who, zone, tmp.as_file_mut()).map_err(|e| e.to_string())?;
    tmp.as_file().sync_all().map_err(|e| e.to_string())?;
    tmp.persist(path).map_err(|e| e.error.to_string())?;
    Ok(who.people.len())
}
