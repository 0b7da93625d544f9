// Declares the app's IPC commands so that capabilities/default.json can allow exactly these and no
// others (a command no capability grants is refused).
fn main() {
    const COMMANDS: &[&str] = &[
        "list_events",
        "status",
        "subscribe",
        "follow_filter",
        "send_test_event",
        "get_settings",
        "save_settings",
        "set_signing_key",
        "generate_signing_key",
        "pause_alerts",
        "open_data_folder",
        "close_window",
        "set_secret",
        "connect_kisi",
        "re_enable_webhook",
        "catch_up",
        "export_csv",
        "insights",
        "test_notification",
        "describe_rules",
        "explain_event",
        "incidents",
        "acknowledge_incident",
        "night_summary",
        "unlock_offer",
        "unlock_door",
        "doors",
        "lockdown",
        "who_is_in",
        "check_presence",
        "export_presence_csv",
        "actor_details",
    ];
    tauri_build::try_build(
        tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri-build failed");
}
