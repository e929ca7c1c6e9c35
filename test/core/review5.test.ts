// Review 5: what a tracker leaves behind after shutdown(), and what it costs in the background.
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { attribution, clicks, createTracker, forms, frustration, journey, pageViews } from '../../src';
import type { Rules } from '../../src/journey/rules';
import { fakeCollector, freshIndexedDB, settle, tick } from '../helpers';

const endpoint = 'https://collect.test/v1/batch';
/** A wait on the real setTimeout, not counted by census(). */
const realSetTimeout = globalThis.setTimeout;
const wait = (ms: number) => new Promise((r) => realSetTimeout(r, ms));
const rules: Rules = {
  stages: ['awareness', 'consideration'],
  rules: [
    { stage: 'awareness', when: { type: 'page' } },
    { stage: 'consideration', when: { event: 'Pricing Seen' } },
  ],
};

beforeEach(() => {
  freshIndexedDB();
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

/** Counts live listeners (by target and type), BroadcastChannels, timers and intervals. */
function census() {
  const names = new Map<EventTarget, string>([
    [window, 'window'],
    [document, 'document'],
  ]);
  const name = (t: EventTarget) => names.get(t) || (t as any).constructor?.name || 'other';
  const seen = new Set<string>();
  const key = (t: EventTarget, type: string, fn: unknown, o: any) => {
    const capture = typeof o == 'boolean' ? o : !!o?.capture;
    return [name(t), type, capture].join(' ') + '#' + idOf(fn);
  };
  const ids = new WeakMap<object, number>();
  let nextId = 0;
  const idOf = (fn: any) => (ids.has(fn) ? ids.get(fn) : (ids.set(fn, ++nextId), nextId));
  const { addEventListener: add, removeEventListener: rem } = EventTarget.prototype;
  vi.spyOn(EventTarget.prototype, 'addEventListener').mockImplementation(function (this: EventTarget, type: string, fn: any, o?: any) {
    seen.add(key(this, type, fn, o));
    return add.call(this, type, fn, o);
  });
  vi.spyOn(EventTarget.prototype, 'removeEventListener').mockImplementation(function (this: EventTarget, type: string, fn: any, o?: any) {
    seen.delete(key(this, type, fn, o));
    return rem.call(this, type, fn, o);
  });
  const channels = new Set<BroadcastChannel>();
  /** Messages posted, and timers set, since the start. */
  const count = { posted: 0, timers: 0 };
  const BC = globalThis.BroadcastChannel;
  vi.stubGlobal(
    'BroadcastChannel',
    class extends BC {
      constructor(n: string) {
        super(n);
        channels.add(this);
      }
      close() {
        channels.delete(this);
        super.close();
      }
      postMessage(m: unknown) {
        count.posted++;
        super.postMessage(m);
      }
    },
  );
  const timers = new Set<unknown>();
  const st = globalThis.setTimeout;
  const ct = globalThis.clearTimeout;
  const si = globalThis.setInterval;
  const ci = globalThis.clearInterval;
  vi.stubGlobal('setTimeout', (fn: any, ms?: number, ...a: any[]) => {
    const id: any = st(
      (...x: any[]) => {
        timers.delete(id);
        fn(...x);
      },
      ms,
      ...a,
    );
    timers.add(id);
    count.timers++;
    return id;
  });
  vi.stubGlobal('clearTimeout', (id: any) => (timers.delete(id), ct(id)));
  const intervals = new Set<unknown>();
  vi.stubGlobal('setInterval', (fn: any, ms?: number) => {
    const id = si(fn, ms);
    intervals.add(id);
    return id;
  });
  vi.stubGlobal('clearInterval', (id: any) => (intervals.delete(id), ci(id)));
  const listeners = () => {
    const out: Record<string, number> = {};
    for (const k of seen) {
      const t = k.split('#')[0];
      out[t] = (out[t] || 0) + 1;
    }
    return out;
  };
  return { listeners, channels, timers, intervals, count };
}

const everything = (consent: 'granted' | 'pending', stages: Rules | string = rules) => ({
  endpoint,
  consent,
  capture: [attribution(), pageViews({ hash: true }), clicks(), forms(), frustration()],
  stages: journey(stages),
});

describe('shutdown leaves nothing behind', () => {
  test.each(['granted', 'pending'] as const)('consent %s: after shutdown() no listener, channel, timer or interval is left', async (consent) => {
    fakeCollector();
    const c = census();
    const t = createTracker(everything(consent));
    t.track('Pricing Seen');
    await settle();
    await tick(20);
    await t.shutdown();
    await settle();
    expect(c.listeners()).toEqual({});
    expect(c.channels.size).toBe(0);
    expect(c.intervals.size).toBe(0);
    expect(c.timers.size).toBe(0);
  });

  test.each(['granted', 'pending'] as const)('consent %s: create/shutdown 50 times (StrictMode-like) leaves exactly one set', async (consent) => {
    fakeCollector();
    const c = census();
    const one = createTracker(everything(consent));
    await settle();
    await tick(20);
    const single = c.listeners();
    const singleChannels = c.channels.size;
    await one.shutdown();
    await settle();
    expect(c.listeners()).toEqual({});
    let t = createTracker(everything(consent));
    // Not awaited in turn, as StrictMode's cleanup does not; what is left is counted once they
    // have all ended (a fixed wait was not enough on a busy machine: 13 channels open, not 2).
    const ended: Promise<void>[] = [];
    for (let i = 0; i < 50; i++) {
      ended.push(t.shutdown());
      t = createTracker(everything(consent));
    }
    await Promise.all(ended);
    await settle();
    await tick(50);
    await settle();
    expect(c.listeners()).toEqual(single);
    expect(c.channels.size).toBe(singleChannels);
    await t.shutdown();
    await settle();
    await tick(20);
    expect(c.listeners()).toEqual({});
    expect(c.channels.size).toBe(0);
    expect(c.timers.size).toBe(0);
  });

  test('a rules file still loading at shutdown() leaves no timer or listener', async () => {
    const c = census();
    vi.stubGlobal('fetch', vi.fn(() => new Promise(() => {})));
    const t = createTracker(everything('granted', '/rules.json'));
    await settle();
    await t.shutdown();
    await settle();
    expect(c.listeners()).toEqual({});
    expect(c.channels.size).toBe(0);
    expect(c.timers.size).toBe(0);
  });
});


describe('the stage engine after shutdown()', () => {
  // React StrictMode (or a component unmounted at once) on a returning visitor's page: the
  // saved visitor is read after the teardown, and the journey judges the page's events again.
  test('a tracker shut down before its saved visitor is read leaves no timer, and throws nothing into the page a second later', async () => {
    fakeCollector();
    const opts = () => ({ endpoint, consent: 'granted' as const, capture: [pageViews()], stages: journey(rules) });
    const first = createTracker(opts());
    await settle();
    await first.shutdown();
    const thrown: unknown[] = [];
    const onThrow = (e: unknown) => thrown.push(e);
    process.on('uncaughtException', onThrow);
    try {
      const c = census();
      const t = createTracker(opts());
      await t.shutdown();
      await settle();
      const timers = c.timers.size;
      await tick(1100);
      expect({ timers, thrown: thrown.map(String) }).toEqual({ timers: 0, thrown: [] });
    } finally {
      process.off('uncaughtException', onThrow);
    }
  });
});

describe('memory while consent is pending or denied', () => {
  // The README: events held in memory while consent is pending are bounded by maxPending. A
  // visitor who never answers the banner (or has GPC on: denied) on a long-lived SPA keeps
  // tracking in memory for the whole visit; under `latest` progression every stage change is
  // a new Journey Stage Entered.
  test.each(['pending', 'denied'] as const)('consent %s, progression latest: 20,000 stage changes do not grow the heap without bound', async (consent) => {
    const v8 = await import('node:v8');
    const vm = await import('node:vm');
    v8.setFlagsFromString('--expose-gc');
    const gc: () => void = vm.runInNewContext('gc');
    // happy-dom's own document.title getter keeps ~280 B per read: not Waymark's to measure.
    Object.defineProperty(document, 'title', { get: () => 'Dashboard', configurable: true });
    const flip: Rules = {
      stages: ['browsing', 'comparing'],
      progression: 'latest',
      rules: [
        { stage: 'browsing', when: { event: 'Plan Closed' } },
        { stage: 'comparing', when: { event: 'Plan Opened' } },
      ],
    };
    const t = createTracker({ endpoint, consent, stages: journey(flip) });
    await settle();
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 20000; i++) t.track(i % 2 ? 'Plan Closed' : 'Plan Opened');
    await settle();
    gc();
    const grown = (process.memoryUsage().heapUsed - before) / 1e6;
    await t.shutdown();
    delete (document as any).title;
    // maxPending (200) events of ~1 KB are held, and as many judged by the journey; 5 MB leaves room for noise.
    expect(grown).toBeLessThan(5);
  }, 30_000);
});

describe('background cost', () => {
  const hide = () => {
    Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
  };
  afterEach(() => void delete (document as any).visibilityState);

  test.each(['granted', 'pending'] as const)('consent %s, everything delivered, tab hidden: no timer, no interval and no channel message for 2 s', async (consent) => {
    const c = census();
    const collector = fakeCollector();
    const t = createTracker({ ...everything(consent), flushInterval: 20 });
    t.track('Pricing Seen');
    await settle();
    await tick(100);
    await settle();
    if (consent == 'granted') expect(collector.names()).toContain('Pricing Seen');
    hide();
    await settle();
    await tick(50);
    const { timers, posted } = c.count;
    await wait(2000);
    await settle();
    expect({ timers: c.count.timers - timers, posted: c.count.posted - posted, intervals: c.intervals.size }).toEqual({ timers: 0, posted: 0, intervals: 0 });
    await t.shutdown();
  }, 10_000);
});

describe('the console', () => {
  const spy = () => (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) => vi.spyOn(console, m).mockImplementation(() => {}));
  const printed = (spies: ReturnType<typeof spy>) => spies.flatMap((s) => s.mock.calls.map((c) => c.join(' ')));
  const use = async (t: ReturnType<typeof createTracker>) => {
    t.track('Pricing Seen', { plan: 'pro' });
    t.identify('u1');
    t.page();
    t.feedback({ score: 9, scale: 'nps' });
    await t.flush();
    await settle();
    await wait(50);
    await settle();
  };

  test.each([
    ['consent pending', 'pending', () => fakeCollector()],
    ['consent denied', 'denied', () => fakeCollector()],
    ['the collector offline (network error)', 'granted', () => fakeCollector(() => Promise.reject(new TypeError('Failed to fetch')))],
    ['the collector answering 500', 'granted', () => fakeCollector(() => new Response('', { status: 500 }))],
    ['the collector answering 503 with Retry-After', 'granted', () => fakeCollector(() => new Response('', { status: 503, headers: { 'Retry-After': '1' } }))],
  ] as const)('%s: nothing is printed without debug', async (_, consent, collector) => {
    const spies = spy();
    collector();
    const t = createTracker({ ...everything(consent), flushInterval: 20 });
    await use(t);
    t.consent('granted');
    await use(t);
    await t.shutdown();
    expect(printed(spies)).toEqual([]);
  });

  test('a full disk is reported once, as the README says (storage and quota errors always reach the console), and not again per event', async () => {
    const spies = spy();
    fakeCollector(() => new Response('', { status: 500 }));
    const t = createTracker({ ...everything('granted'), flushInterval: 20 });
    await use(t);
    vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(() => {
      throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    });
    for (let i = 0; i < 5; i++) await use(t);
    await t.shutdown();
    const out = printed(spies);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/^\[waymark\] quota: QuotaExceededError: .*queue kept in memory for this page$/);
  });

  test('with debug, each event and each transient failure is printed, prefixed and readable', async () => {
    const spies = spy();
    fakeCollector(() => new Response('', { status: 500 }));
    const t = createTracker({ ...everything('granted'), debug: true, flushInterval: 20 });
    await use(t);
    await t.shutdown();
    const out = printed(spies);
    expect(out.every((l) => l.startsWith('[waymark]'))).toBe(true);
    expect(out).toContainEqual(expect.stringMatching(/^\[waymark\] granted track Pricing Seen/));
    expect(out).toContainEqual(expect.stringMatching(/^\[waymark\] network: HTTP 500, retry 1 in \d+ s$/));
  });
});
