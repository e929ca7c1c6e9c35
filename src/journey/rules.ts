// Pure stage-rule logic shared by the browser engine and the CLI: no DOM, no window.
import type { FeedbackScale, JourneyContext } from '../types';

export type Scalar = string | number | boolean | null;

/** Equality (a value), one of (an array), or every operator given holds. Comparisons only hold for numbers. */
export type ValueTest =
  | Scalar
  | Scalar[]
  | { eq?: Scalar; in?: Scalar[]; gt?: number; gte?: number; lt?: number; lte?: number; exists?: boolean };

/** Every key given must hold. `{}` matches every event. */
export interface Condition {
  /** `page`, `track` or `identify`. */
  type?: string | string[];
  /** A `track` event's name, or a `page` event's name. */
  event?: string | string[];
  /** Globs on `context.page.path`: `*` within one segment, `**` across segments (a whole-segment `**` may be none). */
  path?: string | string[];
  /** The event's element (the clicked element, the form), or an element around it, matches this CSS selector. */
  selector?: string;
  /** Same test as `selector`, named for form events. */
  form?: string;
  // `| undefined`: TypeScript types a rules file imported as JSON with, in each rule's
  // `properties`, every key another rule's `properties` use, as `undefined`. JSON has no
  // undefined, so only a hand-written one reaches validate(), which reports it.
  properties?: Record<string, ValueTest | undefined>;
  /** `context.campaign` fields: channel, source, medium, name, term, content… */
  campaign?: Record<string, ValueTest | undefined>;
  /** How many times this rule has matched for the visitor, this event included (count tests taken as passing). */
  count?: ValueTest;
  /** The visitor's session number, 1-based. */
  session?: ValueTest;
  any?: Condition[];
  all?: Condition[];
  not?: Condition;
}

export interface Rule {
  stage: string;
  when: Condition;
  /** A label that is sent with `Journey Stage Entered`. */
  name?: string;
}

// `(string & {})`: a rules file imported as JSON has these typed as any string, and must be
// accepted as it is (`journey(rules)`); editors still offer the named values, and validate()
// reports a wrong one at run time, with its JSON path.
export interface Rules {
  $schema?: string;
  /** Stage names, in journey order. */
  stages: string[];
  /** `forward` (default): never go back to an earlier stage. `latest`: the latest match wins. */
  progression?: 'forward' | 'latest' | (string & {});
  rules: Rule[];
  /** Stages in which the site wants to ask for feedback, and on which scale. */
  feedback?: Record<string, FeedbackScale | (string & {})>;
}

/** Whether the event's element, or an element around it, matches a CSS selector. */
export type SelectorTest = (selector: string) => boolean;

type Check = (v: any, path: string, key: string) => unknown;

const isArr = Array.isArray;
const keys = Object.keys;
const isObj = (v: unknown): v is Record<string, any> => !!v && typeof v == 'object' && !isArr(v);
const isStr = (v: unknown) => typeof v == 'string';
const isNum = (v: unknown) => typeof v == 'number';
// `/^[sbn]/` is string, boolean or number (JSON has no bigint or symbol).
const isScalar = (v: unknown) => v === null || /^[sbn]/.test(typeof v);
// A value or a non-empty array of values: `[v].flat()` is both as an array. An empty one-of
// list (`[]`, `{ "in": [] }`) matches no value, so its test could never hold: a mistake.
const all = (v: any, test: (x: unknown) => unknown) => (v = [v].flat()).length && v.every(test);
// A non-empty string, or a non-empty array of them: no event, path or stage is named "".
const isStrs = (v: any) => all(v, (x) => x && isStr(x));

/** `o[k]` if `o` has it as its own: `{}` has no "constructor" property for a rule to find. (Not Object.hasOwn: the bundles run on ES2020 browsers.) */
export const own = (o: any, k: string) => (o && {}.hasOwnProperty.call(o, k) ? o[k] : undefined);

/**
 * Checks a rules file. Returns one message per problem, each naming the JSON path and what
 * was expected (`rules[3].when.event: expected a non-empty string or array of them`); empty when
 * valid. The single source of truth: the engine and the CLI both use it, and the shipped
 * JSON Schema is tested against it. `css`, if given, is shown each `selector` and `form`
 * with its JSON path: the engine asks the browser whether it can read them (only a browser
 * can), and says so without refusing the file.
 */
