//! Rules benchmark: what 100 alert rules cost the office, against no rules, measured in the same run.
//!
//! 1. *Ingest through the whole Doorwatch*: two `app::Doorwatch`es as `doorwatch serve` starts them
//!    (receiver, store, the alerts task that runs every stored event through the policy, the incident
//!    reminders), one with no `[[rule]]`, one with 100 read from a real `settings.toml`. The same load as
//!    `benches/ingest.rs` (32 keep-alive connections, signed unique bodies): a closed loop for throughput,
//!    then an open loop at 1,000 deliveries/s for p99. The rules run off the answering path, so the cost
//!    a person would notice is an alert that comes late, or not at all: after each closed loop one
//!    forced-open door is delivered and timed until its alert leaves the policy ("alert lag"), and every
//!    "the alert policy fell behind" warning (alerts lost to a full feed) is counted.
//! 2. *Rule evaluation per event*: the policy alone deciding 100,000 events, with no rules and with
//!    the same 100, in turns; the decisions must come out the same (none of the 100 rules matches, so
//!    every one of them is tried on every event: the worst case).
//!
//! Run with `make bench`.

#[path = "../tests/support/delivery.rs"]
mod delivery;
#[path = "support/load.rs"]
mod load;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use chrono::{DateTime, TimeZone, Utc};
use doorwatch::alert::rules::Rule;
use doorwatch::alert::zone::Zone;
use doorwatch::alert::{AlertPolicy, AlertSettings, Decision};
use doorwatch::app::{Doorwatch, StartOptions};
use doorwatch::config::settings::Settings;
use doorwatch::config::{env, Config, Environment, Flags};
use doorwatch::event::{Event, Source};
use doorwatch::store::StoredEvent;
use load::{Round, RATE};
use tokio::sync::mpsc;

const KEY: &str = "bench-signing-key";
const RULES: usize = 100;

fn main() {
    let closed_n: usize = env_or("DOORWATCH_BENCH_REQUESTS", 20_000);
    let rounds: usize = env_or("DOORWATCH_BENCH_ROUNDS", 3);
    let decisions: usize = env_or("DOORWATCH_BENCH_DECISIONS", 100_000);
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let warnings = Warnings::install();
    let rules = hundred_rules(dir.path());
    println!("# Rules benchmark");
    println!("{RULES} rules against none, {rounds} rounds, store on {}", dir.path().display());
    println!();

    let mut offices =
        [Office::start(dir.path(), "none", Vec::new()), Office::start(dir.path(), "rules", rules.clone())];
    let mut done: [Vec<OfficeRound>; 2] = [Vec::new(), Vec::new()];
    for round in 0..rounds {
        for (i, office) in offices.iter_mut().enumerate() {
            let before = warnings.fell_behind();
            let mut r = office.round(closed_n, round);
            r.fell_behind = warnings.fell_behind() - before;
            eprintln!(
                "round {round}: {} {:.0} req/s, p99 {:.2} ms, alert lag {:.1} ms, {} alerts, {} events unalerted",
                office.name, r.load.throughput, r.load.p99_ms, r.lag_ms, r.alerts, r.fell_behind
            );
            done[i].push(r);
        }
    }
    println!("| rules | throughput (req/s) | p50 at {RATE}/s | p99 at {RATE}/s | max at {RATE}/s | alert lag after {closed_n} | alerts lost |");
    println!("|---|---|---|---|---|---|---|");
    let mut medians = Vec::new();
    for (office, rounds) in offices.iter().zip(&done) {
        let m = Round::median(&rounds.iter().map(|r| r.load).collect::<Vec<_>>());
        let lag = load::median(rounds.iter().map(|r| r.lag_ms).collect());
        let lost: usize = rounds.iter().map(|r| r.fell_behind).sum();
        println!(
            "| {} | {:.0} | {:.2} ms | {:.2} ms | {:.2} ms | {lag:.1} ms | {lost} |",
            office.rule_count, m.throughput, m.p50_ms, m.p99_ms, m.max_ms
        );
        medians.push(m);
    }
    drop(offices);

    println!();
    let (none, with) = evaluation(&rules, decisions, rounds.max(5));
    println!("Rule evaluation, the policy alone, median of {} runs of {decisions} events:", rounds.max(5));
    println!("- no rules (the built-in ones only): {none:.0} ns per event");
    println!(
        "- {RULES} rules, none matching: {with:.0} ns per event ({:.0} ns per rule tried)",
        (with - none) / RULES as f64
    );
    println!();
    let (m0, m1) = (&medians[0], &medians[1]);
    println!("{RULES} rules / none, throughput:  {:.2}× (target ≥ 0.95×)", m1.throughput / m0.throughput);
    println!("{RULES} rules / none, p99 at {RATE}/s: {:.2}× (target ≤ 1.05×)", m1.p99_ms / m0.p99_ms);
}

