// Virtualised timeline: the loaded events (thousands, after deep scrolling) laid out as day headings and
// rows of fixed heights, of which only those in and near the viewport are put in the DOM. Pure, so it is
// tested without a window; App.svelte owns the scroll position.
import type { StoredEvent } from './types';

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
  /** The item index of each event, by uuid. */
  index: Map<string, number>;
}

/** Lays out day groups (newest first, as `byDay` makes them) one under the other. */
export function layout(groups: { day: string; events: StoredEvent[] }[]): Layout {
  const items: Item[] = [];
  const index = new Map<string, number>();
  for (const g of groups) {
    items.push({ kind: 'day', day: g.day, key: `day:${g.day}` });
    for (const e of g.events) {
      index.set(e.uuid, items.length);
      items.push({ kind: 'row', day: g.day, key: e.uuid, event: e });
    }
  }
  const offsets = new Float64Array(items.length + 1);
  for (let i = 0; i < items.length; i++) {
    offsets[i + 1] = offsets[i] + (items[i].kind === 'day' ? DAY_HEIGHT : ROW_HEIGHT);
  }
  return { items, offsets, index };
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
