//! Backfill benchmark: 100,000 events fetched from the fake Kisi API in pages of 250 and stored, timed
//! as our own time: the wall time minus the waits Kisi imposes (its 5 requests/s and 1 event set/s
//! pacing, 429 pauses, the polls while an event set is prepared) and minus Kisi's answer time (the
//! fake's here: network and its JSON), each reported apart. The baseline,
//! measured in the same run on the same kind of store: the same events stored as webhook deliveries are,
//! one `Store::ingest` per event from 32 concurrent callers (the receiver's path minus HTTP, which
//! `benches/ingest.rs` shows costs little). Run with `make bench`.

#[path = "../tests/support/fake_kisi/mod.rs"]
mod fake_kisi;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use doorwatch::event::{Event, Source};
use doorwatch::kisi::backfill::{self, Options};
use doorwatch::kisi::{ApiKey, Client};
use doorwatch::store::{Delivery, Store, StoreOptions};

const API_KEY: &str = "bench-kisi-key";
const CALLERS: usize = 32;

fn main() {
    let n: usize =
        std::env::var("DOORWATCH_BENCH_BACKFILL_EVENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(run(n));
}

async fn run(n: usize) {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let now = Utc::now();
    let events: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            let at = now - chrono::Duration::seconds(60 + (i as i64 * 60 * 86_400 / n as i64));
            fake_kisi::event(
                &format!("b0000000-0000-4000-8000-{i:012}"),
                at,
                i % 9 != 0,
                &format!("Door {}", i % 12),
                Some(&format!("Person {}", i % 300)),
            )
        })
        .collect();
    println!("# Backfill benchmark");
    println!("{n} events over 60 days, pages of {}, store on {}", backfill::PAGE_SIZE, dir.path().display());
    println!();

    // Baseline: the same events stored the way webhook deliveries are.
    let baseline_store = Store::open(&dir.path().join("baseline.sqlite3"), StoreOptions::default()).unwrap();
    let bodies: Arc<Vec<Vec<u8>>> = Arc::new(events.iter().map(|e| serde_json::to_vec(e).unwrap()).collect());
    let started = Instant::now();
    let mut callers = Vec::new();
    for c in 0..CALLERS {
        let (store, bodies) = (baseline_store.clone(), Arc::clone(&bodies));
        callers.push(tokio::spawn(async move {
            for body in bodies.iter().skip(c).step_by(CALLERS) {
                let event = Event::from_json(body).unwrap();
                let delivery = Delivery {
                    event,
                    received_at: Utc::now().timestamp_millis(),
                    verified: true,
                    source: Source::Webhook,
                };
                store.ingest(delivery).await.unwrap();
            }
        }));
    }
    for caller in callers {
        caller.await.unwrap();
    }
    let baseline = started.elapsed();
    assert_eq!(baseline_store.reader().unwrap().count().unwrap() as usize, n);

    // Backfill from the fake API.
    let fake = fake_kisi::FakeKisi::start(API_KEY).await;
    fake.add_events(events);
    fake.set_polls_before_finished(1);
    let store = Store::open(&dir.path().join("backfill.sqlite3"), StoreOptions::default()).unwrap();
    let client = Client::new(&fake.base_url, ApiKey::new(API_KEY).unwrap());
    let options = Options { poll_every: Duration::from_millis(200), ..Options::default() };
    let mut pages = 0u64;
    let started = Instant::now();
    let report = backfill::run(
        &client,
        &store,
        (now - chrono::Duration::days(61)).timestamp_millis(),
        now.timestamp_millis(),
        &options,
        |_| pages += 1,
    )
    .await
    .unwrap();
    let wall = started.elapsed();
    assert_eq!(report.stored as usize, n);
    let paced = client.rate_limit_wait();
    let sets = fake.requests().iter().filter(|(m, p)| m == "POST" && p == "/event_sets").count() as u32;
    let polls = options.poll_every * sets; // one in-progress poll per set, as configured above
    let answers = client.answer_wait();
    // Our own time: what is left of the wall clock after the waits Kisi imposes and Kisi's (here the
    // fake's) answer time. Storing a page overlaps the fetch of the next, so only the part of the store's
    // work that the waits could not hide is in it.
    let own = wall.saturating_sub(paced).saturating_sub(polls).saturating_sub(answers);
    let with_answers = own + answers;

    let rate = |d: Duration| n as f64 / d.as_secs_f64();
    println!("| | time | events/s | vs baseline |");
    println!("|---|---:|---:|---:|");
    println!(
        "| baseline: one ingest per event, {CALLERS} callers | {:.2} s | {:.0} | 1.00× |",
        baseline.as_secs_f64(),
        rate(baseline)
    );
    println!(
        "| backfill, our own time | **{:.2} s** | {:.0} | {:.2}× |",
        own.as_secs_f64(),
        rate(own),
        rate(own) / rate(baseline)
    );
    println!(
        "| backfill, our own time plus the fake Kisi's answer time | {:.2} s | {:.0} | {:.2}× |",
        with_answers.as_secs_f64(),
        rate(with_answers),
        rate(with_answers) / rate(baseline)
    );
    println!(
        "| backfill, waiting for Kisi's limits ({} requests at ≤ 5/s, {} sets, {} 429s) | {:.1} s | | |",
        fake.requests().len(),
        sets,
        fake.rate_limited(),
        (paced + polls).as_secs_f64()
    );
    println!("| backfill, wall clock | {:.1} s | | |", wall.as_secs_f64());
    println!();
    println!("{pages} pages; target: our own time ≤ 3 s for 100,000 events");
}
