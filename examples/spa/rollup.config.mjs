// Bundles the SPA the way an app would bundle Waymark from npm: only the imported modules
// end up in examples/spa/dist/app.js. Run from the repository root:
//   npx rollup -c examples/spa/rollup.config.mjs
import nodeResolve from '@rollup/plugin-node-resolve';
import { fileURLToPath } from 'node:url';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));

export default {
  input: here('./src/main.js'),
  plugins: [nodeResolve({ browser: true })],
  output: { file: here('./dist/app.js'), format: 'es', sourcemap: true },
};
