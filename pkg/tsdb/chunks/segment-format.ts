/**
 * Block chunk segment files (Prometheus tsdb/docs/format/chunks.md), `chunks/000001`, `000002`, …:
 *
 * ```
 * ┌──────────────────────────────┬────────────────────┬──────────────┐
 * │ magic(0x85BD40DD) <4 bytes>  │ version(1) <1 byte>│ padding <3>  │
 * ├──────────────────────────────┴────────────────────┴──────────────┤
 * │ chunk: len <uvarint> │ encoding <1 byte> │ data <len> │ CRC32C <4>│   (CRC over encoding + data)
 * │ ...                                                               │
 * └───────────────────────────────────────────────────────────────────┘
 * ```
 *
 * A chunk reference packs the segment's sequence number (0 for `000001`) in the upper 32 bits and
 * the byte offset of the chunk's length field in the lower 32.
 */
export const SEGMENT_MAGIC = 0x85bd40dd;
export const SEGMENT_VERSION = 1;
export const SEGMENT_HEADER_SIZE = 8;
/** Prometheus' default block segment size. */
export const DEFAULT_SEGMENT_SIZE = 512 * 1024 * 1024;

const TWO_32 = 0x100000000;

export function chunkRef(seq: number, offset: number): number {
  return seq * TWO_32 + offset;
}

export function chunkRefSeq(ref: number): number {
  return Math.floor(ref / TWO_32);
}

export function chunkRefOffset(ref: number): number {
  return ref % TWO_32;
}

/** File name of segment `seq` (0-based): `000001` for 0. */
export function segmentName(seq: number): string {
  return String(seq + 1).padStart(6, '0');
}
