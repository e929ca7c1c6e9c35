// @vitest-environment node
// The shipped JSON Schema (what editors check) and the runtime validator (what Waymark
// checks) must accept and reject the same files. The schema cannot compare one field with
// another, so three checks are the validator's alone: a rule's stage and a feedback key must be
// one of "stages", and some value must pass all the operators of a test. Nor can it cap the
// nesting of any/all/not at 32 levels. Those are the only disagreements allowed, and they are
// asserted as such.
import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';
import { describe, expect, test } from 'vitest';
import { validate } from '../../src/journey/rules';

const schema = JSON.parse(readFileSync('schema/stages.schema.json', 'utf8'));
const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
const schemaOk = ajv.compile(schema);
const json = (file: string) => JSON.parse(readFileSync(file, 'utf8'));

/** The validator's messages for checks that need the stage list (`feedback.a`, `feedback["a b"]`). */
const CROSS_FIELD = /^(rules\[\d+\]\.stage|feedback[.[].*): expected a stage \(/;

/** The validator's message for operators that no value passes together, which the schema cannot see either. */
const NONE = /: expected a test that some value passes$/;

const EXAMPLES = ['shop', 'saas-trial', 'b2b-lead-gen', 'content-subscription'].map((n) => json(`examples/stages/${n}.json`));

// The PRODUCT.md example, verbatim.
const PRODUCT = json('test/journey/fixtures/product.json');

const FULL = {
  $schema: 'x',
  stages: ['a', 'b'],
  progression: 'latest',
  feedback: { a: 'csat', b: 'nps' },
  rules: [
    {
      name: 'n',
      stage: 'b',
      when: {
        type: ['page', 'track'],
        event: ['A', 'B'],
        path: '/x/**',
        selector: '.a',
        form: '#f',
        properties: { a: 1, b: 'x', c: null, d: true, e: [1, 'x'], f: { eq: 2, in: [1, 2], gt: 1, gte: 1, lt: 9, lte: 9, exists: true } },
        campaign: { channel: 'email', name: { exists: false } },
        count: { gte: 2 },
        session: [1, 2],
        any: [{ type: 'identify' }, { not: { event: 'X' } }],
        all: [{}],
        not: { any: [{ path: ['/a', '/b'] }] },
      },
    },
    { stage: 'a', when: {} },
  ],
};

const VALID: unknown[] = [PRODUCT, FULL, ...EXAMPLES, { stages: ['only'], rules: [{ stage: 'only', when: {} }] }];

/** Replacement values tried at every position of the valid files. */
const POOL: unknown[] = [null, 0, 2.5, -1, '', 'x', 'page', 'csat', 'forward', true, false, [], [1], ['x'], ['x', 'x'], [[1]], [null], {}, { eq: 1 }, { gte: '1' }, { in: 'x' }, { exists: 1 }, { x: 1 }, { type: 'page' }, [{}], { stage: 'a', when: {} }];

type Path = (string | number)[];

function paths(v: unknown, at: Path = []): Path[] {
  const out: Path[] = [at];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...paths(x, [...at, i])));
  else if (v && typeof v == 'object') for (const k of Object.keys(v)) out.push(...paths((v as any)[k], [...at, k]));
  return out;
}

function replace(doc: unknown, at: Path, value: unknown): unknown {
  if (!at.length) return value;
  const copy: any = structuredClone(doc);
  let o = copy;
  for (const k of at.slice(0, -1)) o = o[k];
  o[at[at.length - 1]] = value;
  return copy;
}

function remove(doc: unknown, at: Path): unknown {
  const copy: any = structuredClone(doc);
  let o = copy;
  for (const k of at.slice(0, -1)) o = o[k];
  const k = at[at.length - 1];
  Array.isArray(o) ? o.splice(k as number, 1) : delete o[k];
  return copy;
}

/** Every valid file with one node replaced by each pool value, one node removed, or one unknown key added. */
function mutants(): [string, unknown][] {
  const out: [string, unknown][] = [];
  VALID.forEach((doc, d) => {
    for (const at of paths(doc)) {
      const where = `doc ${d} at /${at.join('/')}`;
      POOL.forEach((v) => out.push([`${where} = ${JSON.stringify(v)}`, replace(doc, at, v)]));
      if (at.length) out.push([`${where} removed`, remove(doc, at)]);
      const node = at.reduce((o: any, k) => o[k], doc);
      if (node && typeof node == 'object' && !Array.isArray(node)) out.push([`${where} + unknown key`, replace(doc, [...at, 'zzz'], 1)]);
    }
  });
  return out;
}

