//! Which deliveries the receiver trusts, shared by every listener (loopback and tunnel) and changed
//! while they run: the signing key — set, not set, or unreadable (a locked keyring: fail closed) — and
//! whether the receiver is public (a tunnel or a configured public URL). A public receiver is a
//! signed receiver: without a key it refuses unsigned deliveries unless the user chose to accept
//! them, and then it stores at most [`UNVERIFIED_PER_MINUTE`] of them a minute.

use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use super::signature::SigningKey;

/// At most this many unverified deliveries are stored in a minute while the receiver is public; the
/// rest are refused with 429 and counted. Kisi's own deliveries are signed once a key is set.
pub const UNVERIFIED_PER_MINUTE: u32 = 120;
const WINDOW: Duration = Duration::from_secs(60);

/// The signing key as the receiver knows it.
#[derive(Debug, Clone)]
pub enum KeyState {
    Set(SigningKey),
    NotSet,
    /// The key could not be read (why, without the key): signed deliveries wait with 503.
    Unreadable(String),
}

/// How a delivery that arrives now is to be checked.
#[derive(Debug, Clone)]
pub enum Check {
    /// Its signature must match this key.
    Verify(SigningKey),
    /// Refused with 503: the key exists but cannot be read right now.
    KeyUnreadable(String),
    /// Refused with 401: the receiver is public, unsigned, and unsigned deliveries were not chosen.
    RefuseUnsigned,
    /// Stored as unverified; `capped` while public, so a flood is bounded.
    Unverified { capped: bool },
}

#[derive(Debug)]
struct State {
    key: KeyState,
    public: bool,
    accept_unsigned: bool,
}

#[derive(Debug)]
struct Budget {
    window_start: Option<Instant>,
    used: u32,
}

/// The trust state shared between the routers and whoever changes it; clones see the same state.
#[derive(Debug, Clone)]
pub struct KeySlot {
    state: Arc<RwLock<State>>,
    budget: Arc<Mutex<Budget>>,
}

impl Default for KeySlot {
    fn default() -> KeySlot {
        KeySlot::new(None)
    }
}

impl KeySlot {
    pub fn new(key: Option<SigningKey>) -> KeySlot {
        let key = key.map_or(KeyState::NotSet, KeyState::Set);
        KeySlot {
            state: Arc::new(RwLock::new(State { key, public: false, accept_unsigned: false })),
            budget: Arc::new(Mutex::new(Budget { window_start: None, used: 0 })),
        }
    }

    fn read<T>(&self, f: impl FnOnce(&State) -> T) -> T {
        f(&self.state.read().unwrap_or_else(|p| p.into_inner()))
    }

    fn write(&self, f: impl FnOnce(&mut State)) {
        f(&mut self.state.write().unwrap_or_else(|p| p.into_inner()))
    }

    pub fn get(&self) -> Option<SigningKey> {
        self.read(|s| match &s.key {
            KeyState::Set(k) => Some(k.clone()),
            _ => None,
        })
    }

    /// Sets (or clears) the key; an unreadable key becomes readable again this way.
    pub fn set(&self, key: Option<SigningKey>) {
        self.write(|s| s.key = key.map_or(KeyState::NotSet, KeyState::Set));
    }

    /// The key exists but cannot be read: signed-mode deliveries are refused with 503 until [`Self::set`].
    pub fn set_unreadable(&self, reason: &str) {
        self.write(|s| s.key = KeyState::Unreadable(reason.to_owned()));
    }

    pub fn state(&self) -> KeyState {
        self.read(|s| s.key.clone())
    }

    pub fn is_set(&self) -> bool {
        self.get().is_some()
    }

    /// Why the key cannot be read, while it cannot.
    pub fn unreadable(&self) -> Option<String> {
        self.read(|s| match &s.key {
            KeyState::Unreadable(reason) => Some(reason.clone()),
            _ => None,
        })
    }

    /// Whether the receiver can be reached from the internet, and whether the user chose to accept
    /// unsigned deliveries there anyway.
    pub fn set_exposure(&self, public: bool, accept_unsigned: bool) {
        self.write(|s| {
            s.public = public;
            s.accept_unsigned = accept_unsigned;
        });
    }

    pub fn is_public(&self) -> bool {
        self.read(|s| s.public)
    }

    /// Public, without a key, refusing unsigned deliveries: Kisi's own (unsigned) deliveries are refused
    /// too, which the user must be told about.
    pub fn refuses_unsigned(&self) -> bool {
        self.read(|s| matches!(s.key, KeyState::NotSet) && s.public && !s.accept_unsigned)
    }

    /// Public, without a key, accepting unsigned deliveries: anyone who learns the URL can add events.
    pub fn accepts_unsigned_publicly(&self) -> bool {
        self.read(|s| matches!(s.key, KeyState::NotSet) && s.public && s.accept_unsigned)
    }

    pub fn check(&self) -> Check {
        self.read(|s| match &s.key {
            KeyState::Set(key) => Check::Verify(key.clone()),
            KeyState::Unreadable(reason) => Check::KeyUnreadable(reason.clone()),
            KeyState::NotSet if s.public && !s.accept_unsigned => Check::RefuseUnsigned,
            KeyState::NotSet => Check::Unverified { capped: s.public },
        })
    }

    /// Takes one unverified delivery from this minute's allowance; when it is used up, the seconds until
    /// the next minute begins (for Retry-After). A minute starts with the first delivery after the last.
    pub fn take_unverified(&self) -> Result<(), u64> {
        let mut budget = self.budget.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        let start = match budget.window_start {
            Some(start) if now.duration_since(start) < WINDOW => start,
            _ => {
                budget.window_start = Some(now);
                budget.used = 0;
                now
            }
        };
        if budget.used >= UNVERIFIED_PER_MINUTE {
            return Err((WINDOW.saturating_sub(now.duration_since(start))).as_secs().max(1));
        }
        budget.used += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_public_receiver_without_a_key_refuses_unsigned_deliveries_unless_chosen() {
        let slot = KeySlot::new(None);
        assert!(matches!(slot.check(), Check::Unverified { capped: false }));
        slot.set_exposure(true, false);
        assert!(matches!(slot.check(), Check::RefuseUnsigned));
        assert!(slot.refuses_unsigned());
        slot.set_exposure(true, true);
        assert!(matches!(slot.check(), Check::Unverified { capped: true }));
        assert!(slot.accepts_unsigned_publicly());
        slot.set(SigningKey::new("k"));
        assert!(matches!(slot.check(), Check::Verify(_)));
        assert!(!slot.refuses_unsigned() && !slot.accepts_unsigned_publicly());
    }

    #[test]
    fn an_unreadable_key_fails_closed_until_it_is_read() {
        let slot = KeySlot::new(None);
        slot.set_unreadable("locked");
        assert!(matches!(slot.check(), Check::KeyUnreadable(r) if r == "locked"));
        assert_eq!(slot.unreadable().as_deref(), Some("locked"));
        slot.set(SigningKey::new("k"));
        assert!(matches!(slot.check(), Check::Verify(_)));
        assert_eq!(slot.unreadable(), None);
    }

    #[test]
    fn the_unverified_allowance_is_shared_by_clones_and_runs_out() {
        let slot = KeySlot::new(None);
        let other = slot.clone();
        for i in 0..UNVERIFIED_PER_MINUTE {
            let s = if i % 2 == 0 { &slot } else { &other };
            assert_eq!(s.take_unverified(), Ok(()));
        }
        let retry = slot.take_unverified().unwrap_err();
        assert!((1..=60).contains(&retry), "{retry}");
    }
}
