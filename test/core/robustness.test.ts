// Nothing the tracker does throws into, or hangs, the host page; shutdown loses nothing.
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { createTracker } from '../../src';
import type { Plugin, PluginContext, WaymarkError, WaymarkEvent } from '../../src/types';
import { databases, fakeCollector, freshIndexedDB, queued, settle, tick, until } from '../helpers';

const endpoint = 'https://collect.test/v1/batch';
let idb: IDBFactory;
beforeEach(() => {
  idb = freshIndexedDB();
});
afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

test('on() with a name Object.prototype has (constructor) does not throw', async () => {
  const t = createTracker({ endpoint });
  expect(() => t.on('constructor' as any, () => {})).not.toThrow();
  await t.shutdown();
});

test('after a revoke and a new grant, the new visitor starts at session 1: nothing links them to the old one', async () => {
  const c = fakeCollector();
  const t = createTracker({ endpoint, consent: 'granted', sessionTimeout: 1 });
  t.track('Old visitor');
  await new Promise((r) => setTimeout(r, 5));
  t.track('Old visitor, session 2');
  await new Promise((r) => setTimeout(r, 5));
  t.track('Old visitor, session 3');
  await t.flush();
  await until(() => c.events().length == 3);
  t.consent('denied');
  await settle();
  t.consent('granted');
  t.track('New visitor');
  await t.flush();
  await until(() => c.events().length == 4);
  const fresh = c.events()[3] as WaymarkEvent;
  expect(fresh.anonymousId).not.toBe(c.events()[0].anonymousId);
  expect(fresh.context.session.number).toBe(1);
  await t.shutdown();
});

// Were it to regress, this test would hang its worker (a synchronous loop), and the run with it.
test('a plugin that takes a hold in beforeSend does not make the page-hide handler spin forever', async () => {
  fakeCollector();
  let ctx!: PluginContext;
  const p: Plugin = {
    name: 'enrich',
    setup: (c) => void (ctx = c),
    beforeSend: (e) => void (e.event == 'First' && ctx.hold()),
  };
  const release = { r: () => {} };
  const hold: Plugin = { name: 'rules', setup: (c) => void (release.r = c.hold()) };
  const t = createTracker({ endpoint, plugins: [hold, p] });
  t.track('First');
  t.track('Second');
  window.dispatchEvent(new Event('pagehide'));
  await t.shutdown();
});

test('shutdown while the rules file loads: the events waiting for it are still written', async () => {
  const { journey } = await import('../../src');
  const c = fakeCollector(() => new Response('', { status: 503 }));
  const base = c.fetch.getMockImplementation()!;
  c.fetch.mockImplementation((url: string, init: RequestInit) =>
    String(url).endsWith('/rules.json') ? new Promise<Response>(() => {}) : base(url, init),
  );
  const t = createTracker({ endpoint, consent: 'granted', stages: journey('/rules.json') });
  t.track('Waiting for the rules');
  await settle();
  await t.shutdown(); // e.g. an SPA unmount within the first seconds
  c.respondWith();
  const next = createTracker({ endpoint, consent: 'granted' });
  await next.flush();
  await settle();
  expect(c.names()).toContain('Waiting for the rules');
  await next.shutdown();
});

test('a message on the tabs channel that is neither a consent state nor a key list is ignored', async () => {
  fakeCollector();
  const t = createTracker({ endpoint });
  const errors: unknown[] = [];
  const onError = (e: ErrorEvent) => errors.push(e.error ?? e.message);
  window.addEventListener('error', onError);
  const other = new BroadcastChannel('waymark:waymark');
  for (const junk of [42, { a: 1 }, null]) other.postMessage(junk);
  await settle();
  other.close();
  window.removeEventListener('error', onError);
  expect(errors).toEqual([]);
  expect(t.consentState).toBe('pending');
  await t.shutdown();
});

test('headers given as a string (say a data-headers attribute) is a clear setup error, not one header per character', () => {
  expect(() => createTracker({ endpoint, headers: 'Authorization: x' as any })).toThrow(/option "headers" must be an object/);
});

// Safari 14.1 could leave indexedDB.open() unanswered for good; a blocked open waits too.
test('a storage that never answers the first read: after 5 s the page goes on in memory, delivers, and shutdown() resolves', async () => {
  vi.useFakeTimers();
  try {
    const c = fakeCollector();
    vi.stubGlobal('indexedDB', { open: () => ({}) });
    const errors: string[] = [];
    const t = createTracker({ endpoint, consent: 'granted' });
    t.on('error', (e) => errors.push(e.code));
    t.track('Before');
    await vi.advanceTimersByTimeAsync(4_000);
    expect(c.events()).toEqual([]);
    await vi.advanceTimersByTimeAsync(1_100);
    t.track('After');
    await t.flush();
    expect(c.names()).toEqual(['Before', 'After']);
    expect(errors).toContain('storage');
    let done = false;
    t.shutdown().then(() => (done = true));
    await vi.advanceTimersByTimeAsync(1);
    expect(done).toBe(true);
  } finally {
    vi.useRealTimers();
  }
});

test('a revoke whose database delete stays blocked does not stop a later grant for good', async () => {
  vi.useFakeTimers();
  try {
    const c = fakeCollector();
    vi.stubGlobal('indexedDB', { open: () => ({}), deleteDatabase: () => ({}) });
    const t = createTracker({ endpoint, consent: 'denied' });
    t.consent('granted');
    t.track('After the grant');
    await vi.advanceTimersByTimeAsync(5_100);
    await t.flush();
    expect(c.names()).toEqual(['After the grant']);
    await t.shutdown();
  } finally {
    vi.useRealTimers();
  }
});

