//! Linux's keyring as Doorwatch ships it (`keyring`'s synchronous Secret Service client, over libdbus)
//! against a real Secret Service: gnome-keyring-daemon, unlocked, on a private D-Bus session. A secret
//! saved is read back by a new entry, removed is gone, and using the keyring leaves no thread behind
//! (the asynchronous client left a pool thread that woke twice a second for the app's whole life).
#![cfg(target_os = "linux")]

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use doorwatch::config::keyring::{Keyring, OsKeyring};

struct Daemons(Vec<Child>);

impl Drop for Daemons {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn threads_named(prefix: &str) -> usize {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .flatten()
        .filter(|t| std::fs::read_to_string(t.path().join("comm")).unwrap_or_default().starts_with(prefix))
        .count()
}

#[test]
fn secrets_persist_in_a_real_secret_service_and_no_thread_is_left_waking() {
    let dir = tempfile::tempdir().unwrap();
    let mut bus = Command::new("dbus-daemon")
        .args(["--session", "--nofork", "--print-address=1"])
        .arg(format!("--address=unix:path={}", dir.path().join("bus").display()))
        .stdout(Stdio::piped())
        .spawn()
        .expect("dbus-daemon (apt install dbus)");
    let mut address = String::new();
    BufReader::new(bus.stdout.take().unwrap()).read_line(&mut address).unwrap();
    let address = address.trim().to_owned();
    let mut daemons = Daemons(vec![bus]);
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    // `--unlock` reads the login keyring's password on stdin, creating it unlocked.
    let mut keyring = Command::new("gnome-keyring-daemon")
        .args(["--unlock", "--components=secrets", "--foreground"])
        .env("DBUS_SESSION_BUS_ADDRESS", &address)
        .env("XDG_RUNTIME_DIR", dir.path())
        .env("HOME", &home)
        .env("XDG_DATA_HOME", home.join("data"))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("gnome-keyring-daemon (apt install gnome-keyring; make test installs it)");
    keyring.stdin.take().unwrap().write_all(b"test-password").unwrap();
    daemons.0.push(keyring);
    // SAFETY: this binary's only test sets the variable before anything reads it (no other thread
    // reads the environment here); the keyring client reads it to find the session bus.
    unsafe { std::env::set_var("DBUS_SESSION_BUS_ADDRESS", &address) };

    let os = OsKeyring;
    let started = Instant::now();
    while os.get("doorwatch_probe").is_err() {
        assert!(started.elapsed() < Duration::from_secs(15), "the Secret Service never answered");
        std::thread::sleep(Duration::from_millis(100));
    }
    let threads_before = threads_named("blocking-") + threads_named("async-io");
    os.set("kisi_api_key", "kisi-secret-for-the-keyring-test").unwrap();
    assert_eq!(os.get("kisi_api_key").unwrap().as_deref(), Some("kisi-secret-for-the-keyring-test"));
    os.set("kisi_api_key", "a-newer-key").unwrap();
    assert_eq!(os.get("kisi_api_key").unwrap().as_deref(), Some("a-newer-key"), "a save replaces, never adds");
    os.delete("kisi_api_key").unwrap();
    assert_eq!(os.get("kisi_api_key").unwrap(), None);
    os.delete("kisi_api_key").unwrap();
    assert_eq!(threads_before, 0);
    assert_eq!(threads_named("blocking-") + threads_named("async-io"), 0, "no runtime thread left behind");
    drop(daemons);
}
