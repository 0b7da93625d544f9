//! The `doorwatch` command end to end, as a newcomer would use it: `serve` on a real port, `send-test`,
//! a hand-made delivery, `events --json`, `export`, a clean stop, and the errors for bad input.

mod support;

use std::path::Path;
use std::process::Stdio;

use support::cli::*;
use support::*;

const SECRET: &str = "cli-test-signing-key-5f2a";

/// A delivery of `body` that carries `x_signature` as given: a signature that belongs to another body
/// (which [`delivery::deliver_blocking`], signing what it sends, never sends).
fn post_with_signature_of_another_body(url: &str, body: &[u8], x_signature: &str) -> u16 {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let request = reqwest::Client::new()
            .post(url)
            .header("content-type", "application/json")
            .header("x-signature", x_signature)
            .body(body.to_vec());
        request.send().await.unwrap().status().as_u16()
    })
}

#[test]
fn serve_receive_list_and_export_a_signed_test_event() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("office.sqlite3");
    let mut serve = Serve::start(&db, Some(SECRET));
    assert!(serve.url.starts_with("http://127.0.0.1:") && serve.url.ends_with("/webhooks/kisi"), "{}", serve.url);
    serve.wait_for("Signature check: on");

    // send-test signs with the key from the environment, like Kisi does.
    let out =
        run(doorwatch(&db).args(["send-test", "--failed", "--url", &serve.url]).env("DOORWATCH_SIGNING_KEY", SECRET));
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
    assert!(text(&out.stdout).starts_with("200 "), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("\"stored\""));
    let line = serve.wait_for_event("Main Entrance");
    assert!(line.contains("Refused") && line.contains("Test Person") && line.contains("Access denied."), "{line}");
    // The refusal is an alert as well: one line of its own, as the desktop's notification would say it.
    let alert = serve.wait_for("ALERT ");
    assert!(alert.starts_with("ALERT Refused unlocks: Refused at Main Entrance — Test Person"), "{alert}");

    // A delivery whose fields need quoting in CSV, signed by hand with Kisi's header form.
    let tricky = br#"{"uuid":"q-1","type":"lock.unlock","actor_type":"User","actor_name":"O'Brien, \"Jo\"","object_name":"=cmd|' /C calc'!A0","success":true,"created_at":"2026-11-02T08:00:00+01:00"}"#;
    let (status, answer) = delivery::deliver_blocking(&serve.url, tricky, Some(SECRET));
    assert_eq!((status, answer.contains("stored")), (200, true), "{answer}");
    serve.wait_for("O'Brien");

    // Unsigned and wrongly signed deliveries are refused and not stored.
    assert_eq!(delivery::deliver_blocking(&serve.url, &fixture("unlock-ok-user.json"), None).0, 401);
    let signature = delivery::signature(SECRET, tricky);
    assert_eq!(post_with_signature_of_another_body(&serve.url, &fixture("unlock-ok-user.json"), &signature), 401);
    // send-test without the key says what to do.
    let unsigned = run(doorwatch(&db).args(["send-test", "--url", &serve.url]));
    assert!(!unsigned.status.success());
    assert!(text(&unsigned.stderr).contains("DOORWATCH_SIGNING_KEY is not set"), "{}", text(&unsigned.stderr));

    let events = run(doorwatch(&db).args(["events", "--json"]));
    assert!(events.status.success(), "{}", text(&events.stderr));
    let rows: Vec<serde_json::Value> = text(&events.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(rows.len(), 2);
    let failed = rows.iter().find(|r| r["success"] == false).unwrap();
    for field in [
        "uuid",
        "type",
        "success",
        "actor_type",
        "actor_name",
        "object_name",
        "created_at",
        "received_at",
        "verified",
        "source",
        "duplicates",
        "raw",
    ] {
        assert!(failed.get(field).is_some(), "--json lacks {field}: {failed}");
    }
    assert_eq!(failed["verified"], true);
    assert_eq!(failed["source"], "webhook");
    assert_eq!(failed["kind"], "unlock_failed");
    assert_eq!(failed["raw"]["error_code"], "fcd8ef", "the original payload is under raw");
    let tricky_row = rows.iter().find(|r| r["uuid"] == "q-1").unwrap();
    assert_eq!(tricky_row["created_at"], "2026-11-02T07:00:00.000Z", "offsets are normalised to UTC");

    let failed_only = run(doorwatch(&db).args(["events", "--failed", "--json"]));
    assert_eq!(text(&failed_only.stdout).lines().count(), 1);
    let human = run(doorwatch(&db).args(["events", "--search", "brien"]));
    assert!(text(&human.stdout).contains("O'Brien, \"Jo\""), "{}", text(&human.stdout));

    let csv_path = dir.path().join("out.csv");
    let export = run(doorwatch(&db).args(["export", "--format", "csv", "-o"]).arg(&csv_path));
    assert!(export.status.success(), "{}", text(&export.stderr));
    assert!(text(&export.stderr).contains("Exported 2 events"));
    let csv = std::fs::read_to_string(&csv_path).unwrap();
    let mut lines = csv.lines();
    assert!(lines.next().unwrap().starts_with("created_at,door,actor,outcome,kind,type,success"));
    assert!(csv.contains(r#""O'Brien, ""Jo""""#), "quotes and commas are escaped: {csv}");
    assert!(csv.contains("'=cmd|"), "a formula-looking door name is defused: {csv}");
    assert_eq!(csv.lines().count(), 3);

    let jsonl = run(doorwatch(&db).args(["export", "--format", "jsonl", "--failed"]));
    let exported: Vec<serde_json::Value> =
        text(&jsonl.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(exported.len(), 1);
    assert_eq!(exported[0]["uuid"], failed["uuid"]);

    let (status, stderr, printed) = serve.stop();
    assert!(status.success(), "serve exited with {status}: {stderr}");
    assert!(stderr.contains("bad_signature") && stderr.contains("missing_signature"), "{stderr}");
    let everything = format!("{stderr}{}{}", printed.join("\n"), text(&events.stdout));
    assert!(!everything.contains(SECRET), "the signing key leaked into output");
}

#[test]
fn events_survive_a_restart_of_serve() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("restart.sqlite3");
    let serve = Serve::start(&db, None);
    let (status, _) = delivery::deliver_blocking(&serve.url, &fixture("unlock-exit-button.json"), None);
    assert_eq!(status, 200);
    let (code, _, printed) = serve.stop();
    assert!(code.success());
    assert!(printed.iter().any(|l| l.contains("Signature check: OFF")), "{printed:#?}");
    assert!(printed.iter().any(|l| l.contains("Exit button") && l.contains("(unverified)")), "{printed:#?}");

    let serve = Serve::start(&db, None);
    let (status, answer) = delivery::deliver_blocking(&serve.url, &fixture("unlock-exit-button.json"), None);
    assert_eq!(status, 200);
    assert!(answer.contains("duplicate"), "{answer}");
    serve.stop();
    let events = run(doorwatch(&db).args(["events", "--json"]));
    let row: serde_json::Value = serde_json::from_str(text(&events.stdout).lines().next().unwrap()).unwrap();
    assert_eq!(row["duplicates"], 1);
    assert_eq!(row["actor_label"], "Exit button");
}

#[test]
fn bad_input_gets_a_message_naming_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("none.sqlite3");

    let out = run(doorwatch(&db).args(["events"]));
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("no Doorwatch database at"), "{}", text(&out.stderr));
    assert!(!db.exists(), "listing must not create a database");

    let out = run(doorwatch(&db).args(["events", "--since", "last tuesday"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--since"), "{}", text(&out.stderr));

    let out = run(doorwatch(&db).args(["serve", "--listen", "0.0.0.0:8787"]));
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("loopback only"), "{}", text(&out.stderr));

    let out = run(doorwatch(&db).args(["serve", "--listen", "127.0.0.1:0", "--tunnel", "ngrok"]));
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("--tunnel ngrok needs an ngrok authtoken"), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("NGROK_AUTHTOKEN"), "{}", text(&out.stderr));

    let out = run(doorwatch(&db).args(["backfill"]));
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("no Kisi API key: set KISI_API_KEY"), "{}", text(&out.stderr));
    let out = run(doorwatch(&db).args(["kisi", "status"]));
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("no Kisi API key"), "{}", text(&out.stderr));

    let out = run(doorwatch(&db).args(["send-test", "--url", "not a url"]));
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("not a usable URL"), "{}", text(&out.stderr));

    // Port 9 (discard) on loopback: nothing listens there on a test machine.
    let out = run(doorwatch(&db).args(["send-test", "--url", "http://127.0.0.1:9/webhooks/kisi"]));
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("nothing answered"), "{}", text(&out.stderr));

    let out = run(doorwatch(&db).args(["export", "--format", "xml"]));
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn help_documents_every_flag() {
    let help = |args: &[&str]| text(&run(doorwatch(Path::new("x")).args(args)).stdout);
    let serve = help(&["serve", "--help"]);
    for flag in ["--listen", "--tunnel", "--db", "DOORWATCH_LISTEN"] {
        assert!(serve.contains(flag), "serve --help lacks {flag}");
    }
    let events = help(&["events", "--help"]);
    for flag in ["--failed", "--door", "--actor", "--type", "--since", "--until", "--search", "--limit", "--json"] {
        assert!(events.contains(flag), "events --help lacks {flag}");
    }
    let backfill = help(&["backfill", "--help"]);
    for flag in ["--since", "--until"] {
        assert!(backfill.contains(flag), "backfill --help lacks {flag}");
    }
    assert!(help(&["kisi", "setup", "--help"]).contains("--public-url"));
    let send = help(&["send-test", "--help"]);
    for flag in ["--url", "--failed", "--signing-key-env"] {
        assert!(send.contains(flag), "send-test --help lacks {flag}");
    }
    assert!(help(&["export", "--help"]).contains("--format"));
}

