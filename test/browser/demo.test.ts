// The one-command demo, end to end: the collector, the shop and the SPA on free ports, six
// synthetic visitors through the shop with the real SDK in Chromium, then the dashboard.
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../../examples/chromium.mjs';
import { afterAll, beforeAll, expect, test } from 'vitest';
// @ts-ignore: plain ES module without types
import { ensureBuilt, startDemo } from '../../examples/demo.mjs';
// @ts-ignore: plain ES module without types
import { simulate } from '../../examples/site/simulate.mjs';

const ARTIFACTS = resolve(dirname(fileURLToPath(import.meta.url)), '.artifacts');

let demo: any;
let browser: Browser;
let simulation: { visitors: number; errors: string[] };

beforeAll(async () => {
  ensureBuilt();
  demo = await startDemo({ db: ':memory:' });
  simulation = await simulate({ shop: demo.shop, spa: demo.spa, visitors: 6 });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await demo?.close();
});

/** The funnel table as [stage, visitors] once the dashboard has drawn it. */
const funnel = (page: Page) =>
  page.$$eval('#funnel-table tbody tr', (rows) =>
    rows.map((r) => [r.querySelector('th')!.textContent!.trim(), Number(r.querySelector('td')!.textContent!.replace(/\D/g, ''))] as [string, number]),
  );

test('the simulated visitors finish their journeys without page errors', () => {
  expect(simulation.visitors).toBe(6);
  expect(simulation.errors).toEqual([]);
  const stored = demo.collector.store.report(0, 9e15);
  expect(stored.summary.visitors).toBeGreaterThanOrEqual(5);
  expect(stored.summary.orders).toBeGreaterThanOrEqual(3);
});

test('the dashboard shows the funnel with at least four stages reached, and no console errors', async () => {
  // A comment is what a visitor typed: it must be shown as text, never parsed as HTML.
  const hostile = '<img src=x onerror="window.__pwned=1">';
  const res = await fetch(demo.collector.endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      batch: [{
        type: 'track', event: 'Feedback Submitted', properties: { score: 1, scale: 'csat', comment: hostile, stage: 'purchase' },
        messageId: 'hostile-comment', anonymousId: 'hostile', userId: null, timestamp: new Date().toISOString(), context: {},
      }],
      sentAt: new Date().toISOString(),
    }),
  });
  expect(res.status).toBe(200);

  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const errors: string[] = [];
  page.on('console', (m) => m.type() == 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(demo.dashboard);
  await page.waitForSelector('body[data-loaded]');
  await page.waitForFunction(() => document.querySelectorAll('#funnel-table tbody tr').length > 0);

  const rows = await funnel(page);
  expect(rows.map(([stage]) => stage.toLowerCase())).toEqual(['awareness', 'consideration', 'decision', 'purchase', 'post purchase', 'loyalty']);
  const reached = rows.filter(([, n]) => n > 0);
  expect(reached.length, 'stages with visitors: ' + JSON.stringify(rows)).toBeGreaterThanOrEqual(4);

  // The charts are drawn (canvas visible), and the hostile comment is inert text.
  expect(await page.isVisible('#funnel-chart')).toBe(true);
  expect(await page.textContent('#comments')).toContain(hostile);
  expect(await page.$$('#comments img')).toEqual([]);
  expect(await page.evaluate(() => (window as any).__pwned)).toBeUndefined();

  // The date filter: "All time" includes at least what the last 7 days show.
  const week = Number((await page.textContent('#k-visitors'))!.replace(/\D/g, ''));
  await page.click('.presets [data-days="0"]');
  await page.waitForFunction(() => document.querySelector('.presets [data-days="0"]')!.getAttribute('aria-pressed') == 'true');
  await page.waitForFunction((n) => Number(document.querySelector('#k-visitors')!.textContent!.replace(/\D/g, '')) >= n, week);
  await page.click('.presets [data-days="7"]');
  await page.waitForFunction((n) => Number(document.querySelector('#k-visitors')!.textContent!.replace(/\D/g, '')) == n, week);

  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, 'demo-dashboard.png'), fullPage: true });
  expect(errors).toEqual([]);
  await page.close();
});
