//! Retention: keeping events for a set number of days (by default for ever). Old events are deleted
//! oldest first, a few hundred per transaction of the one writer, with a pause between batches, so that
//! deliveries arriving meanwhile wait at most one short batch.

use std::time::Duration;

use crate::store::{Store, StoreError};

/// Events deleted per transaction.
pub const BATCH: usize = 500;
/// The pause between two batches, leaving the writer to deliveries.
const PAUSE: Duration = Duration::from_millis(5);
/// How often retention runs while Doorwatch does.
const EVERY: Duration = Duration::from_secs(3600);

/// Deletes every event created before `cutoff` (Unix ms), in batches; returns how many.
pub async fn prune_before(store: &Store, cutoff: i64) -> Result<usize, StoreError> {
    let mut total = 0;
    loop {
        let n = store.prune(cutoff, BATCH).await?;
        total += n;
        if n < BATCH {
            return Ok(total);
        }
        tokio::time::sleep(PAUSE).await;
    }
}

/// The cutoff for keeping `days` days at `now` (Unix ms); `None` when `days` is 0 (keep for ever).
pub fn cutoff(days: u32, now: i64) -> Option<i64> {
    (days > 0).then(|| now - i64::from(days) * 86_400_000)
}

/// `Some(days)` when retention is on (0 keeps events for ever).
pub fn enabled(days: u32) -> Option<u32> {
    cutoff(days, 0).map(|_| days)
}

/// Retention now and then every hour, until the store closes.
pub async fn run(store: Store, days: u32) {
    loop {
        if let Some(cutoff) = cutoff(days, chrono::Utc::now().timestamp_millis()) {
            match prune_before(&store, cutoff).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(deleted = n, days, "deleted events older than the retention period"),
                Err(StoreError::Closed) => return,
                Err(e) => tracing::warn!(error = %e, "retention could not delete old events; trying again later"),
            }
        }
        tokio::time::sleep(EVERY).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_days_keeps_everything() {
        assert_eq!(cutoff(0, 1_000_000_000), None);
        assert_eq!(cutoff(1, 100_000_000), Some(100_000_000 - 86_400_000));
    }
}
