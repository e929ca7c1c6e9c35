// Runs after `tsc --emitDeclarationOnly` (npm run build). Makes dist/**/*.d.ts readable under
// every TypeScript moduleResolution a consumer may use:
// - tsc writes `from './core/tracker'`, which "node16"/"nodenext" refuse in a "type": "module"
//   package (TS2834: relative imports need an extension), so each one gets its `.js`;
// - a CommonJS consumer under node16/nodenext that resolves `require` to a `.d.ts` of this
//   "type": "module" package is told it cannot require an ES module (TS1479), so each
//   `.d.ts` gets a `.d.cts` twin, importing `.cjs`, which the `require` conditions of the
//   `exports` map point to.
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// fileURLToPath, not .pathname: that one keeps %20 for a space in the checkout's path (and a
// leading / before C: on Windows), which no file has.
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

function* declarations(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* declarations(p);
    else if (name.endsWith('.d.ts')) yield p;
  }
}

const IMPORT = /(\bfrom\s*|\bimport\s*\(\s*)(['"])(\.\.?\/[^'"]*?)(?:\.js)?\2/g;
// './journey' may name dist/journey.d.ts or dist/journey/index.d.ts.
const target = (here, spec) => (statSync(join(here, spec + '.d.ts'), { throwIfNoEntry: false }) ? spec : spec + '/index');

// The declarations the entries' types reach. tsc declares every source file, the script-tag
// entries and internal helpers too; those are not shipped.
const reached = new Set();
const visit = (file) => {
  if (reached.has(file)) return;
  reached.add(file);
  for (const [, , , spec] of readFileSync(file, 'utf8').matchAll(IMPORT)) visit(join(dirname(file), target(dirname(file), spec) + '.d.ts'));
};
visit(join(root, pkg.types));
for (const e of Object.values(pkg.exports)) if (e.import?.types) visit(join(root, e.import.types));

for (const file of declarations(dist)) {
  if (!reached.has(file)) {
    rmSync(file);
    continue;
  }
  const here = dirname(file);
  const text = readFileSync(file, 'utf8');
  const withExt = (ext) => text.replace(IMPORT, (all, kw, q, spec) => kw + q + target(here, spec) + ext + q);
  writeFileSync(file, withExt('.js'));
  writeFileSync(file.replace(/\.d\.ts$/, '.d.cts'), withExt('.cjs'));
}
