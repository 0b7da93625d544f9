//! The settings file: documented defaults plus the user's overrides, kept as commented TOML in the
//! platform config folder (`~/.config/doorwatch/settings.toml` on Linux). Flags and the environment
//! override it (see [`crate::config`]). Secrets never live here: see [`crate::config::secrets`].

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::alert::AlertSettings;

/// The receiver's local address when nothing says otherwise.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8787";

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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Local address of the receiver (loopback only).
    pub listen: String,
    /// Skip the fsync on each commit (faster; a power cut may lose the last events acknowledged).
    pub relaxed_durability: bool,
    /// Start Doorwatch when you log in.
    pub start_at_login: bool,
    /// Keep events this many days; 0 keeps them for ever.
    pub retention_days: u32,
    /// The first-run guide was finished or skipped (it can be reopened from Settings).
    pub setup_done: bool,
    pub alerts: AlertSettings,
    pub tunnel: TunnelSettings,
    pub kisi: KisiSettings,
    /// The user's alert rules (`[[rule]]`), tried in order before the built-in ones.
    #[serde(rename = "rule")]
    pub rules: Vec<crate::alert::rules::Rule>,
}

/// How Kisi reaches this computer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS, Deserialize, Default)]
#[serde(default)]
pub struct TunnelSettings {
    /// The ngrok account's fixed domain, so the webhook URL survives restarts (NGROK_DOMAIN overrides).
    pub domain: String,
    /// The public URL of another tunnel or reverse proxy that forwards to `listen`, when ngrok is not used.
    pub public_url: String,
    /// While public, store deliveries that carry no signature (as unverified, at most 120 a minute)
    /// although no signing key is set. Off by default: a public receiver is a signed receiver.
    pub accept_unsigned: bool,
}

/// The Kisi API side (optional: without an API key Doorwatch works from webhooks alone).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS, Deserialize)]
#[serde(default)]
pub struct KisiSettings {
    /// Doorwatch's Event Webhook integration at Kisi, remembered by setup.
    #[ts(type = "number | null")]
    pub integration_id: Option<i64>,
    /// Minutes between checks that Kisi has not switched the webhook off.
    pub health_check_minutes: u32,
    /// "Unlock…" on refused-unlock notifications and in their details (always asking first). Off
    /// unless the user turns it on: it opens a real door.
    pub remote_unlock: bool,
}

impl Default for KisiSettings {
    fn default() -> Self {
        KisiSettings { integration_id: None, health_check_minutes: 10, remote_unlock: false }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            listen: DEFAULT_LISTEN.to_owned(),
            relaxed_durability: false,
            start_at_login: false,
            retention_days: 0,
            setup_done: false,
            alerts: AlertSettings::default(),
            tunnel: TunnelSettings::default(),
            kisi: KisiSettings::default(),
            rules: Vec::new(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("the settings file {path} is not valid: {reason} (fix it, or delete it to start from the defaults)")]
    Invalid { path: PathBuf, reason: String },
    #[error("cannot read or write the settings file {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
}

impl Settings {
    /// Reads the file; a missing file means all defaults. A file that does not parse is an error that
    /// names the file and the line, and is left as it is.
    pub fn load(path: &Path) -> Result<Settings, SettingsError> {
        match std::fs::read_to_string(path) {
            Ok(text) => toml::from_str(&text)
                .map_err(|e| SettingsError::Invalid { path: path.to_owned(), reason: e.to_string().trim().to_owned() }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Settings::default()),
            Err(source) => Err(SettingsError::Io { path: path.to_owned(), source }),
        }
    }

    /// Checks what a person entered; the message names the setting.
    pub fn validate(&self) -> Result<(), String> {
        let addr = parse_listen(&self.listen).map_err(|e| format!("listen: {e}"))?;
        if !addr.ip().is_loopback() {
            return Err(format!("listen: {addr} is not a loopback address (use 127.0.0.1:PORT)"));
        }
        let a = &self.alerts;
        if a.burst_threshold < 2 {
            return Err("alerts.burst_threshold: use 2 or more".to_owned());
        }
        if a.burst_window_secs == 0 || a.burst_window_secs > 3600 {
            return Err("alerts.burst_window_secs: use 1 to 3600 seconds".to_owned());
        }
        if a.quiet_from.is_some() != a.quiet_until.is_some() {
            return Err("alerts.quiet_from and alerts.quiet_until go together: set both or neither".to_owned());
        }
        if self.retention_days > 36_500 {
            return Err("retention_days: use 0 (keep for ever) to 36500 days".to_owned());
        }
        if a.silence_minutes > 24 * 60 {
            return Err("alerts.silence_minutes: use 0 (off) to 1440 minutes".to_owned());
        }
        if a.incident_repeat_minutes > 24 * 60 {
            return Err("alerts.incident_repeat_minutes: use 0 (notify once) to 1440 minutes".to_owned());
        }
        if let (Some(from), Some(until)) = (a.open_from, a.open_until) {
            if from >= until {
                return Err("alerts.open_from must be before alerts.open_until".to_owned());
            }
        }
        if !self.tunnel.public_url.trim().is_empty() {
            crate::kisi::integration::webhook_url(&self.tunnel.public_url)
                .map_err(|e| format!("tunnel.public_url: {e}"))?;
        }
        let domain = self.tunnel.domain.trim();
        if !domain.is_empty() && (domain.contains("://") || domain.contains('/') || !domain.contains('.')) {
            return Err(format!("tunnel.domain: {domain:?} should be a bare domain such as door-watch.ngrok-free.app"));
        }
        if self.kisi.health_check_minutes == 0 || self.kisi.health_check_minutes > 24 * 60 {
            return Err("kisi.health_check_minutes: use 1 to 1440 minutes".to_owned());
        }
        crate::alert::rules::validate(&self.rules)
    }

