// Strict and hostile pages: a CSP with Trusted Types, globals and built-ins that must stay
// untouched, broken rules files, and an SDK file that never loads.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { implemented, ROOT, useEnv, watchErrors, type Ctx } from './harness';

const env = useEnv('hostile');

/** Chromium logs failed subresource loads as console errors; those are the network's, not the SDK's. */
const notResourceErrors = (errors: string[]) => errors.filter((e) => !/Failed to load resource/.test(e));

const reportViolations = (ctx: Ctx) =>
  ctx.context.addInitScript(() =>
    document.addEventListener('securitypolicyviolation', (e) =>
      (window as any).__wmFeed('violation', { directive: e.violatedDirective, blocked: e.blockedURI, sample: e.sample }),
    ),
  );

// Runs before any page script: keeps the window's own property names and the descriptors of
// the built-ins, on `document` (not `window`, which is what is being measured).
const SNAPSHOT = () => {
  const names = [
    'Object', 'Array', 'Function', 'String', 'Number', 'Boolean', 'Symbol', 'BigInt', 'Promise', 'Map', 'Set',
    'WeakMap', 'WeakSet', 'WeakRef', 'Date', 'RegExp', 'Error', 'TypeError', 'JSON', 'Math', 'Reflect', 'Intl',
    'EventTarget', 'Node', 'Element', 'HTMLElement', 'HTMLAnchorElement', 'HTMLButtonElement', 'HTMLFormElement',
    'HTMLInputElement', 'HTMLScriptElement', 'Document', 'Window', 'History', 'Location', 'Navigator', 'Storage',
    'IDBFactory', 'IDBDatabase', 'IDBObjectStore', 'IDBTransaction', 'IDBRequest', 'IDBCursor', 'XMLHttpRequest',
    'Response', 'Request', 'Headers', 'URL', 'URLSearchParams', 'BroadcastChannel', 'AbortController',
    'AbortSignal', 'Event', 'UIEvent', 'MouseEvent', 'PointerEvent', 'KeyboardEvent', 'FocusEvent', 'InputEvent',
    'SubmitEvent', 'PerformanceObserver', 'MutationObserver', 'Crypto', 'LockManager', 'Performance', 'console',
  ];
  const w = window as any;
  const take = () => {
    const out = new Map<string, PropertyDescriptor>();
    const add = (label: string, obj: any) => {
      if (!obj || (typeof obj != 'object' && typeof obj != 'function')) return;
      for (const k of Reflect.ownKeys(obj)) out.set(label + '.' + String(k), Object.getOwnPropertyDescriptor(obj, k)!);
    };
    for (const n of names) add(n, w[n]), add(n + '.prototype', w[n] && w[n].prototype);
    add('window', window);
    add('document', document);
    return out;
  };
  const before = take();
  Object.defineProperty(document, '__wmSnapshot', {
    value: () => {
      const after = take();
      const same = (a: PropertyDescriptor, b: PropertyDescriptor) =>
        Object.is(a.value, b.value) && a.get === b.get && a.set === b.set && a.writable === b.writable &&
        a.enumerable === b.enumerable && a.configurable === b.configurable;
      const added = [...after.keys()].filter((k) => !before.has(k));
      const removed = [...before.keys()].filter((k) => !after.has(k));
      const changed = [...before.keys()].filter((k) => after.has(k) && !same(before.get(k)!, after.get(k)!));
      return { added, removed, changed, history: Object.getOwnPropertyNames(history) };
    },
  });
};

