//! The environment variables Doorwatch honours, read once into a value. Resolution takes this value
//! rather than reading the process environment itself, so precedence is tested without touching it, and
//! no other module reads a variable by hand.

use std::collections::BTreeMap;

/// Database file.
pub const DB: &str = "DOORWATCH_DB";
/// Local ingest address.
pub const LISTEN: &str = "DOORWATCH_LISTEN";
/// The webhook's signature key (a secret).
pub const SIGNING_KEY: &str = "DOORWATCH_SIGNING_KEY";
/// The folder of `settings.toml` (and `secrets.toml` without a keyring): tests, portable installs.
pub const CONFIG_DIR: &str = "DOORWATCH_CONFIG_DIR";
/// `file` keeps secrets in the owner-only file, never the keyring.
pub const SECRETS: &str = "DOORWATCH_SECRETS";
/// The ngrok authtoken (a secret).
pub const NGROK_AUTHTOKEN: &str = "NGROK_AUTHTOKEN";
/// The ngrok account's fixed domain.
pub const NGROK_DOMAIN: &str = "NGROK_DOMAIN";
/// Where the ngrok session connects (tests point it at an address that refuses or hangs).
pub const NGROK_SERVER: &str = "DOORWATCH_NGROK_SERVER";
/// The Kisi API key (a secret).
pub const KISI_API_KEY: &str = "KISI_API_KEY";
/// Kisi's API base URL (tests point it at a local fake).
pub const KISI_API_BASE: &str = "KISI_API_BASE";

const ALL: [&str; 10] = [
    DB,
    LISTEN,
    SIGNING_KEY,
    CONFIG_DIR,
    SECRETS,
    NGROK_AUTHTOKEN,
    NGROK_DOMAIN,
    NGROK_SERVER,
    KISI_API_KEY,
    KISI_API_BASE,
];

/// The values of Doorwatch's variables that are set and not blank, trimmed.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Environment {
    vars: BTreeMap<&'static str, String>,
}

impl Environment {
    /// Reads this process's environment.
    pub fn from_process() -> Environment {
        Environment::from_pairs(ALL.iter().filter_map(|&name| Some((name, std::env::var(name).ok()?))))
    }

    /// The given variables only (unknown names are ignored, as the process's other variables are).
    pub fn from_pairs<V: AsRef<str>>(pairs: impl IntoIterator<Item = (&'static str, V)>) -> Environment {
        let vars = pairs
            .into_iter()
            .filter(|(name, _)| ALL.contains(name))
            .map(|(name, value)| (name, value.as_ref().trim().to_owned()))
            .filter(|(_, value)| !value.is_empty())
            .collect();
        Environment { vars }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }

    pub fn is_set(&self, name: &str) -> bool {
        self.vars.contains_key(name)
    }
}

/// Names only: three of the variables are secrets.
impl std::fmt::Debug for Environment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.vars.keys()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_and_unknown_variables_count_as_unset_and_values_are_trimmed() {
        let env = Environment::from_pairs([(LISTEN, " 127.0.0.1:9 "), (DB, "  "), ("HOME", "/root")]);
        assert_eq!(env.get(LISTEN), Some("127.0.0.1:9"));
        assert!(!env.is_set(DB));
        assert_eq!(env.get("HOME"), None);
    }

    #[test]
    fn debug_shows_names_never_values() {
        let env = Environment::from_pairs([(SIGNING_KEY, "s3cret-value")]);
        let shown = format!("{env:?}");
        assert!(shown.contains(SIGNING_KEY) && !shown.contains("s3cret"), "{shown}");
    }
}