#[test]
fn every_filter_flag_narrows_the_list() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("filters.sqlite3");
    let serve = Serve::start(&db, Some(SECRET));
    for name in FIXTURES {
        let body = fixture(name);
        assert_eq!(delivery::deliver_blocking(&serve.url, &body, Some(SECRET)).0, 200, "{name}");
    }
    // --signing-key-env names another variable that holds the key.
    let out = run(doorwatch(&db)
        .args(["send-test", "--url", &serve.url, "--signing-key-env", "MY_KISI_KEY"])
        .env("MY_KISI_KEY", SECRET));
    assert!(out.status.success(), "{}", text(&out.stderr));
    serve.stop();

    let uuids = |args: &[&str]| -> Vec<String> {
        let out = run(doorwatch(&db).args(["events", "--json"]).args(args));
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        text(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["uuid"].as_str().unwrap().to_owned())
            .collect()
    };
    let short = |u: &[String]| -> Vec<String> { u.iter().map(|x| x[x.len() - 4..].to_owned()).collect() };
    assert_eq!(short(&uuids(&["--door", "back door"])), ["0e06", "0e03"]);
    assert_eq!(short(&uuids(&["--actor", "Grace Hopper"])), ["0e02"]);
    assert_eq!(short(&uuids(&["--actor", "Exit button"])), ["0e03"]);
    assert_eq!(short(&uuids(&["--type", "login.create"])), ["0e07"]);
    assert_eq!(
        short(&uuids(&["--since", "2026-11-02T12:00:00Z", "--until", "2026-11-02T20:00:00Z"])),
        ["0e04", "0e06", "0e03"]
    );
    assert_eq!(uuids(&["--limit", "2"]).len(), 2);
    assert_eq!(uuids(&["--door", "Main Entrance", "--failed"]).len(), 1);
    let out = run(doorwatch(&db).args(["events", "--limit", "0"]));
    assert_eq!(out.status.code(), Some(2), "a limit of 0 is refused");
}

