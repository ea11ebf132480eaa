import { isDeepStrictEqual } from 'node:util';
import type { Category, ConfigOf, Field, Section } from './fields.js';
import { didYouMean } from './suggest.js';

/** A config problem at startup, naming the key's path (`ingester.lifecycler.join_after`) or flag. */
export class ConfigError extends Error {
  readonly path: string;
  constructor(path: string, reason: string, opts?: { cause?: unknown }) {
    super(`${path}: ${reason}`, opts);
    this.name = 'ConfigError';
    this.path = path;
  }
}

/** `httpListenPort` → `http_listen_port`. */
export function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

const yamlKey = (name: string, spec: Field<unknown> | Section) => spec.yaml ?? snakeCase(name);

type AnyConfig = Record<string, unknown>;

/** A fresh config holding every default. */
export function defaults<S extends Section>(spec: S): ConfigOf<S> {
  const out: AnyConfig = {};
  for (const [name, f] of Object.entries(spec.fields)) {
    out[name] = f.kind === 'section' ? defaults(f) : structuredClone(f.defaultValue);
  }
  // Dozens of properties added by computed key leave `out` a dictionary-mode object, whose every
  // read is a hash lookup; hot paths read limits per series. A structured clone is built with
  // fast properties (one shape, inline-cached reads), and later config layers only overwrite keys.
  return structuredClone(out) as ConfigOf<S>;
}

/**
 * Overlays a parsed YAML document onto `cfg`. Unknown keys and bad values throw a ConfigError naming
 * the key's path (with the nearest valid key when there is a close one); accepted values that have
 * no effect add a line to `warnings`.
 */
export function applyYaml<S extends Section>(spec: S, cfg: ConfigOf<S>, doc: unknown, path = '', warnings: string[] = []): void {
  if (doc === null || doc === undefined) return;
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ConfigError(path || '(top level)', `expected a mapping, got ${Array.isArray(doc) ? 'a list' : typeof doc}`);
  }
  const byKey = new Map(Object.entries(spec.fields).map(([name, f]) => [yamlKey(name, f), name]));
  const target = cfg as AnyConfig;
  for (const [key, value] of Object.entries(doc)) {
    const keyPath = path === '' ? key : `${path}.${key}`;
    const name = byKey.get(key);
    if (name === undefined) throw new ConfigError(keyPath, `unknown key${didYouMean(key, byKey.keys())}`);
    const f = spec.fields[name];
    if (f.kind === 'section') {
      applyYaml(f, target[name] as ConfigOf<typeof f>, value, keyPath, warnings);
      continue;
    }
    try {
      target[name] = f.parse(value);
    } catch (err) {
      throw new ConfigError(keyPath, (err as Error).message);
    }
    const notice = f.notice(target[name]);
    if (notice !== undefined) warnings.push(`${keyPath}: ${notice}`);
  }
}

export interface FlagBinding {
  field: Field<unknown>;
  /** Property names from the root to the field. */
  names: readonly string[];
  /** Dotted YAML path, for messages and docs. */
  yamlPath: string;
}

/** Every flag of a config tree by name. Throws if two options claim one flag (a BUG). */
export function flagBindings(spec: Section): Map<string, FlagBinding> {
  const out = new Map<string, FlagBinding>();
  const walk = (s: Section, names: string[], yamlPath: string[]) => {
    for (const [name, f] of Object.entries(s.fields)) {
      const ys = [...yamlPath, yamlKey(name, f)];
      if (f.kind === 'section') {
        walk(f, [...names, name], ys);
      } else if (f.flag !== undefined) {
        if (out.has(f.flag)) throw new Error(`BUG: flag -${f.flag} registered twice`);
        out.set(f.flag, { field: f, names: [...names, name], yamlPath: ys.join('.') });
      }
    }
  };
  walk(spec, [], []);
  return out;
}

/** Sets one option from its flag's text value; an accepted value without effect adds to `warnings`. */
export function applyFlag(cfg: AnyConfig, binding: FlagBinding, value: string, flagName: string, warnings: string[] = []): void {
  let target = cfg;
  for (const n of binding.names.slice(0, -1)) target = target[n] as AnyConfig;
  const last = binding.names[binding.names.length - 1];
  try {
    target[last] = binding.field.parse(value);
  } catch (err) {
    throw new ConfigError(`flag -${flagName}`, (err as Error).message);
  }
  const notice = binding.field.notice(target[last]);
  if (notice !== undefined) warnings.push(`-${flagName}: ${notice}`);
}

/**
 * The config as a plain object keyed by YAML names, ready for YAML output. Secrets are masked;
 * with `diffOnly`, options equal to their default are left out (and empty sections with them).
 */
export function toYamlObject<S extends Section>(spec: S, cfg: ConfigOf<S>, opts: { diffOnly?: boolean } = {}): AnyConfig {
  const out: AnyConfig = {};
  const source = cfg as AnyConfig;
  for (const [name, f] of Object.entries(spec.fields)) {
    const key = yamlKey(name, f);
    if (f.kind === 'section') {
      const sub = toYamlObject(f, source[name] as ConfigOf<typeof f>, opts);
      if (!opts.diffOnly || Object.keys(sub).length > 0) out[key] = sub;
      continue;
    }
    if (opts.diffOnly && isDeepStrictEqual(source[name], f.defaultValue)) continue;
    out[key] = f.format(source[name]);
  }
  return out;
}

/**
 * The category a flag is shown under. A table marks what is advanced or experimental where the
 * option is defined; `basicFlags`, when given, is the short list of common flags the binary's
 * `-help` shows, and every other flag counts as advanced (Mimir's fieldcategory overrides, kept
 * in one place instead of on each of hundreds of fields).
 */
export function flagCategory(name: string, field: { category: Category }, basicFlags: ReadonlySet<string> | undefined): Category {
  if (field.category !== 'basic' || basicFlags === undefined) return field.category;
  return basicFlags.has(name) ? 'basic' : 'advanced';
}

/**
 * `-help` text, Cortex's split: the basic options (or, with `all`, every option) grouped under the
 * top-level YAML section they belong to, each with its type, description and default.
 */
export function helpText(bindings: Map<string, FlagBinding>, opts: { all: boolean; basicFlags?: ReadonlySet<string> }): string {
  const groups = new Map<string, string[]>();
  const sorted = [...bindings].sort(([a], [b]) => a.localeCompare(b));
  for (const [name, { field, yamlPath }] of sorted) {
    const category = flagCategory(name, field, opts.basicFlags);
    if (!opts.all && category !== 'basic') continue;
    const group = yamlPath.includes('.') ? yamlPath.slice(0, yamlPath.indexOf('.')) : 'general';
    const def = field.format(field.defaultValue);
    const shown = Array.isArray(def) ? def.join(',') : String(def);
    const tag = category === 'basic' ? '' : ` [${category}]`;
    const lines = groups.get(group) ?? [];
    lines.push(`  -${name} ${field.isBool ? '' : field.typeName}`.trimEnd());
    lines.push(`    \t${field.help}${tag} (default ${JSON.stringify(shown)})`);
    groups.set(group, lines);
  }
  const out: string[] = [];
  for (const [group, lines] of [...groups].sort(([a], [b]) => (a === 'general' ? -1 : b === 'general' ? 1 : a.localeCompare(b)))) {
    out.push('', `${group}:`, ...lines);
  }
  if (!opts.all) out.push('', 'Advanced and experimental options are left out: -help-all lists every option.');
  return out.join('\n');
}
