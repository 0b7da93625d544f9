//! One-step Kisi setup against the fake Kisi API: setup creates exactly one integration whose key the
//! receiver then accepts, re-running it repairs rather than duplicates, a local URL or a bad API key
//! changes nothing, and the client under it rides out a brief outage, keeps to Kisi's rate limits and
//! says what is wrong.

#[path = "support/fake_kisi/mod.rs"]
mod fake_kisi;
#[path = "support/kisi_env.rs"]
mod kisi_env;

use std::time::Duration;

use doorwatch::app::kisi_setup;
use doorwatch::config::secrets::Secret;
use doorwatch::kisi::integration::{self, EVENT_TYPES};
use doorwatch::kisi::{ApiKey, Client, KisiError};
use doorwatch::store::EventFilter;
use fake_kisi::{FakeKisi, Misbehave};
use kisi_env::{client, receiver, Config, API_KEY};

#[tokio::test]
async fn setup_creates_one_integration_whose_key_the_receiver_then_accepts() {
    let fake = FakeKisi::start(API_KEY).await;
    let config = Config::new();
    // The receiver runs without a key; setup hands it the new one without a restart.
    let receiver = receiver(config.dir.path(), None).await;
    let slot = receiver.key_slot();

    let outcome = kisi_setup::set_up_kisi(&client(&fake), "https://door.example/", &config.resolved(), Some(&slot))
        .await
        .unwrap();

    assert!(outcome.created);
    let all = fake.integrations();
    assert_eq!(all.len(), 1);
    let made = &all[0];
    assert_eq!(made.id, outcome.integration_id);
    assert_eq!(made.url, "https://door.example/webhooks/kisi");
    assert!(made.enabled);
    assert_eq!(made.enabled_events, EVENT_TYPES.iter().map(|s| s.to_string()).collect::<Vec<_>>());
    let kisi_key = made.signature_key.clone().expect("Kisi got a signature key");
    assert!(kisi_key.len() >= 32, "a long random key");
    assert_eq!(config.secrets().get(Secret::SigningKey).unwrap().as_deref(), Some(kisi_key.as_str()));
    assert_eq!(config.settings().kisi.integration_id, Some(outcome.integration_id));
    let settings_text = std::fs::read_to_string(config.settings_path()).unwrap();
    assert!(!settings_text.contains(&kisi_key), "the key is not in the settings file");

    // "Kisi" delivers, signed with the key it was given, to the address the webhook points at (moved to
    // this receiver, as a tunnel would forward it): accepted and verified.
    let kisi = client(&fake);
    assert!(integration::follow_url(&kisi, made.id, &receiver.local_url()).await.unwrap());
    let event = fake_kisi::event(
        "6a1c0e52-1111-4c55-9e0a-1d2b3c4d5e6f",
        chrono::Utc::now(),
        false,
        "Main Entrance",
        Some("Ada"),
    );
    assert_eq!(fake.deliver(made.id, &event).await, 200);
    let reader = receiver.store().reader().unwrap();
    let page = reader.events(&EventFilter::default(), None, 10).unwrap();
    assert_eq!(page.events.len(), 1);
    assert!(page.events[0].verified);
    assert_eq!(page.events[0].event.object_name.as_deref(), Some("Main Entrance"));

    // Once the key changes at Kisi only (someone edits it in the dashboard), deliveries are refused.
    kisi.update_integration(
        made.id,
        &doorwatch::kisi::IntegrationFields { signature_key: Some("not-the-key"), ..Default::default() },
    )
    .await
    .unwrap();
    assert_eq!(fake.deliver(made.id, &event).await, 401);
    receiver.stop().await;
}

