//! How the query benchmarks fill a store: through the real writer (`synchronous=NORMAL`, to build
//! faster; reads do not change), 20,000 concurrent deliveries at a time, from reproducible
//! pseudo-random numbers.

// Each benchmark takes the parts it needs.
#![allow(dead_code)]

use std::path::Path;

use doorwatch::event::{Event, Source};
use doorwatch::store::{Delivery, Store, StoreOptions, Synchronous};

/// Stores `events` events; `make(i, r)` gives event `i`'s time (Unix ms) and body from the random `r`.
pub fn fill(path: &Path, events: i64, seed: u64, mut make: impl FnMut(i64, u64) -> (i64, Vec<u8>)) {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let store =
        Store::open(path, StoreOptions { synchronous: Synchronous::Normal, ..StoreOptions::default() }).unwrap();
    let mut seed = seed;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    rt.block_on(async {
        let chunk = 20_000;
        for start in (0..events).step_by(chunk) {
            let mut tasks = Vec::with_capacity(chunk);
            for i in start..(start + chunk as i64).min(events) {
                let (at, body) = make(i, next());
                let delivery = Delivery {
                    event: Event::from_json(&body).unwrap(),
                    received_at: at + 900,
                    verified: true,
                    source: Source::Webhook,
                };
                let store = store.clone();
                tasks.push(tokio::spawn(async move { store.ingest(delivery).await.unwrap() }));
            }
            for t in tasks {
                t.await.unwrap();
            }
            if start % 200_000 == 0 {
                eprintln!("  … {start} events");
            }
        }
    });
    drop(store);
}
