/**
 * Index file format v2 (Prometheus tsdb/docs/format/index.md), as written by index-writer.ts:
 *
 * ```
 * ┌────────────────────────────┬─────────────────────┐
 * │ magic(0xBAAAD700) <4b>     │ version(2) <1 byte> │
 * ├────────────────────────────┴─────────────────────┤
 * │ symbol table     len <4b> │ #symbols <4b> │ str <uvarint len + bytes> … │ CRC32C │
 * │ series           one entry per series, each aligned to 16 bytes; its ref is offset/16:
 * │                  len <uvarint> │ #labels │ (name sym, value sym) … │ #chunks │ chunk metas │ CRC32C
 * │ label indices    per name, 4-aligned: len <4b> │ 1 <4b> │ #values <4b> │ value sym <4b> … │ CRC32C
 * │ postings         per (name, value), 4-aligned: len <4b> │ #refs <4b> │ series ref <4b> … │ CRC32C
 * │ label offset t.  len <4b> │ #entries <4b> │ (1, name, offset <uvarint>) … │ CRC32C
 * │ postings off. t. len <4b> │ #entries <4b> │ (2, name, value, offset <uvarint>) … │ CRC32C
 * │ TOC              six offsets <8b each> (symbols, series, label indices, label offset table,
 * │                  postings, postings offset table) │ CRC32C
 * └──────────────────────────────────────────────────┘
 * ```
 *
 * Symbol references are positions in the sorted symbol table. The first chunk meta of a series is
 * `mint <varint>, maxt-mint <uvarint>, ref <uvarint>`; later ones are `mint-prev.maxt <uvarint>,
 * maxt-mint <uvarint>, ref-prev.ref <varint>`. Every length excludes its CRC, which covers the bytes
 * after the length field. Postings of the empty pair ("", "") list every series.
 */
export const INDEX_MAGIC = 0xbaaad700;
export const INDEX_VERSION_1 = 1;
export const INDEX_VERSION_2 = 2;
export const INDEX_HEADER_SIZE = 5;
export const TOC_SIZE = 6 * 8 + 4;
export const SERIES_ALIGN = 16;
/** The postings list of every series lives under this (name, value). */
export const ALL_POSTINGS_NAME = '';
export const ALL_POSTINGS_VALUE = '';
