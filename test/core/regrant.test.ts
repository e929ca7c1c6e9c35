// A revoke erases the database; a grant right after must not race that erasure.
import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { createTracker } from '../../src';
import { databases, dump, fakeCollector, freshIndexedDB, settle, tick, until } from '../helpers';

const endpoint = 'https://collect.test/v1/batch';
let idb: IDBFactory;
beforeEach(() => {
  idb = freshIndexedDB();
});
afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

test('revoke then grant at once: what the new grant queues is not erased by the revoke once the connection closes', async () => {
  const c = fakeCollector(() => new Response('', { status: 503 }));
  const t = createTracker({ endpoint, consent: 'granted' });
  t.track('Old');
  await settle();
  await until(async () => (await dump(idb)).v, 'visitor stored');
  t.consent('denied');
  t.consent('granted'); // a preference centre toggled off and on again
  t.track('Granted after the re-grant');
  await settle(300);
  await tick(50);
  await settle(300);
  await t.shutdown(); // or the tab goes away: its connection closes, the blocked delete runs
  await settle(300);
  await tick(50);
  await settle(300);
  c.fetch.mockImplementation(async (url: string, init: RequestInit) => {
    c.requests.push({ url, init, body: JSON.parse(String(init.body)) });
    return new Response('{}');
  });
  c.requests.length = 0;
  const next = createTracker({ endpoint, consent: 'granted' });
  await settle();
  await next.flush();
  await settle();
  expect(c.names()).toContain('Granted after the re-grant');
  await next.shutdown();
}, 10000);

test('revoke then grant at once: the revoke\'s delete completes, and another tab (or the next page) can open the database', async () => {
  fakeCollector(() => new Response('', { status: 503 }));
  const del = vi.spyOn(idb, 'deleteDatabase');
  const t = createTracker({ endpoint, consent: 'granted' });
  t.track('Old');
  await settle();
  await until(async () => (await dump(idb)).v, 'visitor stored');
  t.consent('denied');
  t.consent('granted');
  await settle(300);
  await tick(50);
  const req = del.mock.results[0].value as IDBOpenDBRequest;
  const other = idb.open('waymark');
  let opened = false;
  other.onsuccess = () => ((opened = true), other.result.close());
  await tick(200);
  await settle(300);
  expect(req.readyState).toBe('done');
  expect(opened).toBe(true);
  await t.shutdown();
}, 10000);
