// @vitest-environment node
// Property test: rules files generated from the grammar (seeded, so a failure replays), valid
// and subtly broken, must get the same verdict from the runtime validator and the shipped JSON
// Schema; every validator message must name a JSON path that is in the file (or a required key
// missing from an object that is). schema.test.ts mutates a few hand-written files one node at a
// time; this draws whole files, with several mistakes at once and deeper nesting.
import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';
import { describe, expect, test } from 'vitest';
import { validate } from '../../src/journey/rules';

const schema = JSON.parse(readFileSync('schema/stages.schema.json', 'utf8'));
const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
const schemaOk = ajv.compile(schema);

/** The validator's own checks, which the schema cannot express (see schema.test.ts). */
const CROSS_FIELD = /^(rules\[\d+\]\.stage|feedback[.[].*): expected a stage \(/;

/** mulberry32: a small seeded generator. */
const seeded = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

type Rng = () => number;
const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
const some = <T>(r: Rng, n: number, f: () => T): T[] => Array.from({ length: 1 + Math.floor(r() * n) }, f);

const NAMES = ['a', 'b', 'awareness', 'post_purchase', 'Plan Name', 'order.total', '', 'constructor', '__proto__', 'café', '$x', 'a"b', '0'];
const GLOBS = ['/', '/pricing', '/pricing/', '/docs/**', '**/checkout', '*/settings', '/shop/**/checkout', '/app#/cart', '/#!/orders/*', '/café/*', '/100%/*', '*', '**', '/a b', '/p/[id]'];
const BAD_GLOBS = ['', 'pricing', '/pricing?plan=pro', '/pricing#faq', 'https://x.test/a', '/a#b', '?', '#/x', ' /a', '/a?'];
const SELECTORS = ['[data-plan]', '#checkout', '.a > b', '', '[data-plan', ':has(a)', '*'];
const SCALARS = [0, 1, -2.5, 1e21, 'x', '', '10', true, false, null];
const NUMBERS = [0, 1, 2, -1, 2.5, 1e6];
const WRONG = [null, 0, 'x', '', true, [], [1], ['x'], [[1]], [null], {}, { x: 1 }, { eq: 1 }, { gte: '1' }, { in: 'x' }, { exists: 1 }];

function gen(r: Rng) {
  const stages = [...new Set(some(r, 5, () => pick(r, ['awareness', 'consideration', 'decision', 'purchase', 'loyalty', 'a b', 'x.y'])))];
  const num = (): unknown =>
    pick(r, [
      () => pick(r, NUMBERS),
      () => some(r, 3, () => pick(r, NUMBERS)),
      () => (r() < 0.2 ? [] : pick(r, [[1], [1, 2]])),
      () => ops(() => pick(r, NUMBERS), false),
    ])();
  const ops = (v: () => unknown, exists: boolean) => {
    const o: Record<string, unknown> = {};
    for (const k of ['eq', 'in', 'gt', 'gte', 'lt', 'lte', ...(exists ? ['exists'] : [])])
      if (r() < 0.3) o[k] = k == 'in' ? some(r, 3, v).slice(r() < 0.1 ? 3 : 0) : k == 'exists' ? r() < 0.5 : k == 'eq' ? v() : pick(r, NUMBERS);
    return o;
  };
  const value = (): unknown =>
    pick(r, [() => pick(r, SCALARS), () => some(r, 3, () => pick(r, SCALARS)).slice(r() < 0.1 ? 3 : 0), () => ops(() => pick(r, SCALARS), true)])();
  const values = (keys: readonly string[]) => Object.fromEntries(some(r, 3, () => [pick(r, keys), value()]));
  const cond = (depth: number): Record<string, unknown> => {
    const c: Record<string, unknown> = {};
    const n = Math.floor(r() * 4);
    for (let i = 0; i < n; i++) {
      const k = pick(r, ['type', 'event', 'path', 'selector', 'form', 'properties', 'campaign', 'count', 'session', ...(depth < 4 ? ['any', 'all', 'not'] : [])]);
      c[k] = {
        type: () => (r() < 0.5 ? pick(r, ['page', 'track', 'identify']) : some(r, 3, () => pick(r, ['page', 'track', 'identify']))),
        event: () => (r() < 0.5 ? pick(r, ['Order Completed', 'Pricing', 'x']) : some(r, 3, () => pick(r, ['A', 'B', '']))),
        path: () => (r() < 0.5 ? pick(r, GLOBS) : some(r, 3, () => pick(r, GLOBS))),
        selector: () => pick(r, SELECTORS),
        form: () => pick(r, SELECTORS),
        properties: () => values(NAMES),
        campaign: () => values(['channel', 'source', 'medium', 'name', 'term', 'content']),
        count: num,
        session: num,
        any: () => some(r, 3, () => cond(depth + 1)),
        all: () => some(r, 3, () => cond(depth + 1)),
        not: () => cond(depth + 1),
      }[k]!();
    }
    return c;
  };
  const doc: Record<string, unknown> = {
    stages,
    rules: some(r, 4, () => ({ stage: pick(r, stages), when: cond(0), ...(r() < 0.3 ? { name: 'n' } : {}) })),
  };
  if (r() < 0.3) doc.progression = pick(r, ['forward', 'latest']);
  if (r() < 0.3) doc.feedback = Object.fromEntries(stages.filter(() => r() < 0.5).map((s) => [s, pick(r, ['csat', 'nps', 'ces'])]));
  if (r() < 0.2) doc.$schema = './stages.schema.json';
  return doc;
}

type Path = (string | number)[];
function paths(v: unknown, at: Path = []): Path[] {
  const out: Path[] = [at];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...paths(x, [...at, i])));
  else if (v && typeof v == 'object') for (const k of Object.keys(v)) out.push(...paths((v as any)[k], [...at, k]));
  return out;
}

