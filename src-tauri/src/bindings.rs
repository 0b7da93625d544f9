//! The UI's types and shared words, generated from the Rust types and the core's own tables, so the
//! window never types them twice: `tests/ui_bindings.rs` keeps `ui/src/bindings/` equal to what this
//! writes; `make bindings` rewrites it.

use doorwatch::event::EventKind;
use doorwatch::kisi::integration::EVENT_TYPES;
use doorwatch::receive::tunnel::Problem;

/// Writes the TypeScript declarations of every type that crosses IPC into `dir` (ts-rs), and
/// `words.ts` with the words and lists the core owns.
#[doc(hidden)]
pub fn export_typescript(dir: &std::path::Path) -> Result<(), ts_rs::ExportError> {
    use ts_rs::TS;
    doorwatch::app::StatusView::export_all_to(dir)?;
    doorwatch::app::SettingsView::export_all_to(dir)?;
    crate::messages::FeedMessage::export_all_to(dir)?;
    crate::commands::PageView::export_all_to(dir)?;
    crate::error::CommandError::export_all_to(dir)?;
    doorwatch::store::EventFilter::export_all_to(dir)?;
    doorwatch::kisi::integration::SetupOutcome::export_all_to(dir)?;
    doorwatch::store::Insights::export_all_to(dir)?;
    doorwatch::app::RulesView::export_all_to(dir)?;
    doorwatch::app::IncidentsView::export_all_to(dir)?;
    doorwatch::app::NightView::export_all_to(dir)?;
    doorwatch::app::remote_unlock::UnlockOffer::export_all_to(dir)?;
    doorwatch::app::remote_unlock::DoorActDone::export_all_to(dir)?;
    doorwatch::app::presence::WhoIsInView::export_all_to(dir)?;
    doorwatch::app::presence::KisiCheck::export_all_to(dir)?;
    doorwatch::app::doors::DoorsView::export_all_to(dir)?;
    std::fs::write(dir.join("words.ts"), words()).map_err(ts_rs::ExportError::from)?;
    Ok(())
}

/// The labels and lists the window shows exactly as the core (and `doorwatch events`) says them.
fn words() -> String {
    let json = |s: &str| serde_json::to_string(s).expect("a string serialises");
    let kinds: Vec<String> = EventKind::ALL.iter().map(|k| format!("  {}: {},", k.as_str(), json(k.label()))).collect();
    let types: Vec<String> = EVENT_TYPES.iter().map(|t| format!("  {},", json(t))).collect();
    let problems: Vec<String> =
        Problem::ALL.iter().map(|p| format!("  {}: {},", p.as_str(), json(p.short()))).collect();
    format!(
        "// Generated from the Rust core (src-tauri/src/bindings.rs, `make bindings`): do not edit.\n\
         import type {{ EventKind }} from './EventKind';\n\
         import type {{ Problem }} from './Problem';\n\n\
         /** What each kind of event is called, in the window and in `doorwatch events` alike. */\n\
         export const KIND_LABEL: Record<EventKind, string> = {{\n{}\n}};\n\n\
         /** The Kisi event types Doorwatch asks Kisi to send (its webhook's event filter). */\n\
         export const EVENT_TYPES: readonly string[] = [\n{}\n];\n\n\
         /** A tunnel problem in a few words, for the status bar. */\n\
         export const TUNNEL_PROBLEM: Record<Problem, string> = {{\n{}\n}};\n",
        kinds.join("\n"),
        types.join("\n"),
        problems.join("\n"),
    )
}
