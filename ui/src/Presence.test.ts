// @vitest-environment jsdom
// Who is in, against a fake host: the day's list from the store at once, Kisi's check after it, another
// day on asking, and the CSV export's answer; and who an event's actor is, in its details.
import { afterEach, describe, expect, it } from 'vitest';
import { FakeHost, event } from './test/fakeHost';
import { button, close, open, rows, settle } from './test/mount';

afterEach(close);

async function openPanel(host: FakeHost) {
  const root = await open(host);
  root.querySelector<HTMLButtonElement>('[data-testid=open-presence]')!.click();
  await settle();
  return root;
}

describe('who is in', () => {
  it("lists the day's people from the store, then Kisi's check", async () => {
    const host = new FakeHost([event(1)]);
    const root = await openPanel(host);
    expect(root.querySelector('[data-testid=presence-title]')?.textContent).toBe('Monday 2 November 2026 (Europe/Berlin) · 1 person');
    const cells = [...root.querySelectorAll('[data-testid=presence-row] td')].map((td) => td.textContent?.trim());
    expect(cells).toEqual(['Ada Lovelace', '07:58', 'Main Entrance', '17:02', 'Back Door', '3']);
    expect(root.querySelector('[data-testid=presence-check]')?.textContent?.trim()).toBe("Kisi's presences agree.");
    expect(host.called('whoIsIn').map((c) => c.args)).toEqual([[null]]);
    expect(host.called('checkPresence').map((c) => c.args)).toEqual([['2026-11-02']]);
  });

  it('says whom Doorwatch missed, reads another day, and exports the list', async () => {
    const host = new FakeHost([event(1)]);
    host.presenceCheck = { asked: true, only_at_kisi: ['Grace Hopper'], only_here: [], problem: null, words: 'Kisi also counts Grace Hopper.' };
    const root = await openPanel(host);
    const said = root.querySelector('[data-testid=presence-check]')!;
    expect(said.textContent?.trim()).toBe('Kisi also counts Grace Hopper.');
    expect(said.classList.contains('bad')).toBe(true);
    const day = root.querySelector<HTMLInputElement>('[data-testid=presence-date]')!;
    day.value = '2026-11-03';
    day.dispatchEvent(new Event('input', { bubbles: true }));
    day.dispatchEvent(new Event('change', { bubbles: true }));
    await settle();
    expect(host.called('whoIsIn').at(-1)!.args).toEqual(['2026-11-03']);
    button(root.querySelector('[data-testid=presence-panel]')!, 'Export CSV').click();
    await settle();
    expect(host.called('exportPresenceCsv').at(-1)!.args).toEqual(['2026-11-03']);
    expect(root.querySelector('[data-testid=presence-panel]')?.textContent).toContain('Exported 1 people');
  });
});

describe("an actor's details", () => {
  it("shows what Kisi says of an access link in the event's details", async () => {
    const host = new FakeHost([event(1, { actor_type: 'GroupLink', actor_label: 'Access link: Plumber' })]);
    host.actors['ev-1'] = "Access link 'Plumber' (created by Ada Lovelace, valid until Fri 5 Dec 18:00)";
    const root = await open(host);
    rows(root)[0].click();
    await settle();
    const dt = [...root.querySelectorAll('[data-testid=event-detail] dt')].find((d) => d.textContent === 'Kisi knows them as');
    expect(dt?.nextElementSibling?.textContent).toBe("Access link 'Plumber' (created by Ada Lovelace, valid until Fri 5 Dec 18:00)");
    expect(host.called('actorDetails').map((c) => c.args)).toEqual([['ev-1']]);
  });
});