/** One subtle mistake at a random node: a wrong value, a removal, an unknown key, a bad glob or selector. */
function mutate(r: Rng, doc: any): any {
  const all = paths(doc).filter((p) => p.length);
  const at = pick(r, all);
  const copy = structuredClone(doc);
  let o = copy;
  for (const k of at.slice(0, -1)) o = o[k];
  const k = at[at.length - 1];
  const how = r();
  if (how < 0.15) Array.isArray(o) ? o.splice(k as number, 1) : delete o[k];
  else if (how < 0.25 && o[k] && typeof o[k] == 'object' && !Array.isArray(o[k])) o[k][pick(r, ['zzz', 'constructor', 'stage', 'eq', 'when', 'not'])] = 1;
  else if (how < 0.35 && at.includes('path')) o[k] = pick(r, BAD_GLOBS);
  else o[k] = structuredClone(pick(r, [...WRONG, ...SCALARS, pick(r, BAD_GLOBS), pick(r, SELECTORS)]));
  return copy;
}

/** `rules[0].when.properties["a b"].gt` as ['rules', 0, 'when', 'properties', 'a b', 'gt']. */
function parsePath(p: string): Path | null {
  if (p == 'rules file') return [];
  const out: Path = [];
  const re = /^(?:\.?([a-z_$][\w$]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\])/i;
  let rest = p;
  while (rest) {
    const m = re.exec(rest);
    if (!m) return null;
    out.push(m[1] ?? (m[2] ? +m[2] : JSON.parse(m[3])));
    rest = rest.slice(m[0].length);
  }
  return out;
}

const REQUIRED: Record<string, string[]> = { '': ['stages', 'rules'], rule: ['stage', 'when'] };

/** Whether a validator message names a node that is in the file, or a required key missing from an object that is. */
function named(doc: unknown, message: string): boolean {
  const at = parsePath(message.slice(0, message.indexOf(': expected ')));
  if (!at) return false;
  let o: any = doc;
  for (let i = 0; i < at.length; i++) {
    const k = at[i];
    const has = o && typeof o == 'object' && {}.hasOwnProperty.call(o, k);
    if (!has) {
      const required = i == 0 ? REQUIRED[''] : at[0] == 'rules' && i == 2 ? REQUIRED.rule : [];
      return i == at.length - 1 && required.includes(k as string);
    }
    o = o[k];
  }
  return true;
}

describe('fuzz: the validator and the schema agree on generated files', () => {
  test('20,000 generated files, valid and with up to three mistakes', () => {
    const r = seeded(20261123);
    const disagree: string[] = [];
    const unnamed: string[] = [];
    let valid = 0;
    let invalid = 0;
    for (let i = 0; i < 20_000; i++) {
      let doc: any = gen(r);
      const n = Math.floor(r() * 4);
      for (let j = 0; j < n; j++) doc = mutate(r, doc);
      const errors = validate(doc);
      const ok = schemaOk(doc);
      errors.length ? invalid++ : valid++;
      for (const e of errors) if (!named(doc, e)) unnamed.push(`${JSON.stringify(doc)}: ${e}`);
      if (ok == !errors.length) continue;
      if (ok && errors.every((e) => CROSS_FIELD.test(e))) continue;
      disagree.push(`${JSON.stringify(doc)}\n  schema ${ok ? 'accepts' : 'rejects ' + JSON.stringify(schemaOk.errors!.slice(0, 2))}; validator ${JSON.stringify(errors)}`);
    }
    expect(disagree.slice(0, 10)).toEqual([]);
    expect(unnamed.slice(0, 10)).toEqual([]);
    expect(valid).toBeGreaterThan(2000);
    expect(invalid).toBeGreaterThan(5000);
  }, 120_000);
});
