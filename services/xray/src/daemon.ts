// The X-Ray daemon, built in: segment documents over UDP (`{"format":"json","version":1}\n<segment>`
// per datagram, as the X-Ray SDKs send them) and, on the same port over TCP, the sampling proxy the
// SDKs call (POST /GetSamplingRules, POST /SamplingTargets). Address: ATOLL_XRAY_DAEMON_ADDRESS,
// `host:port` for both or `tcp:host:port udp:host:port` (the SDKs' AWS_XRAY_DAEMON_ADDRESS form).
// Datagrams are batched (up to 100 segments or 50 ms) into one store transaction.
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server } from 'node:http';
import type { Logger } from '@atoll/core';

const HEADER = /^\s*\{\s*"format"\s*:\s*"json"\s*,\s*"version"\s*:\s*1\s*\}\s*$/;
const BATCH = 100;
const BATCH_MS = 50;

export interface DaemonAddress {
  udp: { host: string; port: number };
  tcp: { host: string; port: number };
}

/** Parses `host:port` or `tcp:host:port udp:host:port`; undefined for `off`. */
export function parseDaemonAddress(value: string): DaemonAddress | undefined {
  const v = value.trim();
  if (v === 'off' || v === '') return undefined;
  const hostPort = (s: string) => {
    const i = s.lastIndexOf(':');
    const port = Number(s.slice(i + 1));
    if (i <= 0 || !Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid X-Ray daemon address "${value}"`);
    return { host: s.slice(0, i), port };
  };
  const parts = v.split(/\s+/);
  if (parts.length === 1) {
    const a = hostPort(parts[0]!);
    return { udp: a, tcp: a };
  }
  const tcp = parts.find((p) => p.startsWith('tcp:'));
  const udp = parts.find((p) => p.startsWith('udp:'));
  if (!tcp || !udp) throw new Error(`invalid X-Ray daemon address "${value}"`);
  return { tcp: hostPort(tcp.slice(4)), udp: hostPort(udp.slice(4)) };
}

export interface DaemonSink {
  ingest(documents: readonly string[]): Promise<unknown>;
  /** The sampling operations the TCP proxy serves (GetSamplingRules, GetSamplingTargets). */
  sampling(operation: 'GetSamplingRules' | 'GetSamplingTargets', input: Record<string, unknown>): Promise<unknown>;
}

/** Dates as epoch seconds, the rest-json timestamp form the SDKs read. */
function jsonOut(value: unknown): unknown {
  if (value instanceof Date) return value.getTime() / 1000;
  if (Array.isArray(value)) return value.map(jsonOut);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonOut(v)]));
  return value;
}

export class XrayDaemon {
  #udp: Socket | undefined;
  #tcp: Server | undefined;
  #pending: string[] = [];
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();
  /** Bound ports (after start). */
  udpPort = 0;
  tcpPort = 0;
  received = 0;

  constructor(
    readonly sink: DaemonSink,
    readonly logger: Logger,
  ) {}

  async start(address: DaemonAddress): Promise<void> {
    const udp = (this.#udp = createSocket(address.udp.host.includes(':') ? 'udp6' : 'udp4'));
    udp.on('message', (msg) => this.#datagram(msg));
    udp.on('error', (error) => this.logger.warn({ err: error }, 'xray daemon: UDP socket error'));
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(address.udp.port, address.udp.host, () => {
        udp.off('error', reject);
        resolve();
      });
    });
    this.udpPort = udp.address().port;
    const tcp = (this.#tcp = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const op = req.url === '/GetSamplingRules' ? 'GetSamplingRules' : req.url === '/SamplingTargets' ? 'GetSamplingTargets' : undefined;
        if (req.method !== 'POST' || !op) {
          res.writeHead(404, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ message: 'not found' }));
          return;
        }
        let input: Record<string, unknown>;
        try {
          input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
        } catch {
          res.writeHead(400, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ message: 'invalid JSON' }));
          return;
        }
        if (op === 'GetSamplingTargets') {
          const docs = (input.SamplingStatisticsDocuments as Record<string, unknown>[] | undefined) ?? [];
          input.SamplingStatisticsDocuments = docs.map((d) => ({ ...d, Timestamp: new Date(Number(d.Timestamp ?? 0) * 1000) }));
        }
        this.sink.sampling(op, input).then(
          (out) => {
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end(JSON.stringify(jsonOut(out)));
          },
          (error: Error & { status?: number; code?: string }) => {
            res.writeHead(error.status ?? 500, { 'content-type': 'application/json' });
            res.end(JSON.stringify({ __type: error.code, message: error.message }));
          },
        );
      });
    }));
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(address.tcp.port === 0 ? 0 : address.tcp.port, address.tcp.host, () => {
        tcp.off('error', reject);
        resolve();
      });
    });
    const a = tcp.address();
    this.tcpPort = typeof a === 'object' && a ? a.port : 0;
  }

  #datagram(msg: Buffer): void {
    const text = msg.toString('utf8');
    const nl = text.indexOf('\n');
    if (nl < 0 || !HEADER.test(text.slice(0, nl))) {
      this.logger.debug({ bytes: msg.length }, 'xray daemon: datagram without the JSON header dropped');
      return;
    }
    this.received++;
    this.#pending.push(text.slice(nl + 1));
    if (this.#pending.length >= BATCH) this.#flush();
    else this.#timer ??= setTimeout(() => this.#flush(), BATCH_MS);
  }

  #flush(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length === 0) return;
    this.#flushing = this.#flushing.then(() =>
      this.sink.ingest(batch).then(
        () => undefined,
        (error: unknown) => this.logger.warn({ err: error, segments: batch.length }, 'xray daemon: segments not stored'),
      ),
    );
  }

  async close(): Promise<void> {
    this.#flush();
    await this.#flushing;
    await new Promise<void>((resolve) => (this.#udp ? this.#udp.close(() => resolve()) : resolve()));
    await new Promise<void>((resolve) => (this.#tcp ? this.#tcp.close(() => resolve()) : resolve()));
  }
}
