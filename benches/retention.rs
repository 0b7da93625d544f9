//! Retention benchmark: deleting 200,000 old events in batches while deliveries keep arriving. Measures
//! the deletion rate, and the latency of deliveries stored meanwhile against the same deliveries stored
//! with nothing being deleted (the baseline, measured in the same run on the same store). Run with
//! `make bench`.

use std::time::{Duration, Instant};

use chrono::Utc;
use doorwatch::event::{Event, Source};
use doorwatch::store::{Delivery, Store, StoreOptions};

fn delivery(uuid: &str, created_at: i64) -> Delivery {
    let body = serde_json::json!({
        "uuid": uuid, "type": "lock.unlock", "success": true, "actor_type": "User", "actor_name": "Person",
        "object_name": "Main Entrance", "created_at": doorwatch::event::format_time(created_at),
    });
    let event = Event::from_json(&serde_json::to_vec(&body).unwrap()).unwrap();
    Delivery { event, received_at: Utc::now().timestamp_millis(), verified: true, source: Source::Webhook }
}

/// Stores `n` deliveries one after another (as a steady trickle of webhooks) and returns their latencies.
async fn trickle(store: &Store, prefix: &str, n: usize) -> Vec<Duration> {
    let mut latencies = Vec::with_capacity(n);
    for i in 0..n {
        let d = delivery(&format!("{prefix}-{i}"), Utc::now().timestamp_millis());
        let t = Instant::now();
        store.ingest(d).await.unwrap();
        latencies.push(t.elapsed());
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    latencies.sort();
    latencies
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p) as usize].as_secs_f64() * 1000.0
}

fn main() {
    let n: usize =
        std::env::var("DOORWATCH_BENCH_RETENTION_EVENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(200_000);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
        let store = Store::open(&dir.path().join("retention.sqlite3"), StoreOptions::default()).unwrap();
        let now = Utc::now().timestamp_millis();
        let year = 365 * 86_400_000i64;
        for chunk in (0..n).collect::<Vec<_>>().chunks(5_000) {
            let batch = chunk.iter().map(|i| delivery(&format!("old-{i}"), now - year + *i as i64)).collect();
            store.ingest_batch(batch).await.unwrap();
        }
        let baseline = trickle(&store, "quiet", 300).await;
        let started = Instant::now();
        let pruning = {
            let store = store.clone();
            tokio::spawn(async move {
                doorwatch::store::retention::prune_before(&store, now - 30 * 86_400_000).await.unwrap()
            })
        };
        let during = trickle(&store, "busy", 300).await;
        let deleted = pruning.await.unwrap();
        let took = started.elapsed();
        assert_eq!(deleted, n);
        println!("# Retention benchmark");
        println!(
            "{n} old events deleted in batches of {} while 300 deliveries were stored one by one",
            doorwatch::store::retention::BATCH
        );
        println!();
        println!("| | p50 | p99 | max |");
        println!("|---|---:|---:|---:|");
        println!(
            "| delivery latency, nothing deleted (baseline) | {:.2} ms | {:.2} ms | {:.2} ms |",
            pct(&baseline, 0.5),
            pct(&baseline, 0.99),
            pct(&baseline, 1.0)
        );
        println!(
            "| delivery latency, while deleting | {:.2} ms | {:.2} ms | {:.2} ms |",
            pct(&during, 0.5),
            pct(&during, 0.99),
            pct(&during, 1.0)
        );
        println!();
        println!(
            "deleted {n} events in {:.2} s ({:.0} events/s); p99 while deleting = {:.2}× the baseline's",
            took.as_secs_f64(),
            n as f64 / took.as_secs_f64(),
            pct(&during, 0.99) / pct(&baseline, 0.99)
        );
    });
}
