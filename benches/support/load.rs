//! The load generator the HTTP benchmarks share: HTTP/1.1 keep-alive connections on loopback, each
//! sending pre-signed bodies, in a closed loop for throughput and in an open loop at a fixed rate for
//! latency (a request that waited for a late answer before it is measured from when it was due, so a
//! stalled server is charged for the requests queued behind it).

// Each benchmark takes the parts it needs.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;

pub const CONNECTIONS: usize = 32;
pub const RATE: f64 = 1000.0;
pub const RATE_SECONDS: f64 = 10.0;

/// A body and its `X-Signature` header.
pub type Signed = (Bytes, String);

/// One round's figures.
#[derive(Debug, Clone, Copy)]
pub struct Round {
    pub throughput: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl Round {
    /// A closed-loop throughput run of `bodies[..n]`, then the open-loop latency run over the rest.
    pub async fn run(addr: SocketAddr, bodies: Arc<Vec<Signed>>, n: usize) -> Round {
        let throughput = closed_loop(addr, bodies.clone(), 0, n).await;
        Round::of(throughput, open_loop(addr, bodies, n).await)
    }

    /// The figures of a throughput and the latencies of an open loop.
    pub fn of(throughput: f64, mut sorted: Vec<f64>) -> Round {
        sorted.sort_by(f64::total_cmp);
        let pct = |p: f64| sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)];
        Round { throughput, p50_ms: pct(0.50), p99_ms: pct(0.99), max_ms: *sorted.last().unwrap() }
    }

    /// How many bodies [`Round::run`] needs beyond the closed loop's.
    pub fn open_loop_bodies() -> usize {
        (RATE * RATE_SECONDS) as usize
    }

    /// Each figure's median over the rounds.
    pub fn median(rounds: &[Round]) -> Round {
        let med = |f: fn(&Round) -> f64| median(rounds.iter().map(f).collect());
        Round {
            throughput: med(|r| r.throughput),
            p50_ms: med(|r| r.p50_ms),
            p99_ms: med(|r| r.p99_ms),
            max_ms: med(|r| r.max_ms),
        }
    }
}

pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

pub async fn connect(addr: SocketAddr) -> Sender {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.unwrap();
    tokio::spawn(conn);
    sender
}

pub async fn send(sender: &mut Sender, addr: SocketAddr, body: &Signed) {
    sender.ready().await.unwrap();
    let request = Request::post("/webhooks/kisi")
        .header("host", addr.to_string())
        .header("content-type", "application/json")
        .header("x-signature", &body.1)
        .body(Full::new(body.0.clone()))
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    let status = response.status();
    let _ = response.into_body().collect().await;
    assert_eq!(status, StatusCode::OK, "the benchmark only counts acknowledged deliveries");
}

/// `CONNECTIONS` connections send bodies `from..from + n` as fast as they are answered.
pub async fn closed_loop(addr: SocketAddr, bodies: Arc<Vec<Signed>>, from: usize, n: usize) -> f64 {
    let next = Arc::new(AtomicUsize::new(from));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CONNECTIONS {
        let (next, bodies) = (next.clone(), bodies.clone());
        tasks.push(tokio::spawn(async move {
            let mut sender = connect(addr).await;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= from + n {
                    return;
                }
                send(&mut sender, addr, &bodies[i]).await;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    n as f64 / start.elapsed().as_secs_f64()
}

/// Offers `RATE` deliveries per second for `RATE_SECONDS`, spread over the connections; returns each
/// delivery's latency in ms, from when it was due to when its answer arrived.
pub async fn open_loop(addr: SocketAddr, bodies: Arc<Vec<Signed>>, from: usize) -> Vec<f64> {
    let total = Round::open_loop_bodies();
    let start = Instant::now() + Duration::from_millis(100);
    let mut tasks = Vec::new();
    for c in 0..CONNECTIONS {
        let bodies = bodies.clone();
        tasks.push(tokio::spawn(async move {
            let mut sender = connect(addr).await;
            let mut latencies = Vec::new();
            let mut previous_done = start;
            for k in (c..total).step_by(CONNECTIONS) {
                let due = start + Duration::from_secs_f64(k as f64 / RATE);
                tokio::time::sleep_until(due.into()).await;
                // The timer wakes up to a millisecond late; that lateness is the generator's, not the
                // server's. But when the previous answer came after this one was due, the wait for it
                // is the server's, and counts.
                let began = if previous_done > due { due } else { Instant::now() };
                send(&mut sender, addr, &bodies[from + k]).await;
                previous_done = Instant::now();
                latencies.push((previous_done - began).as_secs_f64() * 1000.0);
            }
            latencies
        }));
    }
    let mut all = Vec::with_capacity(total);
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all
}

/// Unique, realistic unlock bodies (one in twenty refused) at twelve doors by 300 people, on a Monday
/// morning, signed with `key` before the clock starts.
pub fn signed_bodies(prefix: &str, from: usize, n: usize, key: &str) -> Vec<Signed> {
    (from..from + n)
        .map(|i| {
            let body = format!(
                r#"{{"uuid":"bench-{prefix}-{i:08}","actor_type":"User","actor_id":{},"actor_name":"Person {}","object_type":"Lock","object_id":{},"object_name":"Door {}","organization_id":812,"place_id":3301,"success":{},"type":"lock.unlock","error_code":null,"error_message":null,"created_at":"2026-11-02T09:{:02}:{:02}Z"}}"#,
                i % 300,
                i % 300,
                i % 12,
                i % 12,
                i % 20 != 0,
                (i / 60) % 60,
                i % 60
            );
            let signature = crate::delivery::signature(key, body.as_bytes());
            (Bytes::from(body), signature)
        })
        .collect()
}
