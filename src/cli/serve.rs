//! `doorwatch serve`: the running Doorwatch in a terminal, printing one line per stored event, one
//! `ALERT …` line per alert and what the upkeep reports, until Ctrl-C or SIGTERM stops it gracefully.

use std::io::Write;
use std::process::ExitCode;

use tokio::sync::broadcast::error::RecvError;

use super::kisi_commands::print_online;
use super::terminal::visible;
use super::{event_line, CliResult, ServeArgs, Tunnel};
use crate::alert::Alert;
use crate::app::{Doorwatch, StartOptions};
use crate::config::{env, Config, Flags};
use crate::store::{StoredEvent, Synchronous};

pub(super) async fn serve(config: Config, flags: Flags, args: ServeArgs) -> CliResult {
    let secrets = config.secrets();
    if args.tunnel == Tunnel::Ngrok && config.ngrok_authtoken(&secrets).map_err(|e| e.to_string())?.is_none() {
        return Err(format!(
            "--tunnel ngrok needs an ngrok authtoken: set {} (get one free at dashboard.ngrok.com → Your \
             Authtoken) or save it in the desktop app's settings",
            env::NGROK_AUTHTOKEN
        ));
    }
    let has_kisi_key = config.kisi_client(&secrets).map_err(|e| e.to_string())?.is_some();
    let db = config.db.clone();
    let durability = config.durability;
    let stop = StopSignal::install();
    let options = StartOptions { tunnel: args.tunnel == Tunnel::Ngrok };
    let (doorwatch, outputs) = Doorwatch::start(config, flags, None, options).await;
    let not_receiving = doorwatch.running().borrow().receiver_error.clone();
    if let Some(e) = not_receiving {
        doorwatch.stop().await;
        return Err(e);
    }
    let (local_url, slot) = doorwatch.with_receiver(|r| (r.local_url(), r.key_slot())).expect("the receiver started");
    println!("Doorwatch is receiving on {local_url}");
    println!("Database: {}", db.display());
    if durability == Synchronous::Normal {
        println!("Durability: relaxed (no fsync per commit; a power cut may lose the last events acknowledged)");
    }
    if let Some(why) = slot.unreadable() {
        println!(
            "Signature check: the key cannot be read ({}) — deliveries are refused with 503 (Kisi retries) \
             until it can; Doorwatch keeps trying.",
            visible(&why)
        );
    } else if slot.is_set() {
        println!("Signature check: on");
    } else if slot.refuses_unsigned() {
        println!(
            "Signature check: no key, and this receiver is public — unsigned deliveries are REFUSED (401). Set {} \
             to the signature key of your Kisi integration (or run `doorwatch kisi setup`), or set \
             tunnel.accept_unsigned = true in settings.toml to store them as unverified.",
            env::SIGNING_KEY
        );
    } else {
        println!(
            "Signature check: OFF — events are stored as unverified{}. Set {} to the signature key of your Kisi \
             integration (or run `doorwatch kisi setup`) to turn it on.",
            if slot.is_public() { ", at most 120 a minute, although this receiver is public" } else { "" },
            env::SIGNING_KEY
        );
    }
    if !has_kisi_key {
        println!("Kisi API: no key ({}), so no backfill after sleep or webhook health checks", env::KISI_API_KEY);
    }
    println!("Press Ctrl-C to stop.");
    let _ = std::io::stdout().flush();

    let printer = tokio::spawn(print_events(outputs.events.expect("the receiver started")));
    let alerts = tokio::spawn(print_alerts(outputs.alerts));
    let reporter = tokio::spawn(print_online(doorwatch.running(), outputs.notices));
    stop.wait().await;
    reporter.abort();
    alerts.abort();
    doorwatch.stop().await;
    printer.abort();
    println!("Stopped. Every acknowledged event is saved.");
    Ok(ExitCode::SUCCESS)
}

/// One `ALERT <rule name>: <title> — <body>` line per alert the policy raised (`ALERT <title>: <body>` for
/// what Doorwatch says about itself).
async fn print_alerts(mut alerts: tokio::sync::mpsc::UnboundedReceiver<Alert>) {
    while let Some(alert) = alerts.recv().await {
        println!("ALERT {}", visible(&alert.line()));
        let _ = std::io::stdout().flush();
    }
}

async fn print_events(mut feed: tokio::sync::broadcast::Receiver<std::sync::Arc<StoredEvent>>) {
    loop {
        match feed.recv().await {
            Ok(event) => {
                println!("{}", event_line(&event));
                let _ = std::io::stdout().flush();
            }
            Err(RecvError::Lagged(n)) => println!("… {n} more events stored (see `doorwatch events`)"),
            Err(RecvError::Closed) => return,
        }
    }
}

/// Ctrl-C, or SIGTERM on Unix (what service managers and `kill` send). Installed before the receiver
/// starts, so a stop that arrives at any moment after is a graceful one, never the default "die now".
struct StopSignal {
    #[cfg(unix)]
    term: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    int: Option<tokio::signal::unix::Signal>,
}

impl StopSignal {
    fn install() -> StopSignal {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            StopSignal { term: signal(SignalKind::terminate()).ok(), int: signal(SignalKind::interrupt()).ok() }
        }
        #[cfg(not(unix))]
        StopSignal {}
    }

    async fn wait(self) {
        #[cfg(unix)]
        {
            let mut this = self;
            let term = async {
                match this.term.as_mut() {
                    Some(s) => drop(s.recv().await),
                    None => std::future::pending::<()>().await,
                }
            };
            let int = async {
                match this.int.as_mut() {
                    Some(s) => drop(s.recv().await),
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! { _ = term => {}, _ = int => {} }
        }
        #[cfg(not(unix))]
        {
            let _ = self;
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
