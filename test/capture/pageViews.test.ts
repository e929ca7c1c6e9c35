import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { createTracker } from '../../src';
import { pageViews, type PageViewOptions } from '../../src/capture/pageViews';
import type { PluginContext, Tracker } from '../../src/types';
import { fakeCollector, freshIndexedDB } from '../helpers';

const ORIGIN = 'http://localhost:3000';
const proto = History.prototype;
let trackers: Tracker[] = [];

beforeEach(() => {
  freshIndexedDB();
  proto.replaceState.call(history, null, '', '/');
  Object.defineProperty(document, 'referrer', { value: 'https://news.example/item?id=1', configurable: true });
  document.title = 'Shop';
});
afterEach(async () => {
  await Promise.all(trackers.splice(0).map((t) => t.shutdown()));
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

function start(options?: PageViewOptions) {
  const c = fakeCollector();
  const t = createTracker({ endpoint: 'https://c.test/v1/batch', consent: 'granted', capture: [pageViews(options)] });
  trackers.push(t);
  return { c, t, pages: async () => (await t.flush(), c.events().filter((e) => e.type == 'page')) };
}

/** What the browser does on back/forward: the URL changes (unpatched) and popstate fires. */
const back = (url: string) => {
  proto.replaceState.call(history, null, '', url);
  window.dispatchEvent(new PopStateEvent('popstate'));
};

test('one page view on load: exact payload', async () => {
  const { pages } = start();
  const [p] = await pages();
  const page = { url: ORIGIN + '/', path: '/', referrer: 'https://news.example/item?id=1', title: 'Shop', search: '' };
  expect(p.type).toBe('page');
  expect(p.properties).toEqual(page);
  expect(p.context.page).toEqual(page);
});

test('SPA navigation: pushState and popstate count, replaceState only when the path changes', async () => {
  const { pages } = start();
  history.pushState(null, '', '/products');
  history.pushState(null, '', '/products'); // same URL: not a new page
  history.pushState(null, '', '/products?page=2'); // a new query: a new page
  history.replaceState(null, '', '/products?page=2&sort=price'); // tidying the query: not a new page
  history.replaceState(null, '', '/products/42'); // a redirect: a new page
  back('/products?page=2');
  back('/products?page=2'); // popstate without a change (e.g. a fragment) is not a page
  expect((await pages()).map((p) => p.properties!.path + (p.properties!.search as string))).toEqual([
    '/',
    '/products',
    '/products?page=2',
    '/products/42',
    '/products?page=2',
  ]);
});

test('the referrer of an SPA page view is the previous in-app URL', async () => {
  const { pages } = start();
  history.pushState(null, '', '/a');
  history.pushState(null, '', '/b?x=1');
  expect((await pages()).map((p) => p.properties!.referrer)).toEqual([
    'https://news.example/item?id=1',
    ORIGIN + '/',
    ORIGIN + '/a',
  ]);
});

test('deny-listed query parameters are redacted in url, search and the next referrer', async () => {
  const { c, pages } = start();
  history.pushState(null, '', '/reset?token=s3cr3t&email=jane%40example.com&step=2');
  history.pushState(null, '', '/done');
  const [, reset, done] = await pages();
  expect(reset.properties).toMatchObject({
    url: ORIGIN + '/reset?token=redacted&email=redacted&step=2',
    search: '?token=redacted&email=redacted&step=2',
  });
  expect(done.properties!.referrer).toBe(ORIGIN + '/reset?token=redacted&email=redacted&step=2');
  const all = JSON.stringify(c.requests);
  expect(all).not.toContain('s3cr3t');
  expect(all).not.toContain('jane');
});

test('hash changes are ignored by default and count with { hash: true }', async () => {
  const off = start();
  history.pushState(null, '', '/#/settings');
  window.dispatchEvent(new HashChangeEvent('hashchange'));
  expect((await off.pages()).length).toBe(1);
  await off.t.shutdown();
  vi.unstubAllGlobals();
  freshIndexedDB();
  proto.replaceState.call(history, null, '', '/#/home');
  const on = start({ hash: true });
  history.pushState(null, '', '/#/settings');
  proto.replaceState.call(history, null, '', '/#/profile');
  window.dispatchEvent(new HashChangeEvent('hashchange'));
  window.dispatchEvent(new HashChangeEvent('hashchange')); // no change since: nothing
  expect((await on.pages()).length).toBe(3);
});

test('with { hash: true }, a query before the hash and the same text inside it are different pages', async () => {
  proto.replaceState.call(history, null, '', '/a?y#/x');
  const { pages } = start({ hash: true });
  history.pushState(null, '', '/a#/x?y');
  expect((await pages()).map((p) => p.context.page.search)).toEqual(['?y', '']);
});

test('with { hash: true }, an in-page anchor (#faq) is not a page view: only a hash-router route (#/…, #!/…) is', async () => {
  proto.replaceState.call(history, null, '', '/guide');
  const { pages } = start({ hash: true });
  const go = (url: string) => (proto.pushState.call(history, null, '', url), window.dispatchEvent(new HashChangeEvent('hashchange')));
  go('/guide#install');
  go('/guide#faq');
  go('/guide#!/setup');
  go('/guide#!/setup?step=2');
  go('/guide#/setup');
  expect((await pages()).map((p) => p.context.page.path)).toEqual(['/guide', '/guide#!/setup', '/guide#/setup']);
});

// The core keeps a hash-router route (#/settings) in url and path, while dropping other
// fragments (OAuth tokens), so hash routes are distinguishable and the referrer advances.
test('hash-router page views say which route they are', async () => {
  proto.replaceState.call(history, null, '', '/#/home');
  const { pages } = start({ hash: true });
  history.pushState(null, '', '/#/settings');
  const [home, settings] = await pages();
  expect(settings.properties!.url).not.toBe(home.properties!.url);
  expect(settings.properties!.path).toBe('/#/settings');
  expect(settings.properties!.referrer).toBe(home.properties!.url);
});

test('teardown undoes the history patch and removes its listeners', async () => {
  const { pushState, replaceState } = history;
  const added: string[] = [];
  const removed: string[] = [];
  const add = window.addEventListener;
  const remove = window.removeEventListener;
  vi.spyOn(window, 'addEventListener').mockImplementation(function (this: Window, ...a: any[]) {
    added.push(a[0]);
    return add.apply(this, a as any);
  });
  vi.spyOn(window, 'removeEventListener').mockImplementation(function (this: Window, ...a: any[]) {
    removed.push(a[0]);
    return remove.apply(this, a as any);
  });
  const track = vi.fn();
  const off = pageViews({ hash: true }).setup!({ page: track } as unknown as PluginContext) as () => void;
  expect(history.pushState).not.toBe(pushState);
  expect(track).toHaveBeenCalledTimes(1);
  off();
  expect(history.pushState).toBe(pushState);
  expect(history.replaceState).toBe(replaceState);
  expect(Object.hasOwn(history, 'pushState') || Object.hasOwn(history, 'replaceState')).toBe(false);
  expect(removed.sort()).toEqual(added.sort());
  expect(added.sort()).toEqual(['hashchange', 'pageshow', 'popstate']);
  history.pushState(null, '', '/after');
  back('/later');
  window.dispatchEvent(new HashChangeEvent('hashchange'));
  expect(track).toHaveBeenCalledTimes(1);
});

test('teardown keeps a wrapper added on top of ours, and makes ours inert', () => {
  const track = vi.fn();
  const off = pageViews().setup!({ page: track } as unknown as PluginContext) as () => void;
  const ours = history.pushState;
  const theirs = vi.fn(function (this: History, ...a: Parameters<History['pushState']>) {
    return ours.apply(this, a);
  });
  history.pushState = theirs;
  off();
  expect(history.pushState).toBe(theirs);
  history.pushState(null, '', '/x');
  expect(theirs).toHaveBeenCalledTimes(1);
  expect(location.pathname).toBe('/x');
  expect(track).toHaveBeenCalledTimes(1); // only the load
  delete (history as any).pushState;
});

test('through the tracker: shutdown restores the original methods', async () => {
  const { pushState } = history;
  const { t } = start();
  expect(history.pushState).not.toBe(pushState);
  await t.shutdown();
  expect(history.pushState).toBe(pushState);
  expect(Object.hasOwn(history, 'pushState')).toBe(false);
});

// Two trackers torn down in creation order (a page that creates a new tracker, then shuts
// the old one down): the second's teardown unwinds the first's inert wrapper too.
test('two trackers shut down first-in-first-out leave no patch behind', () => {
  const ctx = { page: vi.fn() } as unknown as PluginContext;
  const offA = pageViews().setup!(ctx) as () => void;
  const offB = pageViews().setup!(ctx) as () => void;
  offA();
  offB();
  const left = Object.hasOwn(history, 'pushState');
  delete (history as any).pushState;
  delete (history as any).replaceState;
  expect(left).toBe(false);
});

/** What the browser fires when it shows a page again from its back/forward cache, or loads it. */
const pageshow = (persisted: boolean) => window.dispatchEvent(Object.assign(new Event('pageshow'), { persisted }));

test('a page shown again from the back/forward cache is a new page view; a normal load is not counted twice', async () => {
  const { pages } = start();
  pageshow(false);
  pageshow(true);
  const views = await pages();
  expect(views.map((p) => p.properties!.path)).toEqual(['/', '/']);
  expect(views[1].properties).toEqual(views[0].properties);
});
