// The NLB data plane: TCP listeners that pick a target per connection by a hash of the flow's
// 5-tuple and splice bytes both ways. Target groups, health checks and draining are shared with
// the HTTP data plane (@atoll/http-proxy). Client IP preservation in user space is only possible
// with PROXY protocol v2 (target group attribute proxy_protocol_v2.enabled): without it a target
// sees the proxy's address, as the OS gives no way to spoof the source without privileges.
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { isIPv4 } from 'node:net';
import { TargetGroupRuntime, probeTarget, type Probe, type TargetGroupConfig, type TargetHealthReport, type TargetRuntime } from '@atoll/http-proxy';

export interface TcpListenerConfig {
  /** The listener's ARN. */
  id: string;
  host: string;
  /** 0 picks a free port; the bound port is returned by setListener. */
  port: number;
  /** The target group that the listener's default action forwards to. */
  targetGroupId: string;
  /** Seconds of silence after which a flow is closed (NLB: 350 by default). */
  idleTimeoutSeconds?: number;
}

export interface TcpProxyOptions {
  probe?: Probe;
  onError?: (error: unknown, context: { listenerId: string; targetKey?: string }) => void;
}

interface ListenerRuntime {
  config: TcpListenerConfig;
  server: Server;
  port: number;
  sockets: Set<Socket>;
}

/** FNV-1a over the flow's 5-tuple (protocol 6 = TCP). */
export function flowHash(srcIp: string, srcPort: number, dstIp: string, dstPort: number): number {
  let h = 0x811c9dc5;
  const text = `${srcIp}|${srcPort}|${dstIp}|${dstPort}|6`;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const PP2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);

function ipv6Bytes(ip: string): Buffer {
  const out = Buffer.alloc(16);
  let text = ip;
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  const [head, rest] = text.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const r = rest !== undefined && rest !== '' ? rest.split(':') : [];
  const groups = rest === undefined ? h : [...h, ...new Array<string>(8 - h.length - r.length).fill('0'), ...r];
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g || '0', 16), i * 2));
  return out;
}

/** A PROXY protocol v2 header announcing the client's address to the target. */
export function proxyProtocolV2Header(srcIp: string, srcPort: number, dstIp: string, dstPort: number): Buffer {
  const src = srcIp.startsWith('::ffff:') && isIPv4(srcIp.slice(7)) ? srcIp.slice(7) : srcIp;
  const dst = dstIp.startsWith('::ffff:') && isIPv4(dstIp.slice(7)) ? dstIp.slice(7) : dstIp;
  if (isIPv4(src) && isIPv4(dst)) {
    const header = Buffer.alloc(16 + 12);
    PP2_SIGNATURE.copy(header, 0);
    header[12] = 0x21; // version 2, PROXY
    header[13] = 0x11; // AF_INET, STREAM
    header.writeUInt16BE(12, 14);
    src.split('.').forEach((o, i) => (header[16 + i] = Number(o)));
    dst.split('.').forEach((o, i) => (header[20 + i] = Number(o)));
    header.writeUInt16BE(srcPort, 24);
    header.writeUInt16BE(dstPort, 26);
    return header;
  }
  const header = Buffer.alloc(16 + 36);
  PP2_SIGNATURE.copy(header, 0);
  header[12] = 0x21;
  header[13] = 0x21; // AF_INET6, STREAM
  header.writeUInt16BE(36, 14);
  ipv6Bytes(isIPv4(src) ? `::ffff:${src}` : src).copy(header, 16);
  ipv6Bytes(isIPv4(dst) ? `::ffff:${dst}` : dst).copy(header, 32);
  header.writeUInt16BE(srcPort, 48);
  header.writeUInt16BE(dstPort, 50);
  return header;
}

export class TcpProxy {
  readonly #listeners = new Map<string, ListenerRuntime>();
  readonly #groups = new Map<string, TargetGroupRuntime>();
  readonly #probe: Probe;
  readonly #onError: TcpProxyOptions['onError'];

  constructor(options: TcpProxyOptions = {}) {
    this.#probe = options.probe ?? probeTarget;
    this.#onError = options.onError;
  }

