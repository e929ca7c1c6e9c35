// Review findings: the page-hide beacon.
import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { createTracker } from '../../src';
import { pageViews } from '../../src/capture/pageViews';
import { fakeCollector, freshIndexedDB, settle } from '../helpers';

const endpoint = 'https://collect.test/v1/batch';
beforeEach(() => {
  freshIndexedDB();
});
afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  delete (document as any).visibilityState;
});
const setVisibility = (state: 'visible' | 'hidden') => {
  Object.defineProperty(document, 'visibilityState', { value: state, configurable: true });
  document.dispatchEvent(new Event('visibilitychange'));
};

test('early events a failed beacon gives back after the saved visitor was read carry the saved visitor, like every other event of the page', async () => {
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  let mode: 'ok' | 'gated' = 'ok';
  const c = fakeCollector(async (req) => (mode == 'gated' && req.init.keepalive ? (await gate, new Response('', { status: 503 })) : new Response('{}')));
  // An earlier visit.
  const first = createTracker({ endpoint, consent: 'granted' });
  await settle();
  first.track('Earlier visit');
  await first.flush();
  await settle();
  await first.shutdown();
  const saved = c.events()[0].anonymousId;
  c.requests.length = 0;

  mode = 'gated';
  const t = createTracker({ endpoint, consent: 'granted', capture: [pageViews()], flushInterval: 60_000 });
  // A tab switch while the saved visitor is read: the landing page view leaves in a beacon...
  setVisibility('hidden');
  setVisibility('visible');
  await settle(); // ...the saved visitor is read meanwhile...
  open(); // ...and the beacon fails (503): the page view goes back to the queue.
  await settle();
  mode = 'ok';
  t.track('Later');
  await t.flush();
  await settle();
  const delivered = c.requests.filter((r) => !r.init.keepalive).flatMap((r) => r.body.batch);
  expect(delivered.map((e) => [e.type, e.event, e.anonymousId == saved])).toEqual([
    ['page', undefined, true],
    ['track', 'Later', true],
  ]);
  await t.shutdown();
});
