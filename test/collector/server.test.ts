// @vitest-environment node
import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { connect } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test, vi } from 'vitest';
// @ts-ignore: plain ES module without types
import { createCollector, stagesFrom } from '../../examples/collector/server.mjs';

let c: any;
let dir: string;

const event = (over: Record<string, unknown> = {}) => ({
  type: 'track',
  event: 'Button Pressed',
  properties: { plan: 'regular' },
  messageId: 'm-' + Math.random().toString(36).slice(2),
  anonymousId: 'anon-1',
  userId: null,
  timestamp: '2026-01-10T10:00:00.000Z',
  context: { page: { url: 'https://shop.test/pricing', path: '/pricing', referrer: '', title: 'Plans', search: '' }, session: { id: 's1', number: 1 } },
  ...over,
});
const body = (batch: unknown[], extra = {}) => JSON.stringify({ batch, sentAt: '2026-01-10T10:00:01.000Z', ...extra });

const post = (data: string | Uint8Array, type: string | null = 'application/json', headers: Record<string, string> = {}) =>
  fetch(c.endpoint, {
    method: 'POST',
    body: typeof data == 'string' ? data : new Blob([data as Uint8Array<ArrayBuffer>]),
    headers: { ...(type ? { 'Content-Type': type } : {}), ...headers },
  });
const count = (): number => c.store.db.prepare('SELECT COUNT(*) FROM events').pluck().get();

/** A raw request, for what fetch will not send (a lying Content-Length, a chunked body, a cut-off body). */
function raw(opts: { headers?: Record<string, string | number>; chunks?: (string | Buffer)[]; abortAfter?: number }) {
  return new Promise<{ status: number; text: string } | 'aborted'>((resolve) => {
    const req = request(c.endpoint, { method: 'POST', headers: { 'Content-Type': 'application/json', ...opts.headers } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, text }));
      res.on('error', () => resolve({ status: res.statusCode!, text }));
    });
    // After a 413 the server closes the connection while we may still be writing.
    req.on('error', () => resolve('aborted'));
    const chunks = opts.chunks || [];
    chunks.forEach((ch, i) => {
      if (opts.abortAfter != null && i >= opts.abortAfter) return;
      req.write(ch);
    });
    if (opts.abortAfter != null) setTimeout(() => req.destroy(), 20);
    else req.end();
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'waymark-collector-'));
  c = await createCollector({ file: join(dir, 'events.db'), stages: ['awareness', 'consideration'] });
});
afterAll(async () => {
  await c.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  c.store.db.exec('DELETE FROM events; DELETE FROM deliveries;');
});
afterEach(() => void vi.useRealTimers());
/** The collector's clock when it receives body(): the batch's sentAt, as from a browser whose clock is right. */
const onTime = () => vi.useFakeTimers({ toFake: ['Date'], now: Date.parse('2026-01-10T10:00:01.000Z') });

describe('ingest', () => {
  test('stores a JSON batch, flattening the fields the queries use', async () => {
    const e = event({ messageId: 'one', context: { ...event().context, journey: { stage: 'consideration', previousStage: 'awareness' }, campaign: { channel: 'email', first: { channel: 'social' } } } });
    onTime();
    const res = await post(body([e]));
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(await res.json()).toEqual({ ok: true, stored: 1, duplicates: 0 });
    const row = c.store.db.prepare('SELECT * FROM events').get();
    expect(row).toMatchObject({
      message_id: 'one',
      type: 'track',
      event: 'Button Pressed',
      anonymous_id: 'anon-1',
      user_id: null,
      ts: Date.parse('2026-01-10T10:00:00.000Z'),
      sent_at: Date.parse('2026-01-10T10:00:01.000Z'),
      page_path: '/pricing',
      channel: 'email',
      first_channel: 'social',
      stage: 'consideration',
      previous_stage: 'awareness',
      session_id: 's1',
      session_number: 1,
    });
    expect(JSON.parse(row.properties)).toEqual({ plan: 'regular' });
  });

  test('deduplicates by messageId, within a batch and across retries', async () => {
    const a = event({ messageId: 'dup-a' });
    const b = event({ messageId: 'dup-b' });
    expect(await (await post(body([a, b, a]))).json()).toEqual({ ok: true, stored: 2, duplicates: 1 });
    // The SDK retries a batch whose answer it never saw: same messageIds.
    expect(await (await post(body([a, b]))).json()).toEqual({ ok: true, stored: 0, duplicates: 2 });
    expect(count()).toBe(2);
    expect(c.store.db.prepare('SELECT events, duplicates FROM deliveries ORDER BY rowid').all()).toEqual([
      { events: 2, duplicates: 1 },
      { events: 0, duplicates: 2 },
    ]);
  });

  test('accepts text/plain page-hide beacons, and a body without a Content-Type', async () => {
    const res = await post(body([event({ messageId: 'beacon' })]), 'text/plain;charset=UTF-8');
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const bare = await raw({ headers: { 'Content-Type': '' }, chunks: [body([event({ messageId: 'bare' })])] });
    expect(bare).toMatchObject({ status: 200 });
    expect(c.store.db.prepare('SELECT message_id FROM events ORDER BY message_id').pluck().all()).toEqual(['bare', 'beacon']);
  });

  test('records what browsers report as dropped', async () => {
    await post(body([event()], { dropped: 7 }));
    expect(c.store.db.prepare('SELECT dropped FROM deliveries').pluck().all()).toEqual([7]);
  });

  test('uses the SQLite file in WAL mode', () => {
    expect(c.store.db.pragma('journal_mode', { simple: true })).toBe('wal');
  });
});

