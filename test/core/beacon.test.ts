import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { createTracker } from '../../src';
import { dump, fakeCollector, freshIndexedDB, queued, settle, teardown } from '../helpers';

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
  delete (document as any).visibilityState;
});

const hide = () => window.dispatchEvent(new Event('pagehide'));
const setVisibility = (state: 'visible' | 'hidden') => {
  Object.defineProperty(document, 'visibilityState', { value: state, configurable: true });
  document.dispatchEvent(new Event('visibilitychange'));
};
const beacons = (c: ReturnType<typeof fakeCollector>) => c.requests.filter((r) => r.init.keepalive);

async function tracker(opts = {}) {
  const t = createTracker({ endpoint, consent: 'granted', flushInterval: 60_000, headers: { 'X-Key': 'k' }, ...opts });
  await settle();
  return t;
}

describe('page hide', () => {
  test('undelivered events leave in one keepalive request with a CORS-simple body, then leave the queue', async () => {
    const c = fakeCollector();
    const t = await tracker();
    t.track('Add To Cart');
    t.track('Checkout Clicked');
    await settle();
    hide();
    await settle();
    const [b] = beacons(c);
    expect(b.init.method).toBe('POST');
    expect(b.init.credentials).toBe('omit');
    // No Content-Type and no custom headers: a string body is text/plain, so no preflight.
    expect(b.init.headers).toBeUndefined();
    expect(typeof b.init.body).toBe('string');
    expect(b.body.batch.map((e) => e.event)).toEqual(['Add To Cart', 'Checkout Clicked']);
    expect(await queued(idb)).toEqual([]);
    await t.shutdown();
  });

  // Segment's HTTP API refuses a batch holding an event over 32 KB of UTF-8 (400), and the
  // beacon's events are dropped on a 4xx: 12,000 Japanese characters fit the 64 KiB quota
  // beside the others, and took them down with it.
  test('an event over 32 KB in UTF-8 is not in the beacon with the others: it stays queued for a batch of its own', async () => {
    const c = fakeCollector();
    const t = await tracker();
    t.track('Add To Cart');
    t.track('Review Posted', { text: 'あ'.repeat(12_000) });
    t.track('Checkout Clicked');
    await settle();
    hide();
    await settle();
    expect(beacons(c).flatMap((b) => b.body.batch.map((e: any) => e.event))).toEqual(['Add To Cart', 'Checkout Clicked']);
    expect((await queued(idb)).map((e: any) => e.event)).toEqual(['Review Posted']);
    await t.shutdown();
  });

  test('a write still in progress at page hide is aborted: its event is in the beacon and never lands in the queue', async () => {
    const c = fakeCollector();
    const t = await tracker();
    const abort = vi.spyOn(IDBTransaction.prototype, 'abort');
    t.track('Clicked a link');
    // The write has started (a microtask after track) but IndexedDB has not finished it.
    await Promise.resolve();
    await Promise.resolve();
    await Promise.resolve();
    hide();
    await settle();
    expect(abort).toHaveBeenCalled();
    expect(beacons(c)[0].body.batch.map((e) => e.event)).toEqual(['Clicked a link']);
    expect(await queued(idb)).toEqual([]);
    // The visitor record is written in the page-hide transaction instead.
    expect((await dump(idb)).v.a).toBe(beacons(c)[0].body.batch[0].anonymousId);
    await t.shutdown();
  });

  test('handed to the browser counts as sent: a closing page that never sees the answer is not re-sent by the next page', async () => {
    const c = fakeCollector();
    const t = await tracker();
    // The keepalive request outlives the page: its answer never arrives.
    c.fetch.mockImplementationOnce(async (url: string, init: RequestInit) => {
      c.requests.push({ url, init, body: JSON.parse(String(init.body)) });
      return new Promise<Response>(() => {});
    });
    t.track('Last words');
    await settle();
    hide();
    await settle();
    expect(beacons(c)[0].body.batch.map((e) => e.event)).toEqual(['Last words']);
    // Deleted at once, in one plain transaction: no read-then-write that a closing page could lose.
    expect(await queued(idb)).toEqual([]);
    await t.shutdown();

    const next = await tracker();
    await next.flush();
    await vi.advanceTimersByTimeAsync(120_000);
    await next.flush();
    await settle();
    expect(c.requests).toHaveLength(1);
    await next.shutdown();
  });

  test('a beacon the collector cannot take now (5xx, network error) goes back in the queue if the page lives', async () => {
    for (const answer of [() => new Response('', { status: 503 }), () => Promise.reject(new TypeError('offline'))]) {
      idb = freshIndexedDB();
      const c = fakeCollector((r) => (r.init.keepalive ? answer() : new Response('{}')));
      const t = await tracker();
      t.track('A');
      await settle();
      hide();
      await settle();
      expect(beacons(c)).toHaveLength(1);
      expect((await queued(idb)).map((e) => e.event)).toEqual(['A']);
      await t.flush();
      await settle();
      expect(c.requests.filter((r) => !r.init.keepalive).flatMap((r) => r.body.batch.map((e) => e.event))).toEqual(['A']);
      await t.shutdown();
    }
  });

  test('a beacon the collector refuses (4xx) is reported as rejected if the page lives to see it', async () => {
    const c = fakeCollector(() => new Response('', { status: 400 }));
    const t = await tracker();
    const errors: any[] = [];
    t.on('error', (e) => errors.push(e));
    t.track('Refused');
    await settle();
    hide();
    await settle();
    expect(beacons(c)).toHaveLength(1);
    expect(errors).toContainEqual(expect.objectContaining({ code: 'rejected', status: 400, count: 1 }));
    await t.shutdown();
  });

  test('freeze (a hidden tab about to be frozen or discarded) sends a beacon too', async () => {
    const c = fakeCollector();
    const t = await tracker();
    Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
    t.track('Before Freeze');
    await settle();
    document.dispatchEvent(new Event('freeze'));
    await settle();
    expect(beacons(c).flatMap((b) => b.body.batch.map((e) => e.event))).toEqual(['Before Freeze']);
    await t.shutdown();
  });

  test('no beacon while the collector is failing: the events are safe in the queue for the next visit', async () => {
    const c = fakeCollector(() => new Response('', { status: 503 }));
    const t = await tracker();
    t.track('A');
    await t.flush();
    t.track('B');
    await settle();
    hide();
    await settle();
    expect(beacons(c)).toHaveLength(0);
    expect((await queued(idb)).map((e) => e.event)).toEqual(['A', 'B']);
    await t.shutdown();
  });

  test('visibilitychange then pagehide sends once; becoming visible again re-arms it', async () => {
    const c = fakeCollector();
    const t = await tracker();
    t.track('A');
    await settle();
    setVisibility('hidden');
    hide();
    await settle();
    expect(beacons(c)).toHaveLength(1);
    setVisibility('visible');
    t.track('B');
    await settle();
    setVisibility('hidden');
    await settle();
    expect(beacons(c)).toHaveLength(2);
    expect(beacons(c)[1].body.batch.map((e) => e.event)).toEqual(['B']);
    await t.shutdown();
  });

  test('events already in a regular request are not put in the beacon too', async () => {
    const c = fakeCollector();
    let answer!: (r: Response) => void;
    c.fetch.mockImplementationOnce(async (url: string, init: RequestInit) => {
      c.requests.push({ url, init, body: JSON.parse(String(init.body)) });
      return new Promise<Response>((r) => (answer = r));
    });
    const t = await tracker();
    t.track('In flight');
    t.flush();
    await settle();
    t.track('Not yet sent');
    await settle();
    hide();
    await settle();
    expect(beacons(c)[0].body.batch.map((e) => e.event)).toEqual(['Not yet sent']);
    answer(new Response('{}'));
    await settle();
    expect(await queued(idb)).toEqual([]);
    await t.shutdown();
  });

  test('a link clicked while a batch is out: the unload cancels the request, and the write still in progress lands all the same', async () => {
    const c = fakeCollector();
    let cancel!: (e: Error) => void;
    c.fetch.mockImplementationOnce(async (url: string, init: RequestInit) => {
      c.requests.push({ url, init, body: JSON.parse(String(init.body)) });
      return new Promise<Response>((_, rej) => (cancel = rej));
    });
    const t = await tracker();
    const unload = teardown();
    t.track('Form Started');
    t.flush();
    await settle();
    t.track('Element Clicked');
    // Its write has started, not finished; then the unload cancels the request, which starts a backoff.
    for (let i = 0; i < 3; i++) await Promise.resolve();
    cancel(new TypeError('Failed to fetch'));
    for (let i = 0; i < 10; i++) await Promise.resolve();
    hide();
    unload();
    await settle();
    // Backing off: no beacon, so the queue must hold both for the next page.
    expect(beacons(c)).toHaveLength(0);
    expect((await queued(idb)).map((e) => e.event)).toEqual(['Form Started', 'Element Clicked']);
    await t.shutdown();
  });

  test('where fetch cannot be called, sendBeacon carries the same body', async () => {
    const c = fakeCollector();
    const t = await tracker();
    t.track('A');
    await settle();
    c.fetch.mockImplementationOnce(() => {
      throw new TypeError('no fetch');
    });
    const sendBeacon = vi.fn(() => true);
    Object.defineProperty(navigator, 'sendBeacon', { value: sendBeacon, configurable: true });
    hide();
    await settle();
    expect(sendBeacon).toHaveBeenCalledWith(endpoint, expect.stringContaining('"event":"A"'));
    expect(await queued(idb)).toEqual([]);
    // A beacon the browser refuses (over its quota) leaves the events in the queue.
    t.track('B');
    await settle();
    c.fetch.mockImplementationOnce(() => {
      throw new TypeError('no fetch');
    });
    sendBeacon.mockReturnValueOnce(false);
    setVisibility('hidden');
    await settle();
    expect((await queued(idb)).map((e) => e.event)).toEqual(['B']);
    delete (navigator as any).sendBeacon;
    await t.shutdown();
  });

  test('where fetch ignores keepalive (Firefox before 133), sendBeacon carries the page-hide body: a fetch would die with the closing page', async () => {
    const c = fakeCollector();
    const t = await tracker();
    t.track('A');
    await settle();
    const keepalive = Object.getOwnPropertyDescriptor(Request.prototype, 'keepalive')!;
    delete (Request.prototype as any).keepalive;
    const sendBeacon = vi.fn(() => true);
    Object.defineProperty(navigator, 'sendBeacon', { value: sendBeacon, configurable: true });
    try {
      hide();
      await settle();
      expect(beacons(c)).toHaveLength(0);
      expect(sendBeacon).toHaveBeenCalledWith(endpoint, expect.stringContaining('"event":"A"'));
    } finally {
      Object.defineProperty(Request.prototype, 'keepalive', keepalive);
      delete (navigator as any).sendBeacon;
    }
    await t.shutdown();
  });

  test('no beacon while offline: the queue keeps the events for later', async () => {
    const c = fakeCollector();
    const t = await tracker();
    t.track('A');
    await settle();
    Object.defineProperty(navigator, 'onLine', { value: false, configurable: true });
    hide();
    await settle();
    delete (navigator as any).onLine;
    expect(beacons(c)).toHaveLength(0);
    expect((await queued(idb)).map((e) => e.event)).toEqual(['A']);
    await t.shutdown();
  });

  test('events held back by a hold (rules still loading) are run and sent when the page hides', async () => {
    const c = fakeCollector();
    let release!: () => void;
    const t = await tracker({ plugins: [{ name: 'slow rules', setup: (ctx: any) => void (release = ctx.hold()) }] });
    t.track('Landing');
    await settle();
    expect(c.requests).toHaveLength(0);
    hide();
    await settle();
    expect(beacons(c)[0].body.batch.map((e) => e.event)).toEqual(['Landing']);
    release(); // the rules arrive later: nothing breaks, nothing is sent twice
    t.track('After');
    await t.flush();
    await settle();
    expect(c.events().map((e) => e.event)).toEqual(['Landing', 'After']);
    await t.shutdown();
  });

  test('events of a page that hides while it is still reading the saved visitor go out as they are', async () => {
    const c = fakeCollector();
    const t = createTracker({ endpoint, consent: 'granted', flushInterval: 60_000 });
    t.track('Right at load');
    hide(); // before the saved visitor has been read
    await settle();
    expect(beacons(c)[0].body.batch.map((e) => e.event)).toEqual(['Right at load']);
    await t.flush();
    await settle();
    // Not written and sent again once the visitor is read.
    expect(c.events().filter((e) => e.event == 'Right at load')).toHaveLength(1);
    await t.shutdown();
  });

  test('the beacon body stays under the keepalive cap, keeping the newest events', async () => {
    const c = fakeCollector();
    const t = await tracker({ batchSize: 1000 });
    for (let i = 0; i < 40; i++) t.track('E' + i, { pad: 'x'.repeat(3000) });
    await settle();
    hide();
    await settle();
    const [b] = beacons(c);
    expect(String(b.init.body).length).toBeLessThanOrEqual(64 * 1024);
    expect(b.body.batch.at(-1)!.event).toBe('E39');
    expect(b.body.batch.length).toBeLessThan(40);
    await t.shutdown();
  });

  // The cap is the Fetch spec's keepalive quota, 64 KiB of body bytes: a body over it is
  // refused ("Failed to fetch"), and a closing page never learns it.
  test('the keepalive cap is counted in UTF-8 bytes, not characters', async () => {
    const c = fakeCollector();
    const t = await tracker({ batchSize: 1000 });
    // 80 events of about 750 characters, each three bytes in UTF-8: 60,000 characters, 180 KB.
    for (let i = 0; i < 80; i++) t.track('E' + i, { name: '東京の商品'.repeat(150) });
    await settle();
    hide();
    await settle();
    const [b] = beacons(c);
    expect(new TextEncoder().encode(String(b.init.body)).length).toBeLessThanOrEqual(64 * 1024);
    expect(b.body.batch.at(-1)!.event).toBe('E79');
    // What did not fit stays queued for the next visit.
    expect((await queued(idb)).length).toBe(80 - b.body.batch.length);
    await t.shutdown();
  });

  test('no beacon when the page is leaving for another page of this site, which sends the queue on load', async () => {
    const navigation = new EventTarget();
    Object.defineProperty(window, 'navigation', { value: navigation, configurable: true });
    const navigate = (url: string, sameDocument = false) =>
      navigation.dispatchEvent(Object.assign(new Event('navigate'), { destination: { url, sameDocument } }));
    const c = fakeCollector();
    const t = await tracker();
    t.track('Clicked a link');
    await settle();
    navigate(location.origin + '/next', true); // an SPA route: the page stays
    navigate('https://elsewhere.test/'); // another site: the page is really leaving
    hide();
    await settle();
    expect(beacons(c)).toHaveLength(1);
    t.track('Clicked an internal link');
    await settle();
    navigate(location.origin + '/next-page');
    // Tracked in the very task that leaves: its write may not land, so it goes in a beacon.
    t.track('Form Abandoned');
    hide();
    await settle();
    expect(beacons(c)).toHaveLength(2);
    expect(beacons(c)[1].body.batch.map((e) => e.event)).toEqual(['Form Abandoned']);
    // The one already written stays queued, so the next page sends it at once.
    expect((await queued(idb)).map((e) => e.event)).toEqual(['Clicked an internal link']);
    await t.shutdown();
    const next = await tracker();
    await next.flush();
    await settle();
    expect(c.requests.at(-1)!.body.batch.map((e) => e.event)).toEqual(['Clicked an internal link']);
    await next.shutdown();
    delete (window as any).navigation;
  });

  test('nothing is sent on hide while consent is pending', async () => {
    const c = fakeCollector();
    const t = createTracker({ endpoint });
    t.track('A');
    hide();
    await settle();
    expect(c.fetch).not.toHaveBeenCalled();
    await t.shutdown();
  });
});

