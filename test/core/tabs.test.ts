import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { createStore, set } from 'idb-keyval';
import { createTracker, pageViews } from '../../src';
import { attribution } from '../../src/capture/attribution';
import type { TrackerOptions } from '../../src/types';
import { bfcache, databases, dump, fakeCollector, freshIndexedDB, queued, settle, tick, until } from '../helpers';

const endpoint = 'https://collect.test/v1/batch';
let idb: IDBFactory;

/** A faithful-enough Web Locks: exclusive, queued in request order, released when the callback settles. */
function webLocks(exclusive = true) {
  const tails = new Map<string, Promise<unknown>>();
  return {
    request(name: string, o: any, cb?: (lock: { name: string }) => Promise<unknown>) {
      cb ||= o;
      if (!exclusive) return Promise.resolve().then(() => cb({ name }));
      const prev = tails.get(name) || Promise.resolve();
      const run = prev.then(() => cb({ name }));
      tails.set(name, run.catch(() => {}));
      return run;
    },
  };
}

beforeEach(() => {
  idb = freshIndexedDB();
});
afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  delete (navigator as any).locks;
});

/** Two tabs share one IndexedDB and hammer a slow collector with flushes. */
async function twoTabs() {
  const c = fakeCollector(async () => {
    await tick(15);
    return new Response('{}', { status: 200 });
  });
  const tabs = [0, 1].map(() => createTracker({ endpoint, consent: 'granted', batchSize: 3, flushInterval: 5 }));
  await settle();
  for (let i = 0; i < 12; i++) {
    tabs[i % 2].track('E' + i);
    if (i % 3 == 0) tabs.forEach((t) => t.flush());
    await tick(2);
  }
  await Promise.all(tabs.map((t) => t.flush()));
  await until(async () => (await queued(idb)).length == 0 && c.events().length >= 12, 'all delivered', 5000);
  await Promise.all(tabs.map((t) => t.shutdown()));
  return c;
}

const duplicates = (c: ReturnType<typeof fakeCollector>) => {
  const ids = c.events().map((e) => e.messageId);
  return ids.length - new Set(ids).size;
};

describe('several tabs share one queue', () => {
  test('with Web Locks, no messageId is sent twice', async () => {
    Object.defineProperty(navigator, 'locks', { value: webLocks(), configurable: true });
    const c = await twoTabs();
    expect(c.events()).toHaveLength(12);
    expect(duplicates(c)).toBe(0);
  });

  test('without Web Locks, the IndexedDB lease keeps it to one flush in flight', async () => {
    expect((navigator as any).locks).toBeFalsy();
    const c = await twoTabs();
    expect(c.events()).toHaveLength(12);
    expect(duplicates(c)).toBe(0);
  });

  test("a tab does not beacon events that another tab has already delivered", async () => {
    Object.defineProperty(navigator, 'locks', { value: webLocks(), configurable: true });
    const c = fakeCollector();
    const a = createTracker({ endpoint, consent: 'granted', flushInterval: 60_000 });
    const b = createTracker({ endpoint, consent: 'granted', flushInterval: 60_000 });
    await settle();
    a.track('Tracked in A');
    await settle();
    await b.flush(); // B's flush sends A's event from the shared queue
    await until(() => c.events().length == 1);
    await tick(20); // the BroadcastChannel message reaches A
    window.dispatchEvent(new Event('pagehide')); // both trackers live in this window; only A has the event
    await settle();
    expect(c.requests.filter((r) => r.init.keepalive)).toHaveLength(0);
    expect(c.events().map((e) => e.event)).toEqual(['Tracked in A']);
    await a.shutdown();
    await b.shutdown();
  });

  test("a tab hidden while another tab's request carries its events does not beacon them too", async () => {
    Object.defineProperty(navigator, 'locks', { value: webLocks(), configurable: true });
    let answer!: () => void;
    const c = fakeCollector((req) => (req.init.keepalive ? new Response('{}') : new Promise((r) => (answer = () => r(new Response('{}'))))));
    const a = createTracker({ endpoint, consent: 'granted', flushInterval: 60_000 });
    const b = createTracker({ endpoint, consent: 'granted', flushInterval: 60_000 });
    await settle();
    a.track('Tracked in A');
    await settle();
    const flushed = b.flush(); // B's regular request takes A's event from the shared queue
    await until(() => c.requests.length == 1, 'B sends');
    await tick(10); // B's message reaches A
    // The visitor switches away from A while B's request is out (both share this window: B
    // beacons nothing of A's, so only A's page-hide request matters).
    window.dispatchEvent(new Event('pagehide'));
    await settle();
    answer();
    await flushed;
    await tick(20);
    expect(c.names()).toEqual(['Tracked in A']);
    await a.shutdown();
    await b.shutdown();
  });

  test('control: a lock that does not exclude does send duplicates (so the tests above can fail)', async () => {
    Object.defineProperty(navigator, 'locks', { value: webLocks(false), configurable: true });
    const c = await twoTabs();
    expect(duplicates(c)).toBeGreaterThan(0);
  });
});

