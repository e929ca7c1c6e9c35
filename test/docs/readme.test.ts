// README.md is the user's documentation: these tests pin what it states to the code, so that a
// change to one without the other fails here. Each test reads the README as a user would, by
// section, table and code block, and compares it with the source of truth (types.ts,
// checkOptions, the script-tag bootstrap, the rules validator, the CLI, .size-limit.json).
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import typescript from '@rollup/plugin-typescript';
import Ajv2020 from 'ajv/dist/2020.js';
import { rollup } from 'rollup';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test, vi } from 'vitest';
import * as waymark from '../../src/index';
import { attribution } from '../../src/capture/attribution';
import { checkOptions } from '../../src/core/checkOptions';
import { createTracker } from '../../src/core/tracker';
import { journey } from '../../src/journey/index';
import { validate } from '../../src/journey/rules';
import { boot, defaultModules } from '../../src/script-tag/boot';
import type { Plugin } from '../../src/types';
import { fakeCollector, freshIndexedDB, until } from '../helpers';

const README = readFileSync('README.md', 'utf8');
const TYPES = readFileSync('src/types.ts', 'utf8');

/** The text of a `## title` section (or `### title`), up to the next heading of its level or above. */
const section = (title: string) => {
  const level = title.match(/^#+/)![0];
  const start = README.indexOf('\n' + title + '\n');
  expect(start, `README has a section "${title}"`).toBeGreaterThan(-1);
  const rest = README.slice(start + title.length + 2);
  const end = rest.search(new RegExp(`\\n#{1,${level.length}} `));
  return end < 0 ? rest : rest.slice(0, end);
};
/** The fenced code blocks of `text` in language `lang`. */
const blocks = (text: string, lang: string) => [...text.matchAll(/```(\w*)\n([\s\S]*?)```/g)].filter((m) => m[1] == lang).map((m) => m[2]);
/** The rows of the first Markdown table in `text` whose header starts with `first`, as arrays of cells. */
const table = (text: string, first: string) => {
  const lines = text.split('\n');
  const at = lines.findIndex((l) => l.startsWith('| ' + first));
  expect(at, `a table headed "${first}"`).toBeGreaterThan(-1);
  const rows: string[][] = [];
  for (let i = at + 2; lines[i]?.startsWith('|'); i++) rows.push(lines[i].slice(1, -1).split(/(?<!\\)\|/).map((c) => c.trim()));
  return rows;
};
/** The `code spans` of a Markdown cell or sentence. */
const spans = (text: string) => [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
/** The members of an `export interface name { … }` in types.ts (one level, comments skipped). */
const members = (name: string) => {
  const body = new RegExp(`export interface ${name}(?: extends \\w+)? \\{\\n([\\s\\S]*?)\\n\\}`).exec(TYPES)![1];
  return [...body.matchAll(/^ {2}(?:readonly )?(\w+)(?:<[^>]*>)?\??[:(]/gm)].map((m) => m[1]);
};
const unique = <T>(xs: T[]) => [...new Set(xs)];

describe('Configuration', () => {
  const text = section('## Configuration');
  const rows = table(text, 'option');
  /** Option name → README default cell. `maxQueue` / `maxQueueBytes` / `maxAge` share a row. */
  const documented = new Map<string, string>();
  for (const [cell, def] of rows) {
    const names = spans(cell).map((s) => s.replace(/\(.*$/, ''));
    const defs = names.length > 1 ? def.split(' / ') : [def];
    expect(defs, `one default per option in the row of ${cell}`).toHaveLength(names.length);
    names.forEach((n, i) => documented.set(n, defs[i]));
  }
  /** A default cell as a value: `'pending'`, `20`, `1e6`, `7 days`, `30 min`, none. */
  const value = (cell: string): unknown => {
    const c = cell.replace(/\s*\(.*\)$/, '').replace(/`/g, '').trim();
    const time = /^(\d+) (days|min)$/.exec(c);
    if (time) return +time[1] * (time[2] == 'days' ? 864e5 : 6e4);
    if (c == 'none') return undefined;
    return JSON.parse(c.replace(/'/g, '"'));
  };
  // No value and an empty one behave the same for these options ({ ...undefined }, [].concat(undefined)).
  const empty = (v: unknown) => v === undefined || v === false || (typeof v == 'object' && v !== null && Object.keys(v).length == 0);

  test('the options table lists every option of TrackerOptions, and no other', () => {
    expect([...documented.keys()].sort()).toEqual(members('TrackerOptions').sort());
  });

  test('each default in the table is the one createTracker applies', () => {
    const o: any = checkOptions({ endpoint: '/v1/batch' });
    for (const [name, cell] of documented) {
      if (name == 'endpoint') continue;
      const want = value(cell);
      if (empty(want)) expect(empty(o[name]), `${name}: README says ${cell}, createTracker has ${JSON.stringify(o[name])}`).toBe(true);
      else expect(o[name], `${name}: README says ${cell}`).toEqual(want);
    }
  });

  test("the TypeScript docs of each option (the .d.ts users read) give the same default", () => {
    // types.ts says "Default 20." or "Defaults 1000, 1 MB, 7 days." in an option's comment.
    const o: any = checkOptions({ endpoint: '/v1/batch' });
    const read = (said: string): unknown => {
      const time = /^(\d+) (days|minutes)$/.exec(said);
      if (time) return +time[1] * (time[2] == 'days' ? 864e5 : 6e4);
      if (/^\d+ MB$/.test(said)) return parseInt(said) * 1e6;
      return /^(\d+|true|false)$/.test(said) ? JSON.parse(said) : said;
    };
    let checked = 0;
    for (const [, comment, name] of TYPES.matchAll(/\/\*\* ([^*]*?Defaults? [^*]*?)\*\/\n\s+(\w+)\?:/g)) {
      const said = /Defaults? (.*?)\.?$/.exec(comment.trim().replace(/`/g, ''))![1].split(', ');
      // "Defaults 1000, 1 MB, 7 days" is said once for maxQueue, maxQueueBytes and maxAge, in that order.
      const names = said.length > 1 ? [name, ...members('TrackerOptions').slice(members('TrackerOptions').indexOf(name) + 1, members('TrackerOptions').indexOf(name) + said.length)] : [name];
      said.forEach((x, i) => expect(read(x), names[i]).toEqual(o[names[i]]), (checked += said.length));
    }
    expect(checked).toBeGreaterThanOrEqual(10);
  });

  describe('on the script tag', () => {
    const w = window as any;
    let tag: HTMLScriptElement;
    beforeEach(() => {
      freshIndexedDB();
      tag = document.createElement('script');
      document.head.append(tag);
      vi.spyOn(console, 'warn').mockImplementation(() => {});
      vi.spyOn(console, 'error').mockImplementation(() => {});
      vi.spyOn(console, 'debug').mockImplementation(() => {});
    });
    afterEach(async () => {
      tag.remove();
      delete w.waymark;
      vi.unstubAllGlobals();
      vi.restoreAllMocks();
    });
    const [, except] = /Every option except ((?:`\w+`(?:, | and )?)+) \(functions and\s+objects\) is also a kebab-case `data-` attribute/.exec(text)!;
    const notAttributes = spans(except);
    const kebab = (n: string) => n.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
    const probe = () => {
      const seen: any[] = [];
      const modules = { probe: (): Plugin => ({ name: 'probe', setup: (ctx) => void seen.push(ctx.options) }) };
      return { seen, modules };
    };

    test('the options README says are not attributes are the functions and objects', () => {
      expect(notAttributes.sort()).toEqual(['beforeSend', 'headers', 'plugins', 'transform']);
    });

    test('every other option arrives from its kebab-case data- attribute', async () => {
      const defaults: any = checkOptions({ endpoint: '/v1/batch' });
      // A value other than the default, as an author would write it in HTML.
      const written: Record<string, [string, unknown]> = {
        endpoint: ['https://c.test/v1/batch', 'https://c.test/v1/batch'],
        consent: ['denied', 'denied'],
        capture: ['probe', undefined],
        stages: ['/journey.json', '/journey.json'],
        redact: ['order_id coupon', ['order_id', 'coupon']],
        storageName: ['shop', 'shop'],
      };
      const { seen, modules } = probe();
      const options = [...documented.keys()].filter((n) => !notAttributes.includes(n));
      for (const n of options) {
        const d = defaults[n];
        const [attr, want] = written[n] ?? (typeof d == 'number' ? ['' + (d + 1), d + 1] : [d ? 'false' : 'true', !d]);
        written[n] = [attr, want];
        tag.setAttribute('data-' + kebab(n), attr);
      }
      fakeCollector();
      boot(modules, (src) => ({ name: 'stages', src }) as Plugin);
      expect(seen).toHaveLength(1);
      for (const n of options) {
        if (n == 'capture') expect(seen[0].capture.map((p: Plugin) => p.name), 'data-capture').toEqual(['probe']);
        else if (n == 'stages') expect(seen[0].stages.src, 'data-stages').toBe('/journey.json');
        else expect(seen[0][n], `data-${kebab(n)}="${written[n][0]}"`).toEqual(written[n][1]);
      }
    });

    test('an option written in camelCase (read by HTML in lower case) is named on the console with its kebab-case spelling', () => {
      const multiword = [...documented.keys()].filter((n) => /[A-Z]/.test(n) && !notAttributes.includes(n));
      tag.setAttribute('data-endpoint', '/v1/batch');
      for (const n of multiword) tag.setAttribute('data-' + n, '1');
      boot(probe().modules);
      const said = vi.mocked(console.warn).mock.calls.map((c) => String(c[0]));
      for (const n of multiword) expect(said.filter((m) => m.endsWith(`write data-${kebab(n)}`)), n).toHaveLength(1);
    });

    test("the commands README shows are the script tag's, and the modules it turns on are its default ones", () => {
      const quick = section('### Script tag');
      const commands = unique([...blocks(quick, 'js').join('\n').matchAll(/waymark\('(\w+)'/g)].map((m) => m[1]));
      expect(commands.length).toBeGreaterThan(5);
      tag.setAttribute('data-endpoint', '/v1/batch');
      fakeCollector();
      boot({});
      for (const c of commands) w.waymark(c, c == 'on' ? 'stage' : undefined, () => {});
      const unknown = vi.mocked(console.warn).mock.calls.map((c) => String(c[0])).filter((m) => /unknown command/.test(m));
      expect(unknown).toEqual([]);
      w.waymark('shutdown');
      expect(vi.mocked(console.warn).mock.calls.map((c) => String(c[0]))).toContain('[waymark] unknown command: shutdown');
      const [, on] = /The script tag turns on ((?:`\w+`(?:, | and )?)+)/.exec(section('## Capture modules'))!;
      expect(spans(on)).toEqual(Object.keys(defaultModules()));
    });
  });

  test('the error codes README lists are those of WaymarkError', () => {
    const [, list] = /with `code` one of\s+((?:`\w+`,?\s*)+)/.exec(text)!;
    const union = /code: ((?:'\w+'(?: \| )?)+);/.exec(TYPES)![1];
    expect(spans(list)).toEqual([...union.matchAll(/'(\w+)'/g)].map((m) => m[1]));
  });
});

describe('npm', () => {
  const text = section('### npm');

  test("the tracker table names every member of Tracker, and on()'s events are TrackerEvents", () => {
    const rows = table(text, 'member');
    const names = rows.map(([cell]) => /^`(\w+)/.exec(cell)![1]);
    expect(unique(names).sort()).toEqual(unique(members('Tracker')).sort());
    const on = rows.find(([cell]) => cell.startsWith('`on('))![1];
    expect(spans(on.split(';')[0]).map((s) => s.replace(/'/g, '')).sort()).toEqual(members('TrackerEvents').sort());
  });

  test("what README imports from 'waymark' is exported, and each 'waymark/…' it names is in package.json exports", () => {
    const imported = [...README.matchAll(/import \{([^}]+)\} from 'waymark'/g)].flatMap((m) => m[1].split(',').map((s) => s.trim()));
    expect(imported.length).toBeGreaterThan(5);
    for (const name of imported) expect(Object.keys(waymark), name).toContain(name);
    const exports = Object.keys(JSON.parse(readFileSync('package.json', 'utf8')).exports);
    const subpaths = unique([...README.matchAll(/`waymark\/([\w.]+)`/g)].map((m) => './' + m[1]));
    expect(subpaths.length).toBeGreaterThan(2);
    for (const p of subpaths) expect(exports, p).toContain(p);
  });
});

describe('Journey stages', () => {
  const text = section('## Journey stages');
  const STAGES = ['awareness', 'consideration', 'decision', 'purchase', 'post_purchase', 'loyalty'];
  const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
  const schemaOk = ajv.compile(JSON.parse(readFileSync('schema/stages.schema.json', 'utf8')));
  const when = (w: unknown) => ({ stages: STAGES, rules: [{ stage: 'awareness', when: w }] });

  test('every rules file in a json block is valid, for the validator and for the shipped JSON Schema', () => {
    const files = blocks(text, 'json').map((b) => JSON.parse(b));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      expect(validate(f)).toEqual([]);
      expect(schemaOk(f), JSON.stringify(schemaOk.errors)).toBe(true);
    }
  });

  test('every key the `when` table lists is one the validator takes, with the example README gives for it', () => {
    const rows = table(text, 'key');
    const keys = rows.flatMap(([cell]) => spans(cell));
    // What README shows for each key, or the simplest value that key takes.
    const example: Record<string, unknown> = {
      type: 'page',
      event: 'Order Completed',
      path: '/pricing',
      selector: '[data-plan]',
      form: '#checkout',
      any: [{ type: 'page' }],
      all: [{ type: 'page' }],
      not: { type: 'identify' },
    };
    for (const [cell, matches] of rows) {
      // The JSON the row itself shows, e.g. `{ "plan": "pro", "total": { "gte": 100 } }`.
      const shown = spans(matches).filter((s) => s.startsWith('{') && !s.includes('…')).map((s) => JSON.parse(s));
      for (const k of spans(cell)) {
        for (const v of [example[k], ...shown].filter((v) => v !== undefined)) {
          // Shown as a whole condition (`{ "any": […] }`), or as the key's value (`{ "gte": 2 }`).
          const ok = [v, { [k]: v }].some((w) => validate(when(w)).length == 0);
          expect(ok, `when.${k}: ${JSON.stringify(v)}`).toBe(true);
        }
      }
    }
    expect(keys.sort()).toEqual(['all', 'any', 'campaign', 'count', 'event', 'form', 'not', 'path', 'properties', 'selector', 'session', 'type']);
    // And the validator takes no key the table leaves out: its message for an unknown key lists them all.
    const [message] = validate(when({ undocumented: 1 }));
    expect(/expected one of (.*)$/.exec(message)![1].split(',').sort()).toEqual(keys.sort());
  });

  test('the error README quotes is the one an invalid path gets, and a key that is not an identifier is in brackets', () => {
    const [, quoted] = /`(rules\[3\]\.when\.path: [^`]+)`/.exec(text)!;
    const rules = { stages: STAGES, rules: [0, 1, 2, 3].map((i) => ({ stage: 'awareness', when: i == 3 ? { path: 'pricing' } : { type: 'page' } })) };
    expect(validate(rules)).toEqual([quoted]);
    const [, bracketed] = /`(properties\["order\.total"\]\.gt)`/.exec(text)!;
    expect(validate(when({ properties: { 'order.total': { gt: 'x' } } }))).toEqual([expect.stringMatching('^rules\\[0\\]\\.when\\.' + bracketed.replace(/[.[\]]/g, '\\$&') + ': ')]);
  });

  test('the validator refuses what README says it refuses: an empty one-of list, a count of 0, exists on count, nesting past 32', () => {
    expect(validate(when({ event: [] }))).not.toEqual([]);
    expect(validate(when({ properties: { plan: { in: [] } } }))).not.toEqual([]);
    expect(validate(when({ count: 0 }))).not.toEqual([]);
    expect(validate(when({ count: { gte: 1.5 } }))).toEqual([]);
    expect(validate(when({ session: { exists: true } }))).not.toEqual([]);
    let deep: any = { type: 'page' };
    for (let i = 0; i < 32; i++) deep = { not: deep };
    expect(validate(when(deep))).toEqual([]);
    expect(validate(when({ not: deep }))).not.toEqual([]);
  });
});

test("a stage entry has the properties README lists, and on('stage') gets the fields README gives", async () => {
  const text = section('## Journey stages');
  const [, entered] = /one `Journey Stage Entered` event \(([\s\S]*?)\), and/.exec(text)!;
  const [, heard] = /`on\('stage', fn\)` receives `\{ ([\w, ]+) \}`/.exec(text)!;
  freshIndexedDB();
  const rules = { stages: ['awareness'], feedback: { awareness: 'nps' }, rules: [{ stage: 'awareness', name: 'Any visit', when: { type: 'page' } }] };
  const t = createTracker({ endpoint: '/v1/batch', stages: journey(rules as any) });
  const events: any[] = [];
  const changes: any[] = [];
  t.on('event', (e) => events.push(e));
  t.on('stage', (c) => changes.push(c));
  t.page();
  await until(() => changes.length, 'the stage entered');
  const entry = events.find((e) => e.event == 'Journey Stage Entered');
  // `rule` index: the name is the code span, the word after it says what it holds.
  const [own, touch = ''] = entered.split(': the event that caused it');
  expect(spans(own).sort()).toEqual(Object.keys(entry.properties).sort());
  // What the touchpoint holds, as README says.
  expect(spans(touch).sort()).toEqual(Object.keys(entry.properties.touchpoint).sort());
  expect(heard.split(', ').sort()).toEqual(Object.keys(changes[0]).sort());
  await t.shutdown();
});

describe('The CLI', () => {
  let dir: string;
  let cli: string;
  // As test/journey/cli.test.ts does: the CLI next to a fresh build of the rules module.
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'waymark-docs-'));
    mkdirSync(join(dir, 'bin'));
    cli = join(dir, 'bin/waymark.mjs');
    copyFileSync('bin/waymark.mjs', cli);
    const bundle = await rollup({
      input: 'src/journey/rules.ts',
      plugins: [typescript({ tsconfig: './tsconfig.json', declaration: false, outDir: undefined, rootDir: undefined, noEmitOnError: true })],
    });
    await bundle.write({ file: join(dir, 'dist/rules.mjs'), format: 'es' });
    await bundle.close();
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("README's explain example, on the demo shop's rules, prints what README shows", () => {
    const text = section('### The CLI');
    const command = blocks(text, 'sh')[0].split('\n').find((l) => l.includes('--from'))!;
    const [, event, from] = /--event '([^']+)' --from (\w+)/.exec(command)!;
    const run = (f: string) => execFileSync(process.execPath, [cli, 'explain', 'examples/site/journey.json', '--event', event, '--from', f], { encoding: 'utf8' });
    expect(run(from).trimEnd()).toBe(blocks(text, 'text')[0].trimEnd());
    const [, other, said] = /`--from (\w+)` would print `([^`…]+)…\)`/.exec(text)!;
    expect(run(other)).toContain(said);
  });
});

describe('Wire format', () => {
  const example = JSON.parse(blocks(section('## Wire format'), 'json')[0]);
  /** Every key path of an object, `context.page.url`, stopping at `properties` and `traits` (the site's own). */
  const paths = (o: any, at = ''): string[] =>
    Object.keys(o).flatMap((k) => {
      const p = at + k;
      return o[k] && typeof o[k] == 'object' && !Array.isArray(o[k]) && !/^(properties|traits)$/.test(k) ? [p, ...paths(o[k], p + '.')] : [p];
    });

  afterEach(() => {
    vi.unstubAllGlobals();
    vi.restoreAllMocks();
  });

  test("README's example request has the fields a tracker with attribution() and journey() sends, and no others", async () => {
    freshIndexedDB();
    const c = fakeCollector();
    history.replaceState(null, '', '/checkout?utm_source=google&utm_medium=cpc&utm_campaign=spring');
    const rules = { stages: ['consideration', 'decision'], rules: [{ stage: 'decision', when: { event: 'Form Started' } }] };
    const t = createTracker({ endpoint: '/v1/batch', consent: 'granted', capture: [attribution()], stages: journey(rules) });
    t.track('Form Started', { form: 'checkout', field: 'email' });
    await until(async () => (await t.flush(), c.events().some((e) => e.event == 'Form Started')), 'the event delivered');
    await t.shutdown();
    const body = c.requests.find((r) => r.body.batch.some((e) => e.event == 'Form Started'))!.body;
    const sent = body.batch.find((e) => e.event == 'Form Started')!;
    // A first touch carries the fields of its own channel: README's organic search has a source.
    const campaign = (p: string) => p.startsWith('context.campaign.');
    expect(paths(sent).filter((p) => !campaign(p)).sort()).toEqual(paths(example.batch[0]).filter((p) => !campaign(p)).sort());
    expect(Object.keys(sent.context.campaign!).sort()).toEqual(Object.keys(example.batch[0].context.campaign).sort());
    expect(Object.keys(body).sort()).toEqual(Object.keys(example).sort());
    history.replaceState(null, '', '/');
  });
});

describe('Browser support and sizes', () => {
  test("README's ES version is the build's target, and the web-vitals library parses at the version README gives its bundle", async () => {
    const text = section('## Browser support');
    const [, es] = /The bundles are (ES\d{4})/.exec(text)!;
    expect(JSON.parse(readFileSync('tsconfig.json', 'utf8')).compilerOptions.target).toBe(es);
    expect(readFileSync('rollup.config.mjs', 'utf8')).toContain(`ecma: ${es.slice(2)}`);
    // Where README gives the vitals bundle a later version of its own (the web-vitals library's).
    const vitalsEs = /`waymark\.vitals\.min\.js`[^.]*?\((ES\d{4})/.exec(text)?.[1] ?? es;
    // acorn: the parser terser (a dev dependency of the build) uses.
    const { parse } = await import('acorn');
    // idb-keyval is bundled into both script tags as it is shipped, untranspiled.
    expect(() => parse(readFileSync('node_modules/idb-keyval/dist/index.js', 'utf8'), { ecmaVersion: +es.slice(2) as any, sourceType: 'module' })).not.toThrow();
    const lib = readFileSync('node_modules/web-vitals/dist/web-vitals.js', 'utf8');
    expect(() => parse(lib, { ecmaVersion: +vitalsEs.slice(2) as any, sourceType: 'module' })).not.toThrow();
    // A later version is said only where it is needed: if web-vitals came down to the rest's, README should say so.
    if (vitalsEs != es) expect(() => parse(lib, { ecmaVersion: +es.slice(2) as any, sourceType: 'module' })).toThrow();
  });

  test('the size table matches .size-limit.json: each row within its limit, with the target and verdict of its entry', () => {
    const rows = table(section('## Size and speed'), 'what');
    const limits: { name: string; import?: string; path: string; limit: string }[] = JSON.parse(readFileSync('.size-limit.json', 'utf8'));
    expect(rows).toHaveLength(limits.length);
    const num = (s: string) => +s.replace(/[^\d]/g, '');
    rows.forEach(([what, size, target, verdict], i) => {
      const entry = limits[i];
      // The row names what the entry measures: its import, or its file.
      for (const name of entry.import ? entry.import.replace(/[{}]/g, '').split(',') : [entry.path]) expect(what, entry.name).toContain(name.trim());
      expect(num(size), `${entry.name}: README ${size} within the limit ${entry.limit}`).toBeLessThanOrEqual(num(entry.limit));
      const named = /target (\d+) B: (met|missed)/.exec(entry.name);
      expect(target ? num(target) : undefined, entry.name).toBe(named ? +named[1] : undefined);
      expect(verdict.replace(/\*/g, '') || undefined, entry.name).toBe(named?.[2]);
      if (named) expect(num(size) <= +named[1] ? 'met' : 'missed', entry.name).toBe(named[2]);
    });
  });
});

test('every rules file under examples/ is valid, and the four example rule sets use forward, as README says', () => {
  const sets = readdirSync('examples/stages').filter((f) => !f.includes('.events.')).map((f) => 'examples/stages/' + f);
  for (const f of ['examples/site/journey.json', ...sets]) expect(validate(JSON.parse(readFileSync(f, 'utf8'))), f).toEqual([]);
  expect(section('## Journey stages')).toMatch(/All four use `forward`/);
  expect(sets).toHaveLength(4);
  for (const f of sets) expect(JSON.parse(readFileSync(f, 'utf8')).progression, f).toBe('forward');
});

test("the real-browser files README lists are test/browser's", () => {
  const files = section('### Real-browser tests').split('\n- ').find((b) => b.startsWith('Files:'))!;
  const listed = spans(files).filter((s) => /^\w+$/.test(s));
  const there = readdirSync('test/browser').filter((f) => f.endsWith('.test.ts')).map((f) => f.replace('.test.ts', ''));
  expect(listed.sort()).toEqual(there.sort());
});
