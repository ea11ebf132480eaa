import { readFileSync } from 'node:fs';
import { Gauge } from 'prom-client';
import type { Registry } from 'prom-client';

/** The version from package.json, read once. */
export const version: string = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** `myelin_build_info`, as Prometheus' and Cortex's build_info gauges: 1 with the version in labels. */
export function registerBuildInfo(reg: Registry): void {
  const g = new Gauge({
    name: 'myelin_build_info',
    help: 'A metric with a constant \'1\' value labeled by version, revision, branch, and nodeversion from which myelin was built.',
    labelNames: ['version', 'revision', 'branch', 'nodeversion'],
    registers: [reg],
  });
  g.set({ version, revision: process.env.MYELIN_REVISION ?? 'unknown', branch: process.env.MYELIN_BRANCH ?? 'unknown', nodeversion: process.version }, 1);
}
