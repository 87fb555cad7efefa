// Checks a streamed body against the SHA-256 its request signed (`x-amz-content-sha256` as a hex
// digest), without buffering it: S3 answers XAmzContentSHA256Mismatch at the end of the body.
import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { AuthErrors } from './auth-errors.js';

/**
 * A pass-through Transform that errors with `XAmzContentSHA256Mismatch` at the end when the
 * body's SHA-256 differs from `expectedSha256`. Data passes before the check, so a consumer must
 * discard what it wrote when the stream errors.
 */
export class PayloadHashVerifier extends Transform {
  private readonly hash = createHash('sha256');
  private readonly expected: string;

  constructor(expectedSha256: string) {
    super();
    this.expected = expectedSha256.toLowerCase();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    const actual = this.hash.digest('hex');
    callback(actual === this.expected ? null : AuthErrors.contentSha256Mismatch(this.expected, actual));
  }
}
