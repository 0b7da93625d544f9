//! Text typed into Kisi (or sent by anyone who reaches the webhook) on its way out of the command
//! line: escape sequences in a name are shown, never obeyed, by `doorwatch events`; a CSV cell never
//! becomes a formula, even in a spreadsheet that splits on `;`.

use std::process::{Command, Stdio};

use doorwatch::event::{Event, Source};
use doorwatch::store::{Delivery, Store, StoreOptions};

/// Recolours and erases the line, then OSC 52 writes "evil" to the clipboard.
const TERMINAL_ATTACK: &str = "Ada\u{1b}[2K\u{1b}[32mLovelace\u{1b}]52;c;ZXZpbA==\u{7}";

fn store_one(db: &std::path::Path, actor: &str, door: &str) {
    let body = serde_json::json!({
        "uuid": "hostile-1", "type": "lock.unlock", "success": false, "actor_type": "User",
        "actor_name": actor, "object_name": door, "error_message": "Access denied.",
        "created_at": "2026-11-02T08:00:00Z",
    });
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let store = Store::open(db, StoreOptions::default()).unwrap();
        let delivery = Delivery {
            event: Event::from_json(&serde_json::to_vec(&body).unwrap()).unwrap(),
            received_at: 1,
            verified: false,
            source: Source::Webhook,
        };
        store.ingest(delivery).await.unwrap();
        let closing = store.clone();
        drop(store);
        tokio::task::spawn_blocking(move || drop(closing)).await.unwrap();
    });
}

fn doorwatch(db: &std::path::Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_doorwatch"))
        .env("DOORWATCH_CONFIG_DIR", db.parent().unwrap().join("config"))
        .env("DOORWATCH_SECRETS", "file")
        .env_remove("DOORWATCH_DB")
        .arg("--db")
        .arg(db)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn escape_sequences_in_a_name_are_shown_not_obeyed_and_the_unverified_mark_stays() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("doorwatch.sqlite3");
    store_one(&db, TERMINAL_ATTACK, "Main\rEntrance");
    let listed = doorwatch(&db, &["events"]);
    assert!(!listed.contains('\u{1b}') && !listed.contains('\u{7}') && !listed.contains('\r'), "{listed:?}");
    assert!(listed.contains("Ada\\u{1b}[2K\\u{1b}[32mLovelace\\u{1b}]52;c;ZXZpbA==\\u{7}"), "{listed}");
    assert!(listed.contains("Main\\u{d}Entrance"), "{listed}");
    assert!(listed.trim_end().ends_with("(unverified)"), "{listed}");
    // JSON keeps the exact text (escaped the JSON way), for programs.
    let json = doorwatch(&db, &["events", "--json"]);
    assert!(json.contains(r"Ada\u001b[2K") && !json.contains('\u{1b}'), "{json}");
}

#[test]
fn a_formula_after_a_semicolon_never_reaches_a_spreadsheet_as_one() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("doorwatch.sqlite3");
    store_one(&db, "Ada;=2+5", "=HYPERLINK(\"https://evil.example\")");
    let csv = doorwatch(&db, &["export", "--format", "csv"]);
    let row = csv.lines().nth(1).unwrap();
    assert!(row.contains("Ada;'=2+5"), "{row}");
    assert!(row.contains("'=HYPERLINK"), "{row}");
    // Split on `;` as German Excel does: no piece starts a formula.
    for piece in row.split([';', ',']) {
        let piece = piece.trim_start_matches('"').trim_start();
        assert!(!piece.starts_with(['=', '+', '@']), "{piece:?} in {row}");
    }
}
