// Shared harness for the real-browser suite: a static site server, a test collector on
// another port (so every request is cross-origin, as in production), and Chromium.
import { readFileSync, existsSync, mkdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { dirname, extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../../examples/chromium.mjs';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import type { BatchBody, WaymarkEvent } from '../../src/types';
import { record } from './summary';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const FIXTURES = join(ROOT, 'test/browser/fixtures');
export const ARTIFACTS = join(ROOT, 'test/browser/.artifacts');

export const launchBrowser = (): Promise<Browser> => launchChromium();

const listen = (server: Server, port = 0) =>
  new Promise<number>((res, rej) => {
    server.once('error', rej);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', rej);
      res((server.address() as AddressInfo).port);
    });
  });

const readBody = (req: IncomingMessage) =>
  new Promise<string>((res, rej) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => res(Buffer.concat(chunks).toString('utf8')));
    req.on('error', rej);
  });

// ---------------------------------------------------------------- collector

export interface Received {
  n: number;
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  contentType: string;
  /** Raw request body, exactly as sent. */
  body: string;
  json?: BatchBody;
  events: WaymarkEvent[];
  /** When the body had fully arrived (ms since epoch). */
  time: number;
  /** What the collector answered: a status, or 0 when it dropped the connection. */
  status?: number;
  answeredAt?: number;
}

/** What to answer a POST: a status with headers, optionally late; or `destroy` to cut the socket. */
export type Answer = { status: number; headers?: Record<string, string>; delay?: number } | 'destroy';

