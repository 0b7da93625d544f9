//! The headless `doorwatch` command: `serve`, `events`, `export` and `send-test` here, `backfill` and
//! `kisi …` in [`kisi_commands`], each a thin layer over the same core the desktop app uses. Errors are
//! printed as one sentence naming the problem; exit status 1 for failures, 2 for bad usage.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

mod door_commands;
mod kisi_commands;
mod office_commands;
mod rules_commands;
mod serve;
mod terminal;
mod when;

use chrono::{DateTime, Local, Utc};
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::{self, env, Config, Environment, Flags};
use crate::kisi::sample;
use crate::receive::signature::SigningKey;
use crate::receive::WEBHOOK_PATH;
use crate::store::export::{self, Format};
use crate::store::{EventFilter, Reader, StoredEvent};
use door_commands::{doors_command, DoorsArgs};
use kisi_commands::{backfill_command, kisi_command, BackfillArgs, KisiCommand};
use office_commands::{incidents_command, presence_command, summary_command, IncidentsArgs, PresenceArgs, SummaryArgs};
use rules_commands::{rules_command, RulesCommand};
use when::parse_when;

#[derive(Parser, Debug)]
#[command(
    name = "doorwatch",
    version,
    about = "Receives Kisi door events by webhook and keeps them in a local timeline",
    after_help = "Environment: DOORWATCH_DB (database file), DOORWATCH_LISTEN (local address), \
                  DOORWATCH_SIGNING_KEY (the webhook's signature key; never printed), NGROK_AUTHTOKEN and \
                  NGROK_DOMAIN (the tunnel), KISI_API_KEY and KISI_API_BASE (Kisi's API). Secrets not in the \
                  environment are read from the system keyring, where the desktop app's settings keep them."
)]
struct Cli {
    /// The database file [env: DOORWATCH_DB; default: the platform data folder, e.g.
    /// ~/.local/share/doorwatch/doorwatch.sqlite3]
    #[arg(long, global = true, value_name = "PATH")]
    db: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Receive webhooks on a local port and print one line per stored event (Ctrl-C stops)
    Serve(ServeArgs),
    /// List stored events, newest first
    Events(EventsArgs),
    /// Write stored events to a CSV or JSON Lines file
    Export(ExportArgs),
    /// Post a realistic sample event, signed like Kisi signs, and print the answer
    SendTest(SendTestArgs),
    /// Fetch from Kisi's API the events the webhook missed (needs a Kisi API key)
    Backfill(BackfillArgs),
    /// Set up and check Doorwatch's webhook at Kisi (needs a Kisi API key)
    #[command(subcommand)]
    Kisi(KisiCommand),
    /// List the alert rules in words, or test which one an event meets
    #[command(subcommand)]
    Rules(RulesCommand),
    /// List door incidents (doors held or forced open), newest first
    Incidents(IncidentsArgs),
    /// Print the morning summary: the night since closing time, or since --since
    Summary(SummaryArgs),
    /// Who came in today (or on --date): first unlock, door, last seen; checked against Kisi's presences
    Presence(PresenceArgs),
    /// The doors board: every Kisi lock, its state now, its last event and any open incident
    Doors(DoorsArgs),
}

