import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ModuleManager } from './module-manager.js';
import { ServiceManager, idleService, basicService } from '../services/index.js';

function graph(events: string[], failing: Record<string, 'starting' | 'running'> = {}): ModuleManager {
  const mm = new ModuleManager();
  const mk = (name: string) => () =>
    failing[name] === 'running'
      ? basicService(name, {
          async starting() { events.push(`start ${name}`); },
          async running() { throw new Error(`${name} broke`); },
          async stopping() { events.push(`stop ${name}`); },
        })
      : idleService(name, {
          async starting() {
            events.push(`start ${name}`);
            if (failing[name] === 'starting') throw new Error(`${name} cannot start`);
          },
          async stopping() { events.push(`stop ${name}`); },
        });
  mm.register('server', mk('server'), { userVisible: false });
  mm.register('ring', mk('ring'), { userVisible: false });
  mm.register('overrides', () => null, { userVisible: false });
  mm.register('distributor', mk('distributor'));
  mm.register('ingester', mk('ingester'));
  mm.register('all', () => null);
  mm.addDependencies('ring', ['server']);
  mm.addDependencies('overrides', ['server']);
  mm.addDependencies('distributor', ['ring', 'overrides']);
  mm.addDependencies('ingester', ['ring', 'overrides']);
  mm.addDependencies('all', ['distributor', 'ingester']);
  return mm;
}

test('dependency order puts dependencies first and rejects unknown modules and cycles', () => {
  const mm = graph([]);
  assert.deepEqual(mm.dependencyOrder(['distributor']), ['server', 'ring', 'overrides', 'distributor']);
  assert.throws(() => mm.dependencyOrder(['nope']), /unknown module "nope"/);
  mm.addDependencies('server', ['all']);
  assert.throws(() => mm.dependencyOrder(['all']), /cycle: all → distributor → ring → server → all/);
  assert.deepEqual(graph([]).userVisibleModules(), ['all', 'distributor', 'ingester']);
});

test('modules start after their dependencies and stop before them', async () => {
  const events: string[] = [];
  const services = await graph(events).initModuleServices(['all']);
  assert.deepEqual([...services.keys()], ['server', 'ring', 'distributor', 'ingester']);
  const sm = new ServiceManager([...services.values()]);
  sm.startAsync();
  await sm.awaitHealthy();
  assert.equal(events.indexOf('start server'), 0);
  assert.equal(events.indexOf('start ring'), 1);
  assert.deepEqual(events.slice(2).sort(), ['start distributor', 'start ingester']);
  events.length = 0;
  sm.stopAsync();
  await sm.awaitStopped();
  assert.deepEqual(events.slice(0, 2).sort(), ['stop distributor', 'stop ingester']);
  assert.deepEqual(events.slice(2), ['stop ring', 'stop server']);
});

test('a module that fails to start fails its dependents and is reported', async () => {
  const events: string[] = [];
  const services = await graph(events, { ring: 'starting' }).initModuleServices(['distributor']);
  const sm = new ServiceManager([...services.values()]);
  const failures: string[] = [];
  sm.onFailure((name, err) => failures.push(`${name}: ${err.message}`));
  sm.startAsync();
  await assert.rejects(sm.awaitHealthy());
  sm.stopAsync();
  await sm.awaitStopped();
  assert.ok(failures.some((f) => f.startsWith('ring: starting module ring')), failures.join('\n'));
  assert.ok(failures.some((f) => f.includes('distributor cannot start: dependency ring is Failed')), failures.join('\n'));
  assert.ok(!events.includes('start distributor'));
});

test('a module that fails while running is reported and the rest can be stopped', async () => {
  const events: string[] = [];
  const services = await graph(events, { ingester: 'running' }).initModuleServices(['all']);
  const sm = new ServiceManager([...services.values()]);
  const failed = new Promise<string>((resolve) => sm.onFailure((name) => resolve(name)));
  sm.startAsync();
  assert.equal(await failed, 'ingester');
  sm.stopAsync();
  await sm.awaitStopped();
  assert.deepEqual(events.slice(-2), ['stop ring', 'stop server']);
});
