// Drives Chromium: one fresh browser context (empty storage) per measured run.

export { launchChromium as launch } from '../../../examples/chromium.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Opens the page in a new context. Everything that is not the page origin or the collector
 * is aborted before it leaves the browser, and recorded.
 */
export async function openPage(browser, { pageOrigin, collectorOrigin }) {
  const context = await browser.newContext({ serviceWorkers: 'block', viewport: { width: 1280, height: 900 } });
  const blocked = [];
  // Only what is not ours is routed (matched in the browser process), so the page's and the
  // collector's requests are not slowed by a round trip to this process.
  const esc = (o) => o.replace(/[.:/]/g, '\\$&');
  const notOurs = new RegExp(`^(?!(${esc(pageOrigin)}|${esc(collectorOrigin)})/)`);
  await context.route(notOurs, (route) => {
    blocked.push(route.request().url().replace(/\?.*/, ''));
    return route.abort('blockedbyclient');
  });
  const page = await context.newPage();
  const consoleErrors = [];
  page.on('console', (m) => {
    if (m.type() == 'error') consoleErrors.push(m.text().slice(0, 300));
  });
  page.on('pageerror', (e) => consoleErrors.push(String(e.message || e).slice(0, 300)));
  await page.goto(pageOrigin + '/', { waitUntil: 'load' });
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable', { timeDomain: 'threadTicks' }).catch(() => cdp.send('Performance.enable'));
  const taskMs = async () => {
    const { metrics } = await cdp.send('Performance.getMetrics');
    return metrics.find((m) => m.name == 'TaskDuration').value * 1e3;
  };
  const close = () => context.close().catch(() => {});
  return { context, page, cdp, blocked, consoleErrors, taskMs, close };
}

let runSeq = 0;
const newRunId = (sdk, kind) => `${kind}-${sdk}-${++runSeq}`;

/** Evaluates the bundle, runs init, waits for ready: see harness.js loadSdk. */
async function load(p, sdk, { collector, bigQueue }) {
  const runId = newRunId(sdk, 'r');
  const endpoint = `${collector.origin}/r/${runId}`;
  const t = await p.page.evaluate(
    ([url, cfg]) => Promise.race([window.__bench.loadSdk(url, cfg), new Promise((_, no) => setTimeout(() => no(new Error('init did not become ready in 15 s')), 15e3))]),
    [`/sdk/${sdk}.js`, { endpoint, bigQueue }],
  );
  return { runId, ...t };
}

/** Init cost: eval, init call, ready; and the main thread's busy time in the first second. */
export async function initRun(browser, sdk, env) {
  const p = await openPage(browser, env);
  try {
    const before = await p.taskMs();
    const t = await load(p, sdk, env);
    await sleep(1000);
    const busyMs = (await p.taskMs()) - before;
    const r = env.collector.run(t.runId);
    return { ...t, busyMs, blocked: p.blocked, lazyLoads: r.lazyLoads, errors: p.consoleErrors };
  } finally {
    await p.close();
  }
}

/** 1,000 synthetic clicks after the SDK is ready and has settled. */
export async function clickRun(browser, sdk, env, n) {
  const p = await openPage(browser, env);
  try {
    const t = await load(p, sdk, env);
    await sleep(1000);
    const r = env.collector.run(t.runId);
    const e0 = r.events;
    const names0 = { ...r.names };
    const lt0 = await p.page.evaluate(() => window.__bench.now());
    const busy0 = await p.taskMs();
    const targets = await p.page.evaluate(() => document.querySelectorAll('[data-bench-target]').length);
    const times = await p.page.evaluate((k) => window.__bench.clicks(k), n);
    // Batched SDKs deliver on timers (3 s here): wait for them, so their cost is counted.
    await sleep(3500);
    const busyMs = (await p.taskMs()) - busy0;
    const { longtasks, errors } = await p.page.evaluate(
      (a) => ({ longtasks: window.__bench.longtasksBetween(a, performance.now()), errors: window.__bench.errors }),
      lt0,
    );
    const names = {};
    for (const k in r.names) if (r.names[k] - (names0[k] || 0)) names[k] = r.names[k] - (names0[k] || 0);
    return { times, targets, busyMs, longtasks, events: r.events - e0, names, blocked: p.blocked, lazyLoads: r.lazyLoads, errors: [...errors, ...p.consoleErrors] };
  } finally {
    await p.close();
  }
}

