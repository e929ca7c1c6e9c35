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
import { gen, mutate, type Path, seeded } from './generate';

const schema = JSON.parse(readFileSync('schema/stages.schema.json', 'utf8'));
const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
const schemaOk = ajv.compile(schema);

/** The validator's own checks, which the schema cannot express (see schema.test.ts). */
const CROSS_FIELD = /^(rules\[\d+\]\.stage|feedback[.[].*): expected a stage \(|: expected a test that some value passes$/;

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
