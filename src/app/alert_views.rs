//! What the window shows of the alert policy, as values: the rules in words (the user's, each with
//! its problem if it has one, then the built-in ones), why an event did or did not alert, and the door
//! incidents. The sentences are the core's; the window never words a rule itself.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{lock, Doorwatch};
use crate::alert::rules::{self, Rule};
use crate::alert::{builtin, AlertPolicy, AlertSettings};
use crate::store::{Incident, StoreError};

/// One of the user's rules, in words.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct RuleLine {
    pub name: String,
    /// "Alert when someone unlocks at Server room on Saturday or Sunday, 18:00–08:00".
    pub sentence: String,
    /// What is wrong with it (`rule "X": hours: …`), when something is: it cannot be saved so.
    pub problem: Option<String>,
}

/// A built-in rule, in words, and whether it is switched on.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct BuiltinLine {
    pub name: String,
    pub sentence: String,
    pub enabled: bool,
    /// The `[alerts]` switch that turns it off (`alerts.held_open`).
    pub setting: String,
}

/// Every rule in the order they are tried, and the zone their days and hours are in.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct RulesView {
    pub zone: String,
    pub rules: Vec<RuleLine>,
    pub builtins: Vec<BuiltinLine>,
    /// A problem of the list as a whole (two rules with one name).
    pub problem: Option<String>,
}

/// Door incidents: the open ones, and the latest of all.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct IncidentsView {
    pub open: Vec<Incident>,
    pub recent: Vec<Incident>,
}

/// The morning summary as the window shows it: the same words as the notification, and its period.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct NightView {
    pub title: String,
    pub line: String,
    #[ts(type = "number")]
    pub since: i64,
    #[ts(type = "number")]
    pub until: i64,
}

/// How many incidents the window lists.
const RECENT_INCIDENTS: usize = 200;

impl Doorwatch {
    /// `rules` and `alerts` as the Settings panel edits them (not yet saved, maybe not yet valid: each
    /// rule is read on its own, so one with a problem says so without hiding the others), in words.
    pub fn rules_view(&self, rules: &[serde_json::Value], alerts: &AlertSettings) -> RulesView {
        let mut valid = Vec::new();
        let lines = rules
            .iter()
            .map(|raw| match serde_json::from_value::<Rule>(raw.clone()) {
                Ok(rule) => {
                    let line = RuleLine { name: rule.name.clone(), sentence: rule.describe(), problem: None };
                    valid.push(rule);
                    line
                }
                Err(e) => RuleLine {
                    name: raw.get("name").and_then(|n| n.as_str()).unwrap_or_default().to_owned(),
                    sentence: String::new(),
                    problem: Some(e.to_string()),
                },
            })
            .collect();
        let builtins = builtin::builtins(alerts)
            .iter()
            .map(|b| BuiltinLine {
                name: b.rule.name.clone(),
                sentence: builtin::describe(b, alerts),
                enabled: b.enabled,
                setting: b.setting.to_owned(),
            })
            .collect();
        RulesView { zone: self.zone().describe(), rules: lines, builtins, problem: rules::validate(&valid).err() }
    }

    /// Why an event did or did not alert: as decided when it arrived, or, for an event decided before
    /// this start, what today's rules say about it at its own time.
    pub fn why(&self, uuid: &str) -> Result<Option<String>, StoreError> {
        if let Some(said) = self.explanation(uuid) {
            return Ok(Some(said));
        }
        let Some(stored) = self.read(|r| r.event(uuid))? else { return Ok(None) };
        let mut policy = {
            let live = lock(&self.inner.policy);
            AlertPolicy::with_rules(live.settings().clone(), live.rules().to_vec())
        };
        let at = DateTime::<Utc>::from_timestamp_millis(stored.time()).unwrap_or_else(Utc::now);
        let decision = self.zone().decide(&mut policy, &stored, at);
        Ok(Some(format!("by today's rules, {}", decision.explain())))
    }

    /// The night since the last workday's closing time, in the morning summary's words.
    pub fn night_view(&self) -> Result<NightView, StoreError> {
        let night = self.night(None)?;
        Ok(NightView { title: night.title(), line: night.line(), since: night.since, until: night.until })
    }

    pub fn incidents_view(&self) -> Result<IncidentsView, StoreError> {
        self.read(|r| Ok(IncidentsView { open: r.open_incidents()?, recent: r.recent_incidents(RECENT_INCIDENTS)? }))
    }
}
