// @vitest-environment node
// Runs the real CLI (bin/waymark.mjs) with child_process. It imports ../dist/rules.mjs, so the
// CLI is copied next to a fresh build of src/journey/rules.ts in a temporary directory: the
// test does not depend on (or rebuild) the whole dist.
import { execFile, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import typescript from '@rollup/plugin-typescript';
import { rollup } from 'rollup';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { step, test as matches, validate } from '../../src/journey/rules';
import type { JourneyContext } from '../../src/types';
import { gen, mutate, NAMES, pick, SCALARS, seeded, SELECTORS, some } from './generate';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let dir: string;
let cli: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'waymark-cli-'));
  mkdirSync(join(dir, 'bin'));
  cli = join(dir, 'bin', 'waymark.mjs');
  copyFileSync(join(ROOT, 'bin/waymark.mjs'), cli);
  const bundle = await rollup({
    input: join(ROOT, 'src/journey/rules.ts'),
    plugins: [typescript({ tsconfig: join(ROOT, 'tsconfig.json'), declaration: false, outDir: undefined, rootDir: undefined, noEmitOnError: true })],
  });
  await bundle.write({ file: join(dir, 'dist/rules.mjs'), format: 'es' });
  await bundle.close();
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const run = (...args: string[]) =>
  new Promise<Run>((done) =>
    execFile(process.execPath, [cli, ...args], { cwd: ROOT }, (err, stdout, stderr) =>
      done({ code: err ? (err as any).code : 0, stdout, stderr }),
    ),
  );

const file = (name: string, content: unknown) => {
  const path = join(dir, name);
  writeFileSync(path, typeof content == 'string' ? content : JSON.stringify(content));
  return path;
};

const PRODUCT = 'test/journey/fixtures/product.json';

describe('waymark validate', () => {
  test('a valid file: exit 0 and one OK line', async () => {
    expect(await run('validate', PRODUCT)).toEqual({
      code: 0,
      stdout: `${PRODUCT}: OK (6 stages, 6 rules, progression forward)\n`,
      stderr: '',
    });
  });

  test.each(['shop', 'saas-trial', 'b2b-lead-gen', 'content-subscription'])('examples/stages/%s.json', async (name) => {
    const r = await run('validate', `examples/stages/${name}.json`);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/: OK \(6 stages, \d+ rules, progression (forward|latest)\)\n$/);
  });

  test('an invalid file: exit 1, every problem with its JSON path', async () => {
    const bad = file('bad.json', {
      stages: ['a', 'b'],
      rules: [
        { stage: 'a', when: { type: 'page' } },
        { stage: 'c', when: { path: '/pricing?plan=pro' } },
        { stage: 'b', when: { properties: { total: { gte: '10' }, 'order.total': { gt: '10' } } } },
      ],
    });
    expect(await run('validate', bad)).toEqual({
      code: 1,
      stdout: '',
      stderr:
        `${bad}: 4 problems\n` +
        '  rules[1].stage: expected a stage (a,b)\n' +
        '  rules[1].when.path: expected a path glob (/…, no ?query or #anchor) or an array of them\n' +
        '  rules[2].when.properties.total.gte: expected a number\n' +
        '  rules[2].when.properties["order.total"].gt: expected a number\n',
    });
  });

  test('a file that is not JSON: exit 1', async () => {
    const r = await run('validate', file('broken.json', '{"stages": ['));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/broken\.json: not valid JSON \(/);
  });

  test('a UTF-8 byte order mark is skipped, as browsers skip it', async () => {
    const bom = file('bom.json', '\uFEFF' + JSON.stringify({ stages: ['a'], rules: [{ stage: 'a', when: { type: 'page' } }] }));
    expect(await run('validate', bom)).toMatchObject({ code: 0, stdout: `${bom}: OK (1 stages, 1 rules, progression forward)\n` });
    const events = file('bom.ndjson', '\uFEFF{"type":"page"}\n{"type":"page"}\n');
    expect(await run('explain', bom, '--events', events)).toMatchObject({ code: 0, stderr: '' });
  });

  test('a file that does not exist: exit 2', async () => {
    const r = await run('validate', 'nope.json');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('waymark: cannot read nope.json: ENOENT\n');
  });
});

