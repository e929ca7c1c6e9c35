#!/usr/bin/env node
// `npm run bench`: Waymark side by side with its peers, measured in one run on this machine.
// Prints a markdown report on stdout (progress goes to stderr) and keeps it, with the raw
// numbers, in test/bench/.build/. See test/bench/README.md.
//
// Options: --reps=3 --clicks=1000 --events=10000 --queue-seconds=10 --only=waymark,posthog
//          --skip=init,clicks,queue,redact --report-only (re-render the last run's numbers)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';

const benchDir = dirname(fileURLToPath(import.meta.url));
const root = join(benchDir, '../..');
const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')));
const REPS = +(args.reps || 3);
const CLICKS = +(args.clicks || 1000);
const EVENTS = +(args.events || 10000);
// Each queue run stops this long after its first track() call, delivered or not: at 20
// events a request, most SDKs need far longer than that to drain 10,000.
const QUEUE_SECONDS = +(args['queue-seconds'] || 10);
const skip = new Set((args.skip || '').split(',').filter(Boolean));
const log = (...a) => console.error('[bench]', ...a);

// ---- peers: installed into test/bench/node_modules, never dependencies of waymark ----

const benchPkg = JSON.parse(readFileSync(join(benchDir, 'package.json'), 'utf8'));
const installedVersion = (name) => {
  try {
    return JSON.parse(readFileSync(join(benchDir, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return null;
  }
};
const missing = Object.entries(benchPkg.dependencies).filter(([n, v]) => installedVersion(n) != v);
if (missing.length) {
  log('installing peers into test/bench/node_modules:', missing.map(([n, v]) => n + '@' + v).join(' '));
  const r = spawnSync('flock', ['/tmp/npm.lock', 'npm', 'install', '--prefix', benchDir, '--no-audit', '--no-fund'], {
    stdio: ['ignore', 2, 2],
  });
  if (r.status) {
    log('npm install failed; cannot run the benchmark.');
    process.exit(1);
  }
}

const { buildAll } = await import('./lib/build.mjs');
const { startPageServer, startCollector } = await import('./lib/servers.mjs');
const { launch, initRun, clickRun, queueRun, chunkProbe } = await import('./lib/browser.mjs');
const { report } = await import('./lib/report.mjs');
const esbuild = (await import(join(benchDir, 'node_modules/esbuild/lib/main.js'))).default;

// ---- what is measured ----

const SDKS = [
  { id: 'waymark', label: 'Waymark', version: JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version,
    features: 'page views, clicks, forms, frustration, attribution, journey stages; consent granted; batches of 20 or 3 s' },
  { id: 'posthog', label: 'PostHog', pkg: 'posthog-js',
    features: 'autocapture (clicks, changes, submits), rage clicks, dead clicks, page views and page leave; batches every 3 s; client rate limit raised; no session replay' },
  { id: 'amplitude', label: 'Amplitude', pkg: '@amplitude/analytics-browser',
    features: 'autocapture: page views, sessions, attribution, element clicks, form interactions, rage/dead clicks; batches of 20 or 3 s' },
  { id: 'snowplow', label: 'Snowplow', pkg: '@snowplow/browser-tracker',
    features: 'page view, link-click plugin (with content), form plugin; POST batches of 20' },
  { id: 'segment', label: 'Segment', pkg: '@segment/analytics-next',
    features: 'page view, trackLink on every link, trackForm on every form (it has no autocapture); batches of 20 or 3 s; settings inline' },
  { id: 'rudderstack', label: 'RudderStack', pkg: '@rudderstack/analytics-js', entry: '/bundled',
    features: 'page view (it has no click or form capture); batches of 20 or 3 s; source config inline' },
  { id: 'plausible', label: 'Plausible', pkg: 'plausible-tracker',
    features: 'page views, outbound-link clicks (all it has); one request per event, no queue' },
];
for (const s of SDKS) if (s.pkg) s.version = installedVersion(s.pkg);
const only = args.only ? new Set(args.only.split(',')) : null;
const active = SDKS.filter((s) => !only || only.has(s.id));
const BYTES_ONLY = [{ id: 'rudderstack-cdn', label: 'RudderStack (default entry)', version: installedVersion('@rudderstack/analytics-js'),
  features: 'bytes only: plugins, the XHR queue included, load from its CDN at run time' }];

// `--report-only`: render the report again from the last run's raw numbers, measuring nothing.
if (args['report-only'] !== undefined) {
  const saved = JSON.parse(readFileSync(join(benchDir, '.build/results.json'), 'utf8'));
  const pick = (ids, list) => ids.map((id) => list.find((s) => s.id == id)).filter(Boolean);
  console.log(report({ ...saved.input, sdks: pick(saved.input.sdks, SDKS), bytesOnly: pick(saved.input.bytesOnly, BYTES_ONLY), skip: new Set(saved.input.skip) }));
  process.exit(0);
}

// ---- build ----

log('building waymark: npx rollup -c --silent');
const rb = spawnSync('npx', ['rollup', '-c', '--silent'], { cwd: root, stdio: ['ignore', 2, 2] });
const buildNote =
  rb.status == 0 ? '' : 'The Waymark build (npx rollup -c) FAILED; these figures use the dist/ that was already there.';
if (rb.status && !existsSync(join(root, 'dist/waymark.mjs'))) {
  log('the waymark build failed and there is no dist/ to fall back on');
  process.exit(1);
}
if (buildNote) log(buildNote);

log('bundling every SDK with esbuild ' + esbuild.version);
const { sizes, bundles, failures } = await buildAll({
  esbuild,
  root,
  benchDir,
  sdks: ['none', ...active.map((s) => s.id), ...(only ? [] : BYTES_ONLY.map((s) => s.id))],
});
for (const [id, err] of Object.entries(failures)) log(`build of ${id} failed: ${err}`);

// ---- run ----

const collector = await startCollector();
const pageServer = await startPageServer({ harnessFile: join(benchDir, 'page/harness.js'), bundles, esmDir: join(benchDir, '.build/esm') });
const env = { pageOrigin: pageServer.origin, collectorOrigin: collector.origin, collector };
const browser = await launch();
const started = Date.now();
const results = { init: {}, clicks: {}, queue: {}, chunks: {} };
const runnable = active.filter((s) => bundles[s.id]);
const push = (table, id, r) => (table[id] ||= []).push(r);
// Rotate the order every repetition, so no SDK always runs first (cold) or last.
const rotate = (list, k) => list.map((_, i) => list[(i + k) % list.length]);
const attempt = async (what, fn) => {
  try {
    // A page an SDK broke must not hang the whole run.
    return await Promise.race([fn(), new Promise((_, no) => setTimeout(() => no(new Error('no result in 180 s')), 180e3).unref())]);
  } catch (err) {
    log(`${what} failed: ${String(err.message || err).split('\n')[0]}`);
    return { failed: String(err.message || err).split('\n')[0] };
  }
};

// Redaction runs on the main thread at every navigation (pushState included), and dashboards keep
// 10-300 KB of state in their URLs: its time must grow with the URL, not with its square. Timed
// here, not in the tests (test/lib/redactUrl.test.ts checks the answers): Node, Waymark alone.
if (!skip.has('redact')) {
  const out = join(benchDir, '.build/redactUrl.mjs');
  await esbuild.build({ entryPoints: [join(root, 'src/lib/redactUrl.ts')], bundle: true, format: 'esm', outfile: out, logLevel: 'silent' });
  const { redactUrl } = await import(out);
  results.redact = {};
  for (const n of [30_000, 300_000]) {
    const url = 'https://kibana.ex/app/discover?_a=' + '(filters:!(),query:(language:kuery))'.repeat(n / 30).slice(0, n) + '&token=t';
    redactUrl(url);
    const ms = [];
    for (let rep = 0; rep < REPS; rep++) {
      const cpu = process.cpuUsage();
      if (!redactUrl(url).endsWith('&token=redacted')) throw new Error('redactUrl kept the token');
      const { user, system } = process.cpuUsage(cpu);
      ms.push((user + system) / 1000);
    }
    results.redact[n] = ms.sort((a, b) => a - b)[ms.length >> 1];
    log(`redact ${n} characters: ${results.redact[n].toFixed(1)} ms of CPU`);
  }
}

try {
  for (const s of runnable) results.chunks[s.id] = await attempt(`chunk probe ${s.id}`, () => chunkProbe(browser, s.id, env));
  if (!skip.has('init')) {
    for (let rep = 0; rep < REPS; rep++) {
      for (const id of rotate(['none', ...runnable.map((s) => s.id)], rep)) {
        log(`init ${id} ${rep + 1}/${REPS}`);
        push(results.init, id, await attempt(`init ${id}`, () => initRun(browser, id, env)));
      }
    }
  }
  if (!skip.has('clicks')) {
    for (let rep = 0; rep < REPS; rep++) {
      for (const id of rotate(['none', ...runnable.map((s) => s.id)], rep)) {
        log(`clicks ${id} ${rep + 1}/${REPS}`);
        push(results.clicks, id, await attempt(`clicks ${id}`, () => clickRun(browser, id, env, CLICKS)));
      }
    }
  }
  if (!skip.has('queue')) {
    for (let rep = 0; rep < REPS; rep++) {
      for (const id of rotate(runnable.map((s) => s.id), rep)) {
        log(`queue ${id} ${rep + 1}/${REPS}`);
        push(results.queue, id, await attempt(`queue ${id}`, () => queueRun(browser, id, env, { n: EVENTS, capMs: QUEUE_SECONDS * 1e3 })));
      }
    }
  }
} finally {
  const chromiumVersion = browser.version();
  await browser.close();
  await collector.close();
  await pageServer.close();
  results.env = {
    chromium: chromiumVersion,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    memGB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    esbuild: esbuild.version,
    os: `${os.type()} ${os.release()}`,
    date: new Date().toISOString(),
    minutes: (Date.now() - started) / 6e4,
  };
}

const input = { sizes, failures, results, reps: REPS, clicks: CLICKS, events: EVENTS, queueSeconds: QUEUE_SECONDS, buildNote };
const bytesOnly = only ? [] : BYTES_ONLY;
const md = report({ ...input, sdks: runnable, bytesOnly, skip });
mkdirSync(join(benchDir, '.build'), { recursive: true });
writeFileSync(
  join(benchDir, '.build/results.json'),
  JSON.stringify({ input: { ...input, sdks: runnable.map((s) => s.id), bytesOnly: bytesOnly.map((s) => s.id), skip: [...skip] } }, null, 1),
);
writeFileSync(join(benchDir, '.build/results.md'), md);
console.log(md);
