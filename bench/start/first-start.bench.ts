// What a new user waits for: `git clone` of this repository into a temp dir, `npm ci`, then
// `npm start` until GET /ready answers 200 (the target in docs/getting-started.md is ≤ 20 s on a
// 2-core machine). Then one source file is edited and `npm start` runs again, which must transpile
// exactly that file (and the edit must reach dist/). Prints the figures; exits non-zero when a
// start does not become ready or the edit is not recompiled.
//
// The clone is of the committed HEAD of the checkout this file was built from (BENCH_REPO=<path or
// URL> to clone another one); uncommitted changes are not measured. `npm ci` uses npm's cache when
// it can (--prefer-offline). BENCH_KEEP=1 keeps the temp dir.
import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, waitUntil } from '../../pkg/testutil/index.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const editedSource = 'pkg/myelin/build-info.ts';

interface StartRun {
  readySeconds: number;
  /** What scripts/start.mjs said about transpiling. */
  transpileLine: string;
}

function run(cmd: string, args: string[], cwd: string): number {
  const t0 = performance.now();
  execFileSync(cmd, args, { cwd, stdio: ['ignore', 'ignore', 'inherit'] });
  return (performance.now() - t0) / 1000;
}

/** Runs `npm start` in `dir` (its own process group) until /ready is 200, then stops that group. */
async function timeStart(dir: string): Promise<StartRun> {
  const [http, grpc] = [await freePort(), await freePort()];
  const flags = [`-server.http-listen-port=${http}`, `-server.grpc-listen-port=${grpc}`, '-server.http-listen-address=127.0.0.1', '-server.grpc-listen-address=127.0.0.1'];
  const t0 = performance.now();
  const child = spawn('npm', ['start', '--', ...flags], { cwd: dir, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr.on('data', (b: Buffer) => (output += b.toString()));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  try {
    const ready = waitUntil(async () => (await fetch(`http://127.0.0.1:${http}/ready`, { signal: AbortSignal.timeout(1_000) })).ok, {
      timeoutMs: 180_000,
      intervalMs: 100,
      what: 'npm start to answer /ready with 200',
    });
    await Promise.race([ready, exited.then(() => Promise.reject(new Error('npm start exited before it was ready')))]);
    const readySeconds = (performance.now() - t0) / 1000;
    return { readySeconds, transpileLine: /^myelin: (transpiling .*|dist\/ is up to date.*)$/m.exec(output)?.[1] ?? '(no transpile line)' };
  } catch (err) {
    throw new Error(`npm start in ${dir}:\n${output.slice(-4000)}`, { cause: err });
  } finally {
    // The whole group npm started: npm, its shell, scripts/start.mjs and the binary.
    // (npm exits when the binary does, so an empty group means it is already gone).
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) process.kill(-child.pid, 'SIGTERM');
    await exited;
  }
}

async function main(): Promise<void> {
  const source = process.env.BENCH_REPO ?? repoRoot;
  const dir = mkdtempSync(join(tmpdir(), 'myelin-first-start-'));
  try {
    const cloneSeconds = run('git', ['clone', '--quiet', source, dir], tmpdir());
    const ciSeconds = run('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund'], dir);
    const first = await timeStart(dir);
    appendFileSync(join(dir, editedSource), `\nexport const firstStartBenchEdit = ${Date.now()};\n`);
    const again = await timeStart(dir);
    const recompiled = readFileSync(join(dir, 'dist', editedSource.replace(/\.ts$/, '.js')), 'utf8').includes('firstStartBenchEdit');
    process.stdout.write(
      [
        `git clone:                         ${cloneSeconds.toFixed(1)} s`,
        `npm ci:                            ${ciSeconds.toFixed(1)} s`,
        `npm start to /ready 200 (first):   ${first.readySeconds.toFixed(1)} s   (${first.transpileLine})`,
        `npm start after editing one file:  ${again.readySeconds.toFixed(1)} s   (${again.transpileLine})`,
        `edit reached dist/:                ${recompiled ? 'yes' : 'NO'}`,
        '',
      ].join('\n'),
    );
    if (!recompiled || !again.transpileLine.startsWith('transpiling 1 changed')) process.exitCode = 1;
  } finally {
    if (process.env.BENCH_KEEP === '1') process.stdout.write(`kept ${dir}\n`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

await main();
