// Delivery when things happen at the same time: writes failing together, the switch to the
// memory fallback or a shutdown while a batch is in flight, a page hide during a read, eviction,
// and a transform that throws.
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { createTracker } from '../../src';
import type { BatchBody, WaymarkError } from '../../src/types';
import { abortWritesAtCommit, dump, fakeCollector, freshIndexedDB, queued, settle, tick, until } from '../helpers';

const endpoint = 'https://collect.test/v1/batch';
let idb: IDBFactory;
beforeEach(() => {
  idb = freshIndexedDB();
});
afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  delete (document as any).visibilityState;
});

const hide = () => window.dispatchEvent(new Event('pagehide'));
const hidden = () => {
  Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
  document.dispatchEvent(new Event('visibilitychange'));
};
const count = (c: ReturnType<typeof fakeCollector>, name: string) => c.events().filter((e) => e.event == name).length;

async function tracker(opts = {}) {
  const t = createTracker({ endpoint, consent: 'granted', batchSize: 100, flushInterval: 60_000, ...opts });
  const errors: WaymarkError[] = [];
  t.on('error', (e) => errors.push(e));
  await settle();
  return { t, errors };
}

/** A collector whose answers wait for open(). */
function gated() {
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  const c = fakeCollector(async () => (await gate, new Response('{}')));
  return { c, open };
}

describe('two writes failing together (quota at commit)', () => {
  test('events of every failed transaction reach the memory queue and the collector', async () => {
    const c = fakeCollector();
    const { t } = await tracker();
    // Quota is checked at commit: the transaction aborts after put() returned.
    const put = abortWritesAtCommit();
    t.track('A'); // written in this task
    for (let i = 0; i < 5; i++) await Promise.resolve();
    expect(put).toHaveBeenCalled();
    t.track('B'); // written in the next transaction, before the first one's abort is known
    for (let i = 0; i < 5; i++) await Promise.resolve();
    await settle();
    vi.restoreAllMocks();
    await t.flush();
    await settle();
    expect(c.names().sort()).toEqual(['A', 'B']);
    await t.shutdown();
  });
});

describe('the switch to memory while a batch is in flight', () => {
  test('a 2xx for the batch read from IndexedDB still settles it there: it is sent once, and not queued for the next visit', async () => {
    const { c, open } = gated();
    const { t } = await tracker();
    t.track('A');
    await settle();
    const f = t.flush();
    await until(() => c.requests.length == 1, 'A in flight');
    vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(() => {
      throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    });
    t.track('B'); // the write fails: the queue moves to memory
    await settle();
    open(); // the collector took A
    await f;
    await settle();
    vi.restoreAllMocks();
    await t.flush();
    await settle();
    hide();
    await settle();
    // Once, by the regular flush: not again by the beacon, and not left in IndexedDB for the next visit.
    expect({ sends: count(c, 'A'), stillQueued: (await queued(idb)).map((e) => e.event) }).toEqual({ sends: 1, stillQueued: [] });
    await t.shutdown();
  });
});

