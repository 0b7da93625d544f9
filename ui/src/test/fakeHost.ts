// A Host without Tauri: an in-memory store of events with keyset pages, the way the core answers, and a
// record of what the window asked. The window's components run against it in Vitest (jsdom).
import type { Host } from '../host';
import type {
  AlertSettings, EventFilter, FeedMessage, HostError, Incident, KisiCheck, NightView, Rule, RulesView, Settings, SettingsView, Status, StoredEvent,
  WhoIsInView, DoorsView,
} from '../types';

export function event(n: number, opts: Partial<StoredEvent> = {}): StoredEvent {
  const failed = opts.kind === 'unlock_failed';
  const created = new Date(Date.now() - n * 60_000).toISOString();
  return {
    id: 1_000_000 - n, received_at: created, verified: true, source: 'webhook', duplicates: 0, claimed_created_at: null, uuid: `ev-${n}`,
    type: 'lock.unlock', kind: 'unlock_ok', success: !failed, actor_type: 'User', actor_id: 1, actor_name: `Person ${n % 7}`,
    actor_email: null, actor_label: `Person ${n % 7}`, object_type: 'Lock', object_id: 1, object_name: `Door ${n % 3}`,
    place_id: null, organization_id: null, error_code: null, error_message: failed ? 'Access denied.' : null, message: null,
    created_at: created, raw: {}, ...opts,
  };
}

export function settings(over: Partial<Settings> = {}): Settings {
  return {
    listen: '127.0.0.1:8787', relaxed_durability: false, start_at_login: false, retention_days: 0, setup_done: true,
    alerts: {
      failed_unlocks: true, held_open: true, forced_open: true, tamper: true, integration_disabled: true,
      burst_threshold: 3, burst_window_secs: 60, quiet_from: null, quiet_until: null, silence_minutes: 180,
      open_from: '08:00', open_until: '18:00', incident_repeat_minutes: 5, summary_at: '07:30',
    },
    tunnel: { domain: '', public_url: '', accept_unsigned: false },
    kisi: { integration_id: null, health_check_minutes: 10, remote_unlock: false },
    rule: [],
    ...over,
  } as Settings;
}

export class FakeHost implements Host {
  events: StoredEvent[] = [];
  current: Settings = settings();
  calls: { name: string; args: unknown[] }[] = [];
  private push: ((m: FeedMessage) => void) | null = null;
  /** The filter the window follows; like the shell, only what it lists is pushed (the fake knows failed_only). */
  private live: EventFilter | null = null;

  constructor(events: StoredEvent[] = [], over: Partial<Settings> = {}) {
    this.events = events;
    this.current = settings(over);
  }

  private record(name: string, ...args: unknown[]) {
    this.calls.push({ name, args });
  }

  called(name: string) {
    return this.calls.filter((c) => c.name === name);
  }

  /** Stores new events and pushes them, as the shell does when deliveries arrive. */
  deliver(...fresh: StoredEvent[]) {
    this.events = [...fresh, ...this.events];
    const listed = fresh.filter((e) => !this.live?.failed_only || e.kind === 'unlock_failed');
    if (listed.length > 0) this.push?.({ type: 'events', events: listed });
  }

  /** Set to make listEvents fail as the shell would, with its `{ code, message }`. */
  listError: HostError | null = null;

  async listEvents(filter: EventFilter, after: string | null, limit: number) {
    this.record('listEvents', filter, after, limit);
    if (this.listError) throw this.listError;
    const matching = this.events.filter((e) => !filter.failed_only || e.kind === 'unlock_failed');
    const start = after ? Number(after) : 0;
    const events = matching.slice(start, start + limit);
    return { events, next: start + limit < matching.length ? String(start + limit) : null };
  }

  /** Set to show a trust problem as the core words it (a public receiver without a key, say). */
  trustProblem: string | null = null;
  /** A bad value in settings.toml, as the core reports it: the message and the setting it names. */
  settingsError: { message: string; field: string | null } | null = null;

