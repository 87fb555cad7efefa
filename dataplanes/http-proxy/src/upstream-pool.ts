// Keep-alive connections to one target, and the response side of the wire: each connection parses
// its target's responses (status, framing, end of body) and hands them to the client connection
// it currently serves. Listeners are bound once per connection, never per request.
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { ChunkTracker, CRLFCRLF, latin1, MAX_HEAD, parseResponseHead, WireError, type ResponseHead } from './http-wire.js';

/** What an upstream connection reports to the client connection it serves. */
export interface ResponseSink {
  /** A response head; `raw` is the received head bytes (with its CRLFCRLF) when they can be sent unchanged. */
  onResponseHead(head: ResponseHead, raw: Buffer | undefined): void;
  onResponseBody(buf: Buffer, start: number, end: number): void;
  /** The response is complete; `reusable` tells whether the connection can serve another request. */
  onResponseEnd(connection: UpstreamConnection, reusable: boolean): void;
  /** The exchange failed: `timeout` (→ 504) or any other failure (→ 502), `before` = no response byte yet. */
  onUpstreamFailure(connection: UpstreamConnection, error: Error, timeout: boolean): void;
  /** Called while the connection writes to the client, so the client can push back. */
  readonly clientSocket: Socket;
}

export class UpstreamConnection {
  readonly socket: Socket;
  readonly pool: UpstreamPool;
  sink: ResponseSink | undefined = undefined;
  /** Requests completed on this connection (a reused connection may have been closed by the target). */
  served = 0;
  /** Any byte of the current response received. */
  gotBytes = false;
  #pending: Buffer | undefined = undefined;
  // 0 idle, 1 head, 2 body by length, 3 chunked body, 4 body until close
  #phase = 0;
  #remaining = 0;
  #noBody = false;
  #keepAlive = true;
  readonly #tracker = new ChunkTracker();
  dead = false;

  constructor(pool: UpstreamPool) {
    this.pool = pool;
    const options = { host: pool.host, port: pool.port, noDelay: true };
    this.socket = pool.tls ? tlsConnect({ ...options, rejectUnauthorized: false, servername: undefined }) : netConnect(options);
    this.socket.setNoDelay(true);
    this.socket.setTimeout(pool.idleMs);
    this.socket.on('data', this.#onData);
    this.socket.on('error', this.#onError);
    this.socket.on('close', this.#onClose);
    this.socket.on('timeout', this.#onTimeout);
  }

  /** Starts an exchange: the next response belongs to `sink`. */
  attach(sink: ResponseSink, noBody: boolean): void {
    this.sink = sink;
    this.#noBody = noBody;
    this.#phase = 1;
    this.gotBytes = false;
    this.#pending = undefined;
  }

  destroy(): void {
    this.dead = true;
    this.sink = undefined;
    this.socket.destroy();
  }

  readonly #onTimeout = (): void => {
    const sink = this.sink;
    if (sink === undefined) {
      this.destroy();
      return;
    }
    this.dead = true;
    this.sink = undefined;
    this.socket.destroy();
    sink.onUpstreamFailure(this, new WireError('target timed out', 504), true);
  };

  readonly #onError = (error: Error): void => {
    this.#fail(error);
  };

  readonly #onClose = (): void => {
    this.dead = true;
    this.pool.forget(this);
    const sink = this.sink;
    if (sink === undefined) return;
    if (this.#phase === 4) {
      // A body delimited by the end of the connection is complete now.
      this.sink = undefined;
      this.#phase = 0;
      sink.onResponseEnd(this, false);
      return;
    }
    this.#fail(new Error('target closed the connection'));
  };

  #fail(error: Error): void {
    this.dead = true;
    this.pool.forget(this);
    const sink = this.sink;
    this.sink = undefined;
    this.socket.destroy();
    if (sink !== undefined) sink.onUpstreamFailure(this, error, false);
  }

