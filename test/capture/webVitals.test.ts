import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import * as wv from 'web-vitals';
import { createTracker } from '../../src';
import { webVitals } from '../../src/capture/webVitals';
import type { PluginContext, Tracker } from '../../src/types';
import { fakeCollector, freshIndexedDB } from '../helpers';

// web-vitals needs a real browser's performance entries; here each onX hands its callback to the test.
vi.mock('web-vitals', () => {
  const cbs: Record<string, (m: any) => void> = {};
  const on = (name: string) => vi.fn((cb: (m: any) => void) => void (cbs[name] = cb));
  return { cbs, onCLS: on('CLS'), onFCP: on('FCP'), onINP: on('INP'), onLCP: on('LCP'), onTTFB: on('TTFB') };
});
const cbs = (wv as any).cbs as Record<string, (m: any) => void>;
const metric = (name: string, value: number, rating = 'good') => ({
  name, value, rating, delta: value, id: 'v5-' + name, entries: [{ big: 'x' }], navigationType: 'navigate',
});

let trackers: Tracker[] = [];
beforeEach(() => {
  freshIndexedDB();
  history.replaceState(null, '', '/product/42?ref=mail');
});
afterEach(async () => {
  await Promise.all(trackers.splice(0).map((t) => t.shutdown()));
  vi.unstubAllGlobals();
});

test('each metric becomes a Web Vital event with an exact payload and the measured path', async () => {
  const c = fakeCollector();
  const t = createTracker({ endpoint: 'https://c.test/v1/batch', consent: 'granted', capture: [webVitals()] });
  trackers.push(t);
  expect(Object.keys(cbs).sort()).toEqual(['CLS', 'FCP', 'INP', 'LCP', 'TTFB']);
  // An SPA route change before CLS is reported: the metric still belongs to the loaded path.
  history.pushState(null, '', '/elsewhere');
  cbs.LCP(metric('LCP', 1234.5));
  cbs.CLS(metric('CLS', 0.31, 'poor'));
  await t.flush();
  expect(c.events().map((e) => [e.event, e.properties])).toEqual([
    ['Web Vital', { name: 'LCP', value: 1234.5, rating: 'good', delta: 1234.5, id: 'v5-LCP', path: '/product/42' }],
    ['Web Vital', { name: 'CLS', value: 0.31, rating: 'poor', delta: 0.31, id: 'v5-CLS', path: '/product/42' }],
  ]);
});

test('an email in the path is masked in the Web Vital path, as it is in context.page.path', async () => {
  history.replaceState(null, '', '/users/jane.doe@example.com/orders');
  const c = fakeCollector();
  const t = createTracker({ endpoint: 'https://c.test/v1/batch', consent: 'granted', capture: [webVitals()] });
  trackers.push(t);
  cbs.LCP(metric('LCP', 1));
  await t.flush();
  const [e] = c.events();
  expect(e.context.page.path).toBe('/users/redacted/orders');
  expect(e.properties!.path).toBe('/users/redacted/orders');
});

test('teardown stops the reporting (web-vitals listeners cannot be removed)', () => {
  const track = vi.fn();
  const off = webVitals().setup!({ track, redact: (url: string) => url } as unknown as PluginContext) as () => void;
  cbs.INP(metric('INP', 80));
  expect(track).toHaveBeenCalledTimes(1);
  off();
  cbs.INP(metric('INP', 300, 'needs-improvement'));
  cbs.TTFB(metric('TTFB', 90));
  expect(track).toHaveBeenCalledTimes(1);
});

test('a browser without Array.prototype.at (which web-vitals needs) gets no vitals and no error', () => {
  const at = Array.prototype.at;
  // @ts-expect-error: simulating Chrome < 92 / Safari < 15.4
  delete Array.prototype.at;
  try {
    for (const fn of [wv.onCLS, wv.onFCP, wv.onINP, wv.onLCP, wv.onTTFB]) vi.mocked(fn).mockClear();
    const track = vi.fn();
    expect(() => webVitals().setup!({ track } as unknown as PluginContext)).not.toThrow();
    expect([wv.onCLS, wv.onFCP, wv.onINP, wv.onLCP, wv.onTTFB].every((fn) => vi.mocked(fn).mock.calls.length == 0)).toBe(true);
  } finally {
    Array.prototype.at = at;
  }
});

// An app that creates the tracker late (lazy-loaded, once consent is given, or again after a hot
// reload) on another route than the one the document loaded: web-vitals still measures that load.
test('a tracker created after an SPA route change reports the path of the page load, as the browser records it', async () => {
  // What the browser's Navigation Timing entry holds: the URL the document was loaded from.
  vi.spyOn(performance, 'getEntriesByType').mockImplementation((type) => (type == 'navigation' ? [{ name: location.origin + '/product/42?ref=mail' } as PerformanceEntry] : []));
  history.pushState(null, '', '/checkout');
  const c = fakeCollector();
  const t = createTracker({ endpoint: 'https://c.test/v1/batch', consent: 'granted', capture: [webVitals()] });
  trackers.push(t);
  cbs.LCP(metric('LCP', 2100));
  await t.flush();
  vi.restoreAllMocks();
  expect(c.events()[0].properties!.path).toBe('/product/42');
});

// A page that swaps trackers (creates the new one, then shuts the old one down) with the same
// options object: the old one's teardown must not silence the new one's reporting.
test('a tracker created with the same options before the previous one is shut down keeps reporting', async () => {
  const c = fakeCollector();
  const options = { endpoint: 'https://c.test/v1/batch', consent: 'granted' as const, capture: [webVitals()] };
  const old = createTracker(options);
  const t = createTracker(options);
  trackers.push(t);
  await old.shutdown();
  cbs.LCP(metric('LCP', 900));
  await t.flush();
  expect(c.names()).toEqual(['Web Vital']);
});
