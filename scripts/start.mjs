// `npm start`: make dist/ current for what the binary runs, then run it with the single-process
// config (arguments after `npm start --` are passed on). Only cmd/ and pkg/ without tests, and
// only files changed since their last output, are transpiled (TypeScript's transpileModule, one
// file at a time, which isolatedModules allows); type checking is `npm run build`'s job, so a
// first start is not held up by it. Plain JavaScript: it runs before anything is compiled.
/* global console, performance, process -- Node's, in a plain .mjs that no TypeScript config covers */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const started = performance.now();
const log = (msg) => console.error(`myelin: ${msg}`);

function* sources(dir) {
  for (const e of readdirSync(join(root, dir), { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* sources(p);
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.endsWith('.d.ts')) yield p;
  }
}

const mtime = (p) => {
  try {
    return statSync(p).mtimeMs;
  } catch {
    return -1;
  }
};

const stale = [...sources('cmd'), ...sources('pkg')].filter((src) => mtime(join(root, src)) > mtime(join(root, 'dist', src.replace(/\.ts$/, '.js'))));
if (stale.length === 0) {
  log('dist/ is up to date');
} else {
  log(`transpiling ${stale.length} changed files of cmd/ and pkg/ into dist/ (no type check: npm run build does that)`);
  const ts = createRequire(import.meta.url)('typescript');
  const { options } = ts.convertCompilerOptionsFromJson(JSON.parse(readFileSync(join(root, 'tsconfig.json'), 'utf8')).compilerOptions, root);
  for (const src of stale) {
    const out = join(root, 'dist', src.replace(/\.ts$/, '.js'));
    const { outputText, sourceMapText } = ts.transpileModule(readFileSync(join(root, src), 'utf8'), {
      // ES modules, as package.json's "type" makes them (nodenext alone cannot see that here).
      compilerOptions: { ...options, module: ts.ModuleKind.ES2022, sourceMap: true, incremental: false, tsBuildInfoFile: undefined },
      fileName: join(root, src),
    });
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, outputText);
    writeFileSync(`${out}.map`, sourceMapText);
  }
  log(`transpiled in ${((performance.now() - started) / 1000).toFixed(1)}s`);
}

const args = ['--enable-source-maps', 'dist/cmd/myelin/main.js', '-config.file=configs/single-process.yaml', ...process.argv.slice(2)];
log(`starting node ${args.join(' ')}; ready when GET /ready answers 200`);
const child = spawn(process.execPath, args, { stdio: 'inherit', cwd: root });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal === null ? 1 : 128)));
