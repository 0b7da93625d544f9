//! Unverified events (no signing key, accepted unsigned) are marked as such in every alert, and at most
//! [`UNVERIFIED_ALERTS_PER_MINUTE`] of them alert in a minute: a flood of fake "refused" events from
//! someone who learned the public URL becomes one summary, not a screen full of notifications.

use std::collections::VecDeque;

use chrono::{DateTime, Duration, Utc};

use super::Alert;

/// Unverified alerts shown in any minute; beyond them, one summary (then none for
/// [`SUMMARY_EVERY_MINUTES`]).
pub const UNVERIFIED_ALERTS_PER_MINUTE: usize = 3;
pub const SUMMARY_EVERY_MINUTES: i64 = 10;
/// The key of the summary's notification.
pub const FLOOD_KEY: &str = "unverified-flood";

/// What to do with one more unverified alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Gate {
    Pass,
    /// The first held back in a while: say so once.
    Summary,
    Hold,
}

#[derive(Debug, Default)]
pub(super) struct FloodGate {
    recent: VecDeque<DateTime<Utc>>,
    summarised_at: Option<DateTime<Utc>>,
}

impl FloodGate {
    pub(super) fn admit(&mut self, now: DateTime<Utc>) -> Gate {
        while self.recent.front().is_some_and(|t| now - *t >= Duration::minutes(1)) {
            self.recent.pop_front();
        }
        if self.recent.len() < UNVERIFIED_ALERTS_PER_MINUTE {
            self.recent.push_back(now);
            return Gate::Pass;
        }
        if self.summarised_at.is_none_or(|t| now - t >= Duration::minutes(SUMMARY_EVERY_MINUTES)) {
            self.summarised_at = Some(now);
            return Gate::Summary;
        }
        Gate::Hold
    }
}

/// The alert, saying that its event was not signed.
pub(super) fn mark_unverified(mut alert: Alert) -> Alert {
    alert.title.push_str(" (unverified)");
    alert.body.push_str(" · not signed by Kisi: it may not be real");
    alert
}

/// The one notification for the alerts held back.
pub(super) fn summary() -> Alert {
    Alert::about_doorwatch(
        FLOOD_KEY,
        "Many unverified events (notifications held back)",
        format!(
            "More than {UNVERIFIED_ALERTS_PER_MINUTE} unsigned events a minute are arriving; they may be fake. They \
             are in the timeline, marked unverified. Set a signature key in Settings to accept only Kisi's."
        ),
        true,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flood_passes_a_few_then_summarises_once_then_holds() {
        let mut gate = FloodGate::default();
        let t0 = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let gates: Vec<Gate> = (0..50).map(|i| gate.admit(t0 + Duration::milliseconds(i * 100))).collect();
        assert_eq!(gates.iter().filter(|g| **g == Gate::Pass).count(), UNVERIFIED_ALERTS_PER_MINUTE);
        assert_eq!(gates.iter().filter(|g| **g == Gate::Summary).count(), 1);
        // A minute later a few pass again; the summary waits its ten minutes.
        let later = t0 + Duration::minutes(2);
        assert_eq!(gate.admit(later), Gate::Pass);
        let after: Vec<Gate> = (1..20).map(|i| gate.admit(later + Duration::seconds(i))).collect();
        assert!(!after.contains(&Gate::Summary));
        assert_eq!(gate.admit(t0 + Duration::minutes(11)), Gate::Pass);
    }
}