describe('a regular batch cancelled by the page going away', () => {
  // Leaving for another site while a batch is out: the unload cancels that request, and its
  // failure reaches the tracker during pagehide, before the tracker's own handler runs.
  test('is not a collector failure: no backoff, and the page-hide request still carries the events', async () => {
    let cancel = () => {};
    const c = fakeCollector((req) =>
      req.init.keepalive ? new Response('{}') : new Promise((_, reject) => (cancel = () => reject(new TypeError('Failed to fetch')))),
    );
    const errors: string[] = [];
    const t = await tracker({
      // A page's own pagehide listener, registered before the tracker's: the cancellation lands there.
      plugins: [{ name: 'unload', setup: () => void window.addEventListener('pagehide', () => cancel(), { once: true }) }],
    });
    t.on('error', (e) => errors.push(e.code));
    t.track('Out in a batch');
    await settle();
    t.flush();
    await settle();
    expect(c.requests).toHaveLength(1);
    hide();
    // (A script's dispatchEvent runs no microtasks between listeners, as the browser's own
    // dispatch does: here the failure lands after the tracker's handler, whose request skipped
    // the batch in flight. The visibilitychange that follows is the next chance.)
    await settle();
    setVisibility('hidden');
    await settle();
    expect(beacons(c).flatMap((r) => r.body.batch.map((e) => e.event))).toEqual(['Out in a batch']);
    expect(errors).toEqual([]);
    await t.shutdown();
  });
});

