import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { createTracker } from '../../src';
import { attribution } from '../../src/capture/attribution';
import { pageViews } from '../../src/capture/pageViews';
import type { ConsentState, PluginContext, Tracker } from '../../src/types';
import { dump, fakeCollector, freshIndexedDB } from '../helpers';

const ENDPOINT = 'https://c.test/v1/batch';
let trackers: Tracker[] = [];
let idb: IDBFactory;

beforeEach(() => {
  idb = freshIndexedDB();
  land('/', '');
});
afterEach(async () => {
  await Promise.all(trackers.splice(0).map((t) => t.shutdown()));
  land('/', '');
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

/** A landing: the page URL and document.referrer as the browser would set them. */
function land(url: string, referrer: string) {
  history.replaceState(null, '', url);
  Object.defineProperty(document, 'referrer', { value: referrer, configurable: true });
}

function start(consent: ConsentState = 'granted') {
  const c = fakeCollector();
  const t = createTracker({ endpoint: ENDPOINT, consent, capture: [attribution(), pageViews()] });
  trackers.push(t);
  return { c, t, sent: async () => (await t.flush(), c.events()) };
}

/** One visit: land, track, deliver, leave. Returns the campaign of each event sent. */
async function visit(url: string, referrer = '') {
  land(url, referrer);
  const { t, sent } = start();
  t.track('Hello');
  const events = await sent();
  await t.shutdown();
  return events.map((e) => e.context.campaign);
}

const channelOf = async (url: string, referrer = '') => {
  const [campaign] = await visit(url, referrer);
  freshIndexedDB(); // each case is a new visitor
  return campaign!.channel;
};

test('UTM parameters and a click id: exact context.campaign on every event, first touch included', async () => {
  const campaigns = await visit(
    '/land?utm_source=Google&utm_medium=cpc&utm_campaign=spring&utm_term=running+shoes&utm_content=ad1&gclid=abc.123&x=1',
    'https://www.google.com/',
  );
  const touch = {
    channel: 'paid search',
    source: 'Google',
    medium: 'cpc',
    name: 'spring',
    term: 'running shoes',
    content: 'ad1',
    gclid: 'abc.123',
    referrer: 'www.google.com',
  };
  expect(campaigns).toEqual([
    { ...touch, first: touch },
    { ...touch, first: touch },
  ]);
});

test('the channel table', async () => {
  const cases: [string, string, string][] = [
    ['/', '', 'direct'],
    ['/', 'https://www.google.co.uk/', 'organic search'],
    ['/', 'https://duckduckgo.com/', 'organic search'],
    ['/?utm_source=bing', '', 'organic search'],
    ['/', 'https://l.facebook.com/', 'social'],
    ['/', 'https://t.co/xyz', 'social'],
    ['/?utm_source=linkedin&utm_medium=social', '', 'social'],
    ['/?fbclid=IwAR', 'https://m.facebook.com/', 'social'],
    ['/?utm_source=facebook&utm_medium=paid_social', '', 'paid social'],
    ['/?utm_source=fb&utm_medium=cpc', '', 'paid social'],
    ['/?ttclid=1', '', 'paid social'],
    ['/?li_fat_id=1', '', 'paid social'],
    ['/?utm_source=google&utm_medium=cpc', '', 'paid search'],
    ['/?msclkid=1', '', 'paid search'],
    ['/?gbraid=1', '', 'paid search'],
    // A Google Ads click id is paid search, also from a video ad on YouTube (a social referrer);
    // a paid medium with a social source is paid social.
    ['/?gclid=1', 'https://www.youtube.com/', 'paid search'],
    ['/?gclid=1&utm_source=youtube&utm_medium=cpc', 'https://www.youtube.com/', 'paid social'],
    ['/?utm_campaign=spring', 'https://partner.example.org/', 'other'],
    ['/?utm_medium=ppc', '', 'paid search'],
    ['/?utm_source=newsletter', '', 'email'],
    ['/?utm_medium=email&utm_source=google', '', 'email'],
    ['/', 'https://mail.google.com/', 'email'],
    ['/?utm_medium=display', '', 'display'],
    ['/?utm_medium=cpm&utm_source=google', '', 'display'],
    ['/?dclid=1', '', 'display'],
    ['/', 'https://blog.example.org/post', 'referral'],
    ['/?utm_medium=referral&utm_source=partner', '', 'referral'],
    ['/?utm_source=partner&utm_medium=affiliate', '', 'other'],
  ];
  const got: string[] = [];
  for (const [url, ref] of cases) got.push((await channelOf(url, ref)) as string);
  expect(got).toEqual(cases.map((c) => c[2]));
});

test('internal navigation keeps the touch; a new campaign becomes the last touch; the first touch stays', async () => {
  const google = { channel: 'organic search', referrer: 'www.google.com' };
  expect((await visit('/', 'https://www.google.com/'))[0]).toEqual({ ...google, first: google });
  // Internal referrer and direct visits are not new touches.
  expect((await visit('/pricing', 'http://localhost:3000/'))[0]).toEqual({ ...google, first: google });
  expect((await visit('/', ''))[0]).toEqual({ ...google, first: google });
  const mail = { channel: 'email', source: 'newsletter', medium: 'email', name: 'may' };
  expect((await visit('/?utm_source=newsletter&utm_medium=email&utm_campaign=may', ''))[0]).toEqual({ ...mail, first: google });
  expect((await visit('/', ''))[0]).toEqual({ ...mail, first: google });
  const saved = await dump(idb);
  expect(saved.v.c).toEqual({ f: google, l: mail });
});

test("the site's own domain is not a referral: www, subdomains and the parent domain are internal", async () => {
  const happyDOM = (window as any).happyDOM;
  try {
    happyDOM.setURL('https://www.shop.test/');
    const google = { channel: 'organic search', referrer: 'www.google.com' };
    expect((await visit('/', 'https://www.google.com/'))[0]).toEqual({ ...google, first: google });
    // The apex domain, a subdomain (the blog, the checkout) and the same host are this site.
    for (const ref of ['https://shop.test/', 'https://blog.shop.test/post', 'https://checkout.shop.test/done', 'https://www.shop.test/a'])
      expect((await visit('/pricing', ref))[0]).toEqual({ ...google, first: google });
    happyDOM.setURL('https://checkout.shop.test/');
    expect((await visit('/pay', 'https://www.shop.test/cart'))[0]).toEqual({ ...google, first: google });
    // A look-alike host is another site.
    const other = { channel: 'referral', referrer: 'notshop.test' };
    expect((await visit('/pay', 'https://notshop.test/'))[0]).toEqual({ ...other, first: google });
  } finally {
    happyDOM.setURL('http://localhost:3000/');
  }
});

test('coming back from a payment page or a sign-in provider is not a new touch', async () => {
  const mail = { channel: 'email', source: 'newsletter', medium: 'email' };
  expect((await visit('/?utm_source=newsletter&utm_medium=email', ''))[0]).toEqual({ ...mail, first: mail });
  for (const ref of [
    'https://checkout.stripe.com/c/pay/cs_live_a1',
    'https://hooks.stripe.com/3d_secure_2/hosted',
    'https://www.paypal.com/checkoutnow?token=x',
    'https://pay.klarna.com/eu/x',
    'https://accounts.google.com/',
    'https://appleid.apple.com/',
    'https://login.microsoftonline.com/common/oauth2',
  ])
    expect((await visit('/thanks', ref))[0]).toEqual({ ...mail, first: mail });
  // Google search is still organic search.
  expect((await visit('/', 'https://www.google.com/'))[0]).toMatchObject({ channel: 'organic search', referrer: 'www.google.com' });
});

test('events made before consent get the restored touches (the landing page view included)', async () => {
  await visit('/?utm_source=google&utm_medium=cpc', '');
  land('/', '');
  const { c, t } = start('pending');
  t.track('Before consent');
  t.consent('granted');
  t.track('After consent');
  await t.flush();
  const paid = { channel: 'paid search', source: 'google', medium: 'cpc' };
  expect(c.names()).toEqual(['page', 'Before consent', 'After consent']);
  expect(c.events().map((e) => e.context.campaign)).toEqual([1, 2, 3].map(() => ({ ...paid, first: paid })));
});

test('nothing is stored before consent', async () => {
  land('/?utm_source=google&utm_medium=cpc', '');
  const { t } = start('pending');
  t.track('x');
  await new Promise((r) => setTimeout(r, 20));
  expect((await idb.databases()).length).toBe(0);
});

test('reset() forgets both touches', async () => {
  land('/?utm_source=google&utm_medium=cpc', '');
  const { c, t } = start();
  await t.flush(); // the landing page view is processed before the reset
  t.reset();
  t.track('After reset');
  await t.flush();
  const events = c.events();
  expect(events[0].context.campaign!.channel).toBe('paid search');
  expect(events.at(-1)!.context.campaign).toEqual({ channel: 'direct', first: { channel: 'direct' } });
  expect((await dump(idb)).v.c).toEqual({ f: { channel: 'direct' }, l: { channel: 'direct' } });
});

test('an email address in a UTM value is masked; deny-listed parameters never reach the campaign', async () => {
  const [campaign] = await visit('/?utm_source=newsletter&utm_content=jane%40example.com&utm_term=x');
  expect(campaign).toMatchObject({ source: 'newsletter', content: 'redacted', term: 'x' });
  expect(JSON.stringify(campaign)).not.toContain('jane');
});

test('a copy per event: changing one event cannot change the next', async () => {
  land('/?utm_source=google', '');
  const c = fakeCollector();
  let n = 0;
  const t = createTracker({
    endpoint: ENDPOINT,
    consent: 'granted',
    capture: [attribution()],
    beforeSend: (e) => {
      if (n++ == 0) e.context.campaign!.source = 'changed';
    },
  });
  trackers.push(t);
  t.track('a');
  t.track('b');
  await t.flush();
  expect(c.events().map((e) => e.context.campaign!.source)).toEqual(['changed', 'google']);
});

test('setup and teardown add and leave nothing: no listener, no patch', () => {
  const add = vi.spyOn(window, 'addEventListener');
  const addDoc = vi.spyOn(document, 'addEventListener');
  const save = vi.fn();
  const p = attribution();
  const off = p.setup!({ save, redact: (u: string) => u } as unknown as PluginContext);
  expect(add).not.toHaveBeenCalled();
  expect(addDoc).not.toHaveBeenCalled();
  expect(off).toBeUndefined();
  expect(save).toHaveBeenCalledWith('c', { f: { channel: 'direct' }, l: { channel: 'direct' } });
});

// React StrictMode with the options object made once, outside the component: the effect
// creates a tracker, shuts it down and creates a second one at once, with the same plugins.
test("a tracker created again with the same options (React StrictMode) keeps this landing's campaign as the last touch", async () => {
  await visit('/land?utm_source=google&utm_medium=cpc');
  land('/land?utm_source=newsletter&utm_medium=email', '');
  const c = fakeCollector();
  const options = { endpoint: ENDPOINT, consent: 'granted' as const, capture: [attribution(), pageViews()] };
  const first = createTracker(options).shutdown();
  const t = createTracker(options);
  trackers.push(t);
  await first;
  t.track('Hello');
  await t.flush();
  const hello = c.events().find((e) => e.event == 'Hello')!;
  expect(hello.context.campaign).toMatchObject({ source: 'newsletter', first: { source: 'google' } });
  expect((await dump(idb)).v.c.l.source).toBe('newsletter');
});

// An app that creates the tracker late (lazy-loaded, once consent is given, or again after a hot
// reload or a remount) on another route than the landing, or after its router tidied the
// campaign parameters away: the visitor still arrived through the landing's campaign.
test('a tracker created after the SPA moved on credits the landing the document loaded from, as the browser records it', async () => {
  land('/land?utm_source=newsletter&utm_medium=email&gclid=abc', 'https://mail.example.net/');
  // What the browser's Navigation Timing entry holds: the URL the document was loaded from.
  const loaded = location.href;
  vi.spyOn(performance, 'getEntriesByType').mockImplementation((type) => (type == 'navigation' ? [{ name: loaded } as PerformanceEntry] : []));
  history.replaceState(null, '', '/land'); // the router tidies the query
  history.pushState(null, '', '/pricing');
  const { t, sent } = start();
  t.track('Hello');
  const [, hello] = await sent();
  expect(hello.context.campaign).toMatchObject({ channel: 'paid search', source: 'newsletter', gclid: 'abc' });
});
