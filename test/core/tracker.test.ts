import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { createTracker, journey, pageViews } from '../../src';
import type { Plugin, PluginContext, WaymarkError, WaymarkEvent } from '../../src/types';
import { VERSION } from '../../src/version';
import pkg from '../../package.json';
import { idbStore } from '../../src/core/store';
import { fakeCollector, freshIndexedDB, settle } from '../helpers';

const endpoint = 'https://collect.test/v1/batch';
beforeEach(() => {
  freshIndexedDB();
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

async function run(opts: object, fn: (t: any) => void | Promise<void>) {
  const c = fakeCollector();
  const t = createTracker({ endpoint, consent: 'granted', ...opts });
  const errors: WaymarkError[] = [];
  t.on('error', (e) => errors.push(e));
  await fn(t);
  await t.flush();
  await settle();
  await t.shutdown();
  return { c, errors, events: c.events() };
}

describe('options', () => {
  test.each([
    [undefined, /endpoint/],
    [{}, /endpoint/],
    [{ endpoint: '' }, /endpoint/],
    [{ endpoint, consent: 'yes' }, /consent/],
    [{ endpoint, capture: [{}] }, /option "capture" must be an array of plugins/],
    // Brackets forgotten: a plugin, not a list of them.
    [{ endpoint, capture: pageViews() }, /option "capture" must be an array of plugins/],
    [{ endpoint, plugins: ['scrollDepth'] }, /option "plugins" must be an array of plugins/],
    [{ endpoint, plugins: pageViews() }, /option "plugins" must be an array of plugins/],
    [{ endpoint, stages: { stages: ['a'], rules: [] } }, /journey\(rules\)/],
    [{ endpoint: 'ftp://collect.test/batch' }, /endpoint/],
    [{ endpoint: 'http://[collect' }, /endpoint/],
    // fetch() would refuse these at every send: a value outside ISO-8859-1, a name with a space.
    [{ endpoint, headers: { Authorization: 'Bearer k€y' } }, /headers/],
    [{ endpoint, headers: { 'X Key': 'a' } }, /headers/],
    [{ endpoint, batchSize: 0 }, /batchSize/],
    [{ endpoint, batchSize: -1 }, /batchSize/],
    [{ endpoint, batchSize: NaN }, /batchSize/],
    [{ endpoint, flushInterval: -5 }, /flushInterval/],
    [{ endpoint, maxQueue: Infinity }, /maxQueue/],
    [{ endpoint, maxPending: '200' }, /maxPending/],
    // A data- attribute that is not a whole number stays a string.
    [{ endpoint, sessionTimeout: '30m' }, /sessionTimeout/],
    [{ endpoint, sessionTimeout: 0 }, /sessionTimeout/],
  ])('a programmer mistake throws at setup: %j', (opts, message) => {
    // happy-dom's Headers accepts what browsers' refuses: a header name must be a token, a value ISO-8859-1.
    vi.stubGlobal(
      'Headers',
      class {
        constructor(h: Record<string, string>) {
          for (const [k, v] of Object.entries(h)) if (!/^[\w!#$%&'*+.^`|~-]+$/.test(k) || /[^\x00-\xff]/.test(v)) throw new TypeError('invalid header');
        }
      },
    );
    expect(() => createTracker(opts as any)).toThrow(message);
    expect(() => createTracker(opts as any)).toThrow(TypeError);
  });

  test('an option given as undefined (an unset config value) keeps its default', async () => {
    Object.defineProperty(navigator, 'globalPrivacyControl', { value: true, configurable: true });
    try {
      const cfg: { respectGpc?: boolean; batchSize?: number; maxPending?: number } = {};
      const c = fakeCollector();
      const t = createTracker({ endpoint, consent: 'granted', ...cfg, respectGpc: cfg.respectGpc });
      // GPC still counts.
      expect(t.consentState).toBe('denied');
      await t.shutdown();
      delete (navigator as any).globalPrivacyControl;
      const u = createTracker({ endpoint, batchSize: cfg.batchSize, maxPending: cfg.maxPending });
      u.track('Landing');
      u.consent('granted');
      await u.flush();
      await settle();
      // maxPending undefined did not drop it; batchSize undefined did not stop delivery.
      expect(c.names()).toEqual(['Landing']);
      await u.shutdown();
    } finally {
      delete (navigator as any).globalPrivacyControl;
    }
  });

  test("the caller's options object is never changed", async () => {
    const opts = Object.freeze({ endpoint, consent: 'pending' as const, redact: Object.freeze(['Ref']) });
    const t = createTracker(opts as any);
    expect(opts).toEqual({ endpoint, consent: 'pending', redact: ['Ref'] });
    await t.shutdown();
  });

  test('the library version matches package.json', () => {
    expect(VERSION).toBe(pkg.version);
  });
});

describe('events', () => {
  test('page() carries the page in properties and context, with an optional name', async () => {
    const { events } = await run({}, (t) => {
      t.page();
      t.page('Pricing', { plan: 'pro' });
    });
    expect(events[0]).toMatchObject({ type: 'page', properties: { url: expect.any(String), path: location.pathname } });
    expect(events[0].name).toBeUndefined();
    expect(events[1]).toMatchObject({ type: 'page', name: 'Pricing', properties: { plan: 'pro', path: location.pathname } });
  });

  // A virtual page view (a modal step, a wizard page) as Segment's analytics.js takes it: the
  // page fields given in properties are the page's, in context.page too. There the stage rules'
  // path globs look, and the collectors' page columns (context_page_path) come from.
  test('page(name, { path, url }): the page fields given are the page in context.page too, where path rules match them', async () => {
    const { events } = await run({ stages: journey({ stages: ['a'], rules: [{ stage: 'a', when: { type: 'page', path: '/checkout/step-2' } }] }) }, (t) => {
      t.page('Step 2', { path: '/checkout/step-2', url: 'https://shop.test/checkout/step-2', plan: 'pro' });
    });
    expect(events[0]).toMatchObject({
      properties: { path: '/checkout/step-2', url: 'https://shop.test/checkout/step-2', plan: 'pro' },
      context: { page: { path: '/checkout/step-2', url: 'https://shop.test/checkout/step-2', referrer: expect.any(String) }, journey: { stage: 'a' } },
    });
    expect(events[0].context.page).not.toHaveProperty('plan');
  });

  test('identify() sends traits and sets userId on the events after it; reset() forgets the user', async () => {
    const { events } = await run({}, (t) => {
      t.track('Before');
      t.identify('u-42', { plan: 'pro' });
      t.track('After');
      t.reset();
      t.track('Reset');
    });
    const [before, ident, after, reset] = events;
    expect(before.userId).toBeNull();
    expect(ident).toMatchObject({ type: 'identify', userId: 'u-42', traits: { plan: 'pro' } });
    expect(after.userId).toBe('u-42');
    expect(after.anonymousId).toBe(before.anonymousId);
    expect(reset.userId).toBeNull();
    expect(reset.anonymousId).not.toBe(before.anonymousId);
    expect(reset.context.session.id).not.toBe(before.context.session.id);
  });

  // A site that passes its user's id as it has it (`identify(user.id ?? '')`) when nobody is
  // signed in: "" identifies no one. Sent as `"userId": ""`, every event after it failed the
  // reference collector's check (a userId is null or 1 to 200 characters), so the collector
  // stored none of them, with a 200 the SDK counts as delivered.
  test('identify("") identifies no one: the events after it have userId null, and pass the reference collector', async () => {
    const { validateBatch } = await import('../../examples/collector/validate.mjs');
    const { c, events } = await run({}, (t) => {
      t.identify('');
      t.track('After');
    });
    expect(events.map((e) => e.userId)).toEqual([null, null]);
    expect(c.requests.flatMap((r) => validateBatch(r.body))).toEqual([]);
  });

  // The release before that fix saved "" as the user id (a visitor signed out that way), and a
  // tab still open on it during a deploy tells the others "" at its identify(""): the events of
  // that visitor, now and on every later visit, must still not carry "userId": "".
  test.each([
    ['saved by the release before', async () => {
      const s = idbStore('waymark');
      await s.put([['v', { a: 'anon-1', u: '' }]]);
      await s.close();
    }, () => {}],
    ['told by a tab still on it', async () => {}, () => new BroadcastChannel('waymark:waymark').postMessage({ u: '' })],
  ])('a user id "" %s identifies no one either', async (_, before, during) => {
    await before();
    const { c, events } = await run({}, async (t) => {
      await settle();
      during();
      await settle();
      t.track('After');
    });
    const { validateBatch } = await import('../../examples/collector/validate.mjs');
    expect(events.find((e) => e.event == 'After')!.userId).toBe(null);
    expect(c.requests.flatMap((r) => validateBatch(r.body))).toEqual([]);
  });

  test("identify(traits), Segment's shape: traits for the current user, whose id stays", async () => {
    const { events } = await run({}, (t) => {
      t.identify({ plan: 'free' } as any);
      t.identify('u-42');
      t.identify({ plan: 'pro' } as any);
      t.track('After');
    });
    expect(events.map((e) => [e.userId, e.traits])).toEqual([
      [null, { plan: 'free' }],
      ['u-42', {}],
      ['u-42', { plan: 'pro' }],
      ['u-42', undefined],
    ]);
  });

  test('properties are copied, so later changes by the page do not leak into queued events', async () => {
    const props = { n: 1 };
    const { events } = await run({}, (t) => {
      t.track('A', props);
      props.n = 2;
    });
    expect(events[0].properties).toEqual({ n: 1 });
  });

  test('a session rotates after 30 minutes idle, and its number counts up', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] });
    const { events } = await run({}, async (t) => {
      t.track('A');
      await vi.advanceTimersByTimeAsync(29 * 60_000);
      t.track('B');
      await vi.advanceTimersByTimeAsync(31 * 60_000);
      t.track('C');
    });
    const [a, b, c] = events.map((e) => e.context.session);
    expect(b).toEqual(a);
    expect(c.id).not.toBe(a.id);
    expect([a.number, c.number]).toEqual([1, 2]);
  });

  // A logout starts a new visitor (as PostHog's reset() does): its first session is 1, not the
  // forgotten visitor's count plus one, or a rule `session: { gte: 2 }` ("a returning visitor")
  // calls the next person on a shared computer a returning visitor.
  test('reset() starts a new visitor: the next event starts session 1, with a new session id, and is no returning visitor', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] });
    const rules = { stages: ['new', 'returning'], progression: 'latest', rules: [
      { stage: 'new', when: { type: 'track' } },
      { stage: 'returning', when: { type: 'track', session: { gte: 2 } } },
    ] };
    const { events } = await run({ stages: journey(rules as any) }, async (t) => {
      t.track('A');
      await vi.advanceTimersByTimeAsync(31 * 60_000);
      t.track('B');
      t.reset();
      t.track('After logout');
    });
    const [a, b, after] = ['A', 'B', 'After logout'].map((n) => events.find((e) => e.event == n)!);
    expect([a.context.session.number, b.context.session.number]).toEqual([1, 2]);
    expect(after.context.session.number).toBe(1);
    expect([a.context.session.id, b.context.session.id]).not.toContain(after.context.session.id);
    expect(after.context.journey!.stage).toBe('new');
  });

  test("reset() before the saved visitor is read: the next visitor's first session is 1, not the saved count plus one", async () => {
    const s = idbStore('waymark');
    await s.put([['v', { a: 'anon-1', u: 'alice', s: 'old', t: Date.now() - 864e5, n: 4 }]]);
    await s.close();
    const { events } = await run({}, async (t) => {
      t.track('Landing');
      t.reset(); // the logout page queues reset() at load
      t.track('After logout');
      await settle();
      t.track('Later');
    });
    const [landing, after, later] = ['Landing', 'After logout', 'Later'].map((n) => events.find((e) => e.event == n)!);
    expect([landing.anonymousId, landing.context.session.number]).toEqual(['anon-1', 5]);
    expect([after.context.session.number, later.context.session.number]).toEqual([1, 1]);
    expect(after.context.session.id).toBe(later.context.session.id);
  });

  test('feedback() records the score with the current stage; bad input is reported, not thrown', async () => {
    const { events, errors } = await run({}, (t) => {
      t.setStage('post_purchase');
      t.feedback({ score: 9, scale: 'nps', comment: 'Call me on 0612345678 or jane@example.com. ' + 'x'.repeat(2000) });
      t.feedback({ score: 'great', scale: 'nps' });
      t.feedback({ score: 3, scale: 'stars' });
    });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ event: 'Feedback Submitted', properties: { score: 9, scale: 'nps', stage: 'post_purchase' } });
    const comment = events[0].properties!.comment as string;
    expect(comment.length).toBeLessThanOrEqual(1000);
    // What a visitor types is masked like click text: the comment is kept, the contact details are not.
    expect(comment).toMatch(/^Call me on \*\*\* or \*\*\*\S* x+$/);
    expect(comment).not.toMatch(/0612345678|jane@example\.com/);
    expect(errors.filter((e) => e.code == 'config')).toHaveLength(2);
  });

  test('a feedback comment is masked before it is cut: an email or number across the cut does not leave half of itself', async () => {
    const { events } = await run({}, (t) => {
      t.feedback({ score: 1, scale: 'csat', comment: 'x'.repeat(990) + ' jane.doe@example.com' });
      t.feedback({ score: 1, scale: 'csat', comment: 'x'.repeat(993) + ' 4111111111111111' });
    });
    const comments = events.map((e) => e.properties!.comment as string);
    for (const c of comments) expect(c.length).toBeLessThanOrEqual(1000);
    expect(comments.join()).not.toMatch(/jane|41111/);
  });

  test('track() without a name is reported, not thrown', async () => {
    const { events, errors } = await run({}, (t) => {
      t.track();
      t.track('');
    });
    expect(events).toHaveLength(0);
    expect(errors).toHaveLength(2);
  });

  test('an email or a long digit run in the page title is masked', async () => {
    const title = document.title;
    document.title = 'Inbox (3) - jane.doe@example.com - order 4111 1111 1111 1111';
    const { events } = await run({}, (t) => t.track('A'));
    expect(events[0].context.page.title).toBe('Inbox (3) - *** - order ***');
    document.title = title;
  });

  test('a long digit run grouped with no-break spaces (fr-FR number format) is masked in the page title', async () => {
    const title = document.title;
    // Intl.NumberFormat('fr-FR') groups digits with U+202F: "4 111 111 111 111 111".
    document.title = `Order ${Intl.NumberFormat('fr-FR').format(4111111111111111)} — Shop`;
    const { events } = await run({}, (t) => t.track('A'));
    expect(events[0].context.page.title).toBe('Order *** — Shop');
    document.title = title;
  });

  test('a page with <img name="title"> or <form name="title"> (document.title is that element, by HTML named access) loses no event', async () => {
    document.body.innerHTML = '<img name="title" src="data:,">';
    const img = document.querySelector('img');
    // happy-dom has no named access on document; browsers do ([LegacyOverrideBuiltIns]): document.title is the <img>.
    Object.defineProperty(document, 'title', { configurable: true, get: () => img });
    try {
      const { events } = await run({}, (t) => (t.track('A'), t.page()));
      expect(events.map((e) => e.event || e.type)).toEqual(['A', 'page']);
      expect(typeof events[0].context.page.title).toBe('string');
    } finally {
      delete (document as any).title;
      document.body.innerHTML = '';
    }
  });

  test('query parameters on the deny-list and the user list are redacted, emails masked, fragments dropped', async () => {
    // Sentinels that a random id cannot contain (ids are hex and dashes).
    history.replaceState(null, '', '/reset?token=sentinelq&utm_source=news&ref=me@x.com&Order=7#access_token=zzz');
    const { events } = await run({ redact: ['order'] }, (t) => t.track('A'));
    const page = events[0].context.page;
    expect(page.url).toBe(location.origin + '/reset?token=redacted&utm_source=news&ref=redacted&Order=redacted');
    expect(page.search).toBe('?token=redacted&utm_source=news&ref=redacted&Order=redacted');
    expect(JSON.stringify(events)).not.toMatch(/sentinelq|zzz|me@x\.com/);
    history.replaceState(null, '', '/');
  });
});

