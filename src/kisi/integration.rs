//! Doorwatch's own Event Webhook integration at Kisi: created in one step, found and repaired rather
//! than duplicated when setup runs again, pointed at the new public URL when the tunnel's changes, and
//! watched for Kisi switching it off after failed deliveries.

use serde::Serialize;

use super::{Client, Integration, IntegrationFields, KisiError};
use crate::receive::WEBHOOK_PATH;

/// The event types Doorwatch asks Kisi to send: what the timeline shows and the alerts need.
pub const EVENT_TYPES: &[&str] = &[
    "lock.unlock",
    "lock.opened",
    "lock.held_open",
    "lock.forced_open",
    "lock.closed",
    "lock.tailgate",
    "reader.tamper",
    "controller.tamper",
    "wireless_lock.unlocked",
    "wireless_lock.opened",
    "wireless_lock.closed",
    "wireless_lock.tampered",
    "integration.warn_due_to_error",
    "integration.disable_due_to_error",
    "login.create",
];

/// The integration's name at Kisi: "Doorwatch (<this computer>)", so that setup on the same computer
/// finds its own integration and two laptops running Doorwatch do not fight over one.
pub fn integration_name() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty());
    match host {
        Some(host) => format!("Doorwatch ({host})"),
        None => "Doorwatch".to_owned(),
    }
}

/// The webhook URL Kisi should call for a public base URL (`https://x.ngrok.app` → `…/webhooks/kisi`).
/// A URL that already ends with the webhook path is kept as it is.
pub fn webhook_url(public_url: &str) -> Result<String, String> {
    let text = public_url.trim();
    let scheme = ["https://", "http://"]
        .into_iter()
        .find(|s| text.starts_with(s))
        .ok_or_else(|| format!("{public_url:?} is not a web address (it must start with https://)"))?;
    let rest = text[scheme.len()..].trim_end_matches('/');
    let base = format!("{scheme}{rest}");
    if rest.is_empty() || rest.starts_with('/') || rest.contains(char::is_whitespace) {
        return Err(format!("{public_url:?} has no host name"));
    }
    let host = rest.split('/').next().unwrap_or(rest).split(':').next().unwrap_or(rest);
    if host == "localhost" || host.starts_with("127.") || host == "[::1]" {
        return Err(format!(
            "{public_url:?} is this computer's own address, which Kisi cannot reach; use the tunnel's public URL"
        ));
    }
    if scheme == "http://" {
        // Kisi would send the door log, and the signature, unencrypted across the internet.
        return Err(format!("{public_url:?} is not encrypted: Kisi must call an https:// address"));
    }
    if base.ends_with(WEBHOOK_PATH) {
        Ok(base)
    } else {
        Ok(format!("{base}{WEBHOOK_PATH}"))
    }
}

/// What setup did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct SetupOutcome {
    #[ts(type = "number")]
    pub integration_id: i64,
    pub url: String,
    /// True when a new integration was created, false when an existing one was repaired.
    pub created: bool,
}

/// Creates Doorwatch's Event Webhook pointing at `webhook_url` and signed with `signing_key`, or, when
/// it exists (by the remembered id, else by its name), repairs it: URL, events, key, switched on.
/// The caller stores the key where the receiver reads it only after this succeeded.
pub async fn set_up(
    client: &Client,
    remembered_id: Option<i64>,
    webhook_url: &str,
    signing_key: &str,
) -> Result<SetupOutcome, KisiError> {
    let existing = find_own(client, remembered_id).await?;
    let name = integration_name();
    let fields = IntegrationFields {
        name: Some(&name),
        url: Some(webhook_url),
        enabled: Some(true),
        enabled_events: Some(EVENT_TYPES),
        signature_key: Some(signing_key),
        ..IntegrationFields::default()
    };
    match existing {
        Some(id) => {
            client.update_integration(id, &fields).await?;
            Ok(SetupOutcome { integration_id: id, url: webhook_url.to_owned(), created: false })
        }
        None => {
            let created =
                client.create_integration(&IntegrationFields { kind: Some("event_webhook"), ..fields }).await?;
            Ok(SetupOutcome { integration_id: created.id, url: webhook_url.to_owned(), created: true })
        }
    }
}

/// The id of Doorwatch's own integration: the remembered one if Kisi still has it, else one of type
/// `event_webhook` with this computer's name.
async fn find_own(client: &Client, remembered_id: Option<i64>) -> Result<Option<i64>, KisiError> {
    if let Some(id) = remembered_id {
        if let Some(found) = client.integration(id).await? {
            if found.kind == "event_webhook" {
                return Ok(Some(id));
            }
        }
    }
    let name = integration_name();
    Ok(client.integrations().await?.into_iter().find(|i| i.kind == "event_webhook" && i.name == name).map(|i| i.id))
}