// The Fetch spec's keepalive quota is 64 KiB for all of a page's keepalive bodies in flight
// together, not per request: closing a tab fires visibilitychange, then pagehide, and each
// sends one. What the browser refuses there is refused in a task a closing page never runs.
// The HTML spec fires pagehide before the visibilitychange of an unloading page, and web vitals
// (CLS, INP) and a page's own listeners track on that visibilitychange: after the last beacon.
test('an event tracked after pagehide is written in a transaction committed at once: the torn-down page keeps it', async () => {
  fakeCollector();
  const t = await tracker();
  const unload = teardown();
  hide();
  await settle();
  setVisibility('hidden');
  t.track('Tracked After Pagehide');
  // Its write has started; then the page is torn down.
  for (let i = 0; i < 10; i++) await Promise.resolve();
  unload();
  await settle();
  expect((await queued(idb)).map((e) => e.event)).toContain('Tracked After Pagehide');
  await t.shutdown();
});

describe('the keepalive quota, shared by the page-hide requests in flight', () => {
  /** A collector that never answers a keepalive request, and refuses one over the quota as Chromium does. */
  function quotaCollector(closing = false) {
    let inflight = 0;
    const refused: string[] = [];
    const sent: string[] = [];
    vi.stubGlobal(
      'fetch',
      vi.fn((_url: string, init: RequestInit) => {
        const n = new TextEncoder().encode(String(init.body)).length;
        if (!init.keepalive) return Promise.resolve(new Response('{}'));
        if (inflight + n > 65536) {
          refused.push(String(init.body));
          // A closing page never runs the rejection's handler.
          return closing ? new Promise(() => {}) : Promise.reject(new TypeError('Failed to fetch'));
        }
        inflight += n;
        sent.push(String(init.body));
        return new Promise(() => {});
      }),
    );
    return { refused, sent };
  }

  async function closeTab(closing: boolean) {
    const c = quotaCollector(closing);
    const t = await tracker({ batchSize: 1000 });
    for (let i = 0; i < 50; i++) t.track('E' + i, { pad: 'x'.repeat(1000) });
    await settle();
    setVisibility('hidden');
    // Tracked during the hide (as Form Abandoned is), between the two requests.
    t.track('Form Abandoned', { fields: 'y'.repeat(12_000) });
    hide();
    await settle();
    return { c, t };
  }

  test('the second request asks only for what the first left of the quota; the first (visibilitychange) leaves half for it', async () => {
    const { c, t } = await closeTab(false);
    expect(c.refused).toEqual([]);
    expect(c.sent).toHaveLength(2);
    expect(JSON.parse(c.sent[1]).batch.map((e: any) => e.event)).toContain('Form Abandoned');
    await t.shutdown();
  });

  test('what does not fit stays queued for the next visit', async () => {
    const { c, t } = await closeTab(true);
    const sent = c.sent.flatMap((b) => JSON.parse(b).batch.map((e: any) => e.event));
    const kept = (await queued(idb)).map((e) => e.event);
    // Every event is either in a request the browser took, or still in the queue.
    for (const name of ['Form Abandoned', ...Array.from({ length: 50 }, (_, i) => 'E' + i)]) expect(sent.includes(name) || kept.includes(name), name).toBe(true);
    await t.shutdown();
  });
});