describe('waymark explain', () => {
  test('one event, from a given stage: every rule, the winner, and why the stage stays', async () => {
    const r = await run('explain', PRODUCT, '--event', '{"type":"page","context":{"page":{"path":"/pricing"}}}', '--from', 'decision');
    expect(r).toEqual({
      code: 0,
      stderr: '',
      stdout: [
        'Event page on /pricing',
        '  match  rules[0]   awareness',
        '  match  rules[1]   consideration  <- wins',
        '    -    rules[2]   consideration',
        '    -    rules[3]   decision',
        '    -    rules[4]   purchase',
        '    -    rules[5]   loyalty',
        'Stage: decision (unchanged: rules[1] points to consideration, forward progression never goes back to consideration)',
        '',
      ].join('\n'),
    });
  });

  test('one event, from no stage: the stage entered', async () => {
    const r = await run('explain', PRODUCT, '--event={"type":"page","context":{"page":{"path":"/compare/plans"}}}');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').at(-2)).toBe('Stage: none -> consideration, entered by rules[1]');
  });

  test('selector conditions are not checkable without a DOM, unless the event says what its element matches', async () => {
    const click = { type: 'track', event: 'Element Clicked' };
    const without = await run('explain', PRODUCT, '--event', JSON.stringify(click));
    expect(without.stdout).toContain('   (not checkable without a DOM, so not matched: "[data-plan]")\n');
    expect(without.stdout).toContain('Stage: none (no rule matches)\n');
    expect(without.stdout).toContain('Tip: add "selector"');
    const withSel = await run('explain', PRODUCT, '--event', JSON.stringify({ ...click, selector: '[data-plan]' }));
    expect(withSel.stdout).toContain('  match  rules[2]   consideration  <- wins\n');
    expect(withSel.stdout).not.toContain('not checkable');
    expect(withSel.stdout).toContain('Stage: none -> consideration, entered by rules[2]\n');
  });

  const journeyEvents = [
    { type: 'page', context: { page: { path: '/' } } },
    { type: 'page', context: { page: { path: '/pricing' } } },
    { type: 'track', event: 'Form Started', selector: ['#checkout'] },
    { type: 'track', event: 'Order Completed' },
    { type: 'track', event: 'Order Completed' },
    { type: 'page', context: { page: { path: '/' } } },
  ];
  const replay = [
    '1. page on /',
    '   matches: rules[0] awareness',
    '   Stage: none -> awareness, entered by rules[0]',
    '2. page on /pricing',
    '   matches: rules[0] awareness, rules[1] consideration',
    '   Stage: awareness -> consideration, entered by rules[1]',
    '3. track "Form Started"',
    '   matches: rules[3] decision',
    '   Stage: consideration -> decision, entered by rules[3]',
    '4. track "Order Completed"',
    '   matches: rules[4] purchase',
    '   Stage: decision -> purchase, entered by rules[4]',
    '5. track "Order Completed"',
    '   matches: rules[4] purchase, rules[5] loyalty',
    '   Stage: purchase -> loyalty, entered by rules[5]',
    '6. page on /',
    '   matches: rules[0] awareness',
    '   Stage: loyalty (unchanged: rules[0] points to awareness, forward progression never goes back to awareness)',
    '',
  ].join('\n');

  test('--events with a JSON array replays a journey step by step', async () => {
    expect(await run('explain', PRODUCT, '--events', file('events.json', journeyEvents))).toEqual({ code: 0, stdout: replay, stderr: '' });
  });

  test('--events with newline-delimited JSON (blank lines skipped)', async () => {
    const ndjson = file('events.ndjson', journeyEvents.map((e) => JSON.stringify(e)).join('\n\n') + '\n');
    expect(await run('explain', PRODUCT, '--events', ndjson)).toEqual({ code: 0, stdout: replay, stderr: '' });
  });

  test('a bad line in newline-delimited JSON: exit 1 with the line number', async () => {
    const r = await run('explain', PRODUCT, '--events', file('bad.ndjson', '{"type":"page"}\n{oops\n'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad\.ndjson line 2: not valid JSON/);
  });

  test('Journey Stage Entered is skipped, as the engine skips its own event: it neither matches nor counts', async () => {
    const rules = file('jse.json', {
      stages: ['visitor', 'engaged'],
      rules: [
        { stage: 'visitor', when: { type: 'track' } },
        { stage: 'engaged', when: { type: 'track', count: { gte: 3 } } },
      ],
    });
    const video = { type: 'track', event: 'Video Played' };
    const entered = { type: 'track', event: 'Journey Stage Entered', properties: { stage: 'visitor', previousStage: null, rule: 0 } };
    const r = await run('explain', rules, '--events', file('jse.ndjson', [video, entered, video].map((e) => JSON.stringify(e)).join('\n')));
    expect(r).toEqual({
      code: 0,
      stderr: '',
      stdout: [
        '1. track "Video Played"',
        '   matches: rules[0] visitor',
        '   Stage: none -> visitor, entered by rules[0]',
        '2. track "Journey Stage Entered"',
        "   skipped: Journey Stage Entered is the engine's own event",
        '3. track "Video Played"',
        '   matches: rules[0] visitor',
        '   Stage: visitor (unchanged: rules[0] points to visitor, already there)',
        '',
      ].join('\n'),
    });
    const one = await run('explain', rules, '--event', JSON.stringify(entered));
    expect(one).toEqual({ code: 0, stderr: '', stdout: 'Event track "Journey Stage Entered"\nskipped: Journey Stage Entered is the engine\'s own event\n' });
  });

  test('invalid events: exit 1, each problem named, nothing explained', async () => {
    const typo = await run('explain', PRODUCT, '--event', '{"type":"pgae"}');
    expect(typo).toEqual({ code: 1, stdout: '', stderr: '--event: type: expected "page", "track" or "identify", not "pgae"\n' });
    const events = file('invalid.json', [{ type: 'page' }, { type: 'track' }, { type: 'track', event: 7 }, [], { event: 'X' }]);
    expect(await run('explain', PRODUCT, '--events', events)).toEqual({
      code: 1,
      stdout: '',
      stderr: [
        `${events}: 4 invalid events`,
        '  event 2: event: a track event needs its name, a string',
        '  event 3: event: a track event needs its name, a string',
        '  event 4: expected a JSON object',
        '  event 5: type: expected "page", "track" or "identify"',
        '',
      ].join('\n'),
    });
  });

  test('--events takes a collector request body ({"batch": [...]}), one per line too', async () => {
    const batch = (events: unknown[]) => ({ batch: events, sentAt: '2026-01-01T00:00:00Z' });
    const body = file('body.json', batch(journeyEvents));
    expect(await run('explain', PRODUCT, '--events', body)).toEqual({ code: 0, stdout: replay, stderr: '' });
    const bodies = file('bodies.ndjson', [batch(journeyEvents.slice(0, 3)), batch(journeyEvents.slice(3))].map((b) => JSON.stringify(b)).join('\n'));
    expect(await run('explain', PRODUCT, '--events', bodies)).toEqual({ code: 0, stdout: replay, stderr: '' });
  });

  // The browser keeps one journey per visitor: a logout's reset() starts a new anonymousId with no
  // stage and no counts, and a collector's export holds many visitors, their events interleaved.
  test('each anonymousId is a visitor of its own, with its own stage and counts, and the output says when it changes', async () => {
    // As the browser sent them (product rules): an order, a reset(), a page view by the new
    // visitor. context.journey is what the engine said; explain must say the same.
    const [a, b] = ['6dc45101-3268-4045-a0a5-a9fd13530a08', '06d24652-a83c-428b-bb2c-0ef75c725246'];
    const journeyOf = (stage: string) => ({ journey: { stage, previousStage: null, enteredAt: '2026-11-22T23:31:17.501Z' } });
    const sent = [
      { batch: [
        { type: 'track', event: 'Order Completed', properties: {}, anonymousId: a, context: journeyOf('purchase') },
        { type: 'track', event: 'Journey Stage Entered', properties: { stage: 'purchase', previousStage: null, rule: 4 }, anonymousId: a, context: journeyOf('purchase') },
      ] },
      { batch: [
        { type: 'page', properties: { path: '/' }, anonymousId: b, context: { page: { path: '/' }, ...journeyOf('awareness') } },
        { type: 'track', event: 'Journey Stage Entered', properties: { stage: 'awareness', previousStage: null, rule: 0 }, anonymousId: b, context: journeyOf('awareness') },
      ] },
    ];
    const r = await run('explain', PRODUCT, '--events', file('reset.ndjson', sent.map((body) => JSON.stringify(body)).join('\n')));
    expect(r).toEqual({
      code: 0,
      stderr: '',
      stdout: [
        `Visitor ${a}: new, stage none`,
        '1. track "Order Completed"',
        '   matches: rules[4] purchase',
        '   Stage: none -> purchase, entered by rules[4]',
        '2. track "Journey Stage Entered"',
        "   skipped: Journey Stage Entered is the engine's own event",
        `Visitor ${b}: new, stage none`,
        '3. page on /',
        '   matches: rules[0] awareness',
        '   Stage: none -> awareness, entered by rules[0]',
        '4. track "Journey Stage Entered"',
        "   skipped: Journey Stage Entered is the engine's own event",
        '',
      ].join('\n'),
    });
    // Interleaved visitors: each goes on from its own stage and counts; --from is the first one's.
    const order = (id: string) => ({ type: 'track', event: 'Order Completed', anonymousId: id });
    const mixed = await run('explain', PRODUCT, '--from', 'decision', '--events', file('mixed.json', [order('x'), order('y'), order('x'), { type: 'page' }]));
    expect(mixed).toEqual({
      code: 0,
      stderr: '',
      stdout: [
        'Visitor x: new, stage decision',
        '1. track "Order Completed"',
        '   matches: rules[4] purchase',
        '   Stage: decision -> purchase, entered by rules[4]',
        'Visitor y: new, stage none',
        '2. track "Order Completed"',
        '   matches: rules[4] purchase',
        '   Stage: none -> purchase, entered by rules[4]',
        'Visitor x: seen before, stage purchase',
        '3. track "Order Completed"',
        '   matches: rules[4] purchase, rules[5] loyalty',
        '   Stage: purchase -> loyalty, entered by rules[5]',
        'Visitor (no anonymousId): new, stage none',
        '4. page',
        '   matches: rules[0] awareness',
        '   Stage: none -> awareness, entered by rules[0]',
        '',
      ].join('\n'),
    });
  });

  test('a JSON array with a syntax error: its own error, with the line and column, not a line-by-line one', async () => {
    const pretty = file('pretty.json', '[\n  {"type": "page"}\n  {"type": "page"}\n]\n');
    const r = await run('explain', PRODUCT, '--events', pretty);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^\S+pretty\.json: not valid JSON \(Expected ',' or ']' after array element in JSON at position 23 \(line 3 column 3\)\)\n$/);
    const cut = file('cut.json', '[{"type":"page"},\n{"type":"page"}');
    expect((await run('explain', PRODUCT, '--events', cut)).stderr).toMatch(/cut\.json: not valid JSON \(.* \(line 2 column 16\)\)\n$/);
  });

  test('a reader that stops early (| head -2) ends it quietly, exit 0', async () => {
    const many = file('many.ndjson', '{"type":"page","context":{"page":{"path":"/pricing"}}}\n'.repeat(5000));
    const child = spawn(process.execPath, [cli, 'explain', PRODUCT, '--events', many], { cwd: ROOT });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise((done) => child.on('close', done));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  });

  test('feedback stages say so', async () => {
    const rules = file('fb.json', { stages: ['a', 'b'], feedback: { b: 'nps' }, rules: [{ stage: 'b', when: { event: 'X' } }] });
    const r = await run('explain', rules, '--event', '{"type":"track","event":"X"}');
    expect(r.stdout).toContain('Stage: none -> b, entered by rules[0] (asks for nps feedback)\n');
  });

  test('a stage named like an Object member (constructor) asks for no feedback it was not given', async () => {
    const rules = file('proto.json', { stages: ['a', 'constructor'], feedback: { a: 'nps' }, rules: [{ stage: 'constructor', when: { event: 'X' } }] });
    const r = await run('explain', rules, '--event', '{"type":"track","event":"X"}');
    expect(r.stdout).toContain('Stage: none -> constructor, entered by rules[0]\n');
  });

  test('invalid rules: exit 1 with the problems, nothing explained', async () => {
    const r = await run('explain', file('bad2.json', { stages: ['a'], rules: [] }), '--event', '{}');
    expect(r).toMatchObject({ code: 1, stdout: '' });
    expect(r.stderr).toContain('  rules: expected a non-empty array\n');
  });
});

