// Mounting the window against a fake host, for the component tests: open it, let it settle, read rows.
import { flushSync, mount, unmount } from 'svelte';
import App from '../App.svelte';
import type { FakeHost } from './fakeHost';

let app: ReturnType<typeof mount> | null = null;

export async function open(host: FakeHost) {
  const target = document.createElement('div');
  document.body.replaceChildren(target);
  app = mount(App, { target, props: { host } });
  await settle();
  return target;
}

/** Unmounts what `open` mounted (call it after each test). */
export function close() {
  if (app) unmount(app);
  app = null;
}

/** Lets the host's promises resolve and Svelte render. */
export async function settle() {
  for (let i = 0; i < 5; i++) {
    await new Promise((r) => setTimeout(r, 0));
    flushSync();
  }
}

export const rows = (root: HTMLElement) => [...root.querySelectorAll<HTMLElement>('[data-testid=timeline-row]')];

/** A button by its words, within `root`. */
export function button(root: ParentNode, words: string): HTMLButtonElement {
  const found = [...root.querySelectorAll<HTMLButtonElement>('button')].find((b) => b.textContent?.trim() === words);
  if (!found) throw new Error(`no button "${words}"`);
  return found;
}
