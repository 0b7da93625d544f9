//! A store nobody writes to wakes none of its threads: the writer waits for a job (or, with a few rows
//! to index, one short quiet spell), the checkpointer for the writer's word that the log has grown.
//! A binary of its own: the threads are found by name, and no other test's store may share them.
//! Linux only: it reads the threads' counts in `/proc`.
#![cfg(target_os = "linux")]

mod support;

use std::time::Duration;

use doorwatch::event::{Event, Source};
use doorwatch::store::Delivery;
use support::*;

/// Linux: the threads' context switches, from `/proc`, by thread name (as the kernel keeps it: at
/// most 15 bytes).
fn switches(name: &str) -> u64 {
    let mut total = 0;
    for task in std::fs::read_dir("/proc/self/task").unwrap().flatten() {
        let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        if comm.trim() != name {
            continue;
        }
        let status = std::fs::read_to_string(task.path().join("status")).unwrap_or_default();
        for line in status.lines() {
            if let Some(n) =
                line.strip_prefix("voluntary_ctxt_switches:").or(line.strip_prefix("nonvoluntary_ctxt_switches:"))
            {
                total += n.trim().parse::<u64>().unwrap();
            }
        }
    }
    total
}

#[tokio::test]
async fn a_store_nobody_writes_to_wakes_none_of_its_threads() {
    let t = open_store();
    let batch = (0..6000)
        .map(|i| {
            let raw = serde_json::to_vec(&serde_json::json!({
                "uuid": format!("e{i}"), "type": "lock.unlock", "actor_name": "Staff Member", "success": true,
            }))
            .unwrap();
            Delivery { event: Event::from_json(&raw).unwrap(), received_at: i, verified: true, source: Source::Webhook }
        })
        .collect();
    t.store.ingest_batch(batch).await.unwrap();
    // Let the follower and the checkpoint after the burst finish.
    std::thread::sleep(Duration::from_secs(1));
    let before = (switches("doorwatch-write"), switches("doorwatch-check"));
    assert!(before.0 > 0, "the writer thread is found by its name");
    std::thread::sleep(Duration::from_secs(2));
    let after = (switches("doorwatch-write"), switches("doorwatch-check"));
    assert_eq!(after, before, "idle, the writer and the checkpointer sleep until there is work");
}