#[derive(Args, Debug)]
struct ServeArgs {
    /// Local address to listen on, loopback only [env: DOORWATCH_LISTEN; else `listen` in settings.toml;
    /// default: 127.0.0.1:8787]
    #[arg(long, value_name = "ADDR", value_parser = config::parse_listen)]
    listen: Option<SocketAddr>,
    /// Make the receiver reachable from Kisi through a tunnel
    #[arg(long, value_enum, default_value_t = Tunnel::None)]
    tunnel: Tunnel,
    /// Skip the fsync on each commit: faster, but events acknowledged just before a power cut can be lost
    /// [default: `relaxed_durability` in settings.toml]
    #[arg(long)]
    relaxed_durability: bool,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Tunnel {
    None,
    Ngrok,
}

#[derive(Args, Debug)]
struct FilterArgs {
    /// Failed unlocks only
    #[arg(long)]
    failed: bool,
    /// Only this door (its exact name, any case)
    #[arg(long, value_name = "TEXT")]
    door: Option<String>,
    /// Only this person or actor (as shown: a name, "Exit button", "Access link: NAME")
    #[arg(long, value_name = "TEXT")]
    actor: Option<String>,
    /// Only this Kisi event type, e.g. lock.unlock
    #[arg(long = "type", value_name = "TYPE")]
    event_type: Option<String>,
    /// From this time: 2026-11-02, 2026-11-02T09:00:00Z, or an age such as 90m, 24h, 7d
    #[arg(long, value_name = "T", value_parser = parse_when)]
    since: Option<i64>,
    /// Before this time (same forms as --since)
    #[arg(long, value_name = "T", value_parser = parse_when)]
    until: Option<i64>,
    /// Words to find (as word beginnings) in names, doors and error messages
    #[arg(long, value_name = "TEXT")]
    search: Option<String>,
}

impl FilterArgs {
    fn filter(&self) -> EventFilter {
        EventFilter {
            failed_only: self.failed,
            door: self.door.clone(),
            actor: self.actor.clone(),
            event_type: self.event_type.clone(),
            since: self.since,
            until: self.until,
            search: self.search.clone(),
        }
    }
}

#[derive(Args, Debug)]
struct EventsArgs {
    #[command(flatten)]
    filter: FilterArgs,
    /// How many events to show
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    limit: u32,
    /// One JSON object per line, with the original payload under "raw"
    #[arg(long)]
    json: bool,
}

#[derive(Args, Debug)]
struct ExportArgs {
    #[command(flatten)]
    filter: FilterArgs,
    /// Output format
    #[arg(long, value_enum, default_value_t = ExportFormat::Csv)]
    format: ExportFormat,
    /// Write to this file instead of standard output (replaced only once the export is complete)
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum ExportFormat {
    Csv,
    Jsonl,
}

#[derive(Args, Debug)]
struct SendTestArgs {
    /// Where to post [default: this Doorwatch's own receiver: DOORWATCH_LISTEN, else `listen` in
    /// settings.toml, else 127.0.0.1:8787; path /webhooks/kisi]
    #[arg(long)]
    url: Option<String>,
    /// Send a failed unlock (Access denied.) instead of a successful one
    #[arg(long)]
    failed: bool,
    /// The environment variable that holds the signing key [default: DOORWATCH_SIGNING_KEY, else the
    /// key saved for the receiver]; unsigned when there is none
    #[arg(long, value_name = "VAR", default_value = env::SIGNING_KEY)]
    signing_key_env: String,
}

/// Runs the command line and returns the process's exit status.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    let mut flags = Flags { db: cli.db.clone(), ..Flags::default() };
    if let Command::Serve(args) = &cli.command {
        flags.listen = args.listen;
        flags.relaxed_durability = args.relaxed_durability.then_some(true);
    }
    let result = Config::load(&flags, Environment::from_process()).map_err(|e| e.to_string()).and_then(|config| {
        match cli.command {
            Command::Serve(args) => runtime().and_then(|rt| rt.block_on(serve::serve(config, flags, args))),
            Command::Events(args) => events(&config.db, args),
            Command::Export(args) => export_command(&config.db, args),
            Command::SendTest(args) => runtime().and_then(|rt| rt.block_on(send_test_command(&config, args))),
            Command::Backfill(args) => runtime().and_then(|rt| rt.block_on(backfill_command(&config, args))),
            Command::Kisi(command) => runtime().and_then(|rt| rt.block_on(kisi_command(&config, command))),
            Command::Rules(command) => rules_command(&config, command),
            Command::Incidents(args) => incidents_command(&config, args),
            Command::Summary(args) => summary_command(&config, args),
            Command::Presence(args) => runtime().and_then(|rt| rt.block_on(presence_command(&config, args))),
            Command::Doors(args) => runtime().and_then(|rt| rt.block_on(doors_command(&config, args))),
        }
    });
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("doorwatch: {message}");
            ExitCode::FAILURE
        }
    }
}

