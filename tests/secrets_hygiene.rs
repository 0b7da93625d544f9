//! Secrets hygiene: with known secrets (the webhook's signing key, an ngrok authtoken, a Kisi API key)
//! every command path runs — setup, serve with the tunnel and the Kisi upkeep, good and forged
//! deliveries, backfill, status, listing, export, send-test — with debug logging on. Then the logs, the
//! output, the database, the settings file and the exports are searched for the secrets: none may be
//! there. Only `secrets.toml` holds them (on a machine without a keyring), and every file is owner-only.

#[path = "support/fake_kisi/mod.rs"]
mod fake_kisi;
mod support;

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use support::delivery;

const KISI_KEY: &str = "kisi-HYGIENE-api-key-7d3f9a";
const NGROK_TOKEN: &str = "2HygieneNgrokToken_8e4c1b5a9f0d2e7c";

struct Env {
    dir: tempfile::TempDir,
    kisi_base: String,
    ngrok_server: String,
}

impl Env {
    fn config(&self) -> PathBuf {
        self.dir.path().join("config")
    }
    fn db(&self) -> PathBuf {
        self.dir.path().join("doorwatch.sqlite3")
    }
    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_doorwatch"));
        cmd.args(args)
            .env("DOORWATCH_DB", self.db())
            .env("DOORWATCH_CONFIG_DIR", self.config())
            .env("DOORWATCH_SECRETS", "file")
            .env("DOORWATCH_LOG", "debug")
            .env("KISI_API_KEY", KISI_KEY)
            .env("KISI_API_BASE", &self.kisi_base)
            .env("NGROK_AUTHTOKEN", NGROK_TOKEN)
            .env("DOORWATCH_NGROK_SERVER", &self.ngrok_server)
            .env_remove("DOORWATCH_SIGNING_KEY")
            .env_remove("DOORWATCH_LISTEN")
            .stdin(Stdio::null());
        cmd
    }
}

fn run(env: &Env, args: &[&str]) -> Output {
    env.command(args).output().unwrap()
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

/// Unix permission bits (on Windows, the files are private by living in the user's own profile folder).
#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_reaches_a_log_the_output_the_database_or_the_settings() {
    let fake = fake_kisi::FakeKisi::start(KISI_KEY).await;
    fake.set_polls_before_finished(0);
    let now = chrono::Utc::now();
    fake.add_events((0..20).map(|i| {
        fake_kisi::event(&format!("hyg-{i}"), now - chrono::Duration::minutes(30 + i), i % 4 != 0, "Lobby", Some("Ann"))
    }));
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().to_string();
    let env = Env { dir: tempfile::tempdir().unwrap(), kisi_base: fake.base_url.clone(), ngrok_server: closed };
    let mut transcript = String::new();

    let out = tokio::task::block_in_place(|| run(&env, &["kisi", "setup", "--public-url", "https://door.example"]));
    assert!(out.status.success(), "{}", text(&out));
    transcript += &text(&out);
    let secrets_file = std::fs::read_to_string(env.config().join("secrets.toml")).unwrap();
    let signing_key = fake.integrations()[0].signature_key.clone().unwrap();
    assert!(secrets_file.contains(&signing_key), "the generated key is kept for the receiver");

    // serve with the tunnel (offline here) and the Kisi upkeep; good, forged and unsigned deliveries.
    let log = env.dir.path().join("serve.log");
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut serve = env
        .command(&["serve", "--tunnel", "ngrok", "--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::from(std::fs::File::create(&log).unwrap()))
        .stderr(Stdio::from(std::fs::File::create(env.dir.path().join("serve.err")).unwrap()))
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}/webhooks/kisi");
    let client = reqwest::Client::new();
    let mut up = false;
    for _ in 0..100 {
        if client.get(format!("http://127.0.0.1:{port}/healthz")).send().await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(up, "serve did not start");
    let body = br#"{"uuid":"hyg-live","type":"lock.unlock","success":false,"object_name":"Lobby"}"#;
    // Signed with the key, forged with a guessed one, and unsigned.
    for (key, expected) in [(Some(signing_key.as_str()), 200), (Some("a-guess"), 401), (None, 401)] {
        assert_eq!(delivery::deliver(&client, &url, body, key).await.0, expected);
    }
    // Let the start-up backfill and health check run, then stop it as a service manager would.
    tokio::time::sleep(Duration::from_secs(3)).await;
    Command::new("kill").arg("-TERM").arg(serve.id().to_string()).status().unwrap();
    assert!(tokio::task::block_in_place(|| serve.wait()).unwrap().success());
    transcript += &std::fs::read_to_string(&log).unwrap();
    transcript += &std::fs::read_to_string(env.dir.path().join("serve.err")).unwrap();
    assert!(transcript.contains("tunnel offline"), "{transcript}");

    let export = env.dir.path().join("export.jsonl");
    for args in [
        vec!["backfill", "--since", "2h"],
        vec!["kisi", "status"],
        vec!["events", "--json", "--limit", "100"],
        vec!["export", "--format", "jsonl", "-o", export.to_str().unwrap()],
    ] {
        let out = tokio::task::block_in_place(|| run(&env, &args));
        assert!(out.status.success(), "{args:?}: {}", text(&out));
        transcript += &text(&out);
    }
    let out = tokio::task::block_in_place(|| {
        env.command(&["send-test", "--url", &url, "--signing-key-env", "HYGIENE_KEY"])
            .env("HYGIENE_KEY", &signing_key)
            .output()
            .unwrap()
    });
    transcript += &text(&out);
    assert!(transcript.contains("events from Kisi"), "the backfill ran: {transcript}");

    let mut places: Vec<(String, Vec<u8>)> = vec![("everything printed".into(), transcript.into_bytes())];
    for file in ["doorwatch.sqlite3", "doorwatch.sqlite3-wal", "export.jsonl", "config/settings.toml"] {
        let path = env.dir.path().join(file);
        if path.exists() {
            places.push((file.to_owned(), std::fs::read(&path).unwrap()));
        }
    }
    for (place, bytes) in &places {
        let haystack = String::from_utf8_lossy(bytes);
        for secret in [KISI_KEY, NGROK_TOKEN, signing_key.as_str()] {
            assert!(!haystack.contains(secret), "a secret ({}…) is in {place}", &secret[..4]);
        }
    }
    #[cfg(unix)]
    for file in ["doorwatch.sqlite3", "config/settings.toml", "config/secrets.toml"] {
        assert_eq!(mode(&env.dir.path().join(file)), 0o600, "{file} is not owner-only");
    }
}
