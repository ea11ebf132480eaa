export { crc32c } from './crc32c.js';
export { CorruptionError, Decbuf, verifyCRC32 } from './decbuf.js';
export { readBE32Section, uvarintRecordAt } from './checksummed.js';
export { Encbuf } from './encbuf.js';
export { FileReader } from './file-reader.js';
export { FileWriter } from './file-writer.js';
export { readUpTo, type RangeReader } from './range-reader.js';
export { unzigzag, uvarintSize, zigzag } from './varint.js';
