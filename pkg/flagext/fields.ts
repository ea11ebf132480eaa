import { formatDuration, parseDuration } from './duration.js';
import { parseBytes } from './bytes.js';

export type Category = 'basic' | 'advanced' | 'experimental';

/** One config option: its flag, YAML key, default, help and how to read it. */
export interface Field<T> {
  readonly kind: 'field';
  /** Flag name without the leading dash, e.g. `server.http-listen-port`; undefined for YAML-only options. */
  readonly flag: string | undefined;
  /** YAML key when it is not the snake_case form of the property name. */
  readonly yaml: string | undefined;
  readonly defaultValue: T;
  readonly help: string;
  readonly category: Category;
  /** Masked in `GET /config` output. */
  readonly secret: boolean;
  /** Shown in `-help`, e.g. `duration`. */
  readonly typeName: string;
  /** True for options whose flag takes no value (`-auth.enabled` alone means true). */
  readonly isBool: boolean;
  /** Reads a YAML value or a flag string; throws a plain Error whose message says what is wrong. */
  parse(raw: unknown): T;
  /**
   * A startup warning for a value that is accepted but has no effect in Myelin (a Cortex option
   * for something Myelin does differently or does not have yet); undefined when it takes effect.
   */
  notice(value: T): string | undefined;
  /** The YAML form of a value. */
  format(value: T): unknown;
}

/** A group of options, possibly nested; one YAML mapping. */
export interface Section<F extends Fields = Fields> {
  readonly kind: 'section';
  readonly fields: F;
  /** YAML key when it is not the snake_case form of the property name. */
  readonly yaml: string | undefined;
}

export type Fields = { readonly [name: string]: Field<unknown> | Section };

/** The config object a section describes. */
export type ConfigOf<S> = S extends Section<infer F>
  ? { -readonly [K in keyof F]: ConfigOf<F[K]> }
  : S extends Field<infer T>
    ? T
    : never;

interface Options<T> {
  flag?: string;
  yaml?: string;
  default: T;
  help: string;
  category?: Category;
  secret?: boolean;
  /** See Field.notice. */
  notice?: (value: T) => string | undefined;
}

function field<T>(opts: Options<T>, typeName: string, parse: (raw: unknown) => T, format: (v: T) => unknown,
  isBool = false): Field<T> {
  return {
    kind: 'field', flag: opts.flag, yaml: opts.yaml, defaultValue: opts.default, help: opts.help,
    category: opts.category ?? 'basic', secret: opts.secret ?? false, typeName, isBool, parse, format,
    notice: opts.notice ?? (() => undefined),
  };
}

export function section<F extends Fields>(fields: F, opts: { yaml?: string } = {}): Section<F> {
  return { kind: 'section', fields, yaml: opts.yaml };
}

const describe = (raw: unknown) => (typeof raw === 'string' ? JSON.stringify(raw) : `${String(raw)} (${typeof raw})`);

export function string(opts: Options<string>): Field<string> {
  return field(opts, 'string', (raw) => {
    if (typeof raw === 'string') return raw;
    if (typeof raw === 'number' || typeof raw === 'boolean') return String(raw);
    throw new Error(`expected a string, got ${describe(raw)}`);
  }, (v) => (opts.secret === true && v !== '' ? '********' : v));
}

/**
 * One of a fixed set of strings. `refused` names values another system accepts here (Cortex's
 * backends Myelin does not have), each with the error that says what to use instead.
 */
export function oneOf<const T extends string>(values: readonly T[],
  opts: Options<NoInfer<T>> & { refused?: Readonly<Record<string, string>> }): Field<T> {
  return field(opts, values.join('|'), (raw) => {
    if (typeof raw === 'string' && (values as readonly string[]).includes(raw)) return raw as T;
    if (typeof raw === 'string' && opts.refused !== undefined && Object.hasOwn(opts.refused, raw)) throw new Error(opts.refused[raw]);
    throw new Error(`expected one of ${values.join(', ')}, got ${describe(raw)}`);
  }, (v) => v);
}

