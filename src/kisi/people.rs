//! Who an event's actor is, beyond the name it carries: access links (`GET /group_links?ids=…`, API.md
//! §14 — there is no `GET /group_links/{id}`) and users (`GET /users/{id}`, §15).

use serde::{Deserialize, Serialize};

use super::{Client, KisiError};

/// An access link, as far as Doorwatch shows it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct GroupLink {
    pub id: i64,
    pub name: String,
    #[serde(default)]
    pub valid_from: Option<String>,
    #[serde(default)]
    pub valid_until: Option<String>,
    #[serde(default)]
    pub link_enabled: Option<bool>,
    #[serde(default)]
    pub created_by: Option<Creator>,
}

/// Who made an access link: a user (with a name) or a marketplace installation (without).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Creator {
    pub id: i64,
    #[serde(default)]
    pub name: Option<String>,
}

/// A user, as far as Doorwatch shows them.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct User {
    pub id: i64,
    pub name: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub access_enabled: Option<bool>,
    #[serde(default)]
    pub last_accessed_at: Option<String>,
}

impl Client {
    /// The access links with these ids, in one request per 250 (Kisi lists them with `ids=`).
    pub async fn group_links(&self, ids: &[i64]) -> Result<Vec<GroupLink>, KisiError> {
        let mut all = Vec::new();
        for chunk in ids.chunks(250) {
            let ids: Vec<String> = chunk.iter().map(i64::to_string).collect();
            let path = format!("/group_links?ids={}&limit=250", ids.join(","));
            let page: Vec<GroupLink> = self.json(reqwest::Method::GET, &path, None, "read access links").await?;
            all.extend(page);
        }
        Ok(all)
    }

    /// One user, or `None` when Kisi has none with this id (removed from the organization).
    pub async fn user(&self, id: i64) -> Result<Option<User>, KisiError> {
        match self.json(reqwest::Method::GET, &format!("/users/{id}"), None, "read a user").await {
            Ok(user) => Ok(Some(user)),
            Err(KisiError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }
}
