import { afterEach, beforeEach, describe, expect, onTestFinished, test, vi } from 'vitest';
import { createTracker } from '../../src';
import type { ConsentState, WaymarkError } from '../../src/types';
import { databases, dump, fakeCollector, freshIndexedDB, settle, tick, until } from '../helpers';

const endpoint = 'https://collect.test/v1/batch';
let idb: IDBFactory;
beforeEach(() => {
  idb = freshIndexedDB();
});
afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

/**
 * The model of PRODUCT.md's consent table. An event tracked at step i is delivered iff it
 * was tracked while granted, or while pending and a grant follows before any deny.
 */
function expected(initial: ConsentState, steps: string[]) {
  const states: ConsentState[] = [initial];
  let s = initial;
  for (const next of steps) {
    // 'pending' is not a change Waymark makes once started: the state stays.
    if (next == 'granted' || next == 'denied') s = next;
    states.push(s);
  }
  const delivered: string[] = [];
  states.forEach((st, i) => {
    if (st == 'granted') delivered.push('E' + i);
    if (st == 'pending') {
      const later = states.slice(i + 1);
      const g = later.indexOf('granted');
      const d = later.indexOf('denied');
      if (g >= 0 && (d < 0 || g < d)) delivered.push('E' + i);
    }
  });
  return { final: s, delivered, everGranted: states.includes('granted') };
}

const ACTIONS = ['granted', 'denied', 'pending'];
const sequences: string[][] = [[]];
for (let len = 1; len <= 3; len++) {
  const prev = sequences.filter((q) => q.length == len - 1);
  for (const q of prev) for (const a of ACTIONS) sequences.push([...q, a]);
}

describe('every consent transition, in every order (up to three changes)', () => {
  for (const initial of ['pending', 'granted', 'denied'] as ConsentState[]) {
    for (const steps of sequences) {
      test(`${initial} → ${steps.join(' → ') || '(no change)'}`, async () => {
        const c = fakeCollector();
        const open = vi.spyOn(idb, 'open');
        const t = createTracker({ endpoint, consent: initial, flushInterval: 50 });
        const errors: WaymarkError[] = [];
        t.on('error', (e) => errors.push(e));
        t.track('E0');
        await t.flush();
        await settle();
        for (let i = 0; i < steps.length; i++) {
          t.consent(steps[i] as ConsentState);
          await settle();
          t.track('E' + (i + 1));
          // Deliver what may be delivered before the next change: a revoke clears the queue.
          await t.flush();
          await settle();
        }
        await t.flush();
        await settle();
        const model = expected(initial, steps);
        expect(t.consentState).toBe(model.final);
        expect(c.names().sort()).toEqual(model.delivered.sort());
        // Every delivered event arrives once.
        expect(new Set(c.events().map((e) => e.messageId)).size).toBe(c.events().length);
        if (!model.everGranted) {
          // Pending and denied never open (so never create or read) the database.
          expect(open).not.toHaveBeenCalled();
          expect(c.fetch).not.toHaveBeenCalled();
        }
        if (model.final == 'denied') {
          await until(async () => !(await databases(idb)).includes('waymark'), 'database deleted');
        }
        if (model.final == 'granted') {
          // Delivered events leave the queue; the visitor record stays.
          await until(async () => Object.keys(await dump(idb)).every((k) => k[0] != 'e'), 'queue drained');
          expect((await dump(idb)).v.a).toBeTypeOf('string');
        }
        // 'pending' after start is refused with an explanation, never silently ignored.
        const before = [initial, ...steps.map((_, i) => expected(initial, steps.slice(0, i + 1)).final)];
        const refusedPending = steps.some((x, i) => x == 'pending' && before[i] != 'pending');
        if (refusedPending) expect(errors.some((e) => e.code == 'consent')).toBe(true);
        await t.shutdown();
      });
    }
  }
});

