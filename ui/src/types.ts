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
  /** Tunnel, Kisi webhook and catching up; null while the receiver is not running. */
  online: OnlineStatus | null;
  /** The URL to give Kisi: the public one when there is a tunnel, else the local one. */
  webhook_url: string | null;
}

/** doorwatch::tunnel::TunnelStatus */
export type TunnelStatus =
  | { state: 'off' }
  | { state: 'connecting' }
  | { state: 'online'; url: string }
  | { state: 'offline'; problem: 'bad_token' | 'domain_not_yours' | 'unreachable' | 'other'; reason: string };

/** doorwatch::kisi::integration::Health */
export type Health =
  | { state: 'enabled'; url: string | null }
  | { state: 'disabled'; due_to_error: boolean; since: string | null }
  | { state: 'missing' };

/** doorwatch::online::KisiStatus */
export type KisiStatus =
  | { state: 'no_api_key' }
  | { state: 'not_set_up' }
  | { state: 'checking' }
  | { state: 'checked'; health: Health; description: string }
  | { state: 'trouble'; reason: string };

/** doorwatch::online::OnlineStatus */
export interface OnlineStatus {
  tunnel: TunnelStatus;
  public_url: string | null;
  kisi: KisiStatus;
  catching_up: { fetched: number; stored: number; estimated_total: number | null } | null;
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
  silence_minutes: number;
  open_from: string | null;
  open_until: string | null;
}

/** doorwatch::settings::Settings */
export interface Settings {
  listen: string;
  relaxed_durability: boolean;
  start_at_login: boolean;
  retention_days: number;
  alerts: AlertSettings;
  tunnel: { domain: string; public_url: string };
  kisi: { integration_id: number | null; health_check_minutes: number };
}

export interface SettingsView {
  settings: Settings;
  signing_key_set: boolean;
  database_path: string;
  settings_path: string;
  listen_overridden_by_env: boolean;
  /** The address the receiver is bound to right now, if it runs. */
  listening_on: string | null;
  ngrok_token_set: boolean;
  kisi_key_set: boolean;
  ngrok_token_from_env: boolean;
  kisi_key_from_env: boolean;
}

/** doorwatch::kisi::integration::SetupOutcome */
export interface SetupOutcome {
  integration_id: number;
  url: string;
  created: boolean;
}

/** A push from the receiver: new events, or "you missed some, read again". */
export type FeedMessage = { events: StoredEvent[] } | { resync: true };

/** Errors from every command: branch on `code`, show `message`. */
export interface HostError {
  code: string;
  message: string;
}
