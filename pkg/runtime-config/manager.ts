import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { ConfigError, toYamlObject } from '../flagext/index.js';
import { limitsConfig, resolveOverrides } from '../limits/index.js';
import type { Limits, TenantOverrides } from '../limits/index.js';
import type { Logger } from '../log/index.js';
import { idleService, timerService } from '../services/index.js';
import type { Service } from '../services/index.js';
import type { RuntimeConfigConfig } from './config.js';

/** Runtime switch of the `multi` KV store (Cortex's `multi_kv_config`). */
export interface MultiKvRuntime {
  primary: string | undefined;
  mirrorEnabled: boolean | undefined;
}

/** What the runtime config file currently says, parsed and validated. */
export interface RuntimeValues {
  overrides: TenantOverrides;
  multiKv: MultiKvRuntime | undefined;
}

const emptyValues: RuntimeValues = { overrides: new Map(), multiKv: undefined };

/** Parses a runtime config file. Throws a ConfigError naming the key's path. */
export function parseRuntimeConfig(text: string, defaults: Limits): RuntimeValues {
  let doc: unknown;
  try {
    doc = parseYaml(text, { uniqueKeys: true });
  } catch (err) {
    throw new ConfigError('(runtime config)', `invalid YAML: ${(err as Error).message}`);
  }
  if (doc === null || doc === undefined) return emptyValues;
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError('(runtime config)', 'expected a mapping');
  let multiKv: MultiKvRuntime | undefined;
  let overrides: TenantOverrides = new Map();
  for (const [key, value] of Object.entries(doc)) {
    if (key === 'overrides') overrides = resolveOverrides(defaults, value);
    else if (key === 'multi_kv_config') multiKv = parseMultiKv(value);
    else throw new ConfigError(key, 'unknown key');
  }
  return { overrides, multiKv };
}

function parseMultiKv(raw: unknown): MultiKvRuntime {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError('multi_kv_config', 'expected a mapping');
  const out: MultiKvRuntime = { primary: undefined, mirrorEnabled: undefined };
  for (const [key, value] of Object.entries(raw)) {
    if (key === 'primary' && typeof value === 'string') out.primary = value;
    else if (key === 'mirror_enabled' && typeof value === 'boolean') out.mirrorEnabled = value;
    else if (key === 'primary' || key === 'mirror_enabled') throw new ConfigError(`multi_kv_config.${key}`, `bad value ${JSON.stringify(value)}`);
    else throw new ConfigError(`multi_kv_config.${key}`, 'unknown key');
  }
  return out;
}

export interface RuntimeConfigDeps {
  limitsDefaults: Limits;
  logger: Logger;
  registry: Registry;
  read?: (path: string) => Promise<string>;
}

/**
 * Loads the runtime config file at start (a broken file then fails startup) and reloads it every
 * period; a broken file on reload keeps the last good values, is logged and counted.
 */
export class RuntimeConfigManager {
  readonly #cfg: RuntimeConfigConfig;
  readonly #deps: RuntimeConfigDeps;
  readonly #read: (path: string) => Promise<string>;
  #values: RuntimeValues = emptyValues;
  #hash = '';
  readonly #listeners: ((v: RuntimeValues) => void)[] = [];
  readonly #lastReloadOk: Gauge;
  readonly #reloads: Counter<'result'>;
  readonly #hashGauge: Gauge<'sha256'>;

  constructor(cfg: RuntimeConfigConfig, deps: RuntimeConfigDeps) {
    this.#cfg = cfg;
    this.#deps = deps;
    this.#read = deps.read ?? ((p) => readFile(p, 'utf8'));
    this.#lastReloadOk = new Gauge({ name: 'myelin_runtime_config_last_reload_successful', help: 'Whether the last runtime config reload attempt was successful.', registers: [deps.registry] });
    this.#reloads = new Counter({ name: 'myelin_runtime_config_reloads_total', help: 'Runtime config reload attempts by result.', labelNames: ['result'], registers: [deps.registry] });
    this.#hashGauge = new Gauge({ name: 'myelin_runtime_config_hash', help: 'Hash of the currently active runtime config file.', labelNames: ['sha256'], registers: [deps.registry] });
  }

  current(): RuntimeValues {
    return this.#values;
  }

  /** Calls `fn` after every reload that changed the values. */
  onChange(fn: (v: RuntimeValues) => void): void {
    this.#listeners.push(fn);
  }

  /** The active runtime config as YAML (`GET /runtime_config`); `diff` leaves out limits at their default. */
  yaml(mode: 'all' | 'diff'): string {
    const overrides: Record<string, unknown> = {};
    for (const [tenant, limits] of this.#values.overrides) {
      overrides[tenant] = mode === 'diff' ? diffLimits(limits, this.#deps.limitsDefaults) : toYamlObject(limitsConfig, limits);
    }
    const doc: Record<string, unknown> = { overrides };
    if (this.#values.multiKv !== undefined) {
      doc.multi_kv_config = { primary: this.#values.multiKv.primary, mirror_enabled: this.#values.multiKv.mirrorEnabled };
    }
    return stringifyYaml(doc);
  }

  service(): Service {
    if (this.#cfg.file === '') return idleService('runtime-config', {});
    return timerService('runtime-config', this.#cfg.period, async () => {
      try {
        await this.reload();
      } catch (err) {
        this.#deps.logger.error({ err, file: this.#cfg.file }, 'runtime config reload failed, keeping the last good config');
      }
    }, { starting: () => this.reload() });
  }

  /** Reads and applies the file now. Throws (and keeps the old values) when it is broken. */
  async reload(): Promise<void> {
    try {
      const text = await this.#read(this.#cfg.file);
      const hash = createHash('sha256').update(text).digest('hex');
      if (hash !== this.#hash) {
        this.#values = parseRuntimeConfig(text, this.#deps.limitsDefaults);
        this.#hashGauge.reset();
        this.#hashGauge.set({ sha256: hash }, 1);
        this.#hash = hash;
        for (const fn of this.#listeners) fn(this.#values);
      }
      this.#lastReloadOk.set(1);
      this.#reloads.inc({ result: 'success' });
    } catch (err) {
      this.#lastReloadOk.set(0);
      this.#reloads.inc({ result: 'failure' });
      throw new Error(`load runtime config ${this.#cfg.file}`, { cause: err });
    }
  }
}

function diffLimits(limits: Limits, defaults: Limits): Record<string, unknown> {
  const all = toYamlObject(limitsConfig, limits);
  const base = toYamlObject(limitsConfig, defaults);
  return Object.fromEntries(Object.entries(all).filter(([k, v]) => JSON.stringify(v) !== JSON.stringify(base[k])));
}