describe('consent details', () => {
  test('pending holds events in memory and touches no storage at all', async () => {
    const c = fakeCollector();
    const open = vi.spyOn(idb, 'open');
    const del = vi.spyOn(idb, 'deleteDatabase');
    const ls = vi.spyOn(Storage.prototype, 'setItem');
    const lsGet = vi.spyOn(Storage.prototype, 'getItem');
    const t = createTracker({ endpoint });
    t.page();
    t.track('Clicked');
    t.identify('u1', { plan: 'pro' });
    await t.flush();
    await settle();
    expect(open).not.toHaveBeenCalled();
    expect(del).not.toHaveBeenCalled();
    expect(ls).not.toHaveBeenCalled();
    expect(lsGet).not.toHaveBeenCalled();
    expect(document.cookie).toBe('');
    expect(c.fetch).not.toHaveBeenCalled();
    await t.shutdown();
  });

  test('held events keep their original timestamps and order, and carry the user id set while pending', async () => {
    const c = fakeCollector();
    const t = createTracker({ endpoint });
    t.track('First');
    const before = Date.now();
    await new Promise((r) => setTimeout(r, 20));
    t.identify('user-7');
    t.track('Second');
    await new Promise((r) => setTimeout(r, 20));
    const grantAt = Date.now();
    t.consent('granted');
    await t.flush();
    await until(() => c.events().length == 3);
    const [first, ident, second] = c.events();
    expect([first.event, ident.type, second.event]).toEqual(['First', 'identify', 'Second']);
    expect(Date.parse(first.timestamp)).toBeLessThanOrEqual(before);
    expect(Date.parse(second.timestamp)).toBeLessThan(grantAt);
    expect(second.userId).toBe('user-7');
    await t.shutdown();
  });

  test('the pending buffer is bounded; what did not fit is reported as dropped on the next batch', async () => {
    const c = fakeCollector();
    const t = createTracker({ endpoint, maxPending: 3 });
    const errors: WaymarkError[] = [];
    t.on('error', (e) => errors.push(e));
    for (let i = 0; i < 5; i++) t.track('E' + i);
    t.consent('granted');
    await t.flush();
    await until(() => c.events().length == 3);
    expect(c.names()).toEqual(['E0', 'E1', 'E2']);
    expect(c.requests[0].body.dropped).toBe(2);
    // And reported, as every loss is.
    expect(errors).toMatchObject([{ code: 'dropped', count: 2 }]);
    // Once delivered, the dropped count is not reported again.
    t.track('Later');
    await t.flush();
    await until(() => c.requests.length == 2);
    expect(c.requests[1].body.dropped).toBeUndefined();
    await t.shutdown();
  });

  test('a revoke erases the queue, the ids and the stage, and a new grant starts a new visitor', async () => {
    const c = fakeCollector(() => new Response('', { status: 503 }));
    const t = createTracker({ endpoint, consent: 'granted' });
    t.track('Kept until revoke');
    await settle();
    await until(async () => (await dump(idb)).v, 'visitor stored');
    const firstId = (await dump(idb)).v.a;
    t.consent('denied');
    await until(async () => !(await databases(idb)).includes('waymark'), 'database deleted');
    c.requests.length = 0;
    c.respondWith();
    t.track('Dropped while denied');
    t.consent('granted');
    t.track('After regrant');
    await t.flush();
    await until(() => c.events().length == 1);
    expect(c.names()).toEqual(['After regrant']);
    expect(c.events()[0].anonymousId).not.toBe(firstId);
    await t.shutdown();
  });

  test('initial denied erases what an earlier visit stored', async () => {
    fakeCollector(() => new Response('', { status: 503 }));
    const a = createTracker({ endpoint, consent: 'granted' });
    a.track('Queued');
    await until(async () => (await databases(idb)).includes('waymark'));
    await a.shutdown();
    const b = createTracker({ endpoint, consent: 'denied' });
    await until(async () => !(await databases(idb)).includes('waymark'), 'database deleted');
    await b.shutdown();
  });

  // The visitor revoked where Waymark does not run (the consent platform's settings page), then
  // opened a page that starts it denied, while a tab from before the revoke is still open
  // with consent: that tab's open connection blocks the erasure, and it goes on tracking.
  test('a tracker started denied stops the other tabs still granted, and erases what they stored', async () => {
    const c = fakeCollector();
    const a = createTracker({ endpoint, consent: 'granted', flushInterval: 50 });
    a.identify('alice');
    a.track('Before the revoke');
    await until(() => c.names().includes('Before the revoke'), 'delivered');
    const b = createTracker({ endpoint, consent: 'denied' });
    await tick(50);
    a.track('After the revoke');
    await a.flush();
    await settle();
    expect(a.consentState).toBe('denied');
    expect(c.names()).not.toContain('After the revoke');
    await until(async () => !(await databases(idb)).includes('waymark'), 'database deleted');
    await a.shutdown();
    await b.shutdown();
  });

  test('a returning visitor keeps their anonymous id: events held before the grant are re-attributed', async () => {
    const c = fakeCollector();
    const a = createTracker({ endpoint, consent: 'granted' });
    a.track('Visit 1');
    await a.flush();
    await until(() => c.events().length == 1);
    const id = c.events()[0].anonymousId;
    await a.shutdown();
    const b = createTracker({ endpoint });
    b.track('Visit 2, before the banner');
    b.consent('granted');
    await b.flush();
    await until(() => c.events().length == 2);
    expect(c.events()[1].anonymousId).toBe(id);
    // The second page is within 30 minutes: same session.
    expect(c.events()[1].context.session).toEqual(c.events()[0].context.session);
    await b.shutdown();
  });

  test('granted at load: the page view that starts the page continues the saved session, like the events after it', async () => {
    const c = fakeCollector();
    const a = createTracker({ endpoint, consent: 'granted' });
    a.track('Page 1');
    await a.flush();
    await until(() => c.events().length == 1);
    await a.shutdown();
    const b = createTracker({ endpoint, consent: 'granted' });
    b.page(); // made before the saved visitor is read, as pageViews() does in its setup
    b.track('Later on page 2');
    await b.flush();
    await until(() => c.events().length == 3);
    const [first, view, later] = c.events();
    expect(view.context.session).toEqual(first.context.session);
    expect(later.context.session).toEqual(first.context.session);
    await b.shutdown();
  });

  for (const signal of ['globalPrivacyControl', 'doNotTrack'] as const) {
    test(`${signal} counts as denied, and an explicit grant is refused unless respectGpc is false`, async () => {
      const c = fakeCollector();
      Object.defineProperty(navigator, signal, { value: signal == 'doNotTrack' ? '1' : true, configurable: true });
      onTestFinished(() => void delete (navigator as any)[signal]);
      const t = createTracker({ endpoint, consent: 'granted' });
      const errors: WaymarkError[] = [];
      t.on('error', (e) => errors.push(e));
      expect(t.consentState).toBe('denied');
      t.consent('granted');
      t.track('Nope');
      await t.flush();
      await settle();
      expect(t.consentState).toBe('denied');
      expect(errors.map((e) => e.code)).toContain('consent');
      expect(c.fetch).not.toHaveBeenCalled();
      await t.shutdown();

      const u = createTracker({ endpoint, consent: 'granted', respectGpc: false });
      u.track('Allowed');
      await u.flush();
      await until(() => c.events().length == 1);
      await u.shutdown();
    });
  }

  test('a revoke in one tab stops the other tabs (BroadcastChannel)', async () => {
    const c = fakeCollector();
    const a = createTracker({ endpoint, consent: 'granted' });
    const b = createTracker({ endpoint, consent: 'granted' });
    await settle();
    a.consent('denied');
    await until(() => b.consentState == 'denied', 'tab b denied');
    b.track('After revoke in a');
    await b.flush();
    await settle();
    expect(c.names()).not.toContain('After revoke in a');
    await a.shutdown();
    await b.shutdown();
  });

  test('invalid consent values are refused with an error, not thrown', async () => {
    const t = createTracker({ endpoint });
    const errors: WaymarkError[] = [];
    t.on('error', (e) => errors.push(e));
    expect(() => t.consent('yes' as ConsentState)).not.toThrow();
    expect(t.consentState).toBe('pending');
    expect(errors[0].code).toBe('consent');
    await t.shutdown();
  });
});