describe('shutdown() while a batch is in flight', () => {
  /** Tracks A, starts its flush, and shuts down while the collector has not answered yet. */
  async function shutdownWithABatchInFlight() {
    const { c, open } = gated();
    const { t, errors } = await tracker();
    t.track('A');
    await settle();
    t.flush();
    await until(() => c.requests.length == 1, 'A in flight');
    // shutdown() settles the batch in flight before it closes the store.
    const down = t.shutdown();
    open();
    await down;
    await settle();
    await tick(10);
    await settle();
    return { c, errors };
  }

  test('with Web Locks: shutdown waits for the answer, and the delivered batch is not sent again on the next visit', async () => {
    Object.defineProperty(navigator, 'locks', {
      value: { request: (_: string, o: any, cb?: () => Promise<unknown>) => Promise.resolve().then(cb || o) },
      configurable: true,
    });
    try {
      const { c, errors } = await shutdownWithABatchInFlight();
      expect(errors.map((e) => e.code)).toEqual([]);
      const next = await tracker();
      await next.t.flush();
      await settle();
      expect(count(c, 'A')).toBe(1);
      await next.t.shutdown();
    } finally {
      delete (navigator as any).locks;
    }
  });

  // A page hide gives up the Web Lock of the batch in flight, and the request goes on. Shown
  // again from the back/forward cache, the page is shut down (an SPA's route unmounts the tracker)
  // before the answer: README says a batch in flight is settled first.
  test('with Web Locks: a batch still in flight from before a page hide is settled before shutdown() closes the store, and not sent again on the next visit', async () => {
    Object.defineProperty(navigator, 'locks', {
      value: { request: (_: string, o: any, cb?: () => Promise<unknown>) => Promise.resolve().then(cb || o) },
      configurable: true,
    });
    try {
      const { c, open } = gated();
      const { t, errors } = await tracker();
      t.track('A');
      await settle();
      t.flush();
      await until(() => c.requests.length == 1, 'A in flight');
      window.dispatchEvent(Object.assign(new Event('pagehide'), { persisted: true }));
      window.dispatchEvent(Object.assign(new Event('pageshow'), { persisted: true }));
      await settle();
      const down = t.shutdown();
      await settle();
      open(); // the collector took A
      await down;
      await settle();
      expect(errors.map((e) => e.code)).toEqual([]);
      expect((await queued(idb)).map((e) => e.event)).toEqual([]);
      const next = await tracker();
      await next.t.flush();
      await settle();
      expect(count(c, 'A')).toBe(1);
      await next.t.shutdown();
    } finally {
      delete (navigator as any).locks;
    }
  });

  // The batch out when the page was hidden carries the count of events lost before it; the page
  // shown again sends its next batch while that one is still out. The collector must be told of
  // each lost event once.
  test('a page shown again while the batch that reports the dropped count is still out does not report that count again', async () => {
    Object.defineProperty(navigator, 'locks', {
      value: { request: (_: string, o: any, cb?: () => Promise<unknown>) => Promise.resolve().then(cb || o) },
      configurable: true,
    });
    try {
      const { c, open } = gated();
      const t = createTracker({ endpoint, batchSize: 100, flushInterval: 60_000, maxPending: 1 });
      ['A', 'lost 1', 'lost 2'].forEach((n) => t.track(n)); // two beyond maxPending before consent
      t.consent('granted');
      await settle();
      t.flush();
      await until(() => c.requests.length == 1, 'A in flight');
      expect(c.requests[0].body.dropped).toBe(2);
      window.dispatchEvent(Object.assign(new Event('pagehide'), { persisted: true }));
      window.dispatchEvent(Object.assign(new Event('pageshow'), { persisted: true }));
      await settle();
      t.track('B');
      await settle();
      t.flush();
      await until(() => c.requests.length == 2, 'B sent while A is still out');
      open();
      await settle();
      await t.flush();
      await settle();
      expect(c.names().sort()).toEqual(['A', 'B']);
      expect(c.requests.reduce((n, r) => n + (r.body.dropped || 0), 0)).toBe(2);
      await t.shutdown();
    } finally {
      delete (navigator as any).locks;
    }
  });

  // The same, with the next page sending while the batch that reports the count is still out: a page
  // hide gives up the lock of the batch in flight, and the page the link opened flushes at once.
  // A known defect, left open (closing note, stop 16): the count is read by the next page as
  // it is on disk, and reported again (4 for 2). Fixing it needs the count marked as in flight
  // across pages, with an expiry for a page that dies before the answer. test.fails keeps the
  // proof: it fails the suite the day the count is reported once.
  test.fails('the next page, flushing while the batch of the page left that reports the dropped count is still out, does not report that count again', async () => {
    Object.defineProperty(navigator, 'locks', {
      value: { request: (_: string, o: any, cb?: () => Promise<unknown>) => Promise.resolve().then(cb || o) },
      configurable: true,
    });
    try {
      const { c, open } = gated();
      const t = createTracker({ endpoint, batchSize: 100, flushInterval: 60_000, maxPending: 1 });
      ['A', 'lost 1', 'lost 2'].forEach((n) => t.track(n)); // two beyond maxPending before consent
      t.consent('granted');
      await settle();
      t.flush();
      await until(() => c.requests.length == 1, 'A in flight');
      expect(c.requests[0].body.dropped).toBe(2);
      window.dispatchEvent(Object.assign(new Event('pagehide'), { persisted: true }));
      const next = createTracker({ endpoint, consent: 'granted', batchSize: 100, flushInterval: 60_000 });
      await settle();
      next.track('B');
      await settle();
      next.flush();
      await until(() => c.requests.length == 2, 'B sent while A is still out');
      open();
      await settle();
      window.dispatchEvent(Object.assign(new Event('pageshow'), { persisted: true }));
      await settle();
      await next.flush();
      await settle();
      expect(c.requests.reduce((n, r) => n + (r.body.dropped || 0), 0)).toBe(2);
      await t.shutdown();
      await next.shutdown();
    } finally {
      delete (navigator as any).locks;
    }
  });

  test('without Web Locks: the IndexedDB lease is released, so other tabs can flush at once', async () => {
    await shutdownWithABatchInFlight();
    const lease = (await dump(idb)).l;
    expect(lease && lease.t > Date.now() ? 'lease still held' : 'released').toBe('released');
  });
});

