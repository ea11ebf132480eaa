import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { Head } from './head.js';
import { dumpHead } from './head-testutil.js';

const writer = fileURLToPath(new URL('./testdata/crash-writer.js', import.meta.url));

interface Round {
  acked: number[];
  truncMint: number;
}

/** Runs the writer until it has acknowledged `minAcks` batches, then kills it with SIGKILL after a random delay. */
function crashRound(dir: string, minAcks: number, delayMs: number, mode: string[]): Promise<Round> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [writer, dir, ...mode], { stdio: ['ignore', 'pipe', 'pipe'] });
    const round: Round = { acked: [], truncMint: -Infinity };
    let buf = '';
    let stderr = '';
    let killing = false;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const [kind, n] = buf.slice(0, nl).split(' ');
        buf = buf.slice(nl + 1);
        if (kind === 'ack') round.acked.push(Number(n));
        if (kind === 'trunc') round.truncMint = Math.max(round.truncMint, Number(n));
      }
      if (!killing && round.acked.length >= minAcks) {
        killing = true;
        setTimeout(() => child.kill('SIGKILL'), delayMs);
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(round);
      else reject(new Error(`crash writer exited with ${code}: ${stderr}`));
    });
  });
}

/** Five rounds of the writer, each killed at a random moment: the batches acknowledged over all of them. */
async function crashRounds(dir: string, mode: string[] = []): Promise<{ acked: Set<number>; truncMint: number; maxAcked: number }> {
  const acked = new Set<number>();
  let truncMint = -Infinity;
  let maxAcked = -1;
  for (let round = 0; round < 5; round++) {
    const r = await crashRound(dir, 20 + Math.floor(Math.random() * 60), Math.floor(Math.random() * 15), mode);
    for (const id of r.acked) acked.add(id);
    for (const id of r.acked) maxAcked = Math.max(maxAcked, id);
    truncMint = Math.max(truncMint, r.truncMint);
  }
  assert.ok(acked.size >= 100, `acked ${acked.size} batches`);
  return { acked, truncMint, maxAcked };
}

test('every acknowledged sample (float or histogram) survives SIGKILL at random moments', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'myelin-crash-'));
  try {
    const { acked, truncMint, maxAcked } = await crashRounds(dir);
    const head = await Head.open({ walDir: dir }, { registry: new Registry() });
    const got = await dumpHead(head);
    await head.close();
    assert.equal(got.size, 50);
    for (const [series, rows] of got) {
      const ts = new Set(rows.map(([t]) => t / 1000));
      const odd = Number(/series="(\d+)"/.exec(series)?.[1]) % 2 === 1;
      for (const [t, v] of rows) assert.equal(v.startsWith('h:'), odd, `${series} t=${t}: ${v}`);
      for (const id of acked) if (id * 1000 >= truncMint) assert.ok(ts.has(id), `${series} lost acknowledged batch ${id}`);
      // Nothing invented: at most the batch in flight when the last process died goes past the acks.
      for (const t of ts) assert.ok(Number.isInteger(t) && t <= maxAcked + 1, `${series} has unexpected t=${t}`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('every acknowledged out-of-order sample survives SIGKILL at random moments (WBL replay)', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'myelin-crash-ooo-'));
  t.after(() => Promise.all([rm(dir, { recursive: true, force: true }), rm(`${dir}-wbl`, { recursive: true, force: true })]));
  const { acked, truncMint, maxAcked } = await crashRounds(dir, ['ooo']);
  const head = await Head.open({ walDir: dir, wblDir: `${dir}-wbl`, outOfOrderTimeWindow: 3600_000 }, { registry: new Registry() });
  const got = await dumpHead(head);
  await head.close();
  assert.equal(got.size, 50);
  for (const [series, rows] of got) {
    if (Number(/series="(\d+)"/.exec(series)?.[1]) % 2 === 1) continue;
    const byT = new Map(rows);
    for (const id of acked) {
      if (id * 1000 < truncMint) continue;
      assert.ok(byT.has(id * 1000), `${series} lost acknowledged batch ${id}`);
      const b = Buffer.alloc(8);
      b.writeDoubleBE(-id);
      assert.equal(byT.get(id * 1000 - 500), b.toString('hex'), `${series} lost the late sample of acknowledged batch ${id}`);
    }
    for (const [t] of rows) assert.ok(t % 500 === 0 && t <= (maxAcked + 1) * 1000, `${series} has unexpected t=${t}`);
  }
});
