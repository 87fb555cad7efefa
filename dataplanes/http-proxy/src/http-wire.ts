// HTTP/1.x wire parsing for the proxy's hot path: request and response heads parsed from raw
// bytes (latin1), the framing facts the proxy needs (length, chunked, keep-alive, upgrade), and a
// chunked-body tracker that finds where a body ends while its bytes pass through unchanged.
// Anything malformed is reported, never thrown past the connection that sent it.

export const CRLFCRLF = Buffer.from('\r\n\r\n');
/** Largest head accepted from a client or a target. */
export const MAX_HEAD = 64 * 1024;

export class WireError extends Error {
  readonly status: number;
  constructor(message: string, status = 400) {
    super(message);
    this.status = status;
  }
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Request header names the proxy rewrites: 1 drop (hop-by-hop), 2 x-forwarded-for, 3 trace id, 4 replaced by ALB. */
export function requestHeaderKind(lower: string): number {
  switch (lower) {
    case 'connection':
    case 'keep-alive':
    case 'proxy-connection':
    case 'te':
    case 'upgrade':
    case 'expect':
    case 'trailer':
      return 1;
    case 'x-forwarded-for':
      return 2;
    case 'x-amzn-trace-id':
      return 3;
    case 'x-forwarded-proto':
    case 'x-forwarded-port':
      return 4;
    default:
      return 0;
  }
}

export interface RequestHead {
  method: string;
  url: string;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  minor: number;
  /** The head as received, without its final empty line (`…\r\n`). */
  text: string;
  /** Header names (as sent) and values, in order. */
  names: string[];
  values: string[];
  host: string;
  /** -1 when absent. */
  contentLength: number;
  chunked: boolean;
  keepAlive: boolean;
  upgrade: boolean;
  expectContinue: boolean;
  /** True when some header must be dropped or rewritten (the head is then rebuilt). */
  rewrite: boolean;
  forwardedFor: string | undefined;
  traceId: string | undefined;
  cookie: string | undefined;
}

/** Parses a request head from `text` (latin1, without the final CRLFCRLF). Throws WireError. */
export function parseRequestHead(text: string): RequestHead {
  let lineEnd = text.indexOf('\r\n');
  if (lineEnd < 0) lineEnd = text.length;
  const line = text.slice(0, lineEnd);
  const sp1 = line.indexOf(' ');
  const sp2 = line.lastIndexOf(' ');
  if (sp1 <= 0 || sp2 <= sp1) throw new WireError('malformed request line');
  const method = line.slice(0, sp1);
  const url = line.slice(sp1 + 1, sp2);
  const version = line.slice(sp2 + 1);
  if (version !== 'HTTP/1.1' && version !== 'HTTP/1.0') throw new WireError('unsupported HTTP version', version.startsWith('HTTP/') ? 505 : 400);
  if (!TOKEN.test(method) || url.length === 0 || url.includes(' ')) throw new WireError('malformed request line');
  const minor = version === 'HTTP/1.1' ? 1 : 0;
  const head: RequestHead = {
    method, url, minor, text: `${text}\r\n`, names: [], values: [], host: '', contentLength: -1, chunked: false,
    keepAlive: minor === 1, upgrade: false, expectContinue: false, rewrite: false,
    forwardedFor: undefined, traceId: undefined, cookie: undefined,
  };
  let hasHost = false;
  let hasTransferEncoding = false;
  let connectionUpgrade = false;
  let pos = lineEnd + 2;
  while (pos < text.length) {
    let end = text.indexOf('\r\n', pos);
    if (end < 0) end = text.length;
    const colon = text.indexOf(':', pos);
    if (colon < 0 || colon >= end || colon === pos) throw new WireError('malformed header');
    const first = text.charCodeAt(pos);
    if (first === 32 || first === 9) throw new WireError('obsolete line folding');
    const name = text.slice(pos, colon);
    const value = text.slice(colon + 1, end).trim();
    // A bare CR or LF inside a line could end a header early at the target: refuse it.
    if (value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0 || name.indexOf('\n') >= 0 || name.indexOf(' ') >= 0) throw new WireError('malformed header');
    pos = end + 2;
    head.names.push(name);
    head.values.push(value);
    const n = name.length;
    // Only names of these lengths need a look: host(4) te(2) expect/cookie/upgrade/trailer(6-7)
    // connection/keep-alive(10) content-length(14) x-forwarded-for/x-amzn-trace-id(15)
    // proxy-connection/x-forwarded-port(16) transfer-encoding/x-forwarded-proto(17).
    if (n !== 4 && n !== 2 && n !== 6 && n !== 7 && n !== 10 && n !== 14 && n !== 15 && n !== 16 && n !== 17) continue;
    const lower = name.toLowerCase();
    if (lower === 'host') {
      if (hasHost) throw new WireError('duplicate host header');
      hasHost = true;
      head.host = value;
      continue;
    }
    if (lower === 'content-length') {
      if (!/^\d{1,15}$/.test(value)) throw new WireError('invalid content-length');
      const length = Number(value);
      if (head.contentLength >= 0 && head.contentLength !== length) throw new WireError('conflicting content-length');
      head.contentLength = length;
      continue;
    }
    if (lower === 'transfer-encoding') {
      hasTransferEncoding = true;
      if (value.toLowerCase() !== 'chunked') throw new WireError('unsupported transfer-encoding', 501);
      head.chunked = true;
      continue;
    }
    if (lower === 'cookie') {
      head.cookie = head.cookie === undefined ? value : `${head.cookie}; ${value}`;
      continue;
    }
    const kind = requestHeaderKind(lower);
    if (kind === 0) continue;
    head.rewrite = true;
    if (kind === 2) head.forwardedFor = head.forwardedFor === undefined ? value : `${head.forwardedFor}, ${value}`;
    else if (kind === 3) head.traceId = value;
    else if (lower === 'connection') {
      const v = value.toLowerCase();
      if (v.includes('close')) head.keepAlive = false;
      else if (v.includes('keep-alive')) head.keepAlive = true;
      if (v.includes('upgrade')) connectionUpgrade = true;
    } else if (lower === 'upgrade') head.upgrade = true;
    else if (lower === 'expect') head.expectContinue = value.toLowerCase() === '100-continue';
  }
  if (hasTransferEncoding && head.contentLength >= 0) throw new WireError('both content-length and transfer-encoding');
  if (!hasHost && minor === 1) throw new WireError('missing host header');
  head.upgrade = head.upgrade && connectionUpgrade;
  // An HTTP/1.0 request goes to the target as HTTP/1.1, so its request line is rebuilt.
  if (minor === 0) head.rewrite = true;
  return head;
}

export interface ResponseHead {
  status: number;
  /** Status line and headers with hop-by-hop headers removed, each line ending in CRLF. */
  text: string;
  /** True when `text` differs from the bytes received (hop-by-hop headers were removed). */
  changed: boolean;
  contentLength: number;
  chunked: boolean;
  /** The target will keep the connection open after this response. */
  keepAlive: boolean;
}

/** Parses a response head (latin1, without the final CRLFCRLF). Throws WireError (→ 502). */
export function parseResponseHead(text: string): ResponseHead {
  let lineEnd = text.indexOf('\r\n');
  if (lineEnd < 0) lineEnd = text.length;
  if (!text.startsWith('HTTP/1.') || text.charCodeAt(8) !== 32) throw new WireError('malformed status line', 502);
  const status = Number(text.slice(9, 12));
  if (!Number.isInteger(status) || status < 100 || status > 999) throw new WireError('malformed status code', 502);
  const minor = text.charCodeAt(7) === 49 ? 1 : 0;
  const head: ResponseHead = { status, text: '', changed: false, contentLength: -1, chunked: false, keepAlive: minor === 1 };
  let out = `${text.slice(0, lineEnd)}\r\n`;
  let pos = lineEnd + 2;
  let keptFrom = pos;
  while (pos < text.length) {
    let end = text.indexOf('\r\n', pos);
    if (end < 0) end = text.length;
    const colon = text.indexOf(':', pos);
    if (colon <= pos || colon >= end) throw new WireError('malformed header', 502);
    const n = colon - pos;
    if (n === 10 || n === 14 || n === 16 || n === 17) {
      const lower = text.slice(pos, colon).toLowerCase();
      const value = text.slice(colon + 1, end).trim();
      let drop = false;
      if (lower === 'content-length') {
        if (!/^\d{1,15}$/.test(value)) throw new WireError('invalid content-length', 502);
        head.contentLength = Number(value);
      } else if (lower === 'transfer-encoding') {
        if (value.toLowerCase().endsWith('chunked')) head.chunked = true;
        drop = false;
      } else if (lower === 'connection') {
        const v = value.toLowerCase();
        if (v.includes('close')) head.keepAlive = false;
        else if (v.includes('keep-alive')) head.keepAlive = true;
        drop = true;
      } else if (lower === 'keep-alive' || lower === 'proxy-connection') drop = true;
      if (drop) {
        out += text.slice(keptFrom, pos);
        keptFrom = end + 2;
        head.changed = true;
      }
    }
    pos = end + 2;
  }
  if (keptFrom < text.length) out += text.slice(keptFrom) + '\r\n';
  head.text = out;
  if (head.chunked) head.contentLength = -1;
  return head;
}

/**
 * Follows a chunked body as its bytes pass: `feed` returns the offset just past the body's end
 * (the final CRLF of the trailers), or -1 when all given bytes belong to the body. With `payload`,
 * it also hands out the chunk data (for de-chunking).
 */
export class ChunkTracker {
  #state = 0; // 0 size line, 1 data, 2 CRLF after data, 3 trailer line
  #remaining = 0;
  #size = 0;
  #digits = 0;
  #inExtension = false;
  #lineLength = 0;
  #sawCr = false;

