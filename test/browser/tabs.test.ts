// Several tabs of one site share one IndexedDB queue. Web Locks must keep one flush in
// flight per origin, no messageId may arrive twice, and consent applies to every tab.
import { describe, expect, it } from 'vitest';
import { useEnv, type Tab } from './harness';

const env = useEnv('tabs');

const names = (evs: { event?: string; type: string }[]) => evs.map((e) => e.event || e.type);
const pages = () => env.collector.events().filter((e) => e.type == 'page').length;

describe('tabs', () => {
  it('two tabs and a slow collector: one request in flight at a time, and no messageId arrives twice', async () => {
    const { collector } = env;
    env.site.set({ consent: 'granted' });
    collector.respond = () => ({ status: 200, delay: 600 });
    const ctx = await env.context();
    const a = await ctx.open('/landing.html');
    const b = await ctx.open('/pricing.html');
    // Interleaved, so both tabs have flush timers running while the other's request is slow.
    for (let i = 0; i < 6; i++) {
      await a.cmd('track', 'Tab A', { i });
      await b.cmd('track', 'Tab B', { i });
      if (i % 2) await a.page.waitForTimeout(150);
    }
    const tracked = [...ctx.tracked('Tab A'), ...ctx.tracked('Tab B')];
    expect(tracked).toHaveLength(12);
    await collector.waitFor(
      (c) => pages() >= 2 && tracked.every((id) => c.events().some((e) => e.messageId == id)),
      'every event of both tabs',
    );
    await collector.quiet(1000);

    const posts = collector.posts();
    // The lock: each request starts only after the previous one was answered.
    for (let i = 1; i < posts.length; i++) expect(posts[i].time).toBeGreaterThanOrEqual(posts[i - 1].answeredAt!);
    expect(pages()).toBe(2);
    await expect.poll(() => a.queued(), { timeout: 10_000 }).toEqual([]);
    const { lost, duplicated } = env.account({ expected: [...tracked, ...collector.events().map((e) => e.messageId)] });
    expect(lost).toEqual([]);
    expect(duplicated).toEqual([]);
  });

  // Tab B's flush sends tab A's queued events too (one shared queue). Tab A is never told, so
  // it still counts them as its own undelivered events, and its page-hide beacon sends them again.
  it('events another tab already delivered are not sent again when a tab closes', async () => {
    const { collector } = env;
    // A long interval, so tab A does not flush its own events before tab B does.
    env.site.set({ consent: 'granted', flushInterval: 10_000 });
    const ctx = await env.context();
    const a = await ctx.open('/landing.html');
    // A grant sends what is queued at once: the page view goes, then the tab is idle.
    await collector.waitFor(() => pages() == 1, "tab A's page view");
    await expect.poll(() => a.queued()).toEqual([]);
    await a.cmd('track', 'Tracked In A', { n: 1 });
    await a.cmd('track', 'Tracked In A', { n: 2 });
    await expect.poll(() => a.queued()).toHaveLength(2);
    const ofA = await a.queued();
    expect(ofA).toEqual(ctx.tracked('Tracked In A'));

    // Tab B sends what it finds in the shared queue as soon as it is granted.
    const b = await ctx.open('/pricing.html');
    await collector.waitFor((c) => ofA.every((id) => c.events().some((e) => e.messageId == id)), "tab A's events, sent by tab B");
    await expect.poll(() => b.queued()).toEqual([]);

    await a.page.close({ runBeforeUnload: true });
    await b.page.close({ runBeforeUnload: true });
    await collector.quiet(1000);
    const { lost, duplicated } = env.account({ expected: [...ofA, ...ctx.tracked()] });
    expect(lost).toEqual([]);
    expect(duplicated.length, 'messageIds that arrived twice').toBe(0);
  });

  it('a grant in one tab releases the held events of the other; a revoke in one tab stops both', async () => {
    const { collector } = env;
    const ctx = await env.context();
    const a = await ctx.open('/landing.html');
    const b = await ctx.open('/pricing.html');
    await b.cmd('track', 'Held In B');
    await collector.quiet(600);
    expect(collector.requests).toEqual([]);

    const grantedAt = Date.now();
    await a.cmd('consent', 'granted');
    await collector.waitFor((c) => c.events().some((e) => e.event == 'Held In B') && pages() == 2, "both tabs' held events");
    expect(collector.requests.filter((r) => r.time < grantedAt)).toEqual([]);
    expect(ctx.feed.filter((f) => f.kind == 'consent').map((f) => f.data)).toEqual(['granted', 'granted']);

    await a.cmd('consent', 'denied');
    const revokedAt = Date.now();
    await b.page.waitForFunction(async () => !(await indexedDB.databases()).length, null, { timeout: 10_000 });
    await b.cmd('track', 'After Revoke In B');
    await a.cmd('track', 'After Revoke In A');
    await b.cmd('flush');
    await collector.quiet(1000);
    expect(collector.requests.filter((r) => r.time > revokedAt)).toEqual([]);
    expect(await b.databases()).toEqual([]);
    // Closing the tabs sends nothing either: nothing is left to beacon.
    await b.page.close({ runBeforeUnload: true });
    await a.page.close({ runBeforeUnload: true });
    await collector.quiet(500);
    expect(collector.requests.filter((r) => r.time > revokedAt)).toEqual([]);
    const { lost, duplicated } = env.account({ expected: collector.events().map((e) => e.messageId) });
    expect(lost).toEqual([]);
    expect(duplicated).toEqual([]);
  });
});