  readonly #onData = (chunk: Buffer): void => {
    const sink = this.sink;
    if (sink === undefined) {
      // Bytes from an idle connection: the target is confused; do not reuse it.
      this.destroy();
      this.pool.forget(this);
      return;
    }
    this.gotBytes = true;
    try {
      this.#consume(sink, chunk);
    } catch (error) {
      this.#fail(error as Error);
    }
  };

  #consume(sink: ResponseSink, chunk: Buffer): void {
    let buf = chunk;
    let pos = 0;
    while (pos < buf.length && this.sink === sink) {
      if (this.#phase === 1) {
        if (this.#pending !== undefined) {
          buf = Buffer.concat([this.#pending, buf.subarray(pos)]);
          pos = 0;
          this.#pending = undefined;
        }
        const end = buf.indexOf(CRLFCRLF, pos);
        if (end < 0) {
          if (buf.length - pos > MAX_HEAD) throw new WireError('response head too large', 502);
          this.#pending = pos === 0 ? buf : buf.subarray(pos);
          return;
        }
        const head = parseResponseHead(latin1(buf, pos, end));
        const headStart = pos;
        pos = end + 4;
        if (head.status < 200) {
          if (head.status === 101) throw new WireError('unexpected protocol switch', 502);
          continue; // 1xx informational responses are not relayed
        }
        this.#keepAlive = head.keepAlive;
        if (this.#noBody || head.status === 204 || head.status === 304) {
          this.#phase = 0;
          head.contentLength = head.chunked ? -1 : head.contentLength;
          sink.onResponseHead(head, head.changed ? undefined : buf.subarray(headStart, pos));
          this.#finish(sink, pos < buf.length);
          continue;
        }
        if (head.chunked) {
          this.#phase = 3;
          this.#tracker.reset();
        } else if (head.contentLength >= 0) {
          this.#phase = 2;
          this.#remaining = head.contentLength;
        } else {
          this.#phase = 4;
          this.#keepAlive = false;
        }
        sink.onResponseHead(head, head.changed ? undefined : buf.subarray(headStart, pos));
        if (this.#phase === 2 && this.#remaining === 0) this.#finish(sink, pos < buf.length);
        continue;
      }
      if (this.#phase === 2) {
        const take = Math.min(this.#remaining, buf.length - pos);
        sink.onResponseBody(buf, pos, pos + take);
        pos += take;
        this.#remaining -= take;
        if (this.#remaining === 0) this.#finish(sink, pos < buf.length);
        continue;
      }
      if (this.#phase === 3) {
        const end = this.#tracker.feed(buf, pos, buf.length);
        const stop = end < 0 ? buf.length : end;
        sink.onResponseBody(buf, pos, stop);
        pos = stop;
        if (end >= 0) this.#finish(sink, pos < buf.length);
        continue;
      }
      if (this.#phase === 4) {
        sink.onResponseBody(buf, pos, buf.length);
        return;
      }
      // Bytes after a complete response: the target sent more than it announced.
      throw new WireError('unexpected bytes after the response', 502);
    }
  }

  /** Ends the exchange; bytes after the response (`extra`) mean the target cannot be trusted with another. */
  #finish(sink: ResponseSink, extra: boolean): void {
    this.#phase = 0;
    this.sink = undefined;
    this.served++;
    sink.onResponseEnd(this, this.#keepAlive && !this.dead && !extra);
  }
}

/** The keep-alive pool of one target. */
export class UpstreamPool {
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  readonly idleMs: number;
  readonly #idle: UpstreamConnection[] = [];
  readonly #all = new Set<UpstreamConnection>();
  #closed = false;

  constructor(host: string, port: number, tls: boolean, idleMs: number) {
    this.host = host;
    this.port = port;
    this.tls = tls;
    this.idleMs = idleMs;
  }

  /** An idle connection (most recently used first) or a new one. */
  acquire(): UpstreamConnection {
    while (this.#idle.length > 0) {
      const c = this.#idle.pop()!;
      if (!c.dead) return c;
    }
    const c = new UpstreamConnection(this);
    this.#all.add(c);
    return c;
  }

  /** A fresh connection (for a retry after a reused one failed). */
  fresh(): UpstreamConnection {
    const c = new UpstreamConnection(this);
    this.#all.add(c);
    return c;
  }

  release(c: UpstreamConnection): void {
    if (this.#closed || c.dead || this.#idle.length >= 512) {
      c.destroy();
      this.#all.delete(c);
      return;
    }
    this.#idle.push(c);
  }

  forget(c: UpstreamConnection): void {
    this.#all.delete(c);
    const i = this.#idle.indexOf(c);
    if (i >= 0) this.#idle.splice(i, 1);
  }

  /** Closes every connection, busy ones included (their requests fail with 502). */
  destroy(): void {
    this.#closed = true;
    this.#idle.length = 0;
    for (const c of [...this.#all]) c.socket.destroy();
    this.#all.clear();
  }
}