  async status(): Promise<Status> {
    this.record('status');
    return {
      summary: 'receiving', alerts_paused_until: null, receiver_error: null, settings_error: this.settingsError?.message ?? null, settings_field: this.settingsError?.field ?? null, online: null,
      webhook_url: null, trouble: this.trustProblem !== null, trust_problem: this.trustProblem, task_failure: null, local_url: 'http://127.0.0.1:8787/webhooks/kisi', receiving: true, signature_check: true,
      last_event_at: this.events.length ? Date.parse(this.events[0].created_at) : null,
      last_event_ago: this.events.length ? 'just now' : null,
      words_change_at: this.events.length ? this.wordsChangeAt : null,
      today: { unlock_ok: 0, unlock_failed: 0 }, rejections: [], events_total: this.events.length,
      open_incidents: this.openIncidents.filter((i) => i.ended_at === null),
    } as unknown as Status;
  }

  async subscribe(onMessage: (m: FeedMessage) => void, filter: EventFilter) {
    this.record('subscribe', filter);
    this.push = onMessage;
    this.live = filter;
  }

  async followFilter(filter: EventFilter) {
    this.record('followFilter', filter);
    this.live = filter;
  }

  async sendTestEvent(failed: boolean) {
    this.record('sendTestEvent', failed);
    this.deliver(event(0, { uuid: 'test-event' }));
    return 'Test event received and stored.';
  }

  /** What the settings view says of the signing key and of where the secrets are kept. */
  signingKeySet = true;
  secretsFile: string | null = null;

  async getSettings(): Promise<SettingsView> {
    this.record('getSettings');
    return {
      settings: JSON.parse(JSON.stringify(this.current)), signing_key_set: this.signingKeySet, database_path: '/tmp/doorwatch.sqlite3',
      settings_path: '/tmp/settings.toml', listen_origin: 'default', listening_on: '127.0.0.1:8787',
      ngrok_token_set: false, kisi_key_set: false, ngrok_token_from_env: false, kisi_key_from_env: false, secrets_file: this.secretsFile,
    };
  }

  async saveSettings(s: Settings) {
    this.record('saveSettings', s);
    this.current = JSON.parse(JSON.stringify(s)); // what IPC does (a Svelte state proxy cannot be structured-cloned)
    return this.getSettings();
  }

  async setSigningKey(key: string | null) {
    this.record('setSigningKey', key);
    return this.getSettings();
  }
  async generateSigningKey() {
    return 'a'.repeat(64);
  }
  async pauseAlerts() {
    return this.status();
  }
  async openDataFolder() {}
  async closeWindow() {}
  async setSecret(name: 'ngrok_authtoken' | 'kisi_api_key', value: string) {
    this.record('setSecret', name, value);
    return this.getSettings();
  }
  async connectKisi() {
    return { created: true, url: 'https://doors.example/webhooks/kisi', integration_id: 1 } as never;
  }
  async reEnableWebhook() {}
  async catchUp() {}
  async testNotification() {
    this.record('testNotification');
  }
  async insights() {
    return { failures: [], unlocks_per_day: [] } as never;
  }
  async exportCsv() {
    return null;
  }
  async onRequest() {}
  /** When the status's "just now" would age (Unix ms), as the core says it. */
  wordsChangeAt = Date.now() + 60_000;
  /** What the shell's "status-changed" event reaches. */
  statusChanged: (() => void) | null = null;
  async onStatusChange(handler: () => void) {
    this.statusChanged = handler;
  }

  /** Door incidents as the store keeps them; acknowledging one ends it, as the core does. */
  openIncidents: Incident[] = [];
  async incidents() {
    this.record('incidents');
    return { open: this.openIncidents.filter((i) => i.ended_at === null), recent: [...this.openIncidents].reverse() };
  }
  async acknowledgeIncident(id: number) {
    this.record('acknowledgeIncident', id);
    const found = this.openIncidents.find((i) => i.id === id && i.ended_at === null);
    if (!found) return false;
    found.ended_at = new Date().toISOString();
    found.ended_by = 'acknowledged';
    return true;
  }

  /** What the core would say: each rule in a sentence; a rule with no name has a problem. */
  async describeRules(rules: Rule[], alerts: AlertSettings): Promise<RulesView> {
    this.record('describeRules', rules, alerts);
    return {
      zone: "this computer's time zone",
      rules: rules.map((r) => ({
        name: r.name,
        sentence: r.name.trim() ? `${r.action} when ${r.when.join(' or ') || 'anything'} happens` : '',
        problem: r.name.trim() ? null : 'rule "": name: give the rule a name',
      })),
      builtins: [{ name: 'Refused unlocks', sentence: 'Alert when an unlock is refused', enabled: alerts.failed_unlocks, setting: 'alerts.failed_unlocks' }],
      problem: null,
    };
  }

