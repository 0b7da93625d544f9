// Virtualised timeline: the loaded events (thousands, after deep scrolling) laid out as day headings and
// rows of fixed heights, of which only those in and near the viewport are put in the DOM. Pure, so it is
// tested without a window; Timeline.svelte owns the scroll position.
import type { StoredEvent } from './types';
import { eventDay, eventDayLabel } from './format';

/** Heights in CSS pixels; app.css gives the rows and headings exactly these (`--row-h`, `--day-h`). */
export const ROW_HEIGHT = 38;
export const DAY_HEIGHT = 40;

export type Item =
  | { kind: 'day'; day: string; key: string }
  | { kind: 'row'; day: string; key: string; event: StoredEvent };

export interface Layout {
  items: Item[];
  /** `offsets[i]` is the top of item i; `offsets[items.length]` the total height. */
  offsets: Float64Array;
  /** The item index of each event, by uuid; its size is the number of rows. */
  index: Map<string, number>;
  /** Where the last day stands, so that `extend` carries on from it. */
  tail: { buf: Float64Array; day: number; label: string; now: Date };
}

/** Lays out events (newest first) as a heading for each day, then its rows, one under the other. */
export function layout(events: StoredEvent[], now = new Date()): Layout {
  const empty: Layout = {
    items: [],
    offsets: new Float64Array(1),
    index: new Map(),
    tail: { buf: new Float64Array(1), day: NaN, label: '', now },
  };
  return extend(empty, events);
}

/** Appends `older` (events that sort after the last one laid out: an older page) in time linear in
 * `older` alone; the 100th page costs what the first did. `prev` is taken over: its arrays grow in place,
 * so only the returned layout may be used afterwards. */
export function extend(prev: Layout, older: StoredEvent[]): Layout {
  const { items, index } = prev;
  let { buf, day, label } = prev.tail;
  const now = prev.tail.now;
  // At most a heading and a row per event; the buffer doubles, so appends stay linear overall.
  const need = items.length + 2 * older.length + 1;
  if (buf.length < need) {
    const grown = new Float64Array(Math.max(need, 2 * buf.length));
    grown.set(buf.subarray(0, items.length + 1));
    buf = grown;
  }
  let top = buf[items.length];
  for (const e of older) {
    const d = eventDay(e);
    if (d !== day || items.length === 0) {
      day = d;
      const l = eventDayLabel(e, now);
      // Times that do not parse share one "Unknown date" heading rather than making one each.
      if (l !== label || items.length === 0) {
        label = l;
        items.push({ kind: 'day', day: l, key: `day:${l}` });
        top += DAY_HEIGHT;
        buf[items.length] = top;
      }
    }
    index.set(e.uuid, items.length);
    items.push({ kind: 'row', day: label, key: e.uuid, event: e });
    top += ROW_HEIGHT;
    buf[items.length] = top;
  }
  return { items, index, offsets: buf.subarray(0, items.length + 1), tail: { buf, day, label, now } };
}

/** The first item whose bottom is below `y` (binary search over the offsets). */
export function itemAt(offsets: Float64Array, y: number): number {
  const n = offsets.length - 1;
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (offsets[mid + 1] <= y) lo = mid + 1;
    else hi = mid;
  }
  return Math.min(lo, Math.max(n - 1, 0));
}

/** The items to render, `[start, end)`, for a viewport at `scrollTop` of `height`, with `overscan` extra
 * rows each side so fast scrolling never shows a blank. */
export function visibleRange(
  offsets: Float64Array,
  scrollTop: number,
  height: number,
  overscan = 8,
): { start: number; end: number } {
  const n = offsets.length - 1;
  if (n <= 0) return { start: 0, end: 0 };
  const first = itemAt(offsets, Math.max(0, scrollTop));
  const last = itemAt(offsets, Math.max(0, scrollTop + Math.max(height, 0)));
  return { start: Math.max(0, first - overscan), end: Math.min(n, last + 1 + overscan) };
}

/** Consecutive rendered items cut into day sections (a heading, when it is in range, then its rows), so
 * the DOM keeps a heading-and-list structure for screen readers. */
export function sections(items: Item[], start: number, end: number) {
  const out: { day: string; heading: boolean; rows: StoredEvent[] }[] = [];
  for (let i = start; i < end; i++) {
    const it = items[i];
    if (it.kind === 'day') out.push({ day: it.day, heading: true, rows: [] });
    else if (out.length > 0 && out[out.length - 1].day === it.day) out[out.length - 1].rows.push(it.event);
    else out.push({ day: it.day, heading: false, rows: [it.event] });
  }
  return out;
}

/** The scroll position that brings item `i` fully into a viewport at `scrollTop` of `height`, moving as
 * little as possible (unchanged when it is already in view). */
export function scrollToShow(offsets: Float64Array, i: number, scrollTop: number, height: number): number {
  const top = offsets[i];
  const bottom = offsets[i + 1];
  if (top < scrollTop) return top;
  if (bottom > scrollTop + height) return bottom - height;
  return scrollTop;
}
