//! The `[[rule]]` tables at the end of `settings.toml`, written with a comment that explains the format
//! (and, while there are none, an example to copy), so the file stays the place a person can read and
//! edit their rules.

use crate::alert::rules::Rule;
use toml::Value;

const HEAD: &str = r#"
# Alert rules, tried in order before the built-in ones; the first that matches an event decides it.
# (Settings → Alerts edits them too, and shows the built-in rules below yours.) Each field may be left out:
#   name           the rule's name, shown in the alert and in "why did this alert?"
#   when           event kinds: unlock_ok, unlock_failed, door_opened, held_open, forced_open, door_closed,
#                  login, remote_unlock, other — empty means any
#   types          Kisi event types such as "reader.tamper", for events no kind names
#   doors          door names, exact, any case — empty means every door
#   people         people as the timeline shows them — empty means anyone
#   days           mon tue wed thu fri sat sun — empty means every day
#   hours          local time, "18:00-08:00" wraps past midnight — empty means all day
#   count          fire when this many match at one door ...
#   within_minutes ... within this window (0: each match fires)
#   action         alert | critical (breaks through quiet hours, pause and mute) | silent
"#;

const EXAMPLE: &str = r#"#
# For example:
# [[rule]]
# name = "Server room after hours"
# when = ["unlock_ok", "unlock_failed", "door_opened"]
# doors = ["Server room"]
# days = ["sat", "sun"]
# hours = "18:00-08:00"
# action = "critical"
"#;

/// The rules as commented TOML.
pub(super) fn commented(rules: &[Rule]) -> String {
    let mut text = HEAD.to_owned();
    if rules.is_empty() {
        text.push_str(EXAMPLE);
    }
    let strings = |list: &[String]| Value::Array(list.iter().map(|s| Value::String(s.clone())).collect()).to_string();
    for rule in rules {
        let when: Vec<String> = rule.when.iter().map(|k| k.as_str().to_owned()).collect();
        let days: Vec<String> = rule.days.iter().map(|d| d.as_str().to_owned()).collect();
        text.push_str(&format!("\n# {}\n[[rule]]\n", one_line(&rule.describe())));
        text.push_str(&format!("name = {}\n", Value::String(rule.name.clone())));
        text.push_str(&format!("when = {}\n", strings(&when)));
        if !rule.types.is_empty() {
            text.push_str(&format!("types = {}\n", strings(&rule.types)));
        }
        text.push_str(&format!("doors = {}\n", strings(&rule.doors)));
        text.push_str(&format!("people = {}\n", strings(&rule.people)));
        text.push_str(&format!("days = {}\n", strings(&days)));
        text.push_str(&format!("hours = {}\n", Value::String(rule.hours.clone())));
        text.push_str(&format!("count = {}\nwithin_minutes = {}\n", rule.count, rule.within_minutes));
        text.push_str(&format!("action = {}\n", Value::String(rule.action.as_str().to_owned())));
    }
    text
}

/// A sentence made safe for a `#` comment: a name with a line break in it cannot end the comment.
fn one_line(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}
