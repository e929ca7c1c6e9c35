import nodeResolve from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import typescript from '@rollup/plugin-typescript';

// One entry per feature, so `waymark/clicks` etc. resolve to their own file and shared code
// lands in chunks instead of being copied into each entry.
const entries = {
  waymark: 'src/index.ts',
  tracker: 'src/core/tracker.ts',
  pageViews: 'src/capture/pageViews.ts',
  clicks: 'src/capture/clicks.ts',
  forms: 'src/capture/forms.ts',
  frustration: 'src/capture/frustration.ts',
  attribution: 'src/capture/attribution.ts',
  webVitals: 'src/capture/webVitals.ts',
  journey: 'src/journey/index.ts',
  rules: 'src/journey/rules.ts',

};

const ts = () => typescript({ tsconfig: './tsconfig.json', declaration: false, outDir: undefined, rootDir: undefined, noEmitOnError: true });

const scriptTag = (input, file) => ({
  input,
  plugins: [nodeResolve(), ts()],
  output: {
    file,
    format: 'iife',
    plugins: [
      terser({
        ecma: 2020,
        compress: { passes: 3, unsafe_arrows: true, pure_getters: true },
        // Internal properties are written `_name` so that they can be renamed; public ones cannot.
        mangle: { properties: { regex: /^_/ } },
        format: { comments: false },
      }),
    ],
  },
});

export default [
  {
    input: entries,
    external: ['idb-keyval', /^web-vitals/],
    plugins: [ts()],
    output: [
      { dir: 'dist', format: 'es', entryFileNames: '[name].mjs', chunkFileNames: 'chunks/[name]-[hash].mjs', hoistTransitiveImports: false },
      { dir: 'dist', format: 'cjs', entryFileNames: '[name].cjs', chunkFileNames: 'chunks/[name]-[hash].cjs', hoistTransitiveImports: false },
    ],
  },
  scriptTag('src/browser.ts', 'dist/waymark.min.js'),
  scriptTag('src/browser-vitals.ts', 'dist/waymark.vitals.min.js'),
];
