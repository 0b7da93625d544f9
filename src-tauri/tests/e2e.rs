//! End to end, in the real app: its real window (WebKitGTK under Xvfb, driven through tauri-driver and
//! WebKitWebDriver), a real notification daemon (dunst) on a private D-Bus session, and dbus-monitor to
//! see what was sent. Everything is started and stopped by the test itself.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use doorwatch::signature::SigningKey;
use fantoccini::{Client, ClientBuilder, Locator};

const KEY: &str = "e2e-signing-key-7c1d";

/// Xvfb, a D-Bus session with dunst and dbus-monitor, and tauri-driver, all private to one test.
struct Desktop {
    children: Vec<Child>,
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
    listen: String,
    driver_port: u16,
    monitor_log: PathBuf,
}

impl Drop for Desktop {
    fn drop(&mut self) {
        for child in self.children.iter_mut().rev() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn wait_until(what: &str, timeout: Duration, mut ready: impl FnMut() -> bool) {
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
    fn start() -> Desktop {
        let dir = tempfile::tempdir().unwrap();
        let mut children = Vec::new();
        // A display of our own.
        let display = (90..200)
            .find(|n| {
                !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists() && !Path::new(&format!("/tmp/.X{n}-lock")).exists()
            })
            .expect("a free X display number");
        children.push(
            Command::new("Xvfb")
                .args([
                    format!(":{display}"),
                    "-screen".into(),
                    "0".into(),
                    "1280x800x24".into(),
                    "-nolisten".into(),
                    "tcp".into(),
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("Xvfb (apt install xvfb)"),
        );
        wait_until("Xvfb", Duration::from_secs(10), || Path::new(&format!("/tmp/.X11-unix/X{display}")).exists());
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
        let spawn = |program: &str, args: &[&str], out: Stdio| {
            Command::new(program)
                .args(args)
                .envs(env.iter().map(|(k, v)| (k, v)))
                .stdout(out)
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("{program}: {e}"))
        };
        children.push(spawn("dunst", &[], Stdio::null()));
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
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("{}: {e} (cargo install tauri-driver --locked)", driver.display())),
        );
        wait_until("tauri-driver", Duration::from_secs(20), || {
            std::net::TcpStream::connect(("127.0.0.1", driver_port)).is_ok()
        });
        Desktop { children, dir, env, listen, driver_port, monitor_log }
    }

    async fn open_app(&self) -> Client {
        let mut caps = serde_json::Map::new();
        caps.insert(
            "tauri:options".into(),
            serde_json::json!({ "application": env!("CARGO_BIN_EXE_doorwatch-desktop") }),
        );
        ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", self.driver_port))
            .await
            .expect("a WebDriver session with the app")
    }

    fn webhook(&self) -> String {
        format!("http://{}/webhooks/kisi", self.listen)
    }

    /// How many notifications were sent whose text contains `needle`.
    fn notifications_with(&self, needle: &str) -> usize {
        let log = std::fs::read_to_string(&self.monitor_log).unwrap_or_default();
        log.split("member=Notify").skip(1).filter(|call| call.contains(needle)).count()
    }

    fn db(&self) -> PathBuf {
        self.dir.path().join("doorwatch.sqlite3")
    }
}

async fn post(url: &str, body: &str) -> (u16, String) {
    let signature = SigningKey::new(KEY).unwrap().sign(body.as_bytes());
    let r = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .header("x-signature", signature)
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

fn unlock(uuid: &str, person: &str, success: bool) -> String {
    serde_json::json!({
        "uuid": uuid, "type": "lock.unlock", "actor_type": "User", "actor_name": person,
        "object_type": "Lock", "object_name": "Main Entrance", "success": success,
        "error_code": if success { None } else { Some("fcd8ef") },
        "error_message": if success { None } else { Some("Access denied.") },
        "created_at": chrono_now(),
    })
    .to_string()
}

fn chrono_now() -> String {
    doorwatch::event::format_time(
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64,
    )
}

async fn rows(c: &Client, uuid: &str) -> usize {
    c.find_all(Locator::Css(&format!("[data-testid=timeline-row][data-uuid='{uuid}']"))).await.unwrap().len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_unlock_appears_live_and_notifies_once_and_the_tray_app_keeps_receiving() {
    let desktop = Desktop::start();
    let c = desktop.open_app().await;
    let status =
        c.wait().at_most(Duration::from_secs(30)).for_element(Locator::Css("[data-testid=status-bar]")).await.unwrap();
    wait_for_text(&status, "Listening").await;
    assert!(status.text().await.unwrap().contains("Signature check on"));

    // A signed failed unlock: one row, marked failed, and exactly one notification naming door and person.
    let (code, answer) = post(&desktop.webhook(), &unlock("e2e-fail-1", "Grace Hopper", false)).await;
    assert_eq!((code, answer.contains("stored")), (200, true), "{answer}");
    let row = c
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("[data-testid=timeline-row][data-uuid='e2e-fail-1']"))
        .await
        .unwrap();
    assert_eq!(row.attr("data-kind").await.unwrap().as_deref(), Some("unlock_failed"));
    let text = row.text().await.unwrap();
    assert!(
        text.contains("Main Entrance") && text.contains("Grace Hopper") && text.contains("Access denied."),
        "{text}"
    );
    wait_until("the notification", Duration::from_secs(10), || {
        desktop.notifications_with("Refused at Main Entrance") == 1
    });
    assert_eq!(desktop.notifications_with("Grace Hopper"), 1);

    // The same delivery again: acknowledged as a duplicate, no new row, no new notification.
    let (code, answer) = post(&desktop.webhook(), &unlock("e2e-fail-1", "Grace Hopper", false)).await;
    assert_eq!((code, answer.contains("duplicate")), (200, true), "{answer}");
    // A successful unlock: a row, and no notification.
    let (code, _) = post(&desktop.webhook(), &unlock("e2e-ok-1", "Ada Lovelace", true)).await;
    assert_eq!(code, 200);
    c.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css("[data-uuid='e2e-ok-1']")).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(rows(&c, "e2e-fail-1").await, 1, "a duplicate delivery added a row");
    assert_eq!(desktop.notifications_with("Refused at Main Entrance"), 1, "a duplicate notified again");
    assert_eq!(desktop.notifications_with("Ada Lovelace"), 0, "a successful unlock notified");

    // Close the window: the webview goes, the app stays in the tray and keeps receiving.
    let app_pid = app_pid(&desktop);
    // Ctrl+W, as a person would (WebDriver's own "close window" would end the session and the app).
    let body = c.find(Locator::Css("body")).await.unwrap();
    // The window is gone before WebDriver answers, so its answer is "no such window".
    let _ = body.send_keys(&format!("{}w", char::from(fantoccini::key::Key::Control))).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(Path::new(&format!("/proc/{app_pid}")).exists(), "closing the window quit the app");
    assert!(!x_window_named(&desktop, "Doorwatch"), "the window was hidden, not destroyed");
    let (code, _) = post(&desktop.webhook(), &unlock("e2e-while-closed", "Ada Lovelace", true)).await;
    assert_eq!(code, 200, "the app stopped receiving when its window closed");
    let reader = doorwatch::store::Reader::open(&desktop.db()).unwrap();
    assert!(reader.event("e2e-while-closed").unwrap().is_some());

    // Reopening (a second launch hands over to the running app) brings the window back.
    let second = Command::new(env!("CARGO_BIN_EXE_doorwatch-desktop"))
        .envs(desktop.env.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(second.success(), "the second launch should hand over and exit");
    wait_until("the window to come back", Duration::from_secs(15), || x_window_named(&desktop, "Doorwatch"));
    assert!(Path::new(&format!("/proc/{app_pid}")).exists());
    // The new window shows everything, including what arrived while it was closed.
    let handle = c.windows().await.unwrap().into_iter().next().expect("the reopened window");
    c.switch_to_window(handle).await.unwrap();
    for uuid in ["e2e-while-closed", "e2e-fail-1", "e2e-ok-1"] {
        c.wait()
            .at_most(Duration::from_secs(15))
            .for_element(Locator::Css(&format!("[data-testid=timeline-row][data-uuid='{uuid}']")))
            .await
            .unwrap_or_else(|e| panic!("{uuid} missing from the reopened window: {e}"));
    }
    assert_eq!(desktop.notifications_with("Refused at Main Entrance"), 1);
    let _ = c.close().await;
}

async fn wait_for_text(el: &fantoccini::elements::Element, needle: &str) {
    let start = Instant::now();
    loop {
        if el.text().await.unwrap_or_default().contains(needle) {
            return;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "never saw {needle:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The running app's process id (the only doorwatch-desktop started with this test's database).
fn app_pid(desktop: &Desktop) -> u32 {
    let db = desktop.db().display().to_string();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        let Ok(cmd) = std::fs::read(format!("/proc/{pid}/cmdline")) else { continue };
        if !String::from_utf8_lossy(&cmd).contains("doorwatch-desktop") {
            continue;
        }
        let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
        if String::from_utf8_lossy(&environ).contains(&db) {
            return pid;
        }
    }
    panic!("the app's process was not found");
}

fn x_window_named(desktop: &Desktop, name: &str) -> bool {
    let display = &desktop.env.iter().find(|(k, _)| k == "DISPLAY").unwrap().1;
    Command::new("xwininfo")
        .args(["-root", "-tree", "-display", display])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains(&format!("\"{name}\"")))
        .unwrap_or(false)
}
