// The page lifecycle as real browsers run it, on pages served as a site would: a rules block
// that arrives in pieces, and the back/forward cache (which Playwright turns off by default).
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { CHROMIUM_ARGS } from '../../examples/chromium.mjs';
import { ROOT } from './harness';

const RULES = JSON.stringify({
  stages: ['awareness', 'consideration'],
  rules: [{ stage: 'awareness', when: { type: 'page' } }],
  // Padding, as a real rules file with descriptions has.
  $schema: 'x'.repeat(2000),
});
const STUB = '<script>window.waymark=typeof waymark==\'function\'?waymark:function(){(waymark.q=waymark.q||[]).push(arguments)}</script>';

let browser: Browser;
let server: Server;
let origin: string;
/** What pages /a and /b load: nothing, or the script tag. */
let tag = '';
/** Pages a test serves, by path. */
const pages: Record<string, string> = {};
/** Every batch the collector got, as event names. */
const got: string[][] = [];

const html = (body: string) =>
  `<!doctype html><html><head>${STUB}<script>addEventListener("pageshow",function(e){window.persisted=e.persisted})</script>${tag}</head><body>${body}</body></html>`;

beforeAll(async () => {
  // Playwright turns the back/forward cache off; browsers have it on.
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, ignoreDefaultArgs: ['--disable-back-forward-cache'] });
  const sdk = readFileSync(join(ROOT, 'dist/waymark.min.js'));
  server = createServer((req, res) => {
    const path = new URL(req.url!, 'http://x').pathname;
    if (path == '/waymark.min.js') return void res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(sdk);
    if (path == '/waymark.vitals.min.js') return void res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(readFileSync(join(ROOT, 'dist/waymark.vitals.min.js')));
    if (path == '/c') {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        if (req.method == 'POST') got.push(JSON.parse(body).batch.map((e: any) => e.event || e.type));
        res.writeHead(200, { 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Headers': 'content-type', 'Content-Type': 'application/json' }).end('{}');
      });
      return;
    }
    if (pages[path]) return void res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(pages[path]);
    if (path == '/a') return void res.writeHead(200, { 'Content-Type': 'text/html' }).end(html('<a id="next" href="/b">Next</a>'));
    if (path == '/b') return void res.writeHead(200, { 'Content-Type': 'text/html' }).end(html('<button id="buy">Buy</button>'));
    if (path == '/chunked') {
      // The rules block after the async tag, arriving in two pieces: the SDK runs in between.
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      const half = RULES.length >> 1;
      res.write(
        `<!doctype html><html><head>${STUB}` +
          '<script>window.log=[];waymark("on","error",function(e){log.push("error: "+e.message)});waymark("on","stage",function(s){log.push("stage: "+s.stage)})</script>' +
          `<script async src="/waymark.min.js" data-endpoint="${origin}/c" data-stages="#rules"></script>` +
          '</head><body><p>Hello</p><script type="application/json" id="rules">' +
          RULES.slice(0, half),
      );
      setTimeout(() => res.end(RULES.slice(half) + '</script></body></html>'), 1000);
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  origin = 'http://127.0.0.1:' + (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await browser?.close();
  await new Promise((r) => server?.close(r));
});

test('an inline rules block after the tag, still arriving when the SDK runs, is read once complete', async () => {
  const page = await browser.newPage();
  await page.goto(origin + '/chunked', { waitUntil: 'load' });
  await page.waitForFunction(() => (window as any).log.length > 0, null, { timeout: 8000 });
  expect(await page.evaluate(() => (window as any).log)).toEqual(['stage: awareness']);
  await page.close();
});

/** Opens /a, follows the link to /b, lets /b deliver, goes back: was /a restored from the cache? */
async function back(onB?: (page: Page) => Promise<unknown>): Promise<{ restored: boolean; reasons: unknown; page: Page }> {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto(origin + '/a');
  await page.waitForTimeout(800);
  await Promise.all([page.waitForURL('**/b'), page.click('#next')]);
  await page.waitForTimeout(1500); // page B loads and delivers its page view
  await onB?.(page);
  await page.goBack({ waitUntil: 'commit' });
  await page.waitForFunction(() => (window as any).persisted !== undefined);
  return {
    restored: await page.evaluate(() => (window as any).persisted === true),
    reasons: await page.evaluate(() => (performance.getEntriesByType('navigation')[0] as any).notRestoredReasons?.reasons),
    page,
  };
}

test('without Waymark, Back restores the page from the back/forward cache (the control)', async () => {
  tag = '';
  const { restored, page } = await back();
  expect(restored).toBe(true);
  await page.context().close();
});

// PRODUCT.md: never break the back/forward cache. A message on a BroadcastChannel evicts the
// cached pages that listen on it, and every delivery posted one.
test('with the script tag (consent granted), Back still restores the page from the cache, and it counts as a page view', async () => {
  tag = `<script async src="/waymark.min.js" data-endpoint="${origin}/c" data-consent="granted" data-flush-interval="100"></script>`;
  got.length = 0;
  const { restored, reasons, page } = await back();
  expect(restored, JSON.stringify(reasons)).toBe(true);
  await expect.poll(() => got.flat().filter((n) => n == 'page').length, { timeout: 5000 }).toBe(3);
  await page.context().close();
});

// While a page is kept in the cache it hears no consent change (its channel is closed): a
// revoke on the next page deletes the database, which the kept page holds open, and the
// browser evicts it rather than let it block the deletion. Back then loads it afresh.
test('a revoke on the next page is not undone by Back: the page kept in the cache is not shown again with its consent', async () => {
  tag = `<script async src="/waymark.min.js" data-endpoint="${origin}/c" data-consent="granted" data-flush-interval="100"></script>`;
  const { restored, reasons, page } = await back((b) => b.evaluate(() => (window as any).waymark('consent', 'denied')).then(() => b.waitForTimeout(500)));
  console.log('restored', restored, JSON.stringify(reasons));
  expect(restored).toBe(false);
  await page.context().close();
});

// A pending page holds no database, so a revoke's deleteDatabase cannot evict it from the
// cache: it must hear the revoke, or Back shows it still pending, holding the events it made
// before the visitor said no, and a later grant sends them (the table: denied drops what is held).
test('a deny on the next page reaches a pending page kept in the cache: a later grant on it does not send what it held before the deny', async () => {
  tag = `<script async src="/waymark.min.js" data-endpoint="${origin}/c" data-flush-interval="100"></script>`;
  got.length = 0;
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto(origin + '/a');
  await page.waitForTimeout(800);
  await page.evaluate(() => (window as any).waymark('track', 'Before Deny'));
  await Promise.all([page.waitForURL('**/b'), page.click('#next')]);
  await page.waitForTimeout(800);
  await page.evaluate(() => (window as any).waymark('consent', 'denied'));
  await page.waitForTimeout(500);
  await page.goBack({ waitUntil: 'commit' });
  await page.waitForFunction(() => (window as any).persisted !== undefined);
  // The visitor changes their mind, on the page Back showed.
  await page.evaluate(() => (window as any).waymark('consent', 'granted'));
  await expect.poll(() => got.flat().filter((n) => n == 'page').length, { timeout: 5000 }).toBeGreaterThan(0);
  await page.waitForTimeout(500);
  expect(got.flat()).not.toContain('Before Deny');
  await ctx.close();
});

// The control for the test above: a pending page that nothing reaches stays in the cache.
test('a pending page is still restored from the back/forward cache', async () => {
  tag = `<script async src="/waymark.min.js" data-endpoint="${origin}/c" data-flush-interval="100"></script>`;
  const { restored, reasons, page } = await back();
  expect(restored, JSON.stringify(reasons)).toBe(true);
  await page.context().close();
});

// The stub line exactly as README's quick start gives it.
const README_STUB = /<script>window\.waymark=.*<\/script>/.exec(readFileSync(join(ROOT, 'README.md'), 'utf8'))![0];

// An element with id="waymark" (a theme's widget, a logo) is also window.waymark, by named
// access, when the stub line comes after it (pasted at the end of <body>, as many themes do).
test("README's stub pasted after an element with id=\"waymark\": the site's calls before the SDK arrives neither throw nor get lost", async () => {
  got.length = 0;
  pages['/named'] =
    '<!doctype html><html><head><title>Named</title></head><body><div id="waymark">Waymark Outdoors</div>' +
    README_STUB +
    '<script>window.log=[];try{waymark("track","Before Load")}catch(e){log.push(e.message)}</script>' +
    `<script async src="/waymark.min.js" data-endpoint="${origin}/c" data-consent="granted" data-flush-interval="100"></script></body></html>`;
  const page = await browser.newPage();
  await page.goto(origin + '/named');
  await page.waitForFunction(() => (window as any).waymark.version);
  expect(await page.evaluate(() => (window as any).log)).toEqual([]);
  await expect.poll(() => got.flat(), { timeout: 5000 }).toContain('Before Load');
  await page.close();
});

// Turbo (Hotwire) replaces <body> on each visit and runs the new body's scripts again, as copies
// of the script elements (its activateScriptElement), after a pushState. Done here by hand.
test('a tag in <body> that Turbo runs again on each visit says nothing; the web-vitals bundle added on a later visit still warns', async () => {
  got.length = 0;
  const tagHtml = (src: string) => `<script async src="${src}" data-endpoint="${origin}/c" data-consent="granted" data-flush-interval="100"></script>`;
  pages['/turbo'] = `<!doctype html><html><head><title>Turbo</title>${README_STUB}</head><body><p>One</p>${tagHtml('/waymark.min.js')}</body></html>`;
  const page = await browser.newPage();
  const warnings: string[] = [];
  page.on('console', (m) => m.type() == 'warning' && warnings.push(m.text()));
  await page.goto(origin + '/turbo');
  await page.waitForFunction(() => (window as any).waymark.version);
  const visit = (body: string, path: string) =>
    page.evaluate(
      ([body, path]) => {
        history.pushState({ turbo: true }, '', path);
        const b = document.createElement('body');
        b.innerHTML = body;
        document.body.replaceWith(b);
        for (const old of b.querySelectorAll('script')) {
          const s = document.createElement('script');
          s.textContent = old.textContent;
          s.async = false;
          for (const a of old.attributes) s.setAttribute(a.name, a.value);
          old.replaceWith(s);
        }
      },
      [body, path],
    );
  await visit('<p>Two</p>' + tagHtml('/waymark.min.js'), '/turbo/two');
  await page.waitForTimeout(500);
  await visit('<p>Three</p>' + tagHtml('/waymark.min.js'), '/turbo/three');
  await page.waitForTimeout(500);
  expect(warnings.filter((w) => /twice/.test(w))).toEqual([]);
  await visit('<p>Four</p>' + tagHtml('/waymark.vitals.min.js'), '/turbo/four');
  await expect.poll(() => warnings.filter((w) => /twice/.test(w)).length, { timeout: 3000 }).toBe(1);
  await expect.poll(() => got.flat().filter((n) => n == 'page').length, { timeout: 5000 }).toBe(4);
  await page.close();
});

// A server that saw the visitor say no (a consent form it handled) renders data-consent="denied" on
// the next page; under Turbo that page's tag runs again without a reload: that is a revoke.
test('a Turbo visit whose tag says data-consent="denied" stops tracking and erases the queue', async () => {
  got.length = 0;
  const tagHtml = (consent: string) => `<script async src="/waymark.min.js" data-endpoint="${origin}/c" data-consent="${consent}" data-flush-interval="100"></script>`;
  pages['/turbo-no'] = `<!doctype html><html><head><title>Turbo</title>${README_STUB}</head><body><p>One</p>${tagHtml('granted')}</body></html>`;
  const page = await browser.newPage();
  await page.goto(origin + '/turbo-no');
  await page.waitForFunction(() => (window as any).waymark.version);
  await page.evaluate(() => (window as any).waymark('track', 'Before the no'));
  await expect.poll(() => got.flat(), { timeout: 5000 }).toContain('Before the no');
  // Resolves once the new tag has run (its script loaded): until then the page is still granted.
  await page.evaluate((body) => {
    history.pushState({ turbo: true }, '', '/turbo-no/two');
    const b = document.createElement('body');
    b.innerHTML = body;
    document.body.replaceWith(b);
    const ran: Promise<unknown>[] = [];
    for (const old of b.querySelectorAll('script')) {
      const s = document.createElement('script');
      ran.push(new Promise((r) => (s.onload = s.onerror = r)));
      s.async = false;
      for (const a of old.attributes) s.setAttribute(a.name, a.value);
      old.replaceWith(s);
    }
    return Promise.all(ran).then(() => {});
  }, '<p>Two</p>' + tagHtml('denied'));
  await page.waitForTimeout(500);
  await page.evaluate(() => (window as any).waymark('track', 'After the no'));
  await page.waitForTimeout(800);
  expect(got.flat()).not.toContain('After the no');
  expect(await page.evaluate(() => indexedDB.databases().then((d) => d.map((x) => x.name)))).not.toContain('waymark');
  await page.close();
});

// Turbo keeps a clone of each page's body as it is left, and at the back button renders that clone
// and runs its scripts again (a restoration visit: no request). The clone's tag says what the server
// knew when the page was first rendered: its "granted", after a later page's "denied", must not grant.
test('Turbo at the back button runs the cached tag of a page rendered before the visitor said no: tracking stays off', async () => {
  got.length = 0;
  const tagHtml = (consent: string) => `<script async src="/waymark.min.js" data-endpoint="${origin}/c" data-consent="${consent}" data-flush-interval="100"></script>`;
  pages['/turbo-back'] = `<!doctype html><html><head><title>Turbo</title>${README_STUB}</head><body><p>One</p>${tagHtml('granted')}</body></html>`;
  const page = await browser.newPage();
  await page.goto(origin + '/turbo-back');
  await page.waitForFunction(() => (window as any).waymark.version);
  const render = (body: string, path: string, back?: 1) =>
    page.evaluate(
      ([body, path, back]) => {
        const w = window as any;
        // Leaving: the snapshot cache takes a clone of the body.
        w.cache ||= document.body.cloneNode(true);
        history.pushState({ turbo: true }, '', path as string);
        const b = back ? w.cache : document.createElement('body');
        if (!back) b.innerHTML = body;
        document.body.replaceWith(b);
        // Resolves once the tags have run (their scripts loaded), however long the load takes.
        const ran: Promise<unknown>[] = [];
        for (const old of b.querySelectorAll('script')) {
          const s = document.createElement('script');
          ran.push(new Promise((r) => (s.onload = s.onerror = r)));
          s.async = false;
          for (const a of old.attributes) s.setAttribute(a.name, a.value);
          old.replaceWith(s);
        }
        return Promise.all(ran).then(() => {});
      },
      [body, path, back] as const,
    );
  await render('<p>Privacy</p>' + tagHtml('denied'), '/turbo-back/privacy');
  await page.waitForTimeout(500);
  await render('', '/turbo-back', 1);
  await page.waitForTimeout(500);
  await page.evaluate(() => (window as any).waymark('track', 'After the back button'));
  await page.waitForTimeout(800);
  expect(got.flat()).not.toContain('After the back button');
  await page.close();
});