/// A hundred rules of the four shapes people write, read from a real settings file: a room after hours
/// (critical), the cleaner's early refusals (silent), a door on weekends, repeated refusals (a count).
/// None of them matches the benchmark's Monday-morning unlocks at "Door 0".."Door 11", so each event
/// is tried against all of them.
fn hundred_rules(dir: &std::path::Path) -> Vec<Rule> {
    let mut text = String::from("# 100 rules for the benchmark\n");
    for k in 0..RULES {
        let door = format!("Door {}", k % 12);
        text.push_str(&match k % 4 {
            0 => format!(
                "[[rule]]\nname = \"Room {k} after hours\"\nwhen = [\"unlock_ok\", \"unlock_failed\", \"door_opened\"]\n\
                 doors = [\"Room {k}\", \"Room {k} annex\"]\ndays = [\"sat\", \"sun\"]\nhours = \"18:00-08:00\"\naction = \"critical\"\n\n"
            ),
            1 => format!(
                "[[rule]]\nname = \"Cleaner {k}\"\nwhen = [\"unlock_failed\"]\ndoors = [\"{door}\"]\n\
                 people = [\"Cleaner {k}\"]\nhours = \"05:00-07:00\"\naction = \"silent\"\n\n"
            ),
            2 => format!(
                "[[rule]]\nname = \"{door} on weekends {k}\"\nwhen = [\"unlock_ok\"]\ndoors = [\"{door}\"]\n\
                 days = [\"sat\", \"sun\"]\n\n"
            ),
            _ => format!(
                "[[rule]]\nname = \"Refusals at Room {k}\"\nwhen = [\"unlock_failed\"]\ndoors = [\"Room {k}\"]\n\
                 count = 5\nwithin_minutes = 10\n\n"
            ),
        });
    }
    let path = dir.join("hundred-rules.toml");
    std::fs::write(&path, text).unwrap();
    let rules = Settings::load(&path).expect("the benchmark's rules are valid").rules;
    assert_eq!(rules.len(), RULES);
    rules
}

/// One Doorwatch as `serve` runs it, on its own runtime; the load generator on another.
struct Office {
    name: &'static str,
    rule_count: usize,
    addr: SocketAddr,
    doorwatch: Doorwatch,
    /// The door of every alert the policy sends out.
    alerts: mpsc::UnboundedReceiver<Option<String>>,
    next_body: usize,
    client_rt: tokio::runtime::Runtime,
    server_rt: tokio::runtime::Runtime,
}

struct OfficeRound {
    load: Round,
    lag_ms: f64,
    alerts: usize,
    fell_behind: usize,
}

impl Office {
    fn start(dir: &std::path::Path, name: &'static str, rules: Vec<Rule>) -> Office {
        let server_rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
        let flags = Flags {
            db: Some(dir.join(format!("{name}.sqlite3"))),
            listen: Some("127.0.0.1:0".parse().unwrap()),
            relaxed_durability: None,
        };
        let env = Environment::from_pairs([(env::SECRETS, "file"), (env::SIGNING_KEY, KEY)]);
        let rule_count = rules.len();
        let settings = Settings { rules, ..Settings::default() };
        let config = Config::resolve(&flags, env, settings, dir.join(format!("{name}.toml"))).unwrap();
        let (tx, alerts) = mpsc::unbounded_channel();
        let doorwatch = server_rt.block_on(async {
            let (doorwatch, mut outputs) = Doorwatch::start(config, flags, None, StartOptions { tunnel: false }).await;
            tokio::spawn(async move {
                while let Some(alert) = outputs.alerts.recv().await {
                    let _ = tx.send(alert.door);
                }
            });
            doorwatch
        });
        let addr = doorwatch.with_receiver(|r| r.addr()).expect("the receiver started");
        let client_rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        Office { name, rule_count, addr, doorwatch, alerts, next_body: 0, client_rt, server_rt }
    }

