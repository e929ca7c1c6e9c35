import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { createTracker } from '../../src';
import { journey } from '../../src/journey';
import type { Rules } from '../../src/journey/rules';
import product from './fixtures/product.json';
import type { Plugin, PluginContext, StageChange, Tracker, TrackerOptions, WaymarkError, WaymarkEvent } from '../../src/types';
import { databases, dump, fakeCollector, freshIndexedDB, settle, tick, until } from '../helpers';

const endpoint = 'https://collect.test/v1/batch';
const STAGES = ['awareness', 'consideration', 'decision', 'purchase', 'post_purchase', 'loyalty'];
const ENTERED = 'Journey Stage Entered';

// The PRODUCT.md example, verbatim.
const PRODUCT = product as Rules;

let idb: IDBFactory;
beforeEach(() => {
  idb = freshIndexedDB();
  history.replaceState(null, '', '/');
  document.body.textContent = '';
});
// Trackers talk across tabs (BroadcastChannel): one left running would answer the next test's consent calls.
const running: Tracker[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((t) => t.shutdown()));
  vi.useRealTimers();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

const nav = (path: string) => history.replaceState(null, '', path);
const name = (e: WaymarkEvent) => e.event || e.type;

/** A tracker with a probe plugin (for `track` with an element) that records what the pipeline emits. */
function start(stages: Plugin, options: Partial<TrackerOptions> = {}) {
  const probe: Plugin & { ctx?: PluginContext } = { name: 'probe', setup: (c) => void (probe.ctx = c) };
  const t = createTracker({ endpoint, consent: 'pending', capture: [probe], stages, ...options });
  running.push(t);
  const events: WaymarkEvent[] = [];
  const changes: StageChange[] = [];
  const errors: WaymarkError[] = [];
  t.on('event', (e) => events.push(e));
  t.on('stage', (s) => changes.push(s));
  t.on('error', (e) => errors.push(e));
  const ctx = probe.ctx!;
  return {
    t,
    ctx,
    events,
    changes,
    errors,
    names: () => events.map(name),
    journeys: () => events.map((e) => e.context.journey),
    /** `track` with the element, as the clicks and forms modules do. */
    on: (event: string, el: Element, properties = {}) => ctx.track(event, properties, el),
  };
}

/** Builds a DOM tree from nested [tag, attributes, ...children] and returns the element with `data-target`. */
function tree(spec: any[], parent: Element = document.body): Element {
  let target: Element | undefined;
  const build = ([tag, attrs, ...kids]: any[], into: Element) => {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
    into.appendChild(el);
    if (el.hasAttribute('data-target')) target = el;
    kids.forEach((k: any[]) => build(k, el));
  };
  build(spec, parent);
  return target!;
}

describe('stages on events', () => {
  test('every event carries context.journey; null before the first match', () => {
    const s = start(journey(PRODUCT));
    s.t.track('Hello');
    s.t.page();
    const page = s.events[1];
    expect(s.names()).toEqual(['Hello', 'page', ENTERED]);
    expect(s.journeys()).toEqual([
      { stage: null, previousStage: null, enteredAt: null },
      { stage: 'awareness', previousStage: null, enteredAt: page.timestamp },
      { stage: 'awareness', previousStage: null, enteredAt: page.timestamp },
    ]);
    expect(s.t.stage).toBe('awareness');
  });

  test('entering a stage emits one Journey Stage Entered with the stage, the rule and the touchpoint', () => {
    const s = start(journey({ ...PRODUCT, rules: PRODUCT.rules.map((r, i) => (i == 1 ? { ...r, name: 'Viewed pricing' } : r)) }));
    s.t.page();
    nav('/pricing?plan=pro');
    s.t.page();
    const [landing, , pricing, entered] = s.events;
    expect(s.names()).toEqual(['page', ENTERED, 'page', ENTERED]);
    expect(entered.properties).toEqual({
      stage: 'consideration',
      previousStage: 'awareness',
      enteredAt: pricing.timestamp,
      rule: 1,
      ruleName: 'Viewed pricing',
      touchpoint: { type: 'page', path: '/pricing', messageId: pricing.messageId },
    });
    expect(entered.context.journey).toEqual({ stage: 'consideration', previousStage: 'awareness', enteredAt: pricing.timestamp });
    expect(s.events[1].properties!.touchpoint).toEqual({ type: 'page', path: '/', messageId: landing.messageId });
  });

  test('forward: entering the same or an earlier stage again emits nothing', () => {
    const s = start(journey(PRODUCT));
    nav('/pricing');
    s.t.page();
    nav('/');
    s.t.page();
    nav('/compare/a');
    s.t.page();
    s.t.track('Order Completed');
    nav('/pricing');
    s.t.page();
    expect(s.names()).toEqual(['page', ENTERED, 'page', 'page', 'Order Completed', ENTERED, 'page']);
    expect(s.changes.map((c) => [c.previousStage, c.stage])).toEqual([
      [null, 'consideration'],
      ['consideration', 'purchase'],
    ]);
    expect(s.events.at(-1)!.context.journey!.stage).toBe('purchase');
  });

  test('latest: a match for an earlier stage moves the visitor back', () => {
    const s = start(journey({ ...PRODUCT, progression: 'latest' }));
    s.t.track('Order Completed');
    s.t.page();
    s.t.page();
    expect(s.names()).toEqual(['Order Completed', ENTERED, 'page', ENTERED, 'page']);
    expect(s.changes.map((c) => [c.previousStage, c.stage])).toEqual([
      [null, 'purchase'],
      ['purchase', 'awareness'],
    ]);
    expect(s.t.stage).toBe('awareness');
  });

  test('the nth occurrence: a second order enters loyalty', () => {
    const s = start(journey(PRODUCT));
    s.t.track('Order Completed');
    s.t.track('Order Completed');
    s.t.track('Order Completed');
    expect(s.names()).toEqual(['Order Completed', ENTERED, 'Order Completed', ENTERED, 'Order Completed']);
    expect(s.events[3].properties).toMatchObject({ stage: 'loyalty', previousStage: 'purchase', rule: 5 });
  });

  test('the nth session', () => {
    const rules: Rules = { stages: STAGES, rules: [{ stage: 'loyalty', when: { type: 'page', session: 2 } }] };
    let now = Date.parse('2026-03-01T10:00:00Z');
    vi.spyOn(Date, 'now').mockImplementation(() => now);
    const s = start(journey(rules), { sessionTimeout: 1000 });
    s.t.page();
    now += 5000;
    s.t.page();
    expect(s.events.map((e) => e.context.session.number)).toEqual([1, 2, 2]);
    expect(s.names()).toEqual(['page', 'page', ENTERED]);
  });

  test('attribution: channel and UTM values', () => {
    const rules: Rules = {
      stages: STAGES,
      rules: [{ stage: 'consideration', when: { campaign: { channel: 'email', name: 'spring' } } }],
    };
    const tag: Plugin = {
      name: 'campaign',
      beforeSend: (e) => void (e.context.campaign = { channel: e.properties?.c as string, name: 'spring' }),
    };
    const s = start(journey(rules), { capture: [tag] });
    s.t.track('A', { c: 'social' });
    s.t.track('B', { c: 'email' });
    expect(s.names()).toEqual(['A', 'B', ENTERED]);
  });

  test('rules never run on Journey Stage Entered itself', () => {
    const rules: Rules = {
      stages: STAGES,
      rules: [
        { stage: 'awareness', when: { type: 'page' } },
        { stage: 'loyalty', when: { event: ENTERED } },
        { stage: 'decision', when: { count: 2 } },
      ],
    };
    const s = start(journey(rules));
    s.t.page();
    expect(s.names()).toEqual(['page', ENTERED]);
    expect(s.t.stage).toBe('awareness');
  });

  test("on('stage') gets the change, with `ask` in the stages named for feedback", () => {
    const s = start(journey({ ...PRODUCT, feedback: { purchase: 'csat', loyalty: 'nps' } }));
    s.t.page();
    s.t.track('Order Completed');
    s.t.track('Order Completed');
    const [a, p, l] = s.changes;
    expect(s.changes).toHaveLength(3);
    expect({ ...a, event: name(a.event) }).toEqual({ stage: 'awareness', previousStage: null, enteredAt: s.events[0].timestamp, rule: 0, event: 'page', ask: undefined });
    expect(p).toMatchObject({ stage: 'purchase', previousStage: 'awareness', rule: 4, ask: 'csat' });
    expect(p.event).toBe(s.events[2]);
    expect(l).toMatchObject({ stage: 'loyalty', previousStage: 'purchase', rule: 5, ask: 'nps' });
  });

  test("a hook's own events come after Journey Stage Entered", () => {
    const s = start(journey(PRODUCT));
    s.t.on('stage', (c) => s.t.track('Prompt Shown', { stage: c.stage }));
    s.t.page();
    expect(s.names()).toEqual(['page', ENTERED, 'Prompt Shown']);
    expect(s.events[2].context.journey!.stage).toBe('awareness');
  });

  test('feedback is tied to the current stage', () => {
    const s = start(journey(PRODUCT));
    s.t.track('Order Completed');
    s.t.feedback({ score: 9, scale: 'nps' });
    expect(s.events.at(-1)).toMatchObject({ event: 'Feedback Submitted', properties: { score: 9, scale: 'nps', stage: 'purchase' } });
  });
});

