// Generated from the Rust core (src-tauri/src/bindings.rs, `make bindings`): do not edit.
import type { EventKind } from './EventKind';
import type { Problem } from './Problem';

/** What each kind of event is called, in the window and in `doorwatch events` alike. */
export const KIND_LABEL: Record<EventKind, string> = {
  unlock_ok: "Unlocked",
  unlock_failed: "Refused",
  door_opened: "Opened",
  held_open: "Held open",
  forced_open: "Forced open",
  door_closed: "Closed",
  login: "New login",
  remote_unlock: "Remote unlock",
  other: "Event",
};

/** The Kisi event types Doorwatch asks Kisi to send (its webhook's event filter). */
export const EVENT_TYPES: readonly string[] = [
  "lock.unlock",
  "lock.opened",
  "lock.held_open",
  "lock.forced_open",
  "lock.closed",
  "lock.tailgate",
  "reader.tamper",
  "controller.tamper",
  "wireless_lock.unlocked",
  "wireless_lock.opened",
  "wireless_lock.closed",
  "wireless_lock.tampered",
  "integration.warn_due_to_error",
  "integration.disable_due_to_error",
  "login.create",
];

/** A tunnel problem in a few words, for the status bar. */
export const TUNNEL_PROBLEM: Record<Problem, string> = {
  bad_token: "token refused",
  domain_not_yours: "domain not yours",
  unreachable: "ngrok unreachable",
  other: "see above",
};
