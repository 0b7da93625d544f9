//! The commands that reach Kisi: `doorwatch backfill` and `doorwatch kisi setup|status|enable`, and what
//! `serve` prints about the tunnel and the Kisi upkeep.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use chrono::Utc;
use clap::{Args, Subcommand};

use super::when::parse_when;
use super::CliResult;
use crate::backfill;
use crate::config::{self, ENV_SIGNING_KEY};
use crate::kisi;
use crate::kisi::integration::{self, Health};
use crate::online::{self, Notice, OnlineStatus, SetupError};
use crate::secrets::Secrets;
use crate::settings::{self, Settings};
use crate::store::{Store, StoreOptions};
use crate::tunnel::{self, TunnelStatus};

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
}

/// Prints the tunnel's changes (the public webhook URL when it is online) and the notices.
pub(super) async fn print_online(
    mut status: tokio::sync::watch::Receiver<OnlineStatus>,
    mut notices: tokio::sync::mpsc::UnboundedReceiver<Notice>,
) {
    let mut shown = None;
    loop {
        let tunnel = status.borrow_and_update().tunnel.clone();
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
                Some(Notice::WhileAway(text)) => println!("{text}"),
                Some(Notice::WebhookOff(text)) => println!("Attention: {text}"),
                Some(Notice::UrlFollowed(url)) => println!("Kisi's webhook now points at {url}"),
                Some(Notice::Problem(text)) => println!("Problem: {text}"),
                None => return,
            },
        }
        let _ = std::io::stdout().flush();
    }
}

fn kisi_client_or_explain(secrets: &Secrets) -> Result<kisi::Client, String> {
    config::kisi_client(secrets).map_err(|e| e.to_string())?.ok_or_else(|| {
        format!(
            "no Kisi API key: set {} (Kisi dashboard → your profile → API keys) or save it in the desktop app's settings",
            kisi::ENV_API_KEY
        )
    })
}

pub(super) async fn backfill_command(db: &Path, args: BackfillArgs) -> CliResult {
    let secrets = Secrets::new(&settings::config_dir());
    let client = kisi_client_or_explain(&secrets)?;
    let store = Store::open(db, StoreOptions::default()).map_err(|e| e.to_string())?;
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

pub(super) async fn kisi_command(command: KisiCommand) -> CliResult {
    let secrets = Secrets::new(&settings::config_dir());
    let client = kisi_client_or_explain(&secrets)?;
    let settings_path = settings::default_path();
    let settings = Settings::load(&settings_path).map_err(|e| e.to_string())?;
    match command {
        KisiCommand::Setup { public_url } => {
            let domain = std::env::var(tunnel::ENV_DOMAIN).ok().unwrap_or_else(|| settings.tunnel.domain.clone());
            let public_url = public_url
                .or_else(|| (!domain.trim().is_empty()).then(|| format!("https://{}", domain.trim())))
                .or_else(|| (!settings.tunnel.public_url.trim().is_empty()).then(|| settings.tunnel.public_url.clone()))
                .ok_or_else(|| SetupError::NoPublicUrl.to_string())?;
            let outcome = online::set_up_kisi(&client, &public_url, &secrets, &settings_path, None)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "{} Kisi webhook {} → {}",
                if outcome.created { "Created" } else { "Repaired" },
                outcome.integration_id,
                outcome.url
            );
            if config::signing_key_is_from_env() {
                println!("Signed with the key in {ENV_SIGNING_KEY}.");
            } else {
                println!(
                    "A new signing key was saved for the receiver (restart a running `doorwatch serve` to use it)."
                );
            }
            Ok(ExitCode::SUCCESS)
        }
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
