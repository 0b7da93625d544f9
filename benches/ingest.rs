//! Ingest benchmark: signed, durable deliveries per second, and latency at a fixed offered rate,
//! for Doorwatch's receiver against two baselines measured in the same run on the same machine:
//!
//! * `empty`: an axum handler that reads the body and answers 200 — the ceiling of HTTP on this box;
//! * `naive`: the obvious design — verify, parse, then one transaction per request behind a mutex
//!   around one SQLite connection, `synchronous=FULL` (one fsync per delivery), on Doorwatch's schema;
//! * `bare`: the same, on what most webhook receivers have — one table, the uuid as its key, no other
//!   index, no full-text search;
//! * `doorwatch`: the real router and store (group commit, `synchronous=FULL`).
//!
//! The load generator lives here too: 32 HTTP/1.1 keep-alive connections on loopback, each sending
//! pre-signed unique bodies (`X-Signature: sha256=…`), in a closed loop for throughput, and in an open
//! loop at 1,000 deliveries/s for latency (a request that waited for a late answer before it is measured
//! from when it was due, so a stalled server is charged for the requests queued behind it). Server and generator share the machine's
//! cores, as they would share a laptop. Run with `make bench`.

#[path = "../tests/support/delivery.rs"]
mod delivery;
#[path = "support/load.rs"]
mod load;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use doorwatch::event::{Event, Source};
use doorwatch::receive::ingest::{router, IngestConfig};
use doorwatch::receive::server;
use doorwatch::receive::signature::SigningKey;
use doorwatch::store::{Store, StoreOptions};
use load::{Round, CONNECTIONS, RATE};

const KEY: &str = "bench-signing-key";

fn main() {
    if let Ok(variant) = std::env::var("DOORWATCH_BENCH_ONE_BY_ONE") {
        return one_by_one(&variant, env_or("DOORWATCH_BENCH_REQUESTS", 2_000));
    }
    let closed_n: usize = env_or("DOORWATCH_BENCH_REQUESTS", 20_000);
    // The same count for every variant, so the latency rounds run against stores of the same size.
    let naive_n: usize = env_or("DOORWATCH_BENCH_NAIVE_REQUESTS", closed_n);
    let rounds: usize = env_or("DOORWATCH_BENCH_ROUNDS", 3);
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    println!("# Ingest benchmark");
    println!("{CONNECTIONS} connections, signed bodies, {rounds} rounds, store on {}", dir.path().display());
    println!();
    // The variants take turns, round after round, so that a slow patch of the shared disk or CPU
    // falls on all of them; the table shows each variant's median round.
    let variants = [Variant::Empty, Variant::Naive, Variant::Bare, Variant::Doorwatch];
    // `DOORWATCH_BENCH_VARIANTS=bare,doorwatch` runs only those (a quicker look while tuning); the
    // ratios below need all four.
    let only = std::env::var("DOORWATCH_BENCH_VARIANTS").unwrap_or_default().to_lowercase();
    let variants: Vec<Variant> = variants
        .into_iter()
        .filter(|v| only.is_empty() || only.split(',').any(|o| o == format!("{v:?}").to_lowercase()))
        .collect();
    let mut servers: Vec<Server> = variants.iter().map(|&v| Server::start(v, dir.path())).collect();
    let mut rounds_done: Vec<Vec<Round>> = vec![Vec::new(); variants.len()];
    for round in 0..rounds {
        for (i, server) in servers.iter_mut().enumerate() {
            let n = if server.variant.one_fsync_each() { naive_n } else { closed_n };
            let r = server.round(n);
            eprintln!(
                "round {round}: {:?} {:.0} req/s, p99 {:.2} ms at {RATE}/s",
                server.variant, r.throughput, r.p99_ms
            );
            rounds_done[i].push(r);
        }
    }
    println!(
        "| variant | deliveries per round | throughput (req/s) | p50 at {RATE}/s | p99 at {RATE}/s | max at {RATE}/s |"
    );
    println!("|---|---|---|---|---|---|");
    let mut medians = Vec::new();
    for (i, &variant) in variants.iter().enumerate() {
        let n = if variant.one_fsync_each() { naive_n } else { closed_n };
        let m = Round::median(&rounds_done[i]);
        println!(
            "| {variant:?} | {n} | {:.0} | {:.2} ms | {:.2} ms | {:.2} ms |",
            m.throughput, m.p50_ms, m.p99_ms, m.max_ms
        );
        medians.push(m);
    }
    if medians.len() < 4 {
        return;
    }
    let (empty, naive, bare, dw) = (&medians[0], &medians[1], &medians[2], &medians[3]);
    println!();
    println!("Doorwatch's store alone (Store::ingest, no HTTP, empty store), median of {rounds} runs:");
    for callers in [32, 512] {
        let mut runs: Vec<f64> = (0..rounds).map(|_| store_alone(dir.path(), callers, closed_n)).collect();
        runs.sort_by(f64::total_cmp);
        println!("- {callers} concurrent callers: {:.0} events/s", runs[runs.len() / 2]);
    }
    println!();
    println!("doorwatch / empty handler throughput: {:.2}× (target ≥ 0.3×)", dw.throughput / empty.throughput);
    println!("doorwatch / naive throughput:         {:.2}× (target ≥ 5×)", dw.throughput / naive.throughput);
    println!("doorwatch p99 / naive p99 at {RATE}/s:  {:.2}× (target ≤ 1×)", dw.p99_ms / naive.p99_ms);
    println!("doorwatch / bare naive throughput:    {:.2}× (target ≥ 5×)", dw.throughput / bare.throughput);
    println!("doorwatch p99 / bare p99 at {RATE}/s:   {:.2}× (target ≤ 1×)", dw.p99_ms / bare.p99_ms);
    drop(servers);
}

