//! The user's alert rules (`[[rule]]` in `settings.toml`): which events tell the office manager, which
//! stay quiet, and which break through quiet hours. A rule is data: it is read (and refused with a
//! message naming the rule and the field) here, matched here against one event at its local time, and
//! put into words here for Settings and `doorwatch rules list`. Counting and everything with memory is
//! the policy's ([`super::AlertPolicy`]).

use chrono::{Datelike, NaiveTime, Weekday};
use serde::{Deserialize, Serialize};

use crate::event::{Event, EventKind};

/// What a matching rule does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum RuleAction {
    /// A notification, unless paused, muted or in quiet hours.
    Alert,
    /// A notification that breaks through quiet hours, a pause and a muted door.
    Critical,
    /// Nothing: the event is only in the timeline.
    Silent,
}

impl RuleAction {
    pub fn as_str(self) -> &'static str {
        match self {
            RuleAction::Alert => "alert",
            RuleAction::Critical => "critical",
            RuleAction::Silent => "silent",
        }
    }
}

/// A day of the week as the settings file writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum Day {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl Day {
    pub const ALL: [Day; 7] = [Day::Mon, Day::Tue, Day::Wed, Day::Thu, Day::Fri, Day::Sat, Day::Sun];

    pub fn of(weekday: Weekday) -> Day {
        Day::ALL[weekday.num_days_from_monday() as usize]
    }

    pub fn as_str(self) -> &'static str {
        ["mon", "tue", "wed", "thu", "fri", "sat", "sun"][self as usize]
    }

    fn name(self) -> &'static str {
        ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"][self as usize]
    }
}

/// A stretch of the day, local time, `from` included, `until` not; it wraps past midnight when `until`
/// comes first ("18:00-08:00").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hours {
    pub from: NaiveTime,
    pub until: NaiveTime,
}

impl Hours {
    pub fn parse(text: &str) -> Result<Option<Hours>, String> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        let bad = || format!("{text:?} is not a stretch of the day like \"18:00-08:00\"");
        let (from, until) = text.split_once('-').ok_or_else(bad)?;
        let time = |t: &str| NaiveTime::parse_from_str(t.trim(), "%H:%M").map_err(|_| bad());
        let hours = Hours { from: time(from)?, until: time(until)? };
        if hours.from == hours.until {
            return Err(format!("{text:?} is empty (leave hours empty for all day)"));
        }
        Ok(Some(hours))
    }

    pub fn contains(&self, t: NaiveTime) -> bool {
        if self.from < self.until {
            self.from <= t && t < self.until
        } else {
            t >= self.from || t < self.until
        }
    }

    pub fn wraps(&self) -> bool {
        self.until < self.from
    }
}

impl std::fmt::Display for Hours {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.from.format("%H:%M"), self.until.format("%H:%M"))
    }
}

/// One rule. Empty lists mean "any"; the first rule that matches an event decides it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(try_from = "RawRule")]
pub struct Rule {
    pub name: String,
    /// Event kinds as `doorwatch events --json` prints them.
    pub when: Vec<EventKind>,
    /// Kisi event types (`reader.tamper`), for what no kind names; an event matches `when` or `types`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub types: Vec<String>,
    /// Door names, exact, any case.
    pub doors: Vec<String>,
    /// Actor labels as the timeline shows them, exact, any case.
    pub people: Vec<String>,
    pub days: Vec<Day>,
    /// "18:00-08:00", local time; "" is all day.
    pub hours: String,
    /// Fire when this many matches happen at one door within `within_minutes` (0: each match fires).
    pub count: u32,
    pub within_minutes: u32,
    pub action: RuleAction,
}

/// A rule as written in the file, every field checked in [`Rule::try_from`] so the message can name
/// the rule.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    name: Option<String>,
    #[serde(default)]
    when: Vec<String>,
    #[serde(default)]
    types: Vec<String>,
    #[serde(default)]
    doors: Vec<String>,
    #[serde(default)]
    people: Vec<String>,
    #[serde(default)]
    days: Vec<String>,
    #[serde(default)]
    hours: String,
    count: Option<i64>,
    within_minutes: Option<i64>,
    action: Option<String>,
}

