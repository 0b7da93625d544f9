// @vitest-environment jsdom
// The doors board, against a fake host: each door's state and last event (a click shows the event),
// and a lockdown asked for only after a confirmation naming it, once; cancelling asks nothing.
import { afterEach, describe, expect, it } from 'vitest';
import { FakeHost, event } from './test/fakeHost';
import { button, close, open, settle } from './test/mount';

afterEach(close);

async function openBoard(host: FakeHost) {
  const root = await open(host);
  root.querySelector<HTMLButtonElement>('[data-testid=open-doors]')!.click();
  await settle();
  return root;
}

const cells = (root: HTMLElement) =>
  [...root.querySelectorAll('[data-testid=door-row]')].map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent?.trim()));

describe('the doors board', () => {
  it("shows each door's state now and its last event", async () => {
    const host = new FakeHost([event(1)]);
    const root = await openBoard(host);
    expect(cells(root)).toEqual([
      ['Main Entrance', 'Berlin HQ', 'Closed', 'Ada Lovelace unlocked Main Entrance at Mon 09:12', 'Lock down…'],
      ['Bike Storage', 'Berlin HQ', 'Offline', '—', 'Lock down…'],
    ]);
    expect(root.querySelector('[data-testid=doors-as-of]')?.textContent).toBe('From Kisi 2 min ago');
    button(root.querySelector('[data-testid=doors-panel]')!, 'Ada Lovelace unlocked Main Entrance at Mon 09:12').click();
    await settle();
    expect(root.querySelector('[data-testid=event-detail]')).not.toBeNull();
  });

  it('locks a door down once after the confirmation, and cancelling asks nothing', async () => {
    const host = new FakeHost([event(1)]);
    const root = await openBoard(host);
    root.querySelector<HTMLButtonElement>('[data-testid=door-lockdown]')!.click();
    await settle();
    const dialog = () => root.querySelector<HTMLElement>('[data-testid=lockdown-confirm]');
    expect(dialog()?.textContent).toContain('Lock down Main Entrance?');
    button(dialog()!, 'Cancel').click();
    await settle();
    expect(dialog()).toBeNull();
    expect(host.called('lockdown')).toHaveLength(0);

    root.querySelector<HTMLButtonElement>('[data-testid=door-lockdown]')!.click();
    await settle();
    button(dialog()!, 'Lock down Main Entrance').click();
    await settle();
    expect(host.called('lockdown').map((c) => c.args)).toEqual([[5521, false, true]]);
    expect(root.querySelector('[data-testid=lockdown-answer]')?.textContent).toContain('Kisi locked down Main Entrance');
    expect(cells(root)[0][2]).toBe('Locked down');
    expect(cells(root)[0][4]).toBe('Cancel lockdown…');

    button(root, 'Lock down every door of Berlin HQ…').click();
    await settle();
    expect(dialog()?.textContent).toContain('Lock down every door of Berlin HQ?');
  });
});