test('a page-hide body handed to sendBeacon does not hold the keepalive quota for the rest of the page', async () => {
  const c = fakeCollector();
  const t = await tracker({ batchSize: 1000 });
  for (let i = 0; i < 40; i++) t.track('E' + i, { pad: 'x'.repeat(1000) });
  await settle();
  c.fetch.mockImplementationOnce(() => {
    throw new TypeError('no fetch');
  });
  Object.defineProperty(navigator, 'sendBeacon', { value: vi.fn(() => true), configurable: true });
  setVisibility('hidden'); // a tab switch: sent by sendBeacon
  await settle();
  setVisibility('visible');
  t.track('Later', { pad: 'y'.repeat(25_000) });
  await settle();
  setVisibility('hidden'); // the tab is closed: fetch works again
  await settle();
  delete (navigator as any).sendBeacon;
  expect(beacons(c).flatMap((r) => r.body.batch.map((e) => e.event))).toContain('Later');
  await t.shutdown();
});

test('after the switch to memory, events stored in IndexedDB and sent at page hide leave IndexedDB too: the next visit does not send them again', async () => {
  const c = fakeCollector();
  const t = await tracker();
  const errors: string[] = [];
  t.on('error', (e) => errors.push(e.code));
  t.track('Stored in IndexedDB');
  await settle();
  expect((await queued(idb)).map((e) => e.event)).toEqual(['Stored in IndexedDB']);
  // The disk fills up: the next write fails and the queue moves to memory.
  vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(() => {
    throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
  });
  t.track('Kept in memory');
  await settle();
  expect(errors).toContain('quota');
  vi.restoreAllMocks();
  hide();
  await settle();
  await t.shutdown();
  expect(beacons(c).flatMap((r) => r.body.batch.map((e) => e.event))).toEqual(['Stored in IndexedDB', 'Kept in memory']);
  expect(await queued(idb)).toEqual([]);
});

test('without Web Locks: a page hide while the lease is renewed for a batch already read does not send that batch twice', async () => {
  expect((navigator as any).locks).toBeFalsy();
  const c = fakeCollector();
  const t = await tracker({ batchSize: 100 });
  t.track('A');
  await settle();
  // The lease is read twice per batch: taken, then renewed before the request. The page is
  // hidden while the renewal is in progress (it takes a task or more).
  const { get } = IDBObjectStore.prototype;
  let leaseReads = 0;
  vi.spyOn(IDBObjectStore.prototype, 'get').mockImplementation(function (this: IDBObjectStore, key: any) {
    if (key == 'l' && ++leaseReads == 2) setVisibility('hidden');
    return get.call(this, key);
  });
  await t.flush();
  await settle();
  expect(leaseReads).toBeGreaterThanOrEqual(2);
  expect(c.names()).toEqual(['A']);
  await t.shutdown();
});
