import { randomFillSync } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'; // Crockford base32
const DECODE = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) {
  DECODE[ALPHABET.charCodeAt(i)] = i;
  DECODE[ALPHABET.toLowerCase().charCodeAt(i)] = i;
}

const MAX_TIME = 2 ** 48 - 1;

/**
 * Generates ULIDs (48-bit millisecond time + 80 random bits, 26 Crockford base32 characters) that
 * increase strictly within one generator: in the same millisecond, or if the clock steps back, the
 * previous random part is incremented instead of drawing a new one.
 */
export class UlidGenerator {
  readonly #now: () => number;
  readonly #random: (buf: Uint8Array) => void;
  #lastTime: number;
  readonly #lastRandom: Uint8Array;

  constructor(now: () => number = Date.now, random: (buf: Uint8Array) => void = (b) => randomFillSync(b)) {
    this.#now = now;
    this.#random = random;
    this.#lastTime = -1;
    this.#lastRandom = new Uint8Array(10);
  }

  next(): string {
    let t = this.#now();
    if (!Number.isInteger(t) || t < 0 || t > MAX_TIME) throw new Error(`ulid time ${t} out of range`);
    if (t <= this.#lastTime) {
      t = this.#lastTime;
      if (!increment(this.#lastRandom)) {
        // 2^80 ids in one millisecond: move to the next one.
        t++;
        this.#random(this.#lastRandom);
      }
    } else {
      this.#random(this.#lastRandom);
    }
    this.#lastTime = t;
    return encodeUlid(t, this.#lastRandom);
  }
}

function increment(b: Uint8Array): boolean {
  for (let i = b.length - 1; i >= 0; i--) {
    if (b[i] < 255) {
      b[i]++;
      return true;
    }
    b[i] = 0;
  }
  return false;
}

/** Encodes a time and 10 random bytes as a 26-character ULID. */
export function encodeUlid(time: number, random: Uint8Array): string {
  let out = '';
  // 48-bit time → 10 characters (the first carries 3 bits).
  let t = time;
  const timeChars: string[] = new Array(10);
  for (let i = 9; i >= 0; i--) {
    timeChars[i] = ALPHABET[t % 32];
    t = Math.floor(t / 32);
  }
  out = timeChars.join('');
  // 80 random bits → 16 characters, 5 bits each, most significant first.
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < 10; i++) {
    acc = (acc << 8) | random[i];
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(acc >>> bits) & 31];
    }
    acc &= (1 << bits) - 1;
  }
  return out;
}

/** The millisecond timestamp of a ULID; throws on malformed input. */
export function ulidTime(id: string): number {
  if (!isUlid(id)) throw new Error(`malformed ULID ${JSON.stringify(id)}`);
  let t = 0;
  for (let i = 0; i < 10; i++) t = t * 32 + DECODE[id.charCodeAt(i)];
  return t;
}

export function isUlid(id: string): boolean {
  if (id.length !== 26) return false;
  for (let i = 0; i < 26; i++) {
    const c = id.charCodeAt(i);
    if (c >= 128 || DECODE[c] < 0) return false;
  }
  return DECODE[id.charCodeAt(0)] <= 7;
}
