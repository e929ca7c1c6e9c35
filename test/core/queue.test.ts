import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { createTracker } from '../../src';
import type { WaymarkError } from '../../src/types';
import { abortWritesAtCommit, dump, fakeCollector, freshIndexedDB, queued, settle } from '../helpers';

const endpoint = 'https://collect.test/v1/batch';
let idb: IDBFactory;
beforeEach(() => {
  idb = freshIndexedDB();
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] });
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

const down = () => fakeCollector(() => new Response('', { status: 503 }));
const up = (c: ReturnType<typeof fakeCollector>) => {
  c.requests.length = 0;
  c.respondWith();
};

async function tracker(opts = {}) {
  const t = createTracker({ endpoint, consent: 'granted', ...opts });
  const errors: WaymarkError[] = [];
  t.on('error', (e) => errors.push(e));
  await settle();
  return { t, errors };
}

describe('the queue in IndexedDB', () => {
  test('events tracked in one task are written in one transaction', async () => {
    down();
    const { t } = await tracker();
    const tx = vi.spyOn(IDBDatabase.prototype, 'transaction');
    for (let i = 0; i < 10; i++) t.track('E' + i);
    await settle();
    const writes = tx.mock.calls.filter(([, mode]) => mode == 'readwrite');
    expect(writes).toHaveLength(1);
    expect(await queued(idb)).toHaveLength(10);
    await t.shutdown();
  });

  test('the visitor record is persisted with the queue', async () => {
    down();
    const { t } = await tracker();
    t.identify('user-1');
    await settle();
    const v = (await dump(idb)).v;
    expect(v).toMatchObject({ a: expect.any(String), u: 'user-1', s: expect.any(String), n: 1 });
    await t.shutdown();
  });
});

describe('draining a long queue', () => {
  test('reads each event about once: one keys-only scan per flush, then batch-sized reads', async () => {
    const c = down();
    const { t } = await tracker({ batchSize: 20 });
    for (let i = 0; i < 200; i++) t.track('E' + i);
    await settle();
    up(c);
    const getAll = vi.spyOn(IDBObjectStore.prototype, 'getAll');
    const getAllKeys = vi.spyOn(IDBObjectStore.prototype, 'getAllKeys');
    await t.flush();
    await settle();
    expect(c.events()).toHaveLength(200);
    expect(c.requests).toHaveLength(10);
    // Values are only read a batch at a time (20 + what is in flight or marked), never the whole queue.
    const valueReads = getAll.mock.calls.map(([, count]) => count);
    expect(valueReads.every((n) => typeof n == 'number' && n <= 40)).toBe(true);
    expect(valueReads.length).toBeLessThanOrEqual(13); // 10 batches, and an empty read that ends each flush loop
    // The unbounded keys-only scan (the bounds check) runs once per flush loop (a flush may run a
    // second loop for what was tracked meanwhile), not once per batch.
    expect(getAllKeys.mock.calls.filter(([, count]) => count === undefined).length).toBeLessThanOrEqual(2);
    await t.shutdown();
  });
});

