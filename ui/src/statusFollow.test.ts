// @vitest-environment jsdom
// The window's status without polling: pushed when the state changes, the aging words read again
// when the core says they change — and only while the window can be seen.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeHost, event } from './test/fakeHost';
import { close, open, settle } from './test/mount';
import { followStatus } from './statusFollow';

let visibility: DocumentVisibilityState = 'visible';
beforeEach(() => {
  visibility = 'visible';
  vi.spyOn(document, 'visibilityState', 'get').mockImplementation(() => visibility);
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  close();
});

function setVisibility(v: DocumentVisibilityState) {
  visibility = v;
  document.dispatchEvent(new Event('visibilitychange'));
}

describe('following the status', () => {
  it('reads the status when the shell says it changed, not on a timer', async () => {
    const host = new FakeHost();
    await open(host);
    const before = host.called('status').length;
    host.statusChanged!();
    await settle();
    expect(host.called('status').length).toBe(before + 1);
  });

  it('with nothing that ages, sets no timer at all', () => {
    vi.useFakeTimers();
    let reads = 0;
    const follower = followStatus(new FakeHost(), () => reads++);
    follower.changesAt(null);
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(3_600_000);
    expect(reads).toBe(0);
    follower.stop();
  });

  it('reads again exactly when the words change, and never while hidden', () => {
    vi.useFakeTimers();
    let reads = 0;
    const follower = followStatus(new FakeHost(), () => reads++);
    follower.changesAt(Date.now() + 45_000);
    vi.advanceTimersByTime(44_999);
    expect(reads).toBe(0);
    vi.advanceTimersByTime(1);
    expect(reads).toBe(1);
    follower.changesAt(Date.now() + 60_000);
    setVisibility('hidden');
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(3_600_000);
    expect(reads).toBe(1);
    // Seen again: read at once (the words may be old).
    setVisibility('visible');
    expect(reads).toBe(2);
    follower.stop();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('in the window: the change time the core gives is when the status is read again', async () => {
    const host = new FakeHost([event(1)]);
    host.wordsChangeAt = Date.now() + 1_200;
    await open(host);
    const before = host.called('status').length;
    await new Promise((r) => setTimeout(r, 1_500));
    await settle();
    expect(host.called('status').length).toBe(before + 1);
  });
});
