import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';
import { renameYamlAliases } from './aliases.js';
import type { Aliases } from './aliases.js';
import { expandEnv, parseArgs } from './args.js';
import { ConfigError, applyFlag, applyYaml, defaults, flagBindings, helpText } from './config.js';
import type { ConfigOf, Section } from './fields.js';
import { didYouMean } from './suggest.js';

// Loaded on first use: only the thread that reads the config file needs a YAML parser.
const yaml = (): typeof Yaml => createRequire(import.meta.url)('yaml') as typeof Yaml;

export interface LoadOptions {
  env: NodeJS.ProcessEnv;
  readFile: (path: string) => string;
  /** Former YAML paths and flags that still work. */
  aliases?: Aliases;
  /** The common flags `-help` lists; every other one is advanced (see flagCategory). */
  basicFlags?: ReadonlySet<string>;
}

export type LoadResult<S extends Section> =
  | { kind: 'config'; config: ConfigOf<S>; warnings: string[] }
  | { kind: 'help'; text: string };

/** Flags that steer loading itself rather than set an option. */
const loaderFlags = {
  'config.file': 'value',
  'config.expand-env': 'bool',
  help: 'bool',
  h: 'bool',
  'help-all': 'bool',
} as const;

/**
 * Builds the effective config, Cortex's precedence: defaults, then the YAML file named by
 * `-config.file` (with `${VAR}` expanded when `-config.expand-env` is set), then flags.
 * Throws a ConfigError naming the key path or flag on any problem. `warnings` lists the options
 * that were accepted but have no effect, one line each.
 */
export function loadConfig<S extends Section>(spec: S, argv: readonly string[], opts: LoadOptions): LoadResult<S> {
  const bindings = flagBindings(spec);
  const flagAliases = opts.aliases?.flags ?? {};
  const canonical = (name: string) => flagAliases[name] ?? name;
  let parsed;
  try {
    parsed = parseArgs(argv, (name) => {
      const n = canonical(name);
      return n in loaderFlags ? loaderFlags[n as keyof typeof loaderFlags]
        : bindings.has(n) ? ((bindings.get(n)?.field.isBool ?? false) ? 'bool' : 'value') : undefined;
    }, (name) => didYouMean(name, [...Object.keys(loaderFlags), ...bindings.keys()], (s) => `-${s}`));
  } catch (err) {
    throw new ConfigError('command line', (err as Error).message);
  }
  const flag = (name: string) => parsed.filter((f) => f.name === name).at(-1)?.value;
  if (flag('help-all') === 'true') return { kind: 'help', text: `Usage of myelin:\n${loaderHelp}\n${helpText(bindings, { all: true, basicFlags: opts.basicFlags })}` };
  if (flag('help') === 'true' || flag('h') === 'true') {
    return { kind: 'help', text: `Usage of myelin:\n${loaderHelp}\n${helpText(bindings, { all: false, basicFlags: opts.basicFlags })}` };
  }
  const config = defaults(spec);
  const warnings: string[] = [];
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
      // merge: Cortex's examples share settings with YAML anchors and `<<:` merge keys.
      doc = yaml().parse(text, { uniqueKeys: true, merge: true });
    } catch (err) {
      throw new ConfigError(file, `invalid YAML: ${(err as Error).message}`);
    }
    if (opts.aliases !== undefined) renameYamlAliases(doc, opts.aliases.yaml);
    applyYaml(spec, config, doc, '', warnings);
  }
  for (const f of parsed) {
    const binding = bindings.get(canonical(f.name));
    if (binding !== undefined) applyFlag(config as Record<string, unknown>, binding, f.value, f.name, warnings);
  }
  return { kind: 'config', config, warnings };
}

const loaderHelp = [
  '  -config.file string',
  '    \tConfiguration file to load (YAML).',
  '  -config.expand-env',
  '    \tExpand ${VAR} and ${VAR:default} in the config file from the environment. (default "false")',
  '  -help',
  '    \tPrint the basic options and exit.',
  '  -help-all',
  '    \tPrint every option, advanced and experimental ones too, and exit.',
].join('\n');
