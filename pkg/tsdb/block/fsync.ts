import { open } from 'node:fs/promises';

/** fsyncs a directory so that renames and creations inside it are durable. */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
