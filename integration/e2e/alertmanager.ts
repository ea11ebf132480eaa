// A real Alertmanager (Debian prometheus-alertmanager) on 127.0.0.1, gossip off, for tests of
// what the ruler sends it.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort, TestProcess, waitUntil } from '../../pkg/testutil/index.js';

export interface AmAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  status: { state: string };
}

export class TestAlertmanager {
  constructor(readonly proc: TestProcess, readonly url: string) {}

  /** Starts Alertmanager with data under `dir` and a receiver that sends nowhere. */
  static async start(dir: string): Promise<TestAlertmanager> {
    await mkdir(dir, { recursive: true });
    const config = join(dir, 'alertmanager.yml');
    await writeFile(config, 'route:\n  receiver: blackhole\nreceivers:\n  - name: blackhole\n');
    const port = await freePort();
    const proc = new TestProcess('alertmanager', 'prometheus-alertmanager', [
      `--config.file=${config}`, `--storage.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=',
    ]);
    const url = `http://127.0.0.1:${port}`;
    try {
      await waitUntil(async () => {
        if (!proc.running) throw new Error(`alertmanager exited: ${proc.output}`);
        return (await fetch(`${url}/-/ready`)).ok;
      }, { timeoutMs: 30_000, what: 'alertmanager ready' });
    } catch (err) {
      await proc.stop('SIGKILL');
      throw err;
    }
    return new TestAlertmanager(proc, url);
  }

  /** The alerts Alertmanager holds (active, not yet resolved). */
  async alerts(): Promise<AmAlert[]> {
    const res = await fetch(`${this.url}/api/v2/alerts`);
    if (!res.ok) throw new Error(`GET /api/v2/alerts: ${res.status} ${await res.text()}`);
    return (await res.json()) as AmAlert[];
  }

  stop(): Promise<void> {
    return this.proc.stop('SIGTERM');
  }
}