type CliResult = Result<ExitCode, String>;

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("DOORWATCH_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("doorwatch=info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr()); // no colour codes in a log file
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_ansi(ansi).with_writer(std::io::stderr).try_init();
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))
}

/// One event as a line for people: local time, outcome, door, who, and Kisi's error if any. Every
/// text from outside goes through [`terminal::visible`].
fn event_line(e: &StoredEvent) -> String {
    let ev = &e.event;
    let when = DateTime::<Utc>::from_timestamp_millis(e.time())
        .map(|t| t.with_timezone(&Local).format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default();
    let mut line = format!(
        "{when}  {:<11}  {:<22}  {:<24}",
        ev.kind.label(),
        terminal::visible(ev.object_name.as_deref().unwrap_or("-")),
        terminal::visible(ev.actor_label.as_deref().unwrap_or("-")),
    );
    if ev.kind == crate::event::EventKind::Other {
        line.push_str("  ");
        line.push_str(&terminal::visible(&ev.event_type));
    }
    if let Some(err) = &ev.error_message {
        line.push_str("  ");
        line.push_str(&terminal::visible(err));
    }
    if e.unverified() {
        line.push_str("  (unverified)");
    }
    line.trim_end().to_owned()
}

fn events(db: &Path, args: EventsArgs) -> CliResult {
    let reader = Reader::open(db).map_err(|e| e.to_string())?;
    let page = reader.events(&args.filter.filter(), None, args.limit as usize).map_err(|e| e.to_string())?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for e in &page.events {
        if args.json {
            export::write_json_line(&mut out, e).map_err(|e| e.to_string())?;
        } else {
            writeln!(out, "{}", event_line(e)).map_err(|e| e.to_string())?;
        }
    }
    if !args.json {
        if page.events.is_empty() {
            eprintln!("No events match.");
        } else if page.next.is_some() {
            eprintln!("(the {} newest shown; --limit shows more)", page.events.len());
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn export_command(db: &Path, args: ExportArgs) -> CliResult {
    let reader = Reader::open(db).map_err(|e| e.to_string())?;
    let format = match args.format {
        ExportFormat::Csv => Format::Csv,
        ExportFormat::Jsonl => Format::Jsonl,
    };
    let filter = args.filter.filter();
    match &args.output {
        None => {
            export::export(&reader, &filter, format, std::io::stdout().lock()).map_err(|e| e.to_string())?;
        }
        Some(path) => {
            let n = export::to_file(&reader, &filter, format, path)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            eprintln!("Exported {n} events to {}", path.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn send_test_command(config: &Config, args: SendTestArgs) -> CliResult {
    let url = args.url.unwrap_or_else(|| format!("http://{}{WEBHOOK_PATH}", config.listen));
    let key = if args.signing_key_env == env::SIGNING_KEY {
        config.signing_key(&config.secrets()).map_err(|e| e.to_string())?
    } else {
        std::env::var(&args.signing_key_env).ok().and_then(|k| SigningKey::new(&k))
    };
    let body = sample::sample_event(args.failed, Utc::now());
    let answer = sample::send(&url, body, key.as_ref()).await.map_err(|e| e.to_string())?;
    println!("{} {}", answer.status, answer.body.trim());
    match answer.status {
        200..=299 => Ok(ExitCode::SUCCESS),
        401 if key.is_none() => Err(format!(
            "the receiver checks signatures, and {} is not set: set it to the same signing key",
            args.signing_key_env
        )),
        401 => Err("the receiver refused the signature: its signing key differs from this one".into()),
        status => Err(format!("the receiver answered {status}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
