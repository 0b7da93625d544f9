//! The built-in rules that come after the user's: today's behaviour, as rules the user can see in
//! Settings and override with a rule of their own above them. Refused unlocks alert (bursts fold into
//! one summary); held open, forced open and tampering alert; Kisi switching the webhook off alerts;
//! everything else is silent. Each can be switched off in `[alerts]`.

use super::rules::{Rule, RuleAction};
use super::AlertSettings;
use crate::event::EventKind;

/// Which of the built-in rules a rule is; its alert keeps the wording people know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    FailedUnlock,
    HeldOpen,
    ForcedOpen,
    Tamper,
    IntegrationDisabled,
}

const TAMPER_TYPES: [&str; 4] =
    ["reader.tamper", "controller.tamper", "controller_input.tamper", "wireless_lock.tampered"];

/// One built-in rule, and whether `[alerts]` has it switched on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Builtin {
    pub rule: Rule,
    pub category: Category,
    pub enabled: bool,
    /// The `[alerts]` switch that turns it off.
    pub setting: &'static str,
}

/// The built-in rules, in the order they are tried.
pub fn builtins(settings: &AlertSettings) -> Vec<Builtin> {
    let rule = |name: &str, when: &[EventKind], types: &[&str]| Rule {
        name: name.to_owned(),
        when: when.to_vec(),
        types: types.iter().map(|t| (*t).to_owned()).collect(),
        doors: Vec::new(),
        people: Vec::new(),
        days: Vec::new(),
        hours: String::new(),
        count: 1,
        within_minutes: 0,
        action: RuleAction::Alert,
    };
    vec![
        Builtin {
            rule: rule("Refused unlocks", &[EventKind::UnlockFailed], &[]),
            category: Category::FailedUnlock,
            enabled: settings.failed_unlocks,
            setting: "alerts.failed_unlocks",
        },
        Builtin {
            rule: rule("Door held open", &[EventKind::HeldOpen], &[]),
            category: Category::HeldOpen,
            enabled: settings.held_open,
            setting: "alerts.held_open",
        },
        Builtin {
            rule: rule("Door forced open", &[EventKind::ForcedOpen], &[]),
            category: Category::ForcedOpen,
            enabled: settings.forced_open,
            setting: "alerts.forced_open",
        },
        Builtin {
            rule: rule("Tampering", &[], &TAMPER_TYPES),
            category: Category::Tamper,
            enabled: settings.tamper,
            setting: "alerts.tamper",
        },
        Builtin {
            rule: rule("Kisi switched the webhook off", &[], &["integration.disable_due_to_error"]),
            category: Category::IntegrationDisabled,
            enabled: settings.integration_disabled,
            setting: "alerts.integration_disabled",
        },
    ]
}

/// What [`builtins`] means in a sentence, for the Settings list and `doorwatch rules list`.
pub fn describe(builtin: &Builtin, settings: &AlertSettings) -> String {
    let mut text = builtin.rule.describe();
    if builtin.category == Category::FailedUnlock {
        text.push_str(&format!(
            "; {} or more at one door within {} s become one summary that updates",
            settings.burst_threshold, settings.burst_window_secs
        ));
    }
    if !builtin.enabled {
        text.push_str(&format!(" (switched off: {} = false)", builtin.setting));
    }
    text
}