    /// Writes the file with a comment above every setting, readable by its owner only, replacing the
    /// old file only once the new one is complete.
    pub fn save(&self, path: &Path) -> Result<(), SettingsError> {
        crate::config::private_file::write(path, self.to_commented_toml().as_bytes())
            .map_err(|source| SettingsError::Io { path: path.to_owned(), source })
    }

    fn to_commented_toml(&self) -> String {
        let mut text = self.commented_tables();
        text.push_str(&super::rules_file::commented(&self.rules));
        text
    }

    fn commented_tables(&self) -> String {
        let v = |value: toml::Value| value.to_string();
        let s = |text: &str| v(toml::Value::String(text.to_owned()));
        let b = |flag: bool| v(toml::Value::Boolean(flag));
        let time = |t: Option<chrono::NaiveTime>| t.map(|t| t.format("%H:%M").to_string()).unwrap_or_default();
        let a = &self.alerts;
        format!(
            r#"# Doorwatch settings. Delete a line to go back to its default (shown in the comment).
# Secrets (the webhook's signing key, tokens) are never kept here: they are in the system keyring.

# Local address of the receiver; loopback only. Default: "{DEFAULT_LISTEN}".
# The environment variable DOORWATCH_LISTEN overrides it.
listen = {listen}

# true skips the fsync on each commit: faster, but events acknowledged just before a power cut can be
# lost. Default: false.
relaxed_durability = {relaxed}

# Start Doorwatch when you log in. Default: false.
start_at_login = {login}

# Keep door events this many days, then delete them (oldest first, a few hundred at a time).
# Default: 0, which keeps them for ever.
retention_days = {retention}

# The first-run guide was finished or skipped; false shows it again while no event has arrived.
# Default: false. (Settings → "Setup guide…" reopens it at any time.)
setup_done = {setup_done}

[alerts]
# Which events raise a desktop notification. Defaults: all true.
failed_unlocks = {failed}
held_open = {held}
forced_open = {forced}
tamper = {tamper}
integration_disabled = {integration}

# This many refused unlocks at one door within burst_window_secs become one summary that updates.
# Defaults: 3 within 60 seconds.
burst_threshold = {threshold}
burst_window_secs = {window}

# No notifications between these local times, e.g. "22:00" and "07:00". Default: "" (none).
quiet_from = {quiet_from}
quiet_until = {quiet_until}

# A notification when no door event at all arrived for this many minutes during opening hours (Monday
# to Friday, local time): Kisi may have stopped sending. 0 turns it off. Defaults: 180, "08:00", "18:00".
silence_minutes = {silence}
open_from = {open_from}
open_until = {open_until}

# A door held or forced open is an incident: its notification repeats every this many minutes, saying
# how long it has been open, until the door closes or you press Acknowledge. 0 notifies once. Default: 5.
incident_repeat_minutes = {repeat}

# On workdays (Monday to Friday), one notification sums up the night since closing time (open_until):
# refused unlocks by door, after-hours entries, incidents. It comes at the first moment after this local
# time that the computer is awake. Default: "07:30"; "" turns it off.
summary_at = {summary_at}

[tunnel]
# Your ngrok account's fixed domain (free accounts get one at dashboard.ngrok.com → Domains), so the
# webhook URL stays the same across restarts. Default: "" (a new random URL each start).
# The ngrok authtoken itself is a secret and lives in the system keyring. NGROK_DOMAIN overrides this.
domain = {domain}
# Not using ngrok? The public https URL of your own tunnel or reverse proxy that forwards to `listen`.
# Default: "".
public_url = {public_url}
# While Doorwatch is reachable from the internet and has no signature key, unsigned deliveries are
# refused: anyone who learns the URL could add events and raise alerts. true stores them anyway, marked
# "unverified", at most 120 a minute. Default: false.
accept_unsigned = {accept_unsigned}

[kisi]
# Doorwatch's webhook integration at Kisi, remembered by "Connect to Kisi" / `doorwatch kisi setup`.
# The Kisi API key is a secret and lives in the system keyring.
{integration_id}
# Minutes between checks that Kisi has not switched the webhook off. Default: 10.
health_check_minutes = {health}
# "Unlock…" on refused-unlock notifications and in their details, always asking first; Kisi decides
# whether the API key's role may unlock each door, and every unlock is recorded in the timeline.
# It opens a real door, so it is off unless you turn it on. Default: false.
remote_unlock = {remote_unlock}
"#,
            listen = s(&self.listen),
            relaxed = b(self.relaxed_durability),
            login = b(self.start_at_login),
            retention = self.retention_days,
            setup_done = b(self.setup_done),
            failed = b(a.failed_unlocks),
            held = b(a.held_open),
            forced = b(a.forced_open),
            tamper = b(a.tamper),
            integration = b(a.integration_disabled),
            threshold = a.burst_threshold,
            window = a.burst_window_secs,
            quiet_from = s(&time(a.quiet_from)),
            quiet_until = s(&time(a.quiet_until)),
            silence = a.silence_minutes,
            open_from = s(&time(a.open_from)),
            open_until = s(&time(a.open_until)),
            repeat = a.incident_repeat_minutes,
            summary_at = s(&time(a.summary_at)),
            domain = s(&self.tunnel.domain),
            public_url = s(&self.tunnel.public_url),
            accept_unsigned = b(self.tunnel.accept_unsigned),
            integration_id = match self.kisi.integration_id {
                Some(id) => format!("integration_id = {id}"),
                None => "# integration_id = (none yet)".to_owned(),
            },
            health = self.kisi.health_check_minutes,
            remote_unlock = b(self.kisi.remote_unlock),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_settings_read_back_identical_and_are_commented() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.toml");
        let mut s = Settings { listen: "127.0.0.1:9999".into(), ..Settings::default() };
        s.alerts.held_open = false;
        s.alerts.quiet_from = chrono::NaiveTime::from_hms_opt(22, 0, 0);
        s.alerts.quiet_until = chrono::NaiveTime::from_hms_opt(7, 0, 0);
        s.tunnel.domain = "door-watch.ngrok-free.app".into();
        s.kisi.integration_id = Some(4411);
        s.save(&path).unwrap();
        assert_eq!(Settings::load(&path).unwrap(), s);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("# Local address of the receiver"));
        assert!(text.contains("quiet_from = \"22:00\""));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }

    #[test]
    fn a_missing_file_means_defaults_and_a_partial_one_fills_in_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.toml");
        assert_eq!(Settings::load(&path).unwrap(), Settings::default());
        std::fs::write(&path, "[alerts]\nheld_open = false\n").unwrap();
        let s = Settings::load(&path).unwrap();
        assert!(!s.alerts.held_open);
        assert_eq!(s.listen, DEFAULT_LISTEN);
    }

    #[test]
    fn a_broken_file_is_an_error_naming_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.toml");
        std::fs::write(&path, "listen = \"127.0.0.1:1\"\n[alerts]\nquiet_from = \"late\"\n").unwrap();
        let message = Settings::load(&path).unwrap_err().to_string();
        assert!(message.contains("settings.toml"), "{message}");
        assert!(message.contains("line 3"), "{message}");
        assert!(message.contains("not a time of day"), "{message}");
    }

    #[test]
    fn listen_addresses_parse_or_say_why_not() {
        assert_eq!(parse_listen("127.0.0.1:8787"), Ok("127.0.0.1:8787".parse().unwrap()));
        assert_eq!(parse_listen("localhost:9000"), Ok("127.0.0.1:9000".parse().unwrap()));
        assert_eq!(parse_listen("[::1]:1"), Ok("[::1]:1".parse().unwrap()));
        assert!(parse_listen("localhost:99999").unwrap_err().contains("invalid port"));
        assert!(parse_listen("nonsense").is_err());
    }

    #[test]
    fn validation_names_the_setting() {
        let s = Settings { listen: "0.0.0.0:8787".into(), ..Settings::default() };
        assert!(s.validate().unwrap_err().starts_with("listen:"));
        let mut s = Settings::default();
        s.alerts.quiet_from = chrono::NaiveTime::from_hms_opt(22, 0, 0);
        assert!(s.validate().unwrap_err().contains("quiet_until"));
        assert!(Settings::default().validate().is_ok());
    }
}