describe('a logout in one tab, a revoke and a grant in the other', () => {
  /** Whether the database opens in this tab within 2 s: a delete stuck behind a connection blocks every open after it. */
  const opens = (t: Tab) =>
    t.page.evaluate(
      () =>
        new Promise((res) => {
          const r = indexedDB.open('waymark');
          // Made as Waymark makes it, should the probe come first.
          r.onupgradeneeded = () => r.result.createObjectStore('q');
          r.onsuccess = () => (r.result.close(), res('opens'));
          setTimeout(() => res('blocked'), 2000);
        }),
    );

  // Tab A logs out (reset) while tab B's consent banner revokes, then grants again: the visitors
  // of before the revoke (A's logged-in one, and the one A's logout started) must not come back
  // in either tab, on the wire or on disk, and nothing tracked while denied may leave. `at once`:
  // a preference centre toggled off and on in one go, five times, so that each tab's erasure
  // races the other tab's grant.
  for (const pace of ['apart', 'at once'] as const)
    it(`${pace}: nothing of the visitors before the revoke survives, nothing leaves while denied, and the database stays usable`, async () => {
      const { collector } = env;
      env.site.set({ consent: 'granted' });
      const ctx = await env.context();
      const a = await ctx.open('/landing.html');
      await a.cmd('identify', 'alice');
      await a.cmd('track', 'Old');
      await collector.waitFor((c) => c.events().some((e) => e.event == 'Old'), 'the logged-in visitor');
      const old = collector.events().find((e) => e.event == 'Old')!;
      const b = await ctx.open('/pricing.html');
      await collector.waitFor(() => pages() == 2, "B's page view");
      expect(collector.events().filter((e) => e.type == 'page')[1].anonymousId).toBe(old.anonymousId);

      await a.cmd('reset');
      await a.cmd('track', 'Logged Out'); // the visitor A's logout starts, before the revoke
      const consents = (d: string) => ctx.feed.filter((f) => f.kind == 'consent' && f.data == d).length;
      // Delivered first: A may send it, tracked while granted, in the moment before it hears of
      // B's revoke, which would then count as a request made while denied or after the grant.
      await collector.waitFor((c) => c.events().some((e) => e.event == 'Logged Out'), 'the logout, tracked while granted');
      const revokedAt = Date.now();
      let grantedAt = revokedAt;
      if (pace == 'apart') {
        await b.cmd('consent', 'denied');
        await expect.poll(() => consents('denied')).toBe(2);
        await a.cmd('track', 'While Denied');
        await b.cmd('track', 'While Denied');
        await collector.quiet(500);
        grantedAt = Date.now();
        await b.cmd('consent', 'granted');
        await expect.poll(() => consents('granted')).toBe(2);
      } else
        for (let round = 1; round <= 5; round++) {
          await b.page.evaluate(() => {
            const w = window as any;
            w.waymark('consent', 'denied');
            w.waymark('track', 'While Denied');
            w.waymark('consent', 'granted');
          });
          await expect.poll(() => consents('granted')).toBe(2 * round);
          await a.page.waitForTimeout(300);
          expect([round, await opens(a)]).toEqual([round, 'opens']);
        }
      await a.cmd('track', 'After In A');
      await b.cmd('track', 'After In B');
      await collector.waitFor((c) => ['After In A', 'After In B'].every((n) => c.events().some((e) => e.event == n)), 'both tabs after the grant');
      await collector.quiet(500);

      expect(collector.requests.filter((r) => r.time > revokedAt && r.time < grantedAt)).toEqual([]);
      const after = collector.posts().filter((r) => r.time > grantedAt).flatMap((r) => r.events);
      expect(names(after).sort()).toEqual(['After In A', 'After In B']);
      // (Not the landing's campaign: tab A is still on that page, which its events carry.)
      const before = [old.anonymousId, old.context.session.id, 'alice'];
      const logout = collector.seen().find((e) => e.event == 'Logged Out');
      if (logout) before.push(logout.anonymousId, logout.context.session.id);
      const traces = (what: unknown) => before.filter((x) => JSON.stringify(what).includes(x));
      expect(traces(after)).toEqual([]);
      expect(after.map((e) => e.context.session.number)).toEqual([1, 1]);
      expect(traces(await a.queue())).toEqual([]);
      expect(traces(await b.queue())).toEqual([]);
      // No storage trouble: neither tab fell back to memory.
      expect(ctx.feed.filter((f) => f.kind == 'error').map((f) => f.data.message)).toEqual([]);
      expect(ctx.errors).toEqual([]);
      env.account({ expected: collector.events().map((e) => e.messageId) });
    });
});

