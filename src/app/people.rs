//! Who an event's actor is, in words for the event's details: an access link as "Access link 'Plumber'
//! (created by Ada Lovelace, valid until Fri 18:00)", a user with their email and whether they may use
//! the doors. Asked of Kisi once and kept in the store's `meta` for a day, so a hundred events of one
//! link cost one request — and the words are there offline.

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::alert::zone::Zone;
use crate::kisi::people::{GroupLink, User};
use crate::kisi::{Client, KisiError};
use crate::store::{MetaChange, Reader, Store};

/// How long what Kisi said about someone is used before it is asked again.
const FRESH_FOR_MS: i64 = 24 * 3600 * 1000;

/// What Kisi said about one id, and when (`None`: Kisi has no such id).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Cached<T> {
    at: i64,
    found: Option<T>,
}

fn key(kind: &str, id: i64) -> String {
    format!("{kind}:{id}")
}

fn cached<T: DeserializeOwned>(reader: &Reader, kind: &str, id: i64, now: i64) -> Option<Cached<T>> {
    let text = reader.meta(&key(kind, id)).ok().flatten()?;
    serde_json::from_str::<Cached<T>>(&text).ok().filter(|c| now - c.at < FRESH_FOR_MS)
}

async fn keep<T: Serialize>(store: &Store, kind: &str, id: i64, found: Option<T>, now: i64) {
    let text = serde_json::to_string(&Cached { at: now, found }).expect("serializes");
    if let Err(e) = store.change_meta(&key(kind, id), MetaChange::Set(text)).await {
        tracing::warn!(error = %e, "cannot keep what Kisi said about an actor");
    }
}

/// Asks Kisi, in one request, about every access link of `ids` not known (or known for over a day).
pub async fn resolve_links(client: &Client, store: &Store, ids: &[i64], now: i64) -> Result<(), KisiError> {
    let reader = store.reader().map_err(|e| KisiError::Unexpected(e.to_string()))?;
    let mut unknown: Vec<i64> =
        ids.iter().copied().filter(|id| cached::<GroupLink>(&reader, "group_link", *id, now).is_none()).collect();
    unknown.sort_unstable();
    unknown.dedup();
    if unknown.is_empty() {
        return Ok(());
    }
    let links = client.group_links(&unknown).await?;
    for id in unknown {
        keep(store, "group_link", id, links.iter().find(|l| l.id == id).cloned(), now).await;
    }
    Ok(())
}

/// "Access link 'Plumber' (created by Ada Lovelace, valid until Fri 18:00)".
pub fn link_words(link: &GroupLink, zone: &Zone, now: DateTime<Utc>) -> String {
    let at = |text: &str| {
        DateTime::parse_from_rfc3339(text).ok().map(|t| {
            let t = t.with_timezone(&Utc);
            (t, zone.local(t).format("%a %-d %b %H:%M").to_string())
        })
    };
    let mut parts = Vec::new();
    if let Some(name) = link.created_by.as_ref().and_then(|c| c.name.as_deref()) {
        parts.push(format!("created by {name}"));
    }
    match link.valid_until.as_deref().and_then(at) {
        Some((until, words)) if until < now => parts.push(format!("expired {words}")),
        Some((_, words)) => parts.push(format!("valid until {words}")),
        None => parts.push("no end date".to_owned()),
    }
    if link.link_enabled == Some(false) {
        parts.push("switched off".to_owned());
    }
    format!("Access link '{}' ({})", link.name, parts.join(", "))
}

/// "Ada Lovelace · ada@example.com · may use the doors · last at a door Fri 4 Dec 09:12".
pub fn user_words(user: &User, zone: &Zone) -> String {
    let mut parts = vec![user.name.clone()];
    parts.extend(user.email.clone());
    match user.access_enabled {
        Some(true) => parts.push("may use the doors".to_owned()),
        Some(false) => parts.push("access switched off".to_owned()),
        None => {}
    }
    let last = user.last_accessed_at.as_deref().and_then(|t| DateTime::parse_from_rfc3339(t).ok());
    if let Some(t) = last {
        parts.push(format!("last at a door {}", zone.local(t.with_timezone(&Utc)).format("%a %-d %b %H:%M")));
    }
    parts.join(" · ")
}

impl super::Doorwatch {
    /// What Kisi says of the actor of the stored event `uuid`, in words: an access link or a user,
    /// from the store's copy when it is fresh, else asked of Kisi once. `None` for other actors, or
    /// without an API key and no copy.
    pub async fn actor_details(&self, uuid: &str) -> Result<Option<String>, String> {
        let Some(stored) = self.read(|r| r.event(uuid)).map_err(|e| e.to_string())? else { return Ok(None) };
        let (Some(kind), Some(id)) = (stored.event.actor_type.as_deref(), stored.event.actor_id) else {
            return Ok(None);
        };
        let store = self.store().ok_or("Doorwatch's store is not open")?;
        let client = self.with_online(|o| o.kisi().cloned()).flatten();
        let (now, zone) = (Utc::now(), self.zone());
        let ms = now.timestamp_millis();
        match kind {
            "GroupLink" => {
                if let Some(client) = &client {
                    if let Err(e) = resolve_links(client, &store, &[id], ms).await {
                        tracing::info!(error = %e, "cannot ask Kisi about an access link");
                    }
                }
                let reader = store.reader().map_err(|e| e.to_string())?;
                let known = reader.meta(&key("group_link", id)).map_err(|e| e.to_string())?;
                let link = known.and_then(|t| serde_json::from_str::<Cached<GroupLink>>(&t).ok()).and_then(|c| c.found);
                Ok(link.map(|l| link_words(&l, &zone, now)))
            }
            "User" => {
                let reader = store.reader().map_err(|e| e.to_string())?;
                if let Some(known) = cached::<User>(&reader, "user", id, ms) {
                    return Ok(known.found.map(|u| user_words(&u, &zone)));
                }
                let Some(client) = client else { return Ok(None) };
                match client.user(id).await {
                    Ok(user) => {
                        keep(&store, "user", id, user.clone(), ms).await;
                        Ok(user.map(|u| user_words(&u, &zone)))
                    }
                    Err(e) => Err(format!("Kisi could not say who this is: {e}")),
                }
            }
            _ => Ok(None),
        }
    }
}
