import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { createTracker } from '../../src';
import type { WaymarkError } from '../../src/types';
import { fakeCollector, freshIndexedDB, queued, settle } from '../helpers';

const endpoint = 'https://collect.test/v1/batch';
let idb: IDBFactory;

beforeEach(() => {
  idb = freshIndexedDB();
  // setImmediate stays real: fake-indexeddb runs on it.
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] });
  // No jitter: retry n waits exactly 500 * 2^n ms.
  vi.spyOn(Math, 'random').mockReturnValue(0.5);
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

const status = (code: number, headers: Record<string, string> = {}) => new Response(code == 204 ? null : '{}', { status: code, headers });

/** Advance fake time, letting IndexedDB and promises run in between. */
async function advance(ms: number) {
  await vi.advanceTimersByTimeAsync(ms);
  await settle();
}

async function granted(opts = {}) {
  const t = createTracker({ endpoint, consent: 'granted', ...opts });
  const errors: WaymarkError[] = [];
  t.on('error', (e) => errors.push(e));
  await settle();
  return { t, errors };
}

describe('the wire format', () => {
  test('a batch is a Segment batch, POSTed as JSON without credentials', async () => {
    const c = fakeCollector();
    const { t } = await granted();
    t.track('Order Completed', { total: 42 });
    await t.flush();
    await settle();
    const [req] = c.requests;
    expect(req.url).toBe(endpoint);
    expect(req.init.method).toBe('POST');
    expect(req.init.credentials).toBe('omit');
    expect((req.init.headers as Record<string, string>)['Content-Type']).toBe('application/json');
    expect(Object.keys(req.body)).toEqual(['batch', 'sentAt']);
    const [e] = req.body.batch;
    expect(Object.keys(e)).toEqual(['type', 'event', 'properties', 'messageId', 'anonymousId', 'userId', 'timestamp', 'context']);
    expect(e).toMatchObject({ type: 'track', event: 'Order Completed', properties: { total: 42 }, userId: null });
    expect(e.messageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(e.context).toMatchObject({
      library: { name: 'waymark', version: expect.any(String) },
      page: { url: location.href.split('#')[0], path: location.pathname, title: document.title, search: location.search },
      session: { id: expect.any(String), number: 1 },
      userAgent: navigator.userAgent,
      locale: navigator.language,
    });
    expect(Date.parse(req.body.sentAt)).toBeGreaterThanOrEqual(Date.parse(e.timestamp));
    await t.shutdown();
  });

  test('transform reshapes the body for another collector; headers are added to regular flushes', async () => {
    const c = fakeCollector();
    const { t } = await granted({
      headers: { Authorization: 'Basic abc' },
      transform: (b: any) => ({ events: b.batch.map((e: any) => e.event), writeKey: 'k' }),
    });
    t.track('A');
    t.track('B');
    await t.flush();
    await settle();
    expect(c.requests[0].body).toEqual({ events: ['A', 'B'], writeKey: 'k' });
    expect((c.requests[0].init.headers as Record<string, string>).Authorization).toBe('Basic abc');
    await t.shutdown();
  });
});

describe('triggers', () => {
  test('reaching batchSize sends at once; fewer events wait for flushInterval', async () => {
    const c = fakeCollector();
    const { t } = await granted({ batchSize: 5, flushInterval: 4000 });
    for (let i = 0; i < 5; i++) t.track('E' + i);
    await settle();
    expect(c.requests).toHaveLength(1);
    expect(c.requests[0].body.batch).toHaveLength(5);
    t.track('Lonely');
    await settle();
    expect(c.requests).toHaveLength(1);
    await advance(3999);
    expect(c.requests).toHaveLength(1);
    await advance(2);
    expect(c.names()).toContain('Lonely');
    await t.shutdown();
  });

  test('a flushInterval beyond what setTimeout holds (2^31 - 1 ms, 24.8 days) waits that long, not 0 ms', async () => {
    const c = fakeCollector();
    const { t } = await granted({ flushInterval: 2 ** 32 });
    t.track('Patient');
    await settle();
    await advance(60_000);
    expect(c.requests).toHaveLength(0);
    await t.shutdown();
  });

  test('a backlog larger than batchSize goes out in several requests, oldest first', async () => {
    const c = fakeCollector(() => status(503));
    const { t } = await granted({ batchSize: 3 });
    for (let i = 0; i < 7; i++) t.track('E' + i);
    await settle();
    c.respondWith();
    c.requests.length = 0;
    await t.flush();
    await settle();
    expect(c.requests.map((r) => r.body.batch.length)).toEqual([3, 3, 1]);
    expect(c.names()).toEqual(['E0', 'E1', 'E2', 'E3', 'E4', 'E5', 'E6']);
    await t.shutdown();
  });
});

describe('retries', () => {
  for (const code of [500, 503, 408, 429]) {
    test(`${code} is retried with exponential backoff, with the same messageIds`, async () => {
      const c = fakeCollector((_, n) => status(n < 3 ? code : 200));
      const { t, errors } = await granted();
      t.track('Important');
      await t.flush();
      expect(c.requests).toHaveLength(1);
      await advance(999);
      expect(c.requests).toHaveLength(1);
      await advance(2); // retry 1 after 1 s
      expect(c.requests).toHaveLength(2);
      await advance(1999);
      expect(c.requests).toHaveLength(2);
      await advance(2); // retry 2 after 2 s
      expect(c.requests).toHaveLength(3);
      const ids = c.requests.map((r) => r.body.batch[0].messageId);
      expect(new Set(ids).size).toBe(1);
      expect(errors.filter((e) => e.code == 'network')).toHaveLength(2);
      expect(await queued(idb)).toEqual([]);
      await advance(60_000);
      expect(c.requests).toHaveLength(3);
      await t.shutdown();
    });
  }

  test('a retry timer that fires a little early waits out the rest instead of dropping the retry', async () => {
    const c = fakeCollector((_, n) => status(n == 1 ? 503 : 200));
    const { t } = await granted();
    t.track('A');
    await t.flush();
    // setTimeout truncates fractions of a millisecond: the clock may read just short of the retry time.
    const real = performance.now.bind(performance);
    vi.spyOn(performance, 'now').mockImplementationOnce(() => real() - 0.5).mockImplementationOnce(() => real() - 0.5);
    await advance(1000);
    await advance(5);
    expect(c.requests).toHaveLength(2);
    expect(await queued(idb)).toEqual([]);
    await t.shutdown();
  });

  test('setting the wall clock back during a backoff does not park the queue', async () => {
    const c = fakeCollector((_, n) => status(n == 1 ? 503 : 200));
    const { t } = await granted();
    t.track('A');
    await t.flush();
    vi.setSystemTime(Date.now() - 3_600_000);
    await advance(1001);
    expect(c.requests).toHaveLength(2);
    await t.shutdown();
  });

  test('a network error (fetch rejects) is retried', async () => {
    const c = fakeCollector((_, n) => {
      if (n == 1) throw new TypeError('Failed to fetch');
      return status(200);
    });
    const { t } = await granted();
    t.track('A');
    await t.flush();
    await advance(1001);
    expect(c.requests).toHaveLength(2);
    expect(await queued(idb)).toEqual([]);
    await t.shutdown();
  });

  test('Retry-After in seconds is honoured when longer than the backoff', async () => {
    const c = fakeCollector((_, n) => (n == 1 ? status(429, { 'Retry-After': '10' }) : status(200)));
    const { t } = await granted();
    t.track('A');
    await t.flush();
    await advance(9999);
    expect(c.requests).toHaveLength(1);
    await advance(2);
    expect(c.requests).toHaveLength(2);
    await t.shutdown();
  });

  test('Retry-After as an HTTP date is honoured', async () => {
    const c = fakeCollector((_, n) =>
      n == 1 ? status(503, { 'Retry-After': new Date(Date.now() + 20_000).toUTCString() }) : status(200),
    );
    const { t } = await granted();
    t.track('A');
    await t.flush();
    await advance(18_000);
    expect(c.requests).toHaveLength(1);
    await advance(2_500);
    expect(c.requests).toHaveLength(2);
    await t.shutdown();
  });

  test('backoff grows to five minutes and stays there (jitter off)', async () => {
    const c = fakeCollector(() => status(500));
    const { t } = await granted();
    t.track('A');
    await t.flush();
    let waited = 0;
    for (let n = 1; n <= 12; n++) {
      const expected = Math.min(300_000, 500 * 2 ** n);
      await advance(expected + 1);
      waited += expected;
      expect(c.requests).toHaveLength(n + 1);
    }
    expect(waited).toBeGreaterThan(300_000 * 3);
    await t.shutdown();
  });

  test('timer-driven flushes respect the backoff; an explicit flush() and going online retry now', async () => {
    const c = fakeCollector((_, n) => status(n == 1 ? 503 : 200));
    const { t } = await granted({ batchSize: 2 });
    t.track('A');
    await t.flush();
    expect(c.requests).toHaveLength(1);
    t.track('B');
    t.track('C'); // reaches batchSize, but the collector asked us to wait
    await settle();
    expect(c.requests).toHaveLength(1);
    window.dispatchEvent(new Event('online'));
    await settle();
    expect(c.names().slice(1)).toEqual(['A', 'B', 'C']);
    await t.shutdown();
  });

  test('a request with no answer times out after 30 s and is retried', async () => {
    const c = fakeCollector();
    c.fetch.mockImplementationOnce(
      (url: string, init: RequestInit) =>
        new Promise((_, reject) => {
          c.requests.push({ url, init, body: JSON.parse(String(init.body)) });
          init.signal!.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
        }),
    );
    const { t } = await granted();
    t.track('A');
    t.flush();
    await settle();
    await advance(29_000);
    expect(c.requests).toHaveLength(1);
    await advance(1_000 + 1_001);
    expect(c.requests).toHaveLength(2);
    expect(await queued(idb)).toEqual([]);
    await t.shutdown();
  });
});

describe('rejections', () => {
  for (const code of [400, 401, 403, 404, 413, 422]) {
    test(`${code} drops the batch, reports it, and is never retried`, async () => {
      const c = fakeCollector((_, n) => status(n == 1 ? code : 200));
      const { t, errors } = await granted();
      t.track('Bad');
      await t.flush();
      await settle();
      expect(errors).toContainEqual(expect.objectContaining({ code: 'rejected', status: code, count: 1 }));
      expect(await queued(idb)).toEqual([]);
      await advance(600_000);
      expect(c.requests).toHaveLength(1);
      // Later events still flow.
      t.track('Good');
      await t.flush();
      await settle();
      expect(c.names()).toEqual(['Bad', 'Good']);
      await t.shutdown();
    });
  }
});

describe('at-least-once', () => {
  test('events survive a reload while the collector is down, and arrive once it is back', async () => {
    const c = fakeCollector(() => status(503));
    const a = await granted();
    a.t.track('Page 1 event');
    await a.t.flush();
    await a.t.shutdown();
    await advance(10); // the next page loads a little later
    const b = await granted();
    b.t.track('Page 2 event');
    await b.t.flush();
    await b.t.shutdown();
    const sentWhileDown = new Set(c.events().map((e) => e.messageId));
    c.respondWith();
    c.requests.length = 0;
    const third = await granted();
    await third.t.flush();
    await settle();
    expect(c.names()).toEqual(['Page 1 event', 'Page 2 event']);
    for (const e of c.events()) expect(sentWhileDown.has(e.messageId)).toBe(true);
    await third.t.shutdown();
  });

  test('repeated grants without explicit flushes deliver each event exactly once', async () => {
    const c = fakeCollector();
    const t = createTracker({ endpoint, flushInterval: 50 });
    t.track('E0');
    for (let i = 0; i < 3; i++) {
      t.consent('granted');
      await settle();
      t.track('E' + (i + 1));
      await settle();
    }
    await t.flush();
    await advance(500);
    expect(c.names().sort()).toEqual(['E0', 'E1', 'E2', 'E3']);
    expect(new Set(c.events().map((e) => e.messageId)).size).toBe(4);
    await t.shutdown();
  });
});
