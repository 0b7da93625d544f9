//! Backfill against the fake Kisi API: thousands of events over many pages while webhooks keep
//! arriving leave exactly the union in the store; a 429 and a 503 mid-way are survived; an interrupted
//! run resumes where it stopped; gaps wider than Kisi's 90 days are split.

#[path = "support/fake_kisi/mod.rs"]
mod fake_kisi;
mod support;

use std::collections::HashSet;
use std::time::Duration;

use chrono::Utc;
use doorwatch::kisi::backfill::{self, Options};
use doorwatch::kisi::{ApiKey, Client};
use doorwatch::receive::signature::SigningKey;
use doorwatch::receive::{Receiver, ReceiverConfig};
use doorwatch::store::StoreOptions;
use fake_kisi::{FakeKisi, Misbehave};
use support::delivery;

const API_KEY: &str = "kisi-test-api-key";
const SIGNING_KEY: &str = "backfill-test-signing-key";

fn uuid(n: usize) -> String {
    format!("5e000000-0000-4000-8000-{n:012}")
}

/// `n` events spread over the last two days, every seventh a failed unlock.
fn history(n: usize) -> Vec<serde_json::Value> {
    let now = Utc::now();
    (0..n)
        .map(|i| {
            let at = now - chrono::Duration::seconds(60 + (i as i64 * 172_000 / n as i64));
            fake_kisi::event(&uuid(i), at, i % 7 != 0, &format!("Door {}", i % 5), Some(&format!("Person {}", i % 40)))
        })
        .collect()
}

async fn receiver(dir: &std::path::Path) -> Receiver {
    Receiver::start(ReceiverConfig {
        db: dir.join("doorwatch.sqlite3"),
        listen: "127.0.0.1:0".parse().unwrap(),
        signing_key: SigningKey::new(SIGNING_KEY),
        store: StoreOptions::default(),
    })
    .await
    .unwrap()
}

fn options() -> Options {
    Options { poll_every: Duration::from_millis(50), ..Options::default() }
}

fn stored_uuids(path: &std::path::Path) -> Vec<(String, String, i64)> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut stmt = conn.prepare("SELECT uuid, source, duplicates FROM events").unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(Result::unwrap).collect()
}

