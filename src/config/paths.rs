//! Where Doorwatch keeps its files when nothing says otherwise: the platform's data folder for the
//! database, its config folder for `settings.toml` (and `secrets.toml` on a machine without a keyring).

use std::path::PathBuf;

fn dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "doorwatch")
}

/// `~/.local/share/doorwatch/doorwatch.sqlite3` on Linux.
pub fn default_db() -> PathBuf {
    dirs().map(|d| d.data_dir().join("doorwatch.sqlite3")).unwrap_or_else(|| PathBuf::from("doorwatch.sqlite3"))
}

/// `~/.config/doorwatch` on Linux.
pub fn default_config_dir() -> PathBuf {
    dirs().map(|d| d.config_dir().to_owned()).unwrap_or_else(|| PathBuf::from("."))
}

pub const SETTINGS_FILE: &str = "settings.toml";

#[cfg(test)]
mod tests {
    #[test]
    fn the_default_database_lives_in_a_doorwatch_folder() {
        assert!(super::default_db().ends_with("doorwatch.sqlite3"));
    }
}
