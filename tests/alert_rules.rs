//! The user's alert rules, with the clock and the time zone passed in: each field, the first match
//! deciding, hours past midnight and across DST changes, counts within a window, critical rules breaking
//! through quiet hours, pause and mute, and the messages a bad rule in settings.toml gets.

mod support;

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use chrono_tz::{America::New_York, Europe::Berlin, Tz};
use doorwatch::alert::rules::{Day, Rule, RuleAction};
use doorwatch::alert::{AlertPolicy, AlertSettings, Decision, Silence};
use doorwatch::config::Settings;
use doorwatch::event::{format_time, EventKind};
use doorwatch::store::StoredEvent;

fn rule(name: &str) -> Rule {
    Rule {
        name: name.into(),
        when: vec![],
        types: vec![],
        doors: vec![],
        people: vec![],
        days: vec![],
        hours: String::new(),
        count: 1,
        within_minutes: 0,
        action: RuleAction::Alert,
    }
}

fn event(uuid: &str, kind: &str, success: bool, door: &str, who: &str, at: DateTime<Utc>) -> StoredEvent {
    let body = serde_json::json!({
        "uuid": uuid, "type": kind, "success": success, "actor_type": "User", "actor_name": who,
        "object_name": door, "created_at": format_time(at.timestamp_millis()),
    });
    support::stored_event(body, at.timestamp_millis())
}

fn unlock(uuid: &str, door: &str, at: DateTime<Utc>) -> StoredEvent {
    event(uuid, "lock.unlock", true, door, "Ada Lovelace", at)
}

fn berlin(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Berlin.with_ymd_and_hms(y, mo, d, h, mi, 0).single().unwrap().with_timezone(&Utc)
}

/// What the policy says about `e`, happening (and decided) at its own time in `zone`.
fn decide(policy: &mut AlertPolicy, e: &StoredEvent, zone: Tz) -> Decision {
    let now = DateTime::<Utc>::from_timestamp_millis(e.time()).unwrap().with_timezone(&zone);
    policy.decide(e, now)
}

fn fired_by(d: &Decision) -> Option<&str> {
    match d {
        Decision::Notify(a) => a.rule.as_deref(),
        Decision::Silent(_) => None,
    }
}

fn server_room_after_hours() -> Rule {
    Rule {
        when: vec![EventKind::UnlockOk, EventKind::UnlockFailed, EventKind::DoorOpened],
        doors: vec!["Server room".into()],
        days: vec![Day::Sat, Day::Sun],
        hours: "18:00-08:00".into(),
        ..rule("Server room after hours")
    }
}

#[test]
fn each_field_narrows_what_a_rule_matches() {
    let saturday_night = berlin(2026, 12, 5, 20, 15);
    let cases: Vec<(&str, StoredEvent, bool)> = vec![
        ("matches: kind, door in another case, Saturday 20:15", unlock("a", "SERVER ROOM", saturday_night), true),
        ("another door", unlock("b", "Main Entrance", saturday_night), false),
        ("a kind not in when", event("c", "lock.held_open", true, "Server room", "", saturday_night), false),
        ("Saturday 17:59, before the hours", unlock("d", "Server room", berlin(2026, 12, 5, 17, 59)), false),
        ("Sunday 07:59, still in the hours", unlock("e", "Server room", berlin(2026, 12, 6, 7, 59)), true),
        ("Sunday 08:00, the hours are over", unlock("f", "Server room", berlin(2026, 12, 6, 8, 0)), false),
        ("Friday 20:15, not a weekend day", unlock("g", "Server room", berlin(2026, 12, 4, 20, 15)), false),
    ];
    for (what, e, fires) in cases {
        let mut policy = AlertPolicy::with_rules(AlertSettings::default(), vec![server_room_after_hours()]);
        let d = decide(&mut policy, &e, Berlin);
        assert_eq!(fired_by(&d) == Some("Server room after hours"), fires, "{what}: {d:?}");
    }
    // people: exact label, any case; types: a Kisi type no kind names.
    let cleaner = Rule { people: vec!["grace hopper".into()], action: RuleAction::Silent, ..rule("Cleaner") };
    let tamper = Rule { types: vec!["reader.tamper".into()], action: RuleAction::Critical, ..rule("Tamper, loudly") };
    let mut policy = AlertPolicy::with_rules(AlertSettings::default(), vec![cleaner, tamper]);
    let t = berlin(2026, 12, 2, 6, 0);
    let grace = event("h", "lock.unlock", false, "Back door", "Grace Hopper", t);
    assert_eq!(decide(&mut policy, &grace, Berlin), Decision::Silent(Silence::SilentRule("Cleaner".into())));
    let ada = event("i", "lock.unlock", false, "Back door", "Ada Lovelace", t);
    assert_eq!(fired_by(&decide(&mut policy, &ada, Berlin)), Some("Refused unlocks"), "the built-in rule follows");
    let tampered = event("j", "reader.tamper", true, "Back door", "", t);
    assert_eq!(fired_by(&decide(&mut policy, &tampered, Berlin)), Some("Tamper, loudly"));
}