/// Points the integration at `webhook_url` if it is not already (the tunnel's URL changed). Returns
/// whether it was changed.
pub async fn follow_url(client: &Client, id: i64, webhook_url: &str) -> Result<bool, KisiError> {
    let current = client.integration(id).await?.ok_or_else(|| KisiError::NotFound(format!("integration {id}")))?;
    if current.url.as_deref() == Some(webhook_url) {
        return Ok(false);
    }
    client
        .update_integration(id, &IntegrationFields { url: Some(webhook_url), ..IntegrationFields::default() })
        .await?;
    Ok(true)
}

/// The integration's health as the status bar shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Health {
    Enabled {
        url: Option<String>,
    },
    /// Switched off, by Kisi after failed deliveries (`due_to_error`) or by a person.
    Disabled {
        due_to_error: bool,
        since: Option<String>,
    },
    /// Deleted at Kisi: run setup again.
    Missing,
}

impl Health {
    pub fn of(integration: Option<&Integration>) -> Health {
        match integration {
            None => Health::Missing,
            Some(i) if i.enabled && !i.disabled_due_to_error => Health::Enabled { url: i.url.clone() },
            Some(i) => {
                Health::Disabled { due_to_error: i.disabled_due_to_error, since: i.disabled_due_to_error_at.clone() }
            }
        }
    }

    /// In words, for the status bar, the tray and `doorwatch kisi status`.
    pub fn describe(&self) -> String {
        match self {
            Health::Enabled { .. } => "Kisi webhook on".to_owned(),
            Health::Disabled { due_to_error: true, since } => format!(
                "Kisi switched the webhook off after failed deliveries{} — re-enable it",
                since.as_deref().map(|s| format!(" ({s})")).unwrap_or_default()
            ),
            Health::Disabled { .. } => "the Kisi webhook is switched off — re-enable it".to_owned(),
            Health::Missing => "the Kisi webhook was deleted — run setup again".to_owned(),
        }
    }
}

pub async fn health(client: &Client, id: i64) -> Result<Health, KisiError> {
    Ok(check(client, id).await?.0)
}

/// The integration's health, and the event types Doorwatch needs that it does not ask Kisi for (one
/// set up by an older Doorwatch, before closes ended door incidents). Kisi's answer without a list of
/// events says nothing is missing.
pub async fn check(client: &Client, id: i64) -> Result<(Health, Vec<&'static str>), KisiError> {
    let integration = client.integration(id).await?;
    let missing = match integration.as_ref().and_then(|i| i.enabled_events.as_ref()) {
        Some(asked) => EVENT_TYPES.iter().copied().filter(|t| !asked.iter().any(|a| a == t)).collect(),
        None => Vec::new(),
    };
    Ok((Health::of(integration.as_ref()), missing))
}

/// Asks Kisi for `missing` event types too, keeping the ones the integration already has.
pub async fn add_events(client: &Client, id: i64, missing: &[&str]) -> Result<(), KisiError> {
    let current = client.integration(id).await?.and_then(|i| i.enabled_events).unwrap_or_default();
    let mut events: Vec<&str> = current.iter().map(String::as_str).collect();
    events.extend(missing.iter().filter(|m| !current.iter().any(|c| c == *m)));
    let fields = IntegrationFields { enabled_events: Some(&events), ..IntegrationFields::default() };
    client.update_integration(id, &fields).await
}

/// Switches the integration back on (which also clears Kisi's "disabled due to error").
pub async fn re_enable(client: &Client, id: i64) -> Result<(), KisiError> {
    client.update_integration(id, &IntegrationFields { enabled: Some(true), ..IntegrationFields::default() }).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_urls_get_the_path_once_and_local_addresses_are_refused() {
        assert_eq!(webhook_url("https://door.ngrok.app").unwrap(), "https://door.ngrok.app/webhooks/kisi");
        assert_eq!(webhook_url("https://door.ngrok.app/").unwrap(), "https://door.ngrok.app/webhooks/kisi");
        assert_eq!(webhook_url("https://x.example/webhooks/kisi").unwrap(), "https://x.example/webhooks/kisi");
        assert!(webhook_url("door.ngrok.app").unwrap_err().contains("https://"));
        assert!(webhook_url("http://door.example").unwrap_err().contains("not encrypted"));
        assert!(webhook_url("http://127.0.0.1:8787").unwrap_err().contains("cannot reach"));
        assert!(webhook_url("https://").unwrap_err().contains("no host"));
    }

    #[test]
    fn health_reads_kisis_flags() {
        let mut i = Integration {
            id: 1,
            name: "Doorwatch".into(),
            kind: "event_webhook".into(),
            enabled: true,
            disabled_due_to_error: false,
            disabled_due_to_error_at: None,
            url: None,
            enabled_events: None,
        };
        assert!(matches!(Health::of(Some(&i)), Health::Enabled { .. }));
        i.enabled = false;
        i.disabled_due_to_error = true;
        assert!(Health::of(Some(&i)).describe().contains("after failed deliveries"));
        assert_eq!(Health::of(None), Health::Missing);
    }
}
