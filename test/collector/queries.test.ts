// @vitest-environment node
// The journey queries (examples/collector/sql/*.sql) on a small hand-made dataset whose
// every number is worked out below.
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
// @ts-ignore: plain ES module without types
import { openStore } from '../../examples/collector/db.mjs';

const T0 = Date.UTC(2026, 0, 10, 9, 0, 0);
const MIN = 60_000;
const DAY = 864e5;
const STAGES = ['awareness', 'consideration', 'decision', 'purchase'];
/** The period most tests look at: the visitors A to D are in it, E is two days earlier. */
const FROM = T0 - 3_600_000;
const TO = T0 + DAY;

let store: any;
let n = 0;

interface Spec {
  anon: string;
  at: number;
  type?: 'page' | 'track' | 'identify';
  event?: string;
  props?: Record<string, unknown>;
  path?: string;
  stage?: string;
  campaign?: Record<string, unknown>;
  search?: string;
}

function ev({ anon, at, type = 'track', event, props = {}, path = '/', stage, campaign, search = '' }: Spec) {
  return {
    type,
    ...(type == 'track' ? { event } : {}),
    properties: props,
    messageId: `${anon}-${++n}`,
    anonymousId: anon,
    userId: null,
    timestamp: new Date(at).toISOString(),
    context: {
      library: { name: 'waymark', version: 'test' },
      page: { url: `https://shop.test${path}${search}`, path, referrer: '', title: '', search },
      session: { id: anon + '-s1', number: 1 },
      ...(campaign ? { campaign } : {}),
      ...(stage ? { journey: { stage, previousStage: null, enteredAt: null } } : {}),
    },
  };
}
const page = (s: Omit<Spec, 'type'>) => ev({ ...s, type: 'page' });
/** The stage engine's record, with the touchpoint as the engine describes it. */
const entered = (s: Spec, stage: string, touch: { type: string; event?: string; path: string }) =>
  ev({ ...s, event: 'Journey Stage Entered', stage, props: { stage, previousStage: null, rule: 0, touchpoint: touch } });

/**
 * A: organic search; reaches purchase; CSAT 5 "Great".
 * B: email; reaches decision; fails validation on email, abandons checkout at postcode; NPS 9.
 * C: no campaign, no referrer (direct); awareness only; rage and dead clicks; newsletter form; NPS 3.
 * D: paid search; no Journey Stage Entered at all, only stages on its events (an engine
 *    that was filtered out): reaches consideration; dead click; CSAT 2 without a stage property.
 * E: two days before the period; awareness.
 */
