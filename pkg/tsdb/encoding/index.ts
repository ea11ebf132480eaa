export { crc32c } from './crc32c.js';
export { CorruptionError, Decbuf, verifyCRC32 } from './decbuf.js';
export { Encbuf } from './encbuf.js';
export { FileReader, type RangeReader } from './file-reader.js';
export { FileWriter } from './file-writer.js';
export { unzigzag, uvarintSize, zigzag } from './varint.js';
