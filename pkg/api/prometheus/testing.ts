// Test helpers: the client's side of remote read's chunked stream. Not used by production code.
import { crc32c } from '../../tsdb/encoding/index.js';

/** The messages of a chunked stream (remote-read.ts frame()'s reader); throws on a bad checksum or a cut frame. */
export function readFrames(buf: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  for (let p = 0; p < buf.length;) {
    let len = 0;
    for (let shift = 0; ; shift += 7) {
      if (p >= buf.length || shift > 28) throw new Error('chunked stream: bad frame length');
      const b = buf[p++];
      len += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) break;
    }
    if (p + 4 + len > buf.length) throw new Error('chunked stream: truncated frame');
    const msg = buf.subarray(p + 4, p + 4 + len);
    if (crc32c(msg) >>> 0 !== view.getUint32(p)) throw new Error('chunked stream: frame checksum mismatch');
    out.push(msg);
    p += 4 + len;
  }
  return out;
}
