// Decodes an `aws-chunked` request body (SigV4 streaming uploads) as it streams: strips the chunk
// framing, verifies the chunk signature chain and the trailer signature, and collects the trailing
// headers. It never holds more than one framing line in memory.
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { AuthErrors } from './auth-errors.js';
import { EMPTY_SHA256, hmacHex, sha256Hex, signaturesEqual } from './canonical-request.js';
import { STREAMING_SIGNED, STREAMING_SIGNED_TRAILER, STREAMING_UNSIGNED_TRAILER } from './sigv4-verifier.js';
import type { IncomingHttpHeaders } from 'node:http';

/** The signing material of the request whose body this is (from `verifySigV4`'s result). */
export interface ChunkSigning {
  signingKey: Buffer;
  /** The request's own signature: the first link of the chain. */
  seedSignature: string;
  /** The request timestamp as signed (`20240101T000000Z`). */
  date: string;
  scope: string;
}

export interface AwsChunkedDecoderOptions {
  /** Verify `chunk-signature`s (STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]); omit for unsigned chunks. */
  signing?: ChunkSigning;
  /** A trailer section follows the final chunk (the `…-TRAILER` variants). */
  trailer?: boolean;
  /** `x-amz-decoded-content-length`: the decoded body must have exactly this many bytes. */
  decodedContentLength?: number;
  /** Longest framing line accepted (chunk header or trailer), 4096 bytes by default. */
  maxLineLength?: number;
}

type State = 'header' | 'data' | 'data-crlf' | 'trailer' | 'done';

const CR = 0x0d;
const LF = 0x0a;

/**
 * A Transform from the framed body to the decoded payload. Errors (as ServiceErrors) with
 * `SignatureDoesNotMatch` when a chunk or trailer signature fails and `IncompleteBody` when the
 * framing is malformed or truncated. Chunk data is passed on before its signature is checked
 * (chunks may be large), so a consumer must discard what it wrote when the stream errors.
 */
export class AwsChunkedDecoder extends Transform {
  /** Trailing headers (lower-case names), complete once the stream has ended. */
  readonly trailers: Record<string, string> = {};
  private state: State = 'header';
  private line: Buffer[] = [];
  private lineLength = 0;
  private remaining = 0;
  private chunkHash: Hash | undefined;
  private chunkSignature: string | undefined;
  private previousSignature: string;
  private decoded = 0;
  private trailerCanonical = '';
  private trailerSignature: string | undefined;
  private readonly signing: ChunkSigning | undefined;
  private readonly expectTrailer: boolean;
  private readonly decodedContentLength: number | undefined;
  private readonly maxLineLength: number;

  constructor(options: AwsChunkedDecoderOptions = {}) {
    super();
    this.signing = options.signing;
    this.expectTrailer = options.trailer ?? false;
    this.decodedContentLength = options.decodedContentLength;
    this.maxLineLength = options.maxLineLength ?? 4096;
    this.previousSignature = options.signing?.seedSignature ?? '';
  }

  /**
   * A decoder for a request authenticated by `verifySigV4`, chosen by its signed payload hash;
   * undefined when the body is not `aws-chunked`.
   */
  static forRequest(
    auth: { contentSha256: string; signingKey: Buffer; signature: string; date: string; scope: string },
    headers: IncomingHttpHeaders,
  ): AwsChunkedDecoder | undefined {
    const lengthHeader = headers['x-amz-decoded-content-length'];
    const decodedContentLength = typeof lengthHeader === 'string' && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : undefined;
    const signing: ChunkSigning = { signingKey: auth.signingKey, seedSignature: auth.signature, date: auth.date, scope: auth.scope };
    switch (auth.contentSha256) {
      case STREAMING_SIGNED:
        return new AwsChunkedDecoder({ signing, decodedContentLength });
      case STREAMING_SIGNED_TRAILER:
        return new AwsChunkedDecoder({ signing, trailer: true, decodedContentLength });
      case STREAMING_UNSIGNED_TRAILER:
        return new AwsChunkedDecoder({ trailer: true, decodedContentLength });
      default:
        return undefined;
    }
  }

