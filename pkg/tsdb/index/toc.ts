import type { Encbuf} from '../encoding/index.js';
import { CorruptionError, Decbuf, verifyCRC32 } from '../encoding/index.js';
import { TOC_SIZE } from './format.js';

/** Offsets of the index sections, stored in the last 52 bytes of the file. */
export interface TOC {
  symbols: number;
  series: number;
  labelIndices: number;
  labelIndicesTable: number;
  postings: number;
  postingsTable: number;
}

export function encodeTOC(toc: TOC, e: Encbuf): void {
  const from = e.length;
  e.putBE64(toc.symbols);
  e.putBE64(toc.series);
  e.putBE64(toc.labelIndices);
  e.putBE64(toc.labelIndicesTable);
  e.putBE64(toc.postings);
  e.putBE64(toc.postingsTable);
  e.putCRC32Since(from);
}

/** Decodes the TOC from the last TOC_SIZE bytes of an index file. */
export function decodeTOC(tail: Uint8Array, path: string): TOC {
  if (tail.length !== TOC_SIZE) throw new CorruptionError(`${path}: index too small for a TOC`);
  verifyCRC32(tail, 0, TOC_SIZE - 4, `${path}: TOC`);
  const d = new Decbuf(tail, `${path}: TOC`);
  return {
    symbols: d.be64(),
    series: d.be64(),
    labelIndices: d.be64(),
    labelIndicesTable: d.be64(),
    postings: d.be64(),
    postingsTable: d.be64(),
  };
}
