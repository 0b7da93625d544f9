//! The alert policy: which stored events tap the office manager on the shoulder, and how, decided as a
//! pure function of the event, the settings, what was alerted before, and the clock passed in. The
//! desktop shell only shows what this decides, so every rule here is tested without a display or a
//! notification daemon.
//!
//! The first rule that matches decides: the user's rules ([`rules`]) in their order, then the built-in
//! ones ([`builtin`]); an event no rule matches is silent. Noise control: a rule can ask for a count
//! within a window; a burst of failures at one door (by default three within a minute) becomes one
//! summary that is updated rather than repeated; an event already alerted on never alerts again;
//! pausing, muting a door and quiet hours silence alerts, except a critical rule's; events that happened
//! long ago (found by a backfill) do not interrupt anyone.

pub mod builtin;
mod decision;
mod flood;
pub mod incident;
mod policy_text;
pub mod rules;
mod settings;
pub mod summary;
pub mod text;
pub mod zone;

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};

use crate::event::{EventKind, Source};
use crate::store::StoredEvent;
use builtin::Builtin;
pub use decision::{Alert, Decision, Silence};
pub use flood::{FLOOD_KEY, UNVERIFIED_ALERTS_PER_MINUTE};
pub use policy_text::what_happened;
use rules::{Rule, RuleAction};
pub use settings::{silence_warning, AlertSettings};

/// The next local midnight after `now` (in `now`'s zone), for "Pause alerts until tomorrow"; a day
/// later when that midnight does not exist (a DST change at midnight).
pub fn next_local_midnight<Tz: TimeZone>(now: &DateTime<Tz>) -> DateTime<Utc> {
    let midnight = (now.date_naive() + chrono::Days::new(1)).and_hms_opt(0, 0, 0).expect("midnight exists");
    now.timezone()
        .from_local_datetime(&midnight)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| now.with_timezone(&Utc) + chrono::Duration::hours(24))
}

/// Backfilled events (found after the laptop slept) that happened longer ago than this are stored and
/// shown, but do not raise a notification.
pub const STALE_AFTER: Duration = Duration::from_secs(15 * 60);

/// How many alerted uuids are remembered to keep a re-delivery from alerting twice.
const REMEMBERED: usize = 4096;

/// The policy with its memory. One per app.
#[derive(Debug, Default)]
pub struct AlertPolicy {
    settings: AlertSettings,
    /// The user's rules, tried before the built-in ones.
    rules: Vec<Rule>,
    /// Recent matches per (rule, door), for rules with a count.
    counts: HashMap<(String, String), VecDeque<DateTime<Utc>>>,
    /// The words of recent decisions, by event uuid, for the details panel.
    explained: HashMap<String, String>,
    explained_order: VecDeque<String>,
    paused_until: Option<DateTime<Utc>>,
    muted: HashMap<String, DateTime<Utc>>,
    /// Recent failure times per door, for burst detection.
    failures: HashMap<String, VecDeque<DateTime<Utc>>>,
    seen: HashSet<String>,
    seen_order: VecDeque<String>,
    flood: flood::FloodGate,
}

/// The rule that decides an event: one of the user's, or a built-in one (which may be switched off).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Matched {
    User(Rule),
    Builtin(Builtin),
}

impl AlertPolicy {
    pub fn new(settings: AlertSettings) -> AlertPolicy {
        AlertPolicy { settings, ..AlertPolicy::default() }
    }

    pub fn with_rules(settings: AlertSettings, rules: Vec<Rule>) -> AlertPolicy {
        AlertPolicy { settings, rules, ..AlertPolicy::default() }
    }

    pub fn settings(&self) -> &AlertSettings {
        &self.settings
    }