describe('CORS', () => {
  test('answers the preflight of a JSON flush', async () => {
    const res = await fetch(c.endpoint, {
      method: 'OPTIONS',
      headers: { Origin: 'https://shop.test', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
    expect(res.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('content-type');
    expect(await res.text()).toBe('');
  });

  test('error answers carry CORS headers too, so the SDK can read them', async () => {
    const res = await post('nope');
    expect(res.status).toBe(400);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
  });
});

describe('rejects, saying what is wrong', () => {
  const bad: [string, string | Uint8Array, RegExp][] = [
    ['malformed JSON', '{"batch": [', /^body is not valid JSON: /],
    ['an empty body', '', /^body is empty/],
    ['an array', '[]', /^the body must be a JSON object/],
    ['no batch', '{}', /^batch: must be an array/],
    ['an empty batch', '{"batch": []}', /^batch: is empty$/],
    ['a non-object event', '{"batch": [1]}', /^batch\[0\]: must be an object$/],
    ['a bad sentAt', body([event()], { sentAt: 'yesterday' }), /^sentAt: must be an ISO 8601 time/],
    ['a bad dropped count', body([event()], { dropped: -1 }), /^dropped: must be a whole number/],
    ['an unknown type', body([event({ type: 'screen' })]), /^batch\[0\]\.type: must be "page", "track" or "identify"$/],
    ['a track without a name', body([event({ event: '' })]), /^batch\[0\]\.event: a track event needs its name/],
    ['no messageId', body([event({ messageId: undefined })]), /^batch\[0\]\.messageId: must be a non-empty string/],
    ['no anonymousId', body([event({ anonymousId: 42 })]), /^batch\[0\]\.anonymousId: must be a non-empty string$/],
    ['a numeric userId', body([event({ userId: 7 })]), /^batch\[0\]\.userId: must be null or a string of 1 to 200 characters$/],
    ['a date without a time', body([event({ timestamp: '2026-01-10' })]), /^batch\[0\]\.timestamp: must be an ISO 8601 time/],
    ['an impossible date', body([event({ timestamp: '2026-13-45T99:00:00Z' })]), /^batch\[0\]\.timestamp/],
    ['properties that are an array', body([event({ properties: [1] })]), /^batch\[0\]\.properties: must be an object$/],
    ['a context that is a string', body([event({ context: 'x' })]), /^batch\[0\]\.context: must be an object$/],
    ['an event over 32 KB', body([event({ properties: { big: 'x'.repeat(33 * 1024) } })]), /^batch\[0\]: is over 32 KB$/],
    ['too many events', body(Array.from({ length: 501 }, () => ({}))), /^batch: has 501 events; the limit is 500$/],
    ['invalid UTF-8', new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), /^body is not valid UTF-8$/],
  ];
  test.each(bad)('%s', async (_what, data, message) => {
    const res = await post(data);
    expect(res.status).toBe(400);
    const json = await res.json();
    expect(json.ok).toBe(false);
    expect(json.error).toMatch(message);
    expect(count()).toBe(0);
  });

  test('a batch with no valid event is refused whole, and every problem is listed with its path', async () => {
    const res = await post(body([event({ type: 'nope', timestamp: 'later' }), event({ messageId: '' })]));
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      ok: false,
      error: '3 problems, first: batch[0].type: must be "page", "track" or "identify"',
      problems: [
        'batch[0].type: must be "page", "track" or "identify"',
        'batch[0].timestamp: must be an ISO 8601 time such as "2026-01-31T12:00:00.000Z"',
        'batch[1].messageId: must be a non-empty string, unique per event, so that retries can be deduplicated',
      ],
    });
    expect(count()).toBe(0);
  });

  test('invalid events are refused one by one: the valid ones beside them are stored (a 400 would lose them too)', async () => {
    const res = await post(
      body([event({ messageId: 'good-1' }), event({ event: 'x'.repeat(201) }), event({ messageId: 'good-2' }), event({ userId: 'u'.repeat(201) })]),
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      ok: true,
      stored: 2,
      duplicates: 0,
      refused: 2,
      problems: ['batch[1].event: a track event needs its name (1 to 200 characters)', 'batch[3].userId: must be null or a string of 1 to 200 characters'],
    });
    expect(count()).toBe(2);
  });

  test('an event nested too deeply to serialize is refused alone, not the batch with a 500', async () => {
    const deep = JSON.stringify(event({ messageId: 'deep' })).replace('"properties":{', '"properties":{"x":' + '['.repeat(100_000) + ']'.repeat(100_000) + ',');
    const res = await post(`{"batch":[${JSON.stringify(event({ messageId: 'good' }))},${deep}]}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, stored: 1, duplicates: 0, refused: 1, problems: ['batch[1]: is nested too deeply to store'] });
    expect(c.store.db.prepare('SELECT message_id FROM events').pluck().all()).toEqual(['good']);
  });

  test('a Content-Type that is neither JSON nor text: 415', async () => {
    const res = await post(body([event()]), 'application/xml');
    expect(res.status).toBe(415);
    expect((await res.json()).error).toBe('Content-Type application/xml is not accepted; send application/json or text/plain');
    expect(count()).toBe(0);
  });

  test('a body over 512 KB: 413, whether declared or streamed', async () => {
    const big = body([event({ properties: { pad: 'x'.repeat(600 * 1024) } })]);
    const declared = await post(big);
    expect(declared.status).toBe(413);
    expect((await declared.json()).error).toMatch(/^body is \d+ bytes; the limit is 524288$/);
    // Chunked, no Content-Length: refused once the limit is crossed, without reading the rest.
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const streamed = await raw({ headers: { 'Transfer-Encoding': 'chunked' }, chunks: Array.from({ length: 12 }, () => chunk) });
    if (streamed != 'aborted') {
      expect(streamed.status).toBe(413);
      expect(JSON.parse(streamed.text).error).toBe('body is over the limit of 524288 bytes');
    }
    expect(count()).toBe(0);
  });

  test('wrong method and unknown path', async () => {
    const get = await fetch(c.endpoint);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST, OPTIONS');
    expect((await fetch(c.url + 'v1/other', { method: 'POST', body: '{}' })).status).toBe(405);
    expect((await fetch(c.url + 'nothing-here')).status).toBe(404);
    expect((await fetch(c.url + 'api/report?from=yesterday')).status).toBe(400);
  });
});

describe('never crashes', () => {
  test('on hostile input, and keeps serving', async () => {
    const deep = '{"batch":' + '['.repeat(200_000) + ']'.repeat(200_000) + '}';
    const hostile: (string | Uint8Array)[] = [
      deep,
      '{"batch":[{"__proto__":{"polluted":true},"type":"track"}]}',
      JSON.stringify({ batch: [{ ...event(), constructor: { prototype: { polluted: true } } }] }),
      JSON.stringify({ batch: [event({ context: { page: { url: 'not a url', path: 42 }, campaign: { first: 'x' }, journey: [] } })] }),
      JSON.stringify({ batch: [event({ event: 'Web Vital', properties: { name: {}, value: 'NaN', id: [] } })] }),
      JSON.stringify({ batch: [event({ event: 'Journey Stage Entered', properties: { stage: { x: 1 }, touchpoint: [1, 2] } })] }),
      JSON.stringify({ batch: [event({ event: 'Feedback Submitted', properties: { score: '1e309', scale: 5, comment: {} } })] }),
      new Uint8Array(4096).map((_, i) => (i * 7919) % 256),
      '\u0000'.repeat(100),
      'null',
      '"batch"',
    ];
    for (const data of hostile) {
      const res = await post(data, 'text/plain');
      expect([200, 400]).toContain(res.status);
    }
    // Client-side misbehaviour: a body cut off halfway, and bytes that are not HTTP.
    expect(await raw({ headers: { 'Content-Length': 1000 }, chunks: ['{"batch":[', '{"type":'], abortAfter: 1 })).toBe('aborted');
    await new Promise<void>((resolve) => {
      const s = connect(c.port, '127.0.0.1', () => s.end('\x16\x03\x01 not http at all\r\n\r\n'));
      s.on('data', () => {});
      s.on('close', () => resolve());
      s.on('error', () => resolve());
    });
    expect(({} as any).polluted).toBeUndefined();
    expect((await fetch(c.url + 'healthz')).status).toBe(200);
    const ok = await post(body([event({ messageId: 'after' })]));
    expect(ok.status).toBe(200);
    expect(c.store.db.prepare("SELECT COUNT(*) FROM events WHERE message_id = 'after'").pluck().get()).toBe(1);
  });
});

describe('dashboard', () => {
  test('is served under a strict CSP, with chart.js from node_modules', async () => {
    const page = await fetch(c.url);
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("require-trusted-types-for 'script'");
    expect(csp).not.toContain('unsafe-inline');
    const html = await page.text();
    expect(html).toContain('<script src="/chart.umd.js"');
    expect(html).not.toMatch(/<script>|https?:\/\/(?!127)/);
    const chart = await fetch(c.url + 'chart.umd.js');
    expect(chart.status).toBe(200);
    expect(chart.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(await chart.text()).toMatch(/Chart/);
  });

  test('the report is JSON for the period asked', async () => {
    onTime();
    await post(body([event({ messageId: 'in' }), event({ messageId: 'out', timestamp: '2020-01-01T00:00:00.000Z' })]));
    const r = await (await fetch(c.url + `api/report?from=${Date.parse('2026-01-01')}&to=${Date.parse('2026-02-01')}`)).json();
    expect(r.summary).toMatchObject({ visitors: 1, events: 1 });
    expect(r.stages).toEqual(['awareness', 'consideration']);
  });

  test("a client with a wrong clock: its events are placed by the collector's clock (sentAt tells the skew), so they count in the period they came in", async () => {
    // Two days fast and a year slow; each event made 5 s before its batch was sent.
    const before = Date.now();
    for (const [anon, skew] of [['fast', 2 * 864e5], ['slow', -365 * 864e5]] as const) {
      const at = (ms: number) => new Date(Date.now() + skew + ms).toISOString();
      const res = await post(JSON.stringify({ batch: [event({ messageId: anon, anonymousId: anon, timestamp: at(-5000) })], sentAt: at(0) }));
      expect(res.status).toBe(200);
    }
    const after = Date.now();
    for (const ts of c.store.db.prepare('SELECT ts FROM events').pluck().all()) {
      expect(ts).toBeGreaterThanOrEqual(before - 5000);
      expect(ts).toBeLessThanOrEqual(after - 5000);
    }
    // The dashboard's "Today": both visitors came in today, and no event is in the future.
    const r = await (await fetch(c.url + `api/report?from=${before - 36e5}&to=${after + 36e5}`)).json();
    expect(r.summary).toMatchObject({ visitors: 2, events: 2 });
    expect(r.summary.last_event).toBeLessThanOrEqual(after);
  });

  test('a stage that is not in the rules file is stored but stays out of the funnel', async () => {
    const junk = Array.from({ length: 500 }, (_, i) => event({ type: 'page', anonymousId: 'j' + i, context: { page: { path: '/' }, journey: { stage: `<img> junk ${i}` } } }));
    expect(await (await post(body(junk))).json()).toMatchObject({ ok: true, stored: 500 });
    const r = await (await fetch(c.url + 'api/report')).json();
    expect(r.stages).toEqual(['awareness', 'consideration']);
    expect(r.funnel.map((f: any) => f.visitors)).toEqual([0, 0]);
  });
});

describe('--rules', () => {
  const rules = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  test('reads the stage order, past a UTF-8 byte order mark (browsers skip it too)', () => {
    expect(stagesFrom(rules('bom.json', '\uFEFF{"stages": ["a", "b"], "rules": []}'))).toEqual(['a', 'b']);
  });

  test('a file that cannot be read or parsed, or has no stages, is an error that says so', () => {
    expect(() => stagesFrom(join(dir, 'nope.json'))).toThrow(/nope\.json: cannot read it \(ENOENT\)$/);
    expect(() => stagesFrom(rules('broken.json', '{"stages": ['))).toThrow(/broken\.json: not valid JSON \(/);
    expect(() => stagesFrom(rules('other.json', '{"rules": []}'))).toThrow(/other\.json: no "stages" list of names$/);
  });

  test('the server refuses to start with a broken rules file, and says why on stderr', async () => {
    const server = fileURLToPath(new URL('../../examples/collector/server.mjs', import.meta.url));
    const r = await new Promise<{ code: number; stdout: string; stderr: string }>((done) =>
      execFile(process.execPath, [server, '--port', '0', '--db', ':memory:', '--rules', join(dir, 'nope.json')], { timeout: 10_000 }, (err, stdout, stderr) =>
        done({ code: err ? (err as any).code : 0, stdout, stderr }),
      ),
    );
    expect(r).toEqual({ code: 2, stdout: '', stderr: `collector: --rules ${join(dir, 'nope.json')}: cannot read it (ENOENT)\n` });
  }, 15_000);
});
