import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';
import { expandEnv, parseArgs } from './args.js';
import { ConfigError, applyFlag, applyYaml, defaults, flagBindings, helpText } from './config.js';
import type { ConfigOf, Section } from './fields.js';

// Loaded on first use: only the thread that reads the config file needs a YAML parser.
const yaml = (): typeof Yaml => createRequire(import.meta.url)('yaml') as typeof Yaml;

export interface LoadOptions {
  env: NodeJS.ProcessEnv;
  readFile: (path: string) => string;
}

export type LoadResult<S extends Section> = { kind: 'config'; config: ConfigOf<S> } | { kind: 'help'; text: string };

/** Flags that steer loading itself rather than set an option. */
const loaderFlags = {
  'config.file': 'value',
  'config.expand-env': 'bool',
  help: 'bool',
  h: 'bool',
} as const;

/**
 * Builds the effective config, Cortex's precedence: defaults, then the YAML file named by
 * `-config.file` (with `${VAR}` expanded when `-config.expand-env` is set), then flags.
 * Throws a ConfigError naming the key path or flag on any problem.
 */
export function loadConfig<S extends Section>(spec: S, argv: readonly string[], opts: LoadOptions): LoadResult<S> {
  const bindings = flagBindings(spec);
  let parsed;
  try {
    parsed = parseArgs(argv, (name) =>
      name in loaderFlags ? loaderFlags[name as keyof typeof loaderFlags]
        : bindings.has(name) ? ((bindings.get(name)?.field.isBool ?? false) ? 'bool' : 'value') : undefined);
  } catch (err) {
    throw new ConfigError('command line', (err as Error).message);
  }
  const flag = (name: string) => parsed.filter((f) => f.name === name).at(-1)?.value;
  if (flag('help') === 'true' || flag('h') === 'true') {
    return { kind: 'help', text: `Usage of myelin:\n${loaderHelp}\n${helpText(bindings)}` };
  }
  const config = defaults(spec);
  const file = flag('config.file');
  if (file !== undefined && file !== '') {
    let text: string;
    try {
      text = opts.readFile(file);
    } catch (err) {
      throw new ConfigError(`-config.file=${file}`, `cannot read: ${(err as Error).message}`);
    }
    if (flag('config.expand-env') === 'true') text = expandEnv(text, opts.env);
    let doc: unknown;
    try {
      doc = yaml().parse(text, { uniqueKeys: true });
    } catch (err) {
      throw new ConfigError(file, `invalid YAML: ${(err as Error).message}`);
    }
    applyYaml(spec, config, doc);
  }
  for (const f of parsed) {
    const binding = bindings.get(f.name);
    if (binding !== undefined) applyFlag(config as Record<string, unknown>, binding, f.value, f.name);
  }
  return { kind: 'config', config };
}

const loaderHelp = [
  '  -config.file string',
  '    \tConfiguration file to load (YAML).',
  '  -config.expand-env',
  '    \tExpand ${VAR} and ${VAR:default} in the config file from the environment. (default "false")',
  '  -help',
  '    \tPrint this help and exit.',
].join('\n');
