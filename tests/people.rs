//! Who an actor is, against the fake Kisi, in a running Doorwatch: access links are named with who made
//! them and until when they are valid, asked of Kisi once for any number of their events (and for many
//! links at once, one request); users' details likewise; and the words stay when Kisi is gone.

#[path = "support/delivery.rs"]
mod delivery;
#[path = "support/fake_kisi/mod.rs"]
mod fake_kisi;
#[path = "support/kisi_env.rs"]
mod kisi_env;

use doorwatch::app::people;
use fake_kisi::FakeKisi;
use kisi_env::{client, running, API_KEY, SIGNING_KEY};

fn requests_to(fake: &FakeKisi, prefix: &str) -> usize {
    fake.requests().iter().filter(|(_, path)| path.starts_with(prefix)).count()
}

async fn deliver_by(url: &str, uuid: &str, actor_type: &str, actor_id: i64, name: &str) {
    let mut e = fake_kisi::event(uuid, chrono::Utc::now(), true, "Side Door", Some(name));
    (e["actor_type"], e["actor_id"]) = (actor_type.into(), actor_id.into());
    let body = serde_json::to_vec(&e).unwrap();
    assert_eq!(delivery::deliver(&reqwest::Client::new(), url, &body, Some(SIGNING_KEY)).await.0, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_access_link_is_named_once_for_all_its_events_and_stays_named_offline() {
    let fake = FakeKisi::start(API_KEY).await;
    let plumber = fake.add_group_link("Plumber", Some((48213, "Ada Lovelace")), Some("2099-12-04T17:00:00Z"));
    let courier = fake.add_group_link("Courier", None, Some("2020-01-10T18:00:00Z"));
    let ada = fake.add_user("Ada Lovelace", true);
    let dir = tempfile::tempdir().unwrap();
    let (doorwatch, _outputs, url) = running(&fake, dir.path()).await;
    for i in 0..20 {
        deliver_by(&url, &format!("p{i}"), "GroupLink", plumber, "Plumber").await;
    }
    deliver_by(&url, "c1", "GroupLink", courier, "Courier").await;
    deliver_by(&url, "u1", "User", ada, "Ada Lovelace").await;

    for i in 0..20 {
        let words = doorwatch.actor_details(&format!("p{i}")).await.unwrap().unwrap();
        assert!(words.starts_with("Access link 'Plumber' (created by Ada Lovelace, valid until "), "{words}");
    }
    assert_eq!(requests_to(&fake, "/group_links"), 1, "twenty events of one link, one request");
    let courier_words = doorwatch.actor_details("c1").await.unwrap().unwrap();
    assert!(courier_words.starts_with("Access link 'Courier' (expired "), "{courier_words}");
    assert_eq!(requests_to(&fake, "/group_links"), 2);

    let user = doorwatch.actor_details("u1").await.unwrap().unwrap();
    assert!(
        user.starts_with("Ada Lovelace · ada.lovelace@example.com · may use the doors · last at a door "),
        "{user}"
    );
    doorwatch.actor_details("u1").await.unwrap();
    assert_eq!(requests_to(&fake, "/users/"), 1, "a user is asked about once");

    // Kisi gone: the words are the store's.
    drop(fake);
    assert!(doorwatch.actor_details("p3").await.unwrap().unwrap().contains("Plumber"));
    assert!(doorwatch.actor_details("u1").await.unwrap().unwrap().starts_with("Ada Lovelace"));
    doorwatch.stop().await;
}

#[tokio::test]
async fn many_links_are_resolved_in_one_request() {
    let fake = FakeKisi::start(API_KEY).await;
    let ids: Vec<i64> = (0..30).map(|i| fake.add_group_link(&format!("Guest {i}"), None, None)).collect();
    let dir = tempfile::tempdir().unwrap();
    let store = doorwatch::store::Store::open(&dir.path().join("d.sqlite3"), Default::default()).unwrap();
    let now = chrono::Utc::now().timestamp_millis();
    people::resolve_links(&client(&fake), &store, &ids, now).await.unwrap();
    people::resolve_links(&client(&fake), &store, &ids[..5], now + 1000).await.unwrap();
    assert_eq!(requests_to(&fake, "/group_links"), 1);
    // A day later they are asked about again.
    people::resolve_links(&client(&fake), &store, &ids[..5], now + 25 * 3600 * 1000).await.unwrap();
    assert_eq!(requests_to(&fake, "/group_links"), 2);
}