#[test]
fn the_first_matching_rule_wins_and_built_in_rules_come_last() {
    let quiet_back_door = Rule {
        when: vec![EventKind::UnlockFailed],
        doors: vec!["Back door".into()],
        hours: "05:30-07:00".into(),
        action: RuleAction::Silent,
        ..rule("Cleaner's early refusals")
    };
    let every_back_door = Rule { doors: vec!["Back door".into()], ..rule("Everything at the back door") };
    let mut policy = AlertPolicy::with_rules(AlertSettings::default(), vec![quiet_back_door, every_back_door]);
    let early = event("e1", "lock.unlock", false, "Back door", "Cleaner", berlin(2026, 12, 2, 6, 0));
    let d = decide(&mut policy, &early, Berlin);
    assert_eq!(d.explain(), "silent: the rule \"Cleaner's early refusals\" says silent");
    let later = event("e2", "lock.unlock", false, "Back door", "Cleaner", berlin(2026, 12, 2, 9, 0));
    assert_eq!(fired_by(&decide(&mut policy, &later, Berlin)), Some("Everything at the back door"));
    let elsewhere = event("e3", "lock.unlock", false, "Main Entrance", "Cleaner", berlin(2026, 12, 2, 6, 0));
    let d = decide(&mut policy, &elsewhere, Berlin);
    assert_eq!(fired_by(&d), Some("Refused unlocks"));
    assert_eq!(d.explain(), "Refused unlocks: alert");
    let ok = unlock("e4", "Main Entrance", berlin(2026, 12, 2, 9, 0));
    assert_eq!(decide(&mut policy, &ok, Berlin), Decision::Silent(Silence::NotAlerting));
}

#[test]
fn hours_wrap_past_midnight_and_follow_dst_in_new_york_and_berlin() {
    let night = Rule { when: vec![EventKind::UnlockOk], hours: "01:00-03:30".into(), ..rule("Night") };
    // New York springs forward on 2026-03-08 at 02:00 (EST → EDT): 06:30 UTC is 01:30 EST (inside);
    // 07:45 UTC is 03:45 EDT (outside), though the winter offset would make it 02:45 (inside).
    let spring = |h, m| Utc.with_ymd_and_hms(2026, 3, 8, h, m, 0).unwrap();
    // Berlin falls back on 2026-10-25 at 03:00 CEST (01:00 UTC) to 02:00 CET: 00:15 UTC is 02:15 CEST,
    // 01:45 UTC is 02:45 CET (both inside; the summer offset would make the second 03:45, outside);
    // 02:45 UTC is 03:45 CET (outside).
    let fall = |h, m| Utc.with_ymd_and_hms(2026, 10, 25, h, m, 0).unwrap();
    let cases = [
        (New_York, spring(6, 30), true),
        (New_York, spring(7, 45), false),
        (Berlin, fall(0, 15), true),
        (Berlin, fall(1, 45), true),
        (Berlin, fall(2, 45), false),
    ];
    for (i, (zone, at, fires)) in cases.into_iter().enumerate() {
        let mut policy = AlertPolicy::with_rules(AlertSettings::default(), vec![night.clone()]);
        let d = decide(&mut policy, &unlock(&format!("n{i}"), "Main", at), zone);
        assert_eq!(fired_by(&d) == Some("Night"), fires, "{zone} {at} = local {}: {d:?}", at.with_timezone(&zone));
    }
    // In New York fall-back (2026-11-01 02:00 EDT → 01:00 EST), 01:30 happens twice; both match.
    let twice =
        [Utc.with_ymd_and_hms(2026, 11, 1, 5, 30, 0).unwrap(), Utc.with_ymd_and_hms(2026, 11, 1, 6, 30, 0).unwrap()];
    for (i, at) in twice.into_iter().enumerate() {
        let mut policy = AlertPolicy::with_rules(AlertSettings::default(), vec![night.clone()]);
        assert_eq!(at.with_timezone(&New_York).time(), NaiveTime::from_hms_opt(1, 30, 0).unwrap());
        assert_eq!(fired_by(&decide(&mut policy, &unlock(&format!("t{i}"), "Main", at), New_York)), Some("Night"));
    }
}

