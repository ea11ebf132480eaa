// Where the promqltest scripts are: shared/promql-testdata beside the repository, or
// $MYELIN_PROMQL_TESTDATA.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** The scripts live beside the repository (../shared/promql-testdata) or where the env var says. */
export function testdataDir(): string {
  const env = process.env.MYELIN_PROMQL_TESTDATA;
  if (env !== undefined && env !== '') return env;
  for (let dir = resolve(here); dir !== dirname(dir); dir = dirname(dir)) {
    for (const candidate of [join(dir, 'shared', 'promql-testdata'), join(dir, '..', 'shared', 'promql-testdata')]) {
      if (existsSync(candidate)) return candidate;
    }
  }
  throw new Error('promql-testdata not found: set MYELIN_PROMQL_TESTDATA');
}

