// The virtualised timeline's arithmetic: which rows are in the DOM for a scroll position.
import { describe, expect, it } from 'vitest';
import { DAY_HEIGHT, ROW_HEIGHT, itemAt, layout, scrollToShow, sections, visibleRange } from './virtual';
import type { StoredEvent } from './types';

function ev(uuid: string): StoredEvent {
  return { uuid } as StoredEvent;
}

function days(...sizes: number[]) {
  let n = 0;
  return sizes.map((size, d) => ({ day: `day ${d}`, events: Array.from({ length: size }, () => ev(`e${n++}`)) }));
}

describe('layout', () => {
  it('puts a heading before each day and stacks fixed heights', () => {
    const l = layout(days(2, 1));
    expect(l.items.map((i) => i.kind)).toEqual(['day', 'row', 'row', 'day', 'row']);
    expect(l.offsets[l.items.length]).toBe(2 * DAY_HEIGHT + 3 * ROW_HEIGHT);
    expect(l.offsets[3]).toBe(DAY_HEIGHT + 2 * ROW_HEIGHT);
    expect(l.index.get('e2')).toBe(4);
  });
});

describe('visibleRange', () => {
  it('keeps the DOM bounded however many rows are loaded', () => {
    const l = layout(days(10_000, 5_000));
    for (const top of [0, 1234, 200_000, l.offsets[l.items.length] - 600]) {
      const { start, end } = visibleRange(l.offsets, top, 600, 8);
      expect(end - start).toBeLessThanOrEqual(Math.ceil(600 / ROW_HEIGHT) + 2 + 16);
      expect(l.offsets[start]).toBeLessThanOrEqual(top);
      expect(l.offsets[end]).toBeGreaterThanOrEqual(Math.min(top + 600, l.offsets[l.items.length]));
    }
  });

  it('is empty for an empty list and clamps past the end', () => {
    expect(visibleRange(layout([]).offsets, 0, 600)).toEqual({ start: 0, end: 0 });
    const l = layout(days(3));
    expect(visibleRange(l.offsets, 99_999, 600, 2)).toEqual({ start: 1, end: 4 });
  });

  it('finds the item under a pixel', () => {
    const l = layout(days(3));
    expect(itemAt(l.offsets, 0)).toBe(0);
    expect(itemAt(l.offsets, DAY_HEIGHT - 1)).toBe(0);
    expect(itemAt(l.offsets, DAY_HEIGHT)).toBe(1);
    expect(itemAt(l.offsets, DAY_HEIGHT + ROW_HEIGHT + 1)).toBe(2);
  });
});

describe('sections', () => {
  it('starts with a day without its heading when the heading scrolled away', () => {
    const l = layout(days(3, 2));
    const s = sections(l.items, 2, 6);
    expect(s).toEqual([
      { day: 'day 0', heading: false, rows: [ev('e1'), ev('e2')] },
      { day: 'day 1', heading: true, rows: [ev('e3')] },
    ]);
  });
});

describe('scrollToShow', () => {
  it('moves as little as possible to show a row', () => {
    const l = layout(days(100));
    expect(scrollToShow(l.offsets, 5, 0, 600)).toBe(0);
    expect(scrollToShow(l.offsets, 50, 0, 600)).toBe(l.offsets[51] - 600);
    expect(scrollToShow(l.offsets, 2, 1000, 600)).toBe(l.offsets[2]);
  });
});
