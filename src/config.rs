//! Where things are and how they are set: the documented defaults, overridden by the environment
//! (`DOORWATCH_DB`, `DOORWATCH_LISTEN`, `DOORWATCH_SIGNING_KEY`) and by command-line flags. The desktop
//! app and the CLI resolve them through these same functions.

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;

use crate::signature::SigningKey;

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
