// Presentation helpers with no Tauri and no DOM, so they are easy to test.
import type { EventKind, StoredEvent } from './types';

export const KIND_LABEL: Record<EventKind, string> = {
  unlock_ok: 'Unlocked',
  unlock_failed: 'Refused',
  door_opened: 'Opened',
  held_open: 'Held open',
  forced_open: 'Forced open',
  login: 'New login',
  other: 'Event',
};

// Symbols every desktop font has (no colour emoji needed); the word beside each carries the meaning.
export const KIND_ICON: Record<EventKind, string> = {
  unlock_ok: '✓',
  unlock_failed: '✗',
  door_opened: '↗',
  held_open: '◔',
  forced_open: '⚠',
  login: '+',
  other: '•',
};

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
  return TIME.format(new Date(iso));
}

export function ago(ms: number | null, now = Date.now()): string {
  if (ms === null) return 'no events yet';
  const s = Math.max(0, Math.floor((now - ms) / 1000));
  if (s < 60) return 'just now';
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86_400)} days ago`;
}

/** Each event's local midnight, worked out once per event (parsing thousands of dates on every page
 * loaded would make each page slower than the last). */
const DAY_OF = new WeakMap<StoredEvent, number>();

function dayOf(e: StoredEvent): number {
  let start = DAY_OF.get(e);
  if (start === undefined) {
    start = dayStart(new Date(e.created_at));
    DAY_OF.set(e, start);
  }
  return start;
}

/** Groups events (newest first) into consecutive days. Linear, and the day's label is made once per day,
 * not once per event: this runs on every page loaded and every push. */
export function byDay(events: StoredEvent[], now = new Date()): { day: string; events: StoredEvent[] }[] {
  const groups: { day: string; events: StoredEvent[] }[] = [];
  let current = NaN;
  for (const e of events) {
    const start = dayOf(e);
    if (start !== current || groups.length === 0) {
      current = start;
      const day = labelFor(new Date(e.created_at), now);
      const last = groups[groups.length - 1];
      // Events whose times do not parse share the "Invalid Date" group rather than making one each.
      if (last && last.day === day) {
        last.events.push(e);
        continue;
      }
      groups.push({ day, events: [e] });
    } else {
      groups[groups.length - 1].events.push(e);
    }
  }
  return groups;
}

/** Newest first: by the event's own time, then by store id. */
function newerFirst(a: StoredEvent, b: StoredEvent): number {
  return Date.parse(b.created_at) - Date.parse(a.created_at) || b.id - a.id;
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
export function filterSummary(f: {
  quick: 'all' | 'failed' | 'today';
  door: string;
  person: string;
  eventType: string;
  fromDate: string;
  toDate: string;
  search: string;
}): string[] {
  return [
    f.quick === 'failed' ? 'failed unlocks' : f.quick === 'today' ? 'today' : '',
    f.door.trim() && `door “${f.door.trim()}”`,
    f.person.trim() && `person “${f.person.trim()}”`,
    f.eventType && `type ${f.eventType}`,
    f.fromDate && `from ${f.fromDate}`,
    f.toDate && `to ${f.toDate}`,
    f.search.trim() && `matching “${f.search.trim()}”`,
  ].filter((part): part is string => Boolean(part));
}

/** "Catching up: 1,240 of ~3,000 events" while a backfill runs. */
export function catchingUp(p: { fetched: number; estimated_total: number | null }): string {
  const n = (x: number) => x.toLocaleString('en-US');
  return p.estimated_total && p.estimated_total > p.fetched
    ? `Catching up: ${n(p.fetched)} of ~${n(p.estimated_total)} events`
    : `Catching up: ${n(p.fetched)} events`;
}
