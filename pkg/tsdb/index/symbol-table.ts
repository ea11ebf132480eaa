import { CorruptionError, Decbuf, readBE32Section, type RangeReader } from '../encoding/index.js';

const textDecoder = new TextDecoder();

/**
 * The symbol table kept as its raw bytes plus one offset per symbol; strings are decoded on first
 * use and then remembered. This is the index-header part every query needs (as Thanos keeps it).
 */
export class SymbolTable {
  readonly #buf: Uint8Array;
  readonly #at: Uint32Array;
  readonly #decoded: (string | undefined)[];

  private constructor(buf: Uint8Array, at: Uint32Array) {
    this.#buf = buf;
    this.#at = at;
    this.#decoded = new Array(at.length);
  }

  static async load(f: RangeReader, offset: number): Promise<SymbolTable> {
    const d = await readBE32Section(f, offset, `${f.path}: symbol table`);
    const n = d.be32();
    const at = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      at[i] = d.pos;
      d.skip(d.uvarint());
    }
    return new SymbolTable(d.buf, at);
  }

  get length(): number {
    return this.#at.length;
  }

  lookup(ref: number): string {
    const s = this.#decoded[ref];
    if (s !== undefined) return s;
    if (ref >= this.#at.length) throw new CorruptionError(`symbol ${ref} out of range (${this.#at.length} symbols)`);
    const d = new Decbuf(this.#buf, 'symbol table', this.#at[ref]);
    const n = d.uvarint();
    const str = textDecoder.decode(this.#buf.subarray(d.pos, d.pos + n));
    this.#decoded[ref] = str;
    return str;
  }
}
