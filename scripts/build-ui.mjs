// Bundles the browser UI (web/src/main.ts, its CSS, CodeMirror and uPlot) into dist/web/ with
// esbuild; the binary serves those files under /ui/static/ (pkg/ui). Plain JavaScript so that it
// runs before tsc: `npm start` and `npm test` call it. Type-checking web/ is `tsc -p web`.
import { build } from 'esbuild';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { URL, fileURLToPath } from 'node:url';

const started = performance.now();
const result = await build({
  entryPoints: { app: fileURLToPath(new URL('../web/src/main.ts', import.meta.url)) },
  outdir: fileURLToPath(new URL('../dist/web/', import.meta.url)),
  bundle: true,
  format: 'esm',
  target: 'es2022',
  minify: true,
  sourcemap: 'linked',
  metafile: true,
  logLevel: 'warning',
});
const bytes = Object.entries(result.metafile.outputs).filter(([f]) => !f.endsWith('.map')).reduce((sum, [, o]) => sum + o.bytes, 0);
process.stdout.write(`ui: bundled web/ into dist/web/ (${Math.round(bytes / 1024)} KiB) in ${Math.round(performance.now() - started)} ms\n`);
