//! Backfill: fetching from Kisi's API what the webhook missed while the laptop slept or the tunnel was
//! down, and storing it through the same parse and `uuid` dedupe as webhooks, marked `backfill`.
//!
//! The store keeps a "covered until" mark (`meta`): the time up to which a backfill has read Kisi's
//! history. Only a backfill moves it forward, window by window, so an outage that began after the last
//! backfill is always inside the next one, however many webhooks arrived since (a webhook proves
//! nothing about the events before it). The gap runs from the earlier of the mark and the newest
//! stored event minus a safety margin (events can reach Kisi late), to now; Kisi's event sets cover at
//! most 90 days, so wider gaps are split, oldest first. A crash or quit costs at most one window of
//! re-reading, which the dedupe makes harmless. The times are passed in, so the planning is tested
//! without a clock.

use std::time::Duration;

use serde::Serialize;

use crate::event::{Event, EventKind, Source};
use crate::kisi::{Client, EventSetStatus, KisiError};
use crate::store::{Delivery, Ingested, MetaChange, Store, StoreError};

/// Events created this long before the newest stored one are fetched again: Kisi may record an event
/// a little after it happened, and re-reading is free thanks to the dedupe.
pub const SAFETY_MARGIN: Duration = Duration::from_secs(15 * 60);
/// Kisi refuses event sets wider than 90 days.
pub const MAX_SPAN: Duration = Duration::from_secs(90 * 24 * 3600);
/// With nothing stored yet, a first backfill reaches back this far (`--since` reaches further).
pub const FIRST_RUN_SPAN: Duration = Duration::from_secs(7 * 24 * 3600);
/// Events per page: Kisi's maximum.
pub const PAGE_SIZE: u32 = 250;
/// An event set that fails at Kisi is created again this many times before the backfill gives up.
const FAILED_SET_RETRIES: u32 = 3;
/// How many times an event set still being prepared is asked about before the backfill gives up (and
/// the next catch-up tries again), so one stuck set cannot hold every later catch-up.
const MAX_POLLS: u32 = 300;
/// The `meta` key holding the "covered until" mark (Unix ms).
const RESUME_KEY: &str = "backfill.covered_until";

/// A wall-clock jump of more than this against the monotonic clock means the machine slept.
pub const SLEEP_JUMP: Duration = Duration::from_secs(60);

/// One event set's time range, `[from, until)` in Unix ms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Window {
    pub from: i64,
    pub until: i64,
}

/// Splits `[from, until)` into windows Kisi accepts, oldest first.
pub fn plan(from: i64, until: i64) -> Vec<Window> {
    let span = MAX_SPAN.as_millis() as i64;
    let mut windows = Vec::new();
    let mut start = from;
    while start < until {
        let end = (start + span).min(until);
        windows.push(Window { from: start, until: end });
        start = end;
    }
    windows
}

/// Where the gap starts: the earlier of the "covered until" mark and the newest stored event minus
/// [`SAFETY_MARGIN`]; with neither, [`FIRST_RUN_SPAN`] before `now`.
pub fn gap_start(resume_from: Option<i64>, newest_event: Option<i64>, now: i64) -> i64 {
    let after_newest = newest_event.map(|t| t - SAFETY_MARGIN.as_millis() as i64);
    let first_run = now - FIRST_RUN_SPAN.as_millis() as i64;
    match (resume_from, after_newest) {
        (Some(r), Some(n)) => r.min(n),
        (Some(r), None) => r,
        (None, Some(n)) => n,
        (None, None) => first_run,
    }
}

/// True when the wall clock moved more than [`SLEEP_JUMP`] further than the monotonic clock between two
/// looks: the machine was asleep (the monotonic clock stops during sleep on Linux and macOS).
pub fn slept(wall_elapsed: Duration, monotonic_elapsed: Duration) -> bool {
    wall_elapsed.saturating_sub(monotonic_elapsed) > SLEEP_JUMP
}

/// How far a running backfill is, for "Catching up: 1,240 of ~3,000 events".
#[derive(Debug, Clone, Default, PartialEq, Serialize, ts_rs::TS)]
pub struct Progress {
    /// Events read from Kisi so far.
    #[ts(type = "number")]
    pub fetched: u64,
    /// Of those, new to this store.
    #[ts(type = "number")]
    pub stored: u64,
    /// A guess at the total, from how much of the time range the pages read so far cover.
    #[ts(type = "number | null")]
    pub estimated_total: Option<u64>,
}

impl Progress {
    pub fn describe(&self) -> String {
        match self.estimated_total {
            Some(total) if total > self.fetched => {
                format!("Catching up: {} of ~{} events", thousands(self.fetched), thousands(total))
            }
            _ => format!("Catching up: {} events", thousands(self.fetched)),
        }
    }
}

