#!/usr/bin/env node
// The `waymark` CLI: checks stage rules files and explains which rule an event matches.
// It runs the same validator and matching code as the browser engine (dist/rules.mjs).
import { readFileSync } from 'node:fs';

// The published package ships dist/; a fresh checkout has to build it first.
const { own, step, test, validate } = await import('../dist/rules.mjs').catch((e) => {
  process.stderr.write(`waymark: cannot load dist/rules.mjs (${e.code || e.message}); run \`npm run build\` first\n`);
  process.exit(2);
});

const USAGE = `Usage:
  waymark validate <rules.json>
  waymark explain <rules.json> --event '<event JSON>' [--from <stage>]
  waymark explain <rules.json> --events <events.json> [--from <stage>]

validate  Checks a stage rules file. Prints "OK" and exits 0 when it is valid;
          otherwise prints each problem with its JSON path and exits 1.
explain   Runs events through the rules and prints which rules match, the rule
          that wins and the visitor's stage after each event.
  --event   one event, as JSON
  --events  a file holding a JSON array of events, or one JSON event per line; a
            collector request body ({"batch": [...]}) stands for its events. Each
            anonymousId is a visitor with its own stage and counts (a reset() starts
            a new one), and a "Visitor" line says whose events follow
  --from    the stage the first event's visitor is in before it (default: none);
            other visitors start with none

Events have the shape collectors receive, for example:
  {"type":"page","context":{"page":{"path":"/pricing"}}}
  {"type":"track","event":"Order Completed","properties":{"total":120}}
  {"type":"page","context":{"page":{"path":"/"},"campaign":{"channel":"email"},"session":{"number":2}}}
"selector" and "form" conditions need a page to test CSS selectors on, so here they
do not match unless the event lists the selectors its element matches:
  {"type":"track","event":"Element Clicked","selector":["[data-plan]"]}
"Journey Stage Entered" events are skipped: the engine sends them and never runs
the rules on them, so collected events replay as they ran in the browser.

Exit status: 0 OK, 1 invalid rules or events, 2 bad arguments or unreadable file.`;

// A reader that stops early (`| head`) closes the pipe: that is not an error.
process.stdout.on('error', (e) => {
  if (e.code != 'EPIPE') throw e;
  process.exit(0);
});

const ENTERED = 'Journey Stage Entered';
const out = (line = '') => process.stdout.write(line + '\n');
const err = (line) => process.stderr.write(line + '\n');

/** Bad arguments: say what is wrong, show the usage, exit 2. */
function usage(problem) {
  if (problem) err('waymark: ' + problem + '\n');
  err(USAGE);
  process.exit(2);
}

function read(file) {
  try {
    // A UTF-8 byte order mark: browsers' Response.json() skips it, JSON.parse does not.
    return readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  } catch (e) {
    err(`waymark: cannot read ${file}: ${e.code || e.message}`);
    process.exit(2);
  }
}

/** Where a JSON.parse error is, as line and column, for text of several lines (Node 22 says it itself). */
function where(text, message) {
  const at = /at position (\d+)/.exec(message)?.[1] ?? (/end of JSON/.test(message) ? text.length : null);
  if (at == null || !text.includes('\n') || /line \d+ column/.test(message)) return message;
  const lines = text.slice(0, at).split('\n');
  return `${message} (line ${lines.length} column ${lines.at(-1).length + 1})`;
}

function parse(text, what) {
  try {
    return JSON.parse(text);
  } catch (e) {
    err(`${what}: not valid JSON (${where(text, e.message)})`);
    process.exit(1);
  }
}

/** Reads and validates a rules file; exits 1 with the problems when it is invalid. */
function load(file) {
  const rules = parse(read(file), file);
  const problems = validate(rules);
  if (problems.length) {
    err(`${file}: ${problems.length} problem${problems.length > 1 ? 's' : ''}`);
    for (const p of problems) err('  ' + p);
    process.exit(1);
  }
  return rules;
}

function parseArgs(argv) {
  const args = { _: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a == '-h' || a == '--help') args.help = true;
    else if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      if (!['event', 'events', 'from'].includes(name)) usage(`unknown option --${name}`);
      const value = eq > 0 ? a.slice(eq + 1) : argv[++i];
      if (value === undefined) usage(`--${name} needs a value`);
      args[name] = value;
    } else args._.push(a);
  }
  return args;
}

/** A collector request body, {"batch": [...], "sentAt": ...}, stands for its events. */
const unwrap = (x) => (x && Array.isArray(x.batch) ? x.batch : [x]);

/** `--events`: a JSON array, one JSON object, or newline-delimited JSON; request bodies are unwrapped. */
function readEvents(file) {
  const text = read(file);
  // A JSON array is one document: its own parse error says where it is broken, the
  // line-by-line reading would only blame its first line.
  if (text.trimStart().startsWith('[')) return parse(text, file).flatMap(unwrap);
  try {
    const all = JSON.parse(text);
    return (Array.isArray(all) ? all : [all]).flatMap(unwrap);
  } catch {
    return text
      .split('\n')
      .map((line, i) => [line.trim(), i + 1])
      .filter(([line]) => line)
      .flatMap(([line, n]) => unwrap(parse(line, `${file} line ${n}`)));
  }
}

/** What makes an event one the engine would never see (the collector refuses it), or null. */
function invalid(e) {
  if (!e || typeof e != 'object' || Array.isArray(e)) return 'expected a JSON object';
  if (!['page', 'track', 'identify'].includes(e.type)) {
    return 'type: expected "page", "track" or "identify"' + (e.type === undefined ? '' : `, not ${JSON.stringify(e.type)}`);
  }
  if (e.type == 'track' && !(typeof e.event == 'string' && e.event)) return 'event: a track event needs its name, a string';
  return null;
}