  #report(error: unknown, listenerId: string, targetKey?: string): void {
    try {
      this.#onError?.(error, { listenerId, targetKey });
    } catch {
      // never let a logging hook break a flow
    }
  }

  setTargetGroup(config: TargetGroupConfig): void {
    const existing = this.#groups.get(config.id);
    if (existing) existing.update(config);
    else {
      this.#groups.set(
        config.id,
        new TargetGroupRuntime(config, {
          probe: this.#probe,
          // A target that leaves for good (deregistration delay over) loses its remaining flows.
          onTargetRemoved: (t) => {
            const flows = t.data as Set<Socket> | undefined;
            if (flows) for (const s of flows) s.destroy();
            t.data = undefined;
          },
        }),
      );
      this.#refreshUse();
    }
  }

  removeTargetGroup(id: string): void {
    const group = this.#groups.get(id);
    if (!group) return;
    this.#groups.delete(id);
    group.close();
  }

  targetHealth(id: string): TargetHealthReport[] {
    return this.#groups.get(id)?.health() ?? [];
  }

  async setListener(config: TcpListenerConfig): Promise<number> {
    const existing = this.#listeners.get(config.id);
    if (existing && (existing.port === config.port || config.port === 0) && existing.config.host === config.host) {
      existing.config = config;
      this.#refreshUse();
      return existing.port;
    }
    const server = createServer({ noDelay: true });
    const listener: ListenerRuntime = { config, server, port: 0, sockets: new Set() };
    server.on('connection', (socket) => this.#accept(listener, socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: config.host, port: config.port, backlog: 4096 }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (error) => this.#report(error, config.id));
    listener.port = (server.address() as AddressInfo).port;
    // A moved listener binds its new port first, so that a port conflict leaves the old one serving.
    if (existing) await this.removeListener(config.id);
    this.#listeners.set(config.id, listener);
    this.#refreshUse();
    return listener.port;
  }

  async removeListener(id: string): Promise<void> {
    const listener = this.#listeners.get(id);
    if (!listener) return;
    this.#listeners.delete(id);
    this.#refreshUse();
    await new Promise<void>((resolve) => {
      listener.server.close(() => resolve());
      for (const s of listener.sockets) s.destroy();
    });
  }

  listenerPort(id: string): number | undefined {
    return this.#listeners.get(id)?.port;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#listeners.keys()].map((id) => this.removeListener(id)));
    for (const g of this.#groups.values()) g.close();
    this.#groups.clear();
  }

  #refreshUse(): void {
    const used = new Set<string>();
    for (const l of this.#listeners.values()) used.add(l.config.targetGroupId);
    for (const [id, g] of this.#groups) g.setInUse(used.has(id));
  }

  #accept(listener: ListenerRuntime, client: Socket): void {
    const group = this.#groups.get(listener.config.targetGroupId);
    const srcIp = client.remoteAddress ?? '';
    const srcPort = client.remotePort ?? 0;
    const dstIp = client.localAddress ?? '';
    const dstPort = client.localPort ?? 0;
    const target: TargetRuntime | undefined = group?.pickByHash(flowHash(srcIp, srcPort, dstIp, dstPort));
    if (group === undefined || target === undefined) {
      // NLB resets flows that have no healthy target.
      client.on('error', () => undefined);
      client.resetAndDestroy();
      return;
    }
    new Flow(this, listener, group, target, client, group.config.proxyProtocolV2 ? proxyProtocolV2Header(srcIp, srcPort, dstIp, dstPort) : undefined);
  }

  /** Reports a flow's failure to the error hook. */
  flowError(error: unknown, listenerId: string, targetKey: string): void {
    this.#report(error, listenerId, targetKey);
  }
}

/**
 * One client flow spliced to one target. Bytes are moved by 'data' handlers with backpressure
 * (cheaper to set up than stream pipes, which matters for new connections per second).
 */
class Flow {
  readonly #proxy: TcpProxy;
  readonly #listener: ListenerRuntime;
  readonly #group: TargetGroupRuntime;
  readonly #target: TargetRuntime;
  readonly #client: Socket;
  readonly #upstream: Socket;
  #done = false;

  constructor(proxy: TcpProxy, listener: ListenerRuntime, group: TargetGroupRuntime, target: TargetRuntime, client: Socket, header: Buffer | undefined) {
    this.#proxy = proxy;
    this.#listener = listener;
    this.#group = group;
    this.#target = target;
    this.#client = client;
    target.inFlight++;
    let flows = target.data as Set<Socket> | undefined;
    if (flows === undefined) {
      flows = new Set();
      target.data = flows;
    }
    flows.add(client);
    listener.sockets.add(client);
    const upstream = connect({ host: target.host, port: target.port, noDelay: true });
    this.#upstream = upstream;
    if (header !== undefined) upstream.write(header);
    client.setTimeout((listener.config.idleTimeoutSeconds ?? 350) * 1000);
    client.on('timeout', this.#destroyBoth);
    client.on('data', this.#fromClient);
    upstream.on('data', this.#fromTarget);
    client.on('drain', this.#resumeTarget);
    upstream.on('drain', this.#resumeClient);
    client.on('end', this.#clientEnded);
    upstream.on('end', this.#targetEnded);
    client.on('error', this.#destroyBoth);
    upstream.on('error', this.#targetError);
    client.on('close', this.#closed);
    upstream.on('close', this.#closed);
  }

  readonly #fromClient = (chunk: Buffer): void => {
    if (!this.#upstream.write(chunk)) this.#client.pause();
  };

  readonly #fromTarget = (chunk: Buffer): void => {
    if (!this.#client.write(chunk)) this.#upstream.pause();
  };

  readonly #resumeTarget = (): void => {
    this.#upstream.resume();
  };

  readonly #resumeClient = (): void => {
    this.#client.resume();
  };

  readonly #clientEnded = (): void => {
    this.#upstream.end();
  };

  readonly #targetEnded = (): void => {
    this.#client.end();
  };

  readonly #destroyBoth = (): void => {
    this.#client.destroy();
    this.#upstream.destroy();
  };

  readonly #targetError = (error: Error): void => {
    this.#proxy.flowError(error, this.#listener.config.id, this.#target.key);
    // A target that refuses or resets the flow resets the client too, as NLB does.
    if (!this.#client.destroyed) this.#client.resetAndDestroy();
    this.#upstream.destroy();
  };

  readonly #closed = (): void => {
    if (this.#client.destroyed && this.#upstream.destroyed) {
      if (this.#done) return;
      this.#done = true;
      (this.#target.data as Set<Socket> | undefined)?.delete(this.#client);
      this.#listener.sockets.delete(this.#client);
      this.#group.release(this.#target);
      return;
    }
    // One side is gone: once its bytes are flushed, the other side ends too.
    if (this.#client.destroyed) this.#upstream.end();
    else this.#client.end();
  };
}
