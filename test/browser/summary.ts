// The run summary: every test file adds its delivery numbers to one results file per vitest
// run, and the totals are printed after each file and, with this module as the browser
// project's globalSetup, once at the very end.
import { appendFileSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const DIR = join(resolve(dirname(fileURLToPath(import.meta.url))), '.artifacts');

export interface Tally {
  files: number;
  /** Events the collector accepted, duplicates included. */
  sent: number;
  /** Events the SDK accepted while consent allowed sending that never arrived. */
  lost: number;
  /** messageIds accepted more than once. */
  duplicated: number;
  /** Requests the collector received while consent was not granted. */
  beforeConsent: number;
}

// Test files run in forked workers, whose parent is the vitest process that also runs
// globalSetup: its pid names the run.
const runFile = (pid: number) => join(DIR, `results-${pid}.jsonl`);
const runId = () => (process.send ? process.ppid : process.pid);

const total = (pid: number): Tally => {
  const t: Tally = { files: 0, sent: 0, lost: 0, duplicated: 0, beforeConsent: 0 };
  let text = '';
  try {
    text = readFileSync(runFile(pid), 'utf8');
  } catch {}
  for (const line of text.split('\n').filter(Boolean)) {
    const r = JSON.parse(line) as Tally;
    for (const k of Object.keys(t) as (keyof Tally)[]) t[k] += r[k];
  }
  return t;
};

const line = (t: Tally) =>
  `events sent ${t.sent}, lost ${t.lost}, duplicated ${t.duplicated}, requests before consent ${t.beforeConsent}`;

/** Removes the results of runs that ended long ago (without globalSetup, nothing else does). */
const sweep = (keep: number) => {
  for (const f of readdirSync(DIR)) {
    const p = join(DIR, f);
    if (/^results-\d+\.jsonl$/.test(f) && p != runFile(keep) && statSync(p).mtimeMs < Date.now() - 36e5) rmSync(p, { force: true });
  }
};

/** Adds one file's numbers and prints them with the running total. */
export function record(file: string, t: Tally) {
  mkdirSync(DIR, { recursive: true });
  sweep(runId());
  appendFileSync(runFile(runId()), JSON.stringify(t) + '\n');
  const all = total(runId());
  console.log(`[waymark browser] ${file}: ${line(t)}\n[waymark browser] so far (${all.files} files): ${line(all)}`);
}

/** globalSetup: start from an empty results file. */
export function setup() {
  mkdirSync(DIR, { recursive: true });
  sweep(process.pid);
  rmSync(runFile(process.pid), { force: true });
}

export function teardown() {
  const t = total(process.pid);
  console.log(`\n[waymark browser] summary over ${t.files} files: ${line(t)}\n`);
  rmSync(runFile(process.pid), { force: true });
}
