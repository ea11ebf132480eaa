// The package boundaries of pkg/README.md as an ESLint rule: a package is a folder of pkg/ with an
// index.ts, and from outside it is reached only through that index.ts (a component's `client/` is
// a package of its own), or, for tests and benchmarks, its test helpers (`testing.ts`, `testing/`,
// `promqltest/`, `*-test-util.ts`, `acceptance.ts`; pkg/testutil). pkg/ never imports integration/
// or bench/. Plain JavaScript: ESLint loads it.
import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
const packageOf = new Map();

/** The package (path relative to the repo, `/`-separated) holding `file`, or undefined outside pkg/. */
function packageOfFile(file) {
  let dir = dirname(file);
  const seen = [];
  let found;
  while (dir.startsWith('pkg/') || dir === 'pkg') {
    if (packageOf.has(dir)) {
      found = packageOf.get(dir);
      break;
    }
    seen.push(dir);
    if (existsSync(join(root, dir, 'index.ts'))) {
      found = dir;
      break;
    }
    dir = dirname(dir);
  }
  for (const d of seen) packageOf.set(d, found);
  return found;
}

const isTestHelper = (file) => /(^|\/)(testing|promqltest|testutil)(\.ts$|\/)|(-test-util|acceptance)\.ts$/.test(file);
const mayUseTestHelpers = (file) => /\.test\.ts$|\.bench\.ts$/.test(file) || isTestHelper(file) || /^(integration|bench)\//.test(file);
const posix = (p) => p.split(sep).join('/');

export const boundaries = {
  meta: {
    type: 'problem',
    docs: { description: 'Packages are imported through their index.ts only; pkg/ never imports integration/ or bench/.' },
    schema: [],
  },
  create(context) {
    const from = posix(relative(root, context.filename));
    const fromPkg = packageOfFile(from);
    const check = (node) => {
      const spec = node.source?.value;
      if (typeof spec !== 'string' || !spec.startsWith('.')) return;
      const to = posix(relative(root, resolve(root, dirname(from), spec))).replace(/\.js$/, '.ts');
      if (from.startsWith('pkg/') && /^(integration|bench)\//.test(to)) {
        context.report({ node: node.source, message: `pkg/ must not import ${to.split('/')[0]}/ (test helpers shared with it live in pkg/testutil).` });
        return;
      }
      if (!to.startsWith('pkg/') || to.startsWith('pkg/generated/')) return;
      const toPkg = packageOfFile(to);
      if (toPkg === 'pkg/testutil' && !mayUseTestHelpers(from)) {
        context.report({ node: node.source, message: 'pkg/testutil is for tests and benchmarks only.' });
        return;
      }
      if (toPkg === undefined || toPkg === fromPkg || to === `${toPkg}/index.ts`) return;
      // A subpackage may use its parent's internals, as a Go subpackage uses its parent package.
      if (fromPkg !== undefined && fromPkg.startsWith(`${toPkg}/`)) return;
      if (isTestHelper(to) && mayUseTestHelpers(from)) return;
      context.report({ node: node.source, message: `${to} is internal to ${toPkg}/: import ${toPkg}/index.ts (export it there if it is part of the package's API).` });
    };
    return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check, ImportExpression: check };
  },
};

