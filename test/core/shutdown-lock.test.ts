// Review finding: shutdown() now waits for the flush, and so for the Web Lock another tab holds.
import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { createTracker } from '../../src';
import { fakeCollector, freshIndexedDB, settle, tick } from '../helpers';

const endpoint = 'https://collect.test/v1/batch';
beforeEach(() => {
  freshIndexedDB();
});
afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  delete (navigator as any).locks;
});

/** Web Locks with one exclusive lock per name, granted in request order (as browsers do). */
function fakeLocks() {
  const tails = new Map<string, Promise<unknown>>();
  const locks = {
    request: (name: string, cb: () => Promise<unknown>) => {
      const prev = tails.get(name) || Promise.resolve();
      const run = prev.then(() => cb());
      tails.set(name, run.catch(() => {}));
      return run;
    },
  };
  Object.defineProperty(navigator, 'locks', { value: locks, configurable: true });
  return locks;
}

test('shutdown() does not wait for another tab to finish draining the shared queue', async () => {
  const locks = fakeLocks();
  fakeCollector();
  // Another tab of the site is sending the shared queue (a long backlog on a slow network).
  let release!: () => void;
  locks.request('waymark:waymark', () => new Promise<void>((r) => (release = r)));
  const t = createTracker({ endpoint, consent: 'granted' });
  await settle();
  t.track('A');
  t.flush(); // waits for the lock
  await settle();
  let done = false;
  t.shutdown().then(() => (done = true));
  await tick(500);
  await settle();
  const finished = done;
  release();
  await settle();
  expect(finished).toBe(true);
});
