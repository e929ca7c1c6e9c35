import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { boot, defaultModules, type Modules } from '../../src/script-tag/boot';
import type { Plugin } from '../../src/types';
import { createTracker } from '../../src/core/tracker';
import { fakeCollector, freshIndexedDB, settle } from '../helpers';

const w = window as any;
let tag: HTMLScriptElement;

beforeEach(() => {
  freshIndexedDB();
  // The snippet every page pastes before the async tag.
  w.waymark = function () {
    (w.waymark.q = w.waymark.q || []).push(arguments);
  };
  tag = document.createElement('script');
  document.head.append(tag);
});
afterEach(async () => {
  await w.waymark?.('flush');
  tag.remove();
  delete w.waymark;
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

const attrs = (a: Record<string, string>) => Object.entries(a).forEach(([k, v]) => tag.setAttribute('data-' + k, v));
const probe = () => {
  const seen: any[] = [];
  const modules: Modules = { probe: (): Plugin => ({ name: 'probe', setup: (ctx) => void seen.push(ctx.options) }) };
  return { seen, modules };
};

test('options come from data- attributes, typed; queued commands replay in order; nothing else lands on window', async () => {
  const c = fakeCollector();
  attrs({ endpoint: 'https://c.test/v1/batch', consent: 'pending', 'batch-size': '5', debug: 'false', redact: 'order_id, coupon' });
  w.waymark('track', 'Before load 1');
  w.waymark('consent', 'granted');
  w.waymark('track', 'Before load 2', { a: 1 });
  const globals = new Set(Object.getOwnPropertyNames(window));
  const { seen, modules } = probe();
  boot(modules);
  expect(Object.getOwnPropertyNames(window).filter((k) => !globals.has(k))).toEqual([]);
  expect(seen[0]).toMatchObject({ endpoint: 'https://c.test/v1/batch', consent: 'pending', batchSize: 5, debug: false, redact: ['order_id', 'coupon'] });
  expect(typeof w.waymark).toBe('function');
  expect(w.waymark.version).toMatch(/^\d+\.\d+\.\d+/);
  w.waymark('track', 'After load');
  await w.waymark('flush');
  await settle();
  expect(c.names()).toEqual(['Before load 1', 'Before load 2', 'After load']);
  expect(c.events()[1].properties).toEqual({ a: 1 });
});

test('data-capture picks the modules; the default is all of them', () => {
  attrs({ endpoint: '/c', capture: 'b' });
  const on: string[] = [];
  const mod = (n: string) => (): Plugin => ({ name: n, setup: () => void on.push(n) });
  boot({ a: mod('a'), b: mod('b') });
  expect(on).toEqual(['b']);
});

test('list options also take a JSON list: data-capture and data-redact', () => {
  attrs({ endpoint: '/c', capture: '["b", "c"]', redact: '["order_id","Coupon"]' });
  const on: string[] = [];
  const mod = (n: string) => (o: any): Plugin => ({ name: n, setup: () => void on.push(n + ' ' + o.redact.join()) });
  boot({ a: mod('a'), b: mod('b'), c: mod('c') });
  expect(on).toEqual(['b order_id,Coupon', 'c order_id,Coupon']);
});

test('data-stages is handed to the stage engine', () => {
  attrs({ endpoint: '/c', stages: '#rules' });
  const journey = vi.fn((src: string): Plugin => ({ name: 'journey' }));
  boot({}, journey);
  expect(journey).toHaveBeenCalledWith('#rules');
});

test('a missing endpoint says so once on the console and leaves the harmless stub', () => {
  const error = vi.spyOn(console, 'error').mockImplementation(() => {});
  const stub = w.waymark;
  expect(() => boot({})).not.toThrow();
  expect(error).toHaveBeenCalledOnce();
  expect(error.mock.calls[0][0]).toMatch(/data-endpoint/);
  expect(w.waymark).toBe(stub);
  expect(() => w.waymark('track', 'x')).not.toThrow();
});

test('a bad option value is reported on the console, never thrown', () => {
  const error = vi.spyOn(console, 'error').mockImplementation(() => {});
  attrs({ endpoint: '/c', consent: 'maybe' });
  expect(() => boot({})).not.toThrow();
  expect(error.mock.calls[0][0]).toMatch(/consent/);
});

test('unknown commands and throwing listeners are harmless', () => {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  attrs({ endpoint: '/c' });
  boot({});
  expect(() => w.waymark('explode')).not.toThrow();
  expect(() => w.waymark('__proto__')).not.toThrow();
  expect(warn).toHaveBeenCalled();
  const off = w.waymark('on', 'event', () => {
    throw new Error('site bug');
  });
  expect(() => w.waymark('track', 'x')).not.toThrow();
  expect(typeof off).toBe('function');
});

test('loading the script twice does not create a second tracker', () => {
  attrs({ endpoint: '/c' });
  const { seen, modules } = probe();
  boot(modules);
  const first = w.waymark;
  boot(modules);
  expect(w.waymark).toBe(first);
  expect(seen).toHaveLength(1);
});

test('the tag options reach the capture modules: data-hash turns on hash-router page views', async () => {
  const c = fakeCollector();
  history.replaceState(null, '', '/');
  attrs({ endpoint: 'https://c.test/v1/batch', consent: 'granted', hash: 'true', capture: 'pageViews' });
  boot(defaultModules());
  await w.waymark('flush');
  history.pushState(null, '', '/#/pricing'); // Vue Router or Angular in hash mode
  history.pushState(null, '', '/#/checkout');
  await w.waymark('flush');
  await settle();
  expect(c.events().filter((e) => e.type == 'page').map((e) => e.context.page.path)).toEqual(['/', '/#/pricing', '/#/checkout']);
  history.replaceState(null, '', '/');
});

// A bare attribute (<script data-debug>) reading as true is tested in Chromium (test/browser/hostile.test.ts):
// happy-dom's dataset returns undefined for an empty attribute, where browsers return ''.

// A consent banner's callback, or a wrapper module, may have kept `window.waymark` from before the load.
test('a reference to the stub kept from before the load still runs commands after it: a revoke through it stops tracking', async () => {
  const c = fakeCollector();
  attrs({ endpoint: 'https://c.test/v1/batch' });
  const wm = w.waymark;
  wm('consent', 'granted');
  wm('track', 'Before load');
  boot({});
  await settle();
  wm('track', 'After load, through the kept reference');
  await w.waymark('flush');
  await settle();
  // (Trackers of earlier tests share the stubbed fetch: only this test's events are looked at.)
  const mine = () => c.names().filter((n) => /load|revoke/.test(n));
  expect(mine()).toEqual(['Before load', 'After load, through the kept reference']);
  wm('consent', 'denied');
  w.waymark('track', 'After the revoke');
  await w.waymark('flush');
  await settle();
  expect(mine()).toHaveLength(2);
});

test('a command sent through the kept stub while the queue replays runs too', async () => {
  const c = fakeCollector();
  tag.setAttribute('data-endpoint', 'https://c.test/v1/batch');
  tag.setAttribute('data-capture', 'none');
  const wm = w.waymark; // a CMP keeps the stub
  wm('on', 'consent', (s: string) => wm('track', 'Consent ' + s));
  wm('consent', 'granted');
  boot({});
  wm('track', 'After load');
  await w.waymark('flush');
  await settle();
  await w.waymark('flush');
  expect(c.names()).toContain('Consent granted');
});

// A logout page renders `waymark('reset')` before the SDK loads: the reset runs at the replay,
// while the saved visitor is still being read, after the landing page view was made.
test('a reset() queued in the stub (a logout page) leaves the landing page view, made before it, with the visitor who leaves', async () => {
  const c = fakeCollector();
  const first = createTracker({ endpoint: 'https://c.test/v1/batch', consent: 'granted' });
  first.identify('alice');
  await first.flush();
  await first.shutdown();
  await settle();
  const alice = c.events().find((e) => e.userId == 'alice')!;
  history.replaceState(null, '', '/logged-out');
  attrs({ endpoint: 'https://c.test/v1/batch', consent: 'granted', capture: 'pageViews' });
  w.waymark('reset');
  boot(defaultModules());
  w.waymark('track', 'After Logout');
  await w.waymark('flush');
  await settle();
  await w.waymark('flush');
  const view = c.events().find((e) => e.type == 'page' && e.context.page.path == '/logged-out')!;
  const after = c.events().find((e) => e.event == 'After Logout')!;
  history.replaceState(null, '', '/');
  // The page view was made before the logout: it is alice's, in her session.
  expect([view.anonymousId, view.userId, view.context.session]).toEqual([alice.anonymousId, 'alice', alice.context.session]);
  // What follows the logout is the next visitor's.
  expect([after.anonymousId == alice.anonymousId, after.userId]).toEqual([false, null]);
});

// A site passes its own objects: an order with a back-reference, an id held as a BigInt.
test('an event whose properties cannot be serialised is lost: the console says so, without data-debug', async () => {
  fakeCollector();
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  attrs({ endpoint: 'https://c.test/v1/batch', consent: 'granted' });
  boot({});
  const order: any = { id: 'o-1' };
  order.self = order;
  w.waymark('track', 'Order Completed', { order });
  w.waymark('track', 'Coupon Applied', { id: 10n });
  await w.waymark('flush');
  await settle();
  const said = warn.mock.calls.map((c) => String(c[0]));
  expect(said.filter((m) => /Order Completed/.test(m))).toHaveLength(1);
  expect(said.filter((m) => /Coupon Applied/.test(m))).toHaveLength(1);
});

// README's Configuration table gives maxQueueBytes' default as 1e6.
test('a whole number written with an exponent (data-max-queue-bytes="1e6") is a number, not a setup error that stops tracking', () => {
  const error = vi.spyOn(console, 'error').mockImplementation(() => {});
  attrs({ endpoint: '/c', 'max-queue-bytes': '1e6', 'flush-interval': '5e3' });
  const { seen, modules } = probe();
  boot(modules);
  expect(error).not.toHaveBeenCalled();
  expect(seen[0]).toMatchObject({ maxQueueBytes: 1e6, flushInterval: 5e3 });
});

// README's Configuration table names the options in camelCase; HTML lowercases attribute names.
test('an option written in camelCase (data-flushInterval, read as data-flushinterval) is not silently ignored: the console names it', () => {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  attrs({ endpoint: '/c', flushInterval: '60000', maxPending: '1000', cookieconsent: 'statistics' });
  const { seen, modules } = probe();
  boot(modules);
  expect(seen[0]).toMatchObject({ flushInterval: 3e3, maxPending: 200 });
  const said = warn.mock.calls.map((c) => String(c[0]));
  expect(said.filter((m) => /data-flushinterval/.test(m))).toHaveLength(1);
  expect(said.filter((m) => /data-maxpending/.test(m))).toHaveLength(1);
  // A consent tool's own attribute on the tag is none of Waymark's business.
  expect(said.filter((m) => /cookieconsent/.test(m))).toEqual([]);
});

// A tag manager adds waymark.vitals.min.js where the theme already has waymark.min.js: whichever
// arrives first runs, so web vitals come from some page loads and not others.
test('a second copy of the script (the theme and a tag manager, or waymark.min.js and waymark.vitals.min.js) says on the console that it is ignored', () => {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  attrs({ endpoint: '/c' });
  const on: string[] = [];
  const mod = (n: string) => (): Plugin => ({ name: n, setup: () => void on.push(n) });
  boot({ pageViews: mod('pageViews') });
  boot({ pageViews: mod('pageViews'), webVitals: mod('webVitals') });
  expect(on).toEqual(['pageViews']);
  expect(warn.mock.calls.map((c) => String(c[0])).filter((m) => /twice|second copy|ignored/.test(m))).toHaveLength(1);
});

// The warning is the site's only clue: it must name the attribute to write for the option it saw,
// not batchSize's for every one (data-flushInterval was told to write data-batch-size).
test('the camelCase warning names the kebab-case attribute of the option written (data-flush-interval for data-flushInterval)', () => {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  attrs({ endpoint: '/c', flushInterval: '60000', maxQueueBytes: '5000', respectGpc: 'false' });
  boot(probe().modules);
  const said = warn.mock.calls.map((c) => String(c[0]));
  expect(said.find((m) => /data-flushinterval/.test(m))).toMatch(/data-flush-interval\b/);
  expect(said.find((m) => /data-maxqueuebytes/.test(m))).toMatch(/data-max-queue-bytes\b/);
  expect(said.find((m) => /data-respectgpc/.test(m))).toMatch(/data-respect-gpc\b/);
  expect(said.filter((m) => /batch-size/.test(m))).toEqual([]);
});

// Turbo (Hotwire) replaces <body> on every visit and runs the scripts of the new body again:
// a tag placed there boots once per visit. That is the same script, not a second copy.
test('the same tag run again after its first copy left the page (a Turbo visit re-runs <body> scripts) is quiet; a second copy or the other bundle still warns', () => {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  const twice = () => warn.mock.calls.map((c) => String(c[0])).filter((m) => /twice/.test(m)).length;
  const script = (src: string) => {
    const s = document.createElement('script');
    s.setAttribute('src', src);
    s.setAttribute('data-endpoint', '/c');
    document.body.append(s);
    return s;
  };
  const on: string[] = [];
  const mod = (): Plugin => ({ name: 'pageViews', setup: () => void on.push('setup') });
  tag.remove();
  tag = script('/waymark.min.js');
  vi.spyOn(document, 'currentScript', 'get').mockImplementation(() => tag);
  boot({ pageViews: mod });
  // Two Turbo visits: the body, the tag with it, is replaced and the new copy runs.
  for (let i = 0; i < 2; i++) {
    tag.remove();
    tag = script('/waymark.min.js');
    boot({ pageViews: mod });
  }
  expect(twice()).toBe(0);
  // The theme and a tag manager both add it: two on the page at once.
  const other = script('/waymark.min.js');
  vi.spyOn(document, 'currentScript', 'get').mockImplementation(() => other);
  boot({ pageViews: mod });
  expect(twice()).toBe(1);
  // The web-vitals bundle on a page visited after one with the plain bundle.
  other.remove();
  tag.remove();
  const vitals = script('/waymark.vitals.min.js');
  vi.spyOn(document, 'currentScript', 'get').mockImplementation(() => vitals);
  boot({ pageViews: mod });
  expect(twice()).toBe(2);
  vitals.remove();
  expect(on).toEqual(['setup']);
});

// README: whole numbers are read, 1e6 among them; JSON and HTML authors also write 2.5e3, 1E6, 1.5.
test('every JSON spelling of a number (2.5e3, 1E6, 1e+6, 1.5) is a number, not a setup error that stops tracking', () => {
  const error = vi.spyOn(console, 'error').mockImplementation(() => {});
  attrs({ endpoint: '/c', 'flush-interval': '2.5e3', 'max-queue-bytes': '1E6', 'max-queue': '1e+3', 'session-timeout': '1.5' });
  const { seen, modules } = probe();
  boot(modules);
  expect(error).not.toHaveBeenCalled();
  expect(seen[0]).toMatchObject({ flushInterval: 2500, maxQueueBytes: 1e6, maxQueue: 1000, sessionTimeout: 1.5 });
});

// README (Consent): a tracker started with consent 'denied' tells the other tabs, as the visitor may
// have said no where Waymark does not run; a site renders data-consent from what its server knows.
// Under Turbo the tag runs again at every visit, but was ignored quietly: a page whose tag now says
// "denied" (the visitor said no on a server-rendered form) went on tracking.
test('a Turbo visit whose tag says data-consent="denied", after one that said "granted", stops tracking', async () => {
  const c = fakeCollector();
  const script = (consent: string) => {
    const s = document.createElement('script');
    s.setAttribute('src', '/waymark.min.js');
    s.setAttribute('data-endpoint', 'https://c.test/v1/batch');
    s.setAttribute('data-consent', consent);
    document.body.append(s);
    return s;
  };
  tag.remove();
  tag = script('granted');
  vi.spyOn(document, 'currentScript', 'get').mockImplementation(() => tag);
  boot({});
  w.waymark('track', 'Turbo before');
  await w.waymark('flush');
  await settle();
  // The visit after the visitor said no: the body, the tag with it, is replaced.
  tag.remove();
  tag = script('denied');
  boot({});
  w.waymark('track', 'Turbo after the no');
  await w.waymark('flush');
  await settle();
  expect(c.names().filter((n) => /Turbo/.test(n))).toEqual(['Turbo before']);
});

// Turbo renders a page it visited before from its snapshot cache, a clone of that page's body as it
// was left, and runs the scripts in it again: at once for the back button (a restoration visit,
// no request), and as a preview before the fresh copy arrives. A snapshot's tag says what the
// server knew when that page was first rendered: after the visitor said no on the privacy page
// (rendered "denied"), the back button ran the cached tag's "granted", which differs from the
// last tag's, as a grant: tracking resumed against the visitor's no.
test('a Turbo snapshot of a page rendered before the visitor said no (the back button) does not grant again', async () => {
  const c = fakeCollector();
  const script = (consent: string) => {
    const s = document.createElement('script');
    s.setAttribute('src', '/waymark.min.js');
    s.setAttribute('data-endpoint', 'https://c.test/v1/batch');
    s.setAttribute('data-consent', consent);
    document.body.append(s);
    return s;
  };
  /** Turbo's activateScriptElement: a new script element with the same attributes, which runs. */
  const activate = (inert: Element) => {
    const s = document.createElement('script');
    for (const a of Array.from(inert.attributes)) s.setAttribute(a.name, a.value);
    document.body.append(s);
    return s;
  };
  tag.remove();
  tag = script('granted');
  vi.spyOn(document, 'currentScript', 'get').mockImplementation(() => tag);
  boot({});
  // Leaving the page: Turbo caches a clone of its body, the tag with it.
  const cached = tag.cloneNode(true) as Element;
  // The privacy page, where the visitor says no: the server renders the next page "denied".
  tag.remove();
  tag = script('denied');
  boot({});
  w.waymark('track', 'Turbo after the no');
  // The back button: the cached page is rendered, and its scripts run again.
  tag.remove();
  tag = activate(cached);
  boot({});
  w.waymark('track', 'Turbo back');
  await w.waymark('flush');
  await settle();
  expect(c.names().filter((n) => /Turbo/.test(n))).toEqual([]);
});

// A tag's data-consent was compared with whatever the last tag had: a page between without one
// (a template that renders none) made the next page's unchanged "granted" a grant, undoing a
// revoke the visitor made in the banner meanwhile.
test('a Turbo visit to a page without data-consent, then one with the same data-consent as before, does not grant after a revoke', async () => {
  const c = fakeCollector();
  const script = (consent?: string) => {
    const s = document.createElement('script');
    s.setAttribute('src', '/waymark.min.js');
    s.setAttribute('data-endpoint', 'https://c.test/v1/batch');
    if (consent) s.setAttribute('data-consent', consent);
    document.body.append(s);
    return s;
  };
  tag.remove();
  tag = script('granted');
  vi.spyOn(document, 'currentScript', 'get').mockImplementation(() => tag);
  boot({});
  w.waymark('consent', 'denied'); // the banner's "no"
  for (const consent of [undefined, 'granted']) {
    tag.remove();
    tag = script(consent);
    boot({});
  }
  w.waymark('track', 'Turbo after the no');
  await w.waymark('flush');
  await settle();
  expect(c.names().filter((n) => /Turbo/.test(n))).toEqual([]);
});

// Turbo merges <head> by each element's outerHTML (HeadSnapshot.detailsByOuterHTML): a script of the
// next page's head that no element of the current head matches is added and run, and a difference
// among those marked data-turbo-track="reload" reloads the page. The tag marked data-ran (2b43b14)
// no longer matches the same tag on the next page: on a Turbo visit it was run again ("loaded
// twice" on the console, a second tag in <head>), and with data-turbo-track="reload" every visit was
// a full page load.
test('a tag in <head> is left as the server wrote it: a Turbo visit to a page with the same <head> adds and runs no copy of it', () => {
  attrs({ endpoint: 'https://c.test/v1/batch', consent: 'granted', 'turbo-track': 'reload' });
  tag.setAttribute('src', '/waymark.min.js');
  const served = tag.outerHTML;
  vi.spyOn(document, 'currentScript', 'get').mockImplementation(() => tag);
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  boot({});
  // The next page's <head>, as the server sends it: Turbo's merge, by outerHTML.
  const current = new Set(Array.from(document.head.children, (el) => el.outerHTML));
  const added = [served].filter((html) => !current.has(html));
  for (const html of added) {
    const t = document.createElement('template');
    t.innerHTML = html;
    const s = document.createElement('script');
    for (const a of Array.from(t.content.firstElementChild!.attributes)) s.setAttribute(a.name, a.value);
    document.head.append(s);
    vi.spyOn(document, 'currentScript', 'get').mockImplementation(() => s);
    boot({});
    s.remove();
  }
  expect(added).toEqual([]);
  expect(warn).not.toHaveBeenCalled();
});
