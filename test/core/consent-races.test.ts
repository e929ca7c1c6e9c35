// Consent and identity changes that race the pipeline: a hold (a rules file loading) keeping
// events waiting, and the read of the saved visitor after a grant.
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { createTracker, journey, pageViews } from '../../src';
import { attribution } from '../../src/capture/attribution';
import type { Rules } from '../../src/journey/rules';
import type { Plugin, PluginContext } from '../../src/types';
import product from '../journey/fixtures/product.json';
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

describe('a revoke, a grant and a revoke again', () => {
  // The grant's read waits for the first revoke's erasure; the second revoke comes before it is
  // done (a consent platform replaying its states, or a preference centre clicked fast). Denied,
  // nothing may be stored: not the visitor record the grant's read would claim.
  test('in one go: nothing is stored once the erasures are done', async () => {
    fakeCollector();
    const t = createTracker({ endpoint, consent: 'granted' });
    t.track('Old');
    await settle();
    await until(async () => (await dump(idb)).v, 'visitor stored');
    t.consent('denied');
    t.consent('granted');
    t.consent('denied');
    await settle(300);
    await tick(50);
    await settle(300);
    expect(t.consentState).toBe('denied');
    expect(await dump(idb)).toEqual({});
    await t.shutdown();
  }, 10000);
});

describe('a revoke during a flush', () => {
  // A revoke is a normal path: the database is deleted under the flush's feet (its connection
  // closes, and the flush's next transaction throws InvalidStateError). That must not be
  // reported as storage trouble, on the console or to on('error'); and nothing may stay.
  test.each(['the IndexedDB lease', 'Web Locks'])('is silent, and leaves nothing, at whatever point of the flush it comes (%s)', async (lock) => {
    if (lock == 'Web Locks')
      Object.defineProperty(navigator, 'locks', { value: { request: (_: string, o: any, cb?: () => Promise<unknown>) => Promise.resolve().then(cb || o) }, configurable: true });
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

describe('reset() and consent changes before the saved visitor is read', () => {
  /** A first visit that leaves a visitor on disk: alice, first touch google, stage purchase. */
  async function oldVisitor() {
    const c = fakeCollector();
    history.replaceState(null, '', '/first?utm_source=google&utm_medium=cpc');
    const first = createTracker({ endpoint, consent: 'granted', capture: [attribution(), pageViews()], stages: journey(product as Rules) });
    first.identify('alice');
    first.track('Order Completed');
    await settle();
    await first.flush();
    await first.shutdown();
    expect(c.names()).toContain('Order Completed');
    history.replaceState(null, '', '/');
    const v = (await dump(idb)).v;
    expect([v.u, v.j?.stage]).toEqual(['alice', 'purchase']);
    return v;
  }

  /** What would tell the old visitor: their ids, user, session, first touch, stage. */
  const traces = (old: any, what: unknown) => {
    const json = JSON.stringify(what);
    return [old.a, old.s, 'alice', 'google', 'purchase'].filter((x) => json.includes(x));
  };

  /** The success of the next indexedDB.open() is reported `ms` late (a slow or stuck open, as Safari 14.1's). */
  function slowOpen(ms: number) {
    const open = idb.open.bind(idb);
    let once = false;
    vi.spyOn(idb, 'open').mockImplementation((...a: [string, number?]) => {
      const r = open(...a);
      if (once) return r;
      once = true;
      return new Proxy(r, {
        set: (o: any, k, f) => ((o[k] = k == 'onsuccess' && f ? (e: Event) => setTimeout(() => f.call(o, e), ms) : f), true),
        get: (o: any, k) => (typeof o[k] == 'function' ? o[k].bind(o) : o[k]),
      });
    });
  }

  test.each([
    ['in one go', 0],
    ['a moment apart, the read slow', 10],
  ])('reset(), revoke, grant, reset(), %s: nothing of the old visitor is sent or stays', async (_, rounds) => {
    const old = await oldVisitor();
    if (rounds) slowOpen(500);
    const c = fakeCollector();
    const t = createTracker({ endpoint, consent: 'granted', capture: [attribution(), pageViews()], stages: journey(product as Rules), flushInterval: 60_000 });
    for (const step of [() => t.reset(), () => t.consent('denied'), () => t.consent('granted'), () => t.reset()]) step(), await settle(rounds);
    t.track('After');
    await tick(rounds ? 600 : 0);
    await t.flush();
    await settle();
    expect(c.names()).toEqual(['After']);
    const after = c.events()[0];
    expect([after.userId, after.context.session.number, after.context.journey?.stage ?? null]).toEqual([null, 1, null]);
    expect(traces(old, c.requests.map((r) => r.body))).toEqual([]);
    await t.shutdown();
    expect(traces(old, await dump(idb))).toEqual([]);
  });

  // The read of the saved visitor times out at 5 s (the page goes on in memory), and answers
  // after a revoke: its claim (the visitor it writes when none is saved) lands then. Whatever
  // it writes, the revoke's erasure must come after it.
  test.each([
    ['a revoke', 0],
    ['a revoke, then a grant before the read answers', 1],
    ['a revoke, the read answering, then a grant', 2],
  ])('a read that answers after the 5 s timeout, then %s: nothing of the old visitor, or of the time denied, stays', async (_, grant) => {
    const old = await oldVisitor();
    const c = fakeCollector();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      slowOpen(8000);
      const t = createTracker({ endpoint, consent: 'granted', capture: [attribution(), pageViews()], stages: journey(product as Rules), flushInterval: 60_000 });
      await settle(); // the open succeeds, and says so 8 s later
      await vi.advanceTimersByTimeAsync(5001); // no answer in 5 s: the page goes on in memory, and sends its page view
      expect(c.names()).toEqual(['page', 'Journey Stage Entered']);
      c.requests.length = 0;
      t.consent('denied');
      t.track('While denied');
      if (grant == 1) t.consent('granted');
      await vi.advanceTimersByTimeAsync(1000);
      await settle();
      await vi.advanceTimersByTimeAsync(3000); // the read answers
      await settle();
      if (grant == 2) t.consent('granted');
      if (grant) t.track('After');
      await vi.advanceTimersByTimeAsync(1000);
      await settle();
      vi.useRealTimers();
      await tick(50);
      await t.flush();
      await settle();
      expect(c.names()).toEqual(grant ? ['After'] : []);
      expect(traces(old, c.requests.map((r) => r.body))).toEqual([]);
      await t.shutdown();
      if (!grant) await until(async () => !(await databases(idb)).includes('waymark'), 'the database is deleted');
      const left = await dump(idb);
      expect(traces(old, left)).toEqual([]);
      if (grant) expect(left.v.a).toBe(c.events()[0].anonymousId);
    } finally {
      vi.useRealTimers();
    }
  });
});
