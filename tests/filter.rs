//! The live push and the store's query agree: for generated events and filters, an event is pushed to
//! the window (`EventFilter::matches`) exactly when the query for that filter lists it — doors and
//! people in any case, accents, word-beginning search, time bounds, failed only.

use doorwatch::event::{Event, Source};
use doorwatch::store::{Delivery, EventFilter, Reader, Store, StoreOptions};
use proptest::prelude::*;

const DOORS: [&str; 5] = ["Main Entrance", "main entrance", "Zoë's Room", "Server room", "Back door"];
const PEOPLE: [&str; 5] = ["Ada Lovelace", "ada lovelace", "Zoë Šimić", "Grace Hopper", "Exit button"];
const TYPES: [&str; 3] = ["lock.unlock", "lock.opened", "lock.held_open"];
const ERRORS: [Option<&str>; 3] = [None, Some("Access denied."), Some("Outside of schedule")];
const WORDS: [&str; 8] = ["main", "ENTR", "zoe", "zoë", "ada love", "hop", "denied", "sched"];
const BASE: i64 = 1_790_000_000_000;

#[derive(Debug, Clone)]
struct Spec {
    door: usize,
    person: usize,
    event_type: usize,
    success: bool,
    error: usize,
    minutes: i64,
}

fn spec() -> impl Strategy<Value = Spec> {
    (0..DOORS.len(), 0..PEOPLE.len(), 0..TYPES.len(), any::<bool>(), 0..ERRORS.len(), 0i64..600).prop_map(
        |(door, person, event_type, success, error, minutes)| Spec {
            door,
            person,
            event_type,
            success,
            error,
            minutes,
        },
    )
}

fn filter() -> impl Strategy<Value = EventFilter> {
    let pick = |n: usize| proptest::option::of(0..n);
    (any::<bool>(), pick(DOORS.len()), pick(PEOPLE.len()), pick(TYPES.len()), pick(WORDS.len()), pick(600), pick(600))
        .prop_map(|(failed_only, door, person, t, word, since, until)| EventFilter {
            failed_only,
            door: door.map(|i| DOORS[i].to_owned()),
            actor: person.map(|i| format!(" {} ", PEOPLE[i])),
            event_type: t.map(|i| TYPES[i].to_owned()),
            since: since.map(|m| BASE + m as i64 * 60_000),
            until: until.map(|m| BASE + m as i64 * 60_000),
            search: word.map(|i| WORDS[i].to_owned()),
        })
}

fn body(i: usize, s: &Spec) -> Vec<u8> {
    let mut event = serde_json::json!({
        "uuid": format!("ev-{i}"), "type": TYPES[s.event_type], "success": s.success,
        "actor_type": "User", "actor_name": PEOPLE[s.person], "object_name": DOORS[s.door],
        "created_at": doorwatch::event::format_time(BASE + s.minutes * 60_000),
    });
    if let Some(error) = ERRORS[s.error] {
        event["error_message"] = error.into();
    }
    serde_json::to_vec(&event).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn a_pushed_event_is_shown_exactly_when_the_query_lists_it(
        specs in proptest::collection::vec(spec(), 1..40),
        filters in proptest::collection::vec(filter(), 1..12),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("doorwatch.sqlite3");
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let stored = rt.block_on(async {
            let store = Store::open(&path, StoreOptions::default()).unwrap();
            let mut stored = Vec::new();
            for (i, s) in specs.iter().enumerate() {
                let delivery = Delivery {
                    event: Event::from_json(&body(i, s)).unwrap(),
                    received_at: BASE,
                    verified: true,
                    source: Source::Webhook,
                };
                if let doorwatch::store::Ingested::Stored(e) = store.ingest(delivery).await.unwrap() {
                    stored.push(e);
                }
            }
            let closing = store.clone();
            drop(store);
            tokio::task::spawn_blocking(move || drop(closing)).await.unwrap();
            stored
        });
        let reader = Reader::open(&path).unwrap();
        for f in &filters {
            let mut listed: Vec<String> =
                reader.events(f, None, 10_000).unwrap().events.into_iter().map(|e| e.event.uuid).collect();
            let mut pushed: Vec<String> =
                stored.iter().filter(|e| f.matches(e)).map(|e| e.event.uuid.clone()).collect();
            listed.sort();
            pushed.sort();
            prop_assert_eq!(listed, pushed, "filter {:?}", f);
        }
    }
}
