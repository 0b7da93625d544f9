// Presentation helpers with no Tauri and no DOM, so they are easy to test. The words the core owns
// (kind labels, event types, "3 min ago", "Catching up…") come from it, never from here.
import type { EventKind, Incident, StoredEvent } from './types';
import type { WindowRequest } from './host';
export { KIND_LABEL, EVENT_TYPES, TUNNEL_PROBLEM } from './bindings/words';

// Symbols every desktop font has (no colour emoji needed); the word beside each carries the meaning.
export const KIND_ICON: Record<EventKind, string> = {
  unlock_ok: '✓',
  unlock_failed: '✗',
  door_opened: '↗',
  held_open: '◔',
  forced_open: '⚠',
  door_closed: '↙',
  login: '+',
  remote_unlock: '⇥',
  other: '•',
};

/** An unsigned webhook delivery: anyone who knew the URL could have sent it. (Events a backfill fetched
 * from Kisi's API carry no signature but come from Kisi itself.) The same rule as `StoredEvent::unverified`. */
export function isUnverified(e: StoredEvent): boolean {
  return !e.verified && e.source === 'webhook';
}

export function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

// Formatters are made once: toLocale…String with options builds a new Intl formatter on every call,
// which costs a millisecond or so in WebKit — too much for thousands of rows.
const DATE = new Intl.DateTimeFormat(undefined, { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric' });
const TIME = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });

/** Local midnight of a time, as a number, for comparing days. */
function dayStart(d: Date): number {
  return new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
}

function labelFor(d: Date, now: Date): string {
  if (Number.isNaN(d.getTime())) return 'Unknown date';
  const days = Math.round((dayStart(now) - dayStart(d)) / 86_400_000);
  if (days === 0) return 'Today';
  if (days === 1) return 'Yesterday';
  return DATE.format(d);
}

/** "Today", "Yesterday", or the date, for the day an event happened (local time). */
export function dayLabel(iso: string, now = new Date()): string {
  return labelFor(new Date(iso), now);
}

export function timeOf(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '--:--' : TIME.format(d);
}

/** Each event's local midnight, worked out once per event (parsing thousands of dates again on every
 * page loaded would make each page slower than the last). NaN when the time does not parse. */
const DAY_OF = new WeakMap<StoredEvent, number>();

export function eventDay(e: StoredEvent): number {
  let start = DAY_OF.get(e);
  if (start === undefined) {
    start = dayStart(new Date(e.created_at));
    DAY_OF.set(e, start);
  }
  return start;
}

/** The heading of the day `e` happened, relative to `now`; made once per day in the timeline, not per row. */
export function eventDayLabel(e: StoredEvent, now: Date): string {
  return labelFor(new Date(e.created_at), now);
}

/** Newest first: by the event's own time, then by store id. */
function newerFirst(a: StoredEvent, b: StoredEvent): number {
  return Date.parse(b.created_at) - Date.parse(a.created_at) || b.id - a.id;
}

/** The events of an older page that follow the last one loaded, in order and without duplicates, or null
 * when some of the page belongs among the rows already loaded (then `merge` places it). Linear in the page
 * alone, so the thousandth page costs what the first did. */
export function continues(current: StoredEvent[], page: StoredEvent[]): StoredEvent[] | null {
  const last = current[current.length - 1];
  const out: StoredEvent[] = [];
  for (const e of page) {
    const before = out.length > 0 ? out[out.length - 1] : last;
    if (before && newerFirst(before, e) >= 0) {
      // The row just before, again: dropped, as merge would. Anything else out of order: merge's job.
      if (before.uuid === e.uuid) continue;
      return null;
    }
    out.push(e);
  }
  return out;
}

/** Merges pushed events into the list, newest first by the event's own time, without duplicates. Only
 * the incoming events are sorted; the two sorted lists are then merged in one pass, so a push into
 * thousands of loaded rows stays cheap. */
export function merge(current: StoredEvent[], incoming: StoredEvent[]): StoredEvent[] {
  const seen = new Set(current.map((e) => e.uuid));
  const fresh: StoredEvent[] = [];
  for (const e of incoming) {
    if (seen.has(e.uuid)) continue;
    seen.add(e.uuid);
    fresh.push(e);
  }
  if (fresh.length === 0) return current;
  fresh.sort(newerFirst);
  const out: StoredEvent[] = new Array(current.length + fresh.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < current.length && j < fresh.length) {
    out[k++] = newerFirst(fresh[j], current[i]) <= 0 ? fresh[j++] : current[i++];
  }
  while (i < current.length) out[k++] = current[i++];
  while (j < fresh.length) out[k++] = fresh[j++];
  return out;
}

/** The filters in words, for the summary line above the timeline; empty when everything is shown. */
/** How long, as people say it: "45 s", "14 min", "2 h 5 min", "3 d 4 h" (the core's notifications say
 * it the same way). */
export function duration(ms: number): string {
  const minutes = Math.floor(Math.max(0, ms) / 60_000);
  if (minutes === 0) return `${Math.floor(Math.max(0, ms) / 1000)} s`;
  if (minutes < 60) return `${minutes} min`;
  if (minutes < 1440) return minutes % 60 === 0 ? `${minutes / 60} h` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
  return `${Math.floor(minutes / 1440)} d ${Math.floor((minutes % 1440) / 60)} h`;
}

/** "held open" or "forced open". */
export function incidentWhat(i: Incident): string {
  return i.kind === 'forced_open' ? 'forced open' : 'held open';
}

/** The request a window's address carries (`#settings`, `#event=…`, `#period=FROM-UNTIL`), if any. */
export function requestFromHash(hash: string): WindowRequest | null {
  if (hash === '#settings') return { settings: true };
  if (hash.startsWith('#event=')) return { event: decodeURIComponent(hash.slice('#event='.length)) };
  if (hash.startsWith('#unlock=')) return { unlock: decodeURIComponent(hash.slice('#unlock='.length)) };
  const period = /^#period=(\d+)-(\d+)$/.exec(hash);
  return period ? { period: [Number(period[1]), Number(period[2])] } : null;
}

const SHORT = new Intl.DateTimeFormat(undefined, { weekday: 'short', hour: '2-digit', minute: '2-digit' });

/** "from Fri 18:00 to Mon 07:30": a stretch of time a morning summary sums up. */
export function periodLabel([since, until]: [number, number]): string {
  return `from ${SHORT.format(new Date(since))} to ${SHORT.format(new Date(until))}`;
}

export function filterSummary(f: {
  quick: 'all' | 'failed' | 'today';
  door: string;
  person: string;
  eventType: string;
  fromDate: string;
  toDate: string;
  search: string;
  period?: [number, number] | null;
}): string[] {
  return [
    f.period ? periodLabel(f.period) : '',
    f.quick === 'failed' ? 'failed unlocks' : f.quick === 'today' ? 'today' : '',
    f.door.trim() && `door “${f.door.trim()}”`,
    f.person.trim() && `person “${f.person.trim()}”`,
    f.eventType && `type ${f.eventType}`,
    f.fromDate && `from ${f.fromDate}`,
    f.toDate && `to ${f.toDate}`,
    f.search.trim() && `matching “${f.search.trim()}”`,
  ].filter((part): part is string => Boolean(part));
}