/// What a backfill did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Report {
    pub from: i64,
    pub until: i64,
    pub fetched: u64,
    /// Events that were not stored yet (the rest arrived by webhook or an earlier backfill).
    pub stored: u64,
    /// New failed unlocks among them: "While you were away: 4 failed unlocks".
    pub failed_unlocks: u64,
    /// Entries Kisi sent that are not event objects (skipped and logged).
    pub unreadable: u64,
}

impl Report {
    /// The summary shown instead of one alert per old event, or `None` when there is nothing to say.
    pub fn while_you_were_away(&self) -> Option<String> {
        match (self.stored, self.failed_unlocks) {
            (0, _) => None,
            (n, 0) => Some(format!("While you were away: {} door events, no failed unlocks", thousands(n))),
            (_, 1) => Some("While you were away: 1 failed unlock".to_owned()),
            (_, f) => Some(format!("While you were away: {} failed unlocks", thousands(f))),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BackfillError {
    #[error(transparent)]
    Kisi(#[from] KisiError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("Kisi could not collect the events from {from} to {until} (the event set failed {tries} times)")]
    SetFailed { from: String, until: String, tries: u32 },
    #[error("Kisi was still preparing the events from {from} to {until} after {polls} checks; the next catch-up tries again")]
    SetStuck { from: String, until: String, polls: u32 },
    #[error("--since must be before --until")]
    EmptyRange,
}

/// How a run polls Kisi while an event set is being prepared.
#[derive(Debug, Clone)]
pub struct Options {
    pub poll_every: Duration,
    pub page_size: u32,
}

impl Default for Options {
    fn default() -> Self {
        Options { poll_every: Duration::from_secs(1), page_size: PAGE_SIZE }
    }
}

/// The range a backfill run should cover now, from what the store knows: `(from, until)`.
pub fn pending_range(store: &Store, now: i64) -> Result<(i64, i64), StoreError> {
    let reader = store.reader()?;
    let resume = reader.meta(RESUME_KEY)?.and_then(|v| v.parse().ok());
    Ok((gap_start(resume, reader.newest_event_time()?, now), now))
}

/// Fetches every event created in `[from, until)` and stores the new ones. `progress` is called after
/// every page. Safe to interrupt (drop the future) at any point: nothing acknowledged is lost and the
/// next run resumes where this one was. A mark earlier than `from` (an older gap this run does not
/// cover, e.g. a manual `--since`) is left alone.
pub async fn run(
    client: &Client,
    store: &Store,
    from: i64,
    until: i64,
    options: &Options,
    mut progress: impl FnMut(&Progress),
) -> Result<Report, BackfillError> {
    if from >= until {
        return Err(BackfillError::EmptyRange);
    }
    let mut report = Report { from, until, ..Report::default() };
    store.change_meta(RESUME_KEY, MetaChange::LowerTo(from)).await?;
    let windows = plan(from, until);
    let total_span = (until - from) as f64;
    for (done_before, window) in windows.iter().scan(0i64, |done, w| {
        let before = *done;
        *done += w.until - w.from;
        Some((before, *w))
    }) {
        let mut seen_min = i64::MAX;
        let mut seen_max = i64::MIN;
        let mut pages = Pages::start(client, window, options).await?;
        // One page is stored while the next is fetched: the store's work hides behind Kisi's pacing.
        let mut storing: Option<tokio::task::JoinHandle<Result<Vec<Ingested>, StoreError>>> = None;
        while let Some(page) = pages.next(client, options).await? {
            let received_at = chrono::Utc::now().timestamp_millis();
            let mut deliveries = Vec::with_capacity(page.len());
            for raw in &page {
                match Event::from_json(raw.get().as_bytes()) {
                    Ok(event) => {
                        if let Some(t) = event.created_at {
                            seen_min = seen_min.min(t);
                            seen_max = seen_max.max(t);
                        }
                        deliveries.push(Delivery { event, received_at, verified: false, source: Source::Backfill });
                    }
                    Err(e) => {
                        report.unreadable += 1;
                        tracing::warn!(error = %e, "skipped an entry of a Kisi event set that is not an event");
                    }
                }
            }
            report.fetched += page.len() as u64;
            if let Some(previous) = storing.take() {
                count_stored(&mut report, previous).await?;
            }
            let store = store.clone();
            storing = Some(tokio::spawn(async move { store.ingest_batch(deliveries).await }));
            // The pages come in time order (either way round), so the span they cover so far says
            // roughly which share of the window has been read.
            let covered = if seen_max >= seen_min { (seen_max - seen_min).max(1) } else { 0 };
            let share = (done_before + covered) as f64 / total_span;
            progress(&Progress {
                fetched: report.fetched,
                stored: report.stored,
                estimated_total: (share > 0.02).then(|| (report.fetched as f64 / share.min(1.0)).round() as u64),
            });
        }
        if let Some(last) = storing.take() {
            count_stored(&mut report, last).await?;
        }
        store.change_meta(RESUME_KEY, MetaChange::AdvanceWithin { from: window.from, to: window.until }).await?;
    }
    progress(&Progress { fetched: report.fetched, stored: report.stored, estimated_total: Some(report.fetched) });
    Ok(report)
}

async fn count_stored(
    report: &mut Report,
    storing: tokio::task::JoinHandle<Result<Vec<Ingested>, StoreError>>,
) -> Result<(), BackfillError> {
    let outcomes = storing.await.map_err(|_| StoreError::Closed)??;
    for outcome in outcomes {
        if let Ingested::Stored(event) = outcome {
            report.stored += 1;
            if event.event.kind == EventKind::UnlockFailed {
                report.failed_unlocks += 1;
            }
        }
    }
    Ok(())
}

/// The pages of one window's event set, created (again, if Kisi reports it failed) as needed.
struct Pages {
    set: i64,
    /// The first page when Kisi returned it with the set.
    first: Option<Vec<Box<serde_json::value::RawValue>>>,
    cursor: Option<String>,
    started: bool,
}

impl Pages {
    async fn start(client: &Client, window: Window, options: &Options) -> Result<Pages, BackfillError> {
        let mut tries = 0;
        loop {
            tries += 1;
            let mut set = client.create_event_set(window.from, window.until).await?;
            let mut polls = 0;
            while set.status == EventSetStatus::InProgress {
                polls += 1;
                if polls > MAX_POLLS {
                    return Err(BackfillError::SetStuck {
                        from: crate::kisi::rfc3339(window.from),
                        until: crate::kisi::rfc3339(window.until),
                        polls: MAX_POLLS,
                    });
                }
                tokio::time::sleep(options.poll_every).await;
                set = client.event_set(set.id, None, options.page_size).await?;
            }
            if set.status == EventSetStatus::Finished {
                return Ok(Pages {
                    set: set.id,
                    first: Some(set.events.unwrap_or_default()),
                    cursor: set.cursor,
                    started: false,
                });
            }
            if tries >= FAILED_SET_RETRIES {
                return Err(BackfillError::SetFailed {
                    from: crate::kisi::rfc3339(window.from),
                    until: crate::kisi::rfc3339(window.until),
                    tries,
                });
            }
            tracing::warn!(set = set.id, "Kisi reports the event set failed; asking again");
        }
    }

    async fn next(
        &mut self,
        client: &Client,
        options: &Options,
    ) -> Result<Option<Vec<Box<serde_json::value::RawValue>>>, BackfillError> {
        if !self.started {
            self.started = true;
            return Ok(self.first.take());
        }
        let Some(cursor) = self.cursor.take() else { return Ok(None) };
        let page = client.event_set(self.set, Some(&cursor), options.page_size).await?;
        self.cursor = page.cursor;
        Ok(Some(page.events.unwrap_or_default()))
    }
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 24 * 3600 * 1000;

    #[test]
    fn progress_shows_an_estimate_only_while_it_is_ahead() {
        let p = |fetched, estimated_total| Progress { fetched, stored: 0, estimated_total };
        assert_eq!(p(1240, Some(3000)).describe(), "Catching up: 1,240 of ~3,000 events");
        assert_eq!(p(3000, Some(3000)).describe(), "Catching up: 3,000 events");
        assert_eq!(p(10, None).describe(), "Catching up: 10 events");
    }

    #[test]
    fn gaps_wider_than_ninety_days_are_split_oldest_first() {
        assert_eq!(plan(0, DAY), vec![Window { from: 0, until: DAY }]);
        let windows = plan(0, 200 * DAY);
        assert_eq!(windows.len(), 3);
        assert_eq!(windows[0], Window { from: 0, until: 90 * DAY });
        assert_eq!(windows[2], Window { from: 180 * DAY, until: 200 * DAY });
        assert!(plan(5, 5).is_empty());
    }

    #[test]
    fn the_gap_starts_before_the_newest_event_or_where_an_interrupted_run_stopped() {
        let now = 100 * DAY;
        let margin = SAFETY_MARGIN.as_millis() as i64;
        assert_eq!(gap_start(None, Some(now - DAY), now), now - DAY - margin);
        assert_eq!(gap_start(Some(now - 3 * DAY), Some(now - DAY), now), now - 3 * DAY);
        assert_eq!(gap_start(None, None, now), now - 7 * DAY);
    }

    #[test]
    fn a_wall_clock_jump_means_the_machine_slept() {
        assert!(slept(Duration::from_secs(8 * 3600), Duration::from_secs(30)));
        assert!(!slept(Duration::from_secs(31), Duration::from_secs(30)));
        assert!(!slept(Duration::from_secs(10), Duration::from_secs(30)));
    }

    #[test]
    fn summaries_count_what_is_new() {
        let report = Report { stored: 12, failed_unlocks: 4, ..Report::default() };
        assert_eq!(report.while_you_were_away().unwrap(), "While you were away: 4 failed unlocks");
        assert_eq!(Report::default().while_you_were_away(), None);
        let progress = Progress { fetched: 1240, stored: 3, estimated_total: Some(3000) };
        assert_eq!(progress.describe(), "Catching up: 1,240 of ~3,000 events");
    }
}