describe('selectors', () => {
  test('the clicked element or an element around it; the form', () => {
    const s = start(journey(PRODUCT));
    const button = tree(['section', { 'data-plan': 'pro' }, ['div', {}, ['button', { 'data-target': 1 }]]]);
    const other = tree(['div', {}, ['button', { 'data-target': 1 }]]);
    s.on('Element Clicked', other);
    expect(s.t.stage).toBe(null);
    s.on('Element Clicked', button);
    expect(s.t.stage).toBe('consideration');
    const form = tree(['form', { id: 'checkout', 'data-target': 1 }]);
    s.on('Form Started', tree(['form', { id: 'newsletter', 'data-target': 1 }]));
    expect(s.t.stage).toBe('consideration');
    s.on('Form Started', form);
    expect(s.t.stage).toBe('decision');
    expect(s.names()).toEqual(['Element Clicked', 'Element Clicked', ENTERED, 'Form Started', 'Form Started', ENTERED]);
    // The element is never serialised.
    expect(JSON.stringify(s.events[1])).not.toContain('element');
  });

  test("out of a shadow root through its host: a button in a component's template matches a selector on an element around the component", () => {
    const s = start(journey(PRODUCT));
    document.body.innerHTML = '<section data-plan="pro"><my-app></my-app></section><my-app id="other"></my-app>';
    const [inPlan, other] = [...document.querySelectorAll('my-app')].map((host) => {
      host.attachShadow({ mode: 'open' }).innerHTML = '<nav><button>Buy</button></nav>';
      return host.shadowRoot!.querySelector('button')!;
    });
    s.on('Element Clicked', other);
    expect(s.t.stage).toBe(null);
    s.on('Element Clicked', inPlan);
    expect(s.t.stage).toBe('consideration');
  });

  test('a page with <form name="host"> (document.host is that form, by named access) does not send the ancestor walk into a loop', () => {
    const s = start(journey(PRODUCT));
    document.body.innerHTML = '<form name="host"><section data-plan="pro"><button>Buy</button></section></form>';
    const form = document.querySelector('form')!;
    // happy-dom has no named access on document; browsers do. Capped, so that a loop ends.
    let reads = 0;
    Object.defineProperty(document, 'host', { configurable: true, get: () => (++reads < 1000 ? form : undefined) });
    try {
      s.on('Element Clicked', document.querySelector('button')!);
      expect(s.t.stage).toBe('consideration');
      expect(reads).toBe(0);
    } finally {
      delete (document as any).host;
    }
  });

  test('an event without an element never matches a selector', () => {
    const s = start(journey(PRODUCT));
    s.t.track('Element Clicked');
    expect(s.t.stage).toBe(null);
  });

  test('a selector the browser cannot parse matches nothing, breaks nothing, and is named once at load', () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const rules: Rules = {
      stages: STAGES,
      rules: [
        { stage: 'decision', when: { selector: 'button[[' } },
        { stage: 'awareness', when: { selector: 'button' } },
        { stage: 'purchase', when: { any: [{ event: 'x' }, { all: [{ not: { event: 'y' } }, { form: '#a b[' }] }] } },
      ],
    };
    const s = start(journey(rules));
    s.on('Element Clicked', tree(['button', { 'data-target': 1 }]));
    s.on('Element Clicked', tree(['button', { 'data-target': 1 }]));
    expect(s.t.stage).toBe('awareness');
    expect(s.errors).toEqual([
      { code: 'rules', message: 'rules[0].when.selector: "button[[" is not a selector this browser reads; it matches nothing' },
      { code: 'rules', message: 'rules[2].when.any[1].all[1].form: "#a b[" is not a selector this browser reads; it matches nothing' },
    ]);
  });

  test('names every object has are selectors, globs and stages like any other', () => {
    const stages = ['visitor', 'constructor'];
    const rules: Rules = {
      stages,
      rules: [
        { stage: 'visitor', when: { path: '/toString' } },
        { stage: 'constructor', when: { selector: 'constructor' } },
      ],
      feedback: { visitor: 'nps' },
    };
    const s = start(journey(rules));
    const asks: unknown[] = [];
    s.t.on('stage', (e) => asks.push(e.ask));
    // No <constructor> element around the button: no match (Object's constructor is not a result).
    s.on('Element Clicked', tree(['button', { 'data-target': 1 }]));
    expect(s.t.stage).toBe(null);
    s.on('Element Clicked', tree(['constructor', {}, ['button', { 'data-target': 1 }]]));
    expect(s.t.stage).toBe('constructor');
    // The stage has no feedback: `ask` is not Object's constructor.
    expect(asks).toEqual([undefined]);
    expect(s.errors).toEqual([]);
  });

  test('50 rules read the DOM once per event: one walk up the ancestors, each distinct selector tested once', () => {
    const selectors = ['.a', '[data-plan]', '#f', 'section div', 'nav a'];
    const rules: Rules = {
      stages: STAGES,
      rules: Array.from({ length: 50 }, (_, i) => ({ stage: STAGES[i % 6], when: { selector: selectors[i % 5] } })),
    };
    const s = start(journey(rules));
    const el = tree(['section', {}, ['form', { id: 'f' }, ['div', {}, ['span', {}, ['button', { 'data-target': 1 }]]]]]);
    // Count every read of parentElement on the chain, element by element (an own getter on
    // each, as happy-dom's form element does not use Node.prototype's).
    const chain: Element[] = [];
    for (let n: Element | null = el; n; n = n.parentElement) chain.push(n);
    const depth = chain.length;
    const reads = vi.fn();
    for (const n of chain) {
      const parent = n.parentElement;
      Object.defineProperty(n, 'parentElement', { configurable: true, get: () => (reads(n.nodeName), parent) });
    }
    const matches = vi.spyOn(Element.prototype, 'matches');
    const queries = [
      vi.spyOn(Element.prototype, 'closest'),
      vi.spyOn(Element.prototype, 'querySelector'),
      vi.spyOn(Element.prototype, 'querySelectorAll'),
      vi.spyOn(Document.prototype, 'querySelector'),
      vi.spyOn(Document.prototype, 'querySelectorAll'),
    ];
    s.on('Element Clicked', el);
    // body and html are ancestors too; the walk reads parentElement once per element.
    expect(reads.mock.calls.map((c) => c[0])).toEqual(['BUTTON', 'SPAN', 'DIV', 'FORM', 'SECTION', 'BODY', 'HTML']);
    expect(matches.mock.calls.length).toBeLessThanOrEqual(selectors.length * depth);
    expect(new Set(matches.mock.calls.map((c) => c[0]))).toEqual(new Set(selectors));
    for (const q of queries) expect(q).not.toHaveBeenCalled();
    expect(s.t.stage).toBe('loyalty');
    // An event without an element reads nothing.
    reads.mockClear();
    matches.mockClear();
    s.t.track('Other');
    expect(reads).not.toHaveBeenCalled();
    expect(matches).not.toHaveBeenCalled();
    for (const n of chain) delete (n as any).parentElement;
  });
});

