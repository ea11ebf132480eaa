import { compareUtf8, isValidLabelName, isValidMetricName } from './validate.js';

/**
 * An immutable label set, sorted by name, each name at most once.
 *
 * Stored flat (`[name0, value0, name1, value1, ...]`) so that one series costs one array, and keyed
 * by one canonical string (`key`) so that maps can index series without hashing objects.
 */
export class Labels {
  static readonly EMPTY = new Labels([]);

  /** Flat name/value pairs in name order. Never mutate. */
  readonly #pairs: readonly string[];
  #key: string | undefined;

  private constructor(pairs: readonly string[]) {
    this.#pairs = pairs;
    this.#key = undefined;
  }

  /** From flat pairs that are already sorted by name and free of duplicates (trusted callers only). */
  static fromSortedPairs(pairs: readonly string[]): Labels {
    return pairs.length === 0 ? Labels.EMPTY : new Labels(pairs);
  }

  /** From flat pairs in any order; later duplicates win. Empty values are dropped (Prometheus semantics). */
  static fromPairs(pairs: readonly string[]): Labels {
    // Fast path: senders such as Prometheus' remote write already sort labels and drop empty ones.
    if (pairs.length % 2 === 0 && isCanonical(pairs)) return Labels.fromSortedPairs(pairs.slice());
    const b = new LabelsBuilder(Labels.EMPTY);
    for (let i = 0; i + 1 < pairs.length; i += 2) b.set(pairs[i], pairs[i + 1]);
    return b.labels();
  }

  static fromRecord(rec: Readonly<Record<string, string>>): Labels {
    const b = new LabelsBuilder(Labels.EMPTY);
    for (const name of Object.keys(rec)) b.set(name, rec[name]);
    return b.labels();
  }

  /** Number of labels. */
  get length(): number {
    return this.#pairs.length >> 1;
  }

  nameAt(i: number): string {
    return this.#pairs[i << 1];
  }

  valueAt(i: number): string {
    return this.#pairs[(i << 1) + 1];
  }

  /** The flat pairs; a view, never mutate. */
  pairs(): readonly string[] {
    return this.#pairs;
  }

  /** The value of `name`, or '' when absent (as Prometheus' Labels.Get). */
  get(name: string): string {
    const p = this.#pairs;
    for (let i = 0; i < p.length; i += 2) {
      const c = p[i];
      if (c === name) return p[i + 1];
      if (c > name) break;
    }
    return '';
  }

  has(name: string): boolean {
    const p = this.#pairs;
    for (let i = 0; i < p.length; i += 2) {
      if (p[i] === name) return true;
      if (p[i] > name) break;
    }
    return false;
  }

  isEmpty(): boolean {
    return this.#pairs.length === 0;
  }

  /**
   * Replaces every name and value by the equal string `canonical` returns for it (an interner's),
   * in place. The label set does not change: equal strings cannot be told apart in JavaScript, only
   * their memory becomes shared. Lets the head keep a new series' labels without copying them.
   */
  internStrings(canonical: (s: string) => string): void {
    const p = this.#pairs as string[];
    for (let i = 0; i < p.length; i++) p[i] = canonical(p[i]);
  }

  /** Calls `fn` for every label in name order. */
  forEach(fn: (name: string, value: string) => void): void {
    const p = this.#pairs;
    for (let i = 0; i < p.length; i += 2) fn(p[i], p[i + 1]);
  }

