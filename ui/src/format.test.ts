// The window's logic without a window: merging live events, day groups, ages, the filter summary.
import { describe, expect, it } from 'vitest';
import { continues, dayLabel, filterSummary, merge, plural, requestFromHash } from './format';
import type { StoredEvent } from './types';

function ev(uuid: string, created_at: string, id = 1): StoredEvent {
  return {
    id, received_at: created_at, verified: true, source: 'webhook', duplicates: 0, claimed_created_at: null, uuid, type: 'lock.unlock',
    kind: 'unlock_ok', success: true, actor_type: 'User', actor_id: 1, actor_name: 'Ada', actor_email: null,
    actor_label: 'Ada', object_type: 'Lock', object_id: 1, object_name: 'Main Entrance', place_id: null,
    organization_id: null, error_code: null, error_message: null, message: null, created_at, raw: {},
  };
}

describe('merge', () => {
  it('puts pushed events in time order without duplicates', () => {
    const page = [ev('b', '2026-11-30T10:00:00Z', 2), ev('a', '2026-11-30T09:00:00Z', 1)];
    const merged = merge(page, [ev('c', '2026-11-30T11:00:00Z', 3), ev('b', '2026-11-30T10:00:00Z', 2)]);
    expect(merged.map((e) => e.uuid)).toEqual(['c', 'b', 'a']);
  });

  it('returns the same list when nothing is new, so nothing re-renders', () => {
    const page = [ev('a', '2026-11-30T09:00:00Z')];
    expect(merge(page, [ev('a', '2026-11-30T09:00:00Z')])).toBe(page);
  });

  it('interleaves pushes older and newer than the loaded rows, once each', () => {
    const page = [ev('d', '2026-11-30T12:00:00Z', 4), ev('b', '2026-11-30T10:00:00Z', 2)];
    const incoming = [ev('a', '2026-11-30T09:00:00Z', 1), ev('e', '2026-11-30T13:00:00Z', 5), ev('c', '2026-11-30T11:00:00Z', 3), ev('e', '2026-11-30T13:00:00Z', 5)];
    expect(merge(page, incoming).map((e) => e.uuid)).toEqual(['e', 'd', 'c', 'b', 'a']);
  });

  it('orders events of the same time by id, newest first', () => {
    const t = '2026-11-30T09:00:00Z';
    expect(merge([ev('x', t, 1)], [ev('y', t, 2)]).map((e) => e.uuid)).toEqual(['y', 'x']);
  });
});

describe('continues', () => {
  const loaded = [ev('c', '2026-11-30T11:00:00Z', 3), ev('b', '2026-11-30T10:00:00Z', 2)];

  it('takes an older page as it is, dropping a repeat of the row before', () => {
    const page = [ev('b', '2026-11-30T10:00:00Z', 2), ev('a', '2026-11-30T09:00:00Z', 1), ev('z', '2026-11-29T09:00:00Z', 0)];
    expect(continues(loaded, page)?.map((e) => e.uuid)).toEqual(['a', 'z']);
    expect(continues([], page)?.map((e) => e.uuid)).toEqual(['b', 'a', 'z']);
  });

  it('leaves a page that reaches among the loaded rows to merge', () => {
    expect(continues(loaded, [ev('late', '2026-11-30T10:30:00Z', 9)])).toBeNull();
    expect(continues(loaded, [ev('a', '2026-11-30T09:00:00Z', 1), ev('n', '2026-11-30T09:30:00Z', 4)])).toBeNull();
  });
});

describe('days and ages', () => {
  const now = new Date(2026, 10, 30, 15, 0, 0);
  it('labels today and yesterday in words', () => {
    expect(dayLabel(new Date(2026, 10, 30, 8).toISOString(), now)).toBe('Today');
    expect(dayLabel(new Date(2026, 10, 29, 23).toISOString(), now)).toBe('Yesterday');
    expect(dayLabel(new Date(2026, 10, 20, 12).toISOString(), now)).not.toMatch(/Today|Yesterday/);
    expect(dayLabel('not a time', now)).toBe('Unknown date');
  });

  it('counts in words', () => {
    expect(plural(1, 'new event', 'new events')).toBe('1 new event');
    expect(plural(3, 'new event', 'new events')).toBe('3 new events');
  });
});

describe('summaries', () => {
  const none = { quick: 'all' as const, door: '', person: '', eventType: '', fromDate: '', toDate: '', search: '' };

  it('is empty when everything is shown', () => {
    expect(filterSummary(none)).toEqual([]);
  });

  it('names every filter in use', () => {
    expect(
      filterSummary({ ...none, quick: 'failed', door: ' Back door ', fromDate: '2026-11-01', search: 'ada' }),
    ).toEqual(['failed unlocks', 'door “Back door”', 'from 2026-11-01', 'matching “ada”']);
  });

});

describe('requestFromHash', () => {
  it('reads what a window was opened for, and nothing from a stranger address', () => {
    expect(requestFromHash('#settings')).toEqual({ settings: true });
    expect(requestFromHash('#event=abc%20d')).toEqual({ event: 'abc d' });
    expect(requestFromHash('#period=1793622690000-1793651490000')).toEqual({ period: [1793622690000, 1793651490000] });
    expect(requestFromHash('#period=1-x')).toBeNull();
    expect(requestFromHash('')).toBeNull();
  });

  it('names a period in the filter summary', () => {
    const parts = filterSummary({ quick: 'all', door: '', person: '', eventType: '', fromDate: '', toDate: '', search: '', period: [0, 3_600_000] });
    expect(parts).toHaveLength(1);
    expect(parts[0]).toMatch(/^from .+ to .+$/);
  });
});
