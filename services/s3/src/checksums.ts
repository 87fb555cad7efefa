// The checksum algorithms S3 accepts (CRC32, CRC32C, CRC64NVME, SHA1, SHA256) as incremental
// hashers, fed chunk by chunk while object bytes stream to the blob store. CRC32 uses zlib's
// native implementation; CRC32C and CRC64NVME are table-driven (slice-by-8).
import { createHash, type Hash } from 'node:crypto';
import { crc32 as zlibCrc32 } from 'node:zlib';

export type ChecksumAlgorithm = 'CRC32' | 'CRC32C' | 'CRC64NVME' | 'SHA1' | 'SHA256';
export const CHECKSUM_ALGORITHMS: readonly ChecksumAlgorithm[] = ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256'];

/** The output/input member name of an algorithm's checksum, e.g. `ChecksumCRC32`. */
export const checksumMember = (algorithm: ChecksumAlgorithm): `Checksum${ChecksumAlgorithm}` => `Checksum${algorithm}`;
/** The header (and trailer) name, e.g. `x-amz-checksum-crc32`. */
export const checksumHeader = (algorithm: ChecksumAlgorithm): string => `x-amz-checksum-${algorithm.toLowerCase()}`;

export function parseChecksumAlgorithm(value: string | undefined): ChecksumAlgorithm | undefined {
  if (!value) return undefined;
  const upper = value.toUpperCase();
  return (CHECKSUM_ALGORITHMS as readonly string[]).includes(upper) ? (upper as ChecksumAlgorithm) : undefined;
}

export interface Hasher {
  update(chunk: Buffer): void;
  /** The digest, big-endian, as S3 base64-encodes it. */
  digest(): Buffer;
}

function makeTable32(poly: number): Uint32Array {
  const table = new Uint32Array(8 * 256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
    table[i] = c >>> 0;
  }
  for (let i = 0; i < 256; i++) {
    for (let t = 1; t < 8; t++) table[t * 256 + i] = ((table[(t - 1) * 256 + i]! >>> 8) ^ table[table[(t - 1) * 256 + i]! & 0xff]!) >>> 0;
  }
  return table;
}

let crc32cTable: Uint32Array | undefined;

