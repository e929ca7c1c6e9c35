// Review finding F2: a revoke after the switch to memory leaves the IndexedDB queue.
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

test('a revoke after the queue moved to memory (quota) erases the IndexedDB queue too; nothing from before the revoke is sent after a new grant', async () => {
  // Collector down: events stay queued.
  let up = false;
  const c = fakeCollector(() => (up ? new Response('{}') : new Response('', { status: 503 })));
  const t = createTracker({ endpoint, consent: 'granted', batchSize: 100, flushInterval: 60_000 });
  await settle();
  t.track('Before revoke');
  await settle();
  // Quota is checked at commit: the transaction aborts after put() returned (as in delivery-races.test.ts).
  const orig = IDBObjectStore.prototype.put;
  vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(function (this: IDBObjectStore, ...a: any[]) {
    const r = orig.apply(this, a as any);
    const tx = this.transaction;
    queueMicrotask(() => {
      try {
        tx.abort();
      } catch {}
    });
    return r;
  });
  t.track('Disk full'); // the write aborts: the queue moves to memory
  await settle();
  vi.restoreAllMocks();
  t.consent('denied');
  await settle();
  // "Forget everything, in memory and on disk"
  const leftOnDisk = (await queued(idb)).map((e) => e.event);
  up = true;
  c.requests.length = 0;
  t.consent('granted');
  await settle();
  await t.flush();
  await settle();
  expect({ leftOnDisk, sentAfterRegrant: c.names() }).toEqual({ leftOnDisk: [], sentAfterRegrant: [] });
  await t.shutdown();
}, 15000);
