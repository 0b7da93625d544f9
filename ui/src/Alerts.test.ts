// @vitest-environment jsdom
// The alerts in the window, against a fake host: the rules editor in Settings (add, edit, reorder,
// delete, each with the core's sentence and problem), open door incidents above the timeline with
// Acknowledge, the Incidents list, and the event details saying which rule alerted.
import { afterEach, describe, expect, it } from 'vitest';
import { FakeHost, event, incident } from './test/fakeHost';
import { button, close, open, rows, settle } from './test/mount';

afterEach(close);

async function openSettings(host: FakeHost) {
  const root = await open(host);
  root.querySelector<HTMLButtonElement>('[data-testid=open-settings]')!.click();
  await settle();
  return root;
}

/** The describe_rules answer is asked for after a short pause (typing does not ask on every key): waits
 * until the asking has stopped (on a busy machine the pause can run late). */
async function described(host: FakeHost) {
  let asked = -1;
  for (let waited = 0; waited < 3000; waited += 250) {
    await new Promise((r) => setTimeout(r, 250));
    await settle();
    const now = host.called('describeRules').length;
    if (now === asked) return;
    asked = now;
  }
}

function type(input: HTMLInputElement, value: string, on: 'input' | 'change' = 'input') {
  input.value = value;
  input.dispatchEvent(new Event(on, { bubbles: true }));
}

describe('the rules editor', () => {
  it('adds a weekend rule from the form and saves it as a [[rule]] of the settings', async () => {
    const host = new FakeHost([event(1)]);
    const root = await openSettings(host);
    await described(host);
    expect(root.querySelector('[data-testid=builtin-rules]')?.textContent).toContain('Refused unlocks');
    root.querySelector<HTMLButtonElement>('[data-testid=add-rule]')!.click();
    await settle();
    type(root.querySelector<HTMLInputElement>('[data-testid=rule-name]')!, 'Server room on weekends');
    type(root.querySelector<HTMLInputElement>('[data-testid=rule-doors]')!, 'Server Room, Back Door', 'change');
    root.querySelector<HTMLInputElement>('[data-testid=rule-day-sat]')!.click();
    root.querySelector<HTMLInputElement>('[data-testid=rule-day-sun]')!.click();
    type(root.querySelector<HTMLInputElement>('[data-testid=rule-from]')!, '18:00', 'change');
    type(root.querySelector<HTMLInputElement>('[data-testid=rule-until]')!, '08:00', 'change');
    const action = root.querySelector<HTMLSelectElement>('[data-testid=rule-action]')!;
    action.value = 'critical';
    action.dispatchEvent(new Event('change', { bubbles: true }));
    await described(host);
    // The sentence is the core's answer for exactly what the form now holds.
    const asked = host.called('describeRules').at(-1)!.args[0] as { name: string }[];
    expect(asked).toEqual([expect.objectContaining({ name: 'Server room on weekends' })]);
    expect(root.querySelector('[data-testid=rule-sentence]')?.textContent).toBe('critical when unlock_ok happens');
    button(root.querySelector('.settings')!, 'Save').click();
    await settle();
    expect(host.called('saveSettings').at(-1)!.args[0]).toMatchObject({
      rule: [{
        name: 'Server room on weekends', when: ['unlock_ok'], doors: ['Server Room', 'Back Door'], days: ['sat', 'sun'],
        hours: '18:00-08:00', count: 1, within_minutes: 0, action: 'critical',
      }],
    });
  });

  it('reorders and deletes rules, and shows the problem the core finds in one', async () => {
    const rule = (name: string) => ({ name, when: [], types: [], doors: [], people: [], days: [], hours: '', count: 1, within_minutes: 0, action: 'silent' as const });
    const host = new FakeHost([event(1)], { rule: [rule('Cleaner'), rule('Night'), rule('')] });
    const root = await openSettings(host);
    await described(host);
    const names = () => [...root.querySelectorAll('[data-testid=rule] .rule-head b')].map((b) => b.textContent);
    expect(names()).toEqual(['Cleaner', 'Night', '(no name)']);
    expect(root.querySelectorAll('[data-testid=rule-problem]')).toHaveLength(1);
    expect(root.querySelector('[data-testid=rule-problem]')?.textContent).toContain('name');
    root.querySelectorAll<HTMLButtonElement>('[aria-label="Move down"]')[0].click();
    await settle();
    expect(names()).toEqual(['Night', 'Cleaner', '(no name)']);
    root.querySelectorAll<HTMLButtonElement>('[data-testid=rule-delete]')[2].click();
    await described(host);
    expect(names()).toEqual(['Night', 'Cleaner']);
    expect(root.querySelectorAll('[data-testid=rule-problem]')).toHaveLength(0);
    button(root.querySelector('.settings')!, 'Save').click();
    await settle();
    const saved = host.called('saveSettings').at(-1)!.args[0] as { rule: { name: string }[] };
    expect(saved.rule.map((r) => r.name)).toEqual(['Night', 'Cleaner']);
  });
});

