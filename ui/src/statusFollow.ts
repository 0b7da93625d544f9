// How the window keeps its status current without polling: a change of state is pushed by the shell
// ("status-changed"), and the words that age with the clock ("last event 3 min ago") are read again at
// the moment the core says they change (`words_change_at`) — only while the window can be seen.
import type { Host } from './host';

/** Never sooner than this after a read, whatever the clocks say. */
const MIN_WAIT_MS = 1_000;

export interface StatusFollower {
  /** The status read last says its words change at `at` (Unix ms), or never (null). */
  changesAt(at: number | null): void;
  stop(): void;
}

/** Follows the status for as long as the window lives. */
export function followStatus(host: Host, refresh: () => void, doc: Document = document): StatusFollower {
  host.onStatusChange(refresh);
  let at: number | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const schedule = () => {
    clearTimeout(timer);
    timer = undefined;
    if (at === null || doc.visibilityState !== 'visible') return;
    timer = setTimeout(refresh, Math.max(at - Date.now(), MIN_WAIT_MS));
  };
  const onVisibility = () => {
    // Seen again: the words may have aged meanwhile.
    if (doc.visibilityState === 'visible') refresh();
    else schedule();
  };
  doc.addEventListener('visibilitychange', onVisibility);
  return {
    changesAt(next) {
      at = next;
      schedule();
    },
    stop() {
      clearTimeout(timer);
      doc.removeEventListener('visibilitychange', onVisibility);
    },
  };
}
