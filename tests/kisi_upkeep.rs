//! The webhook's upkeep against the fake Kisi API: a disabled webhook is noticed and switched back on,
//! a new tunnel URL is followed, and what happened while Doorwatch could not hear Kisi is fetched, both
//! when a tunnel comes back from an outage and when the first try after waking cannot reach Kisi.

#[path = "support/fake_kisi/mod.rs"]
mod fake_kisi;
#[path = "support/kisi_env.rs"]
mod kisi_env;

use std::sync::Arc;
use std::time::Duration;

use doorwatch::app::kisi_setup;
use doorwatch::app::online::{KisiStatus, Notice, Online, OnlineConfig};
use doorwatch::kisi::integration::{self, Health};
use doorwatch::receive::tunnel::{Problem, TunnelStatus};
use fake_kisi::{FakeKisi, Misbehave};
use kisi_env::{client, receiver, Config, API_KEY};

#[tokio::test]
async fn a_disabled_webhook_is_noticed_and_switched_back_on() {
    let fake = FakeKisi::start(API_KEY).await;
    let config = Config::new();
    let kisi = client(&fake);
    let id =
        kisi_setup::set_up_kisi(&kisi, "https://door.example", &config.resolved(), None).await.unwrap().integration_id;
    assert!(matches!(integration::health(&kisi, id).await.unwrap(), Health::Enabled { .. }));

    let receiver = receiver(config.dir.path(), None).await;
    let (_tunnel_tx, tunnel_rx) = tokio::sync::watch::channel(TunnelStatus::Off);
    let online_config = online_config(&fake, id);
    let (online, mut notices) = Online::with_tunnel_status(online_config, receiver.store().clone(), tunnel_rx);
    let mut status = online.status();
    wait_until(&mut status, |s| matches!(&s.kisi, KisiStatus::Checked { health: Health::Enabled { .. }, .. })).await;

    fake.disable_due_to_error(id);
    online.check_health();
    wait_until(&mut status, |s| {
        matches!(&s.kisi, KisiStatus::Checked { health: Health::Disabled { due_to_error: true, .. }, .. })
    })
    .await;
    let notice = tokio::time::timeout(Duration::from_secs(10), notices.recv()).await.unwrap().unwrap();
    assert!(matches!(&notice, Notice::WebhookOff(text) if text.contains("failed deliveries")), "{notice:?}");

    integration::re_enable(&kisi, id).await.unwrap();
    online.check_health();
    wait_until(&mut status, |s| matches!(&s.kisi, KisiStatus::Checked { health: Health::Enabled { .. }, .. })).await;
    assert!(fake.integrations()[0].enabled);
    online.stop().await;
    receiver.stop().await;
}

#[tokio::test]
async fn a_new_tunnel_url_is_followed_and_a_tunnel_back_from_an_outage_catches_up() {
    let fake = FakeKisi::start(API_KEY).await;
    fake.set_polls_before_finished(0);
    let config = Config::new();
    let id = kisi_setup::set_up_kisi(&client(&fake), "https://first.example", &config.resolved(), None)
        .await
        .unwrap()
        .integration_id;
    let receiver = receiver(config.dir.path(), None).await;
    let (tunnel_tx, tunnel_rx) = tokio::sync::watch::channel(TunnelStatus::Connecting);
    let online_config = online_config(&fake, id);
    let (online, mut notices) = Online::with_tunnel_status(online_config, receiver.store().clone(), tunnel_rx);

    tunnel_tx.send_replace(TunnelStatus::Online { url: "https://second.ngrok.app".into() });
    let notice = tokio::time::timeout(Duration::from_secs(20), notices.recv()).await.unwrap().unwrap();
    assert_eq!(notice, Notice::UrlFollowed("https://second.ngrok.app/webhooks/kisi".into()));
    assert_eq!(fake.integrations()[0].url, "https://second.ngrok.app/webhooks/kisi");

    // While the tunnel is down, two doors are used; when it is back, they are fetched.
    tunnel_tx.send_replace(TunnelStatus::Offline { problem: Problem::Unreachable, reason: "test".into() });
    let mut status = online.status();
    wait_until(&mut status, |s| matches!(s.tunnel, TunnelStatus::Offline { .. })).await;
    let now = chrono::Utc::now();
    fake.add_events([
        fake_kisi::event(
            "7b000000-0000-4000-8000-000000000001",
            now - chrono::Duration::minutes(5),
            false,
            "Back door",
            Some("Eve"),
        ),
        fake_kisi::event(
            "7b000000-0000-4000-8000-000000000002",
            now - chrono::Duration::minutes(4),
            true,
            "Back door",
            Some("Bob"),
        ),
    ]);
    tunnel_tx.send_replace(TunnelStatus::Online { url: "https://second.ngrok.app".into() });
    let notice = tokio::time::timeout(Duration::from_secs(30), notices.recv()).await.unwrap().unwrap();
    // With an empty store the gap starts 7 days back; both events are new, one a failed unlock.
    assert_eq!(notice, Notice::WhileAway("While you were away: 1 failed unlock".into()));
    assert_eq!(receiver.store().reader().unwrap().count().unwrap(), 2);
    online.stop().await;
    receiver.stop().await;
}

