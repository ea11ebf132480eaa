import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CorruptionError, Decbuf, Encbuf, FileWriter, verifyCRC32 } from '../encoding/index.js';

export const TOMBSTONES_FILENAME = 'tombstones';
const TOMBSTONES_MAGIC = 0x0130ba30;
const TOMBSTONES_VERSION = 1;

/**
 * Writes an empty tombstones file: `magic <4b> │ version(1) <1b> │ CRC32C <4b>`, the CRC taken over
 * the (here absent) entries after the version byte, as Prometheus does.
 */
export async function writeEmptyTombstones(dir: string): Promise<void> {
  const e = new Encbuf(16);
  e.putBE32(TOMBSTONES_MAGIC);
  e.putByte(TOMBSTONES_VERSION);
  e.putCRC32Since(e.length);
  const f = await FileWriter.create(join(dir, TOMBSTONES_FILENAME));
  await f.write(e.get());
  await f.close();
}

/**
 * Reads a block's tombstones and returns how many series have deletions. A missing file counts as
 * none (Prometheus writes one for every block, older tools did not).
 */
export async function countTombstones(dir: string): Promise<number> {
  const path = join(dir, TOMBSTONES_FILENAME);
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  if (buf.length < 9) throw new CorruptionError(`${path}: too short`);
  const d = new Decbuf(buf, path, 0, buf.length - 4);
  if (d.be32() !== TOMBSTONES_MAGIC) throw new CorruptionError(`${path}: bad magic`);
  if (d.byte() !== TOMBSTONES_VERSION) throw new CorruptionError(`${path}: unsupported version`);
  verifyCRC32(buf, 5, buf.length - 4, path);
  let series = 0;
  while (d.remaining > 0) {
    d.uvarint();
    const n = d.uvarint();
    for (let i = 0; i < n; i++) {
      d.varint();
      d.varint();
    }
    series++;
  }
  return series;
}