    /// The closed loop, the alert lag behind it, then the open loop.
    fn round(&mut self, n: usize, round: usize) -> OfficeRound {
        let count = n + Round::open_loop_bodies();
        let bodies = Arc::new(load::signed_bodies(self.name, self.next_body, count, KEY));
        self.next_body += count;
        while self.alerts.try_recv().is_ok() {}
        let (addr, alerts) = (self.addr, &mut self.alerts);
        self.client_rt.block_on(async {
            let throughput = load::closed_loop(addr, bodies.clone(), 0, n).await;
            let sentinel = format!("Sentinel {round}");
            let mut sender = load::connect(addr).await;
            load::send(&mut sender, addr, &forced_open(self.name, &sentinel)).await;
            let stored = Instant::now();
            let mut seen = 0;
            loop {
                let door = tokio::time::timeout(Duration::from_secs(60), alerts.recv())
                    .await
                    .expect("the sentinel's alert within a minute")
                    .expect("the alerts channel is open");
                seen += 1;
                if door.as_deref() == Some(sentinel.as_str()) {
                    break;
                }
            }
            let lag_ms = stored.elapsed().as_secs_f64() * 1000.0;
            let load = Round::of(throughput, load::open_loop(addr, bodies, n).await);
            OfficeRound { load, lag_ms, alerts: seen, fell_behind: 0 }
        })
    }
}

impl Drop for Office {
    fn drop(&mut self) {
        self.server_rt.block_on(self.doorwatch.stop());
    }
}

/// A door forced open, which the built-in rules alert on whatever else is going on.
fn forced_open(prefix: &str, door: &str) -> load::Signed {
    let body = serde_json::json!({
        "uuid": format!("bench-{prefix}-{door}"), "type": "lock.forced_open", "object_type": "Lock",
        "object_name": door, "success": true, "created_at": Utc::now().to_rfc3339(),
    })
    .to_string();
    let signature = delivery::signature(KEY, body.as_bytes());
    (Bytes::from(body), signature)
}

/// Nanoseconds per decision with no rules and with `rules`, each the median of `runs`, in turns.
fn evaluation(rules: &[Rule], n: usize, runs: usize) -> (f64, f64) {
    let now = Utc.with_ymd_and_hms(2026, 11, 2, 10, 0, 0).unwrap();
    let zone = Zone::from_name(Some("Europe/Berlin"));
    let events: Vec<StoredEvent> = load::signed_bodies("eval", 0, n, KEY)
        .iter()
        .enumerate()
        .map(|(i, (body, _))| StoredEvent {
            id: i as i64 + 1,
            received_at: now.timestamp_millis(),
            verified: true,
            source: Source::Webhook,
            duplicates: 0,
            claimed_created_at: None,
            event: Event::from_json(body).unwrap(),
        })
        .collect();
    let (mut none, mut with) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let (t0, d0) = decide_all(&[], &events, &zone, now);
        let (t1, d1) = decide_all(rules, &events, &zone, now);
        assert_eq!(d0, d1, "no rule matches, so the built-in rules decide alike");
        none.push(t0);
        with.push(t1);
    }
    (load::median(none), load::median(with))
}

/// Runs every event through a fresh policy; nanoseconds per event, and what was decided (in words).
fn decide_all(rules: &[Rule], events: &[StoredEvent], zone: &Zone, now: DateTime<Utc>) -> (f64, Vec<String>) {
    let mut policy = AlertPolicy::with_rules(AlertSettings::default(), rules.to_vec());
    let mut decisions = Vec::with_capacity(events.len());
    let start = Instant::now();
    for e in events {
        let decision = zone.decide(&mut policy, e, now);
        decisions.push(match decision {
            Decision::Notify(alert) => alert.title,
            Decision::Silent(why) => format!("{why:?}"),
        });
    }
    let ns = start.elapsed().as_nanos() as f64 / events.len() as f64;
    (ns, decisions)
}

/// Collects the warnings (and shows them): the alerts task's "fell behind" ones count events whose
/// alerts were lost because the policy did not keep up with the store's feed.
#[derive(Clone, Default)]
struct Warnings(Arc<Mutex<Vec<u8>>>);

impl Warnings {
    fn install() -> Warnings {
        let w = Warnings::default();
        tracing_subscriber::fmt().with_max_level(tracing::Level::WARN).with_ansi(false).with_writer(w.clone()).init();
        w
    }

    /// The events left unalerted so far, by the warnings' `missed=` counts.
    fn fell_behind(&self) -> usize {
        let text = String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned();
        text.lines()
            .filter(|line| line.contains("fell behind"))
            .filter_map(|line| line.split("missed=").nth(1)?.split_whitespace().next()?.parse::<usize>().ok())
            .sum()
    }
}

impl std::io::Write for Warnings {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        std::io::stderr().write_all(buf)?;
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Warnings {
    type Writer = Warnings;
    fn make_writer(&'a self) -> Warnings {
        self.clone()
    }
}

fn env_or(var: &str, default: usize) -> usize {
    std::env::var(var).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}
