// A minimal RESP2 client for the control plane's own commands to the engine processes (PING, CONFIG
// SET, REPLICAOF, INFO, CLUSTER …, ACL SETUSER, SAVE). One connection per call sequence; not a data
// path. Clients of the caches use their own libraries.
import { connect, type Socket } from 'node:net';

export type RespValue = string | number | null | RespValue[] | RespError;

export class RespError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RespError';
  }
}

/** Parses one reply from `buf` at `pos`; returns undefined when more bytes are needed. */
export function parseReply(buf: Buffer, pos = 0): { value: RespValue; end: number } | undefined {
  if (pos >= buf.length) return undefined;
  const lineEnd = buf.indexOf('\r\n', pos);
  if (lineEnd < 0) return undefined;
  const type = String.fromCharCode(buf[pos]!);
  const line = buf.toString('utf8', pos + 1, lineEnd);
  const next = lineEnd + 2;
  switch (type) {
    case '+':
      return { value: line, end: next };
    case '-':
      return { value: new RespError(line), end: next };
    case ':':
      return { value: Number(line), end: next };
    case '$': {
      const len = Number(line);
      if (len < 0) return { value: null, end: next };
      if (buf.length < next + len + 2) return undefined;
      return { value: buf.toString('utf8', next, next + len), end: next + len + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, end: next };
      const items: RespValue[] = [];
      let at = next;
      for (let i = 0; i < count; i++) {
        const item = parseReply(buf, at);
        if (!item) return undefined;
        items.push(item.value);
        at = item.end;
      }
      return { value: items, end: at };
    }
    default:
      throw new RespError(`unexpected reply type ${JSON.stringify(type)}`);
  }
}

export function encodeCommand(args: readonly (string | number)[]): Buffer {
  const parts = [`*${args.length}\r\n`];
  for (const a of args) {
    const s = String(a);
    parts.push(`$${Buffer.byteLength(s)}\r\n${s}\r\n`);
  }
  return Buffer.from(parts.join(''));
}

/** A control connection to one engine process on 127.0.0.1. */
export class RespConnection {
  readonly #socket: Socket;
  #buffer: Buffer = Buffer.alloc(0);
  readonly #waiting: { resolve: (v: RespValue) => void; reject: (e: Error) => void }[] = [];
  #failure: Error | undefined;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = this.#buffer.length ? Buffer.concat([this.#buffer, chunk]) : chunk;
      for (;;) {
        const reply = parseReply(this.#buffer);
        if (!reply) break;
        this.#buffer = this.#buffer.subarray(reply.end);
        this.#waiting.shift()?.resolve(reply.value);
      }
    });
    const fail = (error: Error) => {
      this.#failure ??= error;
      for (const w of this.#waiting.splice(0)) w.reject(this.#failure);
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('connection closed')));
  }

  static open(port: number, auth?: { user?: string; password: string }, timeoutMs = 2000): Promise<RespConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.setNoDelay(true);
      const timer = setTimeout(() => socket.destroy(new Error(`connect to 127.0.0.1:${port} timed out`)), timeoutMs);
      socket.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      socket.once('connect', async () => {
        clearTimeout(timer);
        const conn = new RespConnection(socket);
        try {
          if (auth) await (auth.user ? conn.command('AUTH', auth.user, auth.password) : conn.command('AUTH', auth.password));
          resolve(conn);
        } catch (error) {
          conn.close();
          reject(error);
        }
      });
    });
  }

  /** Sends one command; rejects with RespError for an error reply. */
  command(...args: (string | number)[]): Promise<RespValue> {
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      this.#waiting.push({
        resolve: (v) => (v instanceof RespError ? reject(v) : resolve(v)),
        reject,
      });
      this.#socket.write(encodeCommand(args));
    });
  }

  close(): void {
    this.#socket.destroy();
  }
}

/** `INFO <section>` as a map of its `key:value` lines. */
export function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}
