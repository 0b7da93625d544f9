//! The commands that reach Kisi: `doorwatch backfill` and `doorwatch kisi setup|status|enable|unlock`, and what
//! `serve` prints about the tunnel and the Kisi upkeep.

use std::io::Write;
use std::process::ExitCode;

use chrono::Utc;
use clap::{Args, Subcommand};

use super::terminal::visible;
use super::when::parse_when;
use super::CliResult;
use crate::app::kisi_setup::{self, SetupError};
use crate::app::remote_unlock::{self, Operator};
use crate::app::{Notice, Running};
use crate::config::{env, Config};
use crate::kisi;
use crate::kisi::backfill;
use crate::kisi::integration::{self, Health};
use crate::receive::tunnel::TunnelStatus;
use crate::store::Store;

#[derive(Args, Debug)]
pub(super) struct BackfillArgs {
    /// From this time [default: a little before the newest stored event; 7 days back on an empty store]
    #[arg(long, value_name = "T", value_parser = parse_when)]
    pub(super) since: Option<i64>,
    /// Up to this time [default: now]
    #[arg(long, value_name = "T", value_parser = parse_when)]
    pub(super) until: Option<i64>,
}

#[derive(Subcommand, Debug)]
pub(super) enum KisiCommand {
    /// Create Doorwatch's webhook at Kisi (or repair it), with a fresh signing key saved for the receiver
    Setup {
        /// The public https URL Kisi should call [default: https://NGROK_DOMAIN (or the settings' fixed
        /// domain), else the settings' public URL]
        #[arg(long, value_name = "URL")]
        public_url: Option<String>,
    },
    /// Show whether Kisi's webhook for Doorwatch is on
    Status,
    /// Switch the webhook back on after Kisi disabled it
    Enable,
    /// Unlock a door now, remotely (asks first; recorded in the timeline with Kisi's answer)
    Unlock {
        /// The door: its Kisi lock id, or its exact name (any case)
        #[arg(value_name = "LOCK-ID|DOOR NAME")]
        door: String,
        /// Do not ask: the command line already is the confirmation (needed without a terminal)
        #[arg(long)]
        yes: bool,
    },
}

/// Prints the tunnel's changes (the public webhook URL when it is online) and the notices.
pub(super) async fn print_online(
    mut status: tokio::sync::watch::Receiver<Running>,
    mut notices: tokio::sync::mpsc::UnboundedReceiver<Notice>,
) {
    let mut shown = None;
    loop {
        let tunnel = status.borrow_and_update().online.as_ref().map(|o| o.tunnel.clone()).unwrap_or(TunnelStatus::Off);
        if shown.as_ref() != Some(&tunnel) && tunnel != TunnelStatus::Off {
            match &tunnel {
                TunnelStatus::Online { url } => match integration::webhook_url(url) {
                    Ok(webhook) => println!("Public webhook URL: {webhook}"),
                    Err(_) => println!("{}", tunnel.describe()),
                },
                other => println!("{}", other.describe()),
            }
            let _ = std::io::stdout().flush();
            shown = Some(tunnel);
        }
        tokio::select! {
            changed = status.changed() => if changed.is_err() { return },
            notice = notices.recv() => match notice {
                Some(Notice::WhileAway(text)) => println!("{}", visible(&text)),
                Some(Notice::WebhookOff(text)) => println!("Attention: {}", visible(&text)),
                Some(Notice::UrlFollowed(url)) => println!("Kisi's webhook now points at {}", visible(&url)),
                Some(Notice::Problem(text)) => println!("Problem: {}", visible(&text)),
                Some(Notice::Door { title, body, .. }) => println!("{}: {}", visible(&title), visible(&body)),
                None => return,
            },
        }
        let _ = std::io::stdout().flush();
    }
}

fn kisi_client_or_explain(config: &Config) -> Result<kisi::Client, String> {
    config.kisi_client(&config.secrets()).map_err(|e| e.to_string())?.ok_or_else(|| {
        format!(
            "no Kisi API key: set {} (Kisi dashboard → your profile → API keys) or save it in the desktop app's settings",
            env::KISI_API_KEY
        )
    })
}