describe('loading rules', () => {
  const serve = (body: unknown, status = 200) => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const fetch = vi.fn(async (_url: string) => {
      await gate;
      return new Response(typeof body == 'string' ? body : JSON.stringify(body), { status });
    });
    vi.stubGlobal('fetch', fetch);
    return { fetch, release };
  };

  test('from a URL: events made while the rules load wait, in order, and get their stage', async () => {
    const server = serve(PRODUCT);
    const s = start(journey('/journey.json'));
    nav('/pricing');
    s.t.page();
    s.t.track('Order Completed');
    await settle();
    expect(s.events).toEqual([]);
    server.release();
    await until(() => s.events.length == 4, 'the held events');
    expect(server.fetch).toHaveBeenCalledTimes(1);
    expect(server.fetch).toHaveBeenCalledWith('/journey.json');
    expect(s.names()).toEqual(['page', 'Order Completed', ENTERED, ENTERED]);
    expect(s.journeys().map((j) => j!.stage)).toEqual(['consideration', 'purchase', 'consideration', 'purchase']);
    expect(s.errors).toEqual([]);
  });

  test.each<[string, unknown, number, string]>([
    ['unreachable', 'Not Found', 404, '/journey.json: HTTP 404'],
    ['not JSON', '{"stages": [', 200, '/journey.json: SyntaxError'],
    ['invalid', { stages: STAGES, rules: [{ stage: 'awareness', when: { path: 3 } }, { stage: 'nope', when: {} }] }, 200,
      'rules[0].when.path: expected a path glob (/…, no ?query or #anchor) or an array of them; rules[1].stage: expected a stage (awareness,consideration,decision,purchase,post_purchase,loyalty)'],
  ])('a rules file that is %s: tracking goes on without stages, and the error says why', async (_, body, status, message) => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const server = serve(body, status);
    const s = start(journey('/journey.json'));
    s.t.page();
    server.release();
    await until(() => s.events.length == 1, 'the page view');
    s.t.page();
    expect(s.names()).toEqual(['page', 'page']);
    expect(s.journeys()).toEqual([
      { stage: null, previousStage: null, enteredAt: null },
      { stage: null, previousStage: null, enteredAt: null },
    ]);
    expect(s.errors).toHaveLength(1);
    expect(s.errors[0].code).toBe('rules');
    expect(s.errors[0].message).toContain(message);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('[waymark] rules: '));
  });

  // React StrictMode with the options object made once: the first tracker's file arrives after
  // it was shut down, and must neither release nor keep the second tracker's wait.
  test('from a URL, a tracker created again with the same options at once (React StrictMode) gets its events through with their stage', async () => {
    const server = serve(PRODUCT);
    const options = { endpoint, consent: 'pending' as const, stages: journey('/journey.json') };
    void createTracker(options).shutdown();
    const t = createTracker(options);
    running.push(t);
    const names: string[] = [];
    t.on('event', (e) => names.push(name(e)));
    t.track('Order Completed');
    server.release();
    await until(() => names.length == 2, 'the held events');
    expect(names).toEqual(['Order Completed', ENTERED]);
    expect(t.stage).toBe('purchase');
  });

  test('a file that does not come within 5 s: the events go on without stages', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    vi.stubGlobal('fetch', vi.fn(() => new Promise(() => {})));
    const s = start(journey('/journey.json'));
    s.t.page();
    vi.advanceTimersByTime(4999);
    expect(s.events).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(s.names()).toEqual(['page']);
    expect(s.errors.map((e) => [e.code, e.message])).toEqual([['rules', '/journey.json: timed out']]);
    expect(s.t.stage).toBe(null);
  });

  test('a file that comes after the 5 s: the events that waited went on without stages, the ones after it get theirs', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const server = serve(PRODUCT);
    const s = start(journey('/journey.json'));
    s.t.page();
    vi.advanceTimersByTime(5000);
    expect(s.names()).toEqual(['page']);
    expect(s.errors.map((e) => [e.code, e.message])).toEqual([['rules', '/journey.json: timed out']]);
    // A slow CDN, not a missing file: the rest of the page's life (an SPA's, say) has stages.
    server.release();
    await settle();
    nav('/pricing');
    s.t.page();
    expect(s.names()).toEqual(['page', 'page', ENTERED]);
    expect(s.journeys()[1]).toMatchObject({ stage: 'consideration' });
    expect(s.t.stage).toBe('consideration');
    expect(s.errors).toHaveLength(1);
  });

  test('from an inline <script type="application/json">, by #id', async () => {
    const script = document.createElement('script');
    script.type = 'application/json';
    script.id = 'journey-rules';
    script.textContent = JSON.stringify(PRODUCT);
    document.head.appendChild(script);
    const s = start(journey('#journey-rules'));
    s.t.page();
    await until(() => s.events.length == 2, 'the page view and its stage');
    expect(s.names()).toEqual(['page', ENTERED]);
    expect(s.t.stage).toBe('awareness');
    script.remove();
  });

  test('a missing inline block is reported', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const s = start(journey('#nowhere'));
    s.t.page();
    await until(() => s.events.length == 1, 'the page view');
    expect(s.errors.map((e) => e.code)).toEqual(['rules']);
    // Said as such, not as the browser's TypeError about a null (\"t() is null\" in a minified Firefox build).
    expect(s.errors[0].message).toBe('#nowhere: not found');
  });

  test('invalid rules given as an object: reported at setup, tracking goes on', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const s = start(journey({ stages: STAGES, rules: [] } as Rules));
    s.t.page();
    expect(warn).toHaveBeenCalledWith('[waymark] rules: rules: expected a non-empty array');
    expect(s.names()).toEqual(['page']);
    expect(s.events[0].context.journey).toEqual({ stage: null, previousStage: null, enteredAt: null });
  });

  test('rules whose reading throws (a getter, say) are reported, not thrown', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const hostile = {
      get stages(): string[] {
        throw new Error('boom');
      },
    };
    const s = start(journey(hostile as unknown as Rules));
    s.t.page();
    // Reported during createTracker(), before a listener can subscribe: the console has it.
    expect(warn).toHaveBeenCalledWith('[waymark] rules: [object Object]: Error: boom');
    expect(s.names()).toEqual(['page']);
  });

  test('a rules file nested too deeply for the stack is reported with its path, and nothing escapes', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const deep = JSON.parse(`{"stages":["a"],"rules":[{"stage":"a","when":${'{"not":'.repeat(200)}{"event":"x"}${'}'.repeat(200)}}]}`);
    serve(deep).release();
    const s = start(journey('/journey.json'));
    s.t.page();
    await until(() => s.events.length == 1, 'the page view');
    expect(s.errors.map((e) => e.code)).toEqual(['rules']);
    expect(s.errors[0].message).toMatch(/^rules\[0\]\.when(\.not){33}: expected at most 32 nested any\/all\/not$/);
  });

  test('shutdown while the rules load stops waiting for them', async () => {
    const server = serve(PRODUCT);
    const s = start(journey('/journey.json'));
    await s.t.shutdown();
    server.release();
    await settle();
    expect(s.errors).toEqual([]);
    expect(s.events).toEqual([]);
  });
});