  /** Bytes of payload decoded so far. */
  get decodedLength(): number {
    return this.decoded;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.consume(chunk);
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      // Some clients omit the final empty line; accept that once everything signed has arrived.
      const signedTrailerPending = this.signing !== undefined && this.expectTrailer && this.trailerSignature === undefined;
      if (this.state === 'trailer' && this.lineLength === 0 && !signedTrailerPending) this.finishTrailer();
      if (this.state !== 'done') throw AuthErrors.incompleteBody();
      if (this.decodedContentLength !== undefined && this.decoded !== this.decodedContentLength) {
        throw AuthErrors.incompleteBody('You did not provide the number of bytes specified by the Content-Length HTTP header');
      }
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  private consume(buf: Buffer): void {
    let i = 0;
    while (i < buf.length) {
      switch (this.state) {
        case 'data': {
          const take = Math.min(this.remaining, buf.length - i);
          const piece = buf.subarray(i, i + take);
          this.chunkHash?.update(piece);
          this.decoded += take;
          if (this.decodedContentLength !== undefined && this.decoded > this.decodedContentLength) {
            throw AuthErrors.incompleteBody('The decoded body is longer than x-amz-decoded-content-length');
          }
          this.push(piece);
          this.remaining -= take;
          i += take;
          if (this.remaining === 0) {
            this.verifyChunk(this.chunkHash ? this.chunkHash.digest('hex') : '');
            this.state = 'data-crlf';
          }
          break;
        }
        case 'data-crlf':
        case 'header':
        case 'trailer': {
          const end = this.readLine(buf, i);
          if (end < 0) return;
          i = end;
          const text = this.takeLine();
          if (this.state === 'data-crlf') {
            if (text !== '') throw AuthErrors.incompleteBody('The aws-chunked body is malformed: chunk data is longer than its declared size');
            this.state = 'header';
          } else if (this.state === 'header') {
            this.startChunk(text);
          } else {
            this.trailerLine(text);
          }
          break;
        }
        case 'done':
          throw AuthErrors.incompleteBody('The aws-chunked body is malformed: data follows the final chunk');
      }
    }
  }

  /** Appends bytes up to and including LF to the pending line; returns the index after LF, or -1. */
  private readLine(buf: Buffer, from: number): number {
    const lf = buf.indexOf(LF, from);
    const end = lf < 0 ? buf.length : lf + 1;
    this.line.push(buf.subarray(from, end));
    this.lineLength += end - from;
    if (this.lineLength > this.maxLineLength) throw AuthErrors.incompleteBody('The aws-chunked body is malformed: framing line too long');
    return lf < 0 ? -1 : end;
  }

  private takeLine(): string {
    const line = this.line.length === 1 ? this.line[0]! : Buffer.concat(this.line, this.lineLength);
    this.line = [];
    this.lineLength = 0;
    if (line.length < 2 || line[line.length - 2] !== CR) throw AuthErrors.incompleteBody('The aws-chunked body is malformed: lines must end with CRLF');
    return line.subarray(0, line.length - 2).toString('latin1');
  }

  private startChunk(text: string): void {
    const [sizeText, ...extensions] = text.split(';');
    if (!sizeText || !/^[0-9a-fA-F]{1,12}$/.test(sizeText.trim())) {
      throw AuthErrors.incompleteBody('The aws-chunked body is malformed: invalid chunk size');
    }
    const size = parseInt(sizeText.trim(), 16);
    this.chunkSignature = undefined;
    for (const extension of extensions) {
      const eq = extension.indexOf('=');
      if (eq > 0 && extension.slice(0, eq).trim() === 'chunk-signature') this.chunkSignature = extension.slice(eq + 1).trim();
    }
    if (this.signing && this.chunkSignature === undefined) throw AuthErrors.signatureMismatch('s3');
    if (size === 0) {
      this.verifyChunk(EMPTY_SHA256);
      this.state = 'trailer';
      return;
    }
    this.remaining = size;
    this.chunkHash = this.signing ? createHash('sha256') : undefined;
    this.state = 'data';
  }

  private verifyChunk(dataHash: string): void {
    if (!this.signing) return;
    const { signingKey, date, scope } = this.signing;
    const stringToSign = `AWS4-HMAC-SHA256-PAYLOAD\n${date}\n${scope}\n${this.previousSignature}\n${EMPTY_SHA256}\n${dataHash}`;
    const expected = hmacHex(signingKey, stringToSign);
    if (!signaturesEqual(expected, this.chunkSignature ?? '')) throw AuthErrors.signatureMismatch('s3');
    this.previousSignature = expected;
  }

  private trailerLine(text: string): void {
    if (text === '') {
      this.finishTrailer();
      return;
    }
    const colon = text.indexOf(':');
    if (colon <= 0) throw AuthErrors.incompleteBody('The aws-chunked body is malformed: invalid trailing header');
    const name = text.slice(0, colon).trim().toLowerCase();
    const value = text.slice(colon + 1).trim();
    if (name === 'x-amz-trailer-signature') {
      this.trailerSignature = value;
      return;
    }
    if (this.signing && !this.expectTrailer) {
      throw AuthErrors.incompleteBody('The aws-chunked body is malformed: trailing headers without a signed trailer');
    }
    this.trailers[name] = value;
    this.trailerCanonical += `${name}:${value}\n`;
  }

  private finishTrailer(): void {
    if (this.signing && this.expectTrailer) {
      const { signingKey, date, scope } = this.signing;
      const stringToSign = `AWS4-HMAC-SHA256-TRAILER\n${date}\n${scope}\n${this.previousSignature}\n${sha256Hex(this.trailerCanonical)}`;
      const expected = hmacHex(signingKey, stringToSign);
      if (!signaturesEqual(expected, this.trailerSignature ?? '')) throw AuthErrors.signatureMismatch('s3');
    }
    this.state = 'done';
  }
}
