import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { defaults } from '../flagext/index.js';
import { limitsConfig, Overrides } from '../limits/index.js';
import { createLogger } from '../log/index.js';
import { sleep } from '../services/index.js';
import { RuntimeConfigManager, parseRuntimeConfig } from './manager.js';

const silent = createLogger({ level: 'error', format: 'json' }, { write: () => true } as unknown as NodeJS.WritableStream);

async function metric(reg: Registry, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const m = (await reg.getMetricsAsJSON()).find((x) => x.name === name);
  const v = m?.values.find((x) => Object.entries(labels).every(([k, want]) => x.labels[k] === want));
  return v?.value;
}

test('runtime overrides are reloaded without restart; a broken file keeps the last good one', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'myelin-rc-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'runtime.yaml');
  writeFileSync(file, 'overrides:\n  team-a:\n    ingestion_rate: 10\n');
  const limitsDefaults = defaults(limitsConfig);
  const reg = new Registry();
  const mgr = new RuntimeConfigManager({ file, period: 5 }, { limitsDefaults, logger: silent, registry: reg });
  const overrides = new Overrides(limitsDefaults, () => mgr.current().overrides);
  const svc = mgr.service();
  svc.startAsync();
  await svc.awaitRunning();
  t.after(async () => { svc.stopAsync(); await svc.awaitTerminated(); });

  assert.equal(overrides.limits('team-a').ingestionRate, 10);
  assert.equal(overrides.limits('team-a').ingestionBurstSize, 50000);
  assert.equal(overrides.limits('team-b').ingestionRate, 25000);

  writeFileSync(file, 'overrides:\n  team-a:\n    ingestion_rate: 20\n  team-b:\n    max_series_per_user: 7\n');
  while (overrides.limits('team-b').maxSeriesPerUser !== 7) await sleep(5);
  assert.equal(overrides.limits('team-a').ingestionRate, 20);

  writeFileSync(file, 'overrides:\n  team-a:\n    ingestion_rat: 30\n');
  while ((await metric(reg, 'myelin_runtime_config_reloads_total', { result: 'failure' }) ?? 0) < 1) await sleep(5);
  assert.equal(await metric(reg, 'myelin_runtime_config_last_reload_successful'), 0);
  assert.equal(overrides.limits('team-a').ingestionRate, 20, 'last good config kept');
  assert.equal(overrides.limits('team-b').maxSeriesPerUser, 7);
  assert.match(mgr.yaml('diff'), /team-b:\n\s+max_series_per_user: 7/);
});

test('a broken runtime config at startup fails the service with the key path', async () => {
  const mgr = new RuntimeConfigManager({ file: 'x.yaml', period: 1000 }, {
    limitsDefaults: defaults(limitsConfig), logger: silent, registry: new Registry(),
    read: async () => 'overrides:\n  t1:\n    ingestion_rate: fast\n',
  });
  const svc = mgr.service();
  svc.startAsync();
  await assert.rejects(svc.awaitRunning(), (err: Error) => {
    assert.match(String((err.cause as Error).message), /overrides\.t1\.ingestion_rate: expected a number, got "fast"/);
    return true;
  });
});

test('runtime config parsing rejects unknown top-level keys and reads multi_kv_config', () => {
  const d = defaults(limitsConfig);
  assert.throws(() => parseRuntimeConfig('overides: {}\n', d), /overides: unknown key/);
  const v = parseRuntimeConfig('multi_kv_config:\n  primary: etcd\n  mirror_enabled: true\n', d);
  assert.deepEqual(v.multiKv, { primary: 'etcd', mirrorEnabled: true });
  assert.throws(() => parseRuntimeConfig('multi_kv_config:\n  mirror_enabled: yes please\n', d), /multi_kv_config\.mirror_enabled: bad value/);
});
