import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { createTracker, pageViews } from '../../src';
import { dump, fakeCollector, freshIndexedDB, until } from '../helpers';

let idb: IDBFactory;
beforeEach(() => {
  idb = freshIndexedDB();
});
afterEach(() => vi.unstubAllGlobals());

test('smoke: granted tracker delivers a page view and a track', async () => {
  const c = fakeCollector();
  const t = createTracker({ endpoint: 'https://c.test/v1/batch', consent: 'granted', capture: [pageViews()] });
  t.track('Hello', { a: 1 });
  await t.flush();
  await until(() => c.events().length == 2, 'two events');
  expect(c.names()).toEqual(['page', 'Hello']);
  await until(async () => Object.keys(await dump(idb)).filter((k) => k[0] == 'e').length == 0, 'queue empty');
  await t.shutdown();
});
