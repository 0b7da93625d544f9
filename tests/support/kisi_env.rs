//! What the Kisi tests (kisi_setup, kisi_upkeep, kisi_cli) share: the fake Kisi's API key and a client
//! for it, a private settings-and-secrets folder, and a receiver on a free loopback port. Needs the
//! including test to declare `mod fake_kisi` (support/fake_kisi/mod.rs) at its root.
#![allow(dead_code)] // each test binary compiles this file on its own and uses part of it

use doorwatch::config::secrets::Secrets;
use doorwatch::config::settings::Settings;
use doorwatch::kisi::{ApiKey, Client};
use doorwatch::receive::{Receiver, ReceiverConfig};
use doorwatch::store::StoreOptions;

use crate::fake_kisi::FakeKisi;

pub const API_KEY: &str = "kisi-test-api-key";

pub fn client(fake: &FakeKisi) -> Client {
    Client::new(&fake.base_url, ApiKey::new(API_KEY).unwrap())
}

pub struct Config {
    pub dir: tempfile::TempDir,
}

impl Config {
    pub fn new() -> Config {
        Config { dir: tempfile::tempdir().unwrap() }
    }
    pub fn secrets(&self) -> Secrets {
        Secrets::file_only(self.dir.path())
    }
    pub fn settings_path(&self) -> std::path::PathBuf {
        self.dir.path().join("settings.toml")
    }
    /// The configuration Doorwatch resolves for this folder: secrets in its owner-only file.
    pub fn resolved(&self) -> doorwatch::config::Config {
        use doorwatch::config::{env, Environment, Flags};
        let env = Environment::from_pairs([(env::SECRETS, "file")]);
        doorwatch::config::Config::resolve(&Flags::default(), env, Settings::default(), self.settings_path()).unwrap()
    }
    pub fn settings(&self) -> Settings {
        Settings::load(&self.settings_path()).unwrap()
    }
}

pub async fn receiver(dir: &std::path::Path, key: Option<String>) -> Receiver {
    Receiver::start(ReceiverConfig {
        db: dir.join("doorwatch.sqlite3"),
        listen: "127.0.0.1:0".parse().unwrap(),
        signing_key: key.as_deref().and_then(doorwatch::receive::signature::SigningKey::new),
        store: StoreOptions::default(),
    })
    .await
    .unwrap()
}

/// `doorwatch` with its own settings and secrets folder, pointed at the fake Kisi at `kisi_base`; its
/// stdin is not a terminal.
pub fn cli(config: &Config, kisi_base: &str, args: &[&str]) -> std::process::Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_doorwatch"));
    for var in ["DOORWATCH_LISTEN", "DOORWATCH_SIGNING_KEY", "NGROK_AUTHTOKEN", "NGROK_DOMAIN", "DOORWATCH_LOG"] {
        cmd.env_remove(var);
    }
    cmd.env("DOORWATCH_CONFIG_DIR", config.dir.path())
        .env("DOORWATCH_SECRETS", "file")
        .env("DOORWATCH_DB", config.dir.path().join("doorwatch.sqlite3"))
        .env("KISI_API_KEY", API_KEY)
        .env("KISI_API_BASE", kisi_base)
        .env("USER", "grace") // who a remote unlock records
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
}

/// The key the running Doorwatch of [`running`] checks webhook signatures with.
pub const SIGNING_KEY: &str = "kisi-env-signing-key";

/// A running Doorwatch (as `serve` starts it, without the tunnel) on a free loopback port, its files in
/// `dir`, reaching the fake Kisi with [`API_KEY`] and checking signatures with [`SIGNING_KEY`]; and its
/// webhook URL.
pub async fn running(
    fake: &FakeKisi,
    dir: &std::path::Path,
) -> (doorwatch::app::Doorwatch, doorwatch::app::Outputs, String) {
    use doorwatch::app::{Doorwatch, StartOptions};
    use doorwatch::config::{env, Environment, Flags};
    let flags =
        Flags { db: Some(dir.join("d.sqlite3")), listen: Some("127.0.0.1:0".parse().unwrap()), ..Flags::default() };
    let env = Environment::from_pairs([
        (env::SECRETS, "file"),
        (env::SIGNING_KEY, SIGNING_KEY),
        (env::KISI_API_KEY, API_KEY),
        (env::KISI_API_BASE, fake.base_url.as_str()),
    ]);
    let config =
        doorwatch::config::Config::resolve(&flags, env, Settings::default(), dir.join("settings.toml")).unwrap();
    let (doorwatch, outputs) = Doorwatch::start(config, flags, None, StartOptions { tunnel: false }).await;
    let url = doorwatch.with_receiver(|r| r.local_url()).expect("the receiver started");
    (doorwatch, outputs, url)
}
