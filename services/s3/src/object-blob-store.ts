// The blob store S3 writes objects to. It is @atoll/storage's BlobStore with one fix to `put`:
// when the source fails before the temporary file has been opened, the shared implementation
// removes the path first and the late open then re-creates it, leaving a temporary file behind
// until the next restart. Here the file stream is closed before the temporary path is removed.
// (Reported to the lead; delete this class once BlobStore.put waits for the stream's close.)
import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BlobStore, BlobTooLargeError, type PutBlobOptions, type StoredBlob } from '@atoll/storage';

class SizeLimit extends Transform {
  size = 0;
  constructor(readonly maxBytes: number) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.maxBytes) return done(new BlobTooLargeError(this.maxBytes));
    done(null, chunk);
  }
}

export class ObjectBlobStore extends BlobStore {
  override async put(source: Readable | Buffer | string, options: PutBlobOptions = {}): Promise<StoredBlob> {
    if (options.digests?.length) return super.put(source, options);
    const key = randomUUID().replace(/-/g, '');
    const tmpPath = join(this.root, 'tmp', key);
    const limit = new SizeLimit(options.maxBytes ?? Number.POSITIVE_INFINITY);
    const input = typeof source === 'string' || Buffer.isBuffer(source) ? Readable.from([Buffer.from(source)]) : source;
    const file = createWriteStream(tmpPath, { flags: 'wx' });
    const closed = new Promise<void>((resolve) => file.once('close', () => resolve()));
    try {
      await pipeline([input, ...(options.transforms ?? []), limit, file] as unknown as Parameters<typeof pipeline>[0], {
        signal: options.signal,
      } as never);
      const handle = await open(tmpPath, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
      const dir = join(this.root, key.slice(0, 2));
      mkdirSync(dir, { recursive: true });
      await rename(tmpPath, this.path(key));
      const dirHandle = await open(dir, 'r');
      try {
        await dirHandle.sync();
      } finally {
        await dirHandle.close();
      }
    } catch (error) {
      file.destroy();
      await closed;
      await rm(tmpPath, { force: true });
      throw error;
    }
    return { key, size: limit.size, digests: {} };
  }
}
