import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TenantError, TenantResolver, tenantIdProblem } from './tenant.js';

const idCases: Record<string, { id: string; problem?: RegExp }> = {
  'simple': { id: 'team-a' },
  'every allowed punctuation': { id: "a!-_.*'()z" },
  'exactly 150 characters': { id: 'x'.repeat(150) },
  'too long': { id: 'x'.repeat(151), problem: /too long: max 150/ },
  'empty': { id: '', problem: /empty/ },
  'dot': { id: '.', problem: /'\.' or '\.\.'/ },
  'dot dot': { id: '..', problem: /'\.' or '\.\.'/ },
  'slash': { id: 'a/b', problem: /unsupported character '\/'/ },
  'space': { id: 'a b', problem: /unsupported character ' '/ },
  'non-ascii': { id: 'tenänt', problem: /unsupported character 'ä'/ },
};
for (const [name, c] of Object.entries(idCases)) {
  test(`tenant ID: ${name}`, () => {
    const problem = tenantIdProblem(c.id);
    if (c.problem === undefined) assert.equal(problem, undefined);
    else assert.match(problem ?? '', c.problem);
  });
}

test('auth enabled: missing org id is an error, a|b is for reads only', () => {
  const r = new TenantResolver({ authEnabled: true });
  assert.throws(() => r.tenant(undefined), (e: unknown) => e instanceof TenantError && e.code === 'missing' && e.message === 'no org id');
  assert.throws(() => r.tenant(''), /no org id/);
  assert.equal(r.tenant('a'), 'a');
  assert.deepEqual(r.tenants('b|a|b'), ['a', 'b']);
  assert.throws(() => r.tenant('a|b'), /multiple org IDs/);
  assert.throws(() => r.tenants('a|..'), (e: unknown) => e instanceof TenantError && e.code === 'invalid');
});

test('auth disabled: every request is the anonymous tenant', () => {
  const r = new TenantResolver({ authEnabled: false });
  assert.equal(r.tenant(undefined), 'anonymous');
  assert.equal(r.tenant('whatever'), 'anonymous');
});
