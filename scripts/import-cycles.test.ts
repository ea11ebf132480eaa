// No import cycles in what the binary runs (Cortex's and Go's rule, which TypeScript does not enforce).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { importCycles, importGraph } from './import-cycles.js';

const distRoot = fileURLToPath(new URL('../', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

test('the compiled cmd/ and pkg/ have no import cycles', () => {
  const graph = importGraph(distRoot, repoRoot, ['cmd', 'pkg']);
  assert.ok(graph.size > 300, `read ${graph.size} modules`);
  const cycles = importCycles(graph);
  assert.deepEqual(cycles, [], `import cycles:\n${cycles.map((c) => c.join(' → ')).join('\n')}`);
});

test('a cycle is found, with every module on it; a chain and a self-import are told apart', () => {
  const graph = new Map([
    ['a.js', ['b.js']], ['b.js', ['c.js', 'x.js']], ['c.js', ['a.js']],
    ['x.js', ['y.js']], ['y.js', []], ['self.js', ['self.js']],
  ]);
  assert.deepEqual(importCycles(graph), [['a.js', 'b.js', 'c.js'], ['self.js']]);
});