describe('who the visitor is belongs to the site, not the tab', () => {
  /** A tab with consent whose page knew `user`, now kept in the back/forward cache. */
  async function cachedAs(user: string, options: Partial<TrackerOptions> = {}) {
    const a = createTracker({ endpoint, consent: 'granted', flushInterval: 60_000, ...options });
    await settle();
    a.identify(user);
    await settle();
    bfcache('pagehide');
    await settle();
    return a;
  }

  // A page in the back/forward cache listens on no channel (a message would evict it): what
  // the other pages did meanwhile is read back from the saved visitor when it is shown again.
  test("the page view that Back makes, before the saved visitor is read again, is the saved visitor's", async () => {
    const c = fakeCollector();
    const a = await cachedAs('user-123', { capture: [pageViews()] });
    await set('v', { a: 'after-logout', n: 3, s: 'open-session', t: Date.now() }, createStore('waymark', 'q'));
    bfcache('pageshow'); // pageViews() counts the return at once
    await settle();
    await a.flush();
    await settle();
    const back = c.events().filter((e) => e.type == 'page').at(-1)!;
    expect([back.anonymousId, back.userId, back.context.session]).toEqual(['after-logout', null, { id: 'open-session', number: 3 }]);
    await a.shutdown();
  });

  // Another page's logout saved the next visitor ({ a, n: 0 }: no session yet). The page shown
  // again must not carry the forgotten visitor's session over to them: the session id would link
  // the visitor who left to the next one, which reset() is there to prevent.
  test("Back after a logout on another page: the return's page view starts the next visitor's first session, not the forgotten visitor's", async () => {
    const c = fakeCollector();
    const a = await cachedAs('user-123', { capture: [pageViews()] });
    const old = (await dump(idb)).v;
    await set('v', { a: 'after-logout', n: 0 }, createStore('waymark', 'q')); // another page's reset(), nothing tracked since
    bfcache('pageshow'); // pageViews() counts the return at once
    await settle();
    a.track('Next');
    await a.flush();
    await settle();
    const back = c.events().filter((e) => e.type == 'page').at(-1)!;
    const next = c.events().find((e) => e.event == 'Next')!;
    expect([back.anonymousId, back.userId]).toEqual(['after-logout', null]);
    expect([back.context.session.id == old.s, next.context.session.id == old.s]).toEqual([false, false]);
    expect(back.context.session.number).toBe(1);
    expect((await dump(idb)).v.s).not.toBe(old.s);
    await a.shutdown();
  });

  test('a reset() (logout) made while Back reads the saved visitor again is not undone when the read answers', async () => {
    const c = fakeCollector();
    const a = await cachedAs('user-123');
    bfcache('pageshow'); // the read is in flight
    a.reset(); // the site logs the user out right on the return
    await settle();
    a.track('After logout');
    await a.flush();
    await settle();
    const e = c.events().find((x) => x.event == 'After logout')!;
    const old = c.events().find((x) => x.type == 'identify')!.anonymousId;
    expect([e.userId, e.anonymousId == old]).toEqual([null, false]);
    expect((await dump(idb)).v.u ?? null).toBeNull();
    await a.shutdown();
  });

  test('an identify() made while Back reads the saved visitor again keeps its user', async () => {
    const c = fakeCollector();
    const a = createTracker({ endpoint, consent: 'granted', flushInterval: 60_000 });
    await settle();
    bfcache('pagehide');
    await settle();
    bfcache('pageshow');
    a.identify('user-9'); // the site logs the user in right on the return
    await settle();
    a.track('After login');
    await a.flush();
    await settle();
    const id = c.events().find((x) => x.type == 'identify')!;
    const e = c.events().find((x) => x.event == 'After login')!;
    expect([id.userId, e.userId]).toEqual(['user-9', 'user-9']);
    expect((await dump(idb)).v.u).toBe('user-9');
    await a.shutdown();
  });

  test('Back, then away again or shutdown() before the read answers: the page does not write the visitor it knew over a logout saved by another page', async () => {
    fakeCollector();
    for (const leave of ['pagehide', 'shutdown']) {
      const a = await cachedAs('user-123', { capture: [pageViews()] });
      await set('v', { a: 'after-logout', n: 1 }, createStore('waymark', 'q')); // another page logged out
      bfcache('pageshow'); // the read is in flight; the return's page view waits
      if (leave == 'pagehide') bfcache('pagehide');
      await a.shutdown();
      await settle();
      const d = await dump(idb);
      expect([leave, d.v.a, d.v.u ?? null]).toEqual([leave, 'after-logout', null]);
      const views = Object.entries(d).filter(([k]) => k[0] == 'e').map(([, x]: any) => JSON.parse(x[0])).filter((e) => e.type == 'page');
      for (const pv of views) expect(pv.userId).toBeNull();
      await freshIndexedDB();
    }
  });

  test('a read of the saved visitor that never answers when Back shows the page holds its events 5 s, not for good', async () => {
    fakeCollector();
    const a = createTracker({ endpoint, consent: 'granted', capture: [pageViews()], flushInterval: 60_000 });
    await a.flush();
    await settle();
    const seen: string[] = [];
    a.on('event', (e) => seen.push(e.type));
    bfcache('pagehide');
    await settle();
    // The read never answers (a stuck storage).
    vi.spyOn(IDBObjectStore.prototype, 'get').mockImplementation(() => ({}) as IDBRequest);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    bfcache('pageshow'); // pageViews() counts the return: it waits for the read
    expect(seen).toEqual([]);
    await vi.advanceTimersByTimeAsync(5000);
    expect(seen).toEqual(['page']);
    vi.useRealTimers();
    vi.restoreAllMocks();
    await a.shutdown();
  });

  test('on the memory fallback (no database for a revoke to delete), a page in the back/forward cache still hears a revoke', async () => {
    vi.stubGlobal('indexedDB', undefined);
    const c = fakeCollector();
    const a = createTracker({ endpoint, consent: 'granted', flushInterval: 60_000 });
    await a.flush();
    await settle();
    bfcache('pagehide');
    await settle();
    const b = createTracker({ endpoint, consent: 'granted', flushInterval: 60_000 });
    await settle();
    b.consent('denied');
    await tick(20);
    await b.shutdown();
    bfcache('pageshow');
    await settle();
    a.track('After the revoke');
    await a.flush();
    await settle();
    expect(c.names()).not.toContain('After the revoke');
    await a.shutdown();
  });

  test('a logout on another page while this one is in the back/forward cache holds when Back shows it again', async () => {
    const c = fakeCollector();
    const a = await cachedAs('user-123');
    // A logout on the next page: it saves a new visitor (its message would evict A in a browser).
    const visitor = { a: 'after-logout', n: 1 };
    await set('v', visitor, createStore('waymark', 'q'));
    bfcache('pageshow'); // Back: A is shown again
    await settle();
    a.track('After Back');
    await a.flush();
    await settle();
    const e = c.events().find((x) => x.event == 'After Back')!;
    expect(e.userId).toBeNull();
    expect(e.anonymousId).toBe(visitor.a);
    expect((await dump(idb)).v.u ?? null).toBeNull();
    await a.shutdown();
  });

  test('a logout (reset) in one tab is not undone by another tab still open: the next visit is not the old user', async () => {
    const c = fakeCollector();
    const a = createTracker({ endpoint, consent: 'granted', flushInterval: 60_000 });
    await settle();
    a.identify('user-123');
    await settle();
    const b = createTracker({ endpoint, consent: 'granted', flushInterval: 60_000 });
    await settle();
    a.reset();
    await settle();
    // Any event in B (or its page hide) writes B's visitor record.
    b.track('Still open in B');
    await settle();
    expect((await dump(idb)).v.u).toBeUndefined();
    await a.shutdown();
    await b.shutdown();
    const next = createTracker({ endpoint, consent: 'granted' });
    await settle();
    next.track('Next visit');
    await next.flush();
    await settle();
    const [inB, visit] = ['Still open in B', 'Next visit'].map((n) => c.events().find((e) => e.event == n)!);
    expect([inB.userId, visit.userId]).toEqual([null, null]);
    // One visitor after the logout, in every tab and on the next visit.
    expect(visit.anonymousId).toBe(inB.anonymousId);
    await next.shutdown();
  });

  // README (Consent): "a login or a stage another tab told just before the revoke reached it does
  // not name, or move, the visitor a later grant starts". A preference centre toggled off and on
  // in one task grants again before the messages told before the revoke are delivered.
  test.each(['login (identify)', 'logout (reset)'])('a %s told just before a revoke and a grant made at once in another tab does not reach the visitor that grant starts', async (what) => {
    const c = fakeCollector();
    const a = createTracker({ endpoint, consent: 'granted', flushInterval: 60_000 });
    const b = createTracker({ endpoint, consent: 'granted', flushInterval: 60_000 });
    await settle();
    let told = '';
    a.on('event', (e) => e.event == 'Logged out' && (told = e.anonymousId));
    if (what.startsWith('login')) a.identify('alice');
    else a.reset(), a.track('Logged out');
    b.consent('denied');
    b.consent('granted');
    await settle();
    await tick(20);
    await settle();
    b.track('After in B');
    a.track('After in A');
    await b.flush();
    await settle();
    await a.shutdown();
    await b.shutdown();
    const after = c.events().filter((e) => e.event?.startsWith('After'));
    expect(after.map((e) => e.userId)).toEqual([null, null]);
    if (what.startsWith('login')) expect(told).toBe('');
    else expect(after.map((e) => e.anonymousId)).not.toContain(told);
    expect(JSON.stringify(await dump(idb))).not.toMatch(/alice/);
  });

  // The other side of the test above: what a tab tells after its own revoke and grant is told
  // after the revoke, whenever the other tabs get to hear it (a site's consent callback that
  // identifies the user again once granted, or a tab busy or frozen when the revoke arrives).
  test.each(['login (identify)', 'logout (reset)'])('a %s told after a revoke and a grant in one tab reaches the other tabs, though they hear it after they heard the revoke', async (what) => {
    const c = fakeCollector();
    const a = createTracker({ endpoint, consent: 'granted', flushInterval: 60_000 });
    // A tab whose own banner has not answered yet: it holds no database.
    const b = createTracker({ endpoint, flushInterval: 60_000 });
    await settle();
    a.consent('denied');
    a.consent('granted');
    if (what.startsWith('login')) a.identify('bob');
    else a.reset();
    await settle();
    await tick(20);
    await settle();
    a.track('After in A');
    b.track('After in B');
    await a.flush();
    await b.flush();
    await settle();
    const after = c.events().filter((e) => e.event?.startsWith('After'));
    if (what.startsWith('login')) expect(after.map((e) => e.userId)).toEqual(['bob', 'bob']);
    else expect(after[1].anonymousId).toBe(after[0].anonymousId);
    await a.shutdown();
    await b.shutdown();
  });

  // The device's clock set back after a revoke (a time server correcting it, a phone waking with a
  // clock that ran fast): a login or a logout made in another tab after the new grant, told with an
  // earlier time than the revoke had, is not one told before the revoke.
  test.each(['login (identify)', 'logout (reset)'])('a %s in another tab after a revoke and a grant, with the clock set back since the revoke, reaches the revoking tab', async (what) => {
    const c = fakeCollector();
    const a = createTracker({ endpoint, consent: 'granted', flushInterval: 60_000 });
    const b = createTracker({ endpoint, consent: 'granted', flushInterval: 60_000 });
    await settle();
    a.consent('denied');
    a.consent('granted');
    await until(() => b.consentState == 'granted', 'B granted');
    await settle();
    await tick(20);
    const now = Date.now;
    vi.spyOn(Date, 'now').mockImplementation(() => now() - 60_000); // the clock goes back a minute
    if (what.startsWith('login')) b.identify('bob');
    else b.reset(), b.track('Logged out in B');
    await settle();
    await tick(20);
    a.track('After in A');
    b.track('After in B');
    await a.flush();
    await b.flush();
    await settle();
    const after = ['After in A', 'After in B'].map((n) => c.events().find((e) => e.event == n)!);
    if (what.startsWith('login')) expect(after.map((e) => e.userId)).toEqual(['bob', 'bob']);
    else expect(after[0].anonymousId).toBe(after[1].anonymousId);
    await a.shutdown();
    await b.shutdown();
  });

  // A revoke erased the visitor everywhere: a logout while denied has nothing saved to keep from
  // coming back. The visitor another tab starts at the next grant is the one every tab continues.
  test('a logout (reset) while denied, then a grant in another tab: both tabs continue one visitor', async () => {
    const c = fakeCollector();
    const a = createTracker({ endpoint, consent: 'granted', flushInterval: 60_000 });
    const b = createTracker({ endpoint, consent: 'granted', flushInterval: 60_000 });
    await settle();
    a.consent('denied');
    await until(() => b.consentState == 'denied', 'B denied');
    b.reset(); // the user logs out in B while consent is off
    await settle();
    a.consent('granted');
    await until(() => b.consentState == 'granted', 'B granted');
    await settle();
    await tick(20);
    a.track('In A');
    b.track('In B');
    await a.flush();
    await b.flush();
    await settle();
    const [ea, eb] = ['In A', 'In B'].map((n) => c.events().find((e) => e.event == n)!);
    expect(eb.anonymousId).toBe(ea.anonymousId);
    expect((await dump(idb)).v.a).toBe(ea.anonymousId);
    await a.shutdown();
    await b.shutdown();
  });

  // A site identifies its logged-in user at every page start, banner answered or not. The user logs
  // out in tab B, then answers the banner there: tab A, still open from before the logout, must not
  // name the visitor that grant saves with the user who left, nor write that user back to disk.
  test.each(['pending', 'denied'] as const)('a logout (reset) in a tab without consent (%s), then a grant: a tab still open from before the logout does not bring the old user back', async (before) => {
    const c = fakeCollector();
    const a = createTracker({ endpoint, consent: before, respectGpc: false, flushInterval: 60_000 });
    const b = createTracker({ endpoint, consent: before, respectGpc: false, flushInterval: 60_000 });
    await settle();
    a.identify('alice'); // A's page start, the user logged in
    await settle();
    b.reset(); // the user logs out in B
    await settle();
    b.consent('granted');
    await until(() => a.consentState == 'granted', 'A granted');
    await settle();
    await tick(20);
    a.track('In A after the logout');
    b.track('In B after the logout');
    await a.flush();
    await b.flush();
    await settle();
    const after = c.events().filter((e) => e.event?.endsWith('after the logout'));
    expect(after.map((e) => e.userId)).toEqual([null, null]);
    expect(after[0].anonymousId).toBe(after[1].anonymousId);
    await a.shutdown();
    await b.shutdown();
    expect((await dump(idb)).v.u ?? null).toBeNull();
  });

  // Who the visitor is, told by two tabs before either has heard the other (a message takes a task
  // to arrive, more while the tab is busy): a site whose own auth state is shared by its tabs (Firebase,
  // Auth0) calls reset() in each tab at a logout, and identify() at each page start. Every tab must
  // end with the last word, not each with the other's.
  test('two tabs that log out at once (the site calls reset() in each) continue one visitor', async () => {
    const c = fakeCollector();
    const a = createTracker({ endpoint, consent: 'granted', flushInterval: 60_000 });
    const b = createTracker({ endpoint, consent: 'granted', flushInterval: 60_000 });
    await settle();
    a.identify('alice');
    await settle();
    a.reset();
    b.reset(); // before B hears A's reset, and A B's
    await settle();
    await tick(20);
    a.track('In A');
    b.track('In B');
    await a.flush();
    await b.flush();
    await settle();
    const [ea, eb] = ['In A', 'In B'].map((n) => c.events().find((e) => e.event == n)!);
    expect(eb.anonymousId).toBe(ea.anonymousId);
    expect((await dump(idb)).v.a).toBe(ea.anonymousId);
    await a.shutdown();
    await b.shutdown();
  });

  // The tab that takes the other's visitor (the greater id, in one millisecond) writes it only at its next
  // event: until then the disk may keep the one it gave up (its own write landing after the other's),
  // and a tab opened meanwhile reads and continues that one, while the two continue the other.
  test('two tabs that log out in one millisecond, then a tab opened before either tracks again: the three continue one visitor', async () => {
    const c = fakeCollector();
    const a = createTracker({ endpoint, consent: 'granted', flushInterval: 60_000 });
    const b = createTracker({ endpoint, consent: 'granted', flushInterval: 60_000 });
    await settle();
    a.identify('alice');
    await settle();
    // A's new visitor is the greater id, and A writes it first.
    const ids = vi.spyOn(crypto, 'randomUUID').mockReturnValueOnce('ffffffff-ffff-4fff-bfff-ffffffffffff').mockReturnValueOnce('00000000-0000-4000-8000-000000000000');
    const now = vi.spyOn(Date, 'now').mockReturnValue(Date.now());
    a.reset();
    b.reset();
    now.mockRestore();
    ids.mockRestore();
    await settle();
    await tick(20);
    const later = createTracker({ endpoint, consent: 'granted', flushInterval: 60_000 });
    await settle();
    a.track('In A');
    b.track('In B');
    later.track('In the tab opened after');
    await Promise.all([a, b, later].map((t) => t.flush()));
    await settle();
    const ids3 = ['In A', 'In B', 'In the tab opened after'].map((n) => c.events().find((e) => e.event == n)?.anonymousId);
    expect(new Set(ids3).size).toBe(1);
    await Promise.all([a, b, later].map((t) => t.shutdown()));
  });

  test('a login told in tab B just before a logout in tab A (crossing it) does not name the visitor the logout starts', async () => {
    const c = fakeCollector();
    const a = createTracker({ endpoint, consent: 'granted', flushInterval: 60_000 });
    const b = createTracker({ endpoint, consent: 'granted', flushInterval: 60_000 });
    await settle();
    b.identify('alice'); // B's page start, the user still logged in
    a.reset(); // the user logs out in A before A hears it
    await settle();
    await tick(20);
    a.track('In A after the logout');
    b.track('In B after the logout');
    await a.flush();
    await b.flush();
    await settle();
    const after = c.events().filter((e) => e.event?.endsWith('after the logout'));
    expect(after.map((e) => e.userId)).toEqual([null, null]);
    expect(after[0].anonymousId).toBe(after[1].anonymousId);
    await a.shutdown();
    await b.shutdown();
    expect((await dump(idb)).v.u ?? null).toBeNull();
  });

  // A logout made while pending writes nothing (consent), so a tab opened after it cannot read it:
  // the tab that logged out, still open, knows it, and a grant in the new tab must not bring back
  // the user an earlier visit saved.
  test('a logout (reset) in a pending tab, then a grant in a tab opened after it: both continue one visitor, without the user who left', async () => {
    const c = fakeCollector();
    const first = createTracker({ endpoint, consent: 'granted', flushInterval: 60_000 });
    await settle();
    first.identify('alice'); // an earlier visit, with consent
    await first.shutdown();
    const b = createTracker({ endpoint, flushInterval: 60_000 }); // consent asked again: pending
    await settle();
    b.identify('alice');
    b.reset(); // the user logs out in B
    await settle();
    const a = createTracker({ endpoint, flushInterval: 60_000 }); // a tab opened after the logout
    await settle();
    a.consent('granted');
    await until(() => b.consentState == 'granted', 'B granted');
    await settle();
    await tick(20);
    a.track('In A after the logout');
    b.track('In B after the logout');
    await a.flush();
    await b.flush();
    await settle();
    const after = c.events().filter((e) => e.event?.endsWith('after the logout'));
    expect(after.map((e) => e.userId)).toEqual([null, null]);
    expect(after[0].anonymousId).toBe(after[1].anonymousId);
    await a.shutdown();
    await b.shutdown();
    expect((await dump(idb)).v.u ?? null).toBeNull();
  });

  // The same, with the next user logging in (identify()) at the new tab's page start, before the grant:
  // the tab that logged out hears the login and continues its new visitor as that user; the new tab,
  // told again who continues the visitor it read, must not forget the user logged in since.
  test('a logout in a pending tab, then a login in a tab opened after it and a grant: both continue one visitor, as the user logged in', async () => {
    const c = fakeCollector();
    const first = createTracker({ endpoint, consent: 'granted', flushInterval: 60_000 });
    await settle();
    first.identify('alice'); // an earlier visit, with consent
    await first.shutdown();
    const b = createTracker({ endpoint, flushInterval: 60_000 }); // consent asked again: pending
    await settle();
    b.identify('alice');
    b.reset(); // the user logs out in B
    await settle();
    await tick(5); // the login comes later than the logout's millisecond (see heard)
    const a = createTracker({ endpoint, flushInterval: 60_000 }); // a tab opened after the logout
    await settle();
    a.identify('bob'); // the next user logs in there
    await settle();
    await tick(20);
    a.consent('granted');
    await until(() => b.consentState == 'granted', 'B granted');
    await settle();
    await tick(20);
    a.track('In A after the login');
    b.track('In B after the login');
    await a.flush();
    await b.flush();
    await settle();
    const after = c.events().filter((e) => e.event?.endsWith('after the login'));
    expect(after.map((e) => e.userId)).toEqual(['bob', 'bob']);
    expect(after[0].anonymousId).toBe(after[1].anonymousId);
    await a.shutdown();
    await b.shutdown();
    expect((await dump(idb)).v.u).toBe('bob');
  });

  // Two tabs opened after the logout: the grant reaches both, and one of them is still reading the saved
  // visitor when the tab that logged out tells who continues it. Told while its read is under way, it does
  // not continue that visitor yet, and ignores what it is told; its read then continues the user who left.
  test('a logout in a pending tab, then two tabs opened after it and a grant: all three continue one visitor, without the user who left', async () => {
    const c = fakeCollector();
    const first = createTracker({ endpoint, consent: 'granted', flushInterval: 60_000 });
    await settle();
    first.identify('alice'); // an earlier visit, with consent
    await first.shutdown();
    const b = createTracker({ endpoint, flushInterval: 60_000 }); // consent asked again: pending
    await settle();
    b.identify('alice');
    b.reset(); // the user logs out in B
    await settle();
    await tick(5);
    const a = createTracker({ endpoint, flushInterval: 60_000 }); // two tabs opened after the logout
    const d = createTracker({ endpoint, flushInterval: 60_000 });
    await settle();
    a.consent('granted');
    await until(() => b.consentState == 'granted' && d.consentState == 'granted', 'B and D granted');
    await settle();
    await tick(20);
    a.track('In A after the logout');
    b.track('In B after the logout');
    d.track('In D after the logout');
    await Promise.all([a, b, d].map((t) => t.flush()));
    await settle();
    const after = c.events().filter((e) => e.event?.endsWith('after the logout'));
    expect(after.map((e) => e.userId)).toEqual([null, null, null]);
    expect(new Set(after.map((e) => e.anonymousId)).size).toBe(1);
    await Promise.all([a, b, d].map((t) => t.shutdown()));
  });

  // What the tab opened after the logout tracked before its grant's read (its landing page view) moves
  // at the read onto the visitor it reads, the user who left: the tab that logged out tells the others
  // only at its own grant, after that read. A known defect, left open: the tab reading cannot know of a
  // logout made while pending (it wrote nothing), and waiting for the other tabs at every grant is a
  // large change. test.fails keeps the proof: it fails the suite the day it is fixed.
  test.fails('a logout in a pending tab, then a tab opened after it tracks and grants: what it tracked is not sent as the user who left', async () => {
    const c = fakeCollector();
    const first = createTracker({ endpoint, consent: 'granted', flushInterval: 60_000 });
    await settle();
    first.identify('alice'); // an earlier visit, with consent
    await first.shutdown();
    const left = (await dump(idb)).v.a;
    const b = createTracker({ endpoint, flushInterval: 60_000 }); // consent asked again: pending
    await settle();
    b.identify('alice');
    b.reset(); // the user logs out in B
    await settle();
    await tick(5);
    const a = createTracker({ endpoint, flushInterval: 60_000 }); // a tab opened after the logout
    await settle();
    a.track('In A before the grant');
    a.consent('granted');
    await until(() => b.consentState == 'granted', 'B granted');
    await settle();
    await tick(20);
    await a.flush();
    await b.flush();
    await settle();
    const e = c.events().find((e) => e.event == 'In A before the grant')!;
    expect([e.anonymousId == left ? 'the id of the user who left' : 'another id', e.userId]).toEqual(['another id', null]);
    await a.shutdown();
    await b.shutdown();
  });

  test('a logout in one tab starts a new visitor in the others too: their next event starts session 1', async () => {
    const c = fakeCollector();
    const a = createTracker({ endpoint, consent: 'granted', flushInterval: 60_000, sessionTimeout: 1 });
    const b = createTracker({ endpoint, consent: 'granted', flushInterval: 60_000, sessionTimeout: 1 });
    await settle();
    for (const n of ['A1', 'A2', 'A3']) a.track(n), await tick(5);
    b.track('B before'); // B's third session
    await settle();
    a.reset();
    await settle();
    b.track('B after');
    await b.flush();
    await settle();
    const [before, after] = ['B before', 'B after'].map((n) => c.events().find((e) => e.event == n)!);
    expect(before.context.session.number).toBeGreaterThan(1);
    expect(after.context.session.number).toBe(1);
    await a.shutdown();
    await b.shutdown();
  });

  // The same logout page as reset()'s own (a reset() before the read keeps the landing page
  // view with the saved visitor), but the logout is made in another tab while this tab's read
  // of the saved visitor is in flight: the page view this tab made before it was the saved
  // visitor's too, not a one-page visitor nobody else has.
  test("a logout in another tab while this tab reads the saved visitor leaves this tab's landing page view with the visitor who left", async () => {
    const c = fakeCollector();
    const first = createTracker({ endpoint, consent: 'granted' });
    await settle();
    first.identify('alice');
    await first.shutdown();
    const saved = (await dump(idb)).v;
    const a = createTracker({ endpoint, consent: 'granted', capture: [pageViews()], flushInterval: 60_000 });
    // Tab B's reset() as A hears it before its read answers; B's write of the next visitor lands after A's read.
    new BroadcastChannel('waymark:waymark').postMessage({ a: 'next-visitor' });
    await settle();
    a.track('Next Visitor Looks Around');
    await a.flush();
    await settle();
    const pv = c.events().find((e) => e.type == 'page')!;
    expect([pv.anonymousId, pv.userId, pv.context.session]).toEqual([saved.a, 'alice', { id: saved.s, number: saved.n }]);
    const next = c.events().find((e) => e.event == 'Next Visitor Looks Around')!;
    expect([next.anonymousId, next.userId]).toEqual(['next-visitor', null]);
    expect((await dump(idb)).v.a).toBe('next-visitor');
    await a.shutdown();
  });

  // A tab still pending hears the logout too, and the other tab has saved the next visitor by
  // the time this one is granted: what this tab made before the logout is not theirs.
  test("a logout in another tab while this tab is pending does not give this tab's landing page view to the next visitor", async () => {
    const c = fakeCollector();
    const b = createTracker({ endpoint, consent: 'granted', capture: [attribution()], flushInterval: 60_000 });
    await settle();
    b.identify('alice');
    await settle();
    history.replaceState(null, '', '/land?utm_source=newsletter&utm_medium=email');
    const a = createTracker({ endpoint, capture: [attribution(), pageViews()], flushInterval: 60_000 });
    b.reset();
    await settle();
    const next = (await dump(idb)).v;
    a.consent('granted');
    await settle();
    await a.flush();
    await settle();
    const pv = c.events().find((e) => e.type == 'page')!;
    expect(pv.anonymousId).not.toBe(next.a);
    // Nor the next visitor's touches (direct): its own landing, first touch too.
    expect(pv.context.campaign!.first!.source).toBe('newsletter');
    await a.shutdown();
    await b.shutdown();
    history.replaceState(null, '', '/');
  });

  test('a login (identify) in one tab names the events of the others', async () => {
    const c = fakeCollector();
    const a = createTracker({ endpoint, consent: 'granted' });
    const b = createTracker({ endpoint, consent: 'granted' });
    await settle();
    a.identify('user-7');
    await settle();
    b.track('In B');
    await b.flush();
    await settle();
    expect(c.events().find((e) => e.event == 'In B')!.userId).toBe('user-7');
    await a.shutdown();
    await b.shutdown();
  });
});

