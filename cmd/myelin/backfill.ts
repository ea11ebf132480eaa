// `myelin backfill --tenant T --address URL DIR...`: uploads Prometheus blocks (block directories or
// data directories) to Myelin through the block upload API, with progress and a summary.
import { parseArgs } from 'node:util';
import { parseDuration } from '../../pkg/flagext/index.js';
import { backfill } from '../../pkg/compactor/client/index.js';

const usage = `usage: myelin backfill --tenant TENANT --address URL [--validation-timeout 10m] DIR...
Uploads the Prometheus blocks in each DIR (a block directory, or a data directory holding blocks)
to Myelin's block upload API at URL (the compactor, or the single-process binary) for TENANT.
Each block is checked locally first; a block that fails the check or that Myelin refuses is
reported with its reason and the others go on. Exit status 1 when any block was refused.`;

export async function backfillCommand(argv: readonly string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        tenant: { type: 'string' },
        address: { type: 'string' },
        'validation-timeout': { type: 'string', default: '10m' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    console.error(`${(err as Error).message}\n${usage}`);
    return 2;
  }
  const { values, positionals } = args;
  if (values.help === true) {
    console.log(usage);
    return 0;
  }
  const timeout = parseDuration(values['validation-timeout']);
  const missing = values.tenant === undefined ? '--tenant is required' : values.address === undefined ? '--address is required'
    : positionals.length === 0 ? 'no DIR given' : timeout === undefined ? `--validation-timeout: invalid duration ${values['validation-timeout']}` : undefined;
  if (missing !== undefined) {
    console.error(`${missing}\n${usage}`);
    return 2;
  }
  const summary = await backfill(positionals, {
    address: values.address as string, tenant: values.tenant as string, validationTimeout: timeout as number, pollInterval: 500,
  }, (line) => console.log(line));
  return summary.refused.size > 0 ? 1 : 0;
}
