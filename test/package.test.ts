// @vitest-environment node
// The package as npm publishes it: `npm pack` on a fresh copy of the sources (no dist/, as
// in a clean clone), then the tarball unpacked into throwaway consumer projects, as
// `npm install waymark` would put it. Nothing here reads or writes the repository's dist/.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
let dir: string;
let files: string[];
let tarball: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'waymark-pack-'));
  const src = join(dir, 'src');
  for (const f of ['package.json', 'tsconfig.json', 'rollup.config.mjs', 'README.md', 'src', 'bin', 'schema']) {
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
});

test('the tarball holds no tests, sources or leftovers of an earlier build', () => {
  expect(files.filter((f) => /^(test|src|examples|node_modules)\//.test(f) || f.includes('0ld0ld'))).toEqual([]);
});
