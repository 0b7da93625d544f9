// The UI's only door to Tauri. Everything else talks to the `Host` interface, so the UI can run in a
// plain browser against a fake host in tests.
import { Channel, invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import type {
  AlertSettings, EventFilter, FeedMessage, IncidentsView, Insights, NightView, Page, Rule, RulesView, Settings, SettingsView, SetupOutcome, Status,
  DoorActDone, UnlockOffer, KisiCheck, WhoIsInView, DoorsView,
} from './types';

/** What the shell asks the window to show: Settings, one event (a notification's Open), a stretch
 * of time (a morning summary's Open: Unix ms, from and until), or one event with its unlock to confirm
 * (a refused-unlock notification's Unlock). */
export type WindowRequest = { settings: true } | { event: string } | { period: [number, number] } | { unlock: string };

export interface Host {
  listEvents(filter: EventFilter, after: string | null, limit: number): Promise<Page>;
  status(): Promise<Status>;
  /** Live events that `filter` lists (the core decides which), as they are stored. */
  subscribe(onMessage: (m: FeedMessage) => void, filter: EventFilter): Promise<void>;
  /** The list now shows `filter`: only what it lists is pushed from now on. */
  followFilter(filter: EventFilter): Promise<void>;
  sendTestEvent(failed: boolean): Promise<string>;
  getSettings(): Promise<SettingsView>;
  saveSettings(settings: Settings): Promise<SettingsView>;
  setSigningKey(key: string | null): Promise<SettingsView>;
  generateSigningKey(): Promise<string>;
  pauseAlerts(minutes: number | null): Promise<Status>;
  openDataFolder(): Promise<void>;
  /** Closes the window; Doorwatch keeps running in the tray. */
  closeWindow(): Promise<void>;
  /** Saves (or, empty, forgets) the ngrok authtoken or the Kisi API key, and reconnects with it. */
  setSecret(name: 'ngrok_authtoken' | 'kisi_api_key', value: string): Promise<SettingsView>;
  /** Creates or repairs Doorwatch's webhook at Kisi for the public URL, with a fresh signing key. */
  connectKisi(): Promise<SetupOutcome>;
  reEnableWebhook(): Promise<void>;
  /** Shows a sample notification, as the first-run guide's test. */
  testNotification(): Promise<void>;
  catchUp(): Promise<void>;
  /** Failed unlocks per door and hour, and unlocks per day, over the last `days` days. */
  insights(days: number): Promise<Insights>;
  /** Asks where to save, then writes the events of `filter` as CSV; null when cancelled. */
  exportCsv(filter: EventFilter): Promise<string | null>;
  /** The tray's "Settings…" and a notification's "Open" ask the window to show something. */
  onRequest(handler: (r: WindowRequest) => void): Promise<void>;
  /** The running state changed (tunnel, Kisi, a catch-up, a pause, an incident): read the status again. */
  onStatusChange(handler: () => void): Promise<void>;
  /** The rules as Settings edits them (unsaved), in the core's words, each with its problem if any. */
  describeRules(rules: Rule[], alerts: AlertSettings): Promise<RulesView>;
  /** Why an event alerted, or why not, in words; null when the event is unknown. */
  explainEvent(uuid: string): Promise<string | null>;
  /** Door incidents: the open ones and the latest of all. */
  incidents(): Promise<IncidentsView>;
  /** Stops an open incident's repeats; false when it had ended already. */
  acknowledgeIncident(id: number): Promise<boolean>;
  /** The morning summary's words for the night so far, and its period. */
  nightSummary(): Promise<NightView>;
  /** The unlock this event's door offers (remote unlock on, a Kisi key, a Kisi lock), or null. */
  unlockOffer(uuid: string): Promise<UnlockOffer | null>;
  /** Asks Kisi once to unlock the door of this event (after the person confirmed), and records it. */
  unlockDoor(uuid: string): Promise<DoorActDone>;
  /** Who came in on a day (`YYYY-MM-DD`; today when null), from Doorwatch's store: works offline. */
  whoIsIn(date: string | null): Promise<WhoIsInView>;
  /** Kisi's presences for that day compared with the list (slower; says so when Kisi cannot be asked). */
  checkPresence(date: string | null): Promise<KisiCheck>;
  /** Asks where to save, then writes the day's list as CSV; null when cancelled. */
  exportPresenceCsv(date: string | null): Promise<string | null>;
  /** What Kisi says of an event's actor ("Access link 'Plumber' (created by Ada, valid until Fri)"), or null. */
  actorDetails(uuid: string): Promise<string | null>;
  /** The doors board: Kisi's locks as last read, with newer webhook events applied. */
  doors(): Promise<DoorsView>;
  /** Locks down a door (or every door of its place), or cancels that lockdown, after the person confirmed. */
  lockdown(lockId: number, wholePlace: boolean, on: boolean): Promise<DoorActDone>;
}

export const tauriHost: Host = {
  listEvents: (filter, after, limit) => invoke('list_events', { filter, after, limit }),
  status: () => invoke('status'),
  async subscribe(onMessage, filter) {
    const channel = new Channel<FeedMessage>();
    channel.onmessage = onMessage;
    await invoke('subscribe', { onMessage: channel, filter });
  },
  followFilter: (filter) => invoke('follow_filter', { filter }),
  sendTestEvent: (failed) => invoke('send_test_event', { failed }),
  getSettings: () => invoke('get_settings'),
  saveSettings: (settings) => invoke('save_settings', { settings }),
  setSigningKey: (key) => invoke('set_signing_key', { key }),
  generateSigningKey: () => invoke('generate_signing_key'),
  pauseAlerts: (minutes) => invoke('pause_alerts', { minutes }),
  openDataFolder: () => invoke('open_data_folder'),
  closeWindow: () => invoke('close_window'),
  setSecret: (name, value) => invoke('set_secret', { name, value }),
  connectKisi: () => invoke('connect_kisi'),
  reEnableWebhook: () => invoke('re_enable_webhook'),
  testNotification: () => invoke('test_notification'),
  catchUp: () => invoke('catch_up'),
  exportCsv: (filter) => invoke('export_csv', { filter }),
  insights: (days) => invoke('insights', { days }),
  describeRules: (rules, alerts) => invoke('describe_rules', { rules, alerts }),
  explainEvent: (uuid) => invoke('explain_event', { uuid }),
  incidents: () => invoke('incidents'),
  acknowledgeIncident: (id) => invoke('acknowledge_incident', { id }),
  nightSummary: () => invoke('night_summary'),
  unlockOffer: (uuid) => invoke('unlock_offer', { uuid }),
  unlockDoor: (uuid) => invoke('unlock_door', { uuid }),
  whoIsIn: (date) => invoke('who_is_in', { date }),
  checkPresence: (date) => invoke('check_presence', { date }),
  exportPresenceCsv: (date) => invoke('export_presence_csv', { date }),
  doors: () => invoke('doors'),
  actorDetails: (uuid) => invoke('actor_details', { uuid }),
  lockdown: (lockId, wholePlace, on) => invoke('lockdown', { lockId, wholePlace, on }),
  async onRequest(handler) {
    await listen('open-settings', () => handler({ settings: true }));
    await listen<string>('show-event', (e) => handler({ event: e.payload }));
    await listen<[number, number]>('show-period', (e) => handler({ period: e.payload }));
    await listen<string>('show-unlock', (e) => handler({ unlock: e.payload }));
  },
  async onStatusChange(handler) {
    await listen('status-changed', () => handler());
  },
};