describe('bounds and eviction', () => {
  test('count: the oldest events beyond maxQueue are evicted and reported on the next batch', async () => {
    const c = down();
    const { t, errors } = await tracker({ maxQueue: 5, batchSize: 100 });
    for (let i = 0; i < 8; i++) {
      t.track('E' + i);
      await vi.advanceTimersByTimeAsync(1);
    }
    await settle();
    up(c);
    await t.flush();
    await settle();
    expect(c.names()).toEqual(['E3', 'E4', 'E5', 'E6', 'E7']);
    expect(c.requests[0].body.dropped).toBe(3);
    expect(errors).toContainEqual(expect.objectContaining({ code: 'dropped', count: 3 }));
    t.track('Next');
    await t.flush();
    await settle();
    expect(c.requests[1].body.dropped).toBeUndefined();
    await t.shutdown();
  });

  test('a long backoff (Retry-After: 1 h) does not let the queue grow past its bounds', async () => {
    fakeCollector(() => new Response('', { status: 503, headers: { 'Retry-After': '3600' } }));
    const { t, errors } = await tracker({ maxQueue: 10, batchSize: 2, flushInterval: 60_000 });
    t.track('First');
    await t.flush();
    await settle();
    // Now backing off for an hour, while 200 more events are tracked.
    for (let i = 0; i < 200; i++) {
      t.track('E' + i);
      await settle(20);
    }
    await settle();
    expect((await queued(idb)).length).toBeLessThanOrEqual(10 + 2);
    expect(errors.filter((e) => e.code == 'dropped').reduce((n, e) => n + (e.count as number), 0)).toBeGreaterThanOrEqual(201 - 12);
    await t.shutdown();
  });

  test('a batch the collector refuses (4xx) does not take the dropped count with it: the next batch reports it', async () => {
    const c = down();
    const { t } = await tracker({ maxQueue: 2, batchSize: 100 });
    for (let i = 0; i < 4; i++) {
      t.track('E' + i);
      await vi.advanceTimersByTimeAsync(1);
    }
    await settle();
    c.requests.length = 0;
    c.fetch.mockImplementation(async (url: string, init: RequestInit) => {
      c.requests.push({ url, init, body: JSON.parse(String(init.body)) });
      return new Response('{}', { status: c.requests.length == 1 ? 400 : 200 });
    });
    await t.flush();
    await settle();
    expect(c.requests[0].body.dropped).toBe(2);
    t.track('Next');
    await t.flush();
    await settle();
    expect(c.requests[1].body).toMatchObject({ dropped: 2, batch: [{ event: 'Next' }] });
    await t.shutdown();
  });

  test('a page torn down right after evicting: the count is not lost with it, the next page reports every event it evicted', async () => {
    const c = down();
    const first = await tracker({ maxQueue: 3, batchSize: 100 });
    for (let i = 0; i < 3; i++) {
      first.t.track('E' + i);
      await vi.advanceTimersByTimeAsync(1);
    }
    await settle();
    // From the first event deleted on, the page is gone: no transaction begins after that one.
    let gone = false;
    const del = IDBObjectStore.prototype.delete;
    vi.spyOn(IDBObjectStore.prototype, 'delete').mockImplementation(function (this: IDBObjectStore, k: any) {
      if (String(k)[0] == 'e') gone = true;
      return del.call(this, k);
    });
    const open = IDBDatabase.prototype.transaction;
    vi.spyOn(IDBDatabase.prototype, 'transaction').mockImplementation(function (this: IDBDatabase, ...a: any[]) {
      if (gone) throw new DOMException('the page is gone', 'InvalidStateError');
      return (open as any).apply(this, a);
    });
    first.t.track('E3');
    first.t.track('E4');
    await vi.advanceTimersByTimeAsync(60_000);
    await settle();
    expect(gone).toBe(true);
    vi.restoreAllMocks();
    void first.t.shutdown();
    // The next page, with the collector back: every event tracked is delivered or counted as dropped.
    up(c);
    const next = await tracker({ maxQueue: 3, batchSize: 100 });
    // Without Web Locks (Node), the first page's lease on the queue runs out first.
    await vi.advanceTimersByTimeAsync(180_000);
    await next.t.flush();
    await settle();
    const dropped = c.requests.reduce((n, r) => n + (r.body.dropped || 0), 0);
    expect(c.names().filter((n) => n[0] == 'E').length + dropped).toBe(5);
    await next.t.shutdown();
  });

  test('bytes: the queue never holds more than maxQueueBytes', async () => {
    const c = down();
    const { t } = await tracker({ maxQueueBytes: 3000, batchSize: 100 });
    for (let i = 0; i < 10; i++) {
      t.track('E' + i, { pad: 'x'.repeat(400) });
      await vi.advanceTimersByTimeAsync(1);
    }
    await settle();
    up(c);
    await t.flush();
    await settle();
    const sent = c.events();
    const bytes = sent.reduce((n, e) => n + JSON.stringify(e).length, 0);
    expect(bytes).toBeLessThanOrEqual(3000);
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.at(-1)!.event).toBe('E9');
    expect(c.requests[0].body.dropped).toBe(10 - sent.length);
    await t.shutdown();
  });

  test('age: events older than maxAge are evicted', async () => {
    const c = down();
    const { t } = await tracker({ maxAge: 60_000 });
    t.track('Old');
    await settle();
    await vi.advanceTimersByTimeAsync(61_000);
    t.track('New');
    await settle();
    up(c);
    await t.flush();
    await settle();
    expect(c.names()).toEqual(['New']);
    expect(c.requests[0].body.dropped).toBe(1);
    await t.shutdown();
  });

  test('an event over 32 KB is refused with an error; the others are kept', async () => {
    const c = fakeCollector();
    const { t, errors } = await tracker();
    t.track('Huge', { blob: 'x'.repeat(40_000) });
    t.track('Fine');
    await t.flush();
    await settle();
    expect(c.names()).toEqual(['Fine']);
    expect(errors).toContainEqual(expect.objectContaining({ code: 'dropped' }));
    await t.shutdown();
  });

  // Segment's HTTP API caps an event at 32 KB of the request body, which is UTF-8: 12,000
  // Japanese characters are under Waymark's 32,000-character cap and 36 KB on the wire. Segment
  // answers the batch holding it with a 400, and a 4xx drops the whole batch: the events sent
  // beside it were lost with it.
  test("an event over 32 KB in UTF-8 (under 32,000 characters) costs no other event at a pipeline that enforces Segment's 32 KB per event", async () => {
    const over = (e: unknown) => new TextEncoder().encode(JSON.stringify(e)).length > 32 * 1024;
    const c = fakeCollector((req) => new Response('', { status: req.body.batch.some(over) ? 400 : 200 }));
    const { t } = await tracker();
    t.track('Order Completed');
    t.track('Review Posted', { text: 'あ'.repeat(12_000) });
    t.track('Signed Up');
    for (let i = 0; i < 3; i++) await t.flush(), await settle();
    const delivered = c.requests.filter((r) => !r.body.batch.some(over)).flatMap((r) => r.body.batch.map((e: any) => e.event));
    expect(delivered).toEqual(['Order Completed', 'Signed Up']);
    await t.shutdown();
  });
});

