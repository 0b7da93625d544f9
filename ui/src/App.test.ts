// @vitest-environment jsdom
// The window's components against a fake host: what the person sees for what the host answers.
import { afterEach, describe, expect, it } from 'vitest';
import { FakeHost, event } from './test/fakeHost';
import { close, open, rows, settle } from './test/mount';
import { DAY_HEIGHT, ROW_HEIGHT } from './virtual';

afterEach(close);

describe('the timeline', () => {
  it('shows the stored events newest first, refusals marked in words and with the reason', async () => {
    const host = new FakeHost([event(1), event(2, { kind: 'unlock_failed' }), event(3)]);
    const root = await open(host);
    expect(rows(root).map((r) => r.dataset.uuid)).toEqual(['ev-1', 'ev-2', 'ev-3']);
    const refused = rows(root)[1];
    expect(refused.dataset.kind).toBe('unlock_failed');
    expect(refused.classList.contains('failed')).toBe(true);
    expect(refused.textContent).toContain('Refused');
    expect(refused.textContent).toContain('Access denied.');
    expect(root.querySelector('h2.day')?.textContent).toBe('Today');
  });

  it('"Failed only" asks the host for refusals and shows only those', async () => {
    const host = new FakeHost([event(1), event(2, { kind: 'unlock_failed' }), event(3)]);
    const root = await open(host);
    root.querySelector<HTMLButtonElement>('[data-testid=filter-failed]')!.click();
    await settle();
    expect(host.called('listEvents').at(-1)!.args[0]).toMatchObject({ failed_only: true });
    expect(rows(root).map((r) => r.dataset.uuid)).toEqual(['ev-2']);
    expect(root.querySelector('[data-testid=filter-summary]')?.textContent).toContain('failed');
    // Live pushes follow the same filter, decided by the host's core rather than re-checked here.
    expect(host.called('followFilter').at(-1)!.args[0]).toMatchObject({ failed_only: true });
    host.deliver(event(0, { uuid: 'live-ok' }), event(0, { uuid: 'live-refused', kind: 'unlock_failed' }));
    await settle();
    expect(rows(root).map((r) => r.dataset.uuid)).toEqual(['live-refused', 'ev-2']);
  });

  it('branches on the error code: no database yet is an empty timeline, any other failure is said', async () => {
    const host = new FakeHost();
    host.listError = { code: 'no_database', message: 'no database at /tmp/x.sqlite3 yet' };
    const root = await open(host);
    expect(rows(root)).toEqual([]);
    expect(root.textContent).not.toContain('no database at');
    host.listError = { code: 'database', message: 'The database could not be read; see the log for details.' };
    root.querySelector<HTMLButtonElement>('[data-testid=filter-failed]')!.click();
    await settle();
    expect(root.textContent).toContain('The database could not be read');
  });

  it('puts a pushed event on top without reading the store again', async () => {
    const host = new FakeHost([event(5)]);
    const root = await open(host);
    const reads = host.called('listEvents').length;
    host.deliver(event(0, { uuid: 'live' }));
    await settle();
    expect(rows(root)[0].dataset.uuid).toBe('live');
    expect(host.called('listEvents').length).toBe(reads);
  });

  it('keeps the row being read in place when events arrive above it, and counts them on a pill', async () => {
    const host = new FakeHost(Array.from({ length: 40 }, (_, i) => event(i + 1)));
    const root = await open(host);
    const timeline = root.querySelector<HTMLElement>('.timeline')!;
    timeline.scrollTop = 200;
    timeline.dispatchEvent(new Event('scroll'));
    await settle();
    host.deliver(event(0, { uuid: 'live' }));
    await settle();
    // One row more above (and a heading, had it been just after midnight): scrolled down by as much.
    expect([200 + ROW_HEIGHT, 200 + ROW_HEIGHT + DAY_HEIGHT]).toContain(timeline.scrollTop);
    const pill = root.querySelector<HTMLButtonElement>('[data-testid=new-events-pill]');
    expect(pill?.textContent).toContain('1 new event');
    timeline.scrollTop = 0;
    timeline.dispatchEvent(new Event('scroll'));
    await settle();
    expect(root.querySelector('[data-testid=new-events-pill]')).toBeNull();
  });

  it('keeps the DOM small however many rows are loaded', async () => {
    const host = new FakeHost(Array.from({ length: 5_000 }, (_, i) => event(i + 1)));
    const root = await open(host);
    // jsdom lays nothing out, so the end of the list is always "in view": after the first older page,
    // page after page loads.
    root.querySelector<HTMLButtonElement>('.more')!.click();
    for (let i = 0; i < 60 && host.called('listEvents').length < 50; i++) await settle();
    await settle();
    const timeline = root.querySelector<HTMLElement>('.timeline')!;
    expect(Number(timeline.dataset.loaded)).toBe(5_000);
    expect(rows(root).length).toBeGreaterThan(0);
    expect(rows(root).length).toBeLessThan(60);
  });

  it('opens an event\'s details, with its raw JSON, on a click', async () => {
    const host = new FakeHost([event(1, { raw: { uuid: 'ev-1', success: true } })]);
    const root = await open(host);
    rows(root)[0].click();
    await settle();
    const detail = root.querySelector('[data-testid=event-detail]');
    expect(detail?.textContent).toContain('Door 1');
    expect(root.querySelector('[data-testid=raw-json]')?.textContent).toContain('"uuid": "ev-1"');
  });
});

