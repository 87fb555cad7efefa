// A tiny DNS client for the tests: one question over UDP (optionally with EDNS) or TCP, with
// dns-packet, so that assertions read the server's real wire answers.
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import * as packet from 'dns-packet';
import type { DecodedPacket, RecordType } from 'dns-packet';

export interface QueryOptions {
  tcp?: boolean;
  /** EDNS(0) UDP payload size to advertise. */
  edns?: number;
  timeoutMs?: number;
}

let nextId = 1;

export function encodeQuery(name: string, type: string, options: QueryOptions = {}): Buffer {
  return packet.encode({
    type: 'query',
    id: (nextId = (nextId % 65535) + 1),
    flags: packet.RECURSION_DESIRED,
    questions: [{ type: type as RecordType, name, class: 'IN' }],
    ...(options.edns ? { additionals: [{ type: 'OPT', name: '.', udpPayloadSize: options.edns, flags: 0, options: [] } as never] } : {}),
  });
}

/** Sends raw bytes over UDP; resolves with the decoded answer, or undefined when none came in time. */
export function sendUdp(port: number, msg: Buffer, timeoutMs = 1000): Promise<(DecodedPacket & { rcode?: string }) | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      resolve(undefined);
    }, timeoutMs);
    socket.once('message', (data) => {
      clearTimeout(timer);
      socket.close();
      resolve(packet.decode(data) as DecodedPacket & { rcode?: string });
    });
    socket.send(msg, port, '127.0.0.1');
  });
}

export function sendTcp(port: number, msg: Buffer): Promise<DecodedPacket & { rcode?: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const framed = Buffer.alloc(2 + msg.length);
    framed.writeUInt16BE(msg.length, 0);
    msg.copy(framed, 2);
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        socket.destroy();
        resolve(packet.decode(buf.subarray(2, 2 + buf.readUInt16BE(0))) as DecodedPacket & { rcode?: string });
      }
    });
    socket.on('error', reject);
    socket.write(framed);
  });
}

export async function query(port: number, name: string, type: string, options: QueryOptions = {}): Promise<DecodedPacket & { rcode?: string }> {
  const msg = encodeQuery(name, type, options);
  if (options.tcp) return sendTcp(port, msg);
  const answer = await sendUdp(port, msg, options.timeoutMs);
  if (!answer) throw new Error(`no answer for ${name} ${type}`);
  return answer;
}

/** The answers' data of one type, as strings or JSON (order-insensitive comparisons sort them). */
export function dataOf(answer: DecodedPacket, type: string): string[] {
  return (answer.answers ?? [])
    .filter((a) => a.type === type)
    .map((a) => {
      const d = (a as { data: unknown }).data;
      if (Array.isArray(d)) return d.map(String).join('|');
      return typeof d === 'string' || Buffer.isBuffer(d) ? String(d) : JSON.stringify(d);
    })
    .sort();
}

/** The platform's DNS port (the Route 53 provider's route). */
export async function dnsPort(endpoint: string): Promise<number> {
  const res = await fetch(`${endpoint}/_atoll/dns`);
  const body = (await res.json()) as { port: number };
  return body.port;
}
