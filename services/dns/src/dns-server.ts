// The authoritative DNS server (UDP and TCP on one port): its own small chain per query, in the
// style of the edge: decode (dns-packet) → check (opcode, one question) → answer (DnsAnswerer) or
// forward → encode with EDNS(0) and truncation. Malformed packets of 12 bytes or more answer
// FORMERR with their id; shorter ones are dropped. A burst of queries is served in arrival order,
// each in one synchronous step (no store reads on this path).
//
// Known limitations: no DNSSEC, no zone transfers (AXFR/IXFR answer NOTIMP), no name compression
// beyond what dns-packet writes; forwarding (ATOLL_DNS_FORWARD) relays the query packet to one
// upstream over UDP, with a 2 s timeout and no TCP retry.
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server, type Socket as TcpSocket } from 'node:net';
import { getServers } from 'node:dns';
import * as packet from 'dns-packet';
import type { Answer, DecodedPacket, Packet } from 'dns-packet';
import type { Logger } from '@atoll/core';
import type { DnsAnswerer } from './dns-answer.js';

const RCODES = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
type RcodeName = keyof typeof RCODES;
const CLASSIC_UDP = 512;
const MAX_UDP = 4096;
const TCP_IDLE_MS = 10_000;
const MAX_TCP_CONNECTIONS = 512;
const FORWARD_TIMEOUT_MS = 2000;

export interface DnsServerOptions {
  host: string;
  /** 0 for any free port. */
  port: number;
  /** `host[:port]` of an upstream resolver, or `system` for the first of the system's; undefined: refuse. */
  forward?: string;
  logger: Logger;
}

export class DnsServer {
  #udp: Socket | undefined;
  #tcp: Server | undefined;
  #connections = new Set<TcpSocket>();
  #forwarder: Socket | undefined;
  #pending = new Map<number, { reply: (buf: Buffer) => void; timer: NodeJS.Timeout; id: number }>();
  #nextForwardId = 1;
  port = 0;
  /** Queries answered, by transport (the bench reads them). */
  readonly counts = { udp: 0, tcp: 0, formerr: 0 };

  constructor(
    private readonly answerer: DnsAnswerer,
    private readonly options: DnsServerOptions,
  ) {}

  /** Binds UDP and TCP on one port (a free one when `port` is 0). */
  async listen(): Promise<void> {
    const family = this.options.host.includes(':') ? 'udp6' : 'udp4';
    for (let attempt = 0; ; attempt++) {
      const udp = createSocket({ type: family, reuseAddr: false });
      try {
        await new Promise<void>((resolve, reject) => {
          udp.once('error', reject);
          udp.bind(this.options.port, this.options.host, () => {
            udp.off('error', reject);
            resolve();
          });
        });
        const port = udp.address().port;
        const tcp = createServer({ pauseOnConnect: false }, (socket) => this.onTcp(socket));
        await new Promise<void>((resolve, reject) => {
          tcp.once('error', reject);
          tcp.listen(port, this.options.host, () => {
            tcp.off('error', reject);
            resolve();
          });
        });
        tcp.maxConnections = MAX_TCP_CONNECTIONS;
        udp.on('message', (msg, rinfo) => this.onUdp(msg, rinfo.address, rinfo.port));
        udp.on('error', (error) => this.options.logger.warn({ err: error }, 'dns: udp error'));
        this.#udp = udp;
        this.#tcp = tcp;
        this.port = port;
        return;
      } catch (error) {
        udp.close();
        // Port 0: the free UDP port may be taken on TCP; try another.
        if (this.options.port !== 0 || attempt >= 5) throw error;
      }
    }
  }

