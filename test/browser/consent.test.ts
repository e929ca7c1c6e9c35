// Consent in a real browser: what reaches the collector, and what touches storage, in every
// state and transition. Each test checks what arrived and what must not have.
import { describe, expect, it } from 'vitest';
import { implemented, useEnv, type Tab } from './harness';

const env = useEnv('consent');

/** Long enough for several flush intervals (200 ms) to pass: a send would have happened. */
const QUIET = 1000;

const names = (evs: { event?: string; type: string }[]) => evs.map((e) => e.event || e.type);

async function expectNothingStored(t: Tab) {
  expect(await t.databases()).toEqual([]);
  expect(await t.storage()).toEqual({ local: 0, session: 0, cookie: '' });
  expect(await t.page.context().cookies()).toEqual([]);
}

describe('consent', () => {
  it('pending: nothing is sent, written or read; a grant delivers the held events with their original timestamps', async () => {
    const { collector } = env;
    const ctx = await env.context({ spyStorage: true });
    const t = await ctx.open('/landing.html');
    await t.cmd('track', 'Held One', { n: 1 });
    const heldAt = await t.page.evaluate(() => Date.now());
    await t.page.click('#newsletter');
    await t.cmd('identify', 'user-17', { plan: 'pro' });

    await collector.quiet(QUIET);
    expect(collector.requests).toEqual([]);
    expect(await t.storageCalls()).toEqual([]);
    await expectNothingStored(t);

    const grantedAt = await t.page.evaluate(() => Date.now());
    await t.cmd('consent', 'granted');
    const expected = ['page', 'Held One', ...(implemented('capture/clicks') ? ['Element Clicked'] : []), 'Newsletter Subscribed', 'identify'];
    await collector.waitFor((c) => c.events().length >= expected.length, 'the held events');

    const evs = collector.events();
    expect(names(evs)).toEqual(expected);
    // The ones held before the grant keep the time they happened, not the time of the grant.
    for (const e of evs) expect(Date.parse(e.timestamp)).toBeLessThan(grantedAt);
    const one = evs.find((e) => e.event == 'Held One')!;
    expect(Date.parse(one.timestamp)).toBeLessThanOrEqual(heldAt);
    expect(one.properties).toEqual({ n: 1 });
    // identify() after the events does not rewrite who did them, but is itself attributed.
    expect(evs.map((e) => e.userId)).toEqual([...expected.slice(1).map(() => null), 'user-17']);
    expect(new Set(evs.map((e) => e.anonymousId)).size).toBe(1);
    expect(collector.requests.filter((r) => r.time < grantedAt)).toEqual([]);
    expect(await t.databases()).toEqual(['waymark']);
    // Proof that the storage spy sees the SDK's calls, so its empty list above means something.
    expect(await t.storageCalls()).toContain('indexedDB.open');
    // The queue is IndexedDB only: still no web storage or cookies after the grant.
    expect(await t.storage()).toEqual({ local: 0, session: 0, cookie: '' });

    expect(ctx.errors).toEqual([]);
    const { lost, duplicated } = env.account({ expected: evs.map((e) => e.messageId), beforeConsent: 0 });
    expect(lost).toEqual([]);
    expect(duplicated).toEqual([]);
  });

  it('denied: the held events are dropped and nothing is sent, stored or read, even after more tracking', async () => {
    const { collector } = env;
    const ctx = await env.context({ spyStorage: true });
    const t = await ctx.open('/landing.html');
    await t.cmd('track', 'Before Deny');
    await t.cmd('consent', 'denied');
    await t.cmd('track', 'After Deny');
    await t.page.click('#newsletter');
    await t.cmd('flush');

    await collector.quiet(QUIET);
    expect(collector.requests).toEqual([]);
    // Deleting a database that might be left from an earlier grant is the only call allowed.
    expect((await t.storageCalls()).filter((c) => c != 'window.indexedDB' && c != 'indexedDB.deleteDatabase')).toEqual([]);
    await expectNothingStored(t);
    expect(ctx.errors).toEqual([]);
    env.account({ expected: [], beforeConsent: collector.requests.length });
  });

  it('a grant after a deny sends only what was tracked after the grant', async () => {
    const { collector } = env;
    const ctx = await env.context();
    const t = await ctx.open('/landing.html');
    await t.cmd('track', 'Before Deny');
    await t.cmd('consent', 'denied');
    await t.cmd('track', 'While Denied');
    await collector.quiet(QUIET);
    expect(collector.requests).toEqual([]);
    const grantedAt = Date.now();
    await t.cmd('consent', 'granted');
    await t.cmd('track', 'After Grant');
    await collector.waitFor((c) => c.events().some((e) => e.event == 'After Grant'), 'After Grant');
    await collector.quiet(400);
    expect(names(collector.seen())).toEqual(['After Grant']);
    expect(collector.requests.filter((r) => r.time < grantedAt)).toEqual([]);
    env.account({ expected: collector.events().map((e) => e.messageId) });
  });

  it('revoke (granted → denied) deletes the queue, ids and database, and nothing more is sent', async () => {
    const { collector } = env;
    env.site.set({ consent: 'granted' });
    const ctx = await env.context();
    const t = await ctx.open('/landing.html');
    await t.cmd('track', 'Delivered');
    await collector.waitFor((c) => c.events().some((e) => e.event == 'Delivered'), 'the first events');
    const firstId = collector.events()[0].anonymousId;

    // Keep some events queued (undeliverable) at the moment of the revoke.
    collector.respond = () => ({ status: 503 });
    await t.cmd('track', 'Queued One');
    await t.cmd('track', 'Queued Two');
    await expect.poll(async () => (await t.queued()).length, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);

    await t.cmd('consent', 'denied');
    const revokedAt = Date.now();
    await t.page.waitForFunction(async () => !(await indexedDB.databases()).length, null, { timeout: 10_000 });
    collector.respond = () => undefined;
    await t.cmd('track', 'After Revoke');
    await t.cmd('flush');
    await collector.quiet(QUIET);
    // The collector is healthy again, and the queued events must still never arrive.
    expect(collector.requests.filter((r) => r.time > revokedAt + 50)).toEqual([]);
    expect(names(collector.events())).toEqual(['page', 'Delivered']);
    await expectNothingStored(t);

    // A later visit that is granted again starts from nothing: new ids, no old queue.
    await t.page.reload();
    await t.cmd('consent', 'granted');
    await collector.waitFor((c) => c.events().length >= 3, 'the next visit');
    await collector.quiet(400);
    const last = collector.events().slice(2);
    expect(names(last)).toEqual(['page']);
    expect(last[0].anonymousId).not.toBe(firstId);
    expect(names(collector.events()).filter((n) => /Queued|After Revoke/.test(n))).toEqual([]);
    env.account({ expected: collector.events().map((e) => e.messageId) });
  });

  // A consent platform that reloads the page after a change (or the visitor closing the tab right
  // after "Reject all"): the revoke's erasure is asked for in the task that revokes, and must not
  // die with the page. The next page is pending (its banner not answered yet): it opens nothing.
  // Also while another tab (busy in a long task) holds the database open: the deletion waits for
  // it, after the revoking page is gone.
  it.each(['the page reloads', 'the tab closes', 'the tab closes, another tab busy holding the database'])('a revoke right before %s still erases the database', async (how) => {
    const { collector } = env;
    env.site.set({ consent: 'granted' });
    const ctx = await env.context();
    const t = await ctx.open('/landing.html');
    collector.respond = () => ({ status: 503 });
    await t.cmd('track', 'Queued One');
    await expect.poll(async () => (await t.queued()).length, { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
    if (how.includes('busy')) {
      const b = await ctx.open('/pricing.html');
      await b.cmd('track', 'In B');
      await b.page.waitForTimeout(300);
      // B's long task: it hears of the revoke only after the revoking tab has closed.
      void b.page.evaluate(() => {
        const end = Date.now() + 1500;
        while (Date.now() < end);
      });
      await t.page.waitForTimeout(50);
    }
    env.site.set({ consent: 'pending' });
    if (how == 'the page reloads') await t.page.evaluate(() => ((window as any).waymark('consent', 'denied'), location.reload()));
    else await t.page.evaluate(() => (window as any).waymark('consent', 'denied')), await t.page.close();
    collector.respond = () => undefined;
    const u = how == 'the page reloads' ? t : await ctx.open('/landing.html');
    await u.page.waitForLoadState('load');
    await expect.poll(() => u.databases(), { timeout: 5_000 }).toEqual([]);
  });

  // A revoke is a normal path: whatever point of a flush it comes at (the queue being read, a
  // request out, the batch being settled), it deletes the database under the flush without a
  // word on the console or to on('error'), and nothing of before it is sent after it.
  it('a revoke during a flush says nothing, on the console or to on(\'error\'), at whatever point it comes', async () => {
    const { collector } = env;
    env.site.set({ consent: 'granted', flushInterval: 60_000 });
    collector.respond = () => ({ status: 200, delay: 20 });
    const ctx = await env.context();
    const t = await ctx.open('/landing.html');
    const said: string[] = [];
    t.page.on('console', (m) => said.push(m.type() + ': ' + m.text()));
    await collector.waitFor((c) => c.events().length == 1, 'the page view');
    // What the page hands to the network, in order, with the revoke marked in it: "after the
    // revoke" is the page's own order, not the collector's clock. A batch handed to fetch() just
    // before the revoke can reach the collector more than 30 ms after it on a busy machine (the
    // revoke's abort comes too late to stop it), and that is no fault.
    await t.page.evaluate(() => {
      const w = window as any;
      const f = w.fetch;
      w.sends = [];
      w.fetch = function (this: unknown, ...a: any[]) {
        w.sends.push(String(a[1]?.body));
        return f.apply(this, a);
      };
      const beacon = navigator.sendBeacon.bind(navigator);
      navigator.sendBeacon = (url, data) => (w.sends.push(String(data)), beacon(url, data));
    });
    for (const wait of [0, 1, 2, 3, 4, 6, 8, 12, 16, 25, 40]) {
      await t.page.evaluate(async (wait) => {
        const w = window as any;
        const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
        w.sends = [];
        for (let i = 0; i < 5; i++) w.waymark('track', 'Before Revoke');
        await sleep(50);
        w.waymark('flush');
        await sleep(wait);
        w.waymark('consent', 'denied');
        w.sends.push('revoked');
        await sleep(100);
        w.waymark('consent', 'granted');
        await sleep(150);
      }, wait);
      await collector.quiet(150);
      const sends: string[] = await t.page.evaluate(() => (window as any).sends);
      const late = sends.slice(sends.indexOf('revoked') + 1).flatMap((b) => JSON.parse(b).batch);
      expect([wait, names(late)]).toEqual([wait, []]);
    }
    expect(said).toEqual([]);
    expect(ctx.feed.filter((f) => f.kind == 'error')).toEqual([]);
    expect(ctx.errors).toEqual([]);
    env.account({ expected: collector.events().map((e) => e.messageId) });
  });

  // README (Privacy): requests to the collector carry no cookies. The rules file, fetched before
  // consent too, is fetched as the page fetches its own files: a staging site behind a login
  // needs its cookie, which its own server has from every page anyway.
  it('the rules file (data-stages) is fetched like the page\'s own files, with its cookie; the collector gets none', async () => {
    const { collector } = env;
    env.site.set({ stages: '/journey.json' });
    const ctx = await env.context();
    await ctx.context.addCookies([{ name: 'sid', value: 'session-of-the-visitor', url: env.site.origin }]);
    const cookies: Record<string, string | undefined> = {};
    ctx.context.on('request', async (r) => {
      const path = new URL(r.url()).pathname;
      if (path == '/journey.json' || (path == '/v1/batch' && r.method() == 'POST')) cookies[path] = (await r.allHeaders()).cookie;
    });
    const t = await ctx.open('/landing.html');
    await t.cmd('consent', 'granted');
    await collector.waitFor((c) => c.events().length > 0, 'the first batch');
    await expect.poll(() => Object.keys(cookies).sort()).toEqual(['/journey.json', '/v1/batch']);
    expect(cookies).toEqual({ '/journey.json': 'sid=session-of-the-visitor', '/v1/batch': undefined });
    env.account({ expected: collector.events().map((e) => e.messageId) });
  });

  for (const signal of ['gpc', 'dnt'] as const) {
    it(`${signal.toUpperCase()} counts as denied: nothing is sent or stored, even after consent('granted')`, async () => {
      const { collector } = env;
      const ctx = await env.context({ [signal]: true, spyStorage: true });
      const t = await ctx.open('/landing.html');
      await t.cmd('consent', 'granted');
      await t.cmd('track', 'Should Not Leave');
      await t.page.click('#newsletter');
      await t.cmd('flush');
      await collector.quiet(QUIET);
      expect(collector.requests).toEqual([]);
      await expectNothingStored(t);
      expect((await t.storageCalls()).filter((c) => c != 'window.indexedDB' && c != 'indexedDB.deleteDatabase')).toEqual([]);
      // The SDK says why, through on('error'), instead of failing silently.
      expect(ctx.feed.filter((f) => f.kind == 'error').map((f) => f.data.code)).toContain('consent');

      // The same for a site whose snippet grants up front.
      env.site.set({ consent: 'granted' });
      await t.page.reload();
      await t.cmd('track', 'Should Not Leave Either');
      await collector.quiet(QUIET);
      expect(collector.requests).toEqual([]);
      await expectNothingStored(t);
      env.account({ expected: [], beforeConsent: collector.requests.length });
    });
  }
});
