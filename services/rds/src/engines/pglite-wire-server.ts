// A PostgreSQL wire-protocol (v3) front for one PGlite database, so that psql, pg, postgres.js and
// Prisma connect to the embedded engine as to a server. It authenticates the master user (cleartext
// password exchange: loopback only), then forwards each client's messages to PGlite a batch at a time
// (up to Sync, Query or Flush). PGlite is a single session: a connection holds it while its transaction
// is open (SessionLock) and the others wait with a timeout; statement and portal names are prefixed per
// connection so that two clients' prepared statements (`s1`) never collide.
// Limits: COPY FROM STDIN and cancel requests are not supported; session settings (SET, temp tables)
// are shared by all connections; one database only (any database name reaches it).
import { createServer, type Server, type Socket } from 'node:net';
import { randomInt } from 'node:crypto';
import { SessionLock, SessionLockTimeout } from './session-lock.js';

export interface WireBackend {
  execProtocolRaw(message: Uint8Array): Promise<Uint8Array>;
}

export interface WireServerOptions {
  backend: WireBackend;
  serverVersion: string;
  /** Checks a login; true to accept. */
  authenticate(user: string, password: string): boolean;
  /** How long a connection waits for another's open transaction (default 30 s). */
  lockTimeoutMs?: number;
}

const SSL_REQUEST = 80877103;
const CANCEL_REQUEST = 80877102;
const GSS_REQUEST = 80877104;
const PROTOCOL_3 = 196608;

function message(type: string, body: Buffer): Buffer {
  const out = Buffer.alloc(5 + body.length);
  out.write(type, 0, 'latin1');
  out.writeInt32BE(4 + body.length, 1);
  body.copy(out, 5);
  return out;
}

const cstring = (text: string) => Buffer.concat([Buffer.from(text, 'utf8'), Buffer.from([0])]);

/** An ErrorResponse with severity, SQLSTATE and message. */
export function errorResponse(severity: 'ERROR' | 'FATAL', code: string, text: string): Buffer {
  return message('E', Buffer.concat([Buffer.from('S'), cstring(severity), Buffer.from('V'), cstring(severity), Buffer.from('C'), cstring(code), Buffer.from('M'), cstring(text), Buffer.from([0])]));
}

const readyForQuery = (status: string) => message('Z', Buffer.from(status, 'latin1'));

function parameterStatus(name: string, value: string): Buffer {
  return message('S', Buffer.concat([cstring(name), cstring(value)]));
}

/** The transaction status of the last ReadyForQuery in a backend reply, or undefined. */
export function lastTransactionStatus(reply: Uint8Array): string | undefined {
  let offset = 0;
  let status: string | undefined;
  while (offset + 5 <= reply.length) {
    const type = reply[offset]!;
    const length = ((reply[offset + 1]! << 24) | (reply[offset + 2]! << 16) | (reply[offset + 3]! << 8) | reply[offset + 4]!) >>> 0;
    if (type === 0x5a && length === 5 && offset + 5 < reply.length) status = String.fromCharCode(reply[offset + 5]!);
    offset += 1 + length;
  }
  return status;
}

/** Reads a C string at `offset`; returns it and the offset after its terminator. */
function readCString(buf: Buffer, offset: number): [string, number] {
  const end = buf.indexOf(0, offset);
  if (end < 0) throw new Error('unterminated string');
  return [buf.toString('utf8', offset, end), end + 1];
}

export class PgliteWireServer {
  readonly #options: WireServerOptions;
  readonly #lock = new SessionLock();
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #nextId = 1;

  constructor(options: WireServerOptions) {
    this.#options = options;
    this.#server = createServer((socket) => this.#accept(socket));
  }

