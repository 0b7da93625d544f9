// The shapes that cross IPC. They mirror the Rust types named in each comment (src/store, src/status,
// src/settings in the core); keep them in step with those until they are generated from Rust.

export type EventKind =
  | 'unlock_ok'
  | 'unlock_failed'
  | 'door_opened'
  | 'held_open'
  | 'forced_open'
  | 'login'
  | 'other';

/** doorwatch::store::StoredEvent */
export interface StoredEvent {
  id: number;
  uuid: string;
  type: string;
  kind: EventKind;
  success: boolean | null;
  actor_type: string | null;
  actor_name: string | null;
  actor_label: string | null;
  object_name: string | null;
  error_code: string | null;
  error_message: string | null;
  message: string | null;
  created_at: string;
  received_at: string;
  verified: boolean;
  source: 'webhook' | 'backfill';
  duplicates: number;
  raw: unknown;
}

/** doorwatch::store::EventFilter */
export interface EventFilter {
  failed_only?: boolean;
  door?: string | null;
  actor?: string | null;
  event_type?: string | null;
  since?: number | null;
  until?: number | null;
  search?: string | null;
}

export interface Page {
  events: StoredEvent[];
  next: string | null;
}

/** doorwatch::status::Status, plus the desktop's alert state */
export interface Status {
  local_url: string;
  receiving: boolean;
  signature_check: boolean;
  last_event_at: number | null;
  today: { unlock_ok: number; unlock_failed: number; door_opened: number; held_open: number; forced_open: number; login: number; other: number };
  rejections: { reason: string; count: number }[];
  events_total: number;
  summary: string;
  alerts_paused_until: number | null;
  receiver_error: string | null;
  settings_error: string | null;
}

/** doorwatch::alert::AlertSettings */
export interface AlertSettings {
  failed_unlocks: boolean;
  held_open: boolean;
  forced_open: boolean;
  tamper: boolean;
  integration_disabled: boolean;
  burst_threshold: number;
  burst_window_secs: number;
  quiet_from: string | null;
  quiet_until: string | null;
}

/** doorwatch::settings::Settings */
export interface Settings {
  listen: string;
  relaxed_durability: boolean;
  start_at_login: boolean;
  alerts: AlertSettings;
}

export interface SettingsView {
  settings: Settings;
  signing_key_set: boolean;
  database_path: string;
  settings_path: string;
  listen_overridden_by_env: boolean;
  /** The address the receiver is bound to right now, if it runs. */
  listening_on: string | null;
}

/** A push from the receiver: new events, or "you missed some, read again". */
export type FeedMessage = { events: StoredEvent[] } | { resync: true };

/** Errors from every command: branch on `code`, show `message`. */
export interface HostError {
  code: string;
  message: string;
}
