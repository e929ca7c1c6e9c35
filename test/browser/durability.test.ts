// Delivery in a real browser: outages, server errors, rejections and closing tabs. The
// messageIds the SDK accepted (its on('event') feed and its IndexedDB queue) are the ledger;
// every one of them must reach the collector, once.
import { describe, expect, it } from 'vitest';
import { implemented, useEnv, type Ctx } from './harness';

const env = useEnv('durability');

/** After a 400 the SDK must not come back for the batch; the first backoff step is at most 1.5 s. */
const QUIET_RETRY = 1600;

const named = (name: string) => (c: typeof env.collector) => c.events().some((e) => e.event == name);
const count = (id: string) => env.collector.events().filter((e) => e.messageId == id).length;

/** Resolves when the SDK reported an error with this code after `since`. */
const reported = (ctx: Ctx, code: string, since = 0) =>
  expect
    .poll(() => ctx.feed.some((f) => f.kind == 'error' && f.data.code == code && f.time >= since), { timeout: 10_000 })
    .toBe(true);

describe('durability', () => {
  it('with the collector down across two page loads, every event arrives once it is back', async () => {
    const { collector } = env;
    env.site.set({ consent: 'granted' });
    await collector.down();
    const ctx = await env.context();
    const t = await ctx.open('/landing.html');
    await t.cmd('track', 'Offline One', { n: 1 });
    await t.cmd('track', 'Offline Two', { n: 2 });
    await reported(ctx, 'network');
    await expect.poll(() => t.queued(), { timeout: 10_000 }).toHaveLength(3);
    const expected = new Set(await t.queued());

    const second = Date.now();
    await t.page.reload();
    await t.cmd('track', 'Offline Three', { n: 3 });
    await reported(ctx, 'network', second);
    await expect.poll(() => t.queued(), { timeout: 10_000 }).toHaveLength(5);
    for (const id of await t.queued()) expected.add(id);
    for (const id of ctx.tracked()) expect(expected).toContain(id);

    await collector.up();
    await t.page.reload();
    await collector.waitFor((c) => c.events().length >= 6, 'the queued events and the new page view');
    await collector.quiet(500);

    const evs = collector.events();
    expect(evs.map((e) => e.event || e.type)).toEqual(['page', 'Offline One', 'Offline Two', 'page', 'Offline Three', 'page']);
    // Sent in the order they happened, with the time they happened.
    const times = evs.map((e) => Date.parse(e.timestamp));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    await expect.poll(() => t.queued(), { timeout: 10_000 }).toEqual([]);
    const { lost, duplicated } = env.account({ expected: [...expected] });
    expect(lost).toEqual([]);
    expect(duplicated).toEqual([]);
  });

  it('503s and a cut connection are retried with the same messageIds until the collector accepts them', async () => {
    const { collector } = env;
    env.site.set({ consent: 'granted' });
    collector.respond = (_, i) => (i == 0 ? 'destroy' : i == 1 ? { status: 503 } : undefined);
    const ctx = await env.context();
    const t = await ctx.open('/landing.html');
    await t.cmd('track', 'Retry One');
    await t.cmd('track', 'Retry Two');
    await collector.waitFor((c) => c.events().length >= 3, 'the events after a reset connection and a 503');
    await collector.quiet(500);

    expect(collector.posts().slice(0, 2).map((p) => p.status)).toEqual([0, 503]);
    const accepted = new Set(collector.events().map((e) => e.messageId));
    // Whatever was refused was sent again, with the same identity.
    for (const e of collector.seen()) expect(accepted).toContain(e.messageId);
    expect(collector.events().map((e) => e.event || e.type)).toEqual(['page', 'Retry One', 'Retry Two']);
    // Chromium itself retries a POST whose reused connection was cut, so the SDK may see one failure or two.
    const codes = ctx.feed.filter((f) => f.kind == 'error').map((f) => f.data.code);
    expect(codes.length).toBeGreaterThanOrEqual(1);
    expect([...new Set(codes)]).toEqual(['network']);
    await expect.poll(() => t.queued(), { timeout: 10_000 }).toEqual([]);
    const { lost, duplicated } = env.account({ expected: [...collector.seen().map((e) => e.messageId), ...ctx.tracked()] });
    expect(lost).toEqual([]);
    expect(duplicated).toEqual([]);
  });

  // The backoff is kept as a wall-clock time (Date.now() + delay) but waited for with a
  // monotonic setTimeout; when the timer fires while Date.now() is still short of it, the
  // flush is skipped and nothing reschedules it: the queue then waits for a new event, a
  // reload or an 'online' event. It happens when the system clock is set back during the
  // backoff (shown here), and at random (a timer firing within the same millisecond, as the
  // delay has a fractional part) in about one run of ten of the test above.
  it('a failed send is retried even if the clock is set back during the backoff', async () => {
    const { collector } = env;
    env.site.set({ consent: 'granted' });
    // Retry-After: 2 makes the wait exactly 2 s, time enough to set the clock back before it ends.
    collector.fail(1, { status: 503, headers: { 'Retry-After': '2' } });
    const ctx = await env.context();
    const t = await ctx.open('/landing.html', (page) => page.clock.install());
    await collector.waitFor((c) => c.posts().length == 1, 'the 503');
    await t.page.clock.setSystemTime(Date.now() - 3000);
    expect(Date.now() - collector.posts()[0].answeredAt!, 'the clock was set back before the retry was due').toBeLessThan(1500);
    await collector.waitFor((c) => c.events().length == 1, 'the retry', 10_000);
    const { lost, duplicated } = env.account({ expected: collector.seen().map((e) => e.messageId) });
    expect(lost).toEqual([]);
    expect(duplicated).toEqual([]);
  });

  it('a 429 with Retry-After is not retried before the collector asked', async () => {
    const { collector } = env;
    env.site.set({ consent: 'granted' });
    // Longer than the jittered first backoff (0.5–1.5 s), so an ignored header shows.
    collector.fail(1, { status: 429, headers: { 'Retry-After': '2' } });
    const ctx = await env.context();
    const t = await ctx.open('/landing.html');
    await t.cmd('track', 'Patient');
    await collector.waitFor(named('Patient'), 'Patient');
    const [first, ...rest] = collector.posts();
    expect(first.status).toBe(429);
    const retry = rest.find((r) => r.status == 200)!;
    expect(retry.time - first.answeredAt!).toBeGreaterThanOrEqual(1900);
    expect(rest.filter((r) => r.time < first.answeredAt! + 1900)).toEqual([]);
    const { lost, duplicated } = env.account({ expected: [...first.events.map((e) => e.messageId), ...ctx.tracked()] });
    expect(lost).toEqual([]);
    expect(duplicated).toEqual([]);
  });

  it('a 400 drops that batch once (no retry loop), and later events still flow', async () => {
    const { collector } = env;
    env.site.set({ consent: 'granted' });
    collector.fail(1, { status: 400 });
    const ctx = await env.context();
    const t = await ctx.open('/landing.html');
    await collector.waitFor((c) => c.posts().length == 1 && c.posts()[0].status == 400, 'the rejected batch');
    const rejected = collector.posts()[0].events.map((e) => e.messageId);
    expect(rejected).toHaveLength(1);
    await reported(ctx, 'rejected');

    await t.cmd('track', 'After Rejection');
    await collector.waitFor(named('After Rejection'), 'After Rejection');
    await collector.quiet(QUIET_RETRY);
    // The rejected page view was sent exactly once, ever.
    expect(collector.seen().filter((e) => rejected.includes(e.messageId))).toHaveLength(1);
    expect(collector.events().map((e) => e.event || e.type)).toEqual(['After Rejection']);
    await expect.poll(() => t.queued(), { timeout: 10_000 }).toEqual([]);
    const { lost, duplicated } = env.account({ expected: ctx.tracked().filter((id) => !rejected.includes(id)) });
    expect(lost).toEqual([]);
    expect(duplicated).toEqual([]);
  });

  it('an event tracked right before the tab closes arrives, by a CORS-simple keepalive request', async () => {
    const { collector } = env;
    // Not the suite's 200 ms interval: on a busy machine the close could come later than the
    // regular flush, which would send the event first, as JSON, and test nothing here.
    env.site.set({ consent: 'granted', flushInterval: 5000 });
    const ctx = await env.context();
    const t = await ctx.open('/landing.html');
    // Idle first (page view delivered and deleted), so only the last event is left to send.
    await t.cmd('flush');
    await collector.waitFor((c) => c.events().length == 1, 'the page view');
    await expect.poll(() => t.queued()).toEqual([]);
    // The flush reads the queue once more after settling its batch: let it end, or it would
    // find the next event and send it itself, as JSON (seen on a busy machine).
    await t.page.waitForTimeout(300);
    await t.cmd('track', 'Last Words');
    const [id] = ctx.tracked('Last Words');
    await t.page.close({ runBeforeUnload: true });

    let nextVisit = false;
    await collector.waitFor(named('Last Words'), 'Last Words', 5000).catch(async () => {
      // Unload sending is best effort: then the next visit must send it.
      nextVisit = true;
      await ctx.open('/landing.html');
      await collector.waitFor(named('Last Words'), 'Last Words on the next visit');
    });
    const carrier = collector.posts().find((p) => p.events.some((e) => e.messageId == id))!;
    // A page-hide request must be CORS-simple, or its preflight is lost with the page.
    if (!nextVisit) expect(carrier.contentType).toBe('text/plain;charset=UTF-8');
    else console.log('[waymark browser] the page-close beacon did not arrive; the next visit sent the event');
    expect(carrier.events.map((e) => e.event)).toEqual(['Last Words']);
    const { lost } = env.account({ expected: [id, ...collector.events().map((e) => e.messageId)] });
    expect(lost).toEqual([]);
  });

  // Within the site only the events whose write may not land are beaconed: the next page sends
  // the queue ('Leaving', already written). The link's own Element Clicked is tracked in the
  // navigating click: the page-hide handler commits its write, or beacons it.
  it('an event tracked right before navigating away arrives, and so does the click that navigates', async () => {
    const { collector } = env;
    env.site.set({ consent: 'granted' });
    const ctx = await env.context();
    const t = await ctx.open('/landing.html');
    await collector.waitFor((c) => c.events().length == 1, 'the page view');
    await expect.poll(() => t.queued()).toEqual([]);
    await t.cmd('track', 'Leaving');
    const [id] = ctx.tracked('Leaving');
    await Promise.all([t.page.waitForURL('**/pricing.html'), t.page.click('#see-pricing')]);
    await collector.waitFor((c) => count(id) > 0 && c.events().some((e) => e.context.page.path == '/pricing.html'), 'Leaving and the next page view');
    await collector.quiet(500);
    // Duplicates are left to the last test: whether one shows up here depends on a race (see there).
    // Arrival order is not event order (the click that navigates goes in the page-hide beacon,
    // the rest with the next page): the order that counts is the events' own timestamps.
    const byTime = [...collector.events()].sort((a, b) => a.timestamp.localeCompare(b.timestamp));
    expect([...new Set(byTime.map((e) => e.event || e.context.page.path))]).toEqual([
      '/landing.html',
      'Leaving',
      ...(implemented('capture/clicks') ? ['Element Clicked'] : []),
      '/pricing.html',
    ]);
    const { lost } = env.account({ expected: [id, ...collector.events().map((e) => e.messageId)] });
    expect(lost).toEqual([]);
  });

  // A batch out when a link is clicked is cancelled by the unload. Within the site the page-hide
  // request carries only what may not be written, and the click's Element Clicked and the Form
  // Abandoned tracked at pagehide are still being written then: unless the page-hide handler
  // commits those writes, they die with the page. (The cancellation once started a backoff that
  // skipped that handler's commit; it is no longer taken for a collector failure.)
  it.skipIf(!implemented('capture/forms'))('a link clicked while a batch is out: the click and Form Abandoned arrive with the next page', async () => {
    const { collector } = env;
    env.site.set({ consent: 'granted' });
    const ctx = await env.context();
    const t = await ctx.open('/checkout.html');
    await collector.waitFor((c) => c.events().length == 1, 'the page view');
    await expect.poll(() => t.queued()).toEqual([]);
    // Regular (JSON) batches are answered late: the one Form Started goes in is out at the click.
    collector.respond = (r) => (r.contentType.includes('json') ? { status: 200, delay: 1500 } : undefined);
    await t.page.fill('#email', 'a@example.com');
    await collector.waitFor((c) => c.seen().some((e) => e.event == 'Form Started'), 'the batch with Form Started');
    await Promise.all([t.page.waitForURL('**/pricing.html'), t.page.click('#back-to-plans')]);
    collector.respond = () => undefined;
    await collector.waitFor(named('Form Abandoned'), 'Form Abandoned', 5000);
    await collector.waitFor(
      (c) => c.events().some((e) => e.context.page.path == '/pricing.html') && ctx.tracked().every((id) => count(id) > 0),
      'every event tracked',
    );
    const { lost } = env.account({ expected: ctx.tracked() });
    expect(lost).toEqual([]);
  });

  // A closing page rarely lives to see its beacon's answer (here the collector takes 1 s, as
  // over a real network), so the beaconed events stay in IndexedDB, and the mark that should
  // hold them back is an IndexedDB write made during pagehide, which Chromium often drops.
  // A later visit re-sends them: at once when the mark was lost, after the 30 s grace
  // otherwise. This visit comes a minute later, so both cases show.
  // Closing a tab sends twice (visibilitychange, then pagehide), and the browser's 64 KiB
  // keepalive quota is for both bodies together: a second request over what the first left is
  // refused in a task the closing page never runs, after its events left the queue.
  it('closing a tab with a full page-hide request in flight loses nothing tracked during the hide', async () => {
    const { collector } = env;
    env.site.set({ consent: 'granted', flushInterval: 60_000, attrs: { 'batch-size': '1000' } });
    // The first page-hide request stays in flight while the second is made.
    collector.respond = (r) => (r.contentType.startsWith('text/plain') ? { status: 200, delay: 1000 } : undefined);
    const ctx = await env.context();
    const t = await ctx.open('/landing.html');
    await collector.waitFor((c) => c.events().length == 1, 'the page view');
    await expect.poll(() => t.queued()).toEqual([]);
    for (let i = 0; i < 50; i++) await t.cmd('track', 'Filler ' + i, { pad: 'x'.repeat(1000) });
    // Tracked between the two requests, as Form Abandoned is.
    await t.page.evaluate(() =>
      document.addEventListener('visibilitychange', () => (window as any).waymark('track', 'During Hide', { pad: 'y'.repeat(12_000) })),
    );
    await expect.poll(() => t.queued(), { timeout: 10_000 }).toHaveLength(50);
    await t.page.close({ runBeforeUnload: true });
    await collector.waitFor(named('Filler 49'), 'the first page-hide request');
    // What the closing page could not send, the next visit does.
    await ctx.open('/landing.html');
    await collector.waitFor(named('During Hide'), 'During Hide, sent on the next visit');
    await collector.quiet(1000);
    const { lost, duplicated } = env.account({ expected: ctx.tracked() });
    expect(lost).toEqual([]);
    expect(duplicated).toEqual([]);
  });

  it('an event a page-close beacon delivered is not sent again on a later visit', async () => {
    const { collector } = env;
    // A long interval: the event waits in the queue until the page closes.
    env.site.set({ consent: 'granted', flushInterval: 10_000 });
    collector.respond = (r) => (r.contentType.startsWith('text/plain') ? { status: 200, delay: 1000 } : undefined);
    const ctx = await env.context();
    const t = await ctx.open('/landing.html');
    await collector.waitFor((c) => c.events().length == 1, 'the page view');
    await expect.poll(() => t.queued()).toEqual([]);
    await t.cmd('track', 'Beaconed');
    const [id] = ctx.tracked('Beaconed');
    await expect.poll(() => t.queued()).toEqual([id]);
    await t.page.close({ runBeforeUnload: true });
    await collector.waitFor(named('Beaconed'), 'the beacon');

    await ctx.open('/landing.html', (page) => page.clock.install({ time: Date.now() + 60_000 }));
    await collector.waitFor((c) => c.events().filter((e) => e.type == 'page').length == 2, 'the next visit');
    await collector.quiet(1000);
    const { lost, duplicated } = env.account({ expected: [id, ...collector.events().map((e) => e.messageId)] });
    expect(lost).toEqual([]);
    expect(count(id), 'times the beaconed event arrived').toBe(1);
    expect(duplicated).toEqual([]);
  });
  // Chromium checks quota when a transaction commits, for the bytes it writes: with the disk full,
  // one that deletes the events delivered and writes the dropped count is refused whole, while
  // one that only deletes goes through.
  it('with a full disk, a batch delivered leaves the queue and is not sent again by the next flush', async () => {
    const { collector } = env;
    env.site.set({ consent: 'granted' });
    await collector.down();
    const ctx = await env.context();
    // A quota of 2 MB (Chromium takes it when the database opens), which the test fills up below.
    const t = await ctx.open('/landing.html', async (page) =>
      (await ctx.context.newCDPSession(page)).send('Storage.overrideQuotaForOrigin', { origin: env.site.origin, quotaSize: 2e6 }),
    );
    await t.cmd('track', 'Disk One');
    await t.cmd('track', 'Disk Two');
    await expect.poll(() => t.queued(), { timeout: 10_000 }).toHaveLength(3);
    const expected = await t.queued();
    // The disk fills up: another database of the site takes what the quota leaves.
    const full = await t.page.evaluate(async () => {
      const db: IDBDatabase = await new Promise((res, rej) => {
        const r = indexedDB.open('filler');
        r.onupgradeneeded = () => r.result.createObjectStore('f');
        r.onsuccess = () => res(r.result);
        r.onerror = () => rej(r.error);
      });
      const chunk = () => Array.from(crypto.getRandomValues(new Uint8Array(60000)), (x) => String.fromCharCode(48 + (x % 64))).join('');
      for (let i = 0; i < 100; i++) {
        const error = await new Promise<string>((res) => {
          const tx = db.transaction('f', 'readwrite');
          tx.objectStore('f').put(chunk(), i);
          tx.oncomplete = () => res('');
          tx.onabort = () => res(String(tx.error?.name));
        });
        if (error) return db.close(), error;
      }
      return db.close(), 'never full';
    });
    expect(full).toBe('QuotaExceededError');
    await collector.up();
    await t.cmd('flush');
    await collector.waitFor((c) => expected.every((id) => c.events().some((e) => e.messageId == id)), 'the queued events');
    await t.cmd('flush');
    await collector.quiet(1000);
    const { lost, duplicated } = env.account({ expected });
    expect(lost).toEqual([]);
    expect(duplicated).toEqual([]);
    await expect.poll(() => t.queued(), { timeout: 10_000 }).toEqual([]);
  });
  // The same disk, with a dropped count stored before it filled: the transaction that lowers it as a
  // batch reporting it is delivered is refused too, and the count must not ride every later batch.
  it('with a full disk, a dropped count is reported by one delivered batch, not by every batch after it', async () => {
    const { collector } = env;
    env.site.set({ consent: 'granted', attrs: { 'max-queue': '2', 'batch-size': '1' } });
    await collector.down();
    const ctx = await env.context();
    const t = await ctx.open('/landing.html', async (page) =>
      (await ctx.context.newCDPSession(page)).send('Storage.overrideQuotaForOrigin', { origin: env.site.origin, quotaSize: 2e6 }),
    );
    await t.cmd('track', 'Disk One');
    await t.cmd('track', 'Disk Two');
    // The page view is evicted (the bound enforced while backing off), and counted on disk.
    const dropped = () => ctx.feed.filter((f) => f.kind == 'error' && f.data.code == 'dropped').reduce((n, f) => n + f.data.count, 0);
    await expect.poll(dropped, { timeout: 10_000 }).toBe(1);
    await expect.poll(() => t.queued(), { timeout: 10_000 }).toHaveLength(2);
    const expected = await t.queued();
    const full = await t.page.evaluate(async () => {
      const db: IDBDatabase = await new Promise((res, rej) => {
        const r = indexedDB.open('filler');
        r.onupgradeneeded = () => r.result.createObjectStore('f');
        r.onsuccess = () => res(r.result);
        r.onerror = () => rej(r.error);
      });
      const chunk = () => Array.from(crypto.getRandomValues(new Uint8Array(60000)), (x) => String.fromCharCode(48 + (x % 64))).join('');
      for (let i = 0; i < 100; i++) {
        const error = await new Promise<string>((res) => {
          const tx = db.transaction('f', 'readwrite');
          tx.objectStore('f').put(chunk(), i);
          tx.oncomplete = () => res('');
          tx.onabort = () => res(String(tx.error?.name));
        });
        if (error) return db.close(), error;
      }
      return db.close(), 'never full';
    });
    expect(full).toBe('QuotaExceededError');
    await collector.up();
    await t.cmd('flush');
    await collector.waitFor((c) => expected.every((id) => c.events().some((e) => e.messageId == id)), 'the queued events');
    await t.cmd('flush');
    await collector.quiet(1000);
    const reported = collector.posts().filter((p) => p.status == 200).map((p) => p.json!.dropped ?? 0);
    expect(reported.reduce((n, d) => n + d, 0)).toBe(1);
  });
});
