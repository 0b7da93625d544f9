//! The alert policy, with the clock passed in: which events alert, how bursts coalesce, and what
//! silences them. No display, no daemon, no sleeping.

mod support;

use chrono::{DateTime, Duration, FixedOffset, NaiveTime, TimeZone, Utc};
use doorwatch::alert::{AlertPolicy, AlertSettings, Decision, Silence};
use doorwatch::event::{format_time, Source};
use doorwatch::store::StoredEvent;

/// 2026-11-02 21:14:00 in Berlin (UTC+1).
fn evening() -> DateTime<FixedOffset> {
    FixedOffset::east_opt(3600).unwrap().with_ymd_and_hms(2026, 11, 2, 21, 14, 0).unwrap()
}

fn stored(uuid: &str, kind: &str, success: bool, door: &str, at: DateTime<FixedOffset>) -> StoredEvent {
    let body = serde_json::json!({
        "uuid": uuid, "type": kind, "success": success, "actor_type": "User", "actor_name": "Grace Hopper",
        "object_name": door, "created_at": format_time(at.timestamp_millis()),
        "error_message": if success { None } else { Some("Access denied.") },
    });
    support::stored_event(body, at.timestamp_millis())
}

fn failed(uuid: &str, door: &str, at: DateTime<FixedOffset>) -> StoredEvent {
    stored(uuid, "lock.unlock", false, door, at)
}

fn notify(d: Decision) -> doorwatch::alert::Alert {
    match d {
        Decision::Notify(a) => a,
        Decision::Silent(s) => panic!("expected an alert, got silence: {s:?}"),
    }
}

#[test]
fn a_failed_unlock_alerts_with_door_person_time_and_reason() {
    let mut policy = AlertPolicy::new(AlertSettings::default());
    let a = notify(policy.decide(&failed("f1", "Main Entrance", evening()), evening()));
    assert_eq!(a.title, "Refused at Main Entrance");
    assert_eq!(a.body, "Grace Hopper at 21:14 — Access denied.");
    assert_eq!(a.door.as_deref(), Some("Main Entrance"));
    assert_eq!(a.event.as_deref(), Some("f1"));
    assert!(a.urgent && !a.replaces);
}

#[test]
fn successful_unlocks_and_ordinary_events_stay_silent() {
    let mut policy = AlertPolicy::new(AlertSettings::default());
    let ok = stored("ok", "lock.unlock", true, "Main Entrance", evening());
    assert_eq!(policy.decide(&ok, evening()), Decision::Silent(Silence::NotAlerting));
    let opened = stored("op", "lock.opened", true, "Main Entrance", evening());
    assert_eq!(policy.decide(&opened, evening()), Decision::Silent(Silence::NotAlerting));
}

#[test]
fn held_forced_tamper_and_integration_alerts_follow_their_switches() {
    let cases = [
        ("lock.held_open", "Back Door held open"),
        ("lock.forced_open", "Back Door forced open"),
        ("reader.tamper", "Tampering detected: Back Door"),
        ("integration.disable_due_to_error", "Kisi switched off the Doorwatch webhook"),
    ];
    for (i, (kind, title)) in cases.iter().enumerate() {
        let mut policy = AlertPolicy::new(AlertSettings::default());
        let e = stored(&format!("e{i}"), kind, true, "Back Door", evening());
        assert_eq!(notify(policy.decide(&e, evening())).title, *title);
    }
    let off = AlertSettings {
        held_open: false,
        forced_open: false,
        tamper: false,
        integration_disabled: false,
        failed_unlocks: false,
        ..AlertSettings::default()
    };
    let mut policy = AlertPolicy::new(off);
    for (i, (kind, _)) in cases.iter().enumerate() {
        let e = stored(&format!("e{i}"), kind, true, "Back Door", evening());
        assert!(matches!(policy.decide(&e, evening()), Decision::Silent(Silence::SwitchedOff { .. })), "{kind}");
    }
    let refused = policy.decide(&failed("f", "Back Door", evening()), evening());
    assert_eq!(
        refused,
        Decision::Silent(Silence::SwitchedOff { rule: "Refused unlocks".into(), setting: "alerts.failed_unlocks" })
    );
    assert_eq!(
        refused.explain(),
        "silent: the built-in rule \"Refused unlocks\" is switched off (alerts.failed_unlocks)"
    );
}