test('an event of 21,000 Japanese characters (under the 32 KB cap, over 60 KB in UTF-8) does not block the queue', async () => {
  const c = fakeCollector();
  const t = createTracker({ endpoint, consent: 'granted' });
  const errors: WaymarkError[] = [];
  t.on('error', (e) => errors.push(e));
  await settle();
  t.track('Review Posted', { text: 'あ'.repeat(21000) });
  t.track('Order Completed');
  await settle();
  await t.flush();
  await settle();
  await t.flush();
  await settle();
  expect(c.names()).toEqual(['Review Posted', 'Order Completed']);
  expect(await queued(idb)).toEqual([]);
  await t.shutdown();
});


test('the store given up after the 5 s timeout closes its late connection: a later revoke deletes the database', async () => {
  fakeCollector();
  // Another tab (an old Waymark, another script) holds the database open and ignores versionchange.
  const x: IDBDatabase = await new Promise((r) => { const q = idb.open('waymark'); q.onupgradeneeded = () => q.result.createObjectStore('q'); q.onsuccess = () => r(q.result); });
  const t = createTracker({ endpoint, consent: 'denied' }); // its erasure is blocked by x
  const errors: WaymarkError[] = [];
  t.on('error', (e) => errors.push(e));
  t.consent('granted');
  await tick(5200); // the first read times out: memory
  x.close(); // the other tab goes: the erasure completes, then the timed-out read opens the database
  await settle(); await tick(50); await settle();
  t.consent('denied'); // the visitor revokes
  await settle(); await tick(200); await settle();
  const left = await databases(idb);
  let blocked = false, deleted = false;
  const d = idb.deleteDatabase('waymark');
  d.onblocked = () => (blocked = true);
  d.onsuccess = () => (deleted = true);
  await tick(300); await settle();
  errors.length = 0;
  t.consent('granted'); // the visitor changes their mind
  await tick(5200);
  expect(left).not.toContain('waymark');
}, 15000);

describe('what a hook returns', () => {
  // Plain JavaScript on a site: a predicate, "keep everything but the admin pages". `true`
  // replaced the event (and for one made before the saved visitor was read, threw from the
  // end of the read, which stopped the page's delivery); `false` kept the admin page.
  test('beforeSend returning true keeps the event as it is; false drops it, as null does', async () => {
    const c = fakeCollector();
    const t = createTracker({ endpoint, consent: 'granted', beforeSend: ((e: WaymarkEvent) => e.event != 'Admin Opened') as any });
    t.track('Before the read');
    await settle();
    t.track('Admin Opened');
    t.track('After the read');
    await t.flush();
    await settle();
    expect(c.names()).toEqual(['Before the read', 'After the read']);
    await expect(t.shutdown()).resolves.toBeUndefined();
  });

  // The transform's Promise is refused; in beforeSend it replaced the event, sent as {}.
  test('an async beforeSend (it returns a Promise) keeps the event as it is', async () => {
    const c = fakeCollector();
    const t = createTracker({ endpoint, consent: 'granted', beforeSend: (async (e: WaymarkEvent) => e) as any });
    await settle();
    t.track('Signed Up');
    await t.flush();
    await settle();
    expect(c.names()).toEqual(['Signed Up']);
    await t.shutdown();
  });

  for (const [what, setup] of [
    ['a teardown that throws', () => () => {
      throw new Error('already removed');
    }],
    ['a Promise (an async setup)', async () => {}],
  ] as const)
    test(`a plugin whose setup returns ${what}: shutdown() still resolves and removes the tracker's own listeners`, async () => {
      fakeCollector();
      const removed: string[] = [];
      const rm = window.removeEventListener.bind(window);
      vi.spyOn(window, 'removeEventListener').mockImplementation((type: string, ...rest: any[]) => {
        removed.push(type);
        return (rm as any)(type, ...rest);
      });
      const t = createTracker({ endpoint, consent: 'granted', plugins: [{ name: 'mine', setup } as unknown as Plugin] });
      const errors: WaymarkError[] = [];
      t.on('error', (e) => errors.push(e));
      await settle();
      await expect(t.shutdown()).resolves.toBeUndefined();
      // The tracker's own pagehide listeners (see `hiding`, and the beacon's) are gone.
      expect(removed.filter((x) => x == 'pagehide')).toHaveLength(2);
      expect(errors.map((e) => e.code)).toEqual(typeof setup() == 'function' ? ['plugin'] : []);
    });

  test('a plugin restore() that returns an array holding a non-event does not stop the tracker', async () => {
    const c = fakeCollector();
    const t = createTracker({ endpoint, consent: 'granted', plugins: [{ name: 'odd', restore: () => [undefined] as any }] });
    t.track('First');
    await settle();
    await t.flush();
    await settle();
    expect(c.names()).toContain('First');
    await t.shutdown();
  });

  test('beforeSend and transform that are not functions (a data- attribute cannot carry one) are setup errors', () => {
    for (const k of ['beforeSend', 'transform']) expect(() => createTracker({ endpoint, [k]: 'x => x' } as any)).toThrow(`option "${k}" must be a function`);
  });
});