function dataset() {
  const A = { anon: 'A', campaign: { channel: 'organic search', first: { channel: 'organic search' } } };
  const B = { anon: 'B', campaign: { channel: 'email', first: { channel: 'email' } } };
  const C = { anon: 'C' };
  const D = { anon: 'D', campaign: { channel: 'paid search' } };
  return [
    page({ ...A, at: T0, path: '/', stage: 'awareness' }),
    entered({ ...A, at: T0, path: '/', stage: 'awareness' }, 'awareness', { type: 'page', path: '/' }),
    page({ ...A, at: T0 + 2 * MIN, path: '/pricing', stage: 'consideration' }),
    entered({ ...A, at: T0 + 2 * MIN, path: '/pricing', stage: 'consideration' }, 'consideration', { type: 'page', path: '/pricing' }),
    page({ ...A, at: T0 + 4 * MIN, path: '/checkout', stage: 'consideration' }),
    ev({ ...A, at: T0 + 5 * MIN, path: '/checkout', event: 'Form Started', props: { form: 'checkout', field: 'email' }, stage: 'decision' }),
    entered({ ...A, at: T0 + 5 * MIN, path: '/checkout', stage: 'decision' }, 'decision', { type: 'track', event: 'Form Started', path: '/checkout' }),
    ev({ ...A, at: T0 + 9 * MIN, path: '/checkout', event: 'Form Submitted', props: { form: 'checkout', fields: 9 }, stage: 'decision' }),
    page({ ...A, at: T0 + 10 * MIN, path: '/confirmation', stage: 'decision' }),
    ev({ ...A, at: T0 + 10 * MIN, path: '/confirmation', event: 'Order Completed', props: { revenue: 22 }, stage: 'purchase' }),
    entered({ ...A, at: T0 + 10 * MIN, path: '/confirmation', stage: 'purchase' }, 'purchase', { type: 'track', event: 'Order Completed', path: '/confirmation' }),
    ev({ ...A, at: T0 + 11 * MIN, path: '/confirmation', event: 'Feedback Submitted', props: { score: 5, scale: 'csat', comment: 'Great', stage: 'purchase' }, stage: 'purchase' }),
    ev({ ...A, at: T0 + 1 * MIN, path: '/', event: 'Web Vital', props: { name: 'LCP', value: 1000, rating: 'good', id: 'lA', path: '/' } }),

    page({ ...B, at: T0 + 1 * MIN, path: '/products', stage: 'awareness' }),
    entered({ ...B, at: T0 + 1 * MIN, path: '/products', stage: 'awareness' }, 'awareness', { type: 'page', path: '/products' }),
    ev({ ...B, at: T0 + 4 * MIN, path: '/pricing', event: 'Element Clicked', props: { selector: '[data-plan]' }, stage: 'consideration' }),
    entered({ ...B, at: T0 + 4 * MIN, path: '/pricing', stage: 'consideration' }, 'consideration', { type: 'track', event: 'Element Clicked', path: '/pricing' }),
    ev({ ...B, at: T0 + 9 * MIN, path: '/checkout', event: 'Form Started', props: { form: 'checkout', field: 'email' }, stage: 'decision' }),
    entered({ ...B, at: T0 + 9 * MIN, path: '/checkout', stage: 'decision' }, 'decision', { type: 'track', event: 'Form Started', path: '/checkout' }),
    ev({ ...B, at: T0 + 10 * MIN, path: '/checkout', event: 'Form Field Invalid', props: { form: 'checkout', field: 'email', check: 'patternMismatch' }, stage: 'decision' }),
    ev({ ...B, at: T0 + 11 * MIN, path: '/checkout', event: 'Feedback Submitted', props: { score: 9, scale: 'nps', stage: 'decision' }, stage: 'decision' }),
    ev({ ...B, at: T0 + 12 * MIN, path: '/checkout', event: 'Form Abandoned', props: { form: 'checkout', lastField: 'postcode', fields: 3, duration: 180000 }, stage: 'decision' }),
    page({ ...B, at: T0 + 12 * MIN, path: '/', stage: 'decision' }),
    ev({ ...B, at: T0 + 2 * MIN, path: '/', event: 'Web Vital', props: { name: 'LCP', value: 2000, rating: 'good', id: 'lB', path: '/' } }),

    page({ ...C, at: T0 + 2 * MIN, path: '/', stage: 'awareness' }),
    entered({ ...C, at: T0 + 2 * MIN, path: '/', stage: 'awareness' }, 'awareness', { type: 'page', path: '/' }),
    ev({ ...C, at: T0 + 3 * MIN, path: '/', event: 'Rage Click', props: { selector: '#hero-cta', text: 'Compare plans' }, stage: 'awareness' }),
    ev({ ...C, at: T0 + 4 * MIN, path: '/', event: 'Rage Click', props: { selector: '#hero-cta', text: 'Compare plans' }, stage: 'awareness' }),
    ev({ ...C, at: T0 + 4 * MIN, path: '/', event: 'Dead Click', props: { selector: '#hero-cta', text: 'Compare plans' }, stage: 'awareness' }),
    ev({ ...C, at: T0 + 5 * MIN, path: '/', event: 'Form Started', props: { form: 'newsletter' }, stage: 'awareness' }),
    ev({ ...C, at: T0 + 6 * MIN, path: '/', event: 'Form Submitted', props: { form: 'newsletter' }, stage: 'awareness' }),
    ev({ ...C, at: T0 + 7 * MIN, path: '/', event: 'Feedback Submitted', props: { score: 3, scale: 'nps', stage: 'awareness' }, stage: 'awareness' }),
    ev({ ...C, at: T0 + 3 * MIN, path: '/', event: 'Web Vital', props: { name: 'LCP', value: 3000, rating: 'needs-improvement', id: 'lC', path: '/' } }),
    // CLS grows and is reported again under the same id: only 0.3 counts.
    ev({ ...C, at: T0 + 3 * MIN, path: '/', event: 'Web Vital', props: { name: 'CLS', value: 0.05, rating: 'good', id: 'c1', path: '/' } }),
    ev({ ...C, at: T0 + 8 * MIN, path: '/', event: 'Web Vital', props: { name: 'CLS', value: 0.3, rating: 'poor', id: 'c1', path: '/' } }),

    page({ ...D, at: T0 + 4 * MIN, path: '/', stage: 'awareness' }),
    page({ ...D, at: T0 + 6 * MIN, path: '/pricing', stage: 'consideration' }),
    ev({ ...D, at: T0 + 7 * MIN, path: '/pricing', event: 'Dead Click', props: { selector: '#save-badge' }, stage: 'consideration' }),
    ev({ ...D, at: T0 + 8 * MIN, path: '/pricing', event: 'Feedback Submitted', props: { score: 2, scale: 'csat', comment: 'Slow <b>checkout</b>' }, stage: 'consideration' }),
    ev({ ...D, at: T0 + 5 * MIN, path: '/', event: 'Web Vital', props: { name: 'LCP', value: 4000, rating: 'needs-improvement', id: 'lD', path: '/' } }),
    ev({ ...D, at: T0 + 5 * MIN, path: '/', event: 'Web Vital', props: { name: 'CLS', value: 0.1, rating: 'good', id: 'd1', path: '/' } }),

    page({ anon: 'E', at: T0 - 2 * DAY, path: '/', stage: 'awareness' }),
    entered({ anon: 'E', at: T0 - 2 * DAY, path: '/', stage: 'awareness' }, 'awareness', { type: 'page', path: '/' }),
  ];
}