describe('trust', () => {
  it('marks an unsigned delivery unverified in its row and its details, but not a backfilled one', async () => {
    const host = new FakeHost([
      event(1, { uuid: 'unsigned', verified: false, kind: 'unlock_failed' }),
      event(2, { uuid: 'backfilled', verified: false, source: 'backfill' }),
      event(3, { uuid: 'signed' }),
    ]);
    const root = await open(host);
    const [unsigned, backfilled, signed] = rows(root);
    expect(unsigned.querySelector('[data-testid=unverified-mark]')?.textContent).toBe('Unverified');
    expect(unsigned.getAttribute('aria-label')).toContain('unverified');
    expect(backfilled.querySelector('[data-testid=unverified-mark]')).toBeNull();
    expect(signed.querySelector('[data-testid=unverified-mark]')).toBeNull();
    unsigned.click();
    await settle();
    expect(root.querySelector('[data-testid=detail-unverified]')).not.toBeNull();
    expect(root.querySelector('[data-testid=event-detail]')?.textContent).toContain('UNVERIFIED: not signed');
  });

  it('shows a claimed time in the future beside the time the event is shown at', async () => {
    const host = new FakeHost([event(1, { claimed_created_at: '2031-01-01T00:00:00.000Z' })]);
    const root = await open(host);
    rows(root)[0].click();
    await settle();
    expect(root.querySelector('[data-testid=event-detail]')?.textContent).toContain('in the future by this computer');
  });

  it('shows a trust problem as a banner that opens Settings', async () => {
    const host = new FakeHost([event(1)]);
    host.trustProblem = 'public without a signing key: unsigned deliveries are refused (set the key in Settings)';
    const root = await open(host);
    const banner = root.querySelector<HTMLElement>('[data-testid=trust-problem]')!;
    expect(banner.textContent).toContain('Public without a signing key');
    banner.querySelector('button')!.click();
    await settle();
    expect(root.querySelector('[aria-label=Settings]')).not.toBeNull();
  });
});

describe('trust in Settings', () => {
  it('says where the secrets are kept when the keyring did not keep them', async () => {
    const host = new FakeHost([event(1)]);
    host.secretsFile = '/home/ada/.config/doorwatch/secrets.toml';
    const root = await open(host);
    root.querySelector<HTMLButtonElement>('[data-testid=open-settings]')!.click();
    await settle();
    expect(root.querySelector('[data-testid=secrets-file]')?.textContent).toContain('/home/ada/.config/doorwatch/secrets.toml');
  });

  it('offers accepting unsigned deliveries only without a key, with the risk in words, and saves the choice', async () => {
    const host = new FakeHost([event(1)]);
    host.signingKeySet = false;
    const root = await open(host);
    root.querySelector<HTMLButtonElement>('[data-testid=open-settings]')!.click();
    await settle();
    const box = root.querySelector<HTMLInputElement>('[data-testid=accept-unsigned]')!;
    expect(box.checked).toBe(false);
    box.click();
    await settle();
    expect(root.querySelector('.settings')?.textContent).toContain('Anyone who learns the webhook URL can add events');
    const save = [...root.querySelectorAll<HTMLButtonElement>('.settings button')].find((b) => b.textContent?.trim() === 'Save')!;
    save.click();
    await settle();
    expect(host.called('saveSettings').at(-1)!.args[0]).toMatchObject({ tunnel: { accept_unsigned: true } });
  });
});