pub(super) async fn backfill_command(config: &Config, args: BackfillArgs) -> CliResult {
    let client = kisi_client_or_explain(config)?;
    let store = Store::open(&config.db, config.store_options()).map_err(|e| e.to_string())?;
    let now = Utc::now().timestamp_millis();
    let (gap_from, _) = backfill::pending_range(&store, now).map_err(|e| e.to_string())?;
    let (from, until) = (args.since.unwrap_or(gap_from), args.until.unwrap_or(now));
    if from >= until {
        return Err("--since must be before --until".into());
    }
    eprintln!("Fetching the events from {} to {} from Kisi…", kisi::rfc3339(from), kisi::rfc3339(until));
    let tty = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let result = backfill::run(&client, &store, from, until, &backfill::Options::default(), |p| {
        if tty {
            eprint!("\r{}   ", p.describe());
        }
    })
    .await;
    if tty {
        eprintln!();
    }
    let store_to_close = store.clone();
    drop(store);
    let _ = tokio::task::spawn_blocking(move || drop(store_to_close)).await;
    let report = result.map_err(|e| e.to_string())?;
    println!(
        "Fetched {} events from Kisi: {} new, {} already stored{}.",
        report.fetched,
        report.stored,
        report.fetched - report.stored - report.unreadable,
        if report.unreadable > 0 { format!(", {} unreadable (skipped)", report.unreadable) } else { String::new() }
    );
    if let Some(summary) = report.while_you_were_away() {
        println!("{summary}");
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) async fn kisi_command(config: &Config, command: KisiCommand) -> CliResult {
    let client = kisi_client_or_explain(config)?;
    let settings = &config.settings;
    match command {
        KisiCommand::Setup { public_url } => {
            let domain = config.env.get(env::NGROK_DOMAIN).unwrap_or(&settings.tunnel.domain).to_owned();
            let public_url = public_url
                .or_else(|| (!domain.trim().is_empty()).then(|| format!("https://{}", domain.trim())))
                .or_else(|| (!settings.tunnel.public_url.trim().is_empty()).then(|| settings.tunnel.public_url.clone()))
                .ok_or_else(|| SetupError::NoPublicUrl.to_string())?;
            let outcome =
                kisi_setup::set_up_kisi(&client, &public_url, config, None).await.map_err(|e| e.to_string())?;
            println!(
                "{} Kisi webhook {} → {}",
                if outcome.created { "Created" } else { "Repaired" },
                outcome.integration_id,
                outcome.url
            );
            if config.signing_key_from_env().is_some() {
                println!("Signed with the key in {}.", env::SIGNING_KEY);
            } else {
                println!(
                    "A new signing key was saved for the receiver (restart a running `doorwatch serve` to use it)."
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        KisiCommand::Unlock { door, yes } => unlock_command(&client, config, &door, yes).await,
        KisiCommand::Status | KisiCommand::Enable => {
            let id =
                settings.kisi.integration_id.ok_or("Doorwatch has no Kisi webhook yet: run `doorwatch kisi setup`")?;
            if matches!(command, KisiCommand::Enable) {
                integration::re_enable(&client, id).await.map_err(|e| e.to_string())?;
            }
            let health = integration::health(&client, id).await.map_err(|e| e.to_string())?;
            let url = match &health {
                Health::Enabled { url: Some(url) } => format!(" → {url}"),
                _ => String::new(),
            };
            println!("Webhook {id}: {}{url}", health.describe());
            Ok(if matches!(health, Health::Enabled { .. }) { ExitCode::SUCCESS } else { ExitCode::from(3) })
        }
    }
}

/// `doorwatch kisi unlock`: finds the door, asks on the terminal (or takes `--yes`), then one request.
async fn unlock_command(client: &kisi::Client, config: &Config, which: &str, yes: bool) -> CliResult {
    let locks = client.locks().await.map_err(|e| e.to_string())?;
    let lock = kisi::locks::pick(&locks, which)?;
    let door = visible(&lock.describe()).into_owned();
    if !yes && !confirmed(&door)? {
        println!("Not unlocked.");
        return Ok(ExitCode::from(1));
    }
    let store = Store::open(&config.db, config.store_options()).map_err(|e| e.to_string())?;
    let done = remote_unlock::unlock(client, &store, lock, &Operator::here("the command line")).await;
    let store_to_close = store.clone();
    drop(store);
    let _ = tokio::task::spawn_blocking(move || drop(store_to_close)).await;
    println!("{}", visible(&done.describe()));
    Ok(if done.answer.done && done.recorded.is_ok() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// Asks "Unlock …? [y/N]" on the terminal; refuses when there is none to ask on.
fn confirmed(door: &str) -> Result<bool, String> {
    use std::io::IsTerminal;
    if !std::io::stdin().is_terminal() {
        return Err(format!(
            "not unlocking {door} without asking, and there is no terminal to ask on: add --yes to confirm"
        ));
    }
    eprint!("Unlock {door} now? Anyone at the door can walk in. [y/N] ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).map_err(|e| format!("cannot read the answer: {e}"))?;
    Ok(matches!(line.trim().to_lowercase().as_str(), "y" | "yes"))
}