/// The longest counting window: a day.
pub const MAX_WITHIN_MINUTES: u32 = 24 * 60;

impl TryFrom<RawRule> for Rule {
    type Error = String;

    fn try_from(raw: RawRule) -> Result<Rule, String> {
        let name = raw.name.as_deref().map(str::trim).unwrap_or_default().to_owned();
        if name.is_empty() {
            return Err("a rule has no name: give every [[rule]] a name = \"…\"".to_owned());
        }
        let field = |field: &str, why: String| format!("rule {name:?}: {field}: {why}");
        let when = raw
            .when
            .iter()
            .map(|k| {
                EventKind::parse(k.trim()).ok_or_else(|| {
                    let kinds: Vec<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
                    field("when", format!("{k:?} is not an event kind (use {})", kinds.join(", ")))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let days = raw
            .days
            .iter()
            .map(|d| {
                let d = d.trim().to_ascii_lowercase();
                Day::ALL
                    .into_iter()
                    .find(|day| day.as_str() == d || day.name().eq_ignore_ascii_case(&d))
                    .ok_or_else(|| field("days", format!("{d:?} is not a day (use mon, tue, wed, thu, fri, sat, sun)")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let hours = Hours::parse(&raw.hours).map_err(|e| field("hours", e))?;
        let count = raw.count.unwrap_or(1);
        if !(1..=1000).contains(&count) {
            return Err(field("count", format!("{count} is not 1 to 1000")));
        }
        let within = raw.within_minutes.unwrap_or(0);
        if !(0..=i64::from(MAX_WITHIN_MINUTES)).contains(&within) {
            return Err(field("within_minutes", format!("{within} is not 0 to {MAX_WITHIN_MINUTES}")));
        }
        if count > 1 && within == 0 {
            return Err(field("within_minutes", format!("count = {count} needs a window: set within_minutes")));
        }
        let action = match raw.action.as_deref().map(str::trim).unwrap_or("alert") {
            "alert" => RuleAction::Alert,
            "critical" => RuleAction::Critical,
            "silent" => RuleAction::Silent,
            other => return Err(field("action", format!("{other:?} is not alert, critical or silent"))),
        };
        let clean = |list: Vec<String>| -> Vec<String> {
            list.into_iter().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect()
        };
        Ok(Rule {
            name,
            when,
            types: clean(raw.types),
            doors: clean(raw.doors),
            people: clean(raw.people),
            days,
            hours: hours.map(|h| h.to_string()).unwrap_or_default(),
            count: count as u32,
            within_minutes: within as u32,
            action,
        })
    }
}

/// Checks a list of rules as a whole: each one, and no two with one name (alerts and explanations name
/// the rule).
pub fn validate(rules: &[Rule]) -> Result<(), String> {
    for (i, rule) in rules.iter().enumerate() {
        let raw = RawRule {
            name: Some(rule.name.clone()),
            when: rule.when.iter().map(|k| k.as_str().to_owned()).collect(),
            types: rule.types.clone(),
            doors: rule.doors.clone(),
            people: rule.people.clone(),
            days: rule.days.iter().map(|d| d.as_str().to_owned()).collect(),
            hours: rule.hours.clone(),
            count: Some(i64::from(rule.count)),
            within_minutes: Some(i64::from(rule.within_minutes)),
            action: Some(rule.action.as_str().to_owned()),
        };
        Rule::try_from(raw)?;
        if rules[..i].iter().any(|r| r.name.eq_ignore_ascii_case(&rule.name)) {
            return Err(format!("rule {:?}: name: two rules have this name; give each its own", rule.name));
        }
    }
    Ok(())
}

impl Rule {
    /// The rule's hours, already checked on load.
    pub fn hours(&self) -> Option<Hours> {
        Hours::parse(&self.hours).ok().flatten()
    }

    /// Does the event, happening at local `time` on local `weekday`, match? (The count is not part of
    /// matching.)
    pub fn matches(&self, e: &Event, weekday: Weekday, time: NaiveTime) -> bool {
        let any_of = |list: &[String], value: Option<&str>| {
            list.is_empty() || value.is_some_and(|v| list.iter().any(|item| same_name(item, v)))
        };
        let what = (self.when.is_empty() && self.types.is_empty())
            || self.when.contains(&e.kind)
            || self.types.iter().any(|t| t == &e.event_type);
        what && any_of(&self.doors, e.object_name.as_deref())
            && any_of(&self.people, e.actor_label.as_deref())
            && (self.days.is_empty() || self.days.contains(&Day::of(weekday)))
            && self.hours().is_none_or(|h| h.contains(time))
    }

    /// The rule in one sentence, as Settings and `doorwatch rules list` show it.
    pub fn describe(&self) -> String {
        let what = {
            let mut names: Vec<String> = self.when.iter().map(|k| kind_phrase(*k).to_owned()).collect();
            if !self.types.is_empty() {
                names.push(format!("a Kisi event of type {}", or_list(&self.types)));
            }
            if names.is_empty() {
                "any event".to_owned()
            } else {
                or_list(&names)
            }
        };
        let mut sentence = what;
        if !self.doors.is_empty() {
            sentence.push_str(&format!(" at {}", or_list(&quoted(&self.doors))));
        }
        if !self.people.is_empty() {
            sentence.push_str(&format!(" by {}", or_list(&quoted(&self.people))));
        }
        if !self.days.is_empty() {
            let days: Vec<String> = self.days.iter().map(|d| d.name().to_owned()).collect();
            sentence.push_str(&format!(" on {}", or_list(&days)));
        }
        if let Some(h) = self.hours() {
            let next_day = if h.wraps() { " (into the next morning)" } else { "" };
            sentence.push_str(&format!(
                " between {} and {}{next_day}",
                h.from.format("%H:%M"),
                h.until.format("%H:%M")
            ));
        }
        if self.count > 1 {
            sentence.push_str(&format!(", {} times at one door within {} min", self.count, self.within_minutes));
        }
        let then = match self.action {
            RuleAction::Alert => "notify",
            RuleAction::Critical => "notify, even in quiet hours, while paused or muted",
            RuleAction::Silent => "stay silent",
        };
        let mut chars = sentence.chars();
        let first = chars.next().map(|c| c.to_uppercase().collect::<String>()).unwrap_or_default();
        format!("{first}{} → {then}", chars.as_str())
    }
}

/// Names as people type them: the same letters in any case, spaces around ignored.
pub fn same_name(a: &str, b: &str) -> bool {
    a.trim().to_lowercase() == b.trim().to_lowercase()
}

fn kind_phrase(kind: EventKind) -> &'static str {
    match kind {
        EventKind::UnlockOk => "an unlock",
        EventKind::UnlockFailed => "a refused unlock",
        EventKind::DoorOpened => "a door opening",
        EventKind::HeldOpen => "a door held open",
        EventKind::ForcedOpen => "a door forced open",
        EventKind::DoorClosed => "a door closing",
        EventKind::Login => "a new login",
        EventKind::RemoteUnlock => "a remote unlock from Doorwatch",
        EventKind::Other => "any other event",
    }
}

fn quoted(list: &[String]) -> Vec<String> {
    list.iter().map(|s| format!("“{s}”")).collect()
}

fn or_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

/// The local day and time an event happened at, in the zone of `now`.
pub fn local_moment<Tz: chrono::TimeZone>(ms: i64, zone: &Tz) -> Option<(Weekday, NaiveTime)> {
    let t = chrono::DateTime::<chrono::Utc>::from_timestamp_millis(ms)?.with_timezone(zone);
    Some((t.weekday(), t.time()))
}
