// The paths a real browser rarely takes but a real visitor will: the web-vitals bundle, an
// IndexedDB that refuses to open, and a queue that outgrows its bounds while the collector
// is down. Unit tests cover their logic on fake-indexeddb; these prove it in Chromium.
import { describe, expect, it } from 'vitest';
import { useEnv } from './harness';

const env = useEnv('fallbacks');

const errorsOf = (feed: { kind: string; data: any }[], code: string) => feed.filter((f) => f.kind == 'error' && f.data.code == code);

describe('fallbacks', () => {
  it('the web-vitals bundle reports FCP, TTFB, LCP and CLS as Web Vital events, sent as the page goes', async () => {
    const { collector } = env;
    env.site.set({ consent: 'granted', src: '/waymark.vitals.min.js' });
    const ctx = await env.context();
    const t = await ctx.open('/landing.html');
    await collector.waitFor((c) => c.events().some((e) => e.type == 'page'), 'the page view');
    // LCP is final at the first input; CLS and INP are reported when the page is hidden.
    await t.page.click('h1');
    await t.page.close({ runBeforeUnload: true });
    const names = () => new Set(collector.events().filter((e) => e.event == 'Web Vital').map((e) => (e.properties as any).name));
    await collector.waitFor(() => ['FCP', 'TTFB', 'LCP', 'CLS'].every((n) => names().has(n)), 'FCP, TTFB, LCP and CLS');
    for (const e of collector.events().filter((x) => x.event == 'Web Vital')) {
      const p = e.properties as any;
      expect(Object.keys(p).sort()).toEqual(['delta', 'id', 'name', 'path', 'rating', 'value']);
      expect(typeof p.value).toBe('number');
      expect(p.value).toBeGreaterThanOrEqual(0);
      expect(['good', 'needs-improvement', 'poor']).toContain(p.rating);
      expect(p.path).toBe('/landing.html');
    }
    expect(ctx.errors).toEqual([]);
    const { lost } = env.account({ expected: ctx.tracked() });
    expect(lost).toEqual([]);
  });

  it('an IndexedDB that refuses to open: the queue lives in memory, says so once, and every event arrives', async () => {
    const { collector } = env;
    env.site.set({ consent: 'granted' });
    const ctx = await env.context();
    // As in some private modes and locked-down embeds: opening a database throws.
    await ctx.context.addInitScript(() => {
      IDBFactory.prototype.open = () => {
        throw new DOMException('The operation is insecure.', 'SecurityError');
      };
    });
    const t = await ctx.open('/landing.html');
    await t.cmd('track', 'Memory One');
    await t.cmd('track', 'Memory Two');
    await collector.waitFor((c) => ['Memory One', 'Memory Two'].every((n) => c.events().some((e) => e.event == n)), 'the events');
    await collector.quiet(400);
    expect(collector.events().map((e) => e.event || e.type)).toEqual(['page', 'Memory One', 'Memory Two']);
    const storage = errorsOf(ctx.feed, 'storage');
    expect(storage).toHaveLength(1);
    expect(storage[0].data.message).toMatch(/SecurityError.*kept in memory/);
    // Nothing reached the page as an error: the fallback is reported through on('error') only.
    expect(ctx.errors.filter((e) => e.startsWith('pageerror'))).toEqual([]);
    const { lost, duplicated } = env.account({ expected: ctx.tracked() });
    expect(lost).toEqual([]);
    expect(duplicated).toEqual([]);
  });

  it('in a frame sandboxed without allow-same-origin (no IndexedDB, no Web Locks): the queue lives in memory and its events are delivered while the page is open', async () => {
    const { collector } = env;
    env.site.set({ consent: 'granted' });
    const ctx = await env.context();
    const t = await ctx.open('/sandboxed.html');
    const frame = t.page.frameLocator('#embed');
    await frame.locator('#newsletter').click();
    // Delivered by the regular flushes (flushInterval 200 ms), not only by a page-hide request.
    await collector.waitFor((c) => c.events().some((e) => e.event == 'Newsletter Subscribed'), 'the events of the sandboxed frame', 5000);
    expect(collector.events().map((e) => e.event || e.type)).toEqual(['page', 'Element Clicked', 'Newsletter Subscribed']);
    // The memory fallback is said once; no error at every flush.
    expect(errorsOf(ctx.feed, 'storage').map((f) => f.data.message)).toEqual([expect.stringMatching(/Indexed Database.*kept in memory/)]);
  });

  it('a queue over its bound while the collector is down: the oldest are evicted and the next batch says how many', async () => {
    const { collector } = env;
    env.site.set({ consent: 'granted', attrs: { 'max-queue': '3' } });
    await collector.down();
    const ctx = await env.context();
    const t = await ctx.open('/landing.html');
    for (const n of [1, 2, 3, 4, 5]) await t.cmd('track', 'Queued ' + n);
    // Each retry enforces the bound first: the page view and the two oldest go, the newest three stay.
    await expect.poll(() => t.queued(), { timeout: 10_000 }).toHaveLength(3);
    // The next page load, still offline, enforces it again with its own page view.
    await t.page.reload();
    const dropped = () => errorsOf(ctx.feed, 'dropped').reduce((n, f) => n + f.data.count, 0);
    await expect.poll(dropped, { timeout: 10_000 }).toBe(4);
    await collector.up();
    await t.cmd('flush');
    await collector.waitFor((c) => c.posts().some((p) => p.status == 200), 'a delivered batch');
    await collector.quiet(500);
    const first = collector.posts().find((p) => p.status == 200)!;
    expect(first.json!.dropped).toBe(4);
    expect(collector.events().map((e) => e.event || e.type)).toEqual(['Queued 4', 'Queued 5', 'page']);
    // Delivered, the dropped count is cleared: later batches do not repeat it.
    await t.cmd('track', 'After');
    await collector.waitFor((c) => c.events().some((e) => e.event == 'After'), 'a later event');
    expect(collector.posts().filter((p) => p.status == 200).slice(1).map((p) => p.json!.dropped)).toEqual([undefined]);
    // Settled once the page has the answer, a moment after the collector has the request.
    await expect.poll(() => t.queued(), { timeout: 10_000 }).toEqual([]);
  });
});
