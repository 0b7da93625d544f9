//! A full disk, for real: the database lives on a small tmpfs that fills up. Deliveries then get 503
//! (so Kisi retries), nothing half-written is stored, what was acknowledged stays, and once space is
//! freed the receiver stores again without a restart. Mounting needs root (CI runs as root) or
//! password-less sudo.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use doorwatch::receive::signature::SigningKey;
use doorwatch::store::{Store, StoreOptions};
use support::*;

/// A tmpfs of `size` mounted on a fresh folder, unmounted on drop.
struct SmallDisk {
    dir: tempfile::TempDir,
}

fn privileged(args: &[&str]) -> std::process::ExitStatus {
    let root = std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"));
    let mut cmd = if root { Command::new(args[0]) } else { Command::new("sudo") };
    if root {
        cmd.args(&args[1..]);
    } else {
        cmd.arg("-n").args(args);
    }
    cmd.status().unwrap_or_else(|e| panic!("{}: {e}", args[0]))
}

impl SmallDisk {
    fn mount(size: &str) -> SmallDisk {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().to_str().unwrap().to_owned();
        let status = privileged(&["mount", "-t", "tmpfs", "-o", &format!("size={size},mode=0700"), "tmpfs", &path]);
        assert!(status.success(), "mounting a small tmpfs needs root or password-less sudo (CI runs as root)");
        SmallDisk { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = privileged(&["umount", self.dir.path().to_str().unwrap()]);
    }
}

fn body(n: usize) -> Vec<u8> {
    serde_json::json!({
        "uuid": format!("full-{n:06}"), "type": "lock.unlock", "success": true, "actor_type": "User",
        "actor_name": format!("Person {n} with a fairly long name to fill pages"), "object_name": "Main Entrance",
        "message": "x".repeat(400),
    })
    .to_string()
    .into_bytes()
}

/// Fills the disk with a file until nothing more fits, leaving `spare` bytes free.
fn fill(dir: &Path, spare: usize) -> PathBuf {
    use std::io::Write;
    let path = dir.join("filler");
    let mut file = std::fs::File::create(&path).unwrap();
    let chunk = vec![0u8; 16 * 1024];
    while file.write_all(&chunk).and_then(|_| file.sync_all()).is_ok() {}
    drop(file);
    let len = std::fs::metadata(&path).unwrap().len();
    let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    f.set_len(len.saturating_sub(spare as u64)).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_answers_503_stores_nothing_partial_and_recovers_without_a_restart() {
    let disk = SmallDisk::mount("4m");
    let db = disk.path().join("doorwatch.sqlite3");
    let store = Store::open(&db, StoreOptions::default()).unwrap();
    let server = serve_on_a_free_port(&store, SigningKey::new(KEY)).await;
    let client = reqwest::Client::new();
    // Some events while there is room, then the disk nearly full.
    for n in 0..20 {
        assert_eq!(delivery::deliver(&client, &server.webhook(), &body(n), Some(KEY)).await.0, 200);
    }
    let filler = fill(disk.path(), 256 * 1024);

    let mut acknowledged: Vec<usize> = (0..20).collect();
    let mut refused = None;
    for n in 20..5_000 {
        match delivery::deliver(&client, &server.webhook(), &body(n), Some(KEY)).await.0 {
            200 => acknowledged.push(n),
            503 => {
                refused = Some(n);
                break;
            }
            other => panic!("delivery {n}: unexpected {other}"),
        }
    }
    let refused = refused.expect("the disk never filled up");
    assert!(acknowledged.len() > 20, "some deliveries fitted in the spare space");
    let refused_uuid = format!("full-{refused:06}");

    // Nothing of the refused delivery is in the database, and everything acknowledged is.
    let reader = store.reader().unwrap();
    assert!(reader.event(&refused_uuid).unwrap().is_none(), "a refused delivery was stored");
    assert_eq!(reader.count().unwrap() as usize, acknowledged.len());

    // Space comes back: Kisi's retry of the refused delivery is stored, without restarting anything.
    std::fs::remove_file(&filler).unwrap();
    let freed = Instant::now();
    let mut status = 0;
    while freed.elapsed() < Duration::from_secs(30) {
        status = delivery::deliver(&client, &server.webhook(), &body(refused), Some(KEY)).await.0;
        if status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, 200, "still refused after the disk had room again");
    println!(
        "disk full: {} acknowledged before it filled; stored again {:?} after space was freed",
        acknowledged.len(),
        freed.elapsed()
    );
    assert!(reader.event(&refused_uuid).unwrap().is_some());
    for n in &acknowledged {
        assert!(reader.event(&format!("full-{n:06}")).unwrap().is_some(), "acknowledged {n} is missing");
    }
    let conn = rusqlite::Connection::open(&db).unwrap();
    let integrity: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(integrity, "ok");
    drop(conn);
    drop(reader);
    server.stop().await;
    tokio::task::spawn_blocking(move || drop(store)).await.unwrap();
}
