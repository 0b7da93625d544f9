//! `doorwatch incidents`, `doorwatch summary` and `doorwatch presence`: the door incidents, the night's
//! summary and who came in, as the running Doorwatch keeps and says them, read from the same store with
//! the same settings and zone.

use std::process::ExitCode;

use chrono::Utc;
use clap::Args;

use super::rules_commands::office_zone;
use super::terminal::visible;
use super::when::parse_when;
use super::CliResult;
use crate::alert::incident::how_long;
use crate::alert::summary;
use crate::app::presence::{self, KisiCheck};
use crate::config::Config;
use crate::event::format_time;
use crate::store::{Incident, IncidentEnd, Reader};

#[derive(Args, Debug)]
pub(super) struct IncidentsArgs {
    /// Only the incidents still open
    #[arg(long)]
    open: bool,
    /// One JSON object per line
    #[arg(long)]
    json: bool,
    /// How many incidents to show, newest first
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    limit: u32,
}

#[derive(Args, Debug)]
pub(super) struct SummaryArgs {
    /// From this time: 2026-11-02, 2026-11-02T18:00:00Z, or an age such as 12h [default: closing time
    /// (alerts.open_until) on the last workday]
    #[arg(long, value_name = "T", value_parser = parse_when)]
    since: Option<i64>,
}

pub(super) fn incidents_command(config: &Config, args: IncidentsArgs) -> CliResult {
    let reader = Reader::open(&config.db).map_err(|e| e.to_string())?;
    let mut incidents = if args.open {
        reader.open_incidents().map_err(|e| e.to_string())?
    } else {
        reader.recent_incidents(args.limit as usize).map_err(|e| e.to_string())?
    };
    incidents.truncate(args.limit as usize);
    let now = Utc::now().timestamp_millis();
    if incidents.is_empty() && !args.json {
        println!("{}", if args.open { "No door incident is open." } else { "No door incidents yet." });
    }
    for incident in &incidents {
        if args.json {
            println!("{}", serde_json::to_string(incident).map_err(|e| e.to_string())?);
        } else {
            println!("{}", visible(&line(incident, now)));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// "#3  2026-11-02T12:31:30.000Z  Back Door  held open 13 min, closed" (still open: "open 14 min so far").
fn line(i: &Incident, now: i64) -> String {
    let what = if i.kind == crate::event::EventKind::ForcedOpen { "forced open" } else { "held open" };
    let door = if i.door.is_empty() { "(no door named)" } else { i.door.as_str() };
    let lasted = how_long(i.open_for(now));
    let end = match i.ended_by {
        None => format!("OPEN for {lasted} so far"),
        Some(IncidentEnd::Closed) => format!("{lasted}, then closed"),
        Some(IncidentEnd::Acknowledged) => format!("{lasted}, then acknowledged"),
    };
    let unsigned = if i.trusted { "" } else { "  (unverified)" };
    format!("#{:<4} {}  {door}  {what} {end}{unsigned}", i.id, format_time(i.opened_at))
}

pub(super) fn summary_command(config: &Config, args: SummaryArgs) -> CliResult {
    let reader = Reader::open(&config.db).map_err(|e| e.to_string())?;
    let (settings, zone, now) = (&config.settings.alerts, office_zone(config), Utc::now());
    let since = args.since.unwrap_or_else(|| summary::night_since(settings, &zone, now));
    if since >= now.timestamp_millis() {
        return Err(format!("--since {} is not in the past", format_time(since)));
    }
    let night = summary::gather(&reader, settings, &zone, since, now.timestamp_millis()).map_err(|e| e.to_string())?;
    println!("{}", visible(&night.title()));
    println!("{}", visible(&night.line()));
    Ok(ExitCode::SUCCESS)
}

#[derive(Args, Debug)]
pub(super) struct PresenceArgs {
    /// The day, YYYY-MM-DD, in the office's time zone [default: today]
    #[arg(long, value_name = "D")]
    date: Option<chrono::NaiveDate>,
    /// One JSON object: the day, its people, and what Kisi's presences say
    #[arg(long, conflicts_with = "csv")]
    json: bool,
    /// The list as CSV (for a spreadsheet or a printed muster list), on standard output
    #[arg(long)]
    csv: bool,
    /// Do not ask Kisi: the list from Doorwatch's own store alone
    #[arg(long)]
    offline: bool,
}

pub(super) async fn presence_command(config: &Config, args: PresenceArgs) -> CliResult {
    let reader = Reader::open(&config.db).map_err(|e| e.to_string())?;
    let zone = office_zone(config);
    let date = args.date.unwrap_or_else(|| presence::today(&zone, Utc::now()));
    let who = presence::who_came_in(&reader, &zone, date).map_err(|e| e.to_string())?;
    if args.csv {
        presence::write_csv(&who, &zone, std::io::stdout().lock()).map_err(|e| e.to_string())?;
        return Ok(ExitCode::SUCCESS);
    }
    let check = || async {
        match config.kisi_client(&config.secrets()) {
            _ if args.offline => KisiCheck::not_asked("--offline"),
            Ok(Some(client)) => presence::check_with_kisi(&client, &who).await,
            Ok(None) => KisiCheck::not_asked("no Kisi API key"),
            Err(e) => KisiCheck::not_asked(e.to_string()),
        }
    };
    if args.json {
        let both = serde_json::json!({ "who": who, "kisi": check().await });
        println!("{}", serde_json::to_string(&both).map_err(|e| e.to_string())?);
        return Ok(ExitCode::SUCCESS);
    }
    // The list first: during an evacuation it must not wait for a Kisi that cannot be reached.
    let day = date.format("%A %-d %B %Y");
    match who.people.len() {
        0 => println!("Nobody came in on {day} ({}): no person's unlock is stored for that day.", who.zone),
        n => println!("Who came in on {day} ({}): {n} {}", who.zone, if n == 1 { "person" } else { "people" }),
    }
    for p in &who.people {
        println!("  {}", visible(&presence::line(p, &zone)));
    }
    let _ = std::io::Write::flush(&mut std::io::stdout());
    let kisi = check().await;
    println!("{}", visible(&kisi.describe()));
    Ok(ExitCode::SUCCESS)
}
