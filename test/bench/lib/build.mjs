// Builds every SDK entry (test/bench/sdks/*.mjs) the same way with esbuild, twice:
// - for bytes: ESM, minified, code splitting on, so what a page loads up front (the entry
//   and its static imports) is told apart from chunks loaded on demand (dynamic import());
// - for the browser runs: one minified IIFE per SDK exposing `window.__sdk`.
import { readFileSync, mkdirSync, rmSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import { brotliCompressSync, constants } from 'node:zlib';

export const brotli = (buf) =>
  brotliCompressSync(buf, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: buf.length },
  }).length;

/** `waymark` is the package in the repository root, resolved through its own `exports`. */
const waymarkPlugin = (root) => ({
  name: 'waymark-from-repo',
  setup(b) {
    b.onResolve({ filter: /^waymark$/ }, () => ({ path: join(root, 'dist/waymark.mjs') }));
  },
});

const common = (root) => ({
  bundle: true,
  minify: true,
  platform: 'browser',
  target: 'es2020',
  define: { 'process.env.NODE_ENV': '"production"' },
  logLevel: 'silent',
  legalComments: 'none',
  plugins: [waymarkPlugin(root)],
});

export async function buildAll({ esbuild, root, benchDir, sdks }) {
  const out = join(benchDir, '.build');
  rmSync(join(out, 'esm'), { recursive: true, force: true });
  rmSync(join(out, 'iife'), { recursive: true, force: true });
  const sizes = {};
  const bundles = {};
  const failures = {};
  for (const id of sdks) {
    const entry = join(benchDir, 'sdks', id + '.mjs');
    try {
      const outdir = join(out, 'esm', id);
      const r = await esbuild.build({
        ...common(root),
        entryPoints: { [id]: entry },
        format: 'esm',
        splitting: true,
        outdir,
        metafile: true,
        chunkNames: 'chunk-[hash]',
      });
      const outputs = r.metafile.outputs;
      const abs = (p) => resolve(process.cwd(), p);
      const entryOut = Object.keys(outputs).find((p) => outputs[p].entryPoint);
      // The entry and everything it imports statically is what the page loads up front.
      const initial = new Set();
      const walk = (p) => {
        if (initial.has(p)) return;
        initial.add(p);
        for (const i of outputs[p].imports) if (i.kind == 'import-statement' && outputs[i.path]) walk(i.path);
      };
      walk(entryOut);
      const js = Object.keys(outputs).filter((p) => p.endsWith('.js'));
      const sum = (files, f) => files.reduce((n, p) => n + f(readFileSync(abs(p))), 0);
      const lazy = js.filter((p) => !initial.has(p));
      sizes[id] = {
        minified: sum([...initial], (b) => b.length),
        brotli: sum([...initial], brotli),
        lazyChunks: lazy.length,
        lazyBrotli: sum(lazy, brotli),
        // Per file, so the report can add up what a page actually fetched.
        initialFiles: [...initial].map((p) => p.split('/').pop()),
        files: Object.fromEntries(js.map((p) => [p.split('/').pop(), brotli(readFileSync(abs(p)))])),
      };
      const file = join(out, 'iife', id + '.js');
      mkdirSync(dirname(file), { recursive: true });
      await esbuild.build({ ...common(root), entryPoints: [entry], format: 'iife', globalName: '__sdk', outfile: file });
      bundles[id] = file;
    } catch (err) {
      failures[id] = String((err.errors && err.errors.map((e) => e.text).join('; ')) || err.message || err);
    }
  }
  const shipped = readFileSync(join(root, 'dist/waymark.min.js'));
  sizes['waymark.min.js'] = { minified: shipped.length, brotli: brotli(shipped), lazyChunks: 0, lazyBrotli: 0 };
  return { sizes, bundles, failures };
}