describe('a bad settings file', () => {
  it('opens Settings on the field the message names, marked, with the message', async () => {
    const host = new FakeHost([event(1)]);
    host.settingsError = { message: 'the settings file /tmp/settings.toml: alerts.quiet_from: "25:00" is not a time like 22:00', field: 'alerts.quiet_from' };
    const root = await open(host);
    await settle();
    const input = root.querySelector<HTMLInputElement>('[data-setting="alerts.quiet_from"]')!;
    expect(input.getAttribute('aria-invalid')).toBe('true');
    expect(document.activeElement).toBe(input);
    expect(root.querySelector('[data-testid=bad-setting]')?.textContent).toContain('correct the marked field and Save');
  });

  it('says to fix the file when Settings has no field for it', async () => {
    const host = new FakeHost([event(1)]);
    host.settingsError = { message: 'alerts.burst_window_secs: use 1 to 3600 seconds', field: 'alerts.burst_window_secs' };
    const root = await open(host);
    await settle();
    expect(root.querySelector('[data-testid=bad-setting]')?.textContent).toContain('correct it in settings.toml');
  });
});

describe('first run', () => {
  it('shows the webhook URL and sends a test event when nothing has arrived', async () => {
    const host = new FakeHost([]);
    const root = await open(host);
    expect(root.querySelector('[data-testid=webhook-url]')?.textContent).toBe('http://127.0.0.1:8787/webhooks/kisi');
    root.querySelector<HTMLButtonElement>('[data-testid=send-test-event]')!.click();
    await settle();
    expect(host.called('sendTestEvent').length).toBe(1);
    expect(rows(root).map((r) => r.dataset.uuid)).toEqual(['test-event']);
  });

  it('opens the setup guide on a fresh install, and skipping it is remembered', async () => {
    const host = new FakeHost([], { setup_done: false });
    const root = await open(host);
    expect(root.querySelector('[data-testid=wizard]')).not.toBeNull();
    root.querySelector<HTMLButtonElement>('[data-testid=wizard-skip]')!.click();
    await settle();
    expect(root.querySelector('[data-testid=wizard]')).toBeNull();
    expect(host.current.setup_done).toBe(true);
  });

  it('walks the guide: own URL, the manual Kisi steps with a key, a test event, a test notification', async () => {
    const host = new FakeHost([], { setup_done: false });
    const root = await open(host);
    const click = async (id: string) => {
      root.querySelector<HTMLElement>(`[data-testid=${id}]`)!.click();
      await settle();
    };
    await click('wizard-own-url');
    const url = root.querySelector<HTMLInputElement>('[data-testid=wizard-public-url]')!;
    url.value = 'https://doors.example';
    url.dispatchEvent(new Event('input'));
    await settle();
    [...root.querySelectorAll<HTMLButtonElement>('.wizard button')].find((b) => b.textContent === 'Save')!.click();
    await settle();
    expect(host.current.tunnel.public_url).toBe('https://doors.example');
    await click('wizard-next');
    await click('wizard-kisi-manual');
    expect(root.querySelector('[data-testid=wizard-signing-key]')?.textContent).toBe('a'.repeat(64));
    await click('wizard-use-key');
    expect(host.called('setSigningKey')[0].args[0]).toBe('a'.repeat(64));
    await click('wizard-next');
    await click('wizard-send-test');
    expect(root.querySelector('[data-testid=wizard-test-result]')).not.toBeNull();
    await click('wizard-next');
    await click('wizard-test-notification');
    expect(host.called('testNotification').length).toBe(1);
    await click('wizard-start-at-login');
    await click('wizard-finish');
    expect(host.current).toMatchObject({ setup_done: true, start_at_login: true });
    expect(root.querySelector('[data-testid=wizard]')).toBeNull();
    expect(rows(root).map((r) => r.dataset.uuid)).toEqual(['test-event']);
  });
});
