//! The crash harness: signed deliveries are driven at the real `doorwatch serve`, which is killed with
//! SIGKILL at random moments and restarted, again and again. After every restart: every delivery that
//! got a 200 is stored exactly once and byte for byte, `PRAGMA integrity_check` says `ok`, and nothing
//! stored is half-written (every row is exactly a body that was sent).
//!
//! `make test` runs a short form (DOORWATCH_CRASH_KILLS, default 6); `make soak` runs 50 kills and more.

mod support;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::Rng;
use support::delivery;

const KEY: &str = "crash-harness-signing-key";
const SENDERS: usize = 16;

fn serve(db: &Path, listen: &str) -> Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_doorwatch"))
        .args(["serve", "--listen", listen, "--db"])
        .arg(db)
        .env("DOORWATCH_SIGNING_KEY", KEY)
        .env("DOORWATCH_CONFIG_DIR", db.parent().unwrap().join("config"))
        .env("DOORWATCH_SECRETS", "file")
        .env_remove("KISI_API_KEY")
        .env_remove("NGROK_AUTHTOKEN")
        .env_remove("DOORWATCH_LISTEN")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let started = Instant::now();
    loop {
        match lines.next() {
            Some(Ok(line)) if line.contains("receiving on") => break,
            Some(_) => {}
            None => panic!("serve exited before receiving"),
        }
        assert!(started.elapsed() < Duration::from_secs(30), "serve did not start");
    }
    // Keep draining its output so it never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    child
}

fn body(n: u64) -> Vec<u8> {
    serde_json::json!({
        "uuid": format!("crash-{n:08}"), "type": "lock.unlock", "success": !n.is_multiple_of(5),
        "actor_type": "User", "actor_name": format!("Person {}", n % 97), "object_type": "Lock",
        "object_name": format!("Door {}", n % 7), "created_at": "2026-11-30T08:00:00Z",
        "error_message": if n.is_multiple_of(5) { Some("Access denied.") } else { None },
    })
    .to_string()
    .into_bytes()
}

#[derive(Default)]
struct Ledger {
    /// Every body sent, by uuid (acknowledged or not).
    sent: HashMap<String, Vec<u8>>,
    /// The uuids that got a 200.
    acknowledged: Vec<String>,
}

/// Sends deliveries from `SENDERS` connections until `until`, recording what was sent and acknowledged.
async fn drive(url: String, ledger: Arc<Mutex<Ledger>>, next: Arc<std::sync::atomic::AtomicU64>, until: Instant) {
    let mut senders = Vec::new();
    for _ in 0..SENDERS {
        let (url, ledger, next) = (url.clone(), Arc::clone(&ledger), Arc::clone(&next));
        senders.push(tokio::spawn(async move {
            let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap();
            while Instant::now() < until {
                let n = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let body = body(n);
                let uuid = format!("crash-{n:08}");
                ledger.lock().unwrap().sent.insert(uuid.clone(), body.clone());
                // Not `delivery::deliver`, which expects an answer: the server is killed under us.
                let answer = client
                    .post(&url)
                    .header("content-type", "application/json")
                    .header("x-signature", delivery::signature(KEY, &body))
                    .body(body)
                    .send()
                    .await;
                match answer {
                    Ok(r) if r.status() == 200 => ledger.lock().unwrap().acknowledged.push(uuid),
                    Ok(_) => {}
                    // The server was killed under us: this delivery was not acknowledged.
                    Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
                }
            }
        }));
    }
    for s in senders {
        s.await.unwrap();
    }
}

fn check(db: &Path, ledger: &Ledger) -> usize {
    let conn = rusqlite::Connection::open(db).unwrap();
    let integrity: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(integrity, "ok");
    let mut rows: HashMap<String, (Vec<u8>, i64)> = HashMap::new();
    let mut stmt = conn.prepare("SELECT uuid, raw FROM events").unwrap();
    for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?))).unwrap() {
        let (uuid, raw) = row.unwrap();
        let entry = rows.entry(uuid).or_insert((raw, 0));
        entry.1 += 1;
    }
    let mut lost = 0;
    for uuid in &ledger.acknowledged {
        match rows.get(uuid) {
            Some((_, 1)) => {}
            Some((_, n)) => panic!("{uuid} stored {n} times"),
            None => lost += 1,
        }
    }
    for (uuid, (raw, _)) in &rows {
        let sent = ledger.sent.get(uuid).unwrap_or_else(|| panic!("{uuid} was never sent"));
        assert_eq!(raw, sent, "{uuid} is not exactly what was sent");
    }
    lost
}

#[test]
fn acknowledged_deliveries_survive_sigkill_at_random_moments() {
    let kills: usize = std::env::var("DOORWATCH_CRASH_KILLS").ok().and_then(|v| v.parse().ok()).unwrap_or(6);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("doorwatch.sqlite3");
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let listen = format!("127.0.0.1:{port}");
    let url = format!("http://{listen}/webhooks/kisi");
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let next = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut rng = rand::rng();
    let mut lost = 0;
    for kill in 0..kills {
        let mut child = serve(&db, &listen);
        let run_for = Duration::from_millis(rng.random_range(150..900));
        let driver = rt.spawn(drive(
            url.clone(),
            Arc::clone(&ledger),
            Arc::clone(&next),
            Instant::now() + run_for + Duration::from_millis(300),
        ));
        std::thread::sleep(run_for);
        child.kill().unwrap(); // SIGKILL: no graceful stop, no final checkpoint
        child.wait().unwrap();
        rt.block_on(driver).unwrap();
        lost = check(&db, &ledger.lock().unwrap());
        assert_eq!(lost, 0, "after kill {kill}, acknowledged deliveries are missing");
    }
    // A last clean start on what the kills left behind: it opens, and everything is still there.
    let mut child = serve(&db, &listen);
    child.kill().unwrap();
    child.wait().unwrap();
    let ledger = ledger.lock().unwrap();
    lost += check(&db, &ledger);
    println!(
        "crash harness: {kills} kills, {} deliveries sent, {} acknowledged, {lost} lost",
        ledger.sent.len(),
        ledger.acknowledged.len()
    );
    assert_eq!(lost, 0);
    assert!(ledger.acknowledged.len() > kills * 10, "the harness did deliver between kills");
}