describe('a revoke in one tab is every tab\'s', () => {
  // A message posted by a granted tab just before the revoke reached it arrives after the
  // revoke: it must not name, or link, the visitor that a new grant starts.
  test("a login in tab B that crosses a revoke in tab A does not name A's next visitor after a new grant", async () => {
    const c = fakeCollector();
    const a = createTracker({ endpoint, consent: 'granted' });
    const b = createTracker({ endpoint, consent: 'granted' });
    await settle();
    a.consent('denied');
    b.identify('alice'); // at the same moment: an auth response arriving in B
    await until(() => b.consentState == 'denied', 'B denied');
    await tick(20);
    a.consent('granted');
    await settle();
    a.track('After the new grant');
    await a.flush();
    await until(() => c.names().includes('After the new grant'));
    expect(c.events().find((e) => e.event == 'After the new grant')!.userId).toBeNull();
    await a.shutdown();
    await b.shutdown();
  });

  // A tab holding no database (its banner has not answered yet) hears the revoke and the grant of
  // a preference centre toggled off and on in tab A first, and opens the database at once for its
  // grant; then tab B, which held it open, hears them. B's own delete, asked for only then, must
  // not wait behind C's connection: every later open would wait behind it (and time out into
  // memory), and it would erase the new visitor once C closes.
  test('a revoke and a grant at once in one tab, heard first by a tab holding no database, then by one holding it: the database stays usable', async () => {
    fakeCollector();
    const errors: string[] = [];
    const c = createTracker({ endpoint, flushInterval: 60_000 });
    const b = createTracker({ endpoint, consent: 'granted', flushInterval: 60_000 });
    const a = createTracker({ endpoint, consent: 'granted', flushInterval: 60_000 });
    for (const t of [a, b, c]) t.on('error', (e) => errors.push(e.code + ': ' + e.message));
    await settle();
    b.identify('alice');
    b.track('Old');
    await settle();
    a.consent('denied');
    a.consent('granted');
    await settle();
    await tick(50);
    await settle();
    const opens = await new Promise((res) => {
      const r = idb.open('waymark');
      r.onsuccess = () => (r.result.close(), res('opens'));
      setTimeout(() => res('blocked'), 1000);
    });
    expect(opens).toBe('opens');
    a.track('After in A');
    await settle();
    await tick(20);
    expect((await queued(idb)).map((e) => e.event)).toContain('After in A');
    expect(errors).toEqual([]);
    await Promise.all([a, b, c].map((t) => t.shutdown()));
  });

  test("while a tab's shutdown() waits for its batch in flight, a revoke in another tab still aborts that request and erases what it holds", async () => {
    let signal: AbortSignal | undefined;
    const c = fakeCollector(
      (req) =>
        new Promise((_, rej) => {
          signal = req.init.signal!;
          signal.addEventListener('abort', () => rej(new DOMException('aborted', 'AbortError')));
        }),
    );
    const a = createTracker({ endpoint, consent: 'granted', flushInterval: 60_000 });
    const b = createTracker({ endpoint, consent: 'granted', flushInterval: 60_000 });
    await settle();
    b.track('Tracked in B');
    await settle();
    b.flush();
    await until(() => c.requests.length == 1, 'B sends');
    const down = b.shutdown(); // an SPA unmounting B: it waits for the answer to its batch
    await settle();
    a.consent('denied');
    await tick(50); // the message reaches B
    expect(signal!.aborted).toBe(true);
    await down;
    expect(b.consentState).toBe('denied');
    await until(async () => !(await databases(idb)).includes('waymark'), 'the database is deleted');
    await a.shutdown();
  });
});