#[test]
fn a_count_within_a_window_fires_once_then_updates_in_place() {
    let three = Rule { when: vec![EventKind::DoorOpened], count: 3, within_minutes: 10, ..rule("Back door busy") };
    let mut policy = AlertPolicy::with_rules(AlertSettings::default(), vec![three]);
    let t0 = berlin(2026, 12, 2, 10, 0);
    let opened = |i: i64, at: DateTime<Utc>| event(&format!("o{i}"), "lock.opened", true, "Back door", "", at);
    let d1 = decide(&mut policy, &opened(1, t0), Berlin);
    assert_eq!(d1.explain(), "silent: the rule \"Back door busy\" needs 3 within 10 min at this door; 1 so far");
    assert!(matches!(decide(&mut policy, &opened(2, t0 + Duration::minutes(4)), Berlin), Decision::Silent(_)));
    let Decision::Notify(third) = decide(&mut policy, &opened(3, t0 + Duration::minutes(9)), Berlin) else {
        panic!("the third within 10 minutes fires")
    };
    assert_eq!(third.title, "Back door busy: 3 at Back door");
    assert!(!third.replaces);
    let Decision::Notify(fourth) = decide(&mut policy, &opened(4, t0 + Duration::minutes(9)), Berlin) else {
        panic!("the fourth updates it")
    };
    assert!(fourth.replaces && fourth.key == third.key, "{fourth:?}");
    // Another door counts on its own; after the window, counting starts again.
    let other = event("x", "lock.opened", true, "Main", "", t0 + Duration::minutes(9));
    assert!(matches!(decide(&mut policy, &other, Berlin), Decision::Silent(Silence::Counting { seen: 1, .. })));
    let much_later = opened(5, t0 + Duration::minutes(30));
    assert!(matches!(decide(&mut policy, &much_later, Berlin), Decision::Silent(Silence::Counting { seen: 1, .. })));
}

#[test]
fn critical_breaks_through_quiet_hours_pause_and_mute_but_alert_does_not() {
    let settings = AlertSettings {
        quiet_from: NaiveTime::from_hms_opt(18, 0, 0),
        quiet_until: NaiveTime::from_hms_opt(8, 0, 0),
        ..AlertSettings::default()
    };
    let critical = Rule { action: RuleAction::Critical, ..server_room_after_hours() };
    let at = berlin(2026, 12, 5, 20, 15);
    for (action, breaks_through) in [(RuleAction::Critical, true), (RuleAction::Alert, false)] {
        let mut policy = AlertPolicy::with_rules(settings.clone(), vec![Rule { action, ..critical.clone() }]);
        let d = decide(&mut policy, &unlock("q", "Server room", at), Berlin);
        assert_eq!(matches!(&d, Decision::Notify(a) if a.critical), breaks_through, "{action:?} in quiet hours: {d:?}");
        if !breaks_through {
            assert_eq!(d, Decision::Silent(Silence::QuietHours));
        }
        policy.pause_until(at + Duration::hours(1));
        let d = decide(&mut policy, &unlock("p", "Server room", at), Berlin);
        assert_eq!(matches!(d, Decision::Notify(_)), breaks_through, "{action:?} while paused");
        policy.resume();
        policy.mute_door("Server room", at + Duration::hours(1));
        let d = decide(&mut policy, &unlock("m", "Server room", at), Berlin);
        assert_eq!(matches!(d, Decision::Notify(_)), breaks_through, "{action:?} on a muted door");
    }
    let mut policy = AlertPolicy::with_rules(settings, vec![critical]);
    let Decision::Notify(alert) = decide(&mut policy, &unlock("w", "Server room", at), Berlin) else { panic!() };
    assert_eq!(alert.title, "Server room after hours");
    assert_eq!(alert.body, "Ada Lovelace unlocked Server room at 20:15");
    assert_eq!(alert.line(), "Server room after hours: Ada Lovelace unlocked Server room at 20:15");
    assert!(alert.urgent && alert.critical);
}

