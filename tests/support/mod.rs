//! Shared test support: fixtures, a store in a temporary folder, requests, and a dump of the events
//! table for "nothing changed" assertions; [`delivery`], the one way to sign and post a delivery, and
//! [`oneshot`], the ingest router and its refusal checks for the router tests.
#![allow(dead_code)]

pub mod cli;
pub mod delivery;
pub mod oneshot;

use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::http::Request;
use doorwatch::store::{Store, StoreOptions};

pub const KEY: &str = "test-signature-key";
pub const LOCAL: &str = "127.0.0.1:8787";

/// A webhook body from tests/fixtures, without the file's trailing newline.
pub fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name);
    let mut bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    while bytes.last() == Some(&b'\n') {
        bytes.pop();
    }
    bytes
}

pub const FIXTURES: [&str; 9] = [
    "full-event-object.json",
    "lock-held-open.json",
    "lock-opened.json",
    "login-create.json",
    "seed-sample.json",
    "unlock-access-link.json",
    "unlock-exit-button.json",
    "unlock-failed-user.json",
    "unlock-ok-user.json",
];

pub struct TestStore {
    pub dir: tempfile::TempDir,
    pub path: PathBuf,
    pub store: Store,
}

pub fn open_store() -> TestStore {
    open_store_with(StoreOptions::default())
}

pub fn open_store_with(options: StoreOptions) -> TestStore {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("doorwatch.sqlite3");
    let store = Store::open(&path, options).unwrap();
    TestStore { dir, path, store }
}

/// Every column of every event, in id order: equal snapshots mean the events did not change.
pub fn events_snapshot(path: &Path) -> Vec<Vec<String>> {
    let conn = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let mut stmt = conn.prepare("SELECT * FROM events ORDER BY id").unwrap();
    let columns = stmt.column_count();
    let rows = stmt
        .query_map([], |r| {
            (0..columns).map(|i| r.get::<_, rusqlite::types::Value>(i).map(|v| format!("{v:?}"))).collect()
        })
        .unwrap();
    rows.collect::<Result<_, _>>().unwrap()
}

/// The `X-Signature` header value for `body` signed with [`KEY`].
pub fn sign(body: &[u8]) -> String {
    delivery::signature(KEY, body)
}

/// A webhook POST as Kisi sends it to the local listener, signed with [`KEY`].
pub fn signed_post(body: &[u8]) -> Request<Body> {
    webhook_post(body).header("x-signature", sign(body)).body(Body::from(body.to_vec())).unwrap()
}

/// A webhook POST builder with the local Host and a JSON content type, nothing else.
pub fn webhook_post(body: &[u8]) -> axum::http::request::Builder {
    Request::post("/webhooks/kisi")
        .header("host", LOCAL)
        .header("content-type", "application/json")
        .header("content-length", body.len())
}

pub async fn json_body(response: axum::response::Response) -> serde_json::Value {
    let bytes = http_body_util::BodyExt::collect(response.into_body()).await.unwrap().to_bytes();
    serde_json::from_slice(&bytes).unwrap()
}

/// The ingest router served on a real loopback port chosen by the system, as `doorwatch serve` serves it.
pub struct RunningServer {
    pub addr: std::net::SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

pub async fn serve_on_a_free_port(
    store: &Store,
    key: Option<doorwatch::receive::signature::SigningKey>,
) -> RunningServer {
    let listener = doorwatch::receive::server::bind_loopback("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app =
        doorwatch::receive::ingest::router(store.clone(), doorwatch::receive::ingest::IngestConfig::local(addr, key));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(doorwatch::receive::server::serve(listener, app, async {
        let _ = stopped.await;
    }));
    RunningServer { addr, stop, task }
}

impl RunningServer {
    pub fn webhook(&self) -> String {
        format!("http://{}/webhooks/kisi", self.addr)
    }

    /// Stops it gracefully and waits until it has.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        self.task.await.unwrap();
    }
}

/// A webhook delivery of `body` as the store hands it to the alert policy: stored at `at_ms`, signed.
pub fn stored_event(body: serde_json::Value, at_ms: i64) -> doorwatch::store::StoredEvent {
    doorwatch::store::StoredEvent {
        id: 1,
        received_at: at_ms,
        verified: true,
        claimed_created_at: None,
        source: doorwatch::event::Source::Webhook,
        duplicates: 0,
        event: doorwatch::event::Event::from_json(&serde_json::to_vec(&body).unwrap()).unwrap(),
    }
}
