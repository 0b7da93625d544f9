//! `doorwatch rules list` and `doorwatch rules test`: every rule in words, and which rule an event
//! would meet — the same policy, rules and local time zone the running Doorwatch uses.

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use clap::Subcommand;

use super::terminal::visible;
use super::CliResult;
use crate::alert::builtin;
use crate::alert::zone::{self, Zone};
use crate::alert::{AlertPolicy, Decision};
use crate::config::Config;
use crate::event::{Event, Source};
use crate::store::{Reader, StoredEvent};

#[derive(Subcommand, Debug)]
pub(super) enum RulesCommand {
    /// Print every alert rule in words: yours in order, then the built-in ones
    List,
    /// Say which rule an event meets and what it does, or why it stays silent
    Test {
        /// A Kisi event as JSON (a webhook body, or a line of `doorwatch events --json`)
        #[arg(long, value_name = "FILE.json")]
        event: PathBuf,
        /// When it happens [default: the event's created_at, else now]
        #[arg(long, value_name = "RFC3339", value_parser = parse_at)]
        at: Option<DateTime<Utc>>,
    },
}

fn parse_at(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| format!("{text:?} is not a time like 2026-12-05T20:15:00+01:00"))
}

pub(super) fn rules_command(config: &Config, command: RulesCommand) -> CliResult {
    let zone = office_zone(config);
    let settings = &config.settings;
    match command {
        RulesCommand::List => {
            println!("Times are in {}. The first rule that matches an event decides it.", zone.describe());
            if settings.rules.is_empty() {
                println!("\nYour rules: none (add them in Settings → Alerts, or as [[rule]] in settings.toml)");
            } else {
                println!("\nYour rules:");
                for (i, rule) in settings.rules.iter().enumerate() {
                    println!("{:>3}. {}: {}", i + 1, visible(&rule.name), visible(&rule.describe()));
                }
            }
            println!("\nBuilt-in rules, after yours:");
            for b in builtin::builtins(&settings.alerts) {
                println!("   - {}: {}", b.rule.name, builtin::describe(&b, &settings.alerts));
            }
            println!("   - anything else: stay silent");
            Ok(ExitCode::SUCCESS)
        }
        RulesCommand::Test { event, at } => {
            let body = std::fs::read(&event).map_err(|e| format!("cannot read {}: {e}", event.display()))?;
            let mut parsed =
                Event::from_json(&body).map_err(|e| format!("{} is not a Kisi event: {e}", event.display()))?;
            let at =
                at.or_else(|| parsed.created_at.and_then(DateTime::from_timestamp_millis)).unwrap_or_else(Utc::now);
            parsed.created_at = Some(at.timestamp_millis());
            let stored = StoredEvent {
                id: 0,
                received_at: at.timestamp_millis(),
                verified: true,
                source: Source::Webhook,
                duplicates: 0,
                claimed_created_at: None,
                event: parsed,
            };
            let mut policy = AlertPolicy::with_rules(settings.alerts.clone(), settings.rules.clone());
            let decision = zone.decide(&mut policy, &stored, at);
            println!("{}", visible(&decision.explain()));
            if let Decision::Notify(alert) = &decision {
                println!("  {}", visible(&alert.title));
                println!("  {}", visible(&alert.body));
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The zone the running Doorwatch would use: the place's, as the store remembers it, else this
/// computer's.
pub(super) fn office_zone(config: &Config) -> Zone {
    let name = Reader::open(&config.db).ok().and_then(|r| r.meta(zone::META_KEY).ok().flatten());
    Zone::from_name(name.as_deref())
}
