// HTTP semantics S3 applies to reads and copies: conditional headers (If-Match, If-None-Match,
// If-Modified-Since, If-Unmodified-Since) and single byte ranges.
import { S3Errors } from './s3-errors.js';
import { etagListMatches } from './s3-store.js';

export interface Conditions {
  ifMatch?: string;
  ifNoneMatch?: string;
  ifModifiedSince?: Date;
  ifUnmodifiedSince?: Date;
}

/**
 * Evaluates the conditions against an object's ETag and modification time as S3 does: a failed
 * If-Match or If-Unmodified-Since is 412; a matching If-None-Match or an unmodified
 * If-Modified-Since is 304 (for copies, `copy` turns every failure into 412).
 */
export function checkConditions(c: Conditions, etag: string, lastModified: number, copy = false): void {
  const modifiedSeconds = Math.floor(lastModified / 1000);
  const notModified = copy ? (condition: string) => S3Errors.preconditionFailed(condition) : () => S3Errors.notModified();
  const prefix = copy ? 'x-amz-copy-source-' : '';
  if (c.ifMatch !== undefined && !etagListMatches(c.ifMatch, etag)) throw S3Errors.preconditionFailed(`${prefix}If-Match`);
  if (c.ifMatch === undefined && c.ifUnmodifiedSince && modifiedSeconds > Math.floor(c.ifUnmodifiedSince.getTime() / 1000)) {
    throw S3Errors.preconditionFailed(`${prefix}If-Unmodified-Since`);
  }
  if (c.ifNoneMatch !== undefined && etagListMatches(c.ifNoneMatch, etag)) throw notModified(`${prefix}If-None-Match`);
  if (
    c.ifNoneMatch === undefined &&
    c.ifModifiedSince &&
    modifiedSeconds <= Math.floor(c.ifModifiedSince.getTime() / 1000)
  ) {
    throw notModified(`${prefix}If-Modified-Since`);
  }
}

export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Parses a `Range: bytes=…` header against an object of `size` bytes. Returns undefined when the
 * header is absent or not a single well-formed byte range (S3 then serves the whole object);
 * throws InvalidRange (416) when the range is well-formed but not satisfiable.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | undefined {
  if (!header) return undefined;
  const m = /^\s*bytes=(\d*)-(\d*)\s*$/.exec(header);
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) throw S3Errors.invalidRange(header, size);
    if (size === 0) throw S3Errors.invalidRange(header, size);
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== '' && Number(m[2]) < start) return undefined;
  if (start >= size) throw S3Errors.invalidRange(header, size);
  return { start, end };
}
