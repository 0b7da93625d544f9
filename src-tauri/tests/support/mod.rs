//! A private desktop for tests and benchmarks: Xvfb, a D-Bus session with dunst and dbus-monitor, and
//! tauri-driver, all started here and stopped on drop. Shared by the tests/e2e_*.rs (one scenario
//! each) and benches/desktop/, with what they send and look at: [`events`] delivered to the app's
//! receiver (signed by [`delivery`], the one signed-delivery helper of every test and bench), the
//! window through WebDriver ([`page`]) and the X screen ([`x11`]).
#![allow(dead_code)] // each test binary and the benchmark compile this on their own and use part of it

#[path = "../../../tests/support/delivery.rs"]
pub mod delivery;
pub mod events;
pub mod page;
pub mod x11;

use std::io::{BufRead, BufReader};
use std::os::fd::AsRawFd as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder};

pub const KEY: &str = "e2e-signing-key-7c1d";

/// Xvfb, a D-Bus session with dunst and dbus-monitor, and tauri-driver, all private to one test.
pub struct Desktop {
    pub children: Vec<Child>,
    pub dir: tempfile::TempDir,
    pub env: Vec<(String, String)>,
    pub listen: String,
    pub driver_port: u16,
    pub monitor_log: PathBuf,
}

impl Drop for Desktop {
    fn drop(&mut self) {
        for child in self.children.iter_mut().rev() {
            // With what each started: tauri-driver's WebKitWebDriver and the app under it, dunst's helpers.
            for pid in tree(child.id()).into_iter().skip(1).rev() {
                // SAFETY: kill(2) only sends a signal, to processes this desktop started.
                unsafe { libc::kill(pid as i32, libc::SIGKILL) };
            }
            // Asked to end first, so that Xvfb and dbus-daemon remove their lock files and sockets; then
            // killed, if still there.
            // SAFETY: as above.
            unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
            let asked = Instant::now();
            while matches!(child.try_wait(), Ok(None)) && asked.elapsed() < Duration::from_secs(2) {
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A process and all its descendants, parents before children.
pub fn tree(root: u32) -> Vec<u32> {
    let mut parents = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { continue };
        // The parent is the second field after the parenthesised command name.
        let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else { continue };
        if let Some(ppid) = rest.split_whitespace().nth(1).and_then(|p| p.parse::<u32>().ok()) {
            parents.push((pid, ppid));
        }
    }
    let mut out = vec![root];
    let mut i = 0;
    while i < out.len() {
        let p = out[i];
        out.extend(parents.iter().filter(|(_, pp)| *pp == p).map(|(c, _)| *c));
        i += 1;
    }
    out
}

/// The command names of a process's children.
pub fn children_of(pid: u32) -> Vec<String> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else { continue };
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else { continue };
        if stat[close + 1..].split_whitespace().nth(1) == Some(&pid.to_string()) {
            names.push(stat[open + 1..close].to_owned());
        }
    }
    names
}

/// A test's turn at the one real desktop; the next test's turn starts when this is dropped.
pub struct Turn(std::fs::File);

/// One real desktop at a time: two WebKit windows on two cores under Xvfb make each other hang, so every
/// end-to-end test takes its turn before its [`Desktop`] starts and keeps it to its end (drop the turn
/// after the desktop). Each scenario is a test binary of its own: cargo runs those one after another,
/// but the tests of one binary run in parallel, and other runners (or a second `cargo test` on the same
/// target folder) run binaries side by side. So the turn is an flock(2) on one file of the target
/// folder, which makes threads and processes alike wait, and which the kernel lets go of when a process
/// ends, however it ends.
pub async fn take_turn() -> Turn {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("doorwatch-one-desktop.lock");
    tokio::task::spawn_blocking(move || {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        // SAFETY: flock(2) on a descriptor of a file this process holds open (in the Turn it returns).
        let locked = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) };
        assert_eq!(locked, 0, "flock {}: {}", path.display(), std::io::Error::last_os_error());
        Turn(file)
    })
    .await
    .unwrap()
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub fn wait_until(what: &str, timeout: Duration, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn tauri_driver() -> PathBuf {
    if let Some(p) = std::env::var_os("TAURI_DRIVER") {
        return p.into();
    }
    let home = PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cargo/bin/tauri-driver");
    if home.exists() {
        home
    } else {
        PathBuf::from("tauri-driver")
    }
}

impl Desktop {
    pub fn start() -> Desktop {
        Desktop::start_with(&[])
    }

    /// Like [`Desktop::start`], with more environment for the app (e.g. a fake Kisi API's address).
    pub fn start_with(extra_env: &[(&str, &str)]) -> Desktop {
        let dir = tempfile::tempdir().unwrap();
        let mut children = Vec::new();
        // A display of our own: Xvfb picks a free one itself (-displayfd; lock files left by killed servers
        // do not count) and writes its number once it accepts connections.
        let mut xvfb = Command::new("Xvfb")
            .args(["-displayfd", "1", "-screen", "0", "1280x800x24", "-nolisten", "tcp"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb (apt install xvfb)");
        let mut number = String::new();
        let mut out = BufReader::new(xvfb.stdout.take().unwrap());
        out.read_line(&mut number).unwrap();
        let display: u32 = number.trim().parse().unwrap_or_else(|_| panic!("Xvfb did not start: {number:?}"));
        // The pipe stays open for Xvfb's life (a closed one would end it on its next write).
        xvfb.stdout = Some(out.into_inner());
        children.push(xvfb);
        // A session bus of our own.
        let mut bus = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--print-address=1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon (apt install dbus)");
        let mut address = String::new();
        BufReader::new(bus.stdout.take().unwrap()).read_line(&mut address).unwrap();
        children.push(bus);
        let home = dir.path().join("home");
        std::fs::create_dir_all(&home).unwrap();
        let listen = format!("127.0.0.1:{}", free_port());
        let env: Vec<(String, String)> = vec![
            ("DISPLAY".into(), format!(":{display}")),
            ("DBUS_SESSION_BUS_ADDRESS".into(), address.trim().to_owned()),
            ("HOME".into(), home.display().to_string()),
            ("XDG_RUNTIME_DIR".into(), dir.path().display().to_string()),
            ("DOORWATCH_DB".into(), dir.path().join("doorwatch.sqlite3").display().to_string()),
            ("DOORWATCH_CONFIG_DIR".into(), dir.path().join("config").display().to_string()),
            ("DOORWATCH_SECRETS".into(), "file".into()),
            ("DOORWATCH_LISTEN".into(), listen.clone()),
            ("DOORWATCH_SIGNING_KEY".into(), KEY.into()),
            ("WEBKIT_DISABLE_COMPOSITING_MODE".into(), "1".into()),
        ];
        let env: Vec<(String, String)> =
            env.into_iter().chain(extra_env.iter().map(|(k, v)| (k.to_string(), v.to_string()))).collect();
        let spawn = |program: &str, args: &[&str], out: Stdio| {
            Command::new(program)
                .args(args)
                .envs(env.iter().map(|(k, v)| (k, v)))
                .stdout(out)
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("{program}: {e}"))
        };
        // dunst's context menu asks "dmenu" which action to run; this one picks "Mute…" unless a test
        // chose another button (`Desktop::pick`), so a test can press it with `dunstctl context`.
        let pick = dir.path().join("pick-action.sh");
        let choice = dir.path().join("pick");
        let script = format!("#!/bin/sh\ngrep -m1 \"$(cat '{}' 2>/dev/null || echo Mute)\"\n", choice.display());
        std::fs::write(&pick, script).unwrap();
        std::fs::set_permissions(&pick, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        let dunstrc = dir.path().join("dunstrc");
        // Notifications stay on screen until closed, so a test can count what is shown.
        let stay = (["urgency_low", "urgency_normal", "urgency_critical"].map(|u| format!("[{u}]\n    timeout = 0\n")))
            .concat();
        std::fs::write(&dunstrc, format!("[global]\n    dmenu = {}\n{stay}", pick.display())).unwrap();
        children.push(spawn("dunst", &["-config", dunstrc.to_str().unwrap()], Stdio::null()));
        let monitor_log = dir.path().join("notifications.log");
        children.push(spawn(
            "dbus-monitor",
            &["interface='org.freedesktop.Notifications',member='Notify'"],
            Stdio::from(std::fs::File::create(&monitor_log).unwrap()),
        ));
        let driver_port = free_port();
        let native_port = free_port();
        let driver = tauri_driver();
        children.push(
            Command::new(&driver)
                .args(["--port", &driver_port.to_string(), "--native-port", &native_port.to_string()])
                .envs(env.iter().map(|(k, v)| (k, v)))
                .stdout(Stdio::from(std::fs::File::create(dir.path().join("tauri-driver.log")).unwrap()))
                .stderr(Stdio::from(std::fs::File::create(dir.path().join("tauri-driver.err")).unwrap()))
                .spawn()
                .unwrap_or_else(|e| panic!("{}: {e} (cargo install tauri-driver --locked)", driver.display())),
        );
        // tauri-driver answers at once but hands sessions to WebKitWebDriver, which it starts beside it
        // and which takes longer to listen (seconds, with cold caches): wait for both.
        wait_until("tauri-driver and WebKitWebDriver", Duration::from_secs(30), || {
            std::net::TcpStream::connect(("127.0.0.1", driver_port)).is_ok()
                && std::net::TcpStream::connect(("127.0.0.1", native_port)).is_ok()
        });
        Desktop { children, dir, env, listen, driver_port, monitor_log }
    }

    pub async fn open_app(&self) -> Client {
        let mut caps = serde_json::Map::new();
        caps.insert(
            "tauri:options".into(),
            serde_json::json!({ "application": env!("CARGO_BIN_EXE_doorwatch-desktop") }),
        );
        ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", self.driver_port))
            .await
            .unwrap_or_else(|e| {
                let log = |name: &str| std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default();
                panic!(
                    "a WebDriver session with the app: {e}\ntauri-driver said: {}{}",
                    log("tauri-driver.log"),
                    log("tauri-driver.err")
                )
            })
    }

    /// Like [`Desktop::start`], but the app's listen address (and whatever else `settings` writes, given
    /// that address) comes from `settings.toml` in its config folder, written before the app starts, as
    /// a person's Settings would have left it; DOORWATCH_LISTEN is blank, which counts as unset.
    #[allow(dead_code)] // each test binary compiles this module and uses part of it
    pub fn start_with_settings(settings: impl Fn(&str) -> String) -> Desktop {
        Desktop::start_with_env_and_settings(&[], settings)
    }

    /// [`Desktop::start_with_settings`] with more environment, as [`Desktop::start_with`] takes it.
    #[allow(dead_code)]
    pub fn start_with_env_and_settings(extra_env: &[(&str, &str)], settings: impl Fn(&str) -> String) -> Desktop {
        let env: Vec<(&str, &str)> = extra_env.iter().copied().chain([("DOORWATCH_LISTEN", "")]).collect();
        let mut desktop = Desktop::start_with(&env);
        desktop.listen = format!("127.0.0.1:{}", free_port());
        std::fs::create_dir_all(desktop.config_dir()).unwrap();
        std::fs::write(desktop.config_dir().join("settings.toml"), settings(&desktop.listen)).unwrap();
        desktop
    }

    /// What the app wrote to its log so far (its stderr reaches tauri-driver's).
    #[allow(dead_code)]
    pub fn app_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("tauri-driver.err")).unwrap_or_default()
    }

    pub fn webhook(&self) -> String {
        format!("http://{}/webhooks/kisi", self.listen)
    }

    /// Runs `dunstctl` on this desktop's session bus (e.g. `context` to press a notification's button).
    pub fn dunstctl(&self, args: &[&str]) -> std::process::Output {
        Command::new("dunstctl").args(args).envs(self.env.iter().map(|(k, v)| (k, v))).output().unwrap()
    }

    /// The button `dunstctl context` presses from now on: the first whose words contain `words`.
    #[allow(dead_code)]
    pub fn pick(&self, words: &str) {
        std::fs::write(self.dir.path().join("pick"), words).unwrap();
    }

    /// How many notifications dunst has on screen (or waiting for room there).
    pub fn on_screen(&self) -> usize {
        let count = |what: &str| {
            String::from_utf8_lossy(&self.dunstctl(&["count", what]).stdout).trim().parse::<usize>().unwrap_or(0)
        };
        count("displayed") + count("waiting")
    }

    /// How many notifications were sent whose text contains `needle`.
    pub fn notifications_with(&self, needle: &str) -> usize {
        let log = std::fs::read_to_string(&self.monitor_log).unwrap_or_default();
        log.split("member=Notify").skip(1).filter(|call| call.contains(needle)).count()
    }

    /// The running app's process id (the only doorwatch-desktop started with this test's database).
    pub fn app_pid(&self) -> u32 {
        self.try_app_pid().expect("the app's process was not found")
    }

    #[allow(dead_code)] // used by the desktop benchmark, which shares this module
    pub fn try_app_pid(&self) -> Option<u32> {
        let db = self.db().display().to_string();
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
            let Ok(cmd) = std::fs::read(format!("/proc/{pid}/cmdline")) else { continue };
            if !String::from_utf8_lossy(&cmd).contains("doorwatch-desktop") {
                continue;
            }
            let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
            if String::from_utf8_lossy(&environ).contains(&db) {
                return Some(pid);
            }
        }
        None
    }

    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    pub fn config_dir(&self) -> PathBuf {
        self.dir.path().join("config")
    }

    pub fn db(&self) -> PathBuf {
        self.dir.path().join("doorwatch.sqlite3")
    }
}
