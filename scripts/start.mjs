// `npm start`: make dist/ current for what the binary runs, then run it with the single-process
// config (arguments after `npm start --` are passed on). Only the files reachable from
// cmd/myelin/main.ts (static and dynamic imports, and worker scripts named by
// `new URL('./x.js', import.meta.url)`), and of those only the ones changed since their last
// output, are transpiled, by esbuild, one output file per source as tsc would write it. Type
// checking is `npm run build`'s job, so a first start is not held up by it. Plain JavaScript: it
// runs before anything is compiled.
import { build } from 'esbuild';
import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = 'cmd/myelin/main.ts';
const started = performance.now();
const log = (msg) => process.stderr.write(`myelin: ${msg}\n`);

// Relative specifiers of a module: `from './x.js'` (imports and re-exports, but not `import type`),
// `import './x.js'`, `import('./x.js')` and `new URL('./x.js', …)`. The sources use the `.js`
// suffix nodenext requires, which names the `.ts` file beside it; generated code uses double quotes.
const specifier = /(?<!import\s+type\s[^;]*)(?:\bfrom|\bimport\s*\(?|new URL\()\s*(['"])(\.\.?\/[^'"]+)\.js\1/g;

/** Source files (relative to the root) reachable from `start`. */
function reachable(start) {
  const seen = new Set();
  const todo = [start];
  while (todo.length > 0) {
    const src = todo.pop();
    if (seen.has(src)) continue;
    seen.add(src);
    for (const m of readFileSync(join(root, src), 'utf8').matchAll(specifier)) {
      const dep = relative(root, join(root, dirname(src), `${m[2]}.ts`));
      if (mtime(dep) >= 0) todo.push(dep);
    }
  }
  return [...seen];
}

function mtime(path) {
  try {
    return statSync(join(root, path)).mtimeMs;
  } catch {
    return -1;
  }
}

const sources = reachable(entry);
const stale = sources.filter((src) => mtime(src) > mtime(join('dist', src.replace(/\.ts$/, '.js'))));
if (stale.length === 0) {
  log(`dist/ is up to date for the ${sources.length} files the binary runs`);
} else {
  log(`transpiling ${stale.length} changed of the ${sources.length} files the binary runs into dist/ (no type check: npm run build does that)`);
  await build({
    absWorkingDir: root,
    entryPoints: stale,
    outdir: 'dist',
    outbase: '.',
    bundle: false,
    format: 'esm',
    platform: 'node',
    target: 'es2022',
    sourcemap: true,
    logLevel: 'warning',
  });
  log(`transpiled in ${((performance.now() - started) / 1000).toFixed(1)}s`);
}

const args = ['--enable-source-maps', 'dist/cmd/myelin/main.js', '-config.file=configs/single-process.yaml', ...process.argv.slice(2)];
log(`starting node ${args.join(' ')}; ready when GET /ready answers 200`);
const child = spawn(process.execPath, args, { stdio: 'inherit', cwd: root });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal === null ? 1 : 128)));
