// Runs after `tsc --emitDeclarationOnly` (npm run build). Makes dist/**/*.d.ts readable under
// every TypeScript moduleResolution a consumer may use:
// - tsc writes `from './core/tracker'`, which "node16"/"nodenext" refuse in a "type": "module"
//   package (TS2834: relative imports need an extension), so each one gets its `.js`;
// - a CommonJS consumer under node16/nodenext that resolves `require` to a `.d.ts` of this
//   "type": "module" package is told it cannot require an ES module (TS1479), so each
//   `.d.ts` gets a `.d.cts` twin, importing `.cjs`, which the `require` conditions of the
//   `exports` map point to.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const dist = join(dirname(new URL(import.meta.url).pathname), '..', 'dist');

function* declarations(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* declarations(p);
    else if (name.endsWith('.d.ts')) yield p;
  }
}

for (const file of declarations(dist)) {
  const here = dirname(file);
  const text = readFileSync(file, 'utf8');
  const withExt = (ext) =>
    text.replace(/(\bfrom\s*|\bimport\s*\(\s*)(['"])(\.\.?\/[^'"]*?)(?:\.js)?\2/g, (all, kw, q, spec) => {
      // './journey' may name dist/journey.d.ts or dist/journey/index.d.ts.
      const target = statSync(join(here, spec + '.d.ts'), { throwIfNoEntry: false }) ? spec : spec + '/index';
      return kw + q + target + ext + q;
    });
  writeFileSync(file, withExt('.js'));
  writeFileSync(file.replace(/\.d\.ts$/, '.d.cts'), withExt('.cjs'));
}