  async close(): Promise<void> {
    for (const p of this.#pending.values()) clearTimeout(p.timer);
    this.#pending.clear();
    this.#forwarder?.close();
    this.#udp?.close();
    for (const socket of this.#connections) socket.destroy();
    await new Promise<void>((resolve) => (this.#tcp ? this.#tcp.close(() => resolve()) : resolve()));
  }

  private onUdp(msg: Buffer, address: string, port: number): void {
    this.counts.udp++;
    this.handle(msg, true, (out) => this.#udp?.send(out, port, address));
  }

  private onTcp(socket: TcpSocket): void {
    this.#connections.add(socket);
    socket.setTimeout(TCP_IDLE_MS, () => socket.destroy());
    socket.on('close', () => this.#connections.delete(socket));
    socket.on('error', () => socket.destroy());
    let buffered: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
      while (buffered.length >= 2) {
        const len = buffered.readUInt16BE(0);
        if (buffered.length < 2 + len) break;
        const msg = buffered.subarray(2, 2 + len);
        buffered = buffered.subarray(2 + len);
        this.counts.tcp++;
        this.handle(msg, false, (out) => {
          if (socket.destroyed) return;
          const framed = Buffer.allocUnsafe(2 + out.length);
          framed.writeUInt16BE(out.length, 0);
          out.copy(framed, 2);
          socket.write(framed);
        });
      }
    });
  }

  /** One query: decode, answer, encode (truncated to the client's UDP size). */
  handle(msg: Buffer, udp: boolean, reply: (out: Buffer) => void): void {
    if (msg.length < 12) return;
    let query: DecodedPacket;
    try {
      query = packet.decode(msg);
    } catch {
      this.counts.formerr++;
      return reply(headerOnly(msg, RCODES.FORMERR));
    }
    if (query.type !== 'query') return;
    const opcode = (query as DecodedPacket & { opcode?: string }).opcode;
    if (opcode !== 'QUERY') return reply(headerOnly(msg, RCODES.NOTIMP));
    const question = query.questions?.[0];
    if (!question || query.questions!.length !== 1) {
      this.counts.formerr++;
      return reply(headerOnly(msg, RCODES.FORMERR));
    }
    const opt = query.additionals?.find((a) => a.type === 'OPT') as (Answer & { udpPayloadSize?: number }) | undefined;
    const limit = udp ? Math.min(MAX_UDP, Math.max(CLASSIC_UDP, opt?.udpPayloadSize ?? CLASSIC_UDP)) : 65535;
    if (question.type === ('AXFR' as typeof question.type) || question.type === ('IXFR' as typeof question.type)) {
      return reply(headerOnly(msg, RCODES.NOTIMP));
    }
    if ((question.class as string) !== 'IN' && (question.class as string) !== 'ANY') return reply(this.encode(query, question, 'REFUSED', false, [], [], opt, limit));
    let result;
    try {
      result = this.answerer.answer(question.name, question.type);
    } catch (error) {
      this.options.logger.warn({ err: error, name: question.name }, 'dns: answer failed');
      return reply(this.encode(query, question, 'SERVFAIL', false, [], [], opt, limit));
    }
    if (result.rcode === 'REFUSED' && this.options.forward) return this.forward(msg, reply);
    reply(this.encode(query, question, result.rcode, result.authoritative, result.answers, result.authorities, opt, limit));
  }

  private encode(
    query: DecodedPacket,
    question: NonNullable<Packet['questions']>[number],
    rcode: RcodeName,
    authoritative: boolean,
    answers: Answer[],
    authorities: Answer[],
    opt: Answer | undefined,
    limit: number,
  ): Buffer {
    const rd = query.flags! & packet.RECURSION_DESIRED;
    const flags = (authoritative ? packet.AUTHORITATIVE_ANSWER : 0) | rd | RCODES[rcode];
    const additionals: Answer[] = opt ? [{ type: 'OPT', name: '.', udpPayloadSize: MAX_UDP, flags: 0, options: [] } as unknown as Answer] : [];
    const response: Packet = { type: 'response', id: query.id, flags, questions: [question], answers, authorities, additionals };
    let out = packet.encode(response);
    if (out.length > limit) {
      // Too large for this UDP client: the header and question only, TC set; it retries over TCP.
      out = packet.encode({ ...response, flags: flags | packet.TRUNCATED_RESPONSE, answers: [], authorities: [] });
    }
    return out;
  }

  /** Relays a query for a name no zone serves to the upstream resolver, under a fresh id. */
  private forward(msg: Buffer, reply: (out: Buffer) => void): void {
    const upstream = this.upstream();
    if (!upstream) return reply(headerOnly(msg, RCODES.REFUSED));
    if (!this.#forwarder) {
      const socket = createSocket(upstream.host.includes(':') ? 'udp6' : 'udp4');
      socket.on('message', (answer) => {
        if (answer.length < 12) return;
        const pending = this.#pending.get(answer.readUInt16BE(0));
        if (!pending) return;
        this.#pending.delete(answer.readUInt16BE(0));
        clearTimeout(pending.timer);
        const out = Buffer.from(answer);
        out.writeUInt16BE(pending.id, 0);
        pending.reply(out);
      });
      socket.on('error', (error) => this.options.logger.warn({ err: error }, 'dns: forwarder error'));
      this.#forwarder = socket;
    }
    const id = this.#nextForwardId;
    this.#nextForwardId = (this.#nextForwardId % 65535) + 1;
    const out = Buffer.from(msg);
    out.writeUInt16BE(id, 0);
    const timer = setTimeout(() => {
      this.#pending.delete(id);
      reply(headerOnly(msg, RCODES.SERVFAIL));
    }, FORWARD_TIMEOUT_MS);
    timer.unref();
    this.#pending.set(id, { reply, timer, id: msg.readUInt16BE(0) });
    this.#forwarder.send(out, upstream.port, upstream.host);
  }

  private upstream(): { host: string; port: number } | undefined {
    const spec = this.options.forward === 'system' || this.options.forward === '1' || this.options.forward === 'true' ? getServers()[0] : this.options.forward;
    if (!spec) return undefined;
    const m = /^\[(.+)\](?::(\d+))?$/.exec(spec) ?? /^([^:]+)(?::(\d+))?$/.exec(spec);
    if (m) return { host: m[1]!, port: Number(m[2] ?? 53) };
    return { host: spec, port: 53 };
  }
}

/** A response carrying only the query's header (id, question count 0) and an rcode. */
function headerOnly(msg: Buffer, rcode: number): Buffer {
  const out = Buffer.alloc(12);
  out.writeUInt16BE(msg.readUInt16BE(0), 0);
  const rd = msg.readUInt16BE(2) & 0x0100;
  const opcode = msg.readUInt16BE(2) & 0x7800;
  out.writeUInt16BE(0x8000 | opcode | rd | rcode, 2);
  return out;
}
