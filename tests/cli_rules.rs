//! `doorwatch rules list|test` and `serve`'s `ALERT <rule name>:` lines, with a settings.toml written
//! the way a person writes one.

mod support;

use support::cli::*;
use support::*;

const SECRET: &str = "cli-rules-signing-key-91c4";

const RULES: &str = r#"
[alerts]
quiet_from = "00:00"
quiet_until = "23:59"

[[rule]]
name = "Main entrance, always"
when = ["unlock_ok"]
doors = ["main entrance"]
action = "critical"

[[rule]]
name = "Cleaner"
people = ["Grace Hopper"]
action = "silent"
"#;

fn with_rules(dir: &std::path::Path) -> std::path::PathBuf {
    let db = dir.join("office.sqlite3");
    std::fs::create_dir_all(dir.join("config")).unwrap();
    std::fs::write(dir.join("config/settings.toml"), RULES).unwrap();
    db
}

#[test]
fn rules_list_says_every_rule_in_words_then_the_built_in_ones() {
    let dir = tempfile::tempdir().unwrap();
    let db = with_rules(dir.path());
    let out = run(doorwatch(&db).args(["rules", "list"]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let list = text(&out.stdout);
    assert!(
        list.contains("  1. Main entrance, always: An unlock at “main entrance” → notify, even in quiet hours"),
        "{list}"
    );
    assert!(list.contains("  2. Cleaner: Any event by “Grace Hopper” → stay silent"), "{list}");
    let builtins = list.split("Built-in rules, after yours:").nth(1).expect(&list);
    assert!(
        builtins.contains("Refused unlocks: A refused unlock → notify; 3 or more at one door within 60 s"),
        "{list}"
    );
    assert!(builtins.contains("anything else: stay silent"), "{list}");
}

#[test]
fn rules_test_names_the_rule_and_its_action_or_says_why_silent() {
    let dir = tempfile::tempdir().unwrap();
    let db = with_rules(dir.path());
    let event = dir.path().join("event.json");
    std::fs::write(&event, fixture("unlock-ok-user.json")).unwrap();
    let out = run(doorwatch(&db).args(["rules", "test", "--event"]).arg(&event));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).starts_with("Main entrance, always: critical\n"), "{}", text(&out.stdout));

    std::fs::write(&event, fixture("unlock-failed-user.json")).unwrap();
    let out = run(doorwatch(&db).args(["rules", "test", "--event"]).arg(&event));
    assert_eq!(text(&out.stdout).trim(), "silent: the rule \"Cleaner\" says silent", "{}", text(&out.stderr));
    std::fs::write(&event, fixture("lock-held-open.json")).unwrap();
    let out = run(doorwatch(&db).args(["rules", "test", "--at", "2026-12-05T12:00:00+01:00", "--event"]).arg(&event));
    assert_eq!(text(&out.stdout).trim(), "silent: it was during quiet hours", "{}", text(&out.stderr));

    let opened = fixture("lock-opened.json");
    std::fs::write(&event, opened).unwrap();
    let out = run(doorwatch(&db).args(["rules", "test", "--event"]).arg(&event));
    assert_eq!(text(&out.stdout).trim(), "silent: no rule alerts on this kind of event");

    // Bad input: a precise error, nothing printed as if it were an answer.
    std::fs::write(&event, "not json").unwrap();
    let out = run(doorwatch(&db).args(["rules", "test", "--event"]).arg(&event));
    assert!(!out.status.success() && out.stdout.is_empty());
    assert!(text(&out.stderr).contains("is not a Kisi event: body is not valid JSON"), "{}", text(&out.stderr));
    let out = run(doorwatch(&db).args(["rules", "test", "--at", "saturday", "--event"]).arg(&event));
    assert!(text(&out.stderr).contains("\"saturday\" is not a time like"), "{}", text(&out.stderr));
}

#[test]
fn serve_prints_alert_with_the_rule_name_and_a_critical_rule_breaks_through_quiet_hours() {
    let dir = tempfile::tempdir().unwrap();
    let db = with_rules(dir.path());
    let mut serve = Serve::start(&db, Some(SECRET));
    let (status, _) = delivery::deliver_blocking(&serve.url, &fixture("unlock-ok-user.json"), Some(SECRET));
    assert_eq!(status, 200);
    let alert = serve.wait_for("ALERT ");
    assert!(alert.starts_with("ALERT Main entrance, always: Ada Lovelace unlocked Main Entrance at "), "{alert}");
    let (status, _) = delivery::deliver_blocking(&serve.url, &fixture("lock-held-open.json"), Some(SECRET));
    assert_eq!(status, 200);
    serve.wait_for_event("Held open");
    let (code, _, printed) = serve.stop();
    assert!(code.success());
    let alerts: Vec<&String> = printed.iter().filter(|l| l.starts_with("ALERT ")).collect();
    assert_eq!(alerts.len(), 1, "the door held open fell in quiet hours: {printed:#?}");
}

#[test]
fn a_bad_rule_stops_every_command_with_the_rule_and_field_named() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("office.sqlite3");
    std::fs::create_dir_all(dir.path().join("config")).unwrap();
    std::fs::write(dir.path().join("config/settings.toml"), "[[rule]]\nname = \"Weekend\"\ndays = [\"caturday\"]\n")
        .unwrap();
    let out = run(doorwatch(&db).args(["rules", "list"]));
    assert!(!out.status.success() && out.stdout.is_empty());
    let message = text(&out.stderr);
    assert!(message.contains("rule \"Weekend\": days: \"caturday\" is not a day"), "{message}");
    assert!(message.contains("settings.toml"), "{message}");
}