  listen(port: number, host = '127.0.0.1'): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
  }

  /** Runs `work` while holding the session (backups, password changes). */
  async exclusive<T>(work: () => Promise<T>): Promise<T> {
    await this.#lock.acquire(0, 600_000);
    try {
      return await work();
    } finally {
      this.#lock.release(0);
    }
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(socket: Socket): void {
    this.#sockets.add(socket);
    socket.setNoDelay(true);
    const id = this.#nextId++;
    const prefix = `c${id}_`;
    const statements = new Set<string>();
    let buffer: Buffer = Buffer.alloc(0);
    let phase: 'startup' | 'password' | 'ready' | 'closed' = 'startup';
    let user = '';
    let batch: Buffer[] = [];
    let chain = Promise.resolve();
    let inTransaction = false;

    const fatal = (code: string, text: string) => {
      socket.end(errorResponse('FATAL', code, text));
      phase = 'closed';
    };

    const rename = (name: string) => (name === '' ? name : prefix + name);

    /** Rewrites the statement and portal names of one frontend message. */
    const rewrite = (type: string, body: Buffer): Buffer => {
      switch (type) {
        case 'P': {
          const [name, next] = readCString(body, 0);
          if (name !== '') statements.add(name);
          return Buffer.concat([cstring(rename(name)), body.subarray(next)]);
        }
        case 'B': {
          const [portal, afterPortal] = readCString(body, 0);
          const [statement, afterStatement] = readCString(body, afterPortal);
          return Buffer.concat([cstring(rename(portal)), cstring(rename(statement)), body.subarray(afterStatement)]);
        }
        case 'D':
        case 'C': {
          const kind = body.subarray(0, 1);
          const [name, next] = readCString(body, 1);
          if (type === 'C' && kind.toString() === 'S') statements.delete(name);
          return Buffer.concat([kind, cstring(rename(name)), body.subarray(next)]);
        }
        case 'E': {
          const [portal, next] = readCString(body, 0);
          return Buffer.concat([cstring(rename(portal)), body.subarray(next)]);
        }
        default:
          return body;
      }
    };

    const dispatch = (messages: Buffer, endsWith: string) => {
      chain = chain.then(async () => {
        if (phase === 'closed') return;
        try {
          await this.#lock.acquire(id, this.#options.lockTimeoutMs ?? 30_000);
        } catch (error) {
          if (!(error instanceof SessionLockTimeout)) throw error;
          socket.write(Buffer.concat([errorResponse('ERROR', '55P03', error.message), endsWith === 'H' ? Buffer.alloc(0) : readyForQuery('I')]));
          return;
        }
        const reply = await this.#options.backend.execProtocolRaw(messages);
        const status = lastTransactionStatus(reply);
        if (status !== undefined) inTransaction = status !== 'I';
        if (status === 'I') this.#lock.release(id);
        if (!socket.destroyed) socket.write(reply);
      });
      chain.catch((error: unknown) => {
        socket.destroy(error instanceof Error ? error : undefined);
      });
    };

    const cleanup = () => {
      phase = 'closed';
      this.#sockets.delete(socket);
      chain = chain.then(async () => {
        const parts: Buffer[] = [];
        if (inTransaction || this.#lock.owner === id) parts.push(message('Q', cstring('ROLLBACK')));
        for (const name of statements) parts.push(message('C', Buffer.concat([Buffer.from('S'), cstring(rename(name))])));
        if (statements.size > 0) parts.push(message('S', Buffer.alloc(0)));
        if (parts.length > 0) {
          await this.#lock.acquire(id, 600_000);
          await this.#options.backend.execProtocolRaw(Buffer.concat(parts)).catch(() => undefined);
        }
        this.#lock.release(id);
      });
    };
    socket.once('close', cleanup);
    socket.on('error', () => socket.destroy());

    socket.on('data', (chunk: Buffer) => {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      try {
        for (;;) {
          if (phase === 'closed') return;
          if (phase === 'startup') {
            if (buffer.length < 8) return;
            const length = buffer.readInt32BE(0);
            if (length < 8 || length > 10_000) return fatal('08P01', 'invalid length of startup packet');
            if (buffer.length < length) return;
            const code = buffer.readInt32BE(4);
            const body = buffer.subarray(8, length);
            buffer = buffer.subarray(length);
            if (code === SSL_REQUEST || code === GSS_REQUEST) {
              socket.write('N');
              continue;
            }
            if (code === CANCEL_REQUEST) {
              socket.end();
              phase = 'closed';
              return;
            }
            if (code !== PROTOCOL_3) return fatal('0A000', `unsupported frontend protocol ${code >>> 16}.${code & 0xffff}: server supports 3.0 to 3.0`);
            const params: Record<string, string> = {};
            let offset = 0;
            while (offset < body.length && body[offset] !== 0) {
              const [key, afterKey] = readCString(body, offset);
              const [value, afterValue] = readCString(body, afterKey);
              params[key] = value;
              offset = afterValue;
            }
            user = params.user ?? '';
            if (!user) return fatal('28000', 'no PostgreSQL user name specified in startup packet');
            socket.write(message('R', Buffer.from([0, 0, 0, 3])));
            phase = 'password';
            continue;
          }
          if (buffer.length < 5) return;
          const type = String.fromCharCode(buffer[0]!);
          const length = buffer.readInt32BE(1);
          if (length < 4 || length > 1024 * 1024 * 1024) return fatal('08P01', `invalid message length`);
          if (buffer.length < 1 + length) return;
          const body = buffer.subarray(5, 1 + length);
          buffer = buffer.subarray(1 + length);
          if (phase === 'password') {
            if (type !== 'p') return fatal('08P01', `expected password response, got message type ${type}`);
            const password = body.toString('utf8', 0, Math.max(0, body.length - 1));
            if (!this.#options.authenticate(user, password)) return fatal('28P01', `password authentication failed for user "${user}"`);
            const key = Buffer.alloc(8);
            key.writeInt32BE(id, 0);
            key.writeInt32BE(randomInt(2 ** 31 - 1), 4);
            socket.write(
              Buffer.concat([
                message('R', Buffer.from([0, 0, 0, 0])),
                parameterStatus('server_version', this.#options.serverVersion),
                parameterStatus('server_encoding', 'UTF8'),
                parameterStatus('client_encoding', 'UTF8'),
                parameterStatus('DateStyle', 'ISO, MDY'),
                parameterStatus('integer_datetimes', 'on'),
                parameterStatus('standard_conforming_strings', 'on'),
                parameterStatus('TimeZone', 'UTC'),
                parameterStatus('application_name', ''),
                message('K', key),
                readyForQuery('I'),
              ]),
            );
            phase = 'ready';
            continue;
          }
          if (type === 'X') {
            socket.end();
            return;
          }
          batch.push(message(type, rewrite(type, body)));
          if (type === 'S' || type === 'Q' || type === 'H') {
            const messages = Buffer.concat(batch);
            batch = [];
            dispatch(messages, type);
          }
        }
      } catch (error) {
        fatal('08P01', `invalid message: ${error instanceof Error ? error.message : String(error)}`);
      }
    });
  }
}
