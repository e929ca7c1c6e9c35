// Consent and identity changes that race the pipeline: a hold (a rules file loading) keeping
// events waiting, and the read of the saved visitor after a grant.
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { createTracker } from '../../src';
import type { Plugin, PluginContext } from '../../src/types';
import { databases, dump, fakeCollector, freshIndexedDB, queued, settle, tick, until } from '../helpers';

const endpoint = 'https://collect.test/v1/batch';
let idb: IDBFactory;
beforeEach(() => {
  idb = freshIndexedDB();
});
afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  delete (navigator as any).locks;
});

/** A plugin that holds the pipeline like journey('/rules.json') does while its file loads. */
function holder() {
  let release!: () => void;
  const p: Plugin = { name: 'holder', setup: (c: PluginContext) => void (release = c.hold()) };
  return { p, release: () => release() };
}

describe('consent changes while a hold keeps events waiting (a rules file loading)', () => {
  test('pending, then denied, then granted within the hold: neither the pending event nor the one tracked while denied is sent', async () => {
    const c = fakeCollector();
    const h = holder();
    const t = createTracker({ endpoint, plugins: [h.p] });
    t.track('Pending then denied');
    t.consent('denied');
    t.track('Tracked while denied');
    t.consent('granted');
    await settle();
    h.release(); // the rules file arrives
    await t.flush();
    await settle();
    // Contract: denied drops held events; nothing tracked while denied is ever sent.
    expect(c.names()).toEqual([]);
    await t.shutdown();
  });

  test('granted, identify, revoke, grant within the hold: nothing from before the revoke, and no pre-revoke user id, is sent', async () => {
    const c = fakeCollector();
    const h = holder();
    const t = createTracker({ endpoint, consent: 'granted', plugins: [h.p] });
    await settle();
    t.identify('alice@example.com');
    t.track('Before revoke');
    t.consent('denied');
    await until(async () => !(await databases(idb)).includes('waymark'), 'database deleted');
    t.consent('granted');
    await settle();
    h.release();
    await t.flush();
    await settle();
    const leaked = c.events().filter((e) => e.userId == 'alice@example.com');
    expect(leaked.map((e) => e.event || e.type)).toEqual([]);
    await t.shutdown();
  });
});

describe('a logout while the saved visitor is being read', () => {
  for (const logout of ['reset', 'identify(null)'] as const) {
    test(`${logout} right after load (from the stub queue) is not undone by the saved visitor`, async () => {
      const c = fakeCollector();
      const a = createTracker({ endpoint, consent: 'granted' });
      a.identify('alice');
      await a.flush();
      await until(() => c.events().length == 1);
      const oldAnon = c.events()[0].anonymousId;
      await a.shutdown();

      // Next page: the logout command queued in the stub runs while the saved visitor is being read.
      const b = createTracker({ endpoint, consent: 'granted' });
      if (logout == 'reset') b.reset();
      else b.identify(null);
      b.track('After logout');
      await b.flush();
      await until(() => c.events().length >= 2 + (logout == 'reset' ? 0 : 1));
      const after = c.events().find((e) => e.event == 'After logout')!;
      expect(after.userId).toBeNull();
      if (logout == 'reset') expect(after.anonymousId).not.toBe(oldAnon);
      await b.shutdown();
    });
  }
});

describe('a grant right after a revoke', () => {
  // A revoke erases the database; a grant right after must not race that erasure.
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
    c.respondWith();
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
});

describe('a revoke during a flush', () => {
  // A revoke is a normal path: the database is deleted under the flush's feet (its connection
  // closes, and the flush's next transaction throws InvalidStateError). That must not be
  // reported as storage trouble, on the console or to on('error'); and nothing may stay.
  test.each(['the IndexedDB lease', 'Web Locks'])('is silent, and leaves nothing, at whatever point of the flush it comes (%s)', async (lock) => {
    if (lock == 'Web Locks')
      Object.defineProperty(navigator, 'locks', { value: { request: (_: string, cb: () => Promise<unknown>) => Promise.resolve().then(cb) }, configurable: true });
    const warn = vi.spyOn(console, 'warn');
    const heard: unknown[] = [];
    for (let rounds = 0; rounds < 30; rounds++) {
      idb = freshIndexedDB();
      const c = fakeCollector();
      const t = createTracker({ endpoint, consent: 'granted', flushInterval: 60_000 });
      t.on('error', (e) => heard.push([rounds, e.code, e.message]));
      for (let i = 0; i < 5; i++) t.track('Before revoke ' + i);
      await settle(30);
      const flushed = t.flush();
      await settle(rounds);
      t.consent('denied');
      t.track('After revoke');
      await flushed;
      await settle();
      expect(await databases(idb)).not.toContain('waymark');
      expect(c.names()).not.toContain('After revoke');
      await t.shutdown();
    }
    expect([heard, warn.mock.calls]).toEqual([[], []]);
  });
});

describe('a revoke on a tracker that is shut down', () => {
  // The consent banner keeps its reference to the tracker: an SPA that shut it down (an
  // unmount) still has the visitor's queue, ids and stage on disk, and other tabs tracking.
  test('after shutdown(): consent("denied") erases what it stored and stops the other tabs', async () => {
    const c = fakeCollector(() => new Response('', { status: 503 }));
    const a = createTracker({ endpoint, consent: 'granted', flushInterval: 60_000 });
    const b = createTracker({ endpoint, consent: 'granted', flushInterval: 60_000 });
    a.identify('alice');
    a.track('Queued');
    await settle();
    await until(async () => (await queued(idb)).length >= 1, 'queued');
    await a.shutdown();
    a.consent('denied');
    await tick(50);
    await until(async () => !(await databases(idb)).includes('waymark'), 'the database is deleted');
    expect(b.consentState).toBe('denied');
    c.respondWith();
    b.track('After the revoke');
    await b.flush();
    await settle();
    expect(c.names()).not.toContain('After the revoke');
    await b.shutdown();
  });

  test('while shutdown() settles its batch in flight: consent("denied") aborts it and nothing stays on disk', async () => {
    let signal: AbortSignal | undefined;
    const c = fakeCollector(
      (req) =>
        new Promise((_, rej) => {
          signal = req.init.signal!;
          signal.addEventListener('abort', () => rej(new DOMException('aborted', 'AbortError')));
        }),
    );
    const a = createTracker({ endpoint, consent: 'granted', flushInterval: 60_000 });
    a.track('In flight');
    await settle();
    a.flush();
    await until(() => c.requests.length == 1, 'a sends');
    const down = a.shutdown(); // "Reject all" that also stops tracking: shutdown(), then consent('denied')
    a.consent('denied');
    await tick(20);
    expect(signal!.aborted).toBe(true);
    await down;
    expect(a.consentState).toBe('denied');
    await until(async () => !(await databases(idb)).includes('waymark'), 'the database is deleted');
  });
});
