// The package-boundary rule (scripts/eslint/boundaries.mjs) under ESLint's RuleTester: what it
// lets through and what it reports, for imports, re-exports and dynamic imports.
import { describe, it } from 'node:test';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RuleTester, type Rule } from 'eslint';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const { boundaries } = (await import(new URL('../../scripts/eslint/boundaries.mjs', import.meta.url).href)) as { boundaries: Rule.RuleModule };

// RuleTester reports through the test framework's describe/it.
RuleTester.describe = describe;
RuleTester.it = it;
RuleTester.itOnly = it.only;

const at = (file: string) => join(repoRoot, file);
const tester = new RuleTester({ languageOptions: { ecmaVersion: 2022, sourceType: 'module' } });

tester.run('boundaries', boundaries, {
  valid: [
    { name: 'another package through its index.ts', filename: at('pkg/querier/x.ts'), code: "import { a } from '../storage/index.js';" },
    { name: 'a component through its client/', filename: at('pkg/querier/x.ts'), code: "import { a } from '../ingester/client/index.js';" },
    { name: 'inside one package', filename: at('pkg/querier/x.ts'), code: "import { a } from './querier.js';" },
    { name: 'a subpackage uses its parent\'s internals', filename: at('pkg/ingester/client/x.ts'), code: "import { a } from '../ingester.js';" },
    { name: 'generated code', filename: at('pkg/querier/x.ts'), code: "import { a } from '../generated/myelin/ingester.js';" },
    { name: 'a test uses another package\'s test helpers', filename: at('pkg/querier/x.test.ts'), code: "import { a } from '../ingester/testing.js';" },
    { name: 'a test uses pkg/testutil', filename: at('pkg/querier/x.test.ts'), code: "import { a } from '../testutil/index.js';" },
    { name: 'integration/ uses a testing/ folder', filename: at('integration/x.test.ts'), code: "import { a } from '../pkg/bucket/s3/testing/s3-test-server.js';" },
    { name: 'packages, not modules of npm', filename: at('pkg/querier/x.ts'), code: "import { a } from 'fastify';" },
  ],
  invalid: [
    {
      name: 'another package\'s internals',
      filename: at('pkg/querier/x.ts'),
      code: "import { a } from '../ingester/ingester.js';",
      errors: [{ message: 'pkg/ingester/ingester.ts is internal to pkg/ingester/: import pkg/ingester/index.ts (export it there if it is part of the package\'s API).' }],
    },
    {
      name: 'test helpers from production code',
      filename: at('pkg/querier/x.ts'),
      code: "import { a } from '../ingester/testing.js';",
      errors: [{ message: /pkg\/ingester\/testing\.ts is internal to pkg\/ingester\// }],
    },
    { name: 'pkg/testutil from production code', filename: at('pkg/querier/x.ts'), code: "import { a } from '../testutil/index.js';", errors: [{ message: 'pkg/testutil is for tests and benchmarks only.' }] },
    {
      name: 'pkg/ importing integration/',
      filename: at('pkg/querier/x.test.ts'),
      code: "import { a } from '../../integration/e2e/cluster.js';",
      errors: [{ message: 'pkg/ must not import integration/ (test helpers shared with it live in pkg/testutil).' }],
    },
    { name: 'a re-export of internals', filename: at('pkg/querier/x.ts'), code: "export { a } from '../ingester/ingester.js';", errors: 1 },
    { name: 'export * of internals', filename: at('pkg/querier/x.ts'), code: "export * from '../ingester/ingester.js';", errors: 1 },
    { name: 'a dynamic import of internals', filename: at('pkg/querier/x.ts'), code: "await import('../ingester/ingester.js');", errors: 1 },
  ],
});
