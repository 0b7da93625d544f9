//! The store the app is measured on, filled through the real writer.

use doorwatch::event::{format_time, Event, Source};
use doorwatch::store::{Delivery, Store, StoreOptions, Synchronous};

use crate::now_ms;
use crate::support::Desktop;

/// Fills the test desktop's database through the real writer, events `range` (by number) of a
/// history that ends now: one event every 7.7 s, so 1,000,000 span about three months.
pub fn fill(desktop: &Desktop, range: std::ops::Range<usize>) {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let store =
        Store::open(&desktop.db(), StoreOptions { synchronous: Synchronous::Normal, ..Default::default() }).unwrap();
    let end = now_ms() as i64 - 60_000;
    rt.block_on(async {
        for chunk in range.collect::<Vec<_>>().chunks(5_000) {
            let deliveries = chunk
                .iter()
                .map(|&i| {
                    let body = format!(
                        r#"{{"uuid":"fill-{i}","type":"lock.unlock","actor_type":"User","actor_name":"Person {}","object_name":"Door {}","success":{},"error_message":{},"created_at":"{}"}}"#,
                        i % 300,
                        i % 12,
                        i % 20 != 0,
                        if i % 20 == 0 { "\"Access denied.\"" } else { "null" },
                        format_time(end - (i as i64) * 7_700),
                    );
                    Delivery {
                        event: Event::from_json(body.as_bytes()).unwrap(),
                        received_at: end,
                        verified: true,
                        source: Source::Webhook,
                    }
                })
                .collect();
            store.ingest_batch(deliveries).await.unwrap();
        }
    });
    drop(store);
}