describe('door incidents', () => {
  it('shows an open incident above the timeline, and Acknowledge ends it', async () => {
    const host = new FakeHost([event(1)]);
    host.openIncidents = [incident(7, 'Back Door', 14)];
    const root = await open(host);
    const banner = root.querySelector<HTMLElement>('[data-testid=open-incident]')!;
    expect(banner.textContent).toContain('Back Door');
    expect(banner.textContent).toContain('held open for 14 min');
    banner.querySelector<HTMLButtonElement>('[data-testid=acknowledge-incident]')!.click();
    await settle();
    expect(host.called('acknowledgeIncident').map((c) => c.args[0])).toEqual([7]);
    expect(root.querySelector('[data-testid=open-incident]')).toBeNull();
  });

  it('lists incidents with how long each lasted and how it ended', async () => {
    const host = new FakeHost([event(1)]);
    host.openIncidents = [
      incident(1, 'Bike storage', 120, { ended_at: new Date(Date.now() - 106 * 60_000).toISOString(), ended_by: 'closed' }),
      incident(2, 'Server Room', 5, { kind: 'forced_open' }),
    ];
    const root = await open(host);
    root.querySelector<HTMLButtonElement>('[data-testid=open-incidents]')!.click();
    await settle();
    const listed = [...root.querySelectorAll('[data-testid=incident-row]')].map((r) => r.textContent);
    expect(listed).toHaveLength(2);
    expect(listed[0]).toContain('Server Room');
    expect(listed[0]).toContain('forced open');
    expect(listed[0]).toContain('still open');
    expect(listed[1]).toContain('14 min');
    expect(listed[1]).toContain('closed');
  });

  it('says the night in the morning summary\'s words, and shows its events on request', async () => {
    const host = new FakeHost([event(1)]);
    host.night = { title: 'Since Thu 18:00', line: '7 refused at Back Door', since: 1_000, until: 2_000 };
    const root = await open(host);
    root.querySelector<HTMLButtonElement>('[data-testid=open-incidents]')!.click();
    await settle();
    const said = root.querySelector('[data-testid=night-summary]')!;
    expect(said.textContent).toContain('Since Thu 18:00: 7 refused at Back Door.');
    button(said, 'Show these events').click();
    await settle();
    expect(host.called('listEvents').at(-1)!.args[0]).toMatchObject({ since: 1_000, until: 2_000 });
    expect(root.querySelector('[data-testid=filter-summary]')?.textContent).toMatch(/from .+ to .+/);
  });
});

describe('why an event alerted', () => {
  it('says in the details which rule alerted, in the core\'s words', async () => {
    const host = new FakeHost([event(1), event(2)]);
    host.explanations = { 'ev-2': 'Server room after hours: critical' };
    const root = await open(host);
    rows(root)[1].click();
    await settle();
    expect(root.querySelector('[data-testid=event-detail]')?.textContent).toContain('Server room after hours: critical');
  });
});