/// The light-load case for a profiler (`scripts/profile-ack.sh` runs it under callgrind): one variant's
/// server, `n` deliveries sent one at a time on one connection, each waiting for its answer.
fn one_by_one(variant: &str, n: usize) {
    let variant = match variant {
        "bare" => Variant::Bare,
        "naive" => Variant::Naive,
        "empty" => Variant::Empty,
        _ => Variant::Doorwatch,
    };
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let server = Server::start(variant, dir.path());
    let bodies = signed_bodies(0, n, variant);
    let addr = server.addr;
    server.client_rt.block_on(async {
        let mut sender = load::connect(addr).await;
        for body in &bodies {
            load::send(&mut sender, addr, body).await;
        }
    });
    println!("{variant:?}: {n} deliveries, one at a time");
}

/// Deliveries per second through `Store::ingest` alone, from `callers` concurrent tasks: the writer's
/// own ceiling, without HTTP, signatures or parsing in the way.
fn store_alone(dir: &std::path::Path, callers: usize, n: usize) -> f64 {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let path = dir.join(format!("alone-{callers}-{}.sqlite3", rand::random::<u32>()));
    let store = Store::open(&path, StoreOptions::default()).unwrap();
    let deliveries: Vec<_> = signed_bodies(0, n, Variant::Doorwatch)
        .into_iter()
        .map(|(body, _)| doorwatch::store::Delivery {
            event: Event::from_json(&body).unwrap(),
            received_at: 0,
            verified: true,
            source: Source::Webhook,
        })
        .collect();
    let queue = Arc::new(Mutex::new(deliveries));
    let start = Instant::now();
    rt.block_on(async {
        let tasks: Vec<_> = (0..callers)
            .map(|_| {
                let (store, queue) = (store.clone(), queue.clone());
                tokio::spawn(async move {
                    loop {
                        let Some(d) = queue.lock().unwrap().pop() else { return };
                        store.ingest(d).await.unwrap();
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
    });
    let rate = n as f64 / start.elapsed().as_secs_f64();
    drop(store);
    let _ = std::fs::remove_file(&path);
    rate
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Variant {
    Empty,
    Naive,
    Bare,
    Doorwatch,
}

/// One variant's server, on its own runtime with one worker per core (as `doorwatch serve` has), and
/// the load generator's runtime with one worker.
struct Server {
    variant: Variant,
    addr: SocketAddr,
    next_body: usize,
    _stop: tokio::sync::oneshot::Sender<()>,
    _store: Option<Store>,
    client_rt: tokio::runtime::Runtime,
    _server_rt: tokio::runtime::Runtime,
}

impl Server {
    fn start(variant: Variant, dir: &std::path::Path) -> Server {
        let server_rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
        let path = dir.join(format!("{variant:?}.sqlite3"));
        let (addr, stop, store) = server_rt.block_on(start_server(variant, &path));
        let client_rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("load-generator")
            .enable_all()
            .build()
            .unwrap();
        Server { variant, addr, next_body: 0, _stop: stop, _store: store, client_rt, _server_rt: server_rt }
    }

    /// A closed-loop throughput run of `n` deliveries, then the open-loop latency run.
    fn round(&mut self, n: usize) -> Round {
        let count = n + Round::open_loop_bodies();
        let bodies = Arc::new(signed_bodies(self.next_body, count, self.variant));
        self.next_body += count;
        self.client_rt.block_on(Round::run(self.addr, bodies, n))
    }
}

async fn start_server(
    variant: Variant,
    path: &std::path::Path,
) -> (SocketAddr, tokio::sync::oneshot::Sender<()>, Option<Store>) {
    let listener = server::bind_loopback("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (app, store) = match variant {
        Variant::Empty => (Router::new().route("/webhooks/kisi", post(empty_handler)), None),
        Variant::Naive => (naive_router(path), None),
        Variant::Bare => (bare_router(path), None),
        Variant::Doorwatch => {
            let store = Store::open(path, StoreOptions::default()).unwrap();
            (router(store.clone(), IngestConfig::local(addr, SigningKey::new(KEY))), Some(store))
        }
    };
    let (stop, stopped) = tokio::sync::oneshot::channel();
    tokio::spawn(server::serve(listener, app, async {
        let _ = stopped.await;
    }));
    (addr, stop, store)
}

async fn empty_handler(body: Bytes) -> &'static str {
    std::hint::black_box(body);
    "{}"
}

impl Variant {
    /// The baselines that commit (and fsync) once per delivery.
    fn one_fsync_each(self) -> bool {
        matches!(self, Variant::Naive | Variant::Bare)
    }
}

/// What most webhook receivers are: verify, parse, then one row in one table keyed by the uuid (no
/// other index, no full-text search), one transaction and one fsync per request.
fn bare_router(path: &std::path::Path) -> Router {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.pragma_update(None, "journal_mode", "wal").unwrap();
    conn.pragma_update(None, "synchronous", "FULL").unwrap();
    conn.execute("CREATE TABLE events (uuid TEXT PRIMARY KEY, received_at INTEGER NOT NULL, body BLOB NOT NULL)", [])
        .unwrap();
    let state = Arc::new((Mutex::new(conn), SigningKey::new(KEY).unwrap()));
    Router::new().route("/webhooks/kisi", post(bare_handler)).with_state(state)
}

async fn bare_handler(
    State(state): State<Arc<(Mutex<rusqlite::Connection>, SigningKey)>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let e = match checked(&state.1, &headers, &body) {
        Ok(e) => e,
        Err(status) => return status,
    };
    let now = chrono::Utc::now().timestamp_millis();
    let conn = state.0.lock().unwrap();
    match conn.execute(
        "INSERT INTO events (uuid, received_at, body) VALUES (?1, ?2, ?3) ON CONFLICT (uuid) DO NOTHING",
        rusqlite::params![e.uuid, now, body.as_ref()],
    ) {
        Ok(_) => StatusCode::OK,
        Err(_) => StatusCode::SERVICE_UNAVAILABLE,
    }
}

/// What both baselines do before they store: check the signature (401), parse (400).
fn checked(key: &SigningKey, headers: &HeaderMap, body: &Bytes) -> Result<Event, StatusCode> {
    key.verify(body, headers.get("x-signature").map(|v| v.as_bytes())).map_err(|_| StatusCode::UNAUTHORIZED)?;
    Event::from_json(body).map_err(|_| StatusCode::BAD_REQUEST)
}

/// The baseline design: everything in the handler, one transaction and one fsync per request.
fn naive_router(path: &std::path::Path) -> Router {
    drop(Store::open(path, StoreOptions::default()).unwrap()); // same schema as Doorwatch's
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.pragma_update(None, "journal_mode", "wal").unwrap();
    conn.pragma_update(None, "synchronous", "FULL").unwrap();
    let state = Arc::new((Mutex::new(conn), SigningKey::new(KEY).unwrap()));
    Router::new().route("/webhooks/kisi", post(naive_handler)).with_state(state)
}

async fn naive_handler(
    State(state): State<Arc<(Mutex<rusqlite::Connection>, SigningKey)>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let e = match checked(&state.1, &headers, &body) {
        Ok(e) => e,
        Err(status) => return status,
    };
    let conn = state.0.lock().unwrap();
    let now = chrono::Utc::now().timestamp_millis();
    let result = conn.execute(
        "INSERT INTO events (uuid, type, kind, success, actor_type, actor_id, actor_name, actor_label, object_name,
                             error_code, error_message, created_at, received_at, verified, source, raw)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, 1, ?14, ?15)
         ON CONFLICT (uuid) DO UPDATE SET duplicates = duplicates + 1",
        rusqlite::params![
            e.uuid,
            e.event_type,
            e.kind.as_str(),
            e.success,
            e.actor_type,
            e.actor_id,
            e.actor_name,
            e.actor_label,
            e.object_name,
            e.error_code,
            e.error_message,
            e.created_at.unwrap_or(now),
            now,
            Source::Webhook.as_str(),
            body.as_ref(),
        ],
    );
    match result {
        Ok(_) => StatusCode::OK,
        Err(_) => StatusCode::SERVICE_UNAVAILABLE,
    }
}

/// Unique, realistic bodies with their signatures, made before the clock starts.
fn signed_bodies(from: usize, n: usize, variant: Variant) -> Vec<load::Signed> {
    load::signed_bodies(&format!("{variant:?}"), from, n, KEY)
}

fn env_or(var: &str, default: usize) -> usize {
    std::env::var(var).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}