/// Upkeep for integration `id` at the fake, with no tunnel of its own and no backfill at start.
#[tokio::test]
async fn a_webhook_set_up_by_an_older_doorwatch_is_asked_for_the_events_it_lacks() {
    let fake = FakeKisi::start(API_KEY).await;
    // As an older Doorwatch (or a person in the dashboard) left it: no lock.closed, so no incident would end.
    let id = fake.insert_integration(&integration::integration_name(), "https://door.example/webhooks/kisi", true);
    let config = Config::new();
    let receiver = receiver(config.dir.path(), None).await;
    let (_tunnel_tx, tunnel_rx) = tokio::sync::watch::channel(TunnelStatus::Off);
    let (online, _notices) = Online::with_tunnel_status(online_config(&fake, id), receiver.store().clone(), tunnel_rx);
    let mut status = online.status();
    wait_until(&mut status, |s| matches!(&s.kisi, KisiStatus::Checked { health: Health::Enabled { .. }, .. })).await;
    let asked = || fake.integrations()[0].enabled_events.clone();
    for _ in 0..100 {
        if asked().iter().any(|e| e == "lock.closed") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let asked = asked();
    assert!(integration::EVENT_TYPES.iter().all(|t| asked.iter().any(|a| a == t)), "{asked:?}");
    online.stop().await;
    receiver.stop().await;
}

#[tokio::test]
async fn the_office_time_zone_is_read_from_kisi_places_and_kept_with_the_events() {
    let fake = FakeKisi::start(API_KEY).await;
    fake.add_place("London satellite", Some("Europe/London"), 1);
    fake.add_place("Berlin HQ", Some("Europe/Berlin"), 3);
    fake.add_place("Storage", None, 9);
    let config = Config::new();
    let receiver = receiver(config.dir.path(), None).await;
    let (_tunnel_tx, tunnel_rx) = tokio::sync::watch::channel(TunnelStatus::Off);
    let (online, _notices) = Online::with_tunnel_status(online_config(&fake, 1), receiver.store().clone(), tunnel_rx);
    let mut status = online.status();
    wait_until(&mut status, |s| s.place_zone.as_deref() == Some("Europe/Berlin")).await;
    online.stop().await;
    // Kept for the CLI and the next start, which may be offline.
    let kept = receiver.store().reader().unwrap().meta(doorwatch::alert::zone::META_KEY).unwrap();
    assert_eq!(kept.as_deref(), Some("Europe/Berlin"));
    assert_eq!(fake.requests().iter().filter(|(m, p)| m == "GET" && p.starts_with("/places")).count(), 1);
    receiver.stop().await;
}

fn online_config(fake: &FakeKisi, id: i64) -> OnlineConfig {
    OnlineConfig {
        tunnel: None,
        manual_public_url: None,
        kisi: Some(Arc::new(client(fake))),
        integration_id: Some(id),
        health_every: Duration::from_secs(3600),
        doors_every: Duration::from_secs(3600),
        backfill: doorwatch::kisi::backfill::Options { poll_every: Duration::from_millis(50), ..Default::default() },
        backfill_on_start: false,
        backfill_retry_after: Duration::from_millis(200),
    }
}

async fn wait_until(
    status: &mut tokio::sync::watch::Receiver<doorwatch::app::online::OnlineStatus>,
    done: impl Fn(&doorwatch::app::online::OnlineStatus) -> bool,
) {
    let reached =
        tokio::time::timeout(Duration::from_secs(20), status.wait_for(|s| done(s))).await.is_ok_and(|r| r.is_ok());
    let last = status.borrow().clone();
    assert!(reached, "status never got there; last: {last:?}");
}

#[tokio::test]
async fn a_backfill_that_cannot_reach_kisi_just_after_waking_is_tried_again() {
    let fake = FakeKisi::start(API_KEY).await;
    fake.set_polls_before_finished(0);
    fake.add_events([fake_kisi::event(
        "9f000000-0000-4000-8000-000000000001",
        chrono::Utc::now() - chrono::Duration::minutes(20),
        false,
        "Back door",
        Some("Eve"),
    )]);
    let config = Config::new();
    let receiver = receiver(config.dir.path(), None).await;
    // The network is not back yet: the first attempt's requests all fail.
    fake.misbehave(Misbehave::DropConnection, 5);
    let online_config = OnlineConfig { backfill_on_start: true, integration_id: None, ..online_config(&fake, 0) };
    let (online, mut notices) = Online::with_tunnel_status(
        online_config,
        receiver.store().clone(),
        tokio::sync::watch::channel(TunnelStatus::Off).1,
    );
    let mut summary = None;
    while summary.is_none() {
        match tokio::time::timeout(Duration::from_secs(30), notices.recv()).await.unwrap().unwrap() {
            Notice::WhileAway(text) => summary = Some(text),
            Notice::Problem(text) => assert!(text.contains("catching up failed"), "{text}"),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(summary.unwrap(), "While you were away: 1 failed unlock");
    assert_eq!(receiver.store().reader().unwrap().count().unwrap(), 1);
    online.stop().await;
    receiver.stop().await;
}
