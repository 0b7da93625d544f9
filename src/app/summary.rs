//! The running Doorwatch's morning summary: once a minute it asks whether the summary is due (a
//! workday, past `alerts.summary_at`, not yet shown today — see [`crate::alert::summary::due`]), so a
//! laptop that slept through the time shows it within a minute of waking. The day it was shown is
//! kept in the store, so a restart does not show it twice; a new Doorwatch started after the day's
//! summary time has no night to sum up, and starts with tomorrow's.

use std::time::Duration;

use chrono::{NaiveDate, Utc};

use super::{lock, Doorwatch};
use crate::alert::summary::{self, Night};
use crate::store::{MetaChange, StoreError};

/// How often the clock is looked at (the monotonic clock stops while a laptop sleeps, so a long timer
/// would fire long after waking).
const CHECK: Duration = Duration::from_secs(60);

pub(super) async fn morning(doorwatch: Doorwatch) {
    let mut shown_on: Option<NaiveDate> =
        doorwatch.read(|r| r.meta(summary::META_KEY)).ok().flatten().and_then(|d| d.parse().ok());
    loop {
        let settings = lock(&doorwatch.inner.policy).settings().clone();
        let now = doorwatch.zone().local(Utc::now()).naive_local();
        if shown_on.is_none() {
            // A new Doorwatch: today's summary only if it starts before the summary's time.
            let day = if summary::due(&settings, None, now) { now.date() } else { now.date() - chrono::Days::new(1) };
            shown_on = Some(day);
            if let Some(store) = doorwatch.store() {
                let _ = store.change_meta(summary::META_KEY, MetaChange::Set(day.to_string())).await;
            }
        }
        if summary::due(&settings, shown_on, now) {
            shown_on = Some(now.date());
            match show(&doorwatch, now.date()).await {
                Ok(()) => {}
                Err(e) => tracing::warn!(error = %e, "cannot make the morning summary"),
            }
        }
        tokio::time::sleep(CHECK).await;
    }
}

async fn show(doorwatch: &Doorwatch, today: NaiveDate) -> Result<(), StoreError> {
    let store = doorwatch.store().ok_or(StoreError::Closed)?;
    // Recorded first: a summary is worth less than the promise of never showing it twice.
    store.change_meta(summary::META_KEY, MetaChange::Set(today.to_string())).await?;
    let night = doorwatch.night(None)?;
    if doorwatch.alerts_paused_until().is_some() {
        tracing::info!("morning summary not shown: alerts are paused");
        return Ok(());
    }
    let _ = doorwatch.inner.alerts.send(night.alert());
    Ok(())
}

impl Doorwatch {
    /// The night so far: since `since` (Unix ms), or since the last workday's closing time.
    pub fn night(&self, since: Option<i64>) -> Result<Night, StoreError> {
        let settings = lock(&self.inner.policy).settings().clone();
        let zone = self.zone();
        let now = Utc::now();
        let since = since.unwrap_or_else(|| summary::night_since(&settings, &zone, now));
        self.read(|r| summary::gather(r, &settings, &zone, since, now.timestamp_millis()))
    }
}
