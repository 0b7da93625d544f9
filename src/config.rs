//! Where things are and how they are set: the documented defaults, overridden by the environment
//! (`DOORWATCH_DB`, `DOORWATCH_LISTEN`, `DOORWATCH_SIGNING_KEY`, `NGROK_AUTHTOKEN`, `NGROK_DOMAIN`,
//! `KISI_API_KEY`, `KISI_API_BASE`) and by command-line flags; secrets not in the environment come from
//! the keyring. The desktop app and the CLI resolve them through these same functions.

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;

use crate::kisi::{self, ApiKey};
use crate::secrets::{Secret, Secrets, SecretsError};
use crate::settings::Settings;
use crate::signature::SigningKey;
use crate::tunnel::{self, Authtoken, TunnelConfig};

pub const ENV_DB: &str = "DOORWATCH_DB";
pub const ENV_LISTEN: &str = "DOORWATCH_LISTEN";
pub const ENV_SIGNING_KEY: &str = "DOORWATCH_SIGNING_KEY";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8787";
/// The webhook's path on the ingest router.
pub const WEBHOOK_PATH: &str = "/webhooks/kisi";

/// The database file when neither `--db` nor `DOORWATCH_DB` says otherwise: the platform's data folder
/// (`~/.local/share/doorwatch/doorwatch.sqlite3` on Linux).
pub fn default_db_path() -> PathBuf {
    directories::ProjectDirs::from("", "", "doorwatch")
        .map(|dirs| dirs.data_dir().join("doorwatch.sqlite3"))
        .unwrap_or_else(|| PathBuf::from("doorwatch.sqlite3"))
}

/// Reads a listen address: `IP:PORT`, or `localhost:PORT`.
pub fn parse_listen(text: &str) -> Result<SocketAddr, String> {
    let text = text.trim();
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Ok(addr);
    }
    match text.rsplit_once(':') {
        Some((host, port)) if host.eq_ignore_ascii_case("localhost") => port
            .parse::<u16>()
            .map(|p| SocketAddr::from(([127, 0, 0, 1], p)))
            .map_err(|_| format!("{text:?} has an invalid port")),
        _ => match text.to_socket_addrs() {
            Ok(mut addrs) => addrs.next().ok_or_else(|| format!("{text:?} resolves to no address")),
            Err(_) => Err(format!("{text:?} is not an address like 127.0.0.1:8787")),
        },
    }
}

/// The signing key held in the environment variable `var`, if it is set and not blank.
pub fn signing_key_from_env(var: &str) -> Option<SigningKey> {
    std::env::var(var).ok().and_then(|k| SigningKey::new(&k))
}

fn env_text(var: &str) -> Option<String> {
    std::env::var(var).ok().map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// The webhook's signing key: `DOORWATCH_SIGNING_KEY`, else the one saved (by settings or Kisi setup).
pub fn signing_key(secrets: &Secrets) -> Result<Option<SigningKey>, SecretsError> {
    match signing_key_from_env(ENV_SIGNING_KEY) {
        Some(key) => Ok(Some(key)),
        None => Ok(secrets.get(Secret::SigningKey)?.and_then(|k| SigningKey::new(&k))),
    }
}

/// True when the environment fixes the signing key (so setup must use it rather than a new one).
pub fn signing_key_is_from_env() -> bool {
    signing_key_from_env(ENV_SIGNING_KEY).is_some()
}

/// The ngrok authtoken: `NGROK_AUTHTOKEN`, else the saved one.
pub fn ngrok_authtoken(secrets: &Secrets) -> Result<Option<Authtoken>, SecretsError> {
    match env_text(tunnel::ENV_AUTHTOKEN) {
        Some(token) => Ok(Authtoken::new(&token)),
        None => Ok(secrets.get(Secret::NgrokAuthtoken)?.and_then(|t| Authtoken::new(&t))),
    }
}

/// The tunnel to open, if there is a token: its fixed domain from `NGROK_DOMAIN` or the settings.
pub fn tunnel_config(secrets: &Secrets, settings: &Settings) -> Result<Option<TunnelConfig>, SecretsError> {
    Ok(ngrok_authtoken(secrets)?.map(|authtoken| TunnelConfig {
        authtoken,
        domain: env_text(tunnel::ENV_DOMAIN)
            .or_else(|| Some(settings.tunnel.domain.trim().to_owned()))
            .filter(|d| !d.is_empty()),
        server_addr: env_text(tunnel::ENV_SERVER),
    }))
}

/// A Kisi API client, if there is a key: `KISI_API_KEY`, else the saved one; `KISI_API_BASE` or Kisi's.
pub fn kisi_client(secrets: &Secrets) -> Result<Option<kisi::Client>, SecretsError> {
    let key = match env_text(kisi::ENV_API_KEY) {
        Some(key) => ApiKey::new(&key),
        None => secrets.get(Secret::KisiApiKey)?.and_then(|k| ApiKey::new(&k)),
    };
    Ok(key.map(|key| kisi::Client::new(&kisi::Client::base_from_env(), key)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_addresses_parse_or_say_why_not() {
        assert_eq!(parse_listen("127.0.0.1:8787"), Ok("127.0.0.1:8787".parse().unwrap()));
        assert_eq!(parse_listen("localhost:9000"), Ok("127.0.0.1:9000".parse().unwrap()));
        assert_eq!(parse_listen("[::1]:1"), Ok("[::1]:1".parse().unwrap()));
        assert!(parse_listen("localhost:99999").unwrap_err().contains("invalid port"));
        assert!(parse_listen("nonsense").is_err());
    }

    #[test]
    fn the_default_database_lives_in_a_doorwatch_folder() {
        let p = default_db_path();
        assert!(p.ends_with("doorwatch.sqlite3"));
    }
}