describe('the pipeline', () => {
  test('beforeSend can change an event or drop it with null; undefined keeps it', async () => {
    const { events } = await run(
      {
        beforeSend: (e: WaymarkEvent) => {
          if (e.event == 'Drop me') return null;
          if (e.event == 'Change me') return { ...e, event: 'Changed' };
          e.properties!.seen = true;
        },
      },
      (t) => {
        t.track('Drop me');
        t.track('Change me');
        t.track('Keep me');
      },
    );
    expect(events.map((e) => [e.event, e.properties])).toEqual([
      ['Changed', {}],
      ['Keep me', { seen: true }],
    ]);
  });

  test('a throwing beforeSend, listener or plugin never reaches the page, and delivery goes on', async () => {
    const bad: Plugin = {
      name: 'bad',
      setup: () => {
        throw new Error('setup boom');
      },
      beforeSend: () => {
        throw new Error('hook boom');
      },
    };
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const { events, errors } = await run(
      {
        plugins: [bad],
        beforeSend: () => {
          throw new Error('user boom');
        },
      },
      (t) => {
        t.on('event', () => {
          throw new Error('listener boom');
        });
        expect(() => t.track('Survives')).not.toThrow();
      },
    );
    expect(events.map((e) => e.event)).toEqual(['Survives']);
    // Setup runs inside createTracker, before any on('error') could be attached: the console has it.
    expect(warn.mock.calls.flat().join(' ')).toMatch(/setup boom/);
    expect(errors.map((e) => e.message).join(' ')).toMatch(/hook boom.*user boom/s);
  });

  test('an event JSON cannot serialise is dropped alone', async () => {
    const cyclic: any = {};
    cyclic.self = cyclic;
    const { events, errors } = await run({}, (t) => {
      t.track('Cyclic', cyclic);
      t.track('Fine');
    });
    expect(events.map((e) => e.event)).toEqual(['Fine']);
    expect(errors.length).toBeGreaterThan(0);
  });

  test('plugins see events in order, may track from beforeSend, and hold() delays without losing or reordering', async () => {
    let release!: () => void;
    const seen: string[] = [];
    const plugin: Plugin = {
      name: 'p',
      setup(ctx: PluginContext) {
        release = ctx.hold();
      },
      beforeSend(e) {
        seen.push(e.event!);
        if (e.event == 'A') ctx!.track('Follow-up of A');
        e.context.tagged = true;
      },
    };
    let ctx: PluginContext | undefined;
    const orig = plugin.setup!;
    plugin.setup = (c) => ((ctx = c), orig(c));
    const { events } = await run({ plugins: [plugin] }, async (t) => {
      t.track('A');
      t.track('B');
      await settle();
      expect(seen).toEqual([]);
      release();
      release(); // idempotent
      t.track('C');
    });
    expect(seen).toEqual(['A', 'B', 'Follow-up of A', 'C']);
    expect(events.map((e) => e.event)).toEqual(seen);
    expect(events.every((e) => e.context.tagged)).toBe(true);
  });

  test('a granted tracker holds events until the saved visitor is read, then runs them in order', async () => {
    const seen: string[] = [];
    const { events } = await run({ plugins: [{ name: 'p', beforeSend: (e: WaymarkEvent) => void seen.push(e.event!) }] }, (t) => {
      t.track('A');
      t.track('B');
      expect(seen).toEqual([]);
    });
    expect(seen).toEqual(['A', 'B']);
    expect(events.map((e) => e.event)).toEqual(['A', 'B']);
  });

  test('shutdown right after a grant still writes what was held, for the next visit', async () => {
    const c = fakeCollector(() => new Response('', { status: 503 }));
    const t = createTracker({ endpoint, consent: 'granted' });
    t.track('Held at shutdown');
    await t.shutdown();
    c.respondWith();
    const next = createTracker({ endpoint, consent: 'granted' });
    await next.flush();
    await settle();
    expect(c.names()).toContain('Held at shutdown');
    await next.shutdown();
  });

  test('the stage engine sets up first (its hold must cover the landing page view), but sees events after capture', async () => {
    const order: string[] = [];
    const mk = (name: string): Plugin => ({ name, setup: () => void order.push('setup ' + name), beforeSend: () => void order.push('see ' + name) });
    await run({ capture: [mk('capture')], stages: mk('stages'), plugins: [mk('plugin')] }, (t) => t.track('A'));
    expect(order).toEqual(['setup stages', 'setup capture', 'setup plugin', 'see capture', 'see stages', 'see plugin']);
  });

  test('on() returns its own off', async () => {
    const got: string[] = [];
    await run({}, async (t) => {
      const off = t.on('event', (e: WaymarkEvent) => got.push(e.event!));
      t.track('A');
      await t.flush(); // processed once the saved visitor is read
      off();
      t.track('B');
    });
    expect(got).toEqual(['A']);
  });

  test('what createTracker() tells (a setup error, the landing page view) reaches listeners added right after it, once, in order', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const broken: Plugin = { name: 'broken', setup: (c) => c.report({ code: 'plugin', message: 'broken at setup' }) };
    const t = createTracker({ endpoint, consent: 'pending', capture: [broken, pageViews()] });
    const errors: string[] = [];
    const got: string[] = [];
    t.on('error', (e) => errors.push(e.message));
    t.on('event', (e) => got.push(e.type));
    t.track('After');
    expect(errors).toEqual(['broken at setup']);
    expect(got).toEqual(['page', 'track']);
    // Once createTracker()'s task is over, a new listener hears only what comes next.
    await Promise.resolve();
    const late: string[] = [];
    t.on('event', (e) => late.push(e.type));
    t.track('Later');
    expect(late).toEqual(['track']);
    expect(got).toEqual(['page', 'track', 'track']);
    await t.shutdown();
  });

  test('a listener that tracks while it hears what createTracker() told hears everything in the order it was told', async () => {
    const second: Plugin = { name: 'second', setup: (c) => void c.track('Second') };
    const t = createTracker({ endpoint, consent: 'pending', capture: [pageViews(), second] });
    const got: string[] = [];
    t.on('event', (e) => {
      got.push(e.event || e.type);
      if (e.type == 'page') t.track('Reaction');
    });
    expect(got).toEqual(['page', 'Second', 'Reaction']);
    await t.shutdown();
  });

  test('the element a plugin passes is never serialised', async () => {
    const el = document.createElement('button');
    const { events } = await run({}, (t) => t.track('Clicked', {}, el));
    expect(events[0]).not.toHaveProperty('element');
  });
});