/// A port nothing listens on right now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[test]
fn serve_and_send_test_follow_the_settings_file_like_the_app() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("office.sqlite3");
    let port = free_port();
    let config = dir.path().join("config");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(config.join("settings.toml"), format!("listen = \"127.0.0.1:{port}\"\nrelaxed_durability = true\n"))
        .unwrap();

    let mut cmd = doorwatch(&db);
    cmd.arg("serve").stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut serve = Serve::attach(cmd.spawn().unwrap());
    assert_eq!(serve.url, format!("http://127.0.0.1:{port}/webhooks/kisi"));
    serve.wait_for("Durability: relaxed");

    // No --url: send-test finds the receiver where the settings file put it.
    let out = run(doorwatch(&db).arg("send-test"));
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
    assert!(text(&out.stdout).starts_with("200 "), "{}", text(&out.stdout));
    serve.wait_for_event("Main Entrance");

    // DOORWATCH_LISTEN beats the file, for send-test as for serve: nothing listens there.
    let elsewhere = free_port();
    let out = run(doorwatch(&db).arg("send-test").env("DOORWATCH_LISTEN", format!("127.0.0.1:{elsewhere}")));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(text(&out.stderr).contains(&format!("127.0.0.1:{elsewhere}")), "{}", text(&out.stderr));

    let (status, _, _) = serve.stop();
    assert!(status.success());
    let listed = run(doorwatch(&db).args(["events", "--json"]));
    assert_eq!(text(&listed.stdout).lines().count(), 1, "stored once: {}", text(&listed.stdout));
}

#[test]
fn a_bad_listen_address_in_the_settings_file_stops_serve_with_the_file_and_setting_named() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("office.sqlite3");
    let config = dir.path().join("config");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(config.join("settings.toml"), "listen = \"the front desk\"\n").unwrap();
    let out = run(doorwatch(&db).arg("serve"));
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("settings.toml") && err.contains("listen"), "{err}");
    assert!(!db.exists(), "nothing was created");
}
