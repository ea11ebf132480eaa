// A disk that fills up, for tests of the WAL's failure and recovery: writes go to real files until
// the byte budget is spent, then the write in progress is cut short and every later one fails
// with ENOSPC, as on a full filesystem. Not used by production code.
import { open } from 'node:fs/promises';
import type { WalFile } from './wal.js';

export class FillingDisk {
  /** Bytes that may still be written; Infinity for a disk with room. */
  budget = Infinity;
  /** Failed write calls. */
  failures = 0;

  /** A WalOptions.openFile over this disk. */
  readonly openFile = async (path: string): Promise<WalFile> => {
    const f = await open(path, 'a');
    return {
      write: async (buf, offset, length) => {
        if (this.budget <= 0) {
          this.failures++;
          throw Object.assign(new Error(`ENOSPC: no space left on device, write`), { code: 'ENOSPC', errno: -28, syscall: 'write' });
        }
        const n = Math.min(length, this.budget);
        this.budget -= n;
        return f.write(buf, offset, n);
      },
      datasync: () => f.datasync(),
      truncate: (len) => f.truncate(len),
      close: () => f.close(),
    };
  };
}