describe('shutdown', () => {
  test('removes every listener it added and runs plugin teardowns; later calls do nothing', async () => {
    const added: unknown[] = [];
    const removed: unknown[] = [];
    for (const target of [window, document]) {
      const add = target.addEventListener.bind(target);
      const rem = target.removeEventListener.bind(target);
      vi.spyOn(target, 'addEventListener').mockImplementation((type: string, fn: any, o?: any) => (added.push([target, type, fn]), add(type, fn, o)));
      vi.spyOn(target, 'removeEventListener').mockImplementation((type: string, fn: any, o?: any) => (removed.push([target, type, fn]), rem(type, fn, o)));
    }
    const teardown = vi.fn();
    const c = fakeCollector();
    const t = createTracker({ endpoint, consent: 'granted', capture: [pageViews()], plugins: [{ name: 'x', setup: () => teardown }] });
    await settle();
    await t.shutdown();
    expect(added.length).toBeGreaterThan(0);
    expect(removed).toEqual(expect.arrayContaining(added));
    expect(removed).toHaveLength(added.length);
    expect(teardown).toHaveBeenCalledOnce();
    const before = c.requests.length;
    t.track('After shutdown');
    await t.flush();
    await settle();
    expect(c.requests.length).toBe(before);
  });
});

describe('debug', () => {
  test('debug logs each event; without it the console stays quiet for transient failures', async () => {
    const debug = vi.spyOn(console, 'debug').mockImplementation(() => {});
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    fakeCollector(() => new Response('', { status: 503 }));
    const t = createTracker({ endpoint, consent: 'granted' });
    t.track('Quiet');
    await t.flush();
    await settle();
    expect(debug).not.toHaveBeenCalled();
    expect(warn).not.toHaveBeenCalled();
    await t.shutdown();
    const u = createTracker({ endpoint, consent: 'granted', debug: true });
    u.track('Loud');
    await u.flush();
    await settle();
    expect(debug).toHaveBeenCalledWith('[waymark]', 'granted', 'track', 'Loud', expect.any(Object));
    expect(warn.mock.calls.flat().join(' ')).toMatch(/network/);
    await u.shutdown();
  });
});