  reset(): void {
    this.#state = 0;
    this.#remaining = 0;
    this.#size = 0;
    this.#digits = 0;
    this.#inExtension = false;
    this.#lineLength = 0;
    this.#sawCr = false;
  }

  feed(buf: Buffer, start: number, end: number, payload?: (buf: Buffer, start: number, end: number) => void): number {
    let i = start;
    while (i < end) {
      switch (this.#state) {
        case 0: {
          const c = buf[i++]!;
          if (c === 13) {
            this.#sawCr = true;
            continue;
          }
          if (c === 10) {
            if (!this.#sawCr || this.#digits === 0) throw new WireError('malformed chunk size', 502);
            this.#sawCr = false;
            this.#inExtension = false;
            if (this.#size === 0) {
              this.#state = 3;
              this.#lineLength = 0;
            } else {
              this.#state = 1;
              this.#remaining = this.#size;
            }
            this.#size = 0;
            this.#digits = 0;
            continue;
          }
          if (this.#sawCr) throw new WireError('malformed chunk size', 502);
          if (this.#inExtension) continue;
          const v = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
          if (v < 0) {
            if (c === 59 || c === 32 || c === 9) {
              this.#inExtension = true;
              continue;
            }
            throw new WireError('malformed chunk size', 502);
          }
          if (++this.#digits > 12) throw new WireError('chunk too large', 502);
          this.#size = this.#size * 16 + v;
          continue;
        }
        case 1: {
          const take = Math.min(this.#remaining, end - i);
          payload?.(buf, i, i + take);
          i += take;
          this.#remaining -= take;
          if (this.#remaining === 0) {
            this.#state = 2;
            this.#lineLength = 0;
          }
          continue;
        }
        case 2: {
          const c = buf[i++]!;
          if (this.#lineLength === 0 ? c !== 13 : c !== 10) throw new WireError('malformed chunk', 502);
          if (++this.#lineLength === 2) this.#state = 0;
          continue;
        }
        default: {
          const c = buf[i++]!;
          if (c === 10) {
            if (this.#lineLength <= 1) {
              this.reset();
              return i;
            }
            this.#lineLength = 0;
            continue;
          }
          this.#lineLength++;
          if (this.#lineLength > 8192) throw new WireError('trailer too large', 502);
        }
      }
    }
    return -1;
  }
}

/** A latin1 view of bytes (Buffer#latin1Slice, which skips toString's argument checks). */
export function latin1(buf: Buffer, start: number, end: number): string {
  return (buf as unknown as { latin1Slice(s: number, e: number): string }).latin1Slice(start, end);
}