beforeEach(() => {
  n = 0;
  store = openStore({ file: ':memory:', stages: STAGES });
  const events = dataset();
  // In two requests, the second a retry of part of the first: nothing may count twice.
  store.insertBatch(events, { receivedAt: T0 + 20 * MIN, sentAt: null, dropped: 0 });
  store.insertBatch(events.slice(0, 10), { receivedAt: T0 + 21 * MIN, sentAt: null, dropped: 2 });
});
afterEach(() => store.close());

describe('journey queries', () => {
  test('funnel: visitors per stage, how many went on, how many stopped', () => {
    expect(store.report(FROM, TO).funnel).toEqual([
      { stage: 'awareness', position: 1, visitors: 4, continued: 3, dropped_off: 1 },
      { stage: 'consideration', position: 2, visitors: 3, continued: 2, dropped_off: 1 },
      { stage: 'decision', position: 3, visitors: 2, continued: 1, dropped_off: 1 },
      { stage: 'purchase', position: 4, visitors: 1, continued: 0, dropped_off: 1 },
    ]);
  });

  test('funnel: cumulative, so a visitor who skips a stage (an ad straight to /pricing) still counts in it', () => {
    const F = { anon: 'F', campaign: { channel: 'paid search' } };
    store.insertBatch(
      [
        page({ ...F, at: T0 + 3 * MIN, path: '/pricing', stage: 'consideration' }),
        entered({ ...F, at: T0 + 3 * MIN, path: '/pricing', stage: 'consideration' }, 'consideration', { type: 'page', path: '/pricing' }),
      ],
      { receivedAt: T0 + 22 * MIN, sentAt: null, dropped: 0 },
    );
    expect(store.report(FROM, TO).funnel.map((r: any) => [r.stage, r.visitors, r.continued, r.dropped_off])).toEqual([
      ['awareness', 5, 4, 1],
      ['consideration', 4, 2, 2],
      ['decision', 2, 1, 1],
      ['purchase', 1, 0, 1],
    ]);
  });

  test('funnel: a period before theirs shows only E; stages entered after the period do not count', () => {
    expect(store.report(T0 - 3 * DAY, T0 - DAY).funnel.map((r: any) => r.visitors)).toEqual([1, 0, 0, 0]);
    // Up to T0 + 3 min: A is in consideration, B and C in awareness; D (first seen at 4 min) is not active yet.
    expect(store.report(FROM, T0 + 3 * MIN).funnel.map((r: any) => [r.visitors, r.continued, r.dropped_off])).toEqual([
      [3, 1, 2],
      [1, 0, 1],
      [0, 0, 0],
      [0, 0, 0],
    ]);
  });

  test('drop-off pages: the last page of those who went no further', () => {
    expect(store.report(FROM, TO).dropoff_pages).toEqual([
      { stage: 'awareness', page_path: '/', visitors: 1 },
      { stage: 'consideration', page_path: '/pricing', visitors: 1 },
      { stage: 'decision', page_path: '/', visitors: 1 },
      { stage: 'purchase', page_path: '/confirmation', visitors: 1 },
    ]);
  });

  test('drop-off pages: with a right clock, requests that overlap (a page-hide request still uploading while the next page sends) keep their events in order', () => {
    // G, in sync: views /pricing, then /checkout 1 s later. The first request takes 3 s to
    // arrive, the second 0.1 s: the time each spent on the way is no clock skew.
    const G = { anon: 'G' };
    const at = T0 + 30 * MIN;
    store.insertBatch([page({ ...G, at, path: '/pricing', stage: 'consideration' })], { receivedAt: at + 3000, sentAt: at + 1, dropped: 0 });
    store.insertBatch([page({ ...G, at: at + 1000, path: '/checkout', stage: 'consideration' })], { receivedAt: at + 1100, sentAt: at + 1001, dropped: 0 });
    expect(store.report(at, at + MIN).dropoff_pages).toEqual([{ stage: 'consideration', page_path: '/checkout', visitors: 1 }]);
  });

  test('a visitor who goes back (progression "latest"), logs in on the way and returns in a second session, whose requests arrive out of order and twice, counts once, at the furthest stage', () => {
    const H = { anon: 'H' };
    const at = T0 + 40 * MIN;
    const first = [
      page({ ...H, at, path: '/', stage: 'awareness' }),
      entered({ ...H, at, path: '/', stage: 'awareness' }, 'awareness', { type: 'page', path: '/' }),
      page({ ...H, at: at + MIN, path: '/pricing', stage: 'consideration' }),
      entered({ ...H, at: at + MIN, path: '/pricing', stage: 'consideration' }, 'consideration', { type: 'page', path: '/pricing' }),
      ev({ ...H, at: at + 3 * MIN, path: '/checkout', event: 'Form Started', props: { form: 'checkout' }, stage: 'decision' }),
      entered({ ...H, at: at + 3 * MIN, path: '/checkout', stage: 'decision' }, 'decision', { type: 'track', event: 'Form Started', path: '/checkout' }),
      // Logs in: the same anonymousId, now with a userId.
      { ...ev({ ...H, at: at + 4 * MIN, type: 'identify', path: '/checkout', stage: 'decision' }), userId: 'u-1' },
    ];
    // The next day, a new session: back to consideration under "latest".
    const second = [
      page({ ...H, at: at + DAY / 2, path: '/products', stage: 'consideration' }),
      entered({ ...H, at: at + DAY / 2, path: '/products', stage: 'consideration' }, 'consideration', { type: 'page', path: '/products' }),
    ].map((e) => ({ ...e, userId: 'u-1', context: { ...e.context, session: { id: 'H-s2', number: 2 } } }));
    // The second session's request arrives first; the first one's twice.
    store.insertBatch(second, { receivedAt: at + DAY / 2, sentAt: null });
    store.insertBatch(first, { receivedAt: at + DAY / 2 + 1, sentAt: null });
    store.insertBatch(first, { receivedAt: at + DAY / 2 + 2, sentAt: null });
    const r = store.report(at, at + DAY);
    expect(r.summary).toMatchObject({ visitors: 1, sessions: 2, events: 9, page_views: 3 });
    expect(r.funnel.map((f: any) => [f.stage, f.visitors, f.continued, f.dropped_off])).toEqual([
      ['awareness', 1, 1, 0],
      ['consideration', 1, 1, 0],
      ['decision', 1, 0, 1],
      ['purchase', 0, 0, 0],
    ]);
    // The page they left from is the last one seen, in the second session.
    expect(r.dropoff_pages).toEqual([{ stage: 'decision', page_path: '/products', visitors: 1 }]);
    // Time to each stage from the first event: the first entry only, not the return to consideration.
    expect(r.time_to_stage).toEqual([
      { stage: 'awareness', visitors: 1, median_ms: 0 },
      { stage: 'consideration', visitors: 1, median_ms: MIN },
      { stage: 'decision', visitors: 1, median_ms: 3 * MIN },
    ]);
    expect(r.touchpoints.map((t: any) => [t.stage, t.touchpoint])).toEqual([
      ['awareness', 'page view of /'],
      ['consideration', 'page view of /pricing'],
      ['decision', 'Form Started on /checkout'],
    ]);
    // The period is [from, to): the entry into decision at `to` is not in it, and is at `from`.
    expect(store.report(at, at + 3 * MIN).funnel.map((f: any) => f.visitors)).toEqual([1, 1, 0, 0]);
    expect(store.report(at + 3 * MIN, at + 3 * MIN + 1).time_to_stage).toEqual([{ stage: 'decision', visitors: 1, median_ms: 3 * MIN }]);
  });

  test('drop-off pages: with a clock over a minute off, requests that overlap keep their events in order', () => {
    // H's clock is 5 minutes slow: their events are moved by received - sentAt, which is the
    // clock's skew plus the time the request spent on the way (3 s for the page-hide request
    // still uploading, 0.1 s for the next page's). Moved by both, /checkout lands before /pricing.
    const H = { anon: 'H' };
    const at = T0 + 30 * MIN;
    const slow = 5 * MIN;
    store.insertBatch([page({ ...H, at: at - slow, path: '/pricing', stage: 'consideration' })], { receivedAt: at + 3000, sentAt: at - slow + 1, dropped: 0 });
    store.insertBatch([page({ ...H, at: at - slow + 1000, path: '/checkout', stage: 'consideration' })], { receivedAt: at + 1100, sentAt: at - slow + 1001, dropped: 0 });
    expect(store.report(at - MIN, at + MIN).dropoff_pages).toEqual([{ stage: 'consideration', page_path: '/checkout', visitors: 1 }]);
  });

  test('time to stage: the median from the first event, with the mean of the middle two for even counts', () => {
    expect(store.report(FROM, TO).time_to_stage).toEqual([
      { stage: 'awareness', visitors: 4, median_ms: 0 },
      // A 2 min, B 3 min, D 2 min
      { stage: 'consideration', visitors: 3, median_ms: 2 * MIN },
      // A 5 min, B 8 min
      { stage: 'decision', visitors: 2, median_ms: 6.5 * MIN },
      { stage: 'purchase', visitors: 1, median_ms: 10 * MIN },
    ]);
  });

  test('channels: first touch of the visitors in each stage', () => {
    expect(store.report(FROM, TO).channels).toEqual([
      { stage: 'awareness', channel: 'direct', visitors: 1 },
      { stage: 'awareness', channel: 'email', visitors: 1 },
      { stage: 'awareness', channel: 'organic search', visitors: 1 },
      { stage: 'awareness', channel: 'paid search', visitors: 1 },
      { stage: 'consideration', channel: 'email', visitors: 1 },
      { stage: 'consideration', channel: 'organic search', visitors: 1 },
      { stage: 'consideration', channel: 'paid search', visitors: 1 },
      { stage: 'decision', channel: 'email', visitors: 1 },
      { stage: 'decision', channel: 'organic search', visitors: 1 },
      { stage: 'purchase', channel: 'organic search', visitors: 1 },
    ]);
  });

  test('channels: cumulative as the funnel is, so a visitor who skips a stage counts in it with their channel', () => {
    const F = { anon: 'F', campaign: { channel: 'paid social', first: { channel: 'paid social' } } };
    store.insertBatch(
      [
        page({ ...F, at: T0 + 3 * MIN, path: '/pricing', stage: 'consideration' }),
        entered({ ...F, at: T0 + 3 * MIN, path: '/pricing', stage: 'consideration' }, 'consideration', { type: 'page', path: '/pricing' }),
      ],
      { receivedAt: T0 + 22 * MIN, sentAt: null, dropped: 0 },
    );
    const r = store.report(FROM, TO);
    const per = (rows: any[]) => rows.reduce((m, x) => ((m[x.stage] = (m[x.stage] || 0) + x.visitors), m), {});
    // Every stage's channels add up to the funnel's visitors for it.
    expect(per(r.channels)).toEqual(Object.fromEntries(r.funnel.filter((x: any) => x.visitors).map((x: any) => [x.stage, x.visitors])));
    expect(r.channels.filter((x: any) => x.channel == 'paid social')).toEqual([
      { stage: 'awareness', channel: 'paid social', visitors: 1 },
      { stage: 'consideration', channel: 'paid social', visitors: 1 },
    ]);
  });

  test('touchpoints: what moved visitors into each stage, the engine-less visitor included', () => {
    expect(store.report(FROM, TO).touchpoints).toEqual([
      { stage: 'awareness', touchpoint: 'page view of /', visitors: 3 },
      { stage: 'awareness', touchpoint: 'page view of /products', visitors: 1 },
      { stage: 'consideration', touchpoint: 'page view of /pricing', visitors: 2 },
      { stage: 'consideration', touchpoint: 'Element Clicked on /pricing', visitors: 1 },
      { stage: 'decision', touchpoint: 'Form Started on /checkout', visitors: 2 },
      { stage: 'purchase', touchpoint: 'Order Completed on /confirmation', visitors: 1 },
    ]);
  });

  test('forms: funnel per form, and where they were left', () => {
    const r = store.report(FROM, TO);
    expect(r.forms).toEqual([
      { form: 'checkout', started: 2, steps_completed: 0, invalid: 1, submitted: 1, abandoned: 1 },
      { form: 'newsletter', started: 1, steps_completed: 0, invalid: 0, submitted: 1, abandoned: 0 },
    ]);
    expect(r.form_fields).toEqual([
      { form: 'checkout', field: 'postcode', abandoned: 1, invalid: 0 },
      { form: 'checkout', field: 'email', abandoned: 0, invalid: 1 },
    ]);
  });

  test('frustration: rage and dead clicks by page and element', () => {
    expect(store.report(FROM, TO).frustration).toEqual([
      { page: '/', element: '#hero-cta "Compare plans"', rage: 2, dead: 1, visitors: 1 },
      { page: '/pricing', element: '#save-badge', rage: 0, dead: 1, visitors: 1 },
    ]);
  });

  test('web vitals: p75 by page, the last report of each id only', () => {
    expect(store.report(FROM, TO).web_vitals).toEqual([
      // 0.1 and 0.3 (0.05 was replaced by 0.3 under the same id)
      { page: '/', metric: 'CLS', samples: 2, p75: 0.3, good: 1 },
      // 1000, 2000, 3000, 4000: nearest rank 3 of 4
      { page: '/', metric: 'LCP', samples: 4, p75: 3000, good: 2 },
    ]);
  });

  test('feedback: by the stage it was given in, falling back to the event stage', () => {
    const r = store.report(FROM, TO);
    expect(r.feedback).toEqual([
      { stage: 'awareness', scale: 'nps', responses: 1, average: 3, nps: -100, csat: null },
      { stage: 'consideration', scale: 'csat', responses: 1, average: 2, nps: null, csat: 0 },
      { stage: 'decision', scale: 'nps', responses: 1, average: 9, nps: 100, csat: null },
      { stage: 'purchase', scale: 'csat', responses: 1, average: 5, nps: null, csat: 100 },
    ]);
    expect(r.feedback_comments).toEqual([
      { ts: T0 + 11 * MIN, stage: 'purchase', scale: 'csat', score: 5, comment: 'Great' },
      { ts: T0 + 8 * MIN, stage: 'consideration', scale: 'csat', score: 2, comment: 'Slow <b>checkout</b>' },
    ]);
  });

  test('summary and deliveries', () => {
    const r = store.report(FROM, TO);
    // A 13 events (4 page views), B 11 (2), C 11 (1), D 6 (2); E is outside the period.
    expect(r.summary).toEqual({ visitors: 4, sessions: 4, events: 41, page_views: 9, orders: 1, last_event: T0 + 12 * MIN });
    // The retry of the first ten events counted as duplicates; its request reported 2 dropped.
    expect(r.deliveries).toEqual({ requests: 2, duplicates: 10, dropped: 2 });
    expect(store.report(T0 - 3 * DAY, T0).deliveries).toEqual({ requests: 0, duplicates: 0, dropped: 0 });
  });

  test('NPS and CSAT arithmetic over several answers', () => {
    const at = T0 + 30 * MIN;
    const answers = [10, 9, 8, 7, 6, 0].map((score, i) =>
      ev({ anon: 'N' + i, at, event: 'Feedback Submitted', props: { score, scale: 'nps', stage: 'purchase' } }),
    );
    const csat = [5, 4, 3].map((score, i) => ev({ anon: 'S' + i, at, event: 'Feedback Submitted', props: { score, scale: 'csat', stage: 'decision' } }));
    store.insertBatch([...answers, ...csat], { receivedAt: at, sentAt: null });
    const r = store.report(at, at + 1);
    expect(r.feedback).toEqual([
      // 2 of 3 satisfied
      { stage: 'decision', scale: 'csat', responses: 3, average: 4, nps: null, csat: 66.7 },
      // 2 promoters, 2 detractors of 6
      { stage: 'purchase', scale: 'nps', responses: 6, average: 6.67, nps: 0, csat: null },
    ]);
  });

  test('with configured stages, a stage only seen in data is stored on its event but stays out of the funnel', () => {
    // A junk stage must not rank after the last real one: its visitor would count as having reached every stage.
    const junk = Array.from({ length: 50 }, (_, i) => page({ anon: 'Z' + i, at: T0, path: '/', stage: `<img> junk ${i}` }));
    store.insertBatch([...junk, page({ anon: 'Z', at: T0, path: '/', stage: 'advocacy' })], { receivedAt: T0, sentAt: null });
    const r = store.report(FROM, TO);
    expect(r.stages).toEqual(STAGES);
    expect(r.funnel.map((f: any) => f.visitors)).toEqual([4, 3, 2, 1]);
    expect(store.db.prepare('SELECT COUNT(*) FROM stages').pluck().get()).toBe(4);
    expect(store.db.prepare("SELECT stage FROM events WHERE anonymous_id = 'Z'").pluck().get()).toBe('advocacy');
  });

  test('configuring stages drops the ones an earlier run learned from the data', () => {
    store.close();
    store = openStore({ file: ':memory:' });
    store.insertBatch([page({ anon: 'Z', at: T0, path: '/', stage: 'junk' })], { receivedAt: T0, sentAt: null });
    expect(store.report(FROM, TO).stages).toEqual(['junk']);
    store.configureStages(STAGES);
    expect(store.report(FROM, TO).stages).toEqual(STAGES);
  });

  test('without configured stages, the order is learned from the data, up to 20 stages', () => {
    store.close();
    const logged: string[] = [];
    store = openStore({ file: ':memory:', log: (l: string) => logged.push(l) });
    const events = Array.from({ length: 500 }, (_, i) => page({ anon: 'Y' + i, at: T0, path: '/', stage: `s${i}` }));
    store.insertBatch(events, { receivedAt: T0, sentAt: null });
    expect(store.report(FROM, TO).stages).toEqual(Array.from({ length: 20 }, (_, i) => `s${i}`));
    expect(store.db.prepare('SELECT COUNT(*) FROM events').pluck().get()).toBe(500);
    expect(logged).toEqual(['more than 20 stages seen without a rules file: the others are stored on their events but left out of the funnel']);
  });
});