describe('storage failures never throw and lose nothing', () => {
  test('a full disk (QuotaExceededError) is reported and the page goes on in memory; nothing is lost', async () => {
    const c = down();
    const { t, errors } = await tracker({ batchSize: 100 });
    t.track('Stored before the disk filled');
    await settle();
    vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(() => {
      throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    });
    expect(() => t.track('After the disk filled')).not.toThrow();
    await settle();
    expect(errors.map((e) => e.code)).toContain('quota');
    expect(errors.find((e) => e.code == 'quota')!.message).toMatch(/memory/);
    up(c);
    await t.flush();
    await settle();
    expect(c.names()).toContain('After the disk filled');
    await t.shutdown();
    // What was stored before stays on disk for the next visit.
    vi.restoreAllMocks();
    const next = await tracker();
    await next.t.flush();
    await settle();
    expect(c.names()).toContain('Stored before the disk filled');
    await next.t.shutdown();
  });

  // A full disk refuses a transaction that writes anything, when it commits (Chromium checks
  // quota at commit, for the bytes it puts): one that only deletes still goes through. Web Locks as in
  // browsers, so that the lease fallback's own write is not what the full disk refuses.
  const webLocks = () =>
    Object.defineProperty(navigator, 'locks', { value: { request: (_: string, o: any, cb?: () => Promise<unknown>) => Promise.resolve().then(cb || o) }, configurable: true });

  test('a full disk (quota at commit) once a batch is stored: the batch delivered leaves the queue, and is not sent again', async () => {
    webLocks();
    try {
      const c = fakeCollector();
      const { t } = await tracker({ batchSize: 100 });
      t.track('A');
      await settle();
      abortWritesAtCommit();
      await t.flush();
      await settle();
      await t.flush();
      await settle();
      vi.restoreAllMocks();
      // Sent once, and not left on disk for the next visit to send again.
      expect({ sends: c.names().filter((n) => n == 'A').length, stillQueued: (await queued(idb)).map((e) => e.event) }).toEqual({ sends: 1, stillQueued: [] });
      await t.shutdown();
    } finally {
      delete (navigator as any).locks;
    }
  });

  test('a full disk (quota at commit) with events over maxAge: they are evicted, and the others delivered', async () => {
    webLocks();
    try {
      const c = down();
      const { t, errors } = await tracker({ maxAge: 60_000, batchSize: 100 });
      t.track('Old');
      await settle();
      await vi.advanceTimersByTimeAsync(61_000);
      t.track('New');
      await settle();
      up(c);
      abortWritesAtCommit();
      await t.flush();
      await settle();
      await t.flush();
      await settle();
      vi.restoreAllMocks();
      expect(c.names()).toEqual(['New']);
      // Reported once: the events evicted are not evicted (and reported) again at each flush.
      expect(errors.filter((e) => e.code == 'dropped').map((e) => e.count)).toEqual([1]);
      expect((await queued(idb)).map((e) => e.event)).toEqual([]);
      await t.shutdown();
    } finally {
      delete (navigator as any).locks;
    }
  });

  // The count's decrement is a write too: refused on a full disk, the count stays on disk, and every
  // batch delivered after it (the rest of a long queue, the next visits) reports the same events again.
  test('a full disk (quota at commit) with a dropped count stored: the count is reported once, not with every batch', async () => {
    webLocks();
    try {
      const c = down();
      const t = createTracker({ endpoint, batchSize: 1, maxPending: 2 });
      ['A', 'B', 'lost'].forEach((n) => t.track(n)); // one beyond maxPending before consent
      t.consent('granted');
      await settle();
      expect((await dump(idb)).d).toBe(1);
      up(c);
      abortWritesAtCommit();
      await t.flush();
      await settle();
      vi.restoreAllMocks();
      expect(c.names()).toEqual(['A', 'B']);
      expect(c.requests.map((r) => r.body.dropped ?? 0)).toEqual([1, 0]);
      await t.shutdown();
    } finally {
      delete (navigator as any).locks;
    }
  });

  test('when writes keep failing, the queue moves to memory and says so; events are still delivered', async () => {
    const c = down();
    const { t, errors } = await tracker();
    vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(() => {
      throw new DOMException('broken', 'UnknownError');
    });
    t.track('Still delivered');
    await settle();
    expect(errors.filter((e) => e.code == 'storage').length).toBeGreaterThan(0);
    up(c);
    await t.flush();
    await settle();
    expect(c.names()).toContain('Still delivered');
    await t.shutdown();
  });

  test('no IndexedDB at all (blocked storage): memory fallback, reported once, delivery works', async () => {
    vi.stubGlobal('indexedDB', undefined);
    const c = fakeCollector();
    const { t, errors } = await tracker();
    t.track('A');
    await t.flush();
    await settle();
    expect(c.names()).toEqual(['A']);
    expect(errors.filter((e) => e.code == 'storage')).toHaveLength(1);
    expect(errors[0].message).toMatch(/memory/);
    await t.shutdown();
  });

  test('IndexedDB that refuses to open (private mode): memory fallback', async () => {
    vi.spyOn(idb, 'open').mockImplementation(() => {
      throw new DOMException('A mutation operation was attempted on a database that did not allow mutations.', 'InvalidStateError');
    });
    const c = fakeCollector();
    const { t, errors } = await tracker();
    t.track('A');
    await t.flush();
    await settle();
    expect(c.names()).toEqual(['A']);
    expect(errors.map((e) => e.code)).toContain('storage');
    await t.shutdown();
  });
});

