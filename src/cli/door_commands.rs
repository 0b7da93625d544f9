//! `doorwatch doors`: the doors board — every Kisi lock, its state now, its last event and any open
//! incident — read from Kisi when it answers, else as Doorwatch last saw it.

use std::process::ExitCode;

use chrono::Utc;
use clap::Args;

use super::rules_commands::office_zone;
use super::terminal::visible;
use super::CliResult;
use crate::app::doors::{board, DoorRow, Remembered};
use crate::config::Config;
use crate::event::format_time;
use crate::store::Reader;

#[derive(Args, Debug)]
pub(super) struct DoorsArgs {
    /// One JSON object per door
    #[arg(long)]
    json: bool,
}

pub(super) async fn doors_command(config: &Config, args: DoorsArgs) -> CliResult {
    let reader = Reader::open(&config.db).map_err(|e| e.to_string())?;
    let remembered = Remembered::read(&reader).map_err(|e| e.to_string())?;
    let now = Utc::now().timestamp_millis();
    let (known, source) = match config.kisi_client(&config.secrets()).map_err(|e| e.to_string())? {
        Some(client) => match client.locks().await {
            Ok(locks) => (Some(Remembered { at: now, locks }), "from Kisi just now".to_owned()),
            Err(e) => {
                let at = remembered.as_ref().map(|r| format_time(r.at)).unwrap_or_default();
                (remembered, format!("as Doorwatch last saw them ({at}); Kisi cannot be asked now: {e}"))
            }
        },
        None => {
            let at = remembered.as_ref().map(|r| format_time(r.at)).unwrap_or_default();
            (remembered, format!("as Doorwatch last saw them ({at}); no Kisi API key to ask now"))
        }
    };
    let Some(known) = known else {
        return Err(
            "Doorwatch knows no doors yet: with a Kisi API key (KISI_API_KEY, or the app's Settings) it lists them"
                .into(),
        );
    };
    let rows = board(&reader, &known.locks, known.at, &office_zone(config)).map_err(|e| e.to_string())?;
    if args.json {
        for row in &rows {
            println!("{}", serde_json::to_string(row).map_err(|e| e.to_string())?);
        }
        return Ok(ExitCode::SUCCESS);
    }
    println!("{} door{}, {source}", rows.len(), if rows.len() == 1 { "" } else { "s" });
    for row in &rows {
        println!("  {}", visible(&line(row)));
    }
    Ok(ExitCode::SUCCESS)
}

/// "Main Entrance (Berlin HQ)  Closed  · last: Ada Lovelace unlocked Main Entrance at Mon 09:12".
fn line(row: &DoorRow) -> String {
    let door = match &row.place {
        Some(place) => format!("{} ({place})", row.name),
        None => row.name.clone(),
    };
    let state = if row.state == "Offline" { "OFFLINE".to_owned() } else { row.state.clone() };
    let mut text = format!("{door:<36} {state:<12}");
    if let Some(last) = &row.last_event {
        text.push_str(&format!(" · last: {last}"));
    }
    if let Some(id) = row.incident {
        text.push_str(&format!(" · door incident #{id} open"));
    }
    text
}