const describe = (e) => {
  const name = e.event || e.name;
  const path = e.context?.page?.path;
  return [e.type || '(no type)', name && JSON.stringify(name), path && 'on ' + path].filter(Boolean).join(' ');
};

function explain(rules, events, from) {
  // The browser keeps one journey per visitor: a logout's reset() starts a new anonymousId with
  // no stage and no counts, and a collector's export holds many visitors, interleaved. So each
  // anonymousId has its own stage and counts, and goes on from them when it comes back. --from
  // is the first event's visitor's stage; any other starts with none, as in the browser.
  const visitors = new Map();
  let st, counts, who;
  const single = events.length == 1;
  let unchecked = false;
  events.forEach((e, n) => {
    const id = e.anonymousId;
    const seen = visitors.has(id);
    if (!seen) visitors.set(id, { st: { stage: (n ? null : from) ?? null, previousStage: null, enteredAt: null }, counts: {} });
    ({ st, counts } = visitors.get(id));
    // Events without an anonymousId (written by hand) are one visitor, and get no heading.
    if (!single && id !== who) out(`Visitor ${id ?? '(no anonymousId)'}: ${seen ? 'seen before' : 'new'}, stage ${st.stage ?? 'none'}`);
    who = id;
    // The engine records each stage change as this event and never runs the rules on it
    // (src/journey/index.ts): replayed collector events must not count it either.
    if (e.event == ENTERED) {
      out(`${single ? 'Event' : `${n + 1}.`} ${describe(e)}`);
      out(`${single ? '' : '   '}skipped: ${ENTERED} is the engine's own event`);
      return;
    }
    // Without a DOM, a selector matches only if the event says its element matches it.
    const known = e.selector === undefined ? undefined : [e.selector].flat();
    const asked = new Set();
    const sel = (s) => (asked.add(s), known ? known.includes(s) : false);
    const before = st.stage;
    const best = step(rules, st, counts, e, sel);
    const matched = rules.rules.map((r, i) => test(r.when, e, sel) && test(r.when, e, sel, counts[i]));
    out(`${single ? 'Event' : `${n + 1}.`} ${describe(e)}`);
    if (single) {
      rules.rules.forEach((r, i) => {
        const label = `rules[${i}]`.padEnd(10) + ` ${r.stage}` + (r.name ? ` "${r.name}"` : '');
        out(`  ${matched[i] ? 'match' : '  -  '}  ${label}${i == best ? '  <- wins' : ''}`);
      });
    } else {
      const hits = matched.flatMap((m, i) => (m ? [i] : []));
      out(`   matches: ${hits.length ? hits.map((i) => `rules[${i}] ${rules.rules[i].stage}`).join(', ') : 'none'}`);
    }
    if (asked.size && !known) {
      unchecked = true;
      out(`   (not checkable without a DOM, so not matched: ${[...asked].map((s) => JSON.stringify(s)).join(', ')})`);
    }
    const indent = single ? '' : '   ';
    if (best < 0) out(`${indent}Stage: ${before ?? 'none'} (no rule matches)`);
    else if (st.stage != before) {
      const ask = own(rules.feedback, st.stage);
      out(`${indent}Stage: ${before ?? 'none'} -> ${st.stage}, entered by rules[${best}]` + (ask ? ` (asks for ${ask} feedback)` : ''));
    } else {
      const to = rules.rules[best].stage;
      const why = to == before ? 'already there' : `forward progression never goes back to ${to}`;
      out(`${indent}Stage: ${before} (unchanged: rules[${best}] points to ${to}, ${why})`);
    }
  });
  if (unchecked) out('\nTip: add "selector": ["<css>"] to an event to say which selectors its element matches.');
}

const args = parseArgs(process.argv.slice(2));
if (args.help) {
  out(USAGE);
  process.exit(0);
}
const [command, file, ...rest] = args._;
if (!command) usage();
if (rest.length) usage(`unexpected argument: ${rest[0]}`);
if (command == 'validate') {
  if (!file) usage('validate needs a rules file');
  if (args.event || args.events || args.from) usage('validate takes only a rules file');
  const rules = load(file);
  out(`${file}: OK (${rules.stages.length} stages, ${rules.rules.length} rules, progression ${rules.progression || 'forward'})`);
} else if (command == 'explain') {
  if (!file) usage('explain needs a rules file');
  if (!args.event == !args.events) usage('explain needs --event \'<JSON>\' or --events <file> (one of them)');
  const rules = load(file);
  if (args.from !== undefined && !rules.stages.includes(args.from)) {
    usage(`--from ${args.from}: expected one of the stages (${rules.stages.join(', ')})`);
  }
  const events = args.events ? readEvents(args.events) : [parse(args.event, '--event')];
  if (!events.length) usage(`${args.events}: no events`);
  // Check them all before explaining any: a typo in a type would otherwise read as "no rule matches".
  const problems = events.flatMap((e, n) => (invalid(e) ? [`event ${n + 1}: ${invalid(e)}`] : []));
  if (args.event && problems.length) {
    err('--event: ' + invalid(events[0]));
    process.exit(1);
  } else if (problems.length) {
    err(`${args.events}: ${problems.length} invalid event${problems.length > 1 ? 's' : ''}`);
    problems.slice(0, 20).forEach((p) => err('  ' + p));
    if (problems.length > 20) err(`  … and ${problems.length - 20} more`);
    process.exit(1);
  }
  explain(rules, events, args.from);
} else usage(`unknown command: ${command}`);
