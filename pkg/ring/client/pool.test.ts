import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { ClientPool, type PoolClient } from './pool.js';

class FakeClient implements PoolClient {
  healthy = true;
  closed = false;
  constructor(readonly addr: string) {}
  async checkHealth(): Promise<void> {
    if (!this.healthy) throw new Error(`${this.addr} down`);
  }
  close(): void {
    this.closed = true;
  }
}

test('pool reuses clients, closes those that left the ring or fail their check', async () => {
  let ring = ['a:1', 'b:1', 'c:1'];
  const registry = new Registry();
  const pool = new ClientPool(
    { checkInterval: 1000, healthCheckEnabled: true, healthCheckTimeout: 100 },
    { factory: (addr) => new FakeClient(addr), addresses: () => ring, logger: pino({ level: 'silent' }), registry, name: 'ingester' },
  );
  const a = pool.get('a:1');
  assert.equal(pool.get('a:1'), a);
  const b = pool.get('b:1');
  const c = pool.get('c:1');
  ring = ['a:1', 'c:1'];
  c.healthy = false;
  await pool.check();
  assert.deepEqual(pool.addresses(), ['a:1']);
  assert.equal(b.closed, true);
  assert.equal(c.closed, true);
  assert.equal(a.closed, false);
  assert.notEqual(pool.get('c:1'), c, 'a removed client is created anew');
  const text = await registry.metrics();
  assert.match(text, /myelin_ingester_clients 2/);
  assert.match(text, /myelin_ingester_client_removals_total\{reason="left_ring"\} 1/);
  assert.match(text, /myelin_ingester_client_removals_total\{reason="unhealthy"\} 1/);
});