  /**
   * A canonical string identifying this label set; equal sets have equal keys. Names and values are
   * separated by bytes that cannot appear in valid UTF-8 label text (0xff is not a UTF-16 unit we emit
   * in names, and '\u0000' separates pairs), so distinct sets never collide.
   */
  get key(): string {
    if (this.#key === undefined) this.#key = this.#pairs.join('\u0000');
    return this.#key;
  }

  equals(other: Labels): boolean {
    if (this === other) return true;
    const a = this.#pairs;
    const b = other.#pairs;
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }

  /**
   * Orders label sets as Prometheus' labels.Compare: pairwise by name, then value, then length, with
   * strings compared by UTF-8 bytes as Go does (the order of series in blocks and postings).
   */
  static compare(a: Labels, b: Labels): number {
    const x = a.#pairs;
    const y = b.#pairs;
    const n = Math.min(x.length, y.length);
    for (let i = 0; i < n; i++) {
      if (x[i] !== y[i]) return compareUtf8(x[i], y[i]);
    }
    return x.length - y.length;
  }

  /** The labels named in `names` only (PromQL `on`/`by`). */
  keep(names: ReadonlySet<string>): Labels {
    const out: string[] = [];
    const p = this.#pairs;
    for (let i = 0; i < p.length; i += 2) if (names.has(p[i])) out.push(p[i], p[i + 1]);
    return Labels.fromSortedPairs(out);
  }

  /** All labels except those named in `names` (PromQL `ignoring`/`without`). */
  drop(names: ReadonlySet<string>): Labels {
    const out: string[] = [];
    const p = this.#pairs;
    for (let i = 0; i < p.length; i += 2) if (!names.has(p[i])) out.push(p[i], p[i + 1]);
    return out.length === p.length ? this : Labels.fromSortedPairs(out);
  }

  toRecord(): Record<string, string> {
    const rec: Record<string, string> = {};
    this.forEach((n, v) => (rec[n] = v));
    return rec;
  }

  /**
   * Prometheus text form: `name{a="b", c="d"}`, `{a="b"}` without a metric name. Values are quoted
   * like Go's strconv.Quote; names that are not legacy-valid (Prometheus 3 UTF-8 names) are quoted,
   * and such a metric name moves inside the braces: `{"my.metric", a="b"}`.
   */
  toString(): string {
    const name = this.get('__name__');
    const parts: string[] = [];
    const legacyName = name === '' || isValidMetricName(name);
    if (!legacyName) parts.push(quoteLabelValue(name));
    this.forEach((n, v) => {
      if (n !== '__name__') parts.push(`${isValidLabelName(n) ? n : quoteLabelValue(n)}=${quoteLabelValue(v)}`);
    });
    if (!legacyName) return `{${parts.join(', ')}}`;
    if (name !== '' && parts.length === 0) return name;
    return `${name}{${parts.join(', ')}}`;
  }
}

const GoEscapes: Record<string, string> = {
  '\\': '\\\\',
  '"': '\\"',
  '\x07': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
};

/** Names strictly ascending in UTF-8 byte order and no empty value: already what fromPairs builds. */
function isCanonical(pairs: readonly string[]): boolean {
  for (let i = 0; i < pairs.length; i += 2) {
    if (pairs[i + 1] === '') return false;
    if (i > 0 && compareUtf8(pairs[i - 2], pairs[i]) >= 0) return false;
  }
  return true;
}

/** Go-style double-quoted string (strconv.Quote for printable text), as Prometheus prints label values. */
export function quoteLabelValue(v: string): string {
  let out = '"';
  for (const ch of v) {
    const esc = GoEscapes[ch];
    if (esc !== undefined) {
      out += esc;
      continue;
    }
    const c = ch.codePointAt(0) as number;
    if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else if (c >= 0xd800 && c <= 0xdfff) out += '\\ufffd';
    else out += ch;
  }
  return out + '"';
}

/** Builds a label set from a base with sets and deletes, as Prometheus' labels.Builder. */
export class LabelsBuilder {
  #base: Labels;
  #set = new Map<string, string>();

  constructor(base: Labels) {
    this.#base = base;
  }

  reset(base: Labels): this {
    this.#base = base;
    this.#set.clear();
    return this;
  }

  /** Sets `name` to `value`; an empty value deletes the label. */
  set(name: string, value: string): this {
    this.#set.set(name, value);
    return this;
  }

  del(name: string): this {
    this.#set.set(name, '');
    return this;
  }

  get(name: string): string {
    const v = this.#set.get(name);
    return v !== undefined ? v : this.#base.get(name);
  }

  labels(): Labels {
    if (this.#set.size === 0) return this.#base;
    const merged = new Map<string, string>();
    this.#base.forEach((n, v) => merged.set(n, v));
    for (const [n, v] of this.#set) merged.set(n, v);
    const names = [...merged.keys()].filter((n) => merged.get(n) !== '').sort(compareStrings);
    const out: string[] = new Array(names.length * 2);
    for (let i = 0; i < names.length; i++) {
      out[2 * i] = names[i];
      out[2 * i + 1] = merged.get(names[i]) as string;
    }
    return Labels.fromSortedPairs(out);
  }
}

/** Byte-order (UTF-8) comparison of label names and values, as Go compares strings. */
export function compareStrings(a: string, b: string): number {
  return compareUtf8(a, b);
}

export const MetricName = '__name__';
