import { ConfigError } from './config.js';

/**
 * Former names that still work: YAML paths (`store_gateway.lifecycler.id`) and flags, each mapped
 * to the current name. They are applied before the config is read, so the rest of the loader only
 * knows current names; giving both an alias and its target is an error.
 */
export interface Aliases {
  readonly yaml: Readonly<Record<string, string>>;
  readonly flags: Readonly<Record<string, string>>;
}

type Mapping = Record<string, unknown>;
const isMapping = (v: unknown): v is Mapping => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Moves every aliased YAML path of `doc` to its current path, in place. */
export function renameYamlAliases(doc: unknown, aliases: Aliases['yaml']): void {
  if (!isMapping(doc)) return;
  for (const [from, to] of Object.entries(aliases)) {
    const fromPath = from.split('.');
    const parents: unknown[] = [doc];
    for (const k of fromPath.slice(0, -1)) {
      const p = parents[parents.length - 1];
      parents.push(isMapping(p) ? p[k] : undefined);
    }
    const parent = parents[parents.length - 1];
    const last = fromPath[fromPath.length - 1];
    if (!isMapping(parent) || !(last in parent)) continue;
    const value = parent[last];
    delete parent[last];
    // A former section left empty goes too, so it is not reported as an unknown key.
    for (let i = parents.length - 1; i > 0 && Object.keys(parents[i] as Mapping).length === 0; i--) {
      delete (parents[i - 1] as Mapping)[fromPath[i - 1]];
    }
    const toPath = to.split('.');
    let target: Mapping = doc;
    for (const k of toPath.slice(0, -1)) {
      if (target[k] === undefined || target[k] === null) target[k] = {};
      const next = target[k];
      if (!isMapping(next)) return; // the current path holds a non-mapping: applyYaml reports it
      target = next;
    }
    const toLast = toPath[toPath.length - 1];
    if (toLast in target) throw new ConfigError(from, `is a former name of ${to}; set only one of them`);
    target[toLast] = value;
  }
}
