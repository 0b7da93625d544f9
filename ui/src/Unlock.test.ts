// @vitest-environment jsdom
// "Let them in" in the window, against a fake host: a refused unlock's details offer "Unlock <door>…"
// only while remote unlock is on and only for a signed event; the confirmation names the door and the
// person; confirming asks once, cancelling asks nothing; a notification's Unlock opens the confirmation.
import { afterEach, describe, expect, it } from 'vitest';
import { FakeHost, event } from './test/fakeHost';
import { button, close, open, rows, settle } from './test/mount';

afterEach(close);

const refused = () => event(1, { kind: 'unlock_failed', success: false, actor_label: 'Ada Lovelace', object_name: 'Door 1', object_id: 5521 });

async function details(host: FakeHost) {
  const root = await open(host);
  rows(root)[0].click();
  await settle();
  return root;
}

describe('letting someone in', () => {
  it('asks first, names the door and the person, and unlocks once', async () => {
    const host = new FakeHost([refused()], { kisi: { integration_id: 1, health_check_minutes: 10, remote_unlock: true } });
    const root = await details(host);
    button(root, 'Unlock Door 1…').click();
    await settle();
    const dialog = root.querySelector<HTMLElement>('[data-testid=unlock-confirm]')!;
    expect(dialog.textContent).toContain('Unlock Door 1 for Ada Lovelace?');
    expect(dialog.textContent).toContain('grace on front-desk');
    expect(host.called('unlockDoor')).toHaveLength(0);
    button(dialog, 'Unlock Door 1').click();
    await settle();
    expect(host.called('unlockDoor').map((c) => c.args)).toEqual([['ev-1']]);
    expect(root.querySelector('[data-testid=unlock-answer]')?.textContent).toBe('Kisi unlocked Door 1.');
    expect(root.querySelector('[data-testid=unlock-confirm]')).toBeNull();
  });

  it('cancelling asks Kisi nothing, and a refusal is shown in its words', async () => {
    const host = new FakeHost([refused()], { kisi: { integration_id: 1, health_check_minutes: 10, remote_unlock: true } });
    host.unlockAnswer = { done: false, words: "Kisi did not unlock Door 1: your API key's role may not unlock this door" };
    const root = await details(host);
    button(root, 'Unlock Door 1…').click();
    await settle();
    button(root.querySelector('[data-testid=unlock-confirm]')!, 'Cancel').click();
    await settle();
    expect(host.called('unlockDoor')).toHaveLength(0);
    expect(root.querySelector('[data-testid=unlock-confirm]')).toBeNull();
    button(root, 'Unlock Door 1…').click();
    await settle();
    button(root.querySelector('[data-testid=unlock-confirm]')!, 'Unlock Door 1').click();
    await settle();
    const said = root.querySelector('[data-testid=unlock-answer]')!;
    expect(said.textContent).toContain('role may not unlock this door');
    expect(said.classList.contains('bad')).toBe(true);
  });

  it('is not offered while switched off, nor for an unsigned delivery', async () => {
    const off = await details(new FakeHost([refused()]));
    expect(off.querySelector('[data-testid=unlock-door]')).toBeNull();
    close();
    const unsigned = new FakeHost([{ ...refused(), verified: false }], { kisi: { integration_id: 1, health_check_minutes: 10, remote_unlock: true } });
    const root = await details(unsigned);
    expect(root.querySelector('[data-testid=unlock-door]')).toBeNull();
    expect(unsigned.called('unlockOffer')).toHaveLength(1);
  });

  it("opens at a notification's Unlock with the confirmation already asking", async () => {
    const host = new FakeHost([event(2), refused()], { kisi: { integration_id: 1, health_check_minutes: 10, remote_unlock: true } });
    history.replaceState(null, '', '#unlock=ev-1');
    try {
      const root = await open(host);
      await settle();
      expect(root.querySelector('[data-testid=event-detail] h2')?.textContent).toContain('Door 1');
      expect(root.querySelector('[data-testid=unlock-confirm]')?.textContent).toContain('Unlock Door 1 for Ada Lovelace?');
      expect(host.called('unlockDoor')).toHaveLength(0);
      // Cancelled, the details closed and opened again: it does not ask again by itself.
      button(root.querySelector('[data-testid=unlock-confirm]')!, 'Cancel').click();
      await settle();
      button(root, 'Close').click();
      await settle();
      expect(root.querySelector('[data-testid=event-detail]')).toBeNull();
      root.querySelector<HTMLElement>("[data-uuid='ev-1']")!.click();
      await settle();
      expect(root.querySelector('[data-testid=event-detail] h2')?.textContent).toContain('Door 1');
      expect(root.querySelector('[data-testid=unlock-door]')).not.toBeNull();
      expect(root.querySelector('[data-testid=unlock-confirm]')).toBeNull();
    } finally {
      history.replaceState(null, '', '#');
    }
  });
});