describe('channel fallback when the SDK sent none', () => {
  const channelOf = (search: string, referrer: string) => {
    const e = page({ anon: 'X' + ++n, at: T0, path: '/', search });
    e.context.page.referrer = referrer;
    store.insertBatch([e], { receivedAt: T0, sentAt: null });
    return store.db.prepare('SELECT channel FROM events WHERE message_id = ?').pluck().get(e.messageId);
  };
  test.each([
    ['?utm_source=google&utm_medium=cpc', '', 'paid search'],
    ['?utm_source=facebook&utm_medium=paid_social', '', 'paid social'],
    ['?utm_source=newsletter&utm_medium=email', '', 'email'],
    ['?utm_source=instagram&utm_medium=social', '', 'social'],
    ['?utm_source=partner&utm_medium=referral', '', 'referral'],
    ['?utm_source=flyer', '', 'other'],
    // Click ids as attribution() reads them: Facebook adds fbclid to organic shares too.
    ['?fbclid=IwAR0abc', 'https://l.facebook.com/', 'social'],
    ['?ttclid=E.C.P.abc', '', 'paid social'],
    ['?wbraid=abc', '', 'paid search'],
    ['?dclid=abc', '', 'display'],
    ['', 'https://www.google.com/', 'organic search'],
    // Webmail, as attribution() has it: mail.google.com is not a search engine.
    ['', 'https://mail.google.com/', 'email'],
    ['', 'https://www.linkedin.com/feed', 'social'],
    // X's link shortener: every click from a post arrives with this referrer.
    ['', 'https://t.co/', 'social'],
    ['', 'https://blog.example/post', 'referral'],
    ['', '', 'direct'],
    ['', 'https://shop.test/pricing', null],
  ])('%s from %s is %s', (search, referrer, channel) => {
    expect(channelOf(search, referrer)).toBe(channel);
  });
});

// A small site runs the reference collector on its own file: a new release's schema must not
// cost it the events it holds. Schema 3 (the release before browser_ts) is made here from
// today's by taking the column away.
test('a database of the schema before browser_ts (3) keeps its events when the collector is upgraded', async () => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'waymark-db-'));
  try {
    const file = join(dir, 'w.db');
    let s = openStore({ file, stages: STAGES });
    s.insertBatch([page({ anon: 'V', at: T0, path: '/', stage: 'awareness' })], { receivedAt: T0 + 1000, sentAt: null, dropped: 0 });
    s.db.exec('DROP VIEW stage_entries; ALTER TABLE events DROP COLUMN browser_ts');
    s.db.pragma('user_version = 3');
    s.close();
    s = openStore({ file, stages: STAGES });
    const r = s.report(T0 - MIN, T0 + MIN);
    s.close();
    expect(r.summary).toMatchObject({ visitors: 1, page_views: 1 });
    expect(r.dropoff_pages).toEqual([{ stage: 'awareness', page_path: '/', visitors: 1 }]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