// Queue keys start with the wall clock (see store.ts), which two tabs share and which can be set
// back. The key ends with the messageId, so no two events share one: none overwrites another.
describe('the wall clock in the queue keys', () => {
  test('two tabs writing in the same millisecond, each at its first sequence number, overwrite nothing', async () => {
    const c = down();
    const a = await tracker({ batchSize: 100, flushInterval: 60_000 });
    const b = await tracker({ batchSize: 100, flushInterval: 60_000 });
    vi.setSystemTime(Date.now()); // the clock stands still: every key below starts with the same time
    for (let i = 0; i < 5; i++) a.t.track('A' + i), b.t.track('B' + i);
    await settle();
    expect((await queued(idb)).length).toBe(10);
    up(c);
    await a.t.flush();
    await settle();
    expect(c.names().sort()).toEqual(['A0', 'A1', 'A2', 'A3', 'A4', 'B0', 'B1', 'B2', 'B3', 'B4']);
    await a.t.shutdown();
    await b.t.shutdown();
  });

  // Delivery follows the keys, so the events written after the clock was set back go first: in
  // the order of their timestamps, which is the order collectors place them in (see the reference
  // collector), not the order they were made in. Nothing is lost or overwritten.
  test('a clock set back an hour, and back again: nothing is overwritten, and the queue goes out in timestamp order', async () => {
    const c = down();
    const { t } = await tracker({ batchSize: 2, flushInterval: 60_000 });
    const now = Date.now();
    t.track('Before');
    await settle();
    vi.setSystemTime(now - 36e5);
    t.track('After the clock went back');
    await settle();
    vi.setSystemTime(now);
    t.track('After it was put right');
    await settle();
    expect((await queued(idb)).length).toBe(3);
    up(c);
    await t.flush();
    await settle();
    const sent = c.events();
    expect(sent.map((e) => e.event)).toEqual(['After the clock went back', 'Before', 'After it was put right']);
    expect(sent.map((e) => e.timestamp)).toEqual(sent.map((e) => e.timestamp).sort());
    await t.shutdown();
  });

  // A device without a clock battery can start at 1 January 1970 until it reaches a time server.
  // Before mid-1972 the time takes fewer than 8 base-36 digits, and the size and time read from a
  // key's fixed positions would be other characters.
  test('events queued under a clock at 1970 (a device that lost its time) are delivered, not evicted as over maxQueueBytes', async () => {
    const c = down();
    vi.setSystemTime(new Date('1970-01-02T00:00:00Z'));
    const { t, errors } = await tracker({ batchSize: 100, flushInterval: 60_000 });
    for (let i = 0; i < 20; i++) t.track('E' + i, { text: 'x'.repeat(100) });
    await t.flush(); // the collector cannot be reached yet
    await settle();
    up(c);
    await t.flush();
    await settle();
    expect(errors.filter((e) => e.code == 'dropped')).toEqual([]);
    expect(c.names()).toEqual(Array.from({ length: 20 }, (_, i) => 'E' + i));
    await t.shutdown();
  });
});