/** What the page keeps in each storage after enqueueing: tells which one the SDK queues in. */
const storageProbe = () =>
  (indexedDB.databases ? indexedDB.databases() : Promise.resolve([])).then((dbs) => {
    let ls = 0;
    for (let i = 0; i < localStorage.length; i++) {
      const k = localStorage.key(i);
      ls += k.length + (localStorage.getItem(k) || '').length;
    }
    return { idb: dbs.map((d) => d.name), localStorageChars: ls, cookies: document.cookie.length };
  });

/**
 * Enqueue `n` events (100 per task), then wait until the collector has them all, for at
 * most `capMs` from the first track() call (or until nothing new arrived for 5 s).
 */
export async function queueRun(browser, sdk, env, { n, capMs }) {
  const p = await openPage(browser, { ...env });
  try {
    const t = await load(p, sdk, { ...env, bigQueue: true });
    await sleep(1000);
    await p.cdp.send('HeapProfiler.collectGarbage').catch(() => {});
    const heap0 = (await p.cdp.send('Runtime.getHeapUsage')).usedSize;
    let peak = heap0;
    let polling = true;
    const poller = (async () => {
      while (polling) {
        try {
          const h = await p.cdp.send('Runtime.getHeapUsage');
          if (h.usedSize > peak) peak = h.usedSize;
        } catch {}
        await sleep(100);
      }
    })();
    const r = env.collector.run(t.runId);
    const start = performance.now();
    const enq = await p.page.evaluate(([k, chunk, limit]) => window.__bench.enqueue(k, chunk, limit), [n, 100, capMs]);
    const storage = await p.page.evaluate(storageProbe);
    let last = r.seqs.size;
    let lastChange = performance.now();
    while (r.seqs.size < enq.count && performance.now() - start < capMs && performance.now() - lastChange < 5e3) {
      await sleep(50);
      if (r.seqs.size != last) (last = r.seqs.size), (lastChange = performance.now());
    }
    const stoppedAt = performance.now();
    polling = false;
    await poller;
    const end = await p.page.evaluate(() => window.__bench.now());
    const lt = await p.page.evaluate(
      ([a, b, c]) => ({ enqueue: window.__bench.longtasksBetween(a, b), drain: window.__bench.longtasksBetween(b, c), errors: window.__bench.errors }),
      [enq.t0, enq.t1, end],
    );
    const delivered = r.seqs.size;
    const complete = delivered >= n;
    // All delivered: up to the last arrival. Otherwise: the whole window.
    const elapsed = (complete ? r.lastSeqAt : stoppedAt) - start;
    return {
      enqueued: enq.count,
      enqueueMs: enq.t1 - enq.t0,
      delivered,
      complete,
      elapsedMs: elapsed,
      eventsPerSec: delivered / (elapsed / 1e3),
      heapPeakMB: peak / 2 ** 20,
      heapDeltaMB: (peak - heap0) / 2 ** 20,
      longEnqueue: lt.enqueue,
      longDrain: lt.drain,
      storage,
      requests: r.requests,
      blocked: p.blocked,
      lazyLoads: r.lazyLoads,
      errors: [...lt.errors, ...p.consoleErrors],
    };
  } finally {
    await p.close();
  }
}

/** Which of the ESM build's files a page actually fetches: entry plus chunks it imports on demand. */
export async function chunkProbe(browser, sdk, env) {
  const p = await openPage(browser, env);
  try {
    const requested = new Set();
    p.page.on('request', (r) => {
      const m = /\/esm\/[\w-]+\/(.+\.js)$/.exec(r.url());
      if (m) requested.add(m[1]);
    });
    const endpoint = `${env.collector.origin}/r/${newRunId(sdk, 'probe')}`;
    await p.page.evaluate(
      ([url, cfg]) =>
        import(url).then((m) => Promise.race([m.init(cfg), new Promise((r) => setTimeout(r, 15e3))])).then(() => {
          window.__sdk = m;
        }),
      [`/esm/${sdk}/${sdk}.js`, { endpoint }],
    ).catch(() => {});
    await p.page.evaluate(() => window.__sdk && window.__bench.clicks(50)).catch(() => {});
    await sleep(1000);
    return [...requested];
  } finally {
    await p.close();
  }
}