describe('a page kept in the back/forward cache takes no Web Lock', () => {
  // Frozen holding it, the page would be evicted by the next page's flush (weblocks-contention).
  // While backing off, a write that brings the events written to a batch enforces the queue's
  // bounds under the lock: not after the page hide (web vitals and Form Abandoned are tracked then).
  test('backing off, the events tracked after the page hide do not take the lock to enforce the bounds', async () => {
    const asked: string[] = [];
    let kept = false;
    Object.defineProperty(navigator, 'locks', {
      value: { request: (_: string, o: any, cb?: () => Promise<unknown>) => (kept && asked.push('while kept'), Promise.resolve().then(cb || o)) },
      configurable: true,
    });
    try {
      fakeCollector(() => new Response('', { status: 503 }));
      const { t } = await tracker({ batchSize: 2 });
      t.track('A');
      await settle();
      await t.flush(); // 503: backing off
      await settle();
      t.track('B'); // one written while backing off
      await settle();
      window.dispatchEvent(Object.assign(new Event('pagehide'), { persisted: true }));
      kept = true;
      t.track('Form Abandoned'); // tracked during the hide: the second one
      await settle();
      expect(asked).toEqual([]);
      kept = false;
      window.dispatchEvent(Object.assign(new Event('pageshow'), { persisted: true }));
      await settle();
      await t.shutdown();
    } finally {
      delete (navigator as any).locks;
    }
  });
});

describe('a flush under way at a page hide that keeps the page', () => {
  // A flush started just before the page hide (a timer, a batch filled, the site's own pagehide
  // listener registered before the tracker's) waits for the write in progress: it has asked for
  // no lock yet, so the page hide has nothing to withdraw. It must not ask once the page is kept.
  test('a flush still waiting for its write at the page hide asks for no Web Lock while the page is kept', async () => {
    const asked: string[] = [];
    let kept = false;
    Object.defineProperty(navigator, 'locks', {
      value: { request: (_: string, o: any, cb?: () => Promise<unknown>) => (kept && asked.push('while kept'), Promise.resolve().then(cb || o)) },
      configurable: true,
    });
    try {
      fakeCollector();
      const { t } = await tracker();
      t.track('A');
      t.flush(); // waits for A's write
      window.dispatchEvent(Object.assign(new Event('pagehide'), { persisted: true }));
      kept = true;
      await settle();
      expect(asked).toEqual([]);
      kept = false;
      window.dispatchEvent(Object.assign(new Event('pageshow'), { persisted: true }));
      await settle();
      await t.shutdown();
    } finally {
      delete (navigator as any).locks;
    }
  });
});

describe('a page kept in the back/forward cache is granted no Web Lock it asked for before', () => {
  // Backing off, the write that brings the events written to a batch asks for the lock to enforce the
  // queue's bounds. Another tab holds it (its batch out to a slow collector) when the page is left:
  // the request must be withdrawn at the page hide, as a flush's is, or the lock is granted to the
  // page frozen in the cache, and the next page's flush evicts it (weblocks-contention).
  test('backing off, a request for the lock to enforce the bounds, made before the page hide, is withdrawn', async () => {
    let release!: () => void;
    const other = new Promise<void>((r) => (release = r));
    let busy = false;
    let kept = false;
    const granted: string[] = [];
    Object.defineProperty(navigator, 'locks', {
      value: {
        // Granted once the other tab lets go, unless withdrawn by then (AbortError), as browsers do.
        request: (_: string, o: any, cb?: () => Promise<unknown>) => {
          const signal: AbortSignal | undefined = cb && o?.signal;
          return (busy ? other : Promise.resolve()).then(() => {
            if (signal?.aborted) throw new DOMException('withdrawn', 'AbortError');
            if (kept) granted.push('granted while kept');
            return (cb || o)();
          });
        },
      },
      configurable: true,
    });
    try {
      fakeCollector(() => new Response('', { status: 503 }));
      const { t } = await tracker({ batchSize: 2 });
      t.track('A');
      await settle();
      await t.flush(); // 503: backing off
      await settle();
      busy = true; // another tab's flush takes the lock
      t.track('B');
      t.track('C'); // a batch written while backing off: the bounds are to be enforced under the lock
      await settle();
      window.dispatchEvent(Object.assign(new Event('pagehide'), { persisted: true }));
      kept = true;
      release(); // the other tab's request ends
      await settle();
      expect(granted).toEqual([]);
      kept = false;
      window.dispatchEvent(Object.assign(new Event('pageshow'), { persisted: true }));
      await settle();
      await t.shutdown();
    } finally {
      delete (navigator as any).locks;
    }
  });
});

