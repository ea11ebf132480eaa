// The myelin binary (dist/cmd/myelin/main.js) as a child process of a test.
import { fileURLToPath } from 'node:url';
import { TestProcess, type TestProcessOptions } from './process.js';

/** The compiled binary; tests run from dist/, beside it. */
export const myelinBinary = fileURLToPath(new URL('../../cmd/myelin/main.js', import.meta.url));

/**
 * Starts `node --enable-source-maps [...nodeArgs] main.js ...args`; the caller stops it (`stop()`),
 * by its PID.
 */
export function startMyelinBinary(args: readonly string[], opts: TestProcessOptions & { name?: string; nodeArgs?: readonly string[] } = {}): TestProcess {
  return new TestProcess(opts.name ?? 'myelin', process.execPath, ['--enable-source-maps', ...(opts.nodeArgs ?? []), myelinBinary, ...args], opts);
}