describe('the schema and the validator agree', () => {
  test.each(VALID.map((v, i) => [i, v]))('valid file %i passes both', (_, doc) => {
    expect(validate(doc)).toEqual([]);
    expect(schemaOk(doc), JSON.stringify(schemaOk.errors)).toBe(true);
  });

  test('on every mutant of the valid files (thousands), except for the cross-field stage checks and operators no value passes', () => {
    const all = mutants();
    expect(all.length).toBeGreaterThan(3000);
    let invalid = 0;
    let crossField = 0;
    const disagree: string[] = [];
    for (const [name, doc] of all) {
      const errors = validate(doc);
      const bySchema = schemaOk(doc);
      if (errors.length) invalid++;
      if (bySchema == !errors.length) continue;
      // The only allowed disagreement: the schema accepts, and every validator error is a cross-field
      // one, or operators that no value passes together (which compares one operator with another).
      if (bySchema && errors.every((e) => CROSS_FIELD.test(e) || NONE.test(e))) {
        crossField++;
        continue;
      }
      disagree.push(`${name}: schema ${bySchema ? 'accepts' : 'rejects'}; validator says ${JSON.stringify(errors)}`);
    }
    expect(disagree).toEqual([]);
    // The corpus really exercises both sides.
    expect(invalid).toBeGreaterThan(all.length / 2);
    expect(crossField).toBeGreaterThan(10);
  }, 60_000);

  // The path of an event is from its first `/`, without a query or an #anchor (a hash-router
  // route, #/cart, stays): a glob that names them can match nothing, and both refuse it.
  test.each<[string, boolean]>([
    ['/pricing', true], ['**/checkout', true], ['*/settings', true], ['/app#/cart', true], ['/#!/orders/*', true],
    ['/pricing?plan=pro', false], ['/pricing#faq', false], ['https://shop.example/pricing', false], ['pricing', false], ['', false],
  ])('a path glob %s: valid %s for both', (g, ok) => {
    for (const path of [g, ['/ok', g]]) {
      const doc = { stages: ['a'], rules: [{ stage: 'a', when: { path } }] };
      expect(validate(doc).length == 0).toBe(ok);
      expect(schemaOk(doc)).toBe(ok);
    }
  });

  test.each<[string, unknown]>([
    ['a rule for a stage not in the list', { stages: ['a'], rules: [{ stage: 'b', when: {} }] }],
    ['feedback for a stage not in the list', { stages: ['a'], rules: [{ stage: 'a', when: {} }], feedback: { b: 'nps' } }],
    ['feedback for a stage not in the list, not named like an identifier', { stages: ['a'], rules: [{ stage: 'a', when: {} }], feedback: { 'b: c': 'nps' } }],
  ])('cross-field: %s is caught by the validator only', (_, doc) => {
    expect(schemaOk(doc)).toBe(true);
    expect(validate(doc)).toHaveLength(1);
    expect(validate(doc)[0]).toMatch(CROSS_FIELD);
  });

  // Whether some value passes all the operators of a test ({ "gt": 5, "lt": 3 } is an empty
  // range) compares one operator's value with another's: the schema cannot say it.
  test.each([{ properties: { total: { gt: 5, lt: 3 } } }, { campaign: { channel: { eq: 'email', in: ['social'] } } }, { count: { gt: 1, lt: 2 } }])(
    'operators that no value passes together, %j, are refused by the validator only',
    (when) => {
      const doc = { stages: ['a'], rules: [{ stage: 'a', when }] };
      expect(schemaOk(doc)).toBe(true);
      expect(validate(doc)).toEqual([expect.stringMatching(NONE)]);
    },
  );

  // A recursive $ref has no depth limit: the schema cannot express the validator's cap, which
  // keeps a broken or hostile file from overflowing the stack.
  test('nesting: more than 32 levels of any/all/not is refused by the validator only', () => {
    // (Innermost a condition with a key: `not: {}` is refused by both.)
    let when: object = { event: 'x' };
    for (let i = 0; i < 33; i++) when = { not: when };
    const doc = { stages: ['a'], rules: [{ stage: 'a', when }] };
    expect(schemaOk(doc)).toBe(true);
    expect(validate(doc)).toEqual([expect.stringMatching(/expected at most 32 nested any\/all\/not$/)]);
  });

  // A count includes the event judged and a session number is 1-based: a test of 0, a
  // negative or a fraction never holds, and the editor says so as the validator does.
  test.each([{ count: 0 }, { session: 0 }, { count: -1 }, { count: 1.5 }, { count: [0, 1] }, { count: { eq: 0 } }, { session: { in: [0] } }])('a count or session test that could never hold, %j, is refused by both', (when) => {
    const doc = { stages: ['a'], rules: [{ stage: 'a', when }] };
    expect(schemaOk(doc)).toBe(false);
    expect(validate(doc)).toHaveLength(1);
  });

  // An empty one-of list matches no value: the editor refuses it as the validator does.
  test.each([{ count: [] }, { session: { in: [] } }, { properties: { plan: [] } }, { properties: { plan: { in: [] } } }, { campaign: { channel: [] } }])('an empty one-of list, %j, is refused by both', (when) => {
    const doc = { stages: ['a'], rules: [{ stage: 'a', when }] };
    expect(schemaOk(doc)).toBe(false);
    expect(validate(doc)).toHaveLength(1);
  });

  // No event is named "": the editor refuses it in a one-of list as the validator does.
  test.each([{ event: [''] }, { event: ['Order Completed', ''] }])('an empty event name, %j, is refused by both', (when) => {
    const doc = { stages: ['a'], rules: [{ stage: 'a', when }] };
    expect(schemaOk(doc)).toBe(false);
    expect(validate(doc)).toHaveLength(1);
  });

  // `{}` holds for every event, so `not: {}` holds for none: both refuse it.
  test.each([{ not: {} }, { any: [{ event: 'A' }, { not: {} }] }])('not with an empty condition, %j, is refused by both', (when) => {
    const doc = { stages: ['a'], rules: [{ stage: 'a', when }] };
    expect(schemaOk(doc)).toBe(false);
    expect(validate(doc)).toHaveLength(1);
  });

  // No element matches an empty selector: the editor refuses it as the validator does.
  test.each([{ selector: '' }, { form: '' }])('an empty selector, %j, is refused by both', (when) => {
    const doc = { stages: ['a'], rules: [{ stage: 'a', when }] };
    expect(schemaOk(doc)).toBe(false);
    expect(validate(doc)).toHaveLength(1);
  });

  test('the schema is a draft 2020-12 schema that editors can fetch by $id', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.$id).toMatch(/stages\.schema\.json$/);
  });
});
