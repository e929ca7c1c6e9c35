// Review findings: consent and identity.
import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { createTracker } from '../../src';
import { pageViews } from '../../src/capture/pageViews';
import { databases, fakeCollector, freshIndexedDB, queued, settle } from '../helpers';

const endpoint = 'https://collect.test/v1/batch';
let idb: IDBFactory;
beforeEach(() => {
  idb = freshIndexedDB();
});
afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

test('a returning logged-in visitor whose site calls identify() on every load keeps userId on the landing page view', async () => {
  const c = fakeCollector();
  const first = createTracker({ endpoint, consent: 'granted' });
  await settle();
  first.identify('alice');
  await first.flush();
  await settle();
  await first.shutdown();
  c.requests.length = 0;

  // Next page load: page view made at setup, then the site's usual identify() for the logged-in user.
  const t = createTracker({ endpoint, consent: 'granted', capture: [pageViews()] });
  t.identify('alice');
  await settle();
  await t.flush();
  await settle();
  const pv = c.events().find((e) => e.type == 'page')!;
  expect(pv.userId).toBe('alice');
  await t.shutdown();
});

test('events made before a logout (identify(null)) on this page belong to the saved user', async () => {
  const c = fakeCollector();
  const first = createTracker({ endpoint, consent: 'granted' });
  await settle();
  first.identify('alice');
  await first.flush();
  await settle();
  await first.shutdown();
  c.requests.length = 0;

  const t = createTracker({ endpoint, consent: 'granted' });
  t.track('Viewed Orders'); // alice, still logged in
  t.identify(null); // logout
  await settle();
  await t.flush();
  await settle();
  expect(c.events().find((e) => e.event == 'Viewed Orders')!.userId).toBe('alice');
  await t.shutdown();
});

