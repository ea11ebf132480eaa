// The import graph of the compiled program (dist/cmd and dist/pkg, tests left out) and its cycles.
// Compiled JavaScript has no type-only imports, so a cycle here is one that runs: modules that see
// each other half-initialised. Run by `npm test` through import-cycles.test.ts.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

// Static `import ... from './x.js'`, `export ... from './x.js'` and bare `import './x.js'`.
const importRe = /^\s*(?:import|export)\s[^;]*?\sfrom\s*['"](\.[^'"]+)['"]|^\s*import\s*['"](\.[^'"]+)['"]/gm;

function* jsFiles(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* jsFiles(p);
    else if (e.name.endsWith('.js') && !e.name.endsWith('.test.js')) yield p;
  }
}

/**
 * Each compiled module of `roots` (under `distRoot`) and the modules it imports. A .js file whose
 * .ts source is gone (left in dist/ by an earlier build) is skipped.
 */
export function importGraph(distRoot: string, repoRoot: string, roots: readonly string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const r of roots) {
    for (const file of jsFiles(join(distRoot, r))) {
      const rel = relative(distRoot, file);
      if (!existsSync(join(repoRoot, rel.replace(/\.js$/, '.ts')))) continue;
      const text = readFileSync(file, 'utf8');
      graph.set(rel, [...text.matchAll(importRe)].map((m) => relative(distRoot, resolve(dirname(file), m[1] ?? m[2]))));
    }
  }
  return graph;
}

/** The strongly connected components with more than one module, or a module importing itself (Tarjan). */
export function importCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v) as number);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    for (;;) {
      const w = stack.pop() as string;
      onStack.delete(w);
      component.push(w);
      if (w === v) break;
    }
    if (component.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return cycles;
}