describe('persistence and consent', () => {
  /** A first visit, with consent, that placed an order: what the next visit finds saved. */
  async function purchased(rules: Rules) {
    const first = start(journey(rules), { consent: 'granted' });
    await first.t.flush(); // the saved visitor is read
    first.t.track('Order Completed');
    await first.t.flush();
    await first.t.shutdown();
  }

  const form = () => tree(['form', { id: 'checkout', 'data-target': 1 }]);

  test('the stage survives a reload (after consent): tracker.stage and the next event', async () => {
    const c = fakeCollector();
    const first = start(journey(PRODUCT), { consent: 'granted' });
    await first.t.flush(); // the saved visitor is read
    first.t.page();
    nav('/pricing');
    first.t.page();
    first.on('Form Started', form());
    const entered = first.events.find((e) => e.event == 'Form Started')!;
    expect(first.t.stage).toBe('decision');
    await first.t.flush();
    await first.t.shutdown();
    expect((await dump(idb)).v.j).toEqual({
      stage: 'decision',
      previousStage: 'consideration',
      enteredAt: entered.timestamp,
      c: { 0: 2, 1: 1, 3: 1 },
      // Each rule's fingerprint, in rule order: six distinct ones.
      k: expect.any(Array),
    });
    expect(new Set((await dump(idb)).v.j.k).size).toBe(6);

    // A new page load on the same IndexedDB.
    const second = start(journey(PRODUCT), { consent: 'granted' });
    await second.t.flush(); // the saved visitor is read
    await until(() => second.t.stage == 'decision', 'the saved stage');
    nav('/');
    second.t.page();
    expect(second.names()).toEqual(['page']);
    expect(second.events[0].context.journey).toEqual({ stage: 'decision', previousStage: 'consideration', enteredAt: entered.timestamp });
    await second.t.flush();
    await until(() => c.events().length == 7, 'all events delivered');
    expect(c.names()).toEqual(['page', ENTERED, 'page', ENTERED, 'Form Started', ENTERED, 'page']);
    expect(c.events().at(-1)!.context.journey).toEqual({ stage: 'decision', previousStage: 'consideration', enteredAt: entered.timestamp });
    await second.t.shutdown();
  });

  // Tabs open side by side: without sharing, the last tab to save wrote its journey over the
  // others', and a tab still at awareness took the next visit back from purchase.
  test('tabs of one visitor share the journey: the further stage and the higher counts, whichever tab saves last', async () => {
    fakeCollector();
    const a = start(journey(PRODUCT), { consent: 'granted' });
    const b = start(journey(PRODUCT), { consent: 'granted' });
    await Promise.all([a.t.flush(), b.t.flush()]);
    a.t.page();
    b.t.page();
    nav('/pricing');
    a.t.page();
    a.on('Form Started', form());
    expect(a.t.stage).toBe('decision');
    await settle();
    // B learnt it without a Journey Stage Entered of its own (A sent that one).
    expect(b.t.stage).toBe('decision');
    expect(b.names()).toEqual(['page', ENTERED]);
    // B saves last: what it saves is A's journey, counts included. A count is the highest of the
    // tabs', not their sum (2 page views in each tab: 2), which would count what they share twice.
    nav('/');
    b.t.page();
    await a.t.shutdown();
    await b.t.flush();
    await b.t.shutdown();
    expect((await dump(idb)).v.j).toMatchObject({ stage: 'decision', previousStage: 'consideration', c: { 0: 2, 1: 1, 3: 1 } });
  });

  test('counts add up across visits: the second order, on a later visit, enters loyalty', async () => {
    fakeCollector();
    const first = start(journey(PRODUCT), { consent: 'granted' });
    await first.t.flush(); // the saved visitor is read
    first.t.track('Order Completed');
    // Once the visitor is read, shutdown() writes what is buffered.
    await first.t.flush();
    await first.t.shutdown();
    const second = start(journey(PRODUCT), { consent: 'granted' });
    await second.t.flush(); // the saved visitor is read
    await until(() => second.t.stage == 'purchase', 'the saved stage');
    second.t.track('Order Completed');
    expect(second.names()).toEqual(['Order Completed', ENTERED]);
    expect(second.events[1].properties).toMatchObject({ stage: 'loyalty', previousStage: 'purchase', rule: 5 });
    await second.t.shutdown();
  });

  test('a rules file edited between visits: each count follows its rule, and a changed rule starts again', async () => {
    fakeCollector();
    const first = start(journey(PRODUCT), { consent: 'granted' });
    await first.t.flush(); // the saved visitor is read
    first.t.track('Order Completed');
    await first.t.flush();
    await first.t.shutdown();
    // The analyst adds a rule at the top and tightens the purchase rule: every position shifts.
    const edited: Rules = {
      ...PRODUCT,
      rules: [
        { stage: 'awareness', when: { event: 'Newsletter Opened' } },
        ...PRODUCT.rules.slice(0, 4),
        { stage: 'purchase', when: { event: 'Order Completed', properties: { total: { gt: 0 } } } },
        PRODUCT.rules[5],
      ],
    };
    const second = start(journey(edited), { consent: 'granted' });
    await second.t.flush(); // the saved visitor is read
    await until(() => second.t.stage == 'purchase', 'the saved stage');
    second.t.track('Order Completed', { total: 5 });
    // The loyalty rule, now at 6, remembers its first match; before the fix, its count sat at 5.
    expect(second.names()).toEqual(['Order Completed', ENTERED]);
    expect(second.events[1].properties).toMatchObject({ stage: 'loyalty', previousStage: 'purchase', rule: 6 });
    await second.t.flush();
    await second.t.shutdown();
    const saved = (await dump(idb)).v.j;
    // The changed purchase rule counts from 0; the new rule never matched; the others kept theirs.
    expect(saved.c).toEqual({ 5: 1, 6: 2 });
  });

  test('latest: a saved stage that the edited rules file no longer has is not taken back', async () => {
    fakeCollector();
    const latest: Rules = { ...PRODUCT, progression: 'latest' };
    const first = start(journey(latest), { consent: 'granted' });
    await first.t.flush();
    first.t.track('Order Completed');
    await first.t.flush();
    await first.t.shutdown();
    // The analyst renames purchase to customer.
    const renamed: Rules = {
      ...latest,
      stages: latest.stages.map((x) => (x == 'purchase' ? 'customer' : x)),
      rules: latest.rules.map((u) => (u.stage == 'purchase' ? { ...u, stage: 'customer' } : u)),
    };
    const second = start(journey(renamed), { consent: 'granted' });
    await second.t.flush();
    await settle();
    expect(second.t.stage).toBe(null);
    second.t.track('Order Completed');
    expect(second.t.stage).toBe('loyalty');
    await second.t.shutdown();
  });

  test('counts saved before rule fingerprints existed are taken by position', async () => {
    fakeCollector();
    const first = start(journey(PRODUCT), { consent: 'granted' });
    await first.t.flush();
    first.t.track('Order Completed');
    await first.t.flush();
    await first.t.shutdown();
    // What an earlier release stored: counts without `k`.
    const db = await new Promise<IDBDatabase>((r) => (idb.open('waymark').onsuccess = (e: any) => r(e.target.result)));
    await new Promise((r) => {
      const tx = db.transaction('q', 'readwrite');
      const store = tx.objectStore('q');
      store.get('v').onsuccess = (e: any) => {
        const v = e.target.result;
        delete v.j.k;
        store.put(v, 'v');
      };
      tx.oncomplete = r;
    });
    db.close();
    const second = start(journey(PRODUCT), { consent: 'granted' });
    await second.t.flush();
    await until(() => second.t.stage == 'purchase', 'the saved stage');
    second.t.track('Order Completed');
    expect(second.events[1].properties).toMatchObject({ stage: 'loyalty', rule: 5 });
    await second.t.shutdown();
  });

  test('rules from a URL that arrive after the saved visitor was read still get the saved stage', async () => {
    fakeCollector();
    const first = start(journey(PRODUCT), { consent: 'granted' });
    await first.t.flush(); // the saved visitor is read
    first.t.track('Order Completed');
    await first.t.flush();
    await first.t.shutdown();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const collector = globalThis.fetch;
    vi.stubGlobal('fetch', (url: string, init?: RequestInit) =>
      url == '/journey.json' ? gate.then(() => new Response(JSON.stringify(PRODUCT))) : collector(url, init),
    );
    const second = start(journey('/journey.json'), { consent: 'granted' });
    second.t.page();
    await second.t.flush(); // the saved visitor is read; the rules are still loading
    expect(second.events).toEqual([]);
    release();
    await until(() => second.events.length == 1, 'the page view');
    expect(second.names()).toEqual(['page']);
    expect(second.events[0].context.journey!.stage).toBe('purchase');
    expect(second.t.stage).toBe('purchase');
  });

  test('before consent the stage lives in memory only: nothing is written or read', async () => {
    fakeCollector();
    const s = start(journey(PRODUCT));
    s.t.track('Order Completed');
    await settle();
    expect(s.t.stage).toBe('purchase');
    expect(await databases(idb)).toEqual([]);
    s.t.consent('granted');
    await until(async () => (await dump(idb)).v?.j?.stage == 'purchase', 'the stage saved after consent');
    expect((await dump(idb)).v.j).toMatchObject({ stage: 'purchase', previousStage: null, c: { 4: 1 } });
    await s.t.shutdown();
  });

  test('on consent, what earlier visits stored merges with this page: the further stage wins, counts add', async () => {
    fakeCollector();
    const first = start(journey(PRODUCT), { consent: 'granted' });
    await first.t.flush(); // the saved visitor is read
    first.t.track('Order Completed');
    const purchased = first.events[0].timestamp;
    await first.t.flush();
    await first.t.shutdown();
    // Next visit: consent pending again until the banner is answered.
    const second = start(journey(PRODUCT));
    second.t.page();
    expect(second.t.stage).toBe('awareness');
    second.t.consent('granted');
    await until(() => second.t.stage == 'purchase', 'the merged stage');
    await second.t.flush();
    second.t.page();
    expect(second.events.at(-1)!.context.journey).toEqual({ stage: 'purchase', previousStage: null, enteredAt: purchased });
    second.t.track('Order Completed');
    expect(second.names().slice(-2)).toEqual(['Order Completed', ENTERED]);
    expect(second.t.stage).toBe('loyalty');
    await second.t.shutdown();
  });

  // A consent banner answered a moment after the landing page view: the engine judged that
  // view before the saved journey was known. Its guess ("entered awareness") is not what the
  // visitor did, and the same events are judged again from the saved journey.
  test('a returning customer whose consent comes after the first page view is not sent back through awareness', async () => {
    const c = fakeCollector();
    await purchased(PRODUCT);
    const firstVisit = c.events().length;
    const second = start(journey(PRODUCT));
    second.t.page();
    expect(second.changes.map((x) => x.stage)).toEqual(['awareness']); // personalisation hears the guess
    second.t.consent('granted');
    await until(() => second.t.stage == 'purchase', 'the saved stage');
    await second.t.flush();
    const sent = c.events().slice(firstVisit);
    expect(sent.map(name)).toEqual(['page']);
    expect(sent[0].context.journey!.stage).toBe('purchase');
    expect(second.changes.map((x) => x.stage)).toEqual(['awareness']); // judged again: the hook is not told twice
  });

  test("judged again at consent, a returning visitor's events see the saved session: a session rule matches as the CLI replay says", async () => {
    const c = fakeCollector();
    const rules = {
      stages: ['awareness', 'consideration'],
      rules: [
        { stage: 'awareness', when: { type: 'page' } },
        { stage: 'consideration', name: 'Returning visitor', when: { type: 'page', session: { gte: 2 } } },
      ],
    } as Rules;
    const first = start(journey(rules), { consent: 'granted' });
    await first.t.flush();
    first.t.page();
    await first.t.flush();
    await first.t.shutdown();
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 36e5 }); // an hour later: a new session
    const second = start(journey(rules));
    second.t.page();
    second.t.consent('granted');
    await until(() => second.t.stage == 'consideration', 'the session rule');
    await second.t.flush();
    const landing = c.events().filter((e) => e.type == 'page').at(-1)!;
    expect(landing.context.session.number).toBe(2);
    expect(landing.context.journey).toMatchObject({ stage: 'consideration', previousStage: 'awareness' });
    const entered = c.events().filter((e) => e.event == ENTERED).at(-1)!;
    expect(entered.properties).toMatchObject({ stage: 'consideration', ruleName: 'Returning visitor', touchpoint: { messageId: landing.messageId } });
  });

  test('a stage reached while denied is not carried into the new visitor a later grant starts', async () => {
    const c = fakeCollector();
    const s = start(journey(PRODUCT));
    s.t.consent('denied'); // the banner's "reject"
    nav('/pricing');
    s.t.page(); // judged in memory, for personalisation; dropped (denied)
    s.t.track('Order Completed');
    expect(s.t.stage).toBe('purchase');
    s.t.consent('granted'); // later, from the preference centre: a new visitor
    await until(() => s.t.stage === null, 'a new journey');
    await s.t.flush();
    nav('/');
    s.t.page();
    await s.t.flush();
    await until(() => c.events().length == 2, 'a delivery');
    expect(c.events().map(name)).toEqual(['page', ENTERED]);
    expect(c.events()[0].context.journey!.stage).toBe('awareness');
    expect((await dump(idb)).v.j.c).toEqual({ 0: 1 });
  });

  test('Feedback Submitted carries the stage it was given in, also when it waited for the rules file', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    vi.stubGlobal('fetch', vi.fn(async () => (await gate, new Response(JSON.stringify(PRODUCT)))));
    const s = start(journey('/journey.json'));
    s.t.track('Order Completed'); // the confirmation page: purchase
    s.t.feedback({ score: 5, scale: 'csat' }); // answered at once, or replayed from the stub queue
    release();
    await until(() => s.names().includes('Feedback Submitted'), 'the feedback');
    const f = s.events.find((e) => e.event == 'Feedback Submitted')!;
    expect(f.context.journey!.stage).toBe('purchase');
    expect(f.properties.stage).toBe('purchase');
  });

  test('a beforeSend that returns a copy does not bring back the entry guessed before consent', async () => {
    const c = fakeCollector();
    await purchased(PRODUCT);
    c.requests.length = 0;
    const s = start(journey(PRODUCT), { beforeSend: (e: WaymarkEvent) => ({ ...e, properties: { ...e.properties, app: 'shop' } }) });
    s.t.page(); // guessed: awareness entered
    s.t.consent('granted');
    await until(() => s.t.stage == 'purchase', 'the saved stage');
    await s.t.flush();
    expect(c.names()).toEqual(['page']);
  });

  // A site may track an event of its own under the engine's name (a stage change its server
  // decided, say). The engine's guesses made before consent are voided at the grant; the site's
  // event is not a guess, and went missing with them, carrying its properties as the journey.
  test("a site's own Journey Stage Entered, tracked before consent, is delivered with the visitor's journey, not voided as a guess", async () => {
    const c = fakeCollector();
    await purchased(PRODUCT);
    c.requests.length = 0;
    const s = start(journey(PRODUCT));
    s.t.page(); // guessed: awareness entered
    s.t.track(ENTERED, { stage: 'renewal', source: 'billing' }); // the site's own
    s.t.consent('granted');
    await until(() => s.t.stage == 'purchase', 'the saved stage');
    await s.t.flush();
    s.t.track(ENTERED, { stage: 'renewal', source: 'billing, later' }); // and once the saved visitor is read
    await s.t.flush();
    expect(c.events().map((e) => [name(e), e.properties?.source, e.context.journey!.stage])).toEqual([
      ['page', undefined, 'purchase'],
      [ENTERED, 'billing', 'purchase'],
      [ENTERED, 'billing, later', 'purchase'],
    ]);
  });

  // An event's `element` is typed Element (README: the element a capture module saw): a site's
  // beforeSend or on('event') listener that reads it as one (drop what happens in a private area)
  // met the engine's plugin object on every Journey Stage Entered, and threw.
  test("Journey Stage Entered has no element that is not an Element: a site's beforeSend reading it as one breaks nothing", () => {
    const heard: unknown[] = [];
    const s = start(journey(PRODUCT), { beforeSend: (e: WaymarkEvent) => (e.element?.closest('[data-private]') ? null : e) });
    s.t.on('event', (e) => heard.push(e.element?.closest('form')?.id));
    s.t.page();
    expect(s.names()).toEqual(['page', ENTERED]);
    expect(s.errors).toEqual([]);
    expect(heard).toEqual([undefined, undefined]);
    expect(s.events.filter((e) => e.element !== undefined && !(e.element instanceof Element))).toEqual([]);
  });

  // The core holds the earliest maxPending events before consent, the engine's own entries among
  // them; the engine kept as many of the page's other events to judge again at the grant, so it
  // judged events the core had dropped, and sent entries for touchpoints the collector never gets
  // (README: events from the collector replay as they ran in the browser).
  test('judged again at consent, only the events the core held make entries: every entry sent has its touchpoint sent too', async () => {
    const rules = {
      stages: ['awareness', 'consideration'],
      rules: [
        { stage: 'awareness', when: { type: 'page' } },
        { stage: 'consideration', when: { event: 'Pricing Viewed' } },
      ],
    } as Rules;
    const c = fakeCollector();
    const first = start(journey(rules), { consent: 'granted' });
    await first.t.flush(); // the saved visitor is read
    first.t.track('Hello');
    await first.t.flush();
    await first.t.shutdown();
    c.requests.length = 0;
    const s = start(journey(rules), { maxPending: 4 });
    s.t.page(); // held: the page view, its entry (awareness)
    s.t.track('Scrolled'); // held
    s.t.track('Scrolled'); // held: 4, the core is full
    s.t.track('Pricing Viewed'); // dropped, and its entry (consideration)
    s.t.consent('granted');
    await until(() => c.requests.length, 'a batch');
    await s.t.flush();
    const sent = c.events();
    const ids = sent.map((e) => e.messageId);
    expect(sent.map(name)).toEqual(['page', 'Scrolled', 'Scrolled', ENTERED]);
    expect(sent.filter((e) => e.event == ENTERED).filter((e) => !ids.includes((e.properties!.touchpoint as any).messageId))).toEqual([]);
  });

  // The core holds the earliest maxPending events that every hook kept: the engine counted the
  // events a site's beforeSend then dropped too (a site that drops its scroll noise), so it judged
  // none of the later events the core held again at the grant: the returning visitor's page view
  // was sent without its entry, and the stage stayed where the saved journey had it.
  test("judged again at consent: the events the core held after a site's beforeSend dropped some make their entries", async () => {
    const rules = {
      stages: ['awareness', 'consideration'],
      rules: [
        { stage: 'awareness', when: { type: 'page' } },
        { stage: 'consideration', when: { event: 'Pricing Viewed' } },
      ],
    } as Rules;
    const c = fakeCollector();
    const beforeSend = (e: WaymarkEvent) => (e.event == 'Scrolled' ? null : e);
    const first = start(journey(rules), { consent: 'granted', beforeSend });
    await first.t.flush(); // the saved visitor is read
    first.t.track('Hello');
    await first.t.flush();
    await first.t.shutdown();
    c.requests.length = 0;
    const s = start(journey(rules), { maxPending: 4, beforeSend });
    for (let i = 0; i < 4; i++) s.t.track('Scrolled'); // dropped by the site: the core holds nothing
    s.t.page(); // held: the page view, its entry (awareness)
    s.t.consent('granted');
    await until(() => c.requests.length, 'a batch');
    await s.t.flush();
    expect(c.events().map(name)).toEqual(['page', ENTERED]);
    expect(s.t.stage).toBe('awareness');
  });

  // A site's beforeSend that returns a copy with a context of its own (`{ ...e, context: { ...e.context,
  // app } }`, structuredClone) hands the core the copy to hold: judged again at the grant, the
  // engine stamped its own object with the saved journey, and the copy went out with the guess
  // (a returning customer's page view and pricing visit sent at awareness and consideration).
  test.each([
    ['a context of its own', (e: WaymarkEvent) => ({ ...e, context: { ...e.context, app: 'web' } })],
    ['structuredClone', (e: WaymarkEvent) => structuredClone(e)],
  ])("judged again at consent, events a site's beforeSend copied (%s) carry the saved journey", async (_, beforeSend) => {
    const rules = {
      stages: ['awareness', 'consideration', 'purchase'],
      rules: [
        { stage: 'awareness', when: { type: 'page' } },
        { stage: 'consideration', when: { event: 'Pricing Viewed' } },
        { stage: 'purchase', when: { event: 'Order Completed' } },
      ],
    } as Rules;
    const c = fakeCollector();
    const first = start(journey(rules), { consent: 'granted', beforeSend });
    await first.t.flush(); // the saved visitor is read
    first.t.track('Order Completed');
    await first.t.flush();
    await first.t.shutdown();
    c.requests.length = 0;
    const s = start(journey(rules), { beforeSend });
    s.t.page(); // guessed: awareness
    s.t.track('Pricing Viewed'); // guessed: consideration
    s.t.consent('granted');
    await until(() => c.requests.length, 'a batch');
    await s.t.flush();
    expect(c.events().map((e) => [name(e), e.context.journey!.stage])).toEqual([
      ['page', 'purchase'],
      ['Pricing Viewed', 'purchase'],
    ]);
  });

  // The engine kept its guessed entries up to maxPending to void them at the grant, counting those
  // a site's beforeSend then dropped (everything on a private path): with the cap filled by those,
  // an entry the core held was not voided, and went out beside the one judged again.
  test("judged again at consent: an entry the core held is voided however many a site's beforeSend dropped", async () => {
    const rules = {
      stages: ['awareness', 'consideration', 'purchase'],
      progression: 'latest',
      rules: [
        { stage: 'awareness', when: { type: 'page' } },
        { stage: 'consideration', when: { event: 'Pricing Viewed' } },
        { stage: 'purchase', when: { event: 'Order Completed' } },
      ],
    } as Rules;
    const c = fakeCollector();
    const beforeSend = (e: WaymarkEvent) => (e.context.page.path.startsWith('/account') ? null : e);
    const first = start(journey(rules), { consent: 'granted', beforeSend });
    await first.t.flush(); // the saved visitor is read
    first.t.track('Order Completed');
    await first.t.flush();
    await first.t.shutdown();
    c.requests.length = 0;
    nav('/account');
    const s = start(journey(rules), { maxPending: 4, beforeSend });
    for (let i = 0; i < 2; i++) s.t.page(), s.t.track('Pricing Viewed'); // 4 entries, all dropped by the site
    nav('/');
    s.t.page(); // held, and its entry (awareness)
    s.t.consent('granted');
    await until(() => c.requests.length, 'a batch');
    await s.t.flush();
    expect(c.events().map((e) => name(e) + (e.event == ENTERED ? ' ' + e.properties!.stage : ''))).toEqual(['page', ENTERED + ' awareness']);
  });

  test("on('stage') hears a stage first reached when this page's events are judged again from the saved journey", async () => {
    const rules = {
      stages: ['awareness', 'purchase', 'loyalty'],
      rules: [
        { stage: 'purchase', when: { event: 'Order Completed' } },
        { stage: 'loyalty', when: { event: 'Order Completed', count: { gte: 2 } } },
      ],
    } as Rules;
    const c = fakeCollector();
    await purchased(rules);
    c.requests.length = 0;
    const s = start(journey(rules));
    s.t.track('Order Completed'); // guessed: purchase; with the saved order, the second: loyalty
    s.t.consent('granted');
    await until(() => s.t.stage == 'loyalty', 'loyalty');
    await s.t.flush();
    expect(c.events().filter((e) => e.event == ENTERED).map((e) => e.properties!.stage)).toEqual(['loyalty']);
    expect(s.changes.map((x) => x.stage)).toEqual(['purchase', 'loyalty']);
  });

  test('latest: on consent, a stage reached on this page wins over the saved one', async () => {
    fakeCollector();
    const rules = { ...PRODUCT, progression: 'latest' as const };
    const first = start(journey(rules), { consent: 'granted' });
    await first.t.flush(); // the saved visitor is read
    first.t.track('Order Completed');
    // Once the visitor is read, shutdown() writes what is buffered.
    await first.t.flush();
    await first.t.shutdown();
    const second = start(journey(rules));
    second.t.page();
    second.t.consent('granted');
    await until(async () => (await dump(idb)).v?.j?.c?.[0] == 1, 'the merged state saved');
    expect(second.t.stage).toBe('awareness');
    expect((await dump(idb)).v.j).toMatchObject({ stage: 'awareness', c: { 0: 1, 4: 1 } });
    await second.t.shutdown();
  });

  test('reset() forgets the stage and the counts', () => {
    const s = start(journey(PRODUCT));
    s.t.track('Order Completed');
    s.t.reset();
    expect(s.t.stage).toBe(null);
    s.t.track('Hello');
    expect(s.events.at(-1)!.context.journey).toEqual({ stage: null, previousStage: null, enteredAt: null });
    s.t.track('Order Completed');
    // A first order again for this new visitor: purchase, not loyalty.
    expect(s.events.at(-1)!.properties).toMatchObject({ stage: 'purchase', previousStage: null });
  });

  test('a revoke forgets the stage, in memory and on disk', async () => {
    fakeCollector();
    const s = start(journey(PRODUCT), { consent: 'granted' });
    await s.t.flush(); // the saved visitor is read
    s.t.track('Order Completed');
    await until(async () => (await dump(idb)).v?.j?.stage == 'purchase', 'the stage saved');
    s.t.consent('denied');
    expect(s.t.stage).toBe(null);
    s.t.track('Hello');
    expect(s.events.at(-1)!.context.journey).toEqual({ stage: null, previousStage: null, enteredAt: null });
    await until(async () => !(await databases(idb)).includes('waymark'), 'the database deleted');
    await s.t.shutdown();
  });

  // Needs the core to hold the pipeline while it reads the saved visitor (see the report to the
  // lead): today an event made right at load is judged before the saved stage is restored.
  test('an event made right at a reload is judged against the saved stage', async () => {
    fakeCollector();
    const first = start(journey(PRODUCT), { consent: 'granted' });
    await first.t.flush(); // the saved visitor is read
    first.t.track('Order Completed');
    // Once the visitor is read, shutdown() writes what is buffered.
    await first.t.flush();
    await first.t.shutdown();
    const second = start(journey(PRODUCT), { consent: 'granted' });
    second.t.page();
    await until(() => second.events.length > 0, 'the page view');
    await tick(20);
    expect(second.names()).toEqual(['page']);
    expect(second.events[0].context.journey!.stage).toBe('purchase');
    await second.t.shutdown();
  });
});