describe('hostile and strict pages', () => {
  it('a strict CSP with Trusted Types: no violation, no console error, and the events still arrive', async () => {
    const { collector } = env;
    const csp = `default-src 'self'; connect-src ${new URL(collector.url).origin}; require-trusted-types-for 'script'; trusted-types 'none'`;
    env.site.set({ consent: 'granted', stub: 'external', stages: '#rules', headers: { '/csp.html': { 'Content-Security-Policy': csp } } });
    const ctx = await env.context();
    await reportViolations(ctx);
    const t = await ctx.open('/csp.html');
    // Exercise every capture path the page offers: clicks, a form, an SPA route, rage clicks.
    await t.page.click('#plan');
    await t.page.click('#save');
    await t.page.fill('#email', 'not-an-email');
    await t.page.click('#submit-prefs');
    await t.page.fill('#email', 'csp-sentinel@example.com');
    await t.page.fill('#nick', 'trail-sentinel');
    await t.page.click('#submit-prefs');
    for (let i = 0; i < 5; i++) await t.page.click('#promo', { delay: 0 });
    await t.page.click('#to-settings');
    await t.cmd('feedback', { score: 9, scale: 'nps', comment: 'fine' });
    await collector.waitFor((c) => c.events().some((e) => e.event == 'Feedback Submitted'), 'the events of the CSP page');
    await t.page.close({ runBeforeUnload: true });
    await collector.quiet(500);

    const names = collector.events().map((e) => e.event || e.type + ' ' + e.context.page.path);
    expect(names).toContain('page /csp.html');
    expect(names).toContain('page /csp/settings');
    expect(names).toContain('Preferences Saved');
    expect(ctx.feed.filter((f) => f.kind == 'violation').map((f) => f.data)).toEqual([]);
    expect(ctx.errors).toEqual([]);
    for (const r of collector.posts()) expect(r.body).not.toMatch(/csp-sentinel|trail-sentinel|not-an-email/);
    const { lost, duplicated } = env.account({ expected: ctx.tracked() });
    expect(lost.map((id) => ctx.feed.find((f) => f.data.messageId == id)!.data.event)).toEqual([]);
    expect(duplicated).toEqual([]);
  });

  // README promises a strict CSP; its snippet's first line is an inline script, which such a
  // CSP refuses unless README gives the way to allow it (its hash).
  it("README's snippet on a page with a strict CSP (script-src 'self' and what README says to add): the stub runs, and the site's calls before the SDK arrives neither throw nor get lost", async () => {
    const { collector } = env;
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const hash = /'sha256-[A-Za-z0-9+/=]+'/.exec(readme)?.[0] ?? '';
    const csp = `default-src 'self'; script-src 'self' ${hash}; connect-src ${new URL(collector.url).origin}; require-trusted-types-for 'script'; trusted-types 'none'`;
    env.site.set({ consent: 'granted', stub: 'inline', headers: { '/csp.html': { 'Content-Security-Policy': csp } }, delays: { '/waymark.min.js': 1500 } });
    const ctx = await env.context({ feed: false });
    const page = await ctx.context.newPage();
    watchErrors(page, ctx.errors);
    // Not waiting for the load event, which waits for the async SDK.
    await page.goto(env.site.origin + '/csp.html', { waitUntil: 'domcontentloaded' });
    await page.click('#save'); // the site's own handler calls waymark('track', 'Preferences Saved')
    expect(await page.evaluate(() => (window as any).waymark?.version)).toBeUndefined(); // before the SDK arrived
    await collector.waitFor((c) => c.events().some((e) => e.event == 'Preferences Saved'), 'the event tracked before the SDK arrived', 6000);
    expect(ctx.errors).toEqual([]);
    env.account({ expected: [] });
  });

  it('adds nothing to window but `waymark`, and changes no built-in', async () => {
    const { collector } = env;
    env.site.set({ consent: 'granted' });
    const ctx = await env.context({ feed: false });
    await ctx.context.addInitScript(SNAPSHOT);
    const t = await ctx.open('/landing.html');
    await t.page.waitForFunction(() => (window as any).waymark.version);
    await t.page.click('#newsletter');
    for (let i = 0; i < 4; i++) await t.page.click('#promo', { delay: 0 });
    await t.cmd('identify', 'user-1', { plan: 'pro' });
    await t.cmd('feedback', { score: 5, scale: 'csat' });
    await t.page.evaluate(() => {
      history.pushState({}, '', '/landing.html?step=2');
      history.back();
    });
    await collector.waitFor((c) => c.events().some((e) => e.event == 'Feedback Submitted'), 'the events');
    const diff = await t.page.evaluate(() => (document as any).__wmSnapshot());
    expect(diff.added.filter((k: string) => k != 'document.__wmSnapshot')).toEqual(['window.waymark']);
    expect(diff.removed).toEqual([]);
    expect(diff.changed).toEqual([]);
    // Page views need the history patch (own properties of `history`, removed on shutdown).
    expect(diff.history.filter((k: string) => !['pushState', 'replaceState'].includes(k))).toEqual([]);
    expect(ctx.errors).toEqual([]);
    env.account({ expected: [] });
  });

  it('a bare boolean attribute (<script data-debug>) turns the option on', async () => {
    const { collector } = env;
    env.site.set({ consent: 'granted', attrs: { debug: '' } });
    const ctx = await env.context({ feed: false });
    const page = await ctx.context.newPage();
    const debug: string[] = [];
    page.on('console', (m) => m.type() == 'debug' && debug.push(m.text()));
    await page.goto(env.site.origin + '/landing.html');
    await collector.waitFor((c) => c.events().some((e) => e.type == 'page'), 'the page view');
    // Debug mode logs every event it processes. (Polled: the page's console messages reach the
    // test over another channel than the collector's request, and may come after it.)
    await expect.poll(() => debug.some((line) => line.startsWith('[waymark] granted page'))).toBe(true);
    env.account({ expected: [] });
  });

  const broken: [string, string, string][] = [
    ['a rules file that is not JSON', '/landing.html', '/broken.json'],
    ['a rules file of the wrong shape', '/landing.html', '/wrong-shape.json'],
    ['a rules file that is missing (404)', '/landing.html', '/no-such-rules.json'],
    ['an inline rules block that is cut short', '/inline-rules.html', '#broken-rules'],
    ['an inline rules block that is not JSON', '/inline-rules.html', '#not-json'],
    ['an inline rules id that does not exist', '/inline-rules.html', '#no-such-block'],
  ];
  for (const [what, path, stages] of broken) {
    it(`${what} breaks nothing: no page error, and tracking goes on without stages`, async () => {
      const { collector } = env;
      env.site.set({ consent: 'granted', stages });
      const ctx = await env.context();
      const t = await ctx.open(path);
      await t.cmd('track', 'Still Tracking');
      await collector.waitFor((c) => c.events().some((e) => e.event == 'Still Tracking') && c.events().some((e) => e.type == 'page'), 'the events');
      expect(notResourceErrors(ctx.errors)).toEqual([]);
      for (const e of collector.events()) expect(e.context.journey?.stage ?? null).toBeNull();
      expect(collector.events().filter((e) => e.event == 'Journey Stage Entered')).toEqual([]);
      // Bad rules are reported through on('error') with code "rules" (once the stage engine exists).
      if (implemented('journey/index')) expect(ctx.feed.filter((f) => f.kind == 'error').map((f) => f.data.code)).toContain('rules');
      env.account({ expected: ctx.tracked() });
    });
  }

  for (const how of ['404', 'blocked by the client'] as const) {
    it(`an SDK file that never loads (${how}): the stub's calls cause no error and the site keeps working`, async () => {
      const { collector } = env;
      env.site.set({ consent: 'granted', src: '/vendor/waymark.min.js' });
      const ctx = await env.context({ feed: false });
      if (how != '404') await ctx.context.route('**/vendor/waymark.min.js', (r) => r.abort('blockedbyclient'));
      const t = await ctx.open('/landing.html');
      expect(await t.page.evaluate(() => document.body.dataset.ready)).toBe('yes');
      for (const args of [
        ['consent', 'granted'],
        ['track', 'Queued', { n: 1 }],
        ['page'],
        ['identify', 'user-1', { plan: 'pro' }],
        ['feedback', { score: 4, scale: 'csat' }],
        ['reset'],
        ['flush'],
        ['no-such-command'],
      ]) {
        await t.page.evaluate((a) => (window as any).waymark(...a), args as unknown[]);
      }
      await t.page.evaluate(() => (window as any).waymark('on', 'stage', () => {}));
      // The site's own handler that calls waymark() runs to its end.
      await t.page.click('#newsletter');
      await expect.poll(() => t.page.textContent('#status')).toBe('subscribed');
      await collector.quiet(600);
      expect(collector.requests).toEqual([]);
      expect(ctx.errors.filter((e) => !/Failed to load resource.*(404|ERR_BLOCKED_BY_CLIENT)/.test(e))).toEqual([]);
      expect(ctx.errors.length).toBe(1);
      env.account({ expected: [] });
    });
  }
});