/// Delivers `event` to the receiver as its webhook, signed with the receiver's key.
async fn deliver(url: &str, event: &serde_json::Value) -> u16 {
    let body = serde_json::to_vec(event).unwrap();
    delivery::deliver(&reqwest::Client::new(), url, &body, Some(SIGNING_KEY)).await.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_events_over_many_pages_with_webhooks_arriving_leave_exactly_the_union() {
    let fake = FakeKisi::start(API_KEY).await;
    let events = history(10_000);
    fake.add_events(events.clone());
    let dir = tempfile::tempdir().unwrap();
    let receiver = receiver(dir.path()).await;
    let url = receiver.local_url();

    // Webhooks during the backfill: 3,000 that Kisi also has, and 200 newer ones only the webhook has.
    let fresh: Vec<_> =
        (0..200).map(|i| fake_kisi::event(&uuid(50_000 + i), Utc::now(), true, "Main Entrance", Some("Ada"))).collect();
    let webhooks: Vec<_> = events.iter().step_by(3).take(3_000).cloned().chain(fresh.iter().cloned()).collect();
    let webhook_task = tokio::spawn(async move {
        for event in &webhooks {
            assert_eq!(deliver(&url, event).await, 200);
        }
    });

    let client = Client::new(&fake.base_url, ApiKey::new(API_KEY).unwrap());
    let now = Utc::now().timestamp_millis();
    let mut pages = 0;
    let report = backfill::run(&client, receiver.store(), now - 3 * 86_400_000, now, &options(), |_| {
        pages += 1;
        if pages == 3 {
            // Kisi gets busy, then briefly down, mid-way.
            fake.misbehave(Misbehave::TooManyRequests, 1);
            fake.misbehave(Misbehave::Unavailable, 1);
        }
    })
    .await
    .unwrap();
    webhook_task.await.unwrap();

    assert_eq!(report.fetched, 10_000);
    assert!(fake.rate_limited() >= 1, "the 429 happened");
    let rows = stored_uuids(&dir.path().join("doorwatch.sqlite3"));
    let got: HashSet<_> = rows.iter().map(|(u, _, _)| u.clone()).collect();
    let want: HashSet<_> = (0..10_000).map(uuid).chain((0..200).map(|i| uuid(50_000 + i))).collect();
    assert_eq!(rows.len(), got.len(), "every event once");
    assert_eq!(got, want, "exactly the union: no loss, nothing extra");
    for (uuid, source, duplicates) in &rows {
        match source.as_str() {
            // Stored from its webhook: the backfill's copy, later, is not a re-delivery.
            "webhook" => assert_eq!(*duplicates, 0, "{uuid}: a backfilled copy counted as a re-delivery"),
            // Stored from the backfill: its webhook may still have come after (a delivery of a stored event).
            "backfill" => assert!(*duplicates <= 1, "{uuid}: {duplicates} re-deliveries"),
            other => panic!("{uuid}: source {other}"),
        }
    }
    let backfilled = rows.iter().filter(|(_, s, _)| s == "backfill").count() as u64;
    assert_eq!(backfilled, report.stored);
    assert!(backfilled >= 7_000, "what the webhooks did not bring came from the backfill");
    receiver.stop().await;
}

#[tokio::test]
async fn an_interrupted_backfill_resumes_where_it_stopped() {
    let fake = FakeKisi::start(API_KEY).await;
    fake.add_events(history(3_000));
    let dir = tempfile::tempdir().unwrap();
    let receiver = receiver(dir.path()).await;
    let store = receiver.store().clone();
    let client = Client::new(&fake.base_url, ApiKey::new(API_KEY).unwrap());
    let now = Utc::now().timestamp_millis();
    let from = now - 3 * 86_400_000;

    // Quit after four pages (the app closed, the laptop went back to sleep).
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let mut stop = Some(stop);
    let mut pages = 0;
    let options = options();
    let run = backfill::run(&client, &store, from, now, &options, |_| {
        pages += 1;
        if pages == 4 {
            stop.take().map(|s| s.send(()));
        }
    });
    tokio::select! {
        result = run => panic!("the backfill should have been interrupted, it ended with {result:?}"),
        _ = stopped => {}
    }
    let partial = store.reader().unwrap().count().unwrap();
    assert!(partial > 0 && partial < 3_000, "{partial} stored before the interruption");

    // The newest stored event is recent, but the resume point remembers the gap's real start.
    let (resume_from, _) = backfill::pending_range(&store, Utc::now().timestamp_millis()).unwrap();
    assert_eq!(resume_from, from);
    let report =
        backfill::run(&client, &store, resume_from, Utc::now().timestamp_millis(), &options, |_| {}).await.unwrap();
    // The whole gap is read again; what was stored before is not stored twice (a page that was being
    // stored when the run was dropped may still have landed meanwhile).
    assert_eq!(report.fetched, 3_000);
    assert!(report.stored as i64 <= 3_000 - partial, "{} stored again", report.stored);
    assert_eq!(store.reader().unwrap().count().unwrap(), 3_000);

    // Finished: the next gap starts just before the newest event again.
    let later = Utc::now().timestamp_millis();
    let (next_from, _) = backfill::pending_range(&store, later).unwrap();
    let newest = store.reader().unwrap().newest_event_time().unwrap().unwrap();
    assert_eq!(next_from, newest - backfill::SAFETY_MARGIN.as_millis() as i64);
    receiver.stop().await;
}

#[tokio::test]
async fn gaps_wider_than_ninety_days_are_fetched_in_pieces_kisi_accepts() {
    let fake = FakeKisi::start(API_KEY).await;
    fake.set_polls_before_finished(2);
    let now = Utc::now();
    let days = |d: i64| now - chrono::Duration::days(d);
    fake.add_events([
        fake_kisi::event(&uuid(1), days(150), true, "Main Entrance", Some("Ada")),
        fake_kisi::event(&uuid(2), days(100), false, "Main Entrance", Some("Bob")),
        fake_kisi::event(&uuid(3), days(10), true, "Back door", None),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let receiver = receiver(dir.path()).await;
    let client = Client::new(&fake.base_url, ApiKey::new(API_KEY).unwrap());
    let mut last = None;
    let report = backfill::run(
        &client,
        receiver.store(),
        days(200).timestamp_millis(),
        now.timestamp_millis(),
        &options(),
        |p| last = Some(p.clone()),
    )
    .await
    .unwrap();
    assert_eq!((report.fetched, report.stored, report.failed_unlocks), (3, 3, 1));
    let created = fake.requests().iter().filter(|(m, p)| m == "POST" && p.starts_with("/event_sets")).count();
    assert_eq!(created, 3, "200 days in three sets of at most 90");
    assert_eq!(last.unwrap().fetched, 3);
    let rows = stored_uuids(&dir.path().join("doorwatch.sqlite3"));
    assert!(rows.iter().all(|(_, source, _)| source == "backfill"));
    receiver.stop().await;
}

#[tokio::test]
async fn a_refused_api_key_stops_the_backfill_with_a_clear_error_and_stores_nothing() {
    let fake = FakeKisi::start(API_KEY).await;
    fake.add_events(history(10));
    let dir = tempfile::tempdir().unwrap();
    let receiver = receiver(dir.path()).await;
    let client = Client::new(&fake.base_url, ApiKey::new("revoked").unwrap());
    let now = Utc::now().timestamp_millis();
    let err = backfill::run(&client, receiver.store(), now - 86_400_000, now, &options(), |_| {}).await.unwrap_err();
    assert!(err.to_string().contains("refused the API key"), "{err}");
    assert_eq!(receiver.store().reader().unwrap().count().unwrap(), 0);
    receiver.stop().await;
}

/// A fake Kisi whose event sets are ready at once, a receiver on a fresh store, and a client.
async fn quick_kisi_and_receiver() -> (FakeKisi, tempfile::TempDir, Receiver, Client) {
    let fake = FakeKisi::start(API_KEY).await;
    fake.set_polls_before_finished(0);
    let dir = tempfile::tempdir().unwrap();
    let receiver = receiver(dir.path()).await;
    let client = Client::new(&fake.base_url, ApiKey::new(API_KEY).unwrap());
    (fake, dir, receiver, client)
}

#[tokio::test]
async fn an_outage_after_the_last_backfill_is_fetched_even_when_webhooks_arrived_since() {
    let (fake, _dir, receiver, client) = quick_kisi_and_receiver().await;
    let store = receiver.store().clone();
    let now = Utc::now();
    let minutes = |m: i64| now - chrono::Duration::minutes(m);

    // A backfill an hour ago covered everything until then.
    backfill::run(&client, &store, minutes(120).timestamp_millis(), minutes(60).timestamp_millis(), &options(), |_| {})
        .await
        .unwrap();
    // Then the tunnel was down for a while: Kisi has three events nobody received...
    fake.add_events((0..3).map(|i| fake_kisi::event(&uuid(700 + i), minutes(50 - i as i64), false, "Back door", None)));
    // ...and after it came back, a webhook arrived (newer than the outage by far more than the margin).
    assert_eq!(
        deliver(&receiver.local_url(), &fake_kisi::event(&uuid(800), minutes(5), true, "Lobby", None)).await,
        200
    );

    let (from, until) = backfill::pending_range(&store, Utc::now().timestamp_millis()).unwrap();
    assert_eq!(from, minutes(60).timestamp_millis(), "the gap starts where the last backfill stopped");
    let report = backfill::run(&client, &store, from, until, &options(), |_| {}).await.unwrap();
    assert_eq!((report.stored, report.failed_unlocks), (3, 3));
    for i in 0..3 {
        assert!(store.reader().unwrap().event(&uuid(700 + i)).unwrap().is_some());
    }
    receiver.stop().await;
}

#[tokio::test]
async fn a_manual_backfill_of_a_recent_range_keeps_an_older_gap_to_fetch() {
    let (_fake, _dir, receiver, client) = quick_kisi_and_receiver().await;
    let store = receiver.store().clone();
    let now = Utc::now().timestamp_millis();
    let hour = 3_600_000;
    // Covered until 10 hours ago; then someone fetches only the last hour by hand.
    backfill::run(&client, &store, now - 12 * hour, now - 10 * hour, &options(), |_| {}).await.unwrap();
    backfill::run(&client, &store, now - hour, now, &options(), |_| {}).await.unwrap();
    let (from, _) = backfill::pending_range(&store, now).unwrap();
    assert_eq!(from, now - 10 * hour, "the nine hours in between are still to fetch");
    receiver.stop().await;
}
