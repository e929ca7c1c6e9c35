// Seeded generation of stage-rules files from the grammar, for the property tests
// (fuzz.test.ts: validator against schema; cli.test.ts: CLI against the engine's code).

/** mulberry32: a small seeded generator. */
export const seeded = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

export type Rng = () => number;
export const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
export const some = <T>(r: Rng, n: number, f: () => T): T[] => Array.from({ length: 1 + Math.floor(r() * n) }, f);

export const NAMES = ['a', 'b', 'awareness', 'post_purchase', 'Plan Name', 'order.total', '', 'constructor', '__proto__', 'café', '$x', 'a"b', '0'];
export const GLOBS = ['/', '/pricing', '/pricing/', '/docs/**', '**/checkout', '*/settings', '/shop/**/checkout', '/app#/cart', '/#!/orders/*', '/café/*', '/100%/*', '*', '**', '/a b', '/p/[id]'];
export const BAD_GLOBS = ['', 'pricing', '/pricing?plan=pro', '/pricing#faq', 'https://x.test/a', '/a#b', '?', '#/x', ' /a', '/a?'];
export const SELECTORS = ['[data-plan]', '#checkout', '.a > b', '', '[data-plan', ':has(a)', '*'];
export const SCALARS = [0, 1, -2.5, 1e21, 'x', '', '10', true, false, null];
export const NUMBERS = [0, 1, 2, -1, 2.5, 1e6];
export const WRONG = [null, 0, 'x', '', true, [], [1], ['x'], [[1]], [null], {}, { x: 1 }, { eq: 1 }, { gte: '1' }, { in: 'x' }, { exists: 1 }];

export function gen(r: Rng) {
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

export type Path = (string | number)[];
function paths(v: unknown, at: Path = []): Path[] {
  const out: Path[] = [at];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...paths(x, [...at, i])));
  else if (v && typeof v == 'object') for (const k of Object.keys(v)) out.push(...paths((v as any)[k], [...at, k]));
  return out;
}

/** One subtle mistake at a random node: a wrong value, a removal, an unknown key, a bad glob or selector. */
export function mutate(r: Rng, doc: any): any {
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