describe('page hidden (a tab switch) while the saved visitor is still being read', () => {
  test('the events it beacons are not also written and sent again by the regular flush', async () => {
    const c = fakeCollector(async () => (await tick(30), new Response('{}')));
    const t = createTracker({ endpoint, consent: 'granted', batchSize: 100, flushInterval: 50 });
    t.track('A'); // held: the saved visitor is not read yet
    hidden(); // the user switches tabs at once; the page lives on
    await tick(100);
    await settle();
    await t.flush();
    await settle();
    expect(count(c, 'A')).toBe(1);
    await t.shutdown();
  });
});

describe('page hidden while a flush is reading its batch', () => {
  test('an event is sent by the beacon or by the regular request, not both', async () => {
    const c = fakeCollector();
    const { t } = await tracker();
    t.track('A');
    await settle();
    const orig = IDBObjectStore.prototype.getAll;
    let fired = false;
    vi.spyOn(IDBObjectStore.prototype, 'getAll').mockImplementation(function (this: IDBObjectStore, ...a: any[]) {
      const r = orig.apply(this, a as any);
      // visibilitychange arrives while the read is in progress (it takes a task or more)
      if (!fired) (fired = true), hidden(); // the read is queued, its result not yet delivered
      return r;
    });
    await t.flush();
    await settle();
    await tick(10);
    await settle();
    expect(fired).toBe(true);
    expect(count(c, 'A')).toBe(1);
    await t.shutdown();
  });
});

describe('evicted events', () => {
  test('an event evicted (and reported dropped) is not sent by the page-hide beacon after all', async () => {
    const c = fakeCollector();
    const { t, errors } = await tracker({ maxAge: 30 });
    t.track('Old');
    await settle();
    await tick(50);
    await t.flush(); // the bound check evicts it
    await settle();
    expect(errors.some((e) => e.code == 'dropped')).toBe(true);
    expect(await queued(idb)).toEqual([]);
    hide();
    await settle();
    expect(c.names()).not.toContain('Old');
    await t.shutdown();
  });
});

describe('a transform that throws, or returns no body', () => {
  // Its type allowed it: a transform that signs the body asynchronously. JSON.stringify of a
  // Promise is "{}": that was POSTed, and a 2xx settled the batch the collector never got.
  for (const [what, transform] of [
    ['returns a Promise (async)', async (b: BatchBody) => ({ ...b, writeKey: 'k' })],
    ['returns nothing (it changed the body in place)', (b: BatchBody) => void ((b as any).writeKey = 'k')],
    ['returns a number', () => 42],
    ['returns a function', () => () => 0],
  ] as const) {
    test(`${what}: nothing is sent, the batch stays queued, and a config error says why, at flush and at page hide`, async () => {
      const c = fakeCollector();
      const { t, errors } = await tracker({ transform: transform as any });
      t.track('Order Completed');
      await settle();
      await t.flush();
      await settle();
      hide();
      await settle();
      expect(c.requests).toEqual([]);
      // One error: the failed flush backs off, and a page backing off sends nothing at hide.
      expect(errors.map((e) => e.code)).toEqual(['config']);
      expect(errors[0].message).toMatch(/transform: must return an object or a string, synchronously; the batch stays queued/);
      expect((await queued(idb)).map((e) => e.event)).toEqual(['Order Completed']);
      await t.shutdown();
    });
  }

  test('a string is sent as it is (NDJSON for a log pipeline), at flush and at page hide', async () => {
    const bodies: string[] = [];
    vi.stubGlobal('fetch', async (_: string, init: RequestInit) => (bodies.push(String(init.body)), new Response('{}')));
    const { t, errors } = await tracker({ transform: (b: BatchBody) => b.batch.map((e) => JSON.stringify(e)).join('\n') });
    t.track('A');
    t.track('B');
    await settle();
    await t.flush();
    t.track('C');
    await settle();
    hide();
    await settle();
    const lines = bodies.map((b) => b.split('\n').map((l) => JSON.parse(l).event));
    expect(lines).toEqual([['A', 'B'], ['C']]);
    expect(errors).toEqual([]);
    await t.shutdown();
  });


  test('throws nothing into the page from the page-hide listener', async () => {
    fakeCollector();
    const { t } = await tracker({
      transform: () => {
        throw new Error('bad transform');
      },
    });
    const seen: unknown[] = [];
    const onErr = (e: ErrorEvent) => seen.push(e.error ?? e.message);
    window.addEventListener('error', onErr);
    t.track('A');
    await settle();
    let thrown: unknown;
    try {
      hide();
    } catch (e) {
      thrown = e;
    }
    await settle();
    window.removeEventListener('error', onErr);
    expect([thrown, ...seen].filter(Boolean)).toEqual([]);
    await t.shutdown();
  });
});