#[test]
fn a_burst_at_one_door_becomes_one_summary_that_updates() {
    let mut policy = AlertPolicy::new(AlertSettings::default());
    let t = evening();
    let first = notify(policy.decide(&failed("b1", "Main Entrance", t), t));
    let second =
        notify(policy.decide(&failed("b2", "Main Entrance", t + Duration::seconds(10)), t + Duration::seconds(10)));
    assert_eq!((first.key.as_str(), second.key.as_str()), ("b1", "b2"), "two failures are two alerts");
    let t3 = t + Duration::seconds(20);
    let third = notify(policy.decide(&failed("b3", "Main Entrance", t3), t3));
    assert_eq!(third.title, "3 failed unlocks at Main Entrance");
    assert!(third.body.starts_with("within a minute · latest: Grace Hopper at 21:14"), "{}", third.body);
    assert!(!third.replaces, "the first summary is new");
    let t4 = t + Duration::seconds(30);
    let fourth = notify(policy.decide(&failed("b4", "Main Entrance", t4), t4));
    assert_eq!(fourth.key, third.key, "the summary is updated in place");
    assert!(fourth.replaces);
    assert_eq!(fourth.title, "4 failed unlocks at Main Entrance");
    // Another door is its own story.
    let other = notify(policy.decide(&failed("o1", "Back Door", t4), t4));
    assert_eq!(other.title, "Refused at Back Door");
    // Two minutes later, the burst is over.
    let later = t + Duration::minutes(3);
    assert_eq!(notify(policy.decide(&failed("b5", "Main Entrance", later), later)).title, "Refused at Main Entrance");
}

#[test]
fn a_duplicate_never_alerts_twice() {
    let mut policy = AlertPolicy::new(AlertSettings::default());
    let e = failed("dup", "Main Entrance", evening());
    assert!(matches!(policy.decide(&e, evening()), Decision::Notify(_)));
    assert_eq!(policy.decide(&e, evening()), Decision::Silent(Silence::AlreadyAlerted));
}

#[test]
fn pause_silences_until_it_ends_or_is_resumed() {
    let mut policy = AlertPolicy::new(AlertSettings::default());
    let t = evening();
    policy.pause_until((t + Duration::hours(1)).with_timezone(&Utc));
    assert_eq!(policy.decide(&failed("p1", "Main Entrance", t), t), Decision::Silent(Silence::Paused));
    let after = t + Duration::minutes(61);
    assert!(matches!(policy.decide(&failed("p2", "Main Entrance", after), after), Decision::Notify(_)));
    policy.pause_until((after + Duration::hours(1)).with_timezone(&Utc));
    policy.resume();
    let resumed = after + Duration::minutes(1);
    assert!(matches!(policy.decide(&failed("p3", "Back Door", resumed), resumed), Decision::Notify(_)));
}

#[test]
fn a_muted_door_is_silent_for_an_hour_and_others_are_not() {
    let mut policy = AlertPolicy::new(AlertSettings::default());
    let t = evening();
    policy.mute_door("Main Entrance", (t + Duration::hours(1)).with_timezone(&Utc));
    assert_eq!(policy.decide(&failed("m1", "Main Entrance", t), t), Decision::Silent(Silence::DoorMuted));
    assert!(matches!(policy.decide(&failed("m2", "Back Door", t), t), Decision::Notify(_)));
    let later = t + Duration::minutes(61);
    assert!(matches!(policy.decide(&failed("m3", "Main Entrance", later), later), Decision::Notify(_)));
}