  night: NightView = { title: 'Since Thu 18:00', line: 'a quiet night: no after-hours entries, no refused unlocks, no door left open', since: 0, until: 1 };
  async nightSummary() {
    this.record('nightSummary');
    return this.night;
  }

  /** Like the core: an unlock is offered for a signed event at a lock while remote unlock is on. */
  async unlockOffer(uuid: string) {
    this.record('unlockOffer', uuid);
    const e = this.events.find((x) => x.uuid === uuid);
    if (!this.current.kisi.remote_unlock || !e || e.object_id === null || !e.object_name || (!e.verified && e.source === 'webhook')) return null;
    return { lock_id: e.object_id, door: e.object_name, person: e.actor_label, operator: 'grace on front-desk' };
  }
  /** What Kisi answers the next unlock. */
  unlockAnswer = { done: true, words: 'Kisi unlocked Door 1.' };
  async unlockDoor(uuid: string) {
    this.record('unlockDoor', uuid);
    return this.unlockAnswer;
  }

  /** Who is in, as the core would answer for the day asked. */
  presence: WhoIsInView = {
    date: '2026-11-02', title: 'Monday 2 November 2026 (Europe/Berlin)',
    rows: [{ name: 'Ada Lovelace', kind: 'Person', first_in: '07:58', first_door: 'Main Entrance', last_seen: '17:02', last_door: 'Back Door', unlocks: 3 }],
  };
  presenceCheck: KisiCheck = { asked: true, only_at_kisi: [], only_here: [], problem: null, words: "Kisi's presences agree." };
  async whoIsIn(date: string | null) {
    this.record('whoIsIn', date);
    return { ...this.presence, date: date ?? this.presence.date };
  }
  async checkPresence(date: string | null) {
    this.record('checkPresence', date);
    return this.presenceCheck;
  }
  async exportPresenceCsv(date: string | null) {
    this.record('exportPresenceCsv', date);
    return 'Exported 1 people to /tmp/who.csv';
  }

  /** The doors board as the core would answer; a lockdown flips the door's flag, as Kisi does. */
  board: DoorsView = {
    as_of: Date.now() - 120_000, problem: null,
    rows: [
      { lock_id: 5521, name: 'Main Entrance', place: 'Berlin HQ', place_id: 3301, state: 'Closed', online: true, open: false, locked_down: false,
        last_event: 'Ada Lovelace unlocked Main Entrance at Mon 09:12', last_event_uuid: 'ev-1', incident: null },
      { lock_id: 5522, name: 'Bike Storage', place: 'Berlin HQ', place_id: 3301, state: 'Offline', online: false, open: false, locked_down: false,
        last_event: null, last_event_uuid: null, incident: null },
    ],
  };
  async doors() {
    this.record('doors');
    return structuredClone(this.board);
  }
  async lockdown(lockId: number, wholePlace: boolean, on: boolean) {
    this.record('lockdown', lockId, wholePlace, on);
    const row = this.board.rows.find((r) => r.lock_id === lockId)!;
    row.locked_down = on;
    row.state = on ? 'Locked down' : 'Closed';
    return { done: true, words: on ? `Kisi locked down ${row.name}: no one can unlock it until the lockdown is cancelled.` : `Kisi cancelled the lockdown of ${row.name}.` };
  }

  /** What Kisi would say of an event's actor, by event uuid. */
  actors: Record<string, string> = {};
  async actorDetails(uuid: string) {
    this.record('actorDetails', uuid);
    return this.actors[uuid] ?? null;
  }

  explanations: Record<string, string> = {};
  async explainEvent(uuid: string) {
    return this.explanations[uuid] ?? null;
  }
}

/** An open door incident as the core sends it. */
export function incident(id: number, door: string, minutesAgo: number, over: Partial<Incident> = {}): Incident {
  return {
    id, door, kind: 'held_open', opened_at: new Date(Date.now() - minutesAgo * 60_000).toISOString(), opened_by: `held-${id}`,
    ended_at: null, ended_by: null, ended_event: null, reminders: 0, last_reminder: null, trusted: true, events: 1, ...over,
  };
}
