// Filesystem bucket: one file per object under a root directory. Uploads write a hidden temp file
// in the destination directory and rename it into place, so readers never see half an object.
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  ObjectNotFoundError,
  dirPrefix,
  isObjectNotFound,
  validateObjectName,
  type Bucket,
  type IterOptions,
  type ObjectAttributes,
} from '../bucket.js';

const tempPrefix = '.upload-';
const isTemp = (base: string) => base.startsWith(tempPrefix);
const isENOENT = (err: unknown) => (err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';

export class FilesystemBucket implements Bucket {
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  private file(name: string): string {
    validateObjectName(name);
    return path.join(this.root, ...name.split('/'));
  }

  async iter(prefix: string, fn: (name: string) => void | Promise<void>, opts: IterOptions = {}): Promise<void> {
    const dir = dirPrefix(prefix);
    if (dir !== '') validateObjectName(dir.slice(0, -1));
    const names: string[] = [];
    await this.collect(dir, opts.recursive === true, names);
    names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const n of names) await fn(n);
  }

  private async collect(dir: string, recursive: boolean, out: string[]): Promise<boolean> {
    let entries;
    try {
      entries = await fs.readdir(path.join(this.root, ...dir.split('/')), { withFileTypes: true });
    } catch (err) {
      if (isENOENT(err) || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return false;
      throw new Error(`list ${this.root}/${dir}`, { cause: err });
    }
    let found = false;
    for (const e of entries) {
      if (isTemp(e.name)) continue;
      if (e.isDirectory()) {
        // A directory counts only when it holds at least one object (empty ones are leftovers).
        const sub: string[] = [];
        if (!(await this.collect(`${dir}${e.name}/`, true, sub))) continue;
        found = true;
        if (recursive) out.push(...sub);
        else out.push(`${dir}${e.name}/`);
      } else if (e.isFile()) {
        found = true;
        out.push(dir + e.name);
      }
    }
    return found;
  }

  async get(name: string): Promise<Buffer> {
    const file = this.file(name);
    try {
      return await fs.readFile(file);
    } catch (err) {
      throw this.wrap(err, name, 'read');
    }
  }

  async getRange(name: string, offset: number, length: number): Promise<Buffer> {
    if (offset < 0) throw new Error(`get range of ${name}: negative offset ${offset}`);
    const file = this.file(name);
    let fh;
    try {
      fh = await fs.open(file, 'r');
    } catch (err) {
      throw this.wrap(err, name, 'open');
    }
    try {
      const size = (await fh.stat()).size;
      const end = length < 0 ? size : Math.min(size, offset + length);
      if (offset >= end) return Buffer.alloc(0);
      const buf = Buffer.allocUnsafe(end - offset);
      let done = 0;
      while (done < buf.length) {
        const { bytesRead } = await fh.read(buf, done, buf.length - done, offset + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return done === buf.length ? buf : buf.subarray(0, done);
    } finally {
      await fh.close();
    }
  }

  async exists(name: string): Promise<boolean> {
    try {
      return (await fs.stat(this.file(name))).isFile();
    } catch (err) {
      if (isENOENT(err)) return false;
      throw new Error(`stat ${name}`, { cause: err });
    }
  }

  async attributes(name: string): Promise<ObjectAttributes> {
    try {
      const st = await fs.stat(this.file(name));
      if (!st.isFile()) throw new ObjectNotFoundError(name);
      return { size: st.size, lastModified: st.mtime };
    } catch (err) {
      throw this.wrap(err, name, 'stat');
    }
  }

  async upload(name: string, body: Buffer | Readable): Promise<void> {
    const file = this.file(name);
    const dir = path.dirname(file);
    const tmp = path.join(dir, `${tempPrefix}${path.basename(file)}-${randomBytes(6).toString('hex')}`);
    try {
      await fs.mkdir(dir, { recursive: true });
      if (Buffer.isBuffer(body)) await fs.writeFile(tmp, body);
      else await pipeline(body, createWriteStream(tmp));
      await fs.rename(tmp, file);
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw new Error(`upload ${name} to ${this.root}`, { cause: err });
    }
  }

  async delete(name: string): Promise<void> {
    const file = this.file(name);
    try {
      await fs.unlink(file);
    } catch (err) {
      throw this.wrap(err, name, 'delete');
    }
    // Remove directories left empty, up to the root, so that iter stops listing them.
    for (let dir = path.dirname(file); dir !== this.root && dir.startsWith(this.root); dir = path.dirname(dir)) {
      try {
        await fs.rmdir(dir);
      } catch {
        break; // not empty (or raced with an upload): stop here
      }
    }
  }

  isObjNotFoundErr(err: unknown): boolean {
    return isObjectNotFound(err);
  }

  async close(): Promise<void> {}

  private wrap(err: unknown, name: string, op: string): Error {
    if (isObjectNotFound(err)) return err as Error;
    if (isENOENT(err) || (err as NodeJS.ErrnoException | undefined)?.code === 'EISDIR') {
      return new ObjectNotFoundError(name, { cause: err });
    }
    return new Error(`${op} ${name} in ${this.root}`, { cause: err });
  }
}