#[test]
fn rules_round_trip_through_settings_toml_with_their_comments() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("settings.toml");
    let settings = Settings {
        rules: vec![server_room_after_hours(), Rule { people: vec!["Tom \"Quotes\" O'Neil".into()], ..rule("Tom") }],
        ..Settings::default()
    };
    settings.save(&path).unwrap();
    assert_eq!(Settings::load(&path).unwrap(), settings);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("[[rule]]\nname = \"Server room after hours\""), "{text}");
    assert!(
        text.contains("# An unlock, a refused unlock or a door opening at “Server room” on Saturday or Sunday between 18:00 and 08:00 (into the next morning) → notify"),
        "{text}"
    );
    // With no rules, the file shows an example to copy, commented out.
    Settings::default().save(&path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("# [[rule]]\n# name = \"Server room after hours\""), "{text}");
    assert!(Settings::load(&path).unwrap().rules.is_empty());
}

#[test]
fn a_bad_rule_is_refused_with_a_message_naming_the_rule_and_the_field() {
    let cases = [
        ("when = [\"unlok_ok\"]", "rule \"R\": when: \"unlok_ok\" is not an event kind"),
        ("days = [\"sunday\", \"funday\"]", "rule \"R\": days: \"funday\" is not a day"),
        ("hours = \"6pm-8am\"", "rule \"R\": hours: \"6pm-8am\" is not a stretch of the day like \"18:00-08:00\""),
        ("hours = \"08:00-08:00\"", "rule \"R\": hours: \"08:00-08:00\" is empty"),
        ("count = 0", "rule \"R\": count: 0 is not 1 to 1000"),
        ("count = 3", "rule \"R\": within_minutes: count = 3 needs a window"),
        ("within_minutes = 5000", "rule \"R\": within_minutes: 5000 is not 0 to 1440"),
        ("action = \"shout\"", "rule \"R\": action: \"shout\" is not alert, critical or silent"),
        ("colour = \"red\"", "unknown field `colour`"),
    ];
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("settings.toml");
    for (line, expected) in cases {
        std::fs::write(&path, format!("listen = \"127.0.0.1:8787\"\n\n[[rule]]\nname = \"R\"\n{line}\n")).unwrap();
        let message = Settings::load(&path).unwrap_err().to_string();
        assert!(message.contains(expected), "{line}: {message}");
        // A field's value is pointed at from the rule's table (line 3); an unknown field, at itself (5).
        let at = if line.starts_with("colour") { "line 5" } else { "line 3" };
        assert!(message.contains("settings.toml") && message.contains(at), "{line}: {message}");
    }
    std::fs::write(&path, "[[rule]]\nwhen = [\"unlock_ok\"]\n").unwrap();
    assert!(Settings::load(&path).unwrap_err().to_string().contains("a rule has no name"));
    // Two rules of one name cannot be told apart in an alert.
    let twins = Settings { rules: vec![rule("Twin"), rule("twin")], ..Settings::default() };
    assert_eq!(twins.validate().unwrap_err(), "rule \"twin\": name: two rules have this name; give each its own");
}

#[test]
fn each_rule_reads_as_one_sentence() {
    assert_eq!(
        server_room_after_hours().describe(),
        "An unlock, a refused unlock or a door opening at “Server room” on Saturday or Sunday between 18:00 and \
         08:00 (into the next morning) → notify"
    );
    let busy = Rule {
        when: vec![EventKind::UnlockFailed],
        doors: vec!["Back door".into()],
        count: 3,
        within_minutes: 10,
        action: RuleAction::Critical,
        ..rule("Back door busy")
    };
    assert_eq!(
        busy.describe(),
        "A refused unlock at “Back door”, 3 times at one door within 10 min → notify, even in quiet hours, while \
         paused or muted"
    );
    let cleaner = Rule { people: vec!["Access link: Cleaning crew".into()], action: RuleAction::Silent, ..rule("x") };
    assert_eq!(cleaner.describe(), "Any event by “Access link: Cleaning crew” → stay silent");
}