export function bool(opts: Options<boolean>): Field<boolean> {
  return field(opts, 'boolean', (raw) => {
    if (typeof raw === 'boolean') return raw;
    if (raw === 'true' || raw === '1') return true;
    if (raw === 'false' || raw === '0') return false;
    throw new Error(`expected true or false, got ${describe(raw)}`);
  }, (v) => v, true);
}

function number(opts: Options<number> & { min?: number; max?: number }, typeName: string, integer: boolean): Field<number> {
  return field(opts, typeName, (raw) => {
    const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
    if (Number.isNaN(n) || (integer && !Number.isInteger(n))) {
      throw new Error(`expected ${integer ? 'an integer' : 'a number'}, got ${describe(raw)}`);
    }
    if (opts.min !== undefined && n < opts.min) throw new Error(`must be at least ${opts.min}, got ${n}`);
    if (opts.max !== undefined && n > opts.max) throw new Error(`must be at most ${opts.max}, got ${n}`);
    return n;
  }, (v) => v);
}

export function int(opts: Options<number> & { min?: number; max?: number }): Field<number> {
  return number(opts, 'int', true);
}

export function float(opts: Options<number> & { min?: number }): Field<number> {
  return number(opts, 'float', false);
}

/** A duration, held in milliseconds; the default may be given as text (`'5s'`). */
export function duration(opts: Omit<Options<number>, 'default'> & { default: string | number }): Field<number> {
  const def = typeof opts.default === 'number' ? opts.default : parseDuration(opts.default);
  if (def === undefined) throw new Error(`BUG: bad default duration ${opts.default}`);
  return field({ ...opts, default: def }, 'duration', (raw) => {
    const ms = typeof raw === 'string' ? parseDuration(raw) : undefined;
    if (ms === undefined) throw new Error(`expected a duration like 1m30s, got ${describe(raw)}`);
    return ms;
  }, formatDuration);
}

/** A size in bytes; YAML and flags accept plain integers or units (`100MiB`). */
export function bytes(opts: Options<number>): Field<number> {
  return field(opts, 'bytes', (raw) => {
    const n = typeof raw === 'number' && Number.isInteger(raw) && raw >= 0 ? raw
      : typeof raw === 'string' ? parseBytes(raw) : undefined;
    if (n === undefined) throw new Error(`expected a size in bytes like 104857600 or 100MiB, got ${describe(raw)}`);
    return n;
  }, (v) => v);
}

/** A list of strings: a YAML sequence, or comma-separated in a flag. */
export function stringList(opts: Options<string[]>): Field<string[]> {
  return field(opts, 'list of strings', (raw) => {
    if (typeof raw === 'string') return raw === '' ? [] : raw.split(',').map((s) => s.trim());
    if (Array.isArray(raw) && raw.every((x) => typeof x === 'string')) return [...raw];
    throw new Error(`expected a list of strings, got ${describe(raw)}`);
  }, (v) => v);
}

/** An arbitrary YAML mapping kept as is (e.g. per-tenant override tables); YAML only. */
export function mapping<T extends object>(opts: Omit<Options<T>, 'flag'> & { validate?: (raw: object) => T }): Field<T> {
  return field(opts, 'mapping', (raw) => {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new Error(`expected a mapping, got ${describe(raw)}`);
    return opts.validate ? opts.validate(raw) : (raw as T);
  }, (v) => v);
}

/**
 * A whole YAML section Myelin accepts but does not act on (Cortex's sections for components Myelin
 * does not have yet): any mapping, kept as is, with one startup warning when it is present.
 */
export function unsupported(opts: { help: string; notice: string }): Field<Record<string, unknown>> {
  return mapping<Record<string, unknown>>({ default: {}, help: opts.help, notice: () => opts.notice });
}

/** A YAML section that is refused with `reason` whenever it is present (e.g. Cortex's `memberlist`). */
export function refusedSection(opts: { help: string; reason: string }): Field<Record<string, unknown>> {
  return mapping<Record<string, unknown>>({
    default: {},
    help: opts.help,
    validate: () => {
      throw new Error(opts.reason);
    },
  });
}