export interface Collector {
  url: string;
  port: number;
  /** Every request in arrival order, preflights included. */
  requests: Received[];
  /** POSTs only. */
  posts(): Received[];
  /** Events the collector accepted (answered 2xx), in arrival order, duplicates kept. */
  events(): WaymarkEvent[];
  /** Events in any POST, whatever the answer. */
  seen(): WaymarkEvent[];
  /** messageIds accepted more than once. */
  duplicates(): string[];
  /** Decides the answer to each POST (default 200). Return undefined for the default. */
  respond: (req: Received, postIndex: number) => Answer | undefined;
  /** Answer the next `count` POSTs with `answer`, then go back to 200. */
  fail(count: number, answer: Answer): void;
  /** Stop accepting connections and cut the open ones. */
  down(): Promise<void>;
  up(): Promise<void>;
  /** Resolves when `cond` holds; rejects with what arrived so far after `ms`. */
  waitFor(cond: (c: Collector) => unknown, what: string, ms?: number): Promise<void>;
  /** Resolves once `ms` pass with no new request (for "nothing was sent" checks). */
  quiet(ms: number): Promise<void>;
  /** Forgets what arrived, answers 200 again, and is back up if a test left it down. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

const parseBatch = (body: string): BatchBody | undefined => {
  try {
    const j = JSON.parse(body);
    return j && Array.isArray(j.batch) ? j : undefined;
  } catch {
    return undefined;
  }
};

export async function startCollector(): Promise<Collector> {
  const sockets = new Set<Socket>();
  const waiters = new Set<() => void>();
  let failing: { count: number; answer: Answer } | undefined;
  let postIndex = 0;
  let up = true;

  const cors = (req: IncomingMessage, res: ServerResponse) => {
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
    res.setHeader('Access-Control-Allow-Headers', req.headers['access-control-request-headers'] || 'content-type');
    // Retry-After is not a CORS-safelisted response header: without this the SDK cannot read it.
    res.setHeader('Access-Control-Expose-Headers', 'Retry-After');
    res.setHeader('Access-Control-Max-Age', '600');
  };

  const c: Collector = {
    url: '',
    port: 0,
    requests: [],
    posts: () => c.requests.filter((r) => r.method == 'POST'),
    events: () => c.posts().filter((r) => r.status! >= 200 && r.status! < 300).flatMap((r) => r.events),
    seen: () => c.posts().flatMap((r) => r.events),
    duplicates: () => {
      const count = new Map<string, number>();
      for (const e of c.events()) count.set(e.messageId, (count.get(e.messageId) || 0) + 1);
      return [...count].filter(([, n]) => n > 1).map(([id]) => id);
    },
    respond: () => undefined,
    fail: (count, answer) => (failing = { count, answer }),
    down: async () => {
      up = false;
      await new Promise<void>((res) => {
        server.close(() => res());
        sockets.forEach((s) => s.destroy());
      });
    },
    up: async () => {
      await listen(server, c.port);
      up = true;
    },
    waitFor: (cond, what, ms = 15_000) =>
      new Promise<void>((res, rej) => {
        const check = () => {
          let ok: unknown;
          try {
            ok = cond(c);
          } catch {}
          if (!ok) return false;
          waiters.delete(check);
          clearTimeout(timer);
          clearInterval(poll);
          res();
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          clearInterval(poll);
          rej(new Error(`timed out waiting for ${what}; the collector has: ${describe(c)}`));
        }, ms);
        // Conditions may depend on the clock or on answers, not only on arrivals.
        const poll = setInterval(check, 50);
        if (!check()) waiters.add(check);
      }),
    quiet: async (ms) => {
      let last = c.requests.length;
      for (;;) {
        await sleep(ms);
        if (c.requests.length == last) return;
        last = c.requests.length;
      }
    },
    reset: async () => {
      c.requests.length = 0;
      c.respond = () => undefined;
      failing = undefined;
      postIndex = 0;
      if (!up) await c.up();
    },
    close: async () => {
      sockets.forEach((s) => s.destroy());
      if (up) await new Promise((res) => server.close(res));
    },
  };

  const notify = () => waiters.forEach((w) => w());

  const server = createServer(async (req, res) => {
    const body = await readBody(req).catch(() => '');
    const json = req.method == 'POST' ? parseBatch(body) : undefined;
    const r: Received = {
      n: c.requests.length,
      method: req.method!,
      path: req.url!,
      headers: req.headers,
      contentType: String(req.headers['content-type'] || ''),
      body,
      json,
      events: json ? json.batch : [],
      time: Date.now(),
    };
    c.requests.push(r);
    cors(req, res);
    if (req.method == 'OPTIONS') {
      r.status = 204;
      res.writeHead(204).end();
      return notify();
    }
    let answer: Answer = c.respond(r, postIndex++) || { status: 200 };
    if (failing && failing.count > 0) {
      failing.count--;
      answer = failing.answer;
    }
    if (answer == 'destroy') {
      r.status = 0;
      req.socket.destroy();
      return notify();
    }
    notify();
    if (answer.delay) await sleep(answer.delay);
    r.status = answer.status;
    r.answeredAt = Date.now();
    res.writeHead(answer.status, { 'Content-Type': 'application/json', ...answer.headers }).end('{}');
    notify();
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  c.port = await listen(server);
  c.url = `http://127.0.0.1:${c.port}/v1/batch`;
  return c;
}

const describe = (c: Collector) =>
  JSON.stringify(
    c.requests.map((r) => `${r.method} ${r.status ?? '…'} [${r.events.map((e) => e.event || e.type).join(',')}]`),
  );

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- site

/** How the served pages load the SDK. Reset before every test. */
export interface SiteOptions {
  consent: 'pending' | 'granted' | 'denied';
  flushInterval: number;
  /** `data-stages`: a URL or `#id`. */
  stages?: string;
  /** Where the script tag points; a missing file simulates a blocked SDK. */
  src: string;
  /** `inline` (the documented snippet) or `external` (/stub.js, for CSP pages without 'unsafe-inline'). */
  stub: 'inline' | 'external';
  /** Extra `data-` attributes, kebab-case names without the prefix. */
  attrs: Record<string, string>;
  /** Extra response headers per path, e.g. a CSP. */
  headers: Record<string, Record<string, string>>;
  /** Answer these paths this many ms late (a slow CDN, a slow rules file). */
  delays: Record<string, number>;
}

export interface Site {
  origin: string;
  port: number;
  options: SiteOptions;
  set(o: Partial<SiteOptions>): void;
  /** Paths requested, for "the SDK was requested" checks. */
  hits: string[];
  reset(): void;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

const attr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;');

/** The script tag exactly as a site owner pastes it. */
export function snippet(o: SiteOptions, endpoint: string): string {
  const data: Record<string, string> = {
    endpoint,
    consent: o.consent,
    'flush-interval': String(o.flushInterval),
    ...(o.stages ? { stages: o.stages } : {}),
    ...o.attrs,
  };
  const stub =
    o.stub == 'inline'
      ? '<script>window.waymark=typeof waymark==\'function\'?waymark:function(){(waymark.q=waymark.q||[]).push(arguments)}</script>'
      : '<script src="/stub.js"></script>';
  const attrs = Object.entries(data)
    .map(([k, v]) => ` data-${k}="${attr(v)}"`)
    .join('');
  return `${stub}\n<script async src="${attr(o.src)}"${attrs}></script>`;
}

const defaults = (): SiteOptions => ({
  consent: 'pending',
  flushInterval: 200,
  src: '/waymark.min.js',
  stub: 'inline',
  attrs: {},
  headers: {},
  delays: {},
});

/**
 * Serves test/browser/fixtures with `<!-- waymark -->` replaced by the snippet, the built
 * bundle at /waymark.min.js, and test-time bundles at /artifacts/. `/spa/*` falls back to
 * the SPA page so reloads after pushState work. POSTs (form submissions) get the page too.
 */
export async function startSite(collector: Collector): Promise<Site> {
  const bundle = join(ROOT, 'dist/waymark.min.js');
  if (!existsSync(bundle)) throw new Error('dist/waymark.min.js is missing: run `npx rollup -c --silent` first');
  const site: Site = {
    origin: '',
    port: 0,
    options: defaults(),
    set: (o) => Object.assign(site.options, o),
    hits: [],
    reset: () => {
      site.options = defaults();
      site.hits.length = 0;
    },
    close: () => new Promise((res) => server.close(() => res())),
  };
  const server = createServer(async (req, res) => {
    await readBody(req).catch(() => '');
    const path = decodeURIComponent(new URL(req.url!, 'http://x').pathname);
    site.hits.push(path);
    // Browsers ask for it on their own; a 404 would show up as a console error in every test.
    if (path == '/favicon.ico') return void res.writeHead(204).end();
    if (site.options.delays[path]) await sleep(site.options.delays[path]);
    let file: string | undefined;
    if (path == '/waymark.min.js') file = bundle;
    else if (path == '/waymark.vitals.min.js') file = join(ROOT, 'dist/waymark.vitals.min.js');
    else if (path.startsWith('/artifacts/')) file = join(ARTIFACTS, normalize(path.slice(11)));
    else if (path == '/' ) file = join(FIXTURES, 'landing.html');
    else if (path.startsWith('/spa/') || path == '/spa') file = join(FIXTURES, 'spa.html');
    else if (path.startsWith('/csp/')) file = join(FIXTURES, 'csp.html');
    else file = join(FIXTURES, normalize(path));
    const inside = file.startsWith(FIXTURES) || file.startsWith(ARTIFACTS) || file.startsWith(join(ROOT, 'dist/waymark.'));
    if (!inside || !existsSync(file) || extname(file) == '') {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    let body: string | Buffer = readFileSync(file);
    if (extname(file) == '.html') {
      body = body
        .toString('utf8')
        .replace('<!-- waymark -->', snippet(site.options, collector.url))
        .replace(/__COLLECTOR__/g, collector.url)
        .replace(/__CONSENT__/g, site.options.consent);
    }
    res.writeHead(200, {
      'Content-Type': TYPES[extname(file)] || 'application/octet-stream',
      'Cache-Control': 'no-store',
      ...site.options.headers[path.startsWith('/csp/') ? '/csp.html' : path],
    });
    res.end(body);
  });
  site.port = await listen(server);
  site.origin = `http://127.0.0.1:${site.port}`;
  return site;
}

/**
 * Whether a source module (e.g. `capture/clicks`) is written yet: the capture modules and
 * the stage engine are developed in parallel and start as placeholders.
 */
export const implemented = (module: string): boolean => {
  const file = join(ROOT, 'src', module + '.ts');
  return existsSync(file) && !/^\/\/ Placeholder/m.test(readFileSync(file, 'utf8'));
};

// ---------------------------------------------------------------- npm build

/**
 * Bundles an app that imports `waymark` the way a user's bundler would: through the
 * package's `exports` map to the built dist/*.mjs, with idb-keyval from node_modules.
 * Returns the URL path it is served at.
 */
export async function bundleApp(entry: string, name: string): Promise<string> {
  const { rollup } = await import('rollup');
  const { nodeResolve } = await import('@rollup/plugin-node-resolve');
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const self = {
    name: 'self-reference',
    // The test imports the package by its own name, as an app in node_modules would.
    resolveId(id: string) {
      if (id != pkg.name && !id.startsWith(pkg.name + '/')) return null;
      const target = pkg.exports['.' + id.slice(pkg.name.length)];
      const file = typeof target == 'string' ? target : (target?.import?.default ?? target?.import);
      return file ? join(ROOT, file) : null;
    },
  };
  const b = await rollup({ input: join(FIXTURES, entry), plugins: [self, nodeResolve({ browser: true })] });
  await b.write({ file: join(ARTIFACTS, name), format: 'es' });
  await b.close();
  return '/artifacts/' + name;
}

// ---------------------------------------------------------------- pages

export interface FeedEntry {
  /** What the SDK reported through on(), or `violation` for a CSP report (see hostile.test.ts). */
  kind: 'event' | 'error' | 'sent' | 'stage' | 'consent' | 'violation';
  data: any;
  /** The page URL the report came from. */
  url: string;
  time: number;
}

export interface Ctx {
  context: BrowserContext;
  /** What the SDK reported through on('event' | 'error' | 'sent' | 'stage' | 'consent') in every page of this context. */
  feed: FeedEntry[];
  /**
   * messageIds of the events the SDK accepted in this context (before consent gating), or
   * only those of one event name. Whether a landing page view shows up here depends on
   * timing (it may be made before the subscription), so tests name what they count.
   */
  tracked(name?: string): string[];
  /** Opens a new tab at `path`; `before` runs on the page before it navigates (e.g. to fake its clock). */
  open(path: string, before?: (page: Page) => Promise<unknown>): Promise<Tab>;
  /** Page errors and console errors of every page opened through open(). */
  errors: string[];
}

export interface Tab {
  page: Page;
  /** Runs a `waymark(...)` command in the page. */
  cmd(...args: unknown[]): Promise<void>;
  /** Names of existing IndexedDB databases. */
  databases(): Promise<string[]>;
  /** Everything web storage and cookies hold. */
  storage(): Promise<{ local: number; session: number; cookie: string }>;
  /** The SDK's IndexedDB contents (without creating the database). */
  queue(): Promise<Record<string, any>>;
  /** messageIds of the events persisted in the queue. */
  queued(): Promise<string[]>;
  /** Storage entry points the SDK touched (needs the `spyStorage` context option). */
  storageCalls(): Promise<string[]>;
}

export interface ContextOptions {
  /** Subscribe to the SDK's events through the stub queue (adds a binding to `window`). Default true. */
  feed?: boolean;
  /** Pretend Global Privacy Control is on. */
  gpc?: boolean;
  /** Pretend Do Not Track is on. */
  dnt?: boolean;
  /** Record every storage access the SDK's own code makes (see Tab.storageCalls). */
  spyStorage?: boolean;
}

// Wraps every storage entry point and keeps the calls whose stack passes through the SDK's
// files, so the test's own probes (indexedDB.databases() …) do not count.
const SPY_SCRIPT = () => {
  const calls: string[] = [];
  const sdk = /\/waymark\.min\.js|\/artifacts\//;
  const note = (what: string) => sdk.test(new Error().stack || '') && calls.push(what);
  const wrap = (obj: any, name: string, label: string) => {
    const d = Object.getOwnPropertyDescriptor(obj, name);
    if (!d) return;
    if (typeof d.value == 'function') {
      const f = d.value;
      Object.defineProperty(obj, name, {
        ...d,
        value: function (this: unknown, ...a: unknown[]) {
          note(label + name);
          return f.apply(this, a);
        },
      });
    } else if (d.get) {
      Object.defineProperty(obj, name, {
        ...d,
        get() {
          note(label + name);
          return d.get!.call(this);
        },
        set:
          d.set &&
          function (this: unknown, v: unknown) {
            note(label + name + '=');
            return d.set!.call(this, v);
          },
      });
    }
  };
  ['open', 'deleteDatabase', 'databases'].forEach((n) => wrap(IDBFactory.prototype, n, 'indexedDB.'));
  ['getItem', 'setItem', 'removeItem', 'clear', 'key'].forEach((n) => wrap(Storage.prototype, n, 'Storage.'));
  ['indexedDB', 'localStorage', 'sessionStorage'].forEach((n) => wrap(window, n, 'window.'));
  wrap(Document.prototype, 'cookie', 'document.');
  Object.defineProperty(document, '__wmStorageCalls', { value: calls });
};

// Runs before any page script. Queues the subscriptions in the stub, so they run as soon as
// the SDK boots. The initial page view fires while the tracker is created, before the queue
// is replayed, so the feed never sees it: tests read it from the queue or the collector.
const FEED_SCRIPT = () => {
  const w = window as any;
  w.waymark = w.waymark || function () {
    (w.waymark.q = w.waymark.q || []).push(arguments);
  };
  for (const kind of ['event', 'error', 'sent', 'stage', 'consent']) {
    w.waymark('on', kind, (d: unknown) => {
      let data = d;
      try {
        data = JSON.parse(JSON.stringify(d));
      } catch {}
      w.__wmFeed(kind, data);
    });
  }
};

export async function newContext(browser: Browser, origin: string, o: ContextOptions = {}): Promise<Ctx> {
  const context = await browser.newContext();
  const feed: FeedEntry[] = [];
  const errors: string[] = [];
  if (o.gpc) {
    await context.addInitScript(() => Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true, configurable: true }));
  }
  if (o.dnt) {
    await context.addInitScript(() => Object.defineProperty(Navigator.prototype, 'doNotTrack', { get: () => '1', configurable: true }));
  }
  if (o.spyStorage) await context.addInitScript(SPY_SCRIPT);
  if (o.feed !== false) {
    await context.exposeBinding('__wmFeed', ({ page }, kind, data) => {
      feed.push({ kind, data, url: page.url(), time: Date.now() });
    });
    await context.addInitScript(FEED_SCRIPT);
  }
  const ctx: Ctx = {
    context,
    feed,
    errors,
    tracked: (name) =>
      feed.filter((f) => f.kind == 'event' && (!name || f.data.event == name)).map((f) => f.data.messageId),
    open: async (path, before) => {
      const page = await context.newPage();
      watchErrors(page, errors);
      await before?.(page);
      await page.goto(path.startsWith('http') ? path : origin + path);
      return tab(page);
    },
  };
  return ctx;
}

/** Collects uncaught page errors and console errors into `into`. */
export function watchErrors(page: Page, into: string[]) {
  page.on('pageerror', (e) => into.push('pageerror: ' + e.message));
  page.on('console', (m) => {
    if (m.type() == 'error') into.push('console: ' + m.text() + ' @ ' + (m.location().url || ''));
  });
}

export function tab(page: Page): Tab {
  return {
    page,
    cmd: (...args) => page.evaluate((a) => void (window as any).waymark(...a), args),
    databases: () => page.evaluate(async () => (await indexedDB.databases()).map((d) => d.name!)),
    storage: () =>
      page.evaluate(() => ({ local: localStorage.length, session: sessionStorage.length, cookie: document.cookie })),
    queue: () => page.evaluate(DUMP, 'waymark'),
    queued: async () =>
      Object.entries(await page.evaluate(DUMP, 'waymark'))
        .filter(([k]) => k[0] == 'e')
        .map(([k, v]) => messageIdOf(k, v)),
    storageCalls: () => page.evaluate(() => [...((document as any).__wmStorageCalls || [])]),
  };
}

/** An event row's messageId: from its stored JSON, else the key's end (keys end with it). */
const messageIdOf = (key: string, value: unknown): string => {
  try {
    const json = Array.isArray(value) ? value[0] : value;
    const id = (typeof json == 'string' ? JSON.parse(json) : json).messageId;
    if (typeof id == 'string') return id;
  } catch {}
  return key.slice(-36);
};

// Reads the queue the way a devtools user would, without creating the database when it is missing.
const DUMP = async (name: string) => {
  if (!(await indexedDB.databases()).some((d) => d.name == name)) return {};
  const db: IDBDatabase = await new Promise((res, rej) => {
    const r = indexedDB.open(name);
    r.onsuccess = () => res(r.result);
    r.onerror = () => rej(r.error);
  });
  const out: Record<string, any> = {};
  try {
    if (!db.objectStoreNames.contains('q')) return out;
    await new Promise<void>((res, rej) => {
      const tx = db.transaction('q');
      const cur = tx.objectStore('q').openCursor();
      cur.onsuccess = () => {
        if (!cur.result) return;
        out[String(cur.result.key)] = cur.result.value;
        cur.result.continue();
      };
      tx.oncomplete = () => res();
      tx.onerror = () => rej(tx.error);
    });
  } finally {
    // An open connection would block the SDK's deleteDatabase on a revoke.
    db.close();
  }
  return out;
};

// ---------------------------------------------------------------- per-file environment

export interface Env {
  browser: Browser;
  site: Site;
  collector: Collector;
  /** A fresh browser context, closed after the test. */
  context(o?: ContextOptions): Promise<Ctx>;
  /** Adds this test's delivery numbers to the run summary. */
  account(a: { expected: string[]; beforeConsent?: number }): { lost: string[]; duplicated: string[] };
}

/**
 * One browser, site and collector per test file; a new context per test. Registers the
 * vitest hooks, so call it at the top level of a test file.
 */
export function useEnv(file: string): Env {
  const contexts: BrowserContext[] = [];
  const tally = { files: 1, sent: 0, lost: 0, duplicated: 0, beforeConsent: 0 };
  const env = {} as Env;
  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    env.collector = await startCollector();
    env.site = await startSite(env.collector);
    env.browser = await launchBrowser();
  });
  beforeEach(async () => {
    await env.collector.reset();
    env.site.reset();
  });
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((c) => c.close().catch(() => {})));
    // Closing a page hides it: its page-hide request (a form left started: Form Abandoned) can
    // reach the collector after the next test's reset, and would count as that test's.
    await env.collector.quiet(250);
  });
  afterAll(async () => {
    await env.browser?.close();
    await env.site?.close();
    await env.collector?.close();
    record(file, tally);
  });
  env.context = async (o) => {
    const c = await newContext(env.browser, env.site.origin, o);
    contexts.push(c.context);
    return c;
  };
  env.account = ({ expected, beforeConsent = 0 }) => {
    const got = env.collector.events().map((e) => e.messageId);
    const have = new Set(got);
    const lost = [...new Set(expected)].filter((id) => !have.has(id));
    const duplicated = env.collector.duplicates();
    tally.sent += got.length;
    tally.lost += lost.length;
    tally.duplicated += duplicated.length;
    tally.beforeConsent += beforeConsent;
    return { lost, duplicated };
  };
  return env;
}
