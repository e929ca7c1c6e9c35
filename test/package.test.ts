// @vitest-environment node
// The package as npm publishes it: `npm pack` on a fresh copy of the sources (no dist/, as
// in a clean clone), then the tarball unpacked into throwaway consumer projects, as
// `npm install waymark` would put it. Nothing here reads or writes the repository's dist/.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
let dir: string;
let files: string[];
let tarball: string;

beforeAll(() => {
  // A space in the path, as in a checkout under "My Projects": the build must not trip on it.
  dir = mkdtempSync(join(tmpdir(), 'waymark pack-'));
  const src = join(dir, 'src');
  for (const f of ['package.json', 'tsconfig.json', 'rollup.config.mjs', 'README.md', 'LICENSE', 'src', 'bin', 'schema', 'scripts']) {
    cpSync(join(ROOT, f), join(src, f), { recursive: true });
  }
  symlinkSync(join(ROOT, 'node_modules'), join(src, 'node_modules'));
  // A leftover of an earlier build (a chunk whose hash has since changed) must not be shipped.
  mkdirSync(join(src, 'dist/chunks'), { recursive: true });
  writeFileSync(join(src, 'dist/chunks/mask-0ld0ld.mjs'), 'export const stale = 1;\n');
  execFileSync('npm', ['pack', '--pack-destination', dir], { cwd: src, stdio: 'ignore' });
  tarball = join(dir, readdirSync(dir).find((f) => f.endsWith('.tgz'))!);
  files = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .map((f) => f.replace(/^package\//, ''));
}, 180_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('npm pack builds first, and ships every file the exports map, main, module, types and bin name', () => {
  const pkg = JSON.parse(execFileSync('tar', ['xzOf', tarball, 'package/package.json'], { encoding: 'utf8' }));
  const targets = new Set<string>([pkg.main, pkg.module, pkg.types, ...Object.values<string>(pkg.bin)]);
  const walk = (v: unknown): void => {
    if (typeof v == 'string') targets.add(v);
    else if (v && typeof v == 'object') Object.values(v).forEach(walk);
  };
  walk(pkg.exports);
  for (const t of targets) expect(files, t).toContain(t.replace(/^\.\//, ''));
  // "license": "MIT" obliges every copy to carry the notice itself.
  expect(pkg.license).toBe('MIT');
  expect(files).toContain('LICENSE');
});

test('the tarball holds no tests, sources or leftovers of an earlier build', () => {
  expect(files.filter((f) => /^(test|src|examples|node_modules)\//.test(f) || f.includes('0ld0ld'))).toEqual([]);
});

test('the tarball declares only what the entries export, not the internal helpers or the script-tag entries', () => {
  const declarations = files.filter((f) => /\.d\.c?ts$/.test(f));
  expect(declarations.filter((f) => /^dist\/(lib|script-tag|browser|version|core\/(store|checkOptions))/.test(f))).toEqual([]);
  expect(declarations).toContain('dist/types.d.ts');
});

/**
 * A consumer project with the tarball unpacked in node_modules/waymark, as npm would
 * install it, and the dependencies linked from this repository's node_modules.
 */
function consumer(name: string, type: 'module' | 'commonjs', files: Record<string, string>) {
  const c = join(dir, name);
  mkdirSync(join(c, 'node_modules/waymark'), { recursive: true });
  writeFileSync(join(c, 'package.json'), JSON.stringify({ name, private: true, type }));
  execFileSync('tar', ['xzf', tarball, '-C', join(c, 'node_modules/waymark'), '--strip-components=1']);
  for (const dep of ['idb-keyval', 'web-vitals']) symlinkSync(join(ROOT, 'node_modules', dep), join(c, 'node_modules', dep));
  for (const [f, text] of Object.entries(files)) writeFileSync(join(c, f), text);
  return c;
}

/** `tsc --noEmit` in `cwd`; returns its diagnostics, '' when there are none. */
function tsc(cwd: string, file: string, module: string, moduleResolution: string, ...more: string[]) {
  const args = [...more, '--noEmit', '--strict', '--skipLibCheck', 'false', '--lib', 'es2020,dom', '--module', module, '--moduleResolution', moduleResolution, file];
  try {
    execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), ...args], { cwd, encoding: 'utf8' });
    return '';
  } catch (err: any) {
    return String(err.stdout || err.message);
  }
}

// Every entry with types, and the type exports a plugin author or an app uses.
const CONSUMER = `
import { createTracker, pageViews, clicks, forms, frustration, attribution, webVitals, journey } from 'waymark';
import type { Plugin, Tracker, TrackerOptions } from 'waymark';
import { createTracker as create } from 'waymark/tracker';
import { pageViews as pv } from 'waymark/pageViews';
import { clicks as cl } from 'waymark/clicks';
import { forms as fo } from 'waymark/forms';
import { frustration as fr } from 'waymark/frustration';
import { attribution as at } from 'waymark/attribution';
import { webVitals as wv } from 'waymark/webVitals';
import { journey as jo } from 'waymark/journey';
import { validate, test, step } from 'waymark/rules';
const options: TrackerOptions = {
  endpoint: '/v1/batch',
  capture: [pageViews(), clicks(), forms(), frustration(), attribution(), webVitals(), pv(), cl(), fo(), fr(), at(), wv()],
  stages: journey({ stages: ['a'], rules: [] }),
};
const tracker: Tracker = createTracker(options);
const plugin: Plugin = jo('/journey.json');
const stage: string | null = tracker.stage;
console.log(create, plugin, stage, validate, test, step);
`;

test.each([
  ['an ES module under node16', 'module', 'node16', 'node16'],
  ['an ES module under nodenext', 'module', 'nodenext', 'nodenext'],
  ['a CommonJS module under node16', 'commonjs', 'node16', 'node16'],
  ['a CommonJS module under nodenext', 'commonjs', 'nodenext', 'nodenext'],
  ['a bundled app under bundler', 'module', 'esnext', 'bundler'],
  ['a CommonJS module under node10', 'commonjs', 'commonjs', 'node10'],
] as const)('the types of every entry check in %s', (name, type, module, resolution) => {
  const c = consumer(`${module}-${resolution}-${type}`, type, { 'app.ts': CONSUMER });
  expect(tsc(c, 'app.ts', module, resolution)).toBe('');
}, 60_000);

test('the installed package loads in plain Node, by require and by import, without touching a browser global', () => {
  const c = consumer('runtime', 'commonjs', {
    'cjs.cjs': `const w = require('waymark'); const t = w.createTracker({ endpoint: 'https://c.example/v1/batch' }); t.track('x');
      console.log(Object.keys(w).sort().join(), typeof require('waymark/rules').validate, require('waymark/stages.schema.json').type, t.stage);`,
    'esm.mjs': `const w = await import('waymark'); const { journey } = await import('waymark/journey');
      console.log(Object.keys(w).sort().join(), typeof journey, typeof globalThis.window);`,
  });
  const names = 'attribution,clicks,createTracker,forms,frustration,journey,pageViews,webVitals';
  expect(execFileSync(process.execPath, ['cjs.cjs'], { cwd: c, encoding: 'utf8' }).trim()).toBe(`${names} function object null`);
  expect(execFileSync(process.execPath, ['esm.mjs'], { cwd: c, encoding: 'utf8' }).trim()).toBe(`${names} function undefined`);
});

test('the installed CLI runs from its bin link, on the built rules module', () => {
  const c = consumer('cli', 'commonjs', {
    'journey.json': JSON.stringify({ stages: ['awareness', 'consideration'], rules: [{ stage: 'consideration', when: { type: 'page', path: '/pricing' } }] }),
  });
  mkdirSync(join(c, 'node_modules/.bin'));
  symlinkSync('../waymark/bin/waymark.mjs', join(c, 'node_modules/.bin/waymark'));
  const out = execFileSync(join(c, 'node_modules/.bin/waymark'), ['explain', 'journey.json', '--event', '{"type":"page","context":{"page":{"path":"/pricing"}}}'], { cwd: c, encoding: 'utf8' });
  expect(out).toContain('Stage: none -> consideration');
});

test("the README's npm sample type-checks as written, with the README's rules file and every example rules file imported as JSON", () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```(\w+)\n([\s\S]*?)```/g)];
  const sample = blocks.find(([, lang, text]) => lang == 'ts' && text.includes("import rules from './journey.json'"))![2];
  const rules = blocks.find(([, lang, text]) => lang == 'json' && text.includes('"progression"'))![2];
  const files: Record<string, string> = { 'app.ts': 'declare function showComparisonTable(): void;\n' + sample, 'journey.json': rules };
  const examples = ['examples/site/journey.json', ...readdirSync(join(ROOT, 'examples/stages')).filter((f) => !f.includes('.events.')).map((f) => 'examples/stages/' + f)];
  examples.forEach((f, i) => {
    files[`r${i}.json`] = readFileSync(join(ROOT, f), 'utf8');
    files[`r${i}.ts`] = `import { journey } from 'waymark';\nimport rules from './r${i}.json';\njourney(rules);\n`;
  });
  const c = consumer('readme', 'module', files);
  expect(tsc(c, 'app.ts', 'esnext', 'bundler', '--resolveJsonModule', ...examples.map((_, i) => `r${i}.ts`))).toBe('');
}, 60_000);
