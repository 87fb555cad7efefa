// A minimal LDAP server that answers simple binds only, on 127.0.0.1: PostgreSQL's `ldap` method
// (pg_hba.conf, simple-bind mode) hands it the user name and the cleartext password a client sent,
// and the bind succeeds when `verify` says so. This is how RDS IAM database authentication tokens are
// checked by a real PostgreSQL server without the platform on the data path (iam-token.ts).
import { createServer, type Server, type Socket } from 'node:net';

export type BindVerifier = (dn: string, password: string) => Promise<boolean>;

/** One BER element: tag, the value's bytes, and where the element ends. */
function readElement(buffer: Buffer, offset: number): { tag: number; value: Buffer; end: number } | undefined {
  if (offset + 2 > buffer.length) return undefined;
  const tag = buffer[offset]!;
  let length = buffer[offset + 1]!;
  let start = offset + 2;
  if (length & 0x80) {
    const bytes = length & 0x7f;
    if (bytes === 0 || bytes > 4 || start + bytes > buffer.length) return bytes > 4 ? { tag: -1, value: Buffer.alloc(0), end: -1 } : undefined;
    length = 0;
    for (let i = 0; i < bytes; i++) length = length * 256 + buffer[start + i]!;
    start += bytes;
  }
  if (start + length > buffer.length) return undefined;
  return { tag, value: buffer.subarray(start, start + length), end: start + length };
}

function encodeLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n >>= 8) bytes.unshift(n & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function element(tag: number, value: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), encodeLength(value.length), value]);
}

function children(value: Buffer): { tag: number; value: Buffer }[] {
  const out: { tag: number; value: Buffer }[] = [];
  for (let offset = 0; offset < value.length; ) {
    const child = readElement(value, offset);
    if (!child || child.end < 0) break;
    out.push(child);
    offset = child.end;
  }
  return out;
}

/** BindResponse: resultCode 0 (success) or 49 (invalidCredentials). */
export function bindResponse(messageId: Buffer, ok: boolean): Buffer {
  const result = Buffer.concat([element(0x0a, Buffer.from([ok ? 0 : 49])), element(0x04, Buffer.alloc(0)), element(0x04, Buffer.from(ok ? '' : 'invalid token'))]);
  return element(0x30, Buffer.concat([element(0x02, messageId), element(0x61, result)]));
}

export class LdapBindServer {
  readonly #server: Server;
  readonly #verify: BindVerifier;
  readonly #sockets = new Set<Socket>();

  constructor(verify: BindVerifier) {
    this.#verify = verify;
    this.#server = createServer((socket) => this.#serve(socket));
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(0, '127.0.0.1', () => resolve());
    });
    return (this.#server.address() as { port: number }).port;
  }

  #serve(socket: Socket): void {
    this.#sockets.add(socket);
    socket.on('close', () => this.#sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.setTimeout(30_000, () => socket.destroy());
    let pending = Buffer.alloc(0);
    let queue = Promise.resolve();
    socket.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        const message = readElement(pending, 0);
        if (!message) {
          if (pending.length > 64 * 1024) socket.destroy();
          return;
        }
        if (message.end < 0 || message.tag !== 0x30) {
          socket.destroy();
          return;
        }
        pending = pending.subarray(message.end);
        const [id, op] = children(message.value);
        if (!id || !op || id.tag !== 0x02) {
          socket.destroy();
          return;
        }
        if (op.tag === 0x42) {
          socket.end(); // UnbindRequest
          return;
        }
        if (op.tag !== 0x60) {
          socket.destroy(); // only binds are served
          return;
        }
        const [, name, auth] = children(op.value);
        const dn = name?.value.toString('utf8') ?? '';
        const password = auth?.tag === 0x80 ? auth.value.toString('utf8') : '';
        queue = queue.then(async () => {
          const ok = password.length > 0 && (await this.#verify(dn, password).catch(() => false));
          if (!socket.destroyed) socket.write(bindResponse(id.value, ok));
        });
      }
    });
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