describe('bad arguments: usage and exit 2', () => {
  test.each<[string, string[], string]>([
    ['no command', [], ''],
    ['an unknown command', ['check', PRODUCT], 'waymark: unknown command: check'],
    ['validate without a file', ['validate'], 'waymark: validate needs a rules file'],
    ['validate with explain options', ['validate', PRODUCT, '--from', 'decision'], 'waymark: validate takes only a rules file'],
    ['explain without events', ['explain', PRODUCT], "waymark: explain needs --event '<JSON>' or --events <file> (one of them)"],
    ['explain with both', ['explain', PRODUCT, '--event', '{}', '--events', 'x.json'], "waymark: explain needs --event '<JSON>' or --events <file> (one of them)"],
    ['an unknown option', ['explain', PRODUCT, '--evnet', '{}'], 'waymark: unknown option --evnet'],
    ['an option without its value', ['explain', PRODUCT, '--event'], 'waymark: --event needs a value'],
    ['a stray argument', ['validate', PRODUCT, 'other.json'], 'waymark: unexpected argument: other.json'],
    ['--from that is not a stage', ['explain', PRODUCT, '--event', '{}', '--from', 'checkout'], 'waymark: --from checkout: expected one of the stages (awareness, consideration, decision, purchase, post_purchase, loyalty)'],
  ])('%s', async (_, args, problem) => {
    const r = await run(...args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    if (problem) expect(r.stderr.split('\n')[0]).toBe(problem);
    expect(r.stderr).toContain('Usage:\n  waymark validate <rules.json>\n  waymark explain <rules.json> --event');
  });

  test('--help prints the usage and exits 0', async () => {
    const r = await run('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage:\n/);
    expect(r.stdout).toContain('need a page to test CSS selectors on');
  });
});

// The CLI's verdicts are the browser's: for generated rules files, `validate` exits and reports
// as validate() does (which the engine runs at load), and `explain` reaches, event by event, the
// stage that step() (the engine's own step, with the selectors the event says its element
// matches) reaches.
describe('the CLI agrees with the engine on generated files', () => {
  const r = seeded(7);
  const PATHS = ['/', '/pricing', '/pricing/', '/docs/a/b', '/shop/checkout', '/shop/eu/checkout', '/app#/cart', '/caf%C3%A9/x', '/p/[id]', '/a%20b', '/team/settings'];
  const event = (n: number) => {
    const type = pick(r, ['page', 'track', 'track', 'identify']);
    const e: Record<string, unknown> = { type, anonymousId: 'v1', messageId: 'm' + n, context: { page: { path: pick(r, PATHS) }, session: { number: 1 + Math.floor(r() * 3) }, campaign: { channel: pick(r, ['email', 'direct']), source: pick(r, ['a', 'b']) } } };
    if (type == 'track') e.event = pick(r, ['Order Completed', 'Pricing', 'x', 'A', 'B', 'Element Clicked']);
    if (type == 'page' && r() < 0.5) e.name = pick(r, ['Pricing', 'A']);
    e.properties = Object.fromEntries(some(r, 3, () => [pick(r, NAMES), pick(r, SCALARS)]));
    if (r() < 0.5) e.selector = SELECTORS.filter(() => r() < 0.4);
    return e;
  };
  const docs = Array.from({ length: 30 }, (_, i) => {
    let doc: any = gen(r);
    if (i % 3 == 0) doc = mutate(r, doc);
    return doc;
  });

  test.each(docs.map((d, i) => [i, d]))('generated file %i', async (i, doc) => {
    const path = file(`gen-${i}.json`, doc);
    const errors = validate(doc);
    const v = await run('validate', path);
    expect(v.code).toBe(errors.length ? 1 : 0);
    if (errors.length) return expect(v.stderr.split('\n').slice(1, -1)).toEqual(errors.map((e) => '  ' + e));
    const events = Array.from({ length: 8 }, (_, n) => event(n));
    const x = await run('explain', path, '--events', file(`gen-${i}.events.json`, events));
    expect(x.code).toBe(0);
    const st: JourneyContext = { stage: null, previousStage: null, enteredAt: null };
    const counts: Record<string, number> = {};
    const expected = events.map((e) => {
      const sel = (s: string) => ((e.selector as string[]) || []).includes(s);
      step(doc, st, counts, e, sel);
      const hits = doc.rules.flatMap((u: any, k: number) => (matches(u.when, e, sel) && matches(u.when, e, sel, counts[k]) ? [`rules[${k}] ${u.stage}`] : []));
      return [`   matches: ${hits.join(', ') || 'none'}`, st.stage ?? 'none'];
    });
    const lines = x.stdout.split('\n');
    const got = lines
      .flatMap((l, k) => (l.startsWith('   Stage: ') ? [[lines.slice(0, k).reverse().find((m) => m.startsWith('   matches: ')), /^   Stage: (?:.*? -> (.*?), entered by|(.*?) \((?:no rule|unchanged))/.exec(l)!.slice(1).find((s) => s != null)]] : []));
    expect(got).toEqual(expected);
  });
});
