// The bytes of layers (and configs): each upload request streams into one blob-store file (a part),
// hashed with sha256 on the blob store's digest worker; a blob is its parts in order. Reading a
// blob streams its parts (or the byte range asked for) without holding them in memory.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { BlobStore } from '@atoll/storage';
import type { BlobPart } from './ecr-store.js';

const EMPTY_SHA256 = createHash('sha256').digest('hex');

export class LayerBlobs {
  constructor(readonly blobs: BlobStore) {}

  /** Streams a request body (or bytes) into a new part. */
  async writePart(source: Readable | Buffer, signal?: AbortSignal): Promise<BlobPart> {
    const stored = await this.blobs.put(source, { digests: ['sha256'], ...(signal ? { signal } : {}) });
    return { key: stored.key, size: stored.size, sha256: stored.digests.sha256! };
  }

  /** The digest of the concatenated parts (`sha256:` or `sha512:`). One sha256 part needs no reading. */
  async digest(parts: readonly BlobPart[], algorithm: 'sha256' | 'sha512'): Promise<string> {
    const nonEmpty = parts.filter((p) => p.size > 0);
    if (algorithm === 'sha256' && nonEmpty.length === 0) return `sha256:${EMPTY_SHA256}`;
    if (algorithm === 'sha256' && nonEmpty.length === 1) return `sha256:${nonEmpty[0]!.sha256}`;
    const hash = createHash(algorithm);
    for (const part of nonEmpty) {
      await this.blobs.ensureLocal(part.key);
      for await (const chunk of this.blobs.read(part.key)) hash.update(chunk as Buffer);
    }
    return `${algorithm}:${hash.digest('hex')}`;
  }

  /** The bytes of a blob, or of its inclusive range [start, end] (parts streamed in turn, with backpressure). */
  read(parts: readonly BlobPart[], range?: { start: number; end: number }): Readable {
    const blobs = this.blobs;
    const start = range?.start ?? 0;
    const end = range?.end ?? parts.reduce((n, p) => n + p.size, 0) - 1;
    async function* bytes(): AsyncGenerator<Buffer> {
      let offset = 0;
      for (const part of parts) {
        const partStart = offset;
        const partEnd = offset + part.size - 1;
        offset += part.size;
        if (part.size === 0 || partEnd < start || partStart > end) continue;
        await blobs.ensureLocal(part.key);
        yield* blobs.read(part.key, { start: Math.max(start, partStart) - partStart, end: Math.min(end, partEnd) - partStart });
      }
    }
    return Readable.from(bytes(), { objectMode: false, highWaterMark: 1024 * 1024 });
  }

  /** Deletes parts no blob or upload references any more. */
  async delete(parts: readonly BlobPart[]): Promise<void> {
    for (const part of parts) await this.blobs.delete(part.key);
  }
}
