// The virtualised timeline's arithmetic: which rows are in the DOM for a scroll position.
import { describe, expect, it } from 'vitest';
import { DAY_HEIGHT, ROW_HEIGHT, extend, itemAt, layout, scrollToShow, sections, visibleRange } from './virtual';
import type { StoredEvent } from './types';

const NOW = new Date(2026, 10, 30, 15, 0, 0);

function ev(uuid: string, at: Date): StoredEvent {
  return { uuid, created_at: at.toISOString() } as StoredEvent;
}

/** Events newest first: `sizes[d]` of them on the day `d` days before NOW, a minute apart. */
function days(...sizes: number[]): StoredEvent[] {
  let n = 0;
  return sizes.flatMap((size, d) =>
    Array.from({ length: size }, (_, i) => ev(`e${n++}`, new Date(2026, 10, 30 - d, 12, 59 - (i % 60), 59 - Math.floor(i / 60) % 60))),
  );
}

const strip = (l: ReturnType<typeof layout>) => ({
  items: l.items.map((i) => i.key),
  offsets: [...l.offsets],
  index: [...l.index],
});

describe('layout', () => {
  it('puts a heading before each day, in words for today and yesterday, and stacks fixed heights', () => {
    const l = layout(days(2, 1, 1), NOW);
    expect(l.items.map((i) => i.kind)).toEqual(['day', 'row', 'row', 'day', 'row', 'day', 'row']);
    expect(l.items.filter((i) => i.kind === 'day').map((i) => i.day).slice(0, 2)).toEqual(['Today', 'Yesterday']);
    expect(l.items[5].day).not.toMatch(/Today|Yesterday/);
    expect(l.offsets[l.items.length]).toBe(3 * DAY_HEIGHT + 4 * ROW_HEIGHT);
    expect(l.offsets[3]).toBe(DAY_HEIGHT + 2 * ROW_HEIGHT);
    expect(l.index.get('e2')).toBe(4);
    expect(l.index.size).toBe(4);
  });

  it('gives times that do not parse one heading, not one each', () => {
    const bad = [{ uuid: 'x', created_at: 'garbage' }, { uuid: 'y', created_at: '' }] as StoredEvent[];
    const l = layout(bad, NOW);
    expect(l.items.map((i) => [i.kind, i.day])).toEqual([['day', 'Unknown date'], ['row', 'Unknown date'], ['row', 'Unknown date']]);
  });

  it('extends page by page to exactly what laying out everything at once gives', () => {
    const all = days(150, 230, 1, 75);
    let l = layout([], NOW);
    // Pages that end inside a day, on a day's last row, and a page of one row.
    for (const [from, to] of [[0, 100], [100, 150], [150, 151], [151, 300], [300, all.length]]) {
      l = extend(l, all.slice(from, to));
    }
    expect(strip(l)).toEqual(strip(layout(all, NOW)));
  });
});

describe('visibleRange', () => {
  it('keeps the DOM bounded however many rows are loaded', () => {
    const l = layout(days(10_000, 5_000), NOW);
    for (const top of [0, 1234, 200_000, l.offsets[l.items.length] - 600]) {
      const { start, end } = visibleRange(l.offsets, top, 600, 8);
      expect(end - start).toBeLessThanOrEqual(Math.ceil(600 / ROW_HEIGHT) + 2 + 16);
      expect(l.offsets[start]).toBeLessThanOrEqual(top);
      expect(l.offsets[end]).toBeGreaterThanOrEqual(Math.min(top + 600, l.offsets[l.items.length]));
    }
  });

  it('is empty for an empty list and clamps past the end', () => {
    expect(visibleRange(layout([]).offsets, 0, 600)).toEqual({ start: 0, end: 0 });
    const l = layout(days(3), NOW);
    expect(visibleRange(l.offsets, 99_999, 600, 2)).toEqual({ start: 1, end: 4 });
  });

  it('finds the item under a pixel', () => {
    const l = layout(days(3), NOW);
    expect(itemAt(l.offsets, 0)).toBe(0);
    expect(itemAt(l.offsets, DAY_HEIGHT - 1)).toBe(0);
    expect(itemAt(l.offsets, DAY_HEIGHT)).toBe(1);
    expect(itemAt(l.offsets, DAY_HEIGHT + ROW_HEIGHT + 1)).toBe(2);
  });
});

describe('sections', () => {
  it('starts with a day without its heading when the heading scrolled away', () => {
    const all = days(3, 2);
    const l = layout(all, NOW);
    const s = sections(l.items, 2, 6);
    expect(s).toEqual([
      { day: 'Today', heading: false, rows: [all[1], all[2]] },
      { day: 'Yesterday', heading: true, rows: [all[3]] },
    ]);
  });
});

describe('scrollToShow', () => {
  it('moves as little as possible to show a row', () => {
    const l = layout(days(100), NOW);
    expect(scrollToShow(l.offsets, 5, 0, 600)).toBe(0);
    expect(scrollToShow(l.offsets, 50, 0, 600)).toBe(l.offsets[51] - 600);
    expect(scrollToShow(l.offsets, 2, 1000, 600)).toBe(l.offsets[2]);
  });
});
