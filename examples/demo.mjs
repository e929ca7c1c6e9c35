// `npm run demo`: builds what is missing, then starts the reference collector with its
// dashboard, the demo shop (script tag) and the same shop as an SPA (npm build), all on
// 127.0.0.1. `npm run demo -- --simulate 20` also sends 20 synthetic visitors through the shop.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createCollector, stagesFrom } from './collector/server.mjs';
import { createStaticServer } from './site/server.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const at = (...p) => join(root, ...p);

/** The newest modification time under `paths` (files or folders), 0 if none exist. */
function newest(...paths) {
  let t = 0;
  for (const p of paths) {
    if (!existsSync(p)) continue;
    const s = statSync(p);
    if (s.isDirectory()) for (const f of readdirSync(p)) t = Math.max(t, newest(join(p, f)));
    else t = Math.max(t, s.mtimeMs);
  }
  return t;
}
const oldest = (...files) => (files.every(existsSync) ? Math.min(...files.map((f) => statSync(f).mtimeMs)) : 0);

function rollup(args, what) {
  const r = spawnSync(process.execPath, [at('node_modules/rollup/dist/bin/rollup'), ...args, '--silent'], { cwd: root, encoding: 'utf8' });
  if (r.status != 0) {
    // The first lines say what is wrong; the stack trace below them is rollup's own.
    const why = (r.stderr || r.stdout || '').replace(/\x1b\[[0-9;]*m/g, '').split('\n').filter((l) => l.trim()).slice(0, 4);
    throw new Error(`building ${what} failed:\n  ${why.join('\n  ')}`);
  }
}

/**
 * Builds the SDK (dist/) if it is missing or older than src/, and the SPA bundle if it is
 * older than its sources or the SDK. A failed rebuild keeps a build that exists, with a warning.
 */
export function ensureBuilt(log = () => {}) {
  const sdk = [at('dist/waymark.min.js'), at('dist/waymark.vitals.min.js'), at('dist/waymark.mjs')];
  if (oldest(...sdk) < newest(at('src'), at('rollup.config.mjs'))) {
    log('Building the SDK…');
    try {
      rollup(['-c'], 'the SDK');
    } catch (err) {
      if (!oldest(...sdk)) throw err;
      log('warning: ' + err.message + '\nUsing the previous build in dist/.');
    }
  }
  const app = at('examples/spa/dist/app.js');
  if (oldest(app) < newest(at('examples/spa/src'), at('examples/spa/rollup.config.mjs'), at('dist/waymark.mjs'), at('dist/chunks'))) {
    log('Building the SPA…');
    rollup(['-c', at('examples/spa/rollup.config.mjs')], 'the SPA');
  }
}

/**
 * Starts the collector, the shop and the SPA on free ports.
 * @param {{ db?: string }} options `db` is the SQLite file; ':memory:' keeps nothing.
 */
export async function startDemo({ db = at('.demo-data/waymark.db') } = {}) {
  const rules = at('examples/site/journey.json');
  const collector = await createCollector({ file: db, stages: stagesFrom(rules), log: (l) => console.error(l) });
  const origin = collector.url.replace(/\/$/, '');
  const shop = await createStaticServer({
    root: at('examples/site'),
    collector: origin,
    files: {
      '/waymark.min.js': at('dist/waymark.min.js'),
      '/waymark.vitals.min.js': at('dist/waymark.vitals.min.js'),
    },
  });
  const spa = await createStaticServer({
    root: at('examples/spa'),
    collector: origin,
    spa: true,
    files: {
      '/app.js': at('examples/spa/dist/app.js'),
      '/app.js.map': at('examples/spa/dist/app.js.map'),
      '/journey.json': rules,
      '/assets/site.css': at('examples/site/assets/site.css'),
      '/favicon.svg': at('examples/site/favicon.svg'),
    },
  });
  return {
    collector,
    shop: shop.url,
    spa: spa.url,
    dashboard: collector.url,
    close: () => Promise.all([shop.close(), spa.close(), collector.close()]),
  };
}

async function main() {
  const { values } = parseArgs({
    options: {
      simulate: { type: 'string' },
      reset: { type: 'boolean', default: false },
      exit: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(`npm run demo [-- options]
  --simulate N   send N synthetic visitors through the shop (headless Chromium)
  --reset        delete the stored events (.demo-data/) first
  --exit         stop after the simulation instead of serving`);
    return;
  }
  const visitors = values.simulate === undefined ? 0 : Number(values.simulate);
  if (!Number.isInteger(visitors) || visitors < 0) throw new Error('--simulate takes a number of visitors, e.g. --simulate 20');
  if (values.reset) rmSync(at('.demo-data'), { recursive: true, force: true });

  ensureBuilt((line) => console.log(line));
  const demo = await startDemo();
  console.log(`
  Waymark demo
    Shop (script tag)   ${demo.shop}
    Shop (SPA, npm)     ${demo.spa}
    Dashboard           ${demo.dashboard}

  Open the shop, accept the banner, browse, buy, give feedback; the dashboard updates
  within seconds. Events are kept in .demo-data/ (--reset clears them). Ctrl+C stops.
`);
  const stop = async () => {
    await demo.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  if (visitors) {
    const { simulate } = await import('./site/simulate.mjs');
    const t0 = Date.now();
    const tty = process.stdout.isTTY;
    const before = demo.collector.store.report(0, 9e15).summary.events;
    const result = await simulate({
      shop: demo.shop,
      spa: demo.spa,
      visitors,
      onVisitor: (n) => tty && process.stdout.write(`\r  Simulating visitors… ${n}/${visitors}`),
    });
    const events = demo.collector.store.report(0, 9e15).summary.events - before;
    if (tty) process.stdout.write('\r\x1b[K');
    console.log(`  Simulated ${result.visitors} visitors (${events} events) in ${Math.round((Date.now() - t0) / 1000)} s. See the dashboard.`);
    if (result.errors.length) console.log('  Problems:\n    ' + result.errors.slice(0, 10).join('\n    '));
  }
  if (values.exit) await stop();
}

if (process.argv[1] && import.meta.url == pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    console.error(err.message || err);
    process.exit(1);
  });
}
