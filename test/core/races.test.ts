// Consent, identity, delivery and shutdown() racing each other or another tab.
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { createTracker } from '../../src';
import { attribution } from '../../src/capture/attribution';
import { pageViews } from '../../src/capture/pageViews';
import { journey } from '../../src/journey';
import type { Rules } from '../../src/journey/rules';
import type { WaymarkEvent } from '../../src/types';
import { abortWritesAtCommit, databases, dump, fakeCollector, freshIndexedDB, queued, settle, tick, until } from '../helpers';
import product from '../journey/fixtures/product.json';

const endpoint = 'https://collect.test/v1/batch';
let idb: IDBFactory;
beforeEach(() => void (idb = freshIndexedDB()));
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});
const hide = () => window.dispatchEvent(new Event('pagehide'));

/** A first visit by alice, logged in: her visitor record is saved. */
const aliceWasHere = async () => {
  const c = fakeCollector();
  const first = createTracker({ endpoint, consent: 'granted' });
  await settle();
  first.identify('alice');
  await first.flush();
  await settle();
  await first.shutdown();
  c.requests.length = 0;
  return c;
};

describe('identify() while the saved visitor is read', () => {

  test('a returning logged-in visitor whose site calls identify() on every load keeps userId on the landing page view', async () => {
    const c = await aliceWasHere();

    // Next page load: page view made at setup, then the site's usual identify() for the logged-in user.
    const t = createTracker({ endpoint, consent: 'granted', capture: [pageViews()] });
    t.identify('alice');
    await settle();
    await t.flush();
    await settle();
    const pv = c.events().find((e) => e.type == 'page')!;
    expect(pv.userId).toBe('alice');
    await t.shutdown();
  });

  test('events made before a logout (identify(null)) on this page belong to the saved user', async () => {
    const c = await aliceWasHere();

    const t = createTracker({ endpoint, consent: 'granted' });
    t.track('Viewed Orders'); // alice, still logged in
    t.identify(null); // logout
    await settle();
    await t.flush();
    await settle();
    expect(c.events().find((e) => e.event == 'Viewed Orders')!.userId).toBe('alice');
    await t.shutdown();
  });
});

describe('identify() between a beacon and its failure', () => {
  // An event made before identify(), while the saved visitor is still being read, belongs to the
  // saved user, also when a page-hide beacon took it out of `held` before identify() ran and
  // then failed, giving it back.
  async function visit(withHide: boolean) {
    const c = fakeCollector((req) => (req.init.keepalive ? Promise.reject(new TypeError('offline')) : new Response('{}')));
    const a = createTracker({ endpoint, consent: 'granted' });
    a.identify('alice');
    await a.flush();
    await until(() => c.requests.length == 1);
    await a.shutdown();
    c.requests.length = 0;

    const t = createTracker({ endpoint, consent: 'granted' });
    t.track('Landing'); // made before identify, while alice is being read back
    if (withHide) hide(); // a quick tab switch; its beacon will fail
    t.identify('bob');
    await settle();
    await t.flush();
    await until(() => c.names().includes('Landing'));
    await t.shutdown();
    return c.events().find((e) => e.event == 'Landing' && !c.requests.find((r) => r.init.keepalive && r.body.batch.includes(e)))!;
  }

  test('control: no hide, the Landing event carries the saved user', async () => {
    expect((await visit(false)).userId).toBe('alice');
  });

  test('hide + failed beacon between the event and identify(): Landing still carries the saved user', async () => {
    expect((await visit(true)).userId).toBe('alice');
  });
});

