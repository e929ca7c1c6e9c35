// Review 5, in real Chromium with the back/forward cache on (Playwright turns it off by
// default): does a page running Waymark stay eligible, and what does it leave behind?
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { CHROMIUM_ARGS } from '../../examples/chromium.mjs';
import { FIXTURES, ROOT } from './harness';

let browser: Browser;
let server: Server;
let origin: string;
/** The script tag the fixture pages load. */
let tag = '';
/** How long the collector takes to answer a POST. */
let delay = 0;
/** Every POST the collector got, as event names. */
const got: string[][] = [];
const fixture = readFileSync(join(FIXTURES, 'review5.html'), 'utf8');
/** The npm build loaded as ES modules, with an import map for its two dependencies. */
const FILES: Record<string, string> = {
  '/npm': join(FIXTURES, 'review5-npm.html'),
  '/idb-keyval.js': join(ROOT, 'node_modules/idb-keyval/dist/index.js'),
  '/web-vitals.js': join(ROOT, 'node_modules/web-vitals/dist/web-vitals.js'),
};

beforeAll(async () => {
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, ignoreDefaultArgs: ['--disable-back-forward-cache'] });
  server = createServer((req, res) => {
    const path = new URL(req.url!, 'http://x').pathname;
    if (/^\/waymark(\.vitals)?\.min\.js$/.test(path)) return void res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(readFileSync(join(ROOT, 'dist', path)));
    if (path == '/c') {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        const answer = () => res.writeHead(200, { 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Headers': 'content-type', 'Content-Type': 'application/json' }).end('{}');
        if (req.method != 'POST') return answer();
        got.push(JSON.parse(body).batch.map((e: any) => e.event || e.type));
        delay ? setTimeout(answer, delay) : answer();
      });
      return;
    }
    const file = FILES[path] || (path.startsWith('/dist/') && !path.includes('..') && join(ROOT, path));
    if (file) return void res.writeHead(200, { 'Content-Type': path == '/npm' ? 'text/html' : 'text/javascript' }).end(readFileSync(file));
    if (path == '/a' || path == '/b')
      return void res.writeHead(200, { 'Content-Type': 'text/html' }).end(fixture.replace('__TAG__', tag).replace('__NEXT__', path == '/a' ? '/b' : '/a'));
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  origin = 'http://127.0.0.1:' + (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await browser?.close();
  await new Promise((r) => server?.close(r));
});

/** Opens /a, waits `stay` ms, follows the link to /b, waits, goes back: was /a restored from the cache? */
async function back(stay: number, onB?: (page: Page) => Promise<unknown>) {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto(origin + '/a');
  await page.waitForTimeout(stay);
  await Promise.all([page.waitForURL('**/b'), page.click('#next')]);
  await page.waitForTimeout(1500);
  await onB?.(page);
  await page.goBack({ waitUntil: 'commit' });
  await page.waitForFunction(() => (window as any).persisted !== undefined);
  return {
    restored: await page.evaluate(() => (window as any).persisted === true),
    reasons: await page.evaluate(() => JSON.stringify((performance.getEntriesByType('navigation')[0] as any).notRestoredReasons)),
    errors: await page.evaluate(() => (window as any).errors),
    page,
  };
}

const script = (file: string, more = '') => `<script async src="/${file}" data-endpoint="${origin}/c" data-consent="granted" ${more}></script>`;

test.each([
  ['the script tag with stage rules, left 300 ms after load (events still queued: the page-hide request sends them)', 'waymark.min.js', 'data-stages="#rules"', 300],
  ['the script tag with stage rules, left after delivery', 'waymark.min.js', 'data-stages="#rules"', 4000],
  ['the web-vitals bundle with stage rules, left 300 ms after load', 'waymark.vitals.min.js', 'data-stages="#rules"', 300],
])('granted, %s: Back restores the page from the cache', async (_, file, more, stay) => {
  tag = script(file, more);
  delay = 0;
  got.length = 0;
  const { restored, reasons, errors, page } = await back(stay);
  expect(restored, reasons).toBe(true);
  expect(errors).toEqual([]);
  await page.context().close();
});

test('granted, a batch still in flight (slow collector) when the page is left: Back restores the page from the cache', async () => {
  tag = script('waymark.min.js', 'data-flush-interval="100"');
  delay = 4000;
  got.length = 0;
  const { restored, reasons, errors, page } = await back(600);
  delay = 0;
  expect(restored, reasons).toBe(true);
  // Shown again, the page goes on delivering: the batch that was out is settled, and what it
  // tracks now is sent.
  got.length = 0;
  await page.click('#buy');
  await expect.poll(() => got.flat(), { timeout: 8000 }).toContain('Element Clicked');
  expect(errors).toEqual([]);
  await page.context().close();
});

// A site that flushes its analytics as the page goes away (its own pagehide listener calling
// flush(), a common pattern): the flush must not take the Web Lock the page hide gave up, or the
// page is frozen holding it and the next page's flush evicts it (weblocks-contention).
test.each([0, 4000])("granted, the site's own pagehide listener calls flush() (collector answering in %i ms): Back restores the page from the cache", async (ms) => {
  tag = script('waymark.min.js', 'data-flush-interval="100"') + `<script>setTimeout(() => addEventListener('pagehide', () => waymark('flush')), 300)</script>`;
  delay = ms;
  got.length = 0;
  const { restored, reasons, errors, page } = await back(600);
  delay = 0;
  expect(restored, reasons).toBe(true);
  expect(errors).toEqual([]);
  await page.context().close();
});

// Another tab holds the Web Lock (its batch out to a slow collector) when this page's flush asks
// for it, and the page is left before it is granted: the request must not be granted to the page
// frozen in the cache, or the next page's flush evicts it (weblocks-contention).
test('granted, a flush waiting for the Web Lock another tab holds when the page is left: Back restores the page from the cache', async () => {
  tag = script('waymark.min.js', 'data-flush-interval="100"');
  delay = 0;
  got.length = 0;
  const ctx = await browser.newContext();
  const other = await ctx.newPage();
  await other.goto(origin + '/a');
  await other.waitForTimeout(600);
  delay = 3000;
  await other.click('#buy'); // its batch holds the lock 3 s
  await other.waitForTimeout(300);
  const page = await ctx.newPage();
  await page.goto(origin + '/a'); // its flush waits for the lock
  await page.waitForTimeout(600);
  await Promise.all([page.waitForURL('**/b'), page.click('#next')]);
  delay = 0;
  await page.waitForTimeout(4000);
  await page.goBack({ waitUntil: 'commit' });
  await page.waitForFunction(() => (window as any).persisted !== undefined);
  const restored = await page.evaluate(() => (window as any).persisted === true);
  const reasons = await page.evaluate(() => JSON.stringify((performance.getEntriesByType('navigation')[0] as any).notRestoredReasons));
  expect(restored, reasons).toBe(true);
  expect(await page.evaluate(() => (window as any).errors)).toEqual([]);
  // Shown again, the page delivers what it had queued and what it tracks now.
  got.length = 0;
  await page.click('#buy');
  await expect.poll(() => got.flat(), { timeout: 8000 }).toContain('Element Clicked');
  await ctx.close();
});

// The same pattern with the site's listener added before Waymark's (an inline script, the async
// script tag loading after it), tracking a last event before it flushes: the flush starts before the
// page hide and waits for that event's write, so it asks for the lock only after the page hide, which
// had nothing to withdraw yet.
test("granted, the site's own pagehide listener, added before the script tag loads, tracks an event and calls flush(): Back restores the page from the cache", async () => {
  tag = `<script>addEventListener('pagehide', () => (waymark('track', 'Page Left'), waymark('flush')))</script>` + script('waymark.min.js', 'data-flush-interval="100"');
  delay = 0;
  got.length = 0;
  const { restored, reasons, errors, page } = await back(600);
  expect(restored, reasons).toBe(true);
  expect(errors).toEqual([]);
  await page.context().close();
});

// React StrictMode in development mounts, cleans up and mounts again; hot reloads do it at
// every save. Created and shut down 50 times, the trackers leave exactly one set behind.
test('npm, consent granted: created and shut down 50 times (StrictMode), one set of listeners, channels and timers is left, and none after the last shutdown()', async () => {
  delay = 0;
  const page = await browser.newPage();
  await page.addInitScript((e) => ((window as any).endpoint = e), origin + '/c');
  await page.goto(origin + '/npm');
  await page.waitForFunction(() => (window as any).ready);
  const census = () =>
    page.evaluate(async () => {
      const w = window as any;
      const locks = await navigator.locks.query();
      return { listeners: w.listeners(), channels: w.channels(), timers: w.timers(), locks: locks.held!.length + locks.pending!.length };
    });
  const base = await census();
  // One tracker, for the set it leaves.
  await page.evaluate(() => (window as any).strict(0));
  await page.waitForTimeout(1500);
  const one = await census();
  await page.evaluate(() => (window as any).tracker.shutdown());
  await page.waitForTimeout(300);
  const afterOne = await census();
  // Fifty more.
  await page.evaluate(() => (window as any).strict(50));
  await page.waitForTimeout(3000);
  const fifty = await census();
  await page.evaluate(() => (window as any).tracker.shutdown());
  await page.waitForTimeout(1500);
  const after = await census();
  const errors = await page.evaluate(() => (window as any).errors);
  // No history patch left, and no IndexedDB connection open: a delete is not blocked.
  const patched = await page.evaluate(() => Object.keys(history));
  const blocked = await page.evaluate(
    () =>
      new Promise((r) => {
        const d = indexedDB.deleteDatabase('waymark');
        d.onblocked = () => r('blocked');
        d.onsuccess = () => r('deleted');
      }),
  );
  await page.close();
  expect({ patched, blocked }).toEqual({ patched: [], blocked: 'deleted' });
  expect(afterOne.listeners).toEqual(base.listeners);
  expect({ fifty: fifty.listeners, channels: fifty.channels }).toEqual({ fifty: one.listeners, channels: one.channels });
  expect({ listeners: after.listeners, channels: after.channels, timers: after.timers, locks: after.locks }).toEqual({
    listeners: base.listeners,
    channels: base.channels,
    timers: 0,
    locks: 0,
  });
  expect(errors).toEqual([]);
});
