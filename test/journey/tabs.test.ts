// Open tabs of one visitor share the journey (and who the visitor is) over BroadcastChannels:
// only from granted tabs, never counted twice, and not lost while a tab's rules load.
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { createStore, set } from 'idb-keyval';
import { createTracker, pageViews } from '../../src';
import { journey } from '../../src/journey';
import type { Rules } from '../../src/journey/rules';
import type { Tracker } from '../../src/types';
import product from './fixtures/product.json';
import { bfcache, dump, fakeCollector, freshIndexedDB, settle, tick } from '../helpers';

const endpoint = 'https://collect.test/v1/batch';
let idb: IDBFactory;
const running: Tracker[] = [];
beforeEach(() => {
  idb = freshIndexedDB();
  history.replaceState(null, '', '/');
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((t) => t.shutdown()));
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

const RULES: Rules = {
  stages: ['awareness', 'consideration', 'decision', 'purchase', 'post_purchase', 'loyalty'],
  progression: 'forward',
  rules: [
    { stage: 'awareness', when: { type: 'page' } },
    { stage: 'purchase', when: { event: 'Order Completed' } },
    { stage: 'loyalty', when: { event: 'Order Completed', count: { gte: 3 } } },
  ],
} as any;

/** A tab of the visitor with the stage engine on RULES; a granted one has read its saved visitor. */
async function tab(consent: 'granted' | 'pending') {
  const t = createTracker({ endpoint, consent, stages: journey(RULES) });
  running.push(t);
  if (consent == 'granted') await t.flush(), await settle();
  return t;
}

test('a denied tab\'s login and journey are neither stored nor sent by a granted tab', async () => {
  const c = fakeCollector();
  const a = createTracker({ endpoint, consent: 'granted', stages: journey(product as Rules) });
  running.push(a);
  await a.flush();
  await settle();
  // Tab B is denied on its own: Global Privacy Control (a tab started with consent: 'denied'
  // would speak for the site, and stop tab A too). GPC is read at start only.
  Object.defineProperty(navigator, 'globalPrivacyControl', { value: true, configurable: true });
  const b = createTracker({ endpoint, consent: 'granted', stages: journey(product as Rules) });
  delete (navigator as any).globalPrivacyControl;
  running.push(b);
  expect(b.consentState).toBe('denied');
  history.replaceState(null, '', '/pricing');
  b.identify('jane@example.com');
  b.page();
  await tick(20);
  history.replaceState(null, '', '/');
  a.track('Something in A');
  await a.flush();
  await settle();
  const last = c.events().at(-1)!;
  expect(last.userId).toBeNull();
  expect(last.context.journey?.stage).toBeNull();
});

test('a journey message that arrives while the rules file loads is kept: that tab saves purchase, not awareness', async () => {
  vi.stubGlobal('fetch', vi.fn(async (url: string) => {
    if (String(url).endsWith('/rules.json')) { await tick(200); return new Response(JSON.stringify(product)); }
    return new Response('{}');
  }));
  const b = createTracker({ endpoint, consent: 'granted', stages: journey(product as Rules) });
  running.push(b);
  await b.flush();
  const a = createTracker({ endpoint, consent: 'granted', stages: journey('https://site.test/rules.json') });
  running.push(a);
  await settle(); // A has read the saved visitor; its rules are still loading
  b.track('Order Completed');
  await tick(20); // B's journey reaches A
  expect(b.stage).toBe('purchase');
  await tick(300); // A's rules are in
  await b.shutdown();
  a.page();
  await a.shutdown();
  const j = (await dump(idb)).v.j;
  expect(j.stage).toBe('purchase');
});

test('a tab that hears another tab before its own saved visitor is read does not add the saved counts twice', async () => {
  fakeCollector();
  // Visit 1: one order.
  const v1 = createTracker({ endpoint, consent: 'granted', stages: journey(RULES) });
  await v1.flush();
  v1.track('Order Completed');
  await v1.flush();
  await v1.shutdown();
  // Visit 2: tab B is up and restored; tab A opens while its CMP has not answered yet.
  const b = await tab('granted');
  const a = await tab('pending');
  b.page(); // a rule matches in B: B posts its journey (counts include the saved order)
  await tick(20);
  a.consent('granted'); // the CMP answers
  await a.flush();
  await settle();
  a.track('Order Completed'); // the visitor's 2nd order
  await settle();
  expect(a.stage).toBe('purchase'); // 2 orders < 3
});

test('a new stage goes to the other tabs at once; count changes at most once a second', async () => {
  fakeCollector();
  const post = vi.spyOn(BroadcastChannel.prototype, 'postMessage');
  const a = createTracker({ endpoint, consent: 'granted', stages: journey(product as Rules) });
  running.push(a);
  await a.flush();
  const journeyPosts = () => post.mock.calls.filter((c) => (c[0] as any)?.k).length;
  a.page(); // awareness: a new stage
  expect(journeyPosts()).toBe(1);
  a.page();
  a.page(); // counts only
  expect(journeyPosts()).toBe(1);
  await tick(1100);
  expect(journeyPosts()).toBe(2);
  expect((post.mock.calls.at(-1)![0] as any).c[0]).toBe(3);
});

test('a journey message kept for later does not survive a revoke: the next grant starts a new journey', async () => {
  fakeCollector();
  const b = await tab('granted');
  const a = await tab('pending');
  b.track('Order Completed'); // B: purchase, posted at once; A (pending) keeps it in `later`
  await tick(20);
  a.consent('denied'); // revoke: every tab forgets the visitor
  await tick(20);
  await settle();
  expect(b.consentState).toBe('denied');
  expect(b.stage).toBeNull();
  a.consent('granted');
  await a.flush();
  await settle();
  a.page();
  await a.flush();
  await settle();
  expect(a.stage).toBe('awareness'); // not 'purchase', from before the revoke
  expect((await dump(idb)).v?.j?.stage).not.toBe('purchase');
});

test("a stage another tab shares just before the revoke reaches it does not come back with the next grant's visitor", async () => {
  const c = fakeCollector();
  const a = await tab('granted');
  const b = await tab('granted');
  a.consent('denied');
  b.track('Order Completed'); // at the same moment: B enters purchase and tells the other tabs at once
  await tick(20);
  expect(b.consentState).toBe('denied');
  expect(a.stage).toBeNull(); // the revoke forgot the stage, and B's message changes nothing
  a.consent('granted');
  await settle();
  a.track('After the new grant');
  await a.flush();
  await settle();
  expect(c.events().find((e) => e.event == 'After the new grant')!.context.journey?.stage ?? null).toBeNull();
});

test('a journey message kept for later does not survive a logout (reset) in the other tab', async () => {
  fakeCollector();
  const b = await tab('granted');
  const a = await tab('pending');
  b.track('Order Completed');
  await tick(20);
  b.reset(); // logout in B: the new visitor has no journey
  await tick(20);
  a.consent('granted');
  await a.flush();
  await settle();
  expect(b.stage).toBeNull();
  expect(a.stage).toBeNull(); // not 'purchase', the stage of the user who logged out
});

test('a count change still waiting to be shared goes to the other tabs at shutdown, not lost', async () => {
  fakeCollector();
  const a = await tab('granted');
  const b = await tab('granted');
  a.track('Order Completed'); // 1: purchase, shared at once
  await tick(20);
  a.track('Order Completed'); // 2: count only, debounced 1 s
  await a.shutdown(); // tab closed within the second
  running.splice(running.indexOf(a), 1);
  await tick(1100);
  b.track('Order Completed'); // the visitor's 3rd order
  await b.flush();
  await settle();
  expect(b.stage).toBe('loyalty'); // not 'purchase' (B alone counts 2)
});

test('a count change still waiting to be shared goes to the other tabs at page hide', async () => {
  fakeCollector();
  const post = vi.spyOn(BroadcastChannel.prototype, 'postMessage');
  const t = createTracker({ endpoint, consent: 'granted', stages: journey(RULES) });
  running.push(t);
  await t.flush();
  const journeyPosts = () => post.mock.calls.filter((c) => (c[0] as any)?.k).length;
  t.page();
  t.page(); // counts only: waiting
  expect(journeyPosts()).toBe(1);
  window.dispatchEvent(new Event('pagehide'));
  expect(journeyPosts()).toBe(2);
});

// The back/forward cache evicts a page that a BroadcastChannel message reaches: a kept page
// listens to nothing, and takes the saved journey when it is shown again.
test('a page in the back/forward cache hears no other page, and takes the saved journey when Back shows it', async () => {
  fakeCollector();
  const a = await tab('granted');
  a.page();
  await a.flush();
  await settle();
  expect(a.stage).toBe('awareness');
  bfcache('pagehide');
  await settle();
  const b = createTracker({ endpoint, consent: 'granted', stages: journey(RULES) });
  await b.flush();
  await settle();
  b.track('Order Completed'); // the next page: purchase, told to the other tabs at once
  await b.flush();
  await b.shutdown();
  await tick(20);
  expect(a.stage).toBe('awareness'); // kept in the cache: nothing reached it
  bfcache('pageshow');
  await settle();
  expect(a.stage).toBe('purchase');
});

test('a logout on another page while this one is in the back/forward cache: Back does not give the new visitor the old journey', async () => {
  const c = fakeCollector();
  const a = await tab('granted');
  a.track('Order Completed');
  await a.flush();
  await settle();
  expect(a.stage).toBe('purchase');
  bfcache('pagehide');
  await settle();
  await set('v', { a: 'after-logout', n: 1 }, createStore('waymark', 'q'));
  bfcache('pageshow');
  await settle();
  expect(a.stage).toBeNull();
  a.track('After Back');
  await a.flush();
  await settle();
  const e = c.events().find((x) => x.event == 'After Back')!;
  expect([e.anonymousId, e.context.journey!.stage]).toEqual(['after-logout', null]);
  expect((await dump(idb)).v.j?.stage ?? null).toBeNull();
});

test('the page view Back makes is judged against the saved journey: its stage is entered once', async () => {
  const c = fakeCollector();
  const rules = {
    stages: ['awareness', 'consideration', 'decision'],
    rules: [
      { stage: 'awareness', when: { type: 'page' } },
      { stage: 'consideration', when: { type: 'page', count: { gte: 2 } } },
    ],
  } as Rules;
  const a = createTracker({ endpoint, consent: 'granted', capture: [pageViews()], stages: journey(rules), flushInterval: 60_000 });
  running.push(a);
  const heard: string[] = [];
  a.on('stage', (s) => heard.push(s.stage));
  await a.flush();
  await settle();
  expect(a.stage).toBe('awareness');
  bfcache('pagehide');
  await settle();
  bfcache('pageshow'); // the second page view: consideration
  await settle();
  expect(a.stage).toBe('consideration');
  a.page();
  await a.flush();
  await settle();
  expect(c.events().filter((e) => e.event == 'Journey Stage Entered').map((e) => e.properties!.stage)).toEqual(['awareness', 'consideration']);
  expect(heard).toEqual(['awareness', 'consideration']);
});

describe('Back and away again before the saved visitor is read again', () => {
  const rules = {
    stages: ['awareness', 'consideration', 'decision'],
    rules: [
      { stage: 'awareness', when: { type: 'page' } },
      { stage: 'consideration', when: { type: 'page', count: { gte: 2 } } },
      { stage: 'decision', when: { type: 'page', count: { gte: 3 } } },
    ],
  } as Rules;

  /** A page at awareness (its landing page view), now kept in the cache. */
  async function cached() {
    const c = fakeCollector();
    const a = createTracker({ endpoint, consent: 'granted', capture: [pageViews()], stages: journey(rules), flushInterval: 60_000 });
    running.push(a);
    await a.flush();
    await settle();
    bfcache('pagehide');
    await settle();
    return { c, a };
  }

  test('the journey the page reached is not rolled back', async () => {
    const { c, a } = await cached();
    bfcache('pageshow'); // page view 2 waits for the read
    bfcache('pagehide'); // the page hide runs it: consideration
    await settle();
    expect(c.events().filter((e) => e.event == 'Journey Stage Entered').map((e) => e.properties!.stage)).toEqual(['awareness', 'consideration']);
    expect(a.stage).toBe('consideration');
  });

  test('Back, away, Back: each stage is entered once, and the journey keeps all three page views', async () => {
    const { c, a } = await cached();
    bfcache('pageshow');
    bfcache('pagehide');
    bfcache('pageshow'); // page view 3 waits for the second read
    await settle();
    await a.flush();
    await settle();
    expect(c.events().filter((e) => e.event == 'Journey Stage Entered').map((e) => e.properties!.stage)).toEqual(['awareness', 'consideration', 'decision']);
    expect(a.stage).toBe('decision');
  });
});