describe('a revoke and a grant at once, with a tab still pending', () => {
  // Tab C's banner has not answered yet: it holds no database. When tab A's preference centre is
  // toggled off and on in one go, C may hear of it before tab B, which holds the database open,
  // and open it at once for its grant: a delete B asked for only when it heard would wait behind
  // C's connection, and every later open of the database behind it.
  it('the database stays usable in every tab, and no tab falls back to memory', async () => {
    env.site.set({ consent: 'granted' });
    const ctx = await env.context();
    const b = await ctx.open('/landing.html');
    env.site.set({ consent: 'pending' });
    const c = await ctx.open('/pricing.html');
    env.site.set({ consent: 'granted' });
    const a = await ctx.open('/pricing.html');
    await b.cmd('identify', 'alice');
    await b.cmd('track', 'Old');
    await env.collector.waitFor((x) => x.events().some((e) => e.event == 'Old'), 'the logged-in visitor');
    const opens = (t: Tab) =>
      t.page.evaluate(
        () =>
          new Promise((res) => {
            const r = indexedDB.open('waymark');
            r.onupgradeneeded = () => r.result.createObjectStore('q');
            r.onsuccess = () => (r.result.close(), res('opens'));
            setTimeout(() => res('blocked'), 2000);
          }),
      );
    for (let round = 1; round <= 5; round++) {
      // B is busy for a moment (a long task: hydration, a big render), so C hears first.
      const busy = b.page.evaluate(() => new Promise((r) => setTimeout(() => { const end = Date.now() + 300; while (Date.now() < end); r(0); }, 50)));
      await a.page.waitForTimeout(60);
      await a.page.evaluate(() => {
        const w = window as any;
        w.waymark('consent', 'denied');
        w.waymark('consent', 'granted');
      });
      await busy;
      await a.page.waitForTimeout(300);
      expect([round, await opens(a)]).toEqual([round, 'opens']);
    }
    await a.page.waitForTimeout(5500); // past the 5 s read timeout
    expect(ctx.feed.filter((f) => f.kind == 'error').map((f) => f.data.message)).toEqual([]);
    void c;
  });
});

describe('a page that starts denied', () => {
  // The visitor revoked where Waymark does not run (the consent platform's own settings page),
  // so the next page starts it with data-consent="denied", while a tab opened before the revoke
  // is still open with consent. That tab's connection blocks the erasure, and it kept tracking.
  it('stops the tabs still granted, and the database is erased although they held it open', async () => {
    const { collector } = env;
    env.site.set({ consent: 'granted' });
    const ctx = await env.context();
    const a = await ctx.open('/landing.html');
    await a.cmd('identify', 'alice');
    await collector.waitFor((c) => c.events().some((e) => e.type == 'identify'), 'the first tab delivers');
    env.site.set({ consent: 'denied' });
    const b = await ctx.open('/pricing.html');
    await b.page.waitForTimeout(300);
    const deniedAt = Date.now();
    await a.cmd('track', 'After The Revoke');
    await a.cmd('flush');
    await collector.quiet(1000);
    expect(collector.requests.filter((r) => r.time > deniedAt)).toEqual([]);
    await b.page.waitForFunction(async () => !(await indexedDB.databases()).length, null, { timeout: 5000 });
    env.account({ expected: collector.events().map((e) => e.messageId) });
  });
});