describe('a failed beacon gives events back after the saved visitor was read', () => {
  const setVisibility = (state: 'visible' | 'hidden') => {
    Object.defineProperty(document, 'visibilityState', { value: state, configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
  };

  test('early events a failed beacon gives back after the saved visitor was read carry the saved visitor, like every other event of the page', async () => {
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    let mode: 'ok' | 'gated' = 'ok';
    const c = fakeCollector(async (req) => (mode == 'gated' && req.init.keepalive ? (await gate, new Response('', { status: 503 })) : new Response('{}')));
    // An earlier visit.
    const first = createTracker({ endpoint, consent: 'granted' });
    await settle();
    first.track('Earlier visit');
    await first.flush();
    await settle();
    await first.shutdown();
    const saved = c.events()[0].anonymousId;
    c.requests.length = 0;

    mode = 'gated';
    const t = createTracker({ endpoint, consent: 'granted', capture: [pageViews()], flushInterval: 60_000 });
    // A tab switch while the saved visitor is read: the landing page view leaves in a beacon...
    setVisibility('hidden');
    setVisibility('visible');
    await settle(); // ...the saved visitor is read meanwhile...
    open(); // ...and the beacon fails (503): the page view goes back to the queue.
    await settle();
    mode = 'ok';
    t.track('Later');
    await t.flush();
    await settle();
    const delivered = c.requests.filter((r) => !r.init.keepalive).flatMap((r) => r.body.batch);
    expect(delivered.map((e) => [e.type, e.event, e.anonymousId == saved])).toEqual([
      ['page', undefined, true],
      ['track', 'Later', true],
    ]);
    await t.shutdown();
  });
});

describe("another tab settles this tab's events", () => {
  // Events one tab wrote and another tab settled (delivered, rejected with a 4xx, or evicted)
  // do not leave in the writer's page-hide beacon: the settling tab broadcasts their keys.
  for (const status of [200, 400]) {
    test(`tab B settles tab A's event with HTTP ${status}: A's page-hide beacon does not send it again`, async () => {
      const c = fakeCollector((req) => new Response('{}', { status: req.init.keepalive ? 200 : status }));
      const a = createTracker({ endpoint, consent: 'granted', flushInterval: 1e6 });
      const b = createTracker({ endpoint, consent: 'granted', flushInterval: 1e6 });
      await settle();
      a.track('Written by A');
      await settle();
      await b.flush(); // B holds the lock and sends the shared queue
      await until(() => c.requests.length == 1);
      await settle();
      hide(); // A's tab closes
      await settle();
      // 200: B broadcast the keys, A sends nothing more. 400: the collector refused the event,
      // and A's beacon sends it anyway ("never retried").
      expect(c.names()).toEqual(['Written by A']);
      await Promise.all([a.shutdown(), b.shutdown()]);
    });
  }

  test("tab B evicts tab A's over-age events and reports them dropped: A's beacon does not send them", async () => {
    const c = fakeCollector();
    const errs: any[] = [];
    const a = createTracker({ endpoint, consent: 'granted', flushInterval: 1e6, maxQueue: 1 });
    const b = createTracker({ endpoint, consent: 'granted', flushInterval: 1e6, maxQueue: 1, batchSize: 1 });
    b.on('error', (e) => errs.push(e));
    await settle();
    a.track('Evicted');
    a.track('Kept');
    await settle();
    await b.flush();
    await until(() => c.requests.length == 1);
    await settle();
    expect(errs.some((e) => e.code == 'dropped' && e.count == 1)).toBe(true);
    hide();
    await settle();
    // 'Evicted' was reported as dropped (and counted in `dropped`), so it must not arrive too.
    expect(c.names()).toEqual(['Kept']);
    await Promise.all([a.shutdown(), b.shutdown()]);
  });
});

describe('a flush begun under an earlier grant', () => {
  // A flush begun under one grant, still waiting when consent is revoked and granted again,
  // does not run on the new grant's store before that grant has read the saved visitor: its
  // open would block the revoke's deleteDatabase, which the new grant's read waits for.
  test('flush() during hydration, then revoke and grant: the new grant still delivers', async () => {
    const c = fakeCollector();
    const t = createTracker({ endpoint, consent: 'granted', flushInterval: 1e6 });
    t.flush(); // e.g. the stub queue's flush: waits for the saved visitor to be read
    t.consent('denied');
    t.consent('granted');
    t.track('After regrant');
    await until(() => c.names().includes('After regrant'), 'the new grant to deliver', 2000);
    // Left running, it hears the tabs of the tests below (a tab started denied, a revoke and grant).
    await t.shutdown();
  });

  test('flush() during hydration, then revoke and grant: shutdown() still resolves', async () => {
    fakeCollector();
    const t = createTracker({ endpoint, consent: 'granted', flushInterval: 1e6 });
    t.flush();
    t.consent('denied');
    t.consent('granted');
    await tick(200);
    expect(await Promise.race([t.shutdown().then(() => 'resolved'), tick(1500).then(() => 'hung')])).toBe('resolved');
  });
});

describe('a revoke while a batch is read', () => {
  // A revoke while the loop reads the batch (take) must stop the request: nothing is sent after denied.
  test('revoke while take() reads the events: no request after consent is denied', async () => {
    const c = fakeCollector();
    const t = createTracker({ endpoint, consent: 'granted', flushInterval: 1e6 });
    await settle();
    t.track('Before revoke');
    await settle();
    let deniedAt = -1;
    const orig = IDBObjectStore.prototype.getAll;
    let armed = true;
    vi.spyOn(IDBObjectStore.prototype, 'getAll').mockImplementation(function (this: IDBObjectStore, ...a: any[]) {
      const r = (orig as any).apply(this, a);
      // The user clicks "Reject" while the batch is being read from IndexedDB.
      if (armed) (armed = false), queueMicrotask(() => (t.consent('denied'), (deniedAt = c.fetch.mock.calls.length)));
      return r;
    });
    await t.flush();
    await settle();
    expect(deniedAt).toBe(0);
    // Contract (Consent): revoked → "nothing more" on the network.
    expect(c.names()).toEqual([]);
    await t.shutdown();
  });
});

describe('a revoke after the switch to memory', () => {
  // The IndexedDB queue given up for memory after a failed write is erased by a revoke too.
  test('a revoke after the queue moved to memory (quota) erases the IndexedDB queue too; nothing from before the revoke is sent after a new grant', async () => {
    // Collector down: events stay queued.
    let up = false;
    const c = fakeCollector(() => (up ? new Response('{}') : new Response('', { status: 503 })));
    const t = createTracker({ endpoint, consent: 'granted', batchSize: 100, flushInterval: 60_000 });
    await settle();
    t.track('Before revoke');
    await settle();
    abortWritesAtCommit();
    t.track('Disk full'); // the write aborts: the queue moves to memory
    await settle();
    vi.restoreAllMocks();
    t.consent('denied');
    await settle();
    // "Forget everything, in memory and on disk"
    const leftOnDisk = (await queued(idb)).map((e) => e.event);
    up = true;
    c.requests.length = 0;
    t.consent('granted');
    await settle();
    await t.flush();
    await settle();
    expect({ leftOnDisk, sentAfterRegrant: c.names() }).toEqual({ leftOnDisk: [], sentAfterRegrant: [] });
    await t.shutdown();
  }, 15000);
});

describe('a beacon that fails after shutdown()', () => {
  // The beacon deletes its events from the queue and puts them back if it fails. After
  // shutdown() nothing is written: consent may have been revoked since (in another tab, or by
  // a re-created tracker), and reopening the database would bring back what a revoke erased.
  // The loss is reported instead.
  test('its events are reported dropped, and the database is not reopened', async () => {
    let failBeacon!: () => void;
    fakeCollector((req) =>
      req.init.keepalive ? new Promise((_, rej) => (failBeacon = () => rej(new TypeError('Failed to fetch')))) : new Response('{}'),
    );
    const t = createTracker({ endpoint, consent: 'granted', flushInterval: 1e6 });
    const errors: any[] = [];
    t.on('error', (e) => errors.push(e));
    await settle();
    t.track('Before hide');
    await settle();
    hide(); // tab switch: the event goes into a keepalive request and leaves the queue
    await settle();
    await t.shutdown(); // the app unmounts
    const open = vi.spyOn(idb, 'open');
    failBeacon(); // the tab was offline after all
    await settle();
    expect(open).not.toHaveBeenCalled();
    expect(await queued(idb)).toEqual([]);
    expect(errors).toContainEqual(expect.objectContaining({ code: 'dropped', count: 1 }));
  });
});

describe('shutdown() while events wait behind a hold', () => {
  // shutdown() runs what a hold kept back before it sets `dead`, so the stage engine's
  // Journey Stage Entered, tracked from inside beforeSend, is kept with the stage it announces.
  test('shutdown right after load (React StrictMode unmount): the landing page view and its Journey Stage Entered are both kept', async () => {
    fakeCollector();
    const t = createTracker({ endpoint, consent: 'granted', stages: journey(product as Rules), flushInterval: 1e6 });
    t.page(); // waits behind the grant's hold (saved visitor being read)
    await t.shutdown();
    const names = (await queued(idb)).map((e) => e.event || e.type);
    const saved = (await dump(idb)).v;
    expect(saved.j).toBeTruthy(); // the stage is saved as reached...
    expect(names).toEqual(['page', 'Journey Stage Entered']); // ...so its event must be queued
  });
});

describe('reset() while events wait behind a hold', () => {
  // An app that calls reset() at start for a visitor who is not logged in, or a logout while
  // a rules file loads: the events made before it (the landing page view) still wait for the
  // saved visitor's read or the rules. They are the visitor who leaves, with its touches and
  // journey; the plugins must not judge them as the next visitor's.
  test('the events made before it keep the landing campaign, and their stage entries stay with them, not with the next visitor', async () => {
    const c = fakeCollector();
    history.replaceState(null, '', '/land?utm_source=newsletter&utm_medium=email');
    const t = createTracker({ endpoint, consent: 'granted', capture: [attribution(), pageViews()], stages: journey(product as Rules) });
    t.track('Order Completed');
    t.reset();
    await settle();
    await t.flush();
    await settle();
    const [page, order, ...entered] = c.events();
    expect([page.type, order.event]).toEqual(['page', 'Order Completed']);
    expect(page.context.campaign!.source).toBe('newsletter');
    expect(order.context.campaign!.source).toBe('newsletter');
    expect(entered.map((e) => [e.properties!.stage, e.anonymousId])).toEqual([
      ['awareness', page.anonymousId],
      ['purchase', page.anonymousId],
    ]);
    // The next visitor bought nothing.
    expect(t.stage).toBe(null);
    expect((await dump(idb)).v.j?.stage ?? null).toBe(null);
    await t.shutdown();
    history.replaceState(null, '', '/');
  });

  // A returning visitor: the landing page view goes out as theirs (their ids, user and session),
  // so its first touch is theirs too, as without the reset(), not this page's landing.
  test("a returning visitor's landing page view, made before a reset() that came before the read, carries their first touch", async () => {
    const c = fakeCollector();
    history.replaceState(null, '', '/first?utm_source=google&utm_medium=cpc');
    const first = createTracker({ endpoint, consent: 'granted', capture: [attribution(), pageViews()] });
    first.identify('alice');
    await settle();
    await first.shutdown();
    const saved = (await dump(idb)).v;
    history.replaceState(null, '', '/land?utm_source=newsletter&utm_medium=email');
    const t = createTracker({ endpoint, consent: 'granted', capture: [attribution(), pageViews()] });
    t.reset();
    await settle();
    await t.flush();
    await settle();
    const page = c.events().find((e) => e.type == 'page' && e.context.page.path == '/land')!;
    expect([page.anonymousId, page.userId, page.context.campaign!.source]).toEqual([saved.a, 'alice', 'newsletter']);
    expect(page.context.campaign!.first).toEqual({ source: 'google', medium: 'cpc', channel: 'paid search' });
    await t.shutdown();
    history.replaceState(null, '', '/');
  });

  // A logout while the rules file still loads: the engine cannot judge what came before it
  // (it has no rules yet), and once they arrive it judges for the next visitor. Those events
  // go out as the visitor who left, with no stage: missing, never the next visitor's.
  test('while the rules file loads: the events made before it go out as the visitor who left, without a stage, and the next visitor starts with none', async () => {
    const c = fakeCollector();
    const collect = c.fetch.getMockImplementation()!;
    vi.stubGlobal('fetch', vi.fn(async (url: string, init: RequestInit) =>
      String(url).endsWith('/rules.json') ? (await tick(100), new Response(JSON.stringify(product))) : collect(url, init),
    ));
    const t = createTracker({ endpoint, consent: 'granted', capture: [pageViews()], stages: journey('https://site.test/rules.json') });
    await settle(); // the saved visitor is read; the rules are still loading
    t.track('Order Completed');
    t.reset();
    await tick(200); // the rules are in
    t.track('Next Visitor Looks Around');
    await t.flush();
    await settle();
    const events = c.events();
    const [page, order] = events;
    expect([page.type, order.event]).toEqual(['page', 'Order Completed']);
    expect(order.anonymousId).toBe(page.anonymousId);
    expect([page.context.journey?.stage ?? null, order.context.journey?.stage ?? null]).toEqual([null, null]);
    // No stage entry for either, and none made up for the next visitor from them.
    const next = events.filter((e) => e.anonymousId != page.anonymousId);
    expect(next.map((e) => [e.event || e.type, e.properties?.stage])).toEqual([
      ['Next Visitor Looks Around', undefined],
    ]);
    expect(t.stage).toBe(null);
    await t.shutdown();
  });

  // The same app, for a returning customer: the saved journey (purchase) is still being read
  // when reset() comes. The landing page view judged then is judged against no journey at all,
  // a guess that the saved journey voids once read; reset() must not send it as a stage entry.
  test("a returning customer's landing page view, judged before the saved journey is read, enters no stage guessed from none", async () => {
    const c = fakeCollector();
    const first = createTracker({ endpoint, consent: 'granted', stages: journey(product as Rules) });
    first.track('Order Completed');
    await settle();
    await first.flush();
    await first.shutdown();
    expect((await dump(idb)).v.j.stage).toBe('purchase');
    c.requests.length = 0;

    const t = createTracker({ endpoint, consent: 'granted', capture: [pageViews()], stages: journey(product as Rules) });
    t.reset();
    await settle();
    await t.flush();
    await settle();
    expect(c.events().map((e) => [e.type, e.event, e.properties?.stage])).toEqual([['page', undefined, undefined]]);
    await t.shutdown();
  });

  // The landing page view itself goes out as the customer's (their ids, user and session), so the
  // journey it carries is theirs too (README: it keeps the forgotten visitor's journey), not the
  // awareness guessed from no journey at all, whose entry the saved journey voided.
  test("a returning customer's landing page view, made before a reset() that came before the read, carries the customer's stage, not the guess", async () => {
    const c = fakeCollector();
    const first = createTracker({ endpoint, consent: 'granted', stages: journey(product as Rules) });
    first.identify('alice');
    first.track('Order Completed');
    await settle();
    await first.flush();
    await first.shutdown();
    const saved = (await dump(idb)).v;
    expect(saved.j.stage).toBe('purchase');
    c.requests.length = 0;

    const t = createTracker({ endpoint, consent: 'granted', capture: [pageViews()], stages: journey(product as Rules) });
    t.reset();
    await settle();
    await t.flush();
    await settle();
    const [page] = c.events();
    expect([page.type, page.anonymousId, page.userId]).toEqual(['page', saved.a, 'alice']);
    expect(page.context.journey!.stage).toBe('purchase');
    await t.shutdown();
  });

  // The same logout page, with a site beforeSend that returns a new event (README: "return it,
  // or a new one"): the copy is what the core holds and moves onto the customer; the engine's
  // own reference keeps the made-up id, yet its entry is still a guess the saved journey voids.
  test("with a beforeSend that returns a copy, a returning customer's landing page view made before a reset() before the read enters no awareness and carries their stage", async () => {
    const c = fakeCollector();
    const first = createTracker({ endpoint, consent: 'granted', stages: journey(product as Rules) });
    first.identify('alice');
    first.track('Order Completed');
    await settle();
    await first.flush();
    await first.shutdown();
    const saved = (await dump(idb)).v;
    c.requests.length = 0;

    const beforeSend = (e: WaymarkEvent) => ({ ...e, properties: { ...e.properties, app: 'shop' } });
    const t = createTracker({ endpoint, consent: 'granted', capture: [pageViews()], stages: journey(product as Rules), beforeSend });
    t.reset();
    await settle();
    await t.flush();
    await settle();
    const page = c.events().find((e) => e.type == 'page')!;
    expect([page.anonymousId, page.userId]).toEqual([saved.a, 'alice']);
    const entered = c.events().filter((e) => e.event == 'Journey Stage Entered' && e.anonymousId == saved.a);
    expect([page.context.journey!.stage, entered.map((e) => e.properties!.stage)]).toEqual(['purchase', []]);
    await t.shutdown();
  });

  // The analyst has renamed purchase to customer since the customer's last visit: the saved stage
  // is not taken back (README: the visitor starts from no stage), so an event made before the
  // logout that no rule matched (stage null) says no stage, not the one the file no longer lists.
  test("a reset() before the read does not stamp an event with a saved stage the edited rules file no longer lists", async () => {
    const c = fakeCollector();
    const first = createTracker({ endpoint, consent: 'granted', stages: journey(product as Rules) });
    first.track('Order Completed');
    await settle();
    await first.flush();
    await first.shutdown();
    expect((await dump(idb)).v.j.stage).toBe('purchase');
    c.requests.length = 0;
    const p = product as Rules;
    const renamed: Rules = {
      ...p,
      stages: p.stages.map((x) => (x == 'purchase' ? 'customer' : x)),
      rules: p.rules.map((u) => (u.stage == 'purchase' ? { ...u, stage: 'customer' } : u)),
    };
    const t = createTracker({ endpoint, consent: 'granted', stages: journey(renamed) });
    t.track('Account Opened'); // no rule: stage null
    t.reset();
    await settle();
    await t.flush();
    await settle();
    const e = c.events().find((x) => x.event == 'Account Opened')!;
    expect(e.context.journey!.stage).toBe(null);
    await t.shutdown();
  });

  // Two logouts before the read (the stub's queued reset(), then the app's own), with a page view
  // between them: that page view is the in-between visitor's, who reached no stage of the
  // customer's. Its entry is its own, not a guess the customer's journey voids.
  test("reset() twice before the read: the in-between visitor's page view keeps its own stage entry, not the customer's stage", async () => {
    const c = fakeCollector();
    const first = createTracker({ endpoint, consent: 'granted', stages: journey(product as Rules) });
    first.track('Order Completed');
    await settle();
    await first.flush();
    await first.shutdown();
    const saved = (await dump(idb)).v;
    c.requests.length = 0;

    const t = createTracker({ endpoint, consent: 'granted', stages: journey(product as Rules) });
    t.reset();
    t.page('Between');
    t.reset();
    await settle();
    await t.flush();
    await settle();
    const between = c.events().find((e) => e.type == 'page')!;
    expect(between.anonymousId).not.toBe(saved.a);
    const entered = c.events().filter((e) => e.event == 'Journey Stage Entered' && e.anonymousId == between.anonymousId);
    expect([between.context.journey!.stage, entered.map((e) => e.properties!.stage)]).toEqual(['awareness', ['awareness']]);
    await t.shutdown();
  });

  // Under "latest" a page view after b does enter a again: judged from the saved journey, the
  // landing page view's entry is the visitor's own, not a guess the saved journey voids.
  test('under "latest" progression, the entry the saved journey would also make is kept', async () => {
    const rules = { stages: ['a', 'b'], progression: 'latest', rules: [{ stage: 'a', when: { type: 'page' } }, { stage: 'b', when: { event: 'B' } }] };
    const c = fakeCollector();
    const first = createTracker({ endpoint, consent: 'granted', stages: journey(rules as Rules) });
    first.track('B');
    await settle();
    await first.flush();
    await first.shutdown();
    expect((await dump(idb)).v.j.stage).toBe('b');
    c.requests.length = 0;

    const t = createTracker({ endpoint, consent: 'granted', capture: [pageViews()], stages: journey(rules as Rules) });
    t.reset();
    await settle();
    await t.flush();
    await settle();
    expect(c.events().map((e) => [e.type, e.event, e.properties?.stage])).toEqual([
      ['page', undefined, undefined],
      ['track', 'Journey Stage Entered', 'a'],
    ]);
    await t.shutdown();
  });
});

describe('shutdown() called twice', () => {
  // Both a component's cleanup and, say, a logout handler that awaits it before navigating away
  // (or a hot reload's dispose): the second caller must also wait until what is buffered is written.
  test('the second call resolves only once the first has written what was buffered', async () => {
    fakeCollector();
    const t = createTracker({ endpoint, consent: 'granted', flushInterval: 1e6 });
    t.track('Signed Out');
    void t.shutdown();
    await t.shutdown();
    expect((await queued(idb)).map((e) => e.event)).toEqual(['Signed Out']);
  });
});

describe('React StrictMode with the options made once, outside the component', () => {
  // `const options = { capture: [pageViews()], stages: journey(rules) }` at module level, and
  // useEffect(() => { const t = createTracker(options); return () => void t.shutdown(); }):
  // StrictMode mounts the effect, cleans it up and mounts it again, so the second tracker gets
  // the first one's plugin objects.
  test("the second tracker still sends the landing page view's Journey Stage Entered, and counts each page view once", async () => {
    const c = fakeCollector();
    const options = { endpoint, capture: [pageViews()], stages: journey(product as Rules) };
    void createTracker(options).shutdown(); // pending: what it held is gone with it
    const t = createTracker(options);
    t.consent('granted');
    await settle();
    await t.flush();
    await settle();
    expect(c.names()).toEqual(['page', 'Journey Stage Entered']);
    expect((await dump(idb)).v.j.c).toEqual({ 0: 1 });
    await t.shutdown();
  });

  test('granted, a first visit: both trackers are one visitor, in one session', async () => {
    const c = fakeCollector();
    const options = () => ({ endpoint, consent: 'granted' as const, capture: [pageViews()] });
    const first = createTracker(options()).shutdown();
    const t = createTracker(options());
    await first;
    await settle();
    await t.flush();
    await settle();
    const events = c.events();
    expect(events.map((e) => e.type)).toEqual(['page', 'page']); // shutdown() writes what the first one held
    expect(new Set(events.map((e) => e.anonymousId)).size).toBe(1);
    expect(new Set(events.map((e) => e.context.session.id)).size).toBe(1);
    expect((await dump(idb)).v.a).toBe(events[0].anonymousId);
    await t.shutdown();
  });

  test("granted, a returning visitor: the first tracker's late read does not hand the second one its saved journey twice", async () => {
    const c = fakeCollector();
    // An earlier visit reached consideration.
    history.replaceState(null, '', '/pricing');
    const before = createTracker({ endpoint, consent: 'granted', capture: [pageViews()], stages: journey(product as Rules) });
    await settle();
    await before.flush();
    await before.shutdown();
    c.requests.length = 0;
    history.replaceState(null, '', '/');
    const options = { endpoint, consent: 'granted' as const, capture: [pageViews()], stages: journey(product as Rules) };
    const stages: string[] = [];
    const first = createTracker(options).shutdown();
    const t = createTracker(options);
    t.on('stage', (s) => stages.push(s.stage));
    await first;
    await settle();
    await t.flush();
    await settle();
    // Both landing page views were stored (the first tracker's shutdown writes what it held),
    // at the saved stage, and nobody went back through awareness.
    expect(c.names()).toEqual(['page', 'page']);
    expect(c.events().map((e) => e.context.journey!.stage)).toEqual(['consideration', 'consideration']);
    expect(stages).toEqual([]);
    expect(t.stage).toBe('consideration');
    await t.shutdown();
  });
});

describe('timers', () => {
  // The grant's 5 s hold-release timer is cleared once the saved visitor is read.
  test('no timer of the tracker is left after shutdown()', async () => {
    fakeCollector();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const t = createTracker({ endpoint, consent: 'granted' });
    await vi.waitFor(() => undefined);
    await t.shutdown();
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('another tab holding the lock', () => {
  // shutdown() settles this tab's batch in flight, not a flush still waiting for another tab's lock.
  afterEach(() => void delete (navigator as any).locks);
  /** Web Locks with one exclusive lock per name, granted in request order (as browsers do). */
  function fakeLocks() {
    const tails = new Map<string, Promise<unknown>>();
    const locks = {
      request: (name: string, o: any, cb?: () => Promise<unknown>) => {
        cb ||= o;
        const prev = tails.get(name) || Promise.resolve();
        const run = prev.then(() => cb());
        tails.set(name, run.catch(() => {}));
        return run;
      },
    };
    Object.defineProperty(navigator, 'locks', { value: locks, configurable: true });
    return locks;
  }

  test('shutdown() does not wait for another tab to finish draining the shared queue', async () => {
    const locks = fakeLocks();
    fakeCollector();
    // Another tab of the site is sending the shared queue (a long backlog on a slow network).
    let release!: () => void;
    locks.request('waymark:waymark', () => new Promise<void>((r) => (release = r)));
    const t = createTracker({ endpoint, consent: 'granted' });
    await settle();
    t.track('A');
    t.flush(); // waits for the lock
    await settle();
    let done = false;
    t.shutdown().then(() => (done = true));
    await tick(500);
    await settle();
    const finished = done;
    release();
    await settle();
    expect(finished).toBe(true);
  });
});

describe('after shutdown()', () => {
  // After shutdown(), a failing beacon writes nothing and leaves no connection open.
  /** deleteDatabase as another tab's revoke runs it: resolves 'done', or 'blocked' if a connection is left open. */
  const deleteFromOtherTab = (f: IDBFactory) =>
    new Promise<string>((res) => {
      const r = f.deleteDatabase('waymark');
      r.onsuccess = () => res('done');
      r.onblocked = () => res('blocked');
      setTimeout(() => res('timeout'), 1500);
    });

  describe('a beacon that fails after shutdown()', () => {
    test('failing while shutdown() is still settling: every connection is closed afterwards (a revoke in another tab is not blocked)', async () => {
      fakeCollector((req) => (req.init.keepalive ? Promise.reject(new TypeError('offline')) : new Response('{}')));
      const t = createTracker({ endpoint, consent: 'granted', flushInterval: 60_000 });
      await settle();
      t.track('A');
      await settle(); // written
      hide(); // beacon; it fails at once
      await t.shutdown();
      await settle();
      expect(await deleteFromOtherTab(idb)).toBe('done');
    });

    test('a revoke (another tab, or this page re-initialised denied) before the failure: nothing is written back to disk', async () => {
      let open!: () => void;
      const gate = new Promise<void>((r) => (open = r));
      const c = fakeCollector(async (req) => (req.init.keepalive ? (await gate, new Response('', { status: 503 })) : new Response('{}')));
      const t = createTracker({ endpoint, consent: 'granted', flushInterval: 60_000 });
      await settle();
      t.track('Before revoke');
      await settle();
      hide(); // beacon in flight
      await t.shutdown();
      // The user revokes: a tracker created denied erases the database (as a revoke in another tab does).
      const d = createTracker({ endpoint, consent: 'denied' });
      await settle();
      expect(await dump(idb)).toEqual({});
      await d.shutdown();
      open(); // the beacon fails (503)
      await settle(300);
      expect(await dump(idb)).toEqual({}); // the revoked visitor's events and ids are back on disk
      // ...and a later grant sends them.
      const g = createTracker({ endpoint, consent: 'granted' });
      await settle();
      await g.flush();
      await settle();
      expect(c.names().filter((n) => n == 'Before revoke').length).toBe(1); // only the beacon's own attempt
      await g.shutdown();
    });
  });

  describe('a beacon failing after shutdown() leaves no connection that would block another tab', () => {
    test("the other tab's revoke, grant and shutdown() complete", async () => {
      fakeCollector((req) => (req.init.keepalive ? Promise.reject(new TypeError('offline')) : new Response('{}')));
      const a = createTracker({ endpoint, consent: 'granted', flushInterval: 60_000 });
      await settle();
      a.track('A');
      await settle();
      hide();
      await a.shutdown();
      await settle();
      // Tab B: revoke, then grant again, then its own shutdown (an SPA unmount).
      const b = createTracker({ endpoint, consent: 'granted', flushInterval: 60_000 });
      await settle();
      b.consent('denied');
      b.consent('granted');
      const r = await Promise.race([b.shutdown().then(() => 'done'), new Promise((res) => setTimeout(() => res('hung'), 1000))]);
      expect(r).toBe('done');
    });
  });
});

describe('a beforeSend that returns a new event', () => {
  // An event made before identify() keeps its mark when a beforeSend returns a new event.
  async function landing(beforeSend?: (e: WaymarkEvent) => WaymarkEvent) {
    const c = await aliceWasHere();
    // Next load, consent pending: an event, then a logout, then the grant (races.test.ts's case, with a banner).
    // Consent is pending (the banner is up): events run through the pipeline into memory.
    const t = createTracker({ endpoint, consent: 'pending', capture: [pageViews()], beforeSend });
    t.track('Viewed Orders'); // alice, still logged in
    t.identify(null); // logout
    t.consent('granted'); // the banner is accepted
    await settle();
    await t.flush();
    await settle();
    await t.shutdown();
    return c.events().find((e) => e.event == 'Viewed Orders')!.userId;
  }

  test('control: beforeSend that enriches in place', async () => {
    expect(await landing((e) => ((e.properties = { ...e.properties, app: 'x' }), e))).toBe('alice');
  });

  test('beforeSend that returns a new event (README: "return a new event"): the event made before the logout keeps the saved user', async () => {
    expect(await landing((e) => ({ ...e, properties: { ...e.properties, app: 'x' } }))).toBe('alice');
  });
});

describe('shutdown() without Web Locks', () => {
  // Without Web Locks (the lease fallback), shutdown() settles a flush that is taking the lease,
  // so the lease is released and no error is reported after shutdown().
  test.each([0, 3, 4, 8, 16, 30])('a flush() racing shutdown() (%i microtasks later) leaves no lease behind and reports nothing after shutdown()', async (delay) => {
    expect((navigator as any).locks ?? undefined).toBeUndefined(); // the lease fallback
    fakeCollector();
    const errors: string[] = [];
    const t = createTracker({ endpoint, consent: 'granted', flushInterval: 60_000 });
    t.on('error', (e) => errors.push(e.code + ': ' + e.message));
    await settle();
    t.track('A');
    await settle(); // written
    void t.flush(); // e.g. a route change's flush, then the SPA unmounts the tracker
    for (let i = 0; i < delay; i++) await Promise.resolve();
    await t.shutdown();
    await settle(200);
    // The lease: another tab's flush waits until it expires (60 s).
    expect((await dump(idb)).l || 0).toBe(0);
    expect(errors).toEqual([]);
  });
});