describe('the IndexedDB lease, where Web Locks are missing', () => {
  beforeEach(() => void vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] }));
  afterEach(() => void vi.useRealTimers());
  const advance = async (ms: number) => {
    for (let i = 0; i < ms; i += 1000) {
      await vi.advanceTimersByTimeAsync(Math.min(1000, ms - i));
      await settle(20);
    }
  };

  test('a drain longer than the lease keeps it: a second tab does not send the batches in flight again', async () => {
    expect((navigator as any).locks).toBeFalsy();
    // A slow but healthy collector: 25 s per request, under the 30 s timeout.
    const c = fakeCollector(() => new Promise((r) => setTimeout(() => r(new Response('{}')), 25_000)));
    const a = createTracker({ endpoint, consent: 'granted', flushInterval: 600_000, batchSize: 20 });
    const b = createTracker({ endpoint, consent: 'granted', flushInterval: 600_000, batchSize: 20 });
    await settle();
    for (let i = 0; i < 100; i++) a.track('E' + i);
    await settle();
    a.flush();
    // A is on its third batch: a lease of 60 s taken once would have run out.
    await advance(65_000);
    b.flush();
    await advance(200_000);
    const ids = c.events().map((e) => e.messageId);
    expect(new Set(ids).size).toBe(100);
    expect(ids).toHaveLength(100);
    await Promise.all([a.shutdown(), b.shutdown()]);
  }, 60_000);

  test('a lease left by a tab whose clock was a day ahead does not park every tab until the clock catches up', async () => {
    const c = fakeCollector();
    const { createStore, set } = await import('idb-keyval');
    await set('l', { i: 'a closed tab', t: Date.now() + 864e5 + 6e4 }, createStore('waymark', 'q'));
    const t = createTracker({ endpoint, consent: 'granted', flushInterval: 1000 });
    await settle();
    t.track('Y');
    await advance(10_000);
    expect(c.names()).toContain('Y');
    await t.shutdown();
  }, 60_000);
});