class Crc32c implements Hasher {
  #crc = 0xffffffff;
  readonly #t = (crc32cTable ??= makeTable32(0x82f63b78));
  update(buf: Buffer): void {
    const t = this.#t;
    let crc = this.#crc;
    let i = 0;
    const n8 = buf.length - (buf.length % 8);
    for (; i < n8; i += 8) {
      const a = (crc ^ (buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24))) >>> 0;
      crc =
        t[7 * 256 + (a & 0xff)]! ^
        t[6 * 256 + ((a >>> 8) & 0xff)]! ^
        t[5 * 256 + ((a >>> 16) & 0xff)]! ^
        t[4 * 256 + (a >>> 24)]! ^
        t[3 * 256 + buf[i + 4]!]! ^
        t[2 * 256 + buf[i + 5]!]! ^
        t[256 + buf[i + 6]!]! ^
        t[buf[i + 7]!]!;
    }
    for (; i < buf.length; i++) crc = t[(crc ^ buf[i]!) & 0xff]! ^ (crc >>> 8);
    this.#crc = crc >>> 0;
  }
  digest(): Buffer {
    const out = Buffer.alloc(4);
    out.writeUInt32BE((this.#crc ^ 0xffffffff) >>> 0);
    return out;
  }
}

class Crc32 implements Hasher {
  #crc = 0;
  update(buf: Buffer): void {
    this.#crc = zlibCrc32(buf, this.#crc);
  }
  digest(): Buffer {
    const out = Buffer.alloc(4);
    out.writeUInt32BE(this.#crc >>> 0);
    return out;
  }
}

// CRC64NVME (reflected polynomial 0x9a6c9329ac4bc9b5), split into 32-bit halves so that the inner
// loop stays in small-integer arithmetic instead of BigInt.
let crc64Tables: { lo: Uint32Array; hi: Uint32Array } | undefined;

function makeCrc64Tables(): { lo: Uint32Array; hi: Uint32Array } {
  const poly = 0x9a6c9329ac4bc9b5n;
  const lo = new Uint32Array(8 * 256);
  const hi = new Uint32Array(8 * 256);
  const base: bigint[] = [];
  for (let i = 0; i < 256; i++) {
    let c = BigInt(i);
    for (let k = 0; k < 8; k++) c = c & 1n ? (c >> 1n) ^ poly : c >> 1n;
    base.push(c);
  }
  const all: bigint[] = [...base];
  for (let t = 1; t < 8; t++) {
    for (let i = 0; i < 256; i++) {
      const prev = all[(t - 1) * 256 + i]!;
      all[t * 256 + i] = (prev >> 8n) ^ base[Number(prev & 0xffn)]!;
    }
  }
  all.forEach((v, i) => {
    lo[i] = Number(v & 0xffffffffn);
    hi[i] = Number(v >> 32n);
  });
  return { lo, hi };
}

class Crc64Nvme implements Hasher {
  #lo = 0xffffffff;
  #hi = 0xffffffff;
  readonly #t = (crc64Tables ??= makeCrc64Tables());
  update(buf: Buffer): void {
    const { lo: tl, hi: th } = this.#t;
    let lo = this.#lo;
    let hi = this.#hi;
    let i = 0;
    const n8 = buf.length - (buf.length % 8);
    for (; i < n8; i += 8) {
      const a = (lo ^ (buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24))) >>> 0;
      const b = (hi ^ (buf[i + 4]! | (buf[i + 5]! << 8) | (buf[i + 6]! << 16) | (buf[i + 7]! << 24))) >>> 0;
      const i0 = 7 * 256 + (a & 0xff), i1 = 6 * 256 + ((a >>> 8) & 0xff), i2 = 5 * 256 + ((a >>> 16) & 0xff), i3 = 4 * 256 + (a >>> 24);
      const i4 = 3 * 256 + (b & 0xff), i5 = 2 * 256 + ((b >>> 8) & 0xff), i6 = 256 + ((b >>> 16) & 0xff), i7 = b >>> 24;
      lo = (tl[i0]! ^ tl[i1]! ^ tl[i2]! ^ tl[i3]! ^ tl[i4]! ^ tl[i5]! ^ tl[i6]! ^ tl[i7]!) >>> 0;
      hi = (th[i0]! ^ th[i1]! ^ th[i2]! ^ th[i3]! ^ th[i4]! ^ th[i5]! ^ th[i6]! ^ th[i7]!) >>> 0;
    }
    for (; i < buf.length; i++) {
      const idx = (lo ^ buf[i]!) & 0xff;
      lo = ((lo >>> 8) | ((hi & 0xff) << 24)) >>> 0;
      hi = hi >>> 8;
      lo = (lo ^ tl[idx]!) >>> 0;
      hi = (hi ^ th[idx]!) >>> 0;
    }
    this.#lo = lo;
    this.#hi = hi;
  }
  digest(): Buffer {
    const out = Buffer.alloc(8);
    out.writeUInt32BE((this.#hi ^ 0xffffffff) >>> 0, 0);
    out.writeUInt32BE((this.#lo ^ 0xffffffff) >>> 0, 4);
    return out;
  }
}

class NodeHash implements Hasher {
  readonly #hash: Hash;
  constructor(algorithm: string) {
    this.#hash = createHash(algorithm);
  }
  update(chunk: Buffer): void {
    this.#hash.update(chunk);
  }
  digest(): Buffer {
    return this.#hash.digest();
  }
}

export function createHasher(algorithm: ChecksumAlgorithm | 'MD5'): Hasher {
  switch (algorithm) {
    case 'CRC32':
      return new Crc32();
    case 'CRC32C':
      return new Crc32c();
    case 'CRC64NVME':
      return new Crc64Nvme();
    case 'SHA1':
      return new NodeHash('sha1');
    case 'SHA256':
      return new NodeHash('sha256');
    case 'MD5':
      return new NodeHash('md5');
  }
}

/** The base64 checksum of a whole buffer. */
export function checksumOf(algorithm: ChecksumAlgorithm | 'MD5', data: Buffer): string {
  const h = createHasher(algorithm);
  h.update(data);
  return h.digest().toString('base64');
}