#[tokio::test]
async fn running_setup_again_repairs_its_integration_instead_of_adding_one() {
    let fake = FakeKisi::start(API_KEY).await;
    let someone_elses = fake.insert_integration("Slack door alerts", "https://hooks.example.com/x", true);
    let config = Config::new();
    let kisi = client(&fake);
    let first = kisi_setup::set_up_kisi(&kisi, "https://one.example", &config.resolved(), None).await.unwrap();
    let first_key = config.secrets().get(Secret::SigningKey).unwrap();
    // Someone breaks it in the dashboard: switched off, pointed elsewhere.
    fake.disable_due_to_error(first.integration_id);

    let again = kisi_setup::set_up_kisi(&kisi, "https://two.example", &config.resolved(), None).await.unwrap();
    assert!(!again.created);
    assert_eq!(again.integration_id, first.integration_id);
    let ours: Vec<_> = fake.integrations().into_iter().filter(|i| i.id != someone_elses).collect();
    assert_eq!(ours.len(), 1, "no second integration");
    assert_eq!(ours[0].url, "https://two.example/webhooks/kisi");
    assert!(ours[0].enabled && !ours[0].disabled_due_to_error);
    let new_key = config.secrets().get(Secret::SigningKey).unwrap();
    assert_ne!(new_key, first_key, "a fresh key");
    assert_eq!(ours[0].signature_key, new_key, "Kisi and the receiver share it");
    let other = fake.integrations().into_iter().find(|i| i.id == someone_elses).unwrap();
    assert_eq!(other.url, "https://hooks.example.com/x", "another integration is left alone");

    // With the remembered id lost (settings deleted), it is found by its name, not duplicated.
    std::fs::remove_file(config.settings_path()).unwrap();
    let third = kisi_setup::set_up_kisi(&kisi, "https://two.example", &config.resolved(), None).await.unwrap();
    assert_eq!(third.integration_id, first.integration_id);
    assert_eq!(fake.integrations().len(), 2);
}

#[tokio::test]
async fn setup_refuses_a_local_url_and_changes_nothing() {
    let fake = FakeKisi::start(API_KEY).await;
    let config = Config::new();
    let err =
        kisi_setup::set_up_kisi(&client(&fake), "http://127.0.0.1:8787", &config.resolved(), None).await.unwrap_err();
    assert!(err.to_string().contains("cannot reach"), "{err}");
    assert!(fake.integrations().is_empty());
    assert!(fake.requests().is_empty(), "Kisi was not even called");
    assert_eq!(config.secrets().get(Secret::SigningKey).unwrap(), None);
}

#[tokio::test]
async fn a_bad_api_key_is_named_as_such_and_changes_nothing() {
    let fake = FakeKisi::start(API_KEY).await;
    let config = Config::new();
    let wrong = Client::new(&fake.base_url, ApiKey::new("wrong-key").unwrap());
    let err = kisi_setup::set_up_kisi(&wrong, "https://door.example", &config.resolved(), None).await.unwrap_err();
    assert!(matches!(err, kisi_setup::SetupError::Kisi(KisiError::InvalidKey)), "{err}");
    assert!(err.to_string().contains("API key"), "{err}");
    assert!(fake.integrations().is_empty());
    assert_eq!(config.secrets().get(Secret::SigningKey).unwrap(), None, "no key saved for a failed setup");
}

#[tokio::test]
async fn kisi_being_briefly_down_or_busy_is_retried_and_a_long_outage_is_reported() {
    let fake = FakeKisi::start(API_KEY).await;
    let kisi = client(&fake);
    fake.misbehave(Misbehave::Unavailable, 1);
    fake.misbehave(Misbehave::DropConnection, 1);
    fake.misbehave(Misbehave::TooManyRequests, 1);
    assert!(kisi.integrations().await.unwrap().is_empty());
    assert_eq!(fake.rate_limited(), 1);
    assert!(kisi.rate_limit_wait() >= Duration::from_secs(1), "a 429 waits at least a second");

    fake.misbehave(Misbehave::Unavailable, 10);
    let err = kisi.integrations().await.unwrap_err();
    assert!(matches!(err, KisiError::Unavailable(_)), "{err}");
    assert!(err.is_transient());
}

#[tokio::test]
async fn requests_keep_to_kisis_rate_limits() {
    let fake = FakeKisi::start(API_KEY).await;
    let kisi = client(&fake);
    for _ in 0..12 {
        kisi.integrations().await.unwrap();
    }
    let now = chrono::Utc::now().timestamp_millis();
    for _ in 0..3 {
        kisi.create_event_set(now - 3_600_000, now).await.unwrap();
    }
    assert_eq!(fake.rate_limited(), 0, "never over 5 a second, nor 1 event set a second");
}