export function validate(rules: unknown, css?: (selector: string, path: string) => void): string[] {
  const out: string[] = [];
  const stages: unknown[] = isObj(rules) && isArr(rules.stages) ? rules.stages : [];
  // Size: the grammar is tables of "test, else push path + expectation". Paths are built
  // as ".a.b[0]" and lose the leading dot when printed (a top-level `["a b"]` has none).
  const t =
    (test: (v: any) => unknown, what: string): Check =>
    (v, p) =>
      test(v) || out.push((p || 'rules file') + ': expected ' + what);
  const one = (...xs: unknown[]) => t((v) => xs.includes(v), xs.join(' or '));
  const no = (what: string) => t(() => 0, what);
  // Each key is checked by its entry in `table`, else by `table['*']` (free-form keys).
  // A missing required key reaches its check as undefined and gets the usual message.
  // Own keys only: "constructor" or "__proto__" are unknown keys, not Object's members.
  const obj =
    (table: Record<string, Check>, required: string[] = []): Check =>
    (v, p) =>
      isObj(v)
        ? new Set([...required, ...keys(v)]).forEach((k) =>
            // A key that is not an identifier goes in brackets, as JSON: `properties["order.total"].gt`,
            // not `properties.order.total.gt`, which names a path that is not in the file.
            (own(table, k) || table['*'] || no('one of ' + keys(table)))(v[k], p + (/^[a-z_$][\w$]*$/i.test(k) ? (p && '.') + k : JSON.stringify([k])), k),
          )
        : no('an object')(v, p, '');
  const list =
    (item: Check): Check =>
    (v, p) =>
      isArr(v) && v.length ? v.forEach((x, i) => item(x, p + '[' + i + ']', '')) : no('a non-empty array')(v, p, '');
  const num = t(isNum, 'a number');
  // A value test: `what` itself, an array of `what`s, or an object of operators. `eq` and
  // `in` take the same kind of value as the plain test, the comparisons numbers.
  const value = (scalar: (v: unknown) => boolean, what: string, more?: Record<string, Check>): Check => {
    // "a number" makes "an array of numbers".
    const table = { eq: t(scalar, what), in: t((v) => isArr(v) && all(v, scalar), 'a non-empty array of ' + what.slice(2) + 's'), gt: num, gte: num, lt: num, lte: num, ...more };
    const o = obj(table);
    const plain = t((v) => all(v, scalar), what + ', a non-empty array of them or {' + keys(table) + '}');
    // Operators that no value passes together never hold ({ "gt": 5, "lt": 3 }, an eq outside the
    // range or in none of `in`, `exists: false` with a comparison, a count below 1). If some value
    // passes, one of these does: the eq, one of `in`, missing (a bound not given), beyond every bound
    // (±Infinity, for a count 1), the whole number above a bound (the least count at or above
    // it: `-~a` is `(a | 0) + 1`, and a count is never near 2^31), or the midpoint of two bounds
    // (a bound itself, with itself). Asked once every operator is valid, with the engine's own
    // test. A property can be any of them; a count only a whole number from 1 (`more` is
    // `exists`, which only properties have).
    return (v, p) => {
      if (!isObj(v)) return plain(v, p, '');
      const n = out.length;
      const b = keys(v).map((k) => v[k]);
      o(v, p, '');
      out.length > n ||
        [1, null, 1 / 0, -1 / 0, b, b.map((a) => [-~a, b.map((c) => (a + c) / 2)])].flat(3).some((x) => (more || scalar(x)) && is(v, x)) ||
        no('a test that some value passes')(v, p, '');
    };
  };
  const strs = t(isStrs, 'a non-empty string or array of them');
  const str = t(isStr, 'a string');
  // Only a non-empty string is shown to css: no element matches "" (no browser reads it, and
  // the CLI, which cannot parse CSS, can still say so).
  const sel: Check = (v, p, k) => (v && isStr(v) ? css?.(v, p) : no('a non-empty string')(v, p, k));
  // A count or a session number is always a whole number from 1, and always there: a string
  // `eq`, a 0 (the first time is 1: it counts the event judged), a fraction or an `exists`
  // could never hold, so they are mistakes. (Comparisons take any number.)
  const numbers = value((n) => isNum(n) && n > 0 && n % 1 == 0, 'a positive whole number');
  const props = obj({ '*': value(isScalar, 'a value', { exists: one(true, false) }) });
  // A cap, so that a broken or hostile file is reported, not a stack overflow. The grammar
  // is recursive: `conditions` is read when a condition is checked, once it is defined.
  const cond: Check = (v, p, k) => (p.split(/\.(?:any|all|not)\b/).length > 33 ? no('at most 32 nested any/all/not') : obj(conditions))(v, p, k);
  const conds = list(cond);
  const conditions: Record<string, Check> = {
    type: t((v) => isStrs(v) && all(v, (x) => ['page', 'track', 'identify'].includes(x as string)), 'page, track or identify'),
    event: strs,
    // `context.page.path` starts at its `/`, and has no query and no #anchor (a hash-router
    // route, #/cart, stays): a glob naming them, a domain or a relative path, can match nothing.
    path: t((v) => isStrs(v) && all(v, (g) => /^[/*]([^?#]|#!?\/)*$/.test(g as string)), 'a path glob (/…, no ?query or #anchor) or an array of them'),
    selector: sel,
    form: sel,
    properties: props,
    campaign: props,
    count: numbers,
    session: numbers,
    any: conds,
    all: conds,
    // `{}` holds for every event, so `not: {}` for none: its rule could never match.
    not: (v, p, k) => (isObj(v) && !keys(v)[0] ? no('a non-empty condition') : cond)(v, p, k),
  };
  const stage = t((v) => stages.includes(v), 'a stage (' + stages + ')');
  obj(
    {
      $schema: str,
      // A stage "" could never be entered (isStrs): a visitor in it would be in none.
      stages: t((v) => isArr(v) && isStrs(v) && new Set(v).size == v.length, 'a non-empty array of unique names'),
      progression: one('forward', 'latest'),
      rules: list(obj({ stage, when: cond, name: str }, ['stage', 'when'])),
      feedback: obj({ '*': (x, q, k) => (stage(k, q, k), one('csat', 'nps', 'ces')(x, q, k)) }),
    },
    ['stages', 'rules'],
  )(rules, '', '');
  return out;
}

/**
 * A path glob: `*` stays within one segment, `**` crosses them, and a `**` that is a whole
 * segment may also be none, as in minimatch and .gitignore (`/docs/**` is `/docs` and everything
 * under it). A trailing slash is optional.
 */
export const glob = (g: string): { test(path: string): boolean } => {
  // Pieces: a character; `*` (any run within a segment); `**` (any run); `/**` followed by a slash
  // or the end, an optional `/` and `**` (`/shop/**/checkout` takes `/shop/checkout`); `/?` an
  // optional slash. A trailing slash is optional on both sides (`/pricing` takes `/pricing/`, as
  // WordPress and most static sites serve it): a marketer writes the page's name, not the
  // server's habit. So is the slash before a hash-router route: /app#/cart takes /app/#/cart.
  const t: string[] = [];
  g = g.replace(/(.)\/$/, '$1');
  for (let i = 0, x; i < g.length; i += x.length) {
    t.push((x = g.startsWith('/**', i) && (g[i + 3] || '/') == '/' ? '/**' : g.startsWith('**', i) ? '**' : g[i]));
    if (x[2]) t.push('**');
  }
  const h = t.indexOf('#', 1);
  if (h > 0) t[h - 1] == '/' && h > 1 ? (t[h - 1] = '/?') : t.splice(h, 0, '/?');
  t.push('/?');
  /** Adds the places reachable from these without taking a character: past what may take none. */
  const skip = (s: Set<number>) => (s.forEach((i, x: any) => ((x = t[i]) == '/**' ? s.add(i + 2) : (x == '*' || x?.[1]) && s.add(i + 1))), s);
  // Not a RegExp, which backtracks: wildcards that can take the same characters would try every
  // way of sharing them out (/blog/*-*-* on a long path of dashes: minutes, on every event).
  // Every place the path read so far can have reached is kept at once instead: the time is the
  // path's length times the glob's, whatever the glob.
  // The engine tests every event's path, mostly the same page's: each answer is kept (the last
  // 50 paths, as read and decoded), so a click asks a Map, not the matcher.
  const m = new Map<string, boolean>();
  const run = (p: string) => {
    let s = skip(new Set([0]));
    for (const c of p) {
      const n = new Set<number>();
      s.forEach((i, x: any) => ((x = t[i]) == '*' ? c != '/' && n.add(i) : x == '**' ? n.add(i) : (x == c || (c == '/' && x?.[0] == '/')) && n.add(i + 1)));
      s = skip(n);
    }
    return s.has(t.length);
  };
  return { test: (p) => m.get(p) ?? (m.size > 49 && m.clear(), m.set(p, run(p)).get(p)!) };
};

const is = (m: any, x: any): boolean =>
  isArr(m)
    ? m.includes(x)
    : isObj(m)
      ? keys(m).every((o) =>
          o == 'eq'
            ? m.eq === x
            : o == 'in'
              ? m.in.includes(x)
              : o == 'exists'
                ? (x != null) == m.exists
                : // gt, gte, lt, lte: only numbers compare, so "10" never passes gt: 9.
                  isNum(x) && (o[0] == 'g' ? (o[2] ? x >= m[o] : x > m[o]) : o[2] ? x <= m[o] : x < m[o]),
        )
      : m === x;

/**
 * A path as written in a rule: `/café`, not `/caf%C3%A9`; `/wiki/AT&T`, not `/wiki/AT%26T`
 * (decodeURI() would leave & + , ; : @ = $ encoded). An encoded slash becomes one here, but
 * the path is also tested as it is, where it stays in its segment.
 */
const decode = (p: string) => {
  try {
    return decodeURIComponent(p);
  } catch {
    return p;
  }
};

/**
 * Whether an event meets a condition. `sel` answers selector tests; `count` is the rule's
 * match count, and when it is undefined each count test takes whichever value lets the
 * condition hold (`yes`, flipped under `not`): that is how the events to count are found.
 * `re` turns a path glob into a RegExp: the stage engine passes one that compiles each glob
 * once, rather than for every event.
 */
export function test(c: Condition, e: any, sel: SelectorTest, count?: number, re = glob, yes = true): boolean {
  const x = e.context || {};
  const path = x.page?.path;
  return keys(c).every((k) => {
    const v: any = (c as any)[k];
    return k == 'any'
      ? v.some((d: Condition) => test(d, e, sel, count, re, yes))
      : k == 'all'
        ? v.every((d: Condition) => test(d, e, sel, count, re, yes))
        : k == 'not'
          ? !test(v, e, sel, count, re, !yes)
          : k == 'path'
            ? [v].flat().some((g: string) => isStr(path) && (re(g).test(path) || re(g).test(decode(path))))
            : k == 'selector' || k == 'form'
              ? sel(v)
              : k == 'properties' || k == 'campaign'
                ? keys(v).every((q) => is(v[q], own(k == 'campaign' ? x.campaign : e.properties, q)))
                : k == 'count'
                  ? count == null
                    ? yes
                    : is(v, count)
                  : is(v, k == 'session' ? x.session?.number : k == 'type' ? e.type : e.event || e.name);
  });
}

/**
 * Runs one event through valid rules and updates the visitor's journey in place. Every
 * matching rule counts the event in `counts`; the furthest stage among them wins (the first
 * such rule on a tie). Under `forward` only a later stage is entered; under `latest` any
 * other one is. Returns the winning rule's index (entered or not), or -1.
 */
export function step(r: Rules, st: JourneyContext, counts: Record<string, number>, e: any, sel: SelectorTest, re = glob): number {
  const rank = (s: string | null | undefined) => r.stages.indexOf(s!);
  let best = -1;
  // Before the first match, `rules[-1]` is undefined and ranks -1, below every stage.
  r.rules.forEach((u, i) => {
    if (test(u.when, e, sel, undefined, re) && test(u.when, e, sel, (counts[i] = (counts[i] || 0) + 1), re) && rank(u.stage) > rank(r.rules[best]?.stage)) best = i;
  });
  const s = r.rules[best]?.stage;
  if (s && (r.progression == 'latest' ? s != st.stage : rank(s) > rank(st.stage))) {
    st.previousStage = st.stage;
    st.stage = s;
    st.enteredAt = e.timestamp || null;
  }
  return best;
}