#[test]
fn quiet_hours_span_midnight() {
    let settings = AlertSettings {
        quiet_from: NaiveTime::from_hms_opt(22, 0, 0),
        quiet_until: NaiveTime::from_hms_opt(7, 0, 0),
        ..AlertSettings::default()
    };
    let mut policy = AlertPolicy::new(settings);
    let offset = FixedOffset::east_opt(3600).unwrap();
    let night = offset.with_ymd_and_hms(2026, 11, 2, 23, 30, 0).unwrap();
    let early = offset.with_ymd_and_hms(2026, 11, 3, 6, 59, 0).unwrap();
    let morning = offset.with_ymd_and_hms(2026, 11, 3, 7, 0, 0).unwrap();
    assert_eq!(policy.decide(&failed("q1", "A", night), night), Decision::Silent(Silence::QuietHours));
    assert_eq!(policy.decide(&failed("q2", "B", early), early), Decision::Silent(Silence::QuietHours));
    assert!(matches!(policy.decide(&failed("q3", "C", morning), morning), Decision::Notify(_)));
    // 21:14 is before quiet hours start.
    assert!(matches!(policy.decide(&failed("q4", "D", evening()), evening()), Decision::Notify(_)));
}

#[test]
fn events_a_backfill_found_from_long_ago_do_not_interrupt() {
    let mut policy = AlertPolicy::new(AlertSettings::default());
    let happened = evening() - Duration::hours(9);
    let mut old = failed("old", "Main Entrance", happened);
    old.source = Source::Backfill;
    assert_eq!(policy.decide(&old, evening()), Decision::Silent(Silence::Stale));
}

#[test]
fn a_live_delivery_alerts_even_when_the_two_clocks_disagree() {
    // This laptop's clock runs 20 minutes fast: Kisi's `created_at` looks 20 minutes old.
    let mut policy = AlertPolicy::new(AlertSettings::default());
    let kisi_says = evening() - Duration::minutes(20);
    assert!(matches!(policy.decide(&failed("skewed", "Main Entrance", kisi_says), evening()), Decision::Notify(_)));
}

#[test]
fn silent_doors_during_opening_hours_are_worth_a_look_but_nights_and_weekends_are_not() {
    use doorwatch::alert::silence_warning;
    let settings = AlertSettings::default(); // 180 minutes, 08:00–18:00, Monday to Friday
    let berlin = FixedOffset::east_opt(3600).unwrap();
    // Monday 2026-11-02.
    let monday = |h, m| berlin.with_ymd_and_hms(2026, 11, 2, h, m, 0).unwrap();
    let last_friday_evening = berlin.with_ymd_and_hms(2026, 10, 30, 19, 0, 0).unwrap().timestamp_millis();

    // The night does not count: at 10:30 the doors have been silent since opening, 2.5 hours.
    assert_eq!(silence_warning(&settings, Some(last_friday_evening), &monday(10, 30)), None);
    let warning = silence_warning(&settings, Some(last_friday_evening), &monday(11, 0)).expect("3 hours since 08:00");
    assert!(warning.contains("No door events for 3 hours during opening hours"), "{warning}");
    // An event at 10:00 resets it; so does closing time.
    let ten = monday(10, 0).timestamp_millis();
    assert_eq!(silence_warning(&settings, Some(ten), &monday(12, 59)), None);
    assert!(silence_warning(&settings, Some(ten), &monday(13, 0)).is_some());
    assert_eq!(silence_warning(&settings, Some(ten), &monday(18, 30)), None);
    // Weekends and a switched-off setting never warn.
    let saturday = berlin.with_ymd_and_hms(2026, 11, 7, 15, 0, 0).unwrap();
    assert_eq!(silence_warning(&settings, None, &saturday), None);
    let off = AlertSettings { silence_minutes: 0, ..AlertSettings::default() };
    assert_eq!(silence_warning(&off, None, &monday(17, 0)), None);
}