    pub fn set_settings(&mut self, settings: AlertSettings) {
        self.settings = settings;
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// New rules; counting starts again (a count belongs to the rule it was made for).
    pub fn set_rules(&mut self, rules: Vec<Rule>) {
        if rules != self.rules {
            self.rules = rules;
            self.counts.clear();
        }
    }

    /// No alerts until `until`.
    pub fn pause_until(&mut self, until: DateTime<Utc>) {
        self.paused_until = Some(until);
    }

    pub fn resume(&mut self) {
        self.paused_until = None;
    }

    /// When alerts are paused, until when.
    pub fn paused_until(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.paused_until.filter(|t| *t > now)
    }

    /// No alerts for `door` until `until`.
    pub fn mute_door(&mut self, door: &str, until: DateTime<Utc>) {
        self.muted.insert(door.to_owned(), until);
    }

    /// The first rule that matches the event happening at local `weekday` and `time`: the user's in
    /// order, then the built-in ones.
    pub fn matching_rule(
        &self,
        e: &crate::event::Event,
        weekday: chrono::Weekday,
        time: chrono::NaiveTime,
    ) -> Option<Matched> {
        if let Some(rule) = self.rules.iter().find(|r| r.matches(e, weekday, time)) {
            return Some(Matched::User(rule.clone()));
        }
        builtin::builtins(&self.settings).into_iter().find(|b| b.rule.matches(e, weekday, time)).map(Matched::Builtin)
    }

    /// What was decided about a recent event, in words (`None` once it is forgotten, or never seen).
    pub fn explanation(&self, uuid: &str) -> Option<&str> {
        self.explained.get(uuid).map(String::as_str)
    }

    /// Decides about one newly stored event. `now` carries the local time zone (the Kisi place's, or
    /// the computer's): the rules' days and hours, quiet hours and the times written in the alert.
    pub fn decide<Tz: TimeZone>(&mut self, stored: &StoredEvent, now: DateTime<Tz>) -> Decision
    where
        Tz::Offset: std::fmt::Display,
    {
        let decision = self.decide_unexplained(stored, now);
        let uuid = &stored.event.uuid;
        if self.explained.insert(uuid.clone(), decision.explain()).is_none() {
            self.explained_order.push_back(uuid.clone());
            if self.explained_order.len() > REMEMBERED {
                if let Some(old) = self.explained_order.pop_front() {
                    self.explained.remove(&old);
                }
            }
        }
        decision
    }

    fn decide_unexplained<Tz: TimeZone>(&mut self, stored: &StoredEvent, now: DateTime<Tz>) -> Decision
    where
        Tz::Offset: std::fmt::Display,
    {
        let e = &stored.event;
        let Some((weekday, time)) = rules::local_moment(stored.time(), &now.timezone()) else {
            return Decision::Silent(Silence::NotAlerting);
        };
        let (rule, category) = match self.matching_rule(e, weekday, time) {
            None => return Decision::Silent(Silence::NotAlerting),
            Some(Matched::User(rule)) => (rule, None),
            Some(Matched::Builtin(b)) if !b.enabled => {
                return Decision::Silent(Silence::SwitchedOff { rule: b.rule.name, setting: b.setting })
            }
            Some(Matched::Builtin(b)) => (b.rule, Some(b.category)),
        };
        if rule.action == RuleAction::Silent {
            return Decision::Silent(Silence::SilentRule(rule.name));
        }
        if !self.remember(&e.uuid) {
            return Decision::Silent(Silence::AlreadyAlerted);
        }
        let utc = now.with_timezone(&Utc);
        // Only what a backfill found can be old news. A webhook delivery is live whatever its
        // `created_at` says: Kisi's clock and this laptop's differ, and a clock 15 minutes fast must not
        // silence every alert.
        let age = utc.timestamp_millis() - stored.time();
        if stored.source == Source::Backfill && age > STALE_AFTER.as_millis() as i64 {
            return Decision::Silent(Silence::Stale);
        }
        let door = e.object_name.clone();
        // Counts and bursts are counted even while silenced, so a summary after a pause tells the whole
        // story.
        let seen = if rule.count > 1 { self.count_match(&rule, door.as_deref(), utc) } else { 1 };
        if seen < rule.count {
            let (needed, within_minutes) = (rule.count, rule.within_minutes);
            return Decision::Silent(Silence::Counting { rule: rule.name, seen, needed, within_minutes });
        }
        let burst = if e.kind == EventKind::UnlockFailed && rule.count == 1 {
            self.count_failure(door.as_deref(), utc)
        } else {
            0
        };
        let critical = rule.action == RuleAction::Critical;
        if let Some(why) = self.holding_back(door.as_deref(), &now).filter(|_| !critical) {
            return Decision::Silent(why);
        }
        let at = DateTime::<Utc>::from_timestamp_millis(stored.time())
            .map(|t| t.with_timezone(&now.timezone()).format("%H:%M").to_string())
            .unwrap_or_default();
        let said = policy_text::Said { rule: &rule, category, at, burst, seen };
        let alert = said.alert(e, &self.settings);
        if !stored.unverified() {
            return Decision::Notify(alert);
        }
        match self.flood.admit(utc) {
            flood::Gate::Pass => Decision::Notify(flood::mark_unverified(alert)),
            flood::Gate::Summary => Decision::Notify(flood::summary()),
            flood::Gate::Hold => Decision::Silent(Silence::UnverifiedFlood),
        }
    }

    /// Why an alert about `door` would not be shown at `now` (a pause, a muted door, quiet hours),
    /// or `None` when it would be. Critical rules ignore this; an incident's repeats respect it.
    pub fn holding_back<Tz: TimeZone>(&self, door: Option<&str>, now: &DateTime<Tz>) -> Option<Silence> {
        let utc = now.with_timezone(&Utc);
        if self.paused_until(utc).is_some() {
            return Some(Silence::Paused);
        }
        if door.is_some_and(|d| self.muted.get(d).is_some_and(|until| *until > utc)) {
            return Some(Silence::DoorMuted);
        }
        self.in_quiet_hours(now).then_some(Silence::QuietHours)
    }

    /// Remembers `uuid`; false if it was already remembered.
    fn remember(&mut self, uuid: &str) -> bool {
        if !self.seen.insert(uuid.to_owned()) {
            return false;
        }
        self.seen_order.push_back(uuid.to_owned());
        if self.seen_order.len() > REMEMBERED {
            if let Some(old) = self.seen_order.pop_front() {
                self.seen.remove(&old);
            }
        }
        true
    }

    /// Records a match of a counting rule at `door`; how many fell within its window.
    fn count_match(&mut self, rule: &Rule, door: Option<&str>, now: DateTime<Utc>) -> u32 {
        let window = chrono::Duration::minutes(i64::from(rule.within_minutes));
        let key = (rule.name.clone(), door.unwrap_or_default().to_lowercase());
        let times = self.counts.entry(key).or_default();
        times.push_back(now);
        while times.front().is_some_and(|t| now - *t >= window) {
            times.pop_front();
        }
        times.len() as u32
    }

    /// Records a failure at `door` and returns how many fell within the burst window.
    fn count_failure(&mut self, door: Option<&str>, now: DateTime<Utc>) -> u32 {
        let window = chrono::Duration::seconds(self.settings.burst_window_secs as i64);
        let times = self.failures.entry(door.unwrap_or_default().to_owned()).or_default();
        times.push_back(now);
        while times.front().is_some_and(|t| now - *t > window) {
            times.pop_front();
        }
        times.len() as u32
    }

    fn in_quiet_hours<Tz: TimeZone>(&self, now: &DateTime<Tz>) -> bool {
        let (Some(from), Some(until)) = (self.settings.quiet_from, self.settings.quiet_until) else {
            return false;
        };
        from != until && rules::Hours { from, until }.contains(now.time())
    }
}
