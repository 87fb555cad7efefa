// The ALB data plane: HTTP/HTTPS listeners (raw TCP/TLS servers speaking HTTP/1.1 through
// ClientConnection) that evaluate rules and forward requests to target groups over keep-alive
// pools, or answer themselves. Configuration arrives through setListener and setTargetGroup;
// health goes back through targetHealth. A failing target fails only its own request.
import { readFileSync } from 'node:fs';
import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { HttpListenerConfig, TargetGroupConfig, TargetHealthReport } from './config.js';
import { ClientConnection, type ListenerRuntime, type ProxyCore, type ServedRequest } from './client-connection.js';
import { probeTarget } from './health-probe.js';
import { compileRules } from './rules.js';
import { TargetGroupRuntime, type Probe, type TargetRuntime } from './target-group.js';
import { UpstreamPool } from './upstream-pool.js';

export interface HttpProxyOptions {
  /** Replaces the health probe (tests). */
  probe?: Probe;
  /** Called when a request could not be proxied (for logs); never throws into the proxy. */
  onError?: (error: unknown, context: { listenerId: string; targetKey?: string }) => void;
  /** Told of every answered request (the load balancer's metrics); never throws into the proxy. */
  onRequest?: (served: ServedRequest) => void;
}

interface BoundListener {
  runtime: ListenerRuntime;
  server: Server;
}

export class HttpProxy implements ProxyCore {
  readonly #listeners = new Map<string, BoundListener>();
  readonly #groups = new Map<string, TargetGroupRuntime>();
  readonly #probe: Probe;
  readonly #onError: HttpProxyOptions['onError'];
  readonly observer: HttpProxyOptions['onRequest'];

  constructor(options: HttpProxyOptions = {}) {
    this.#probe = options.probe ?? probeTarget;
    this.#onError = options.onError;
    this.observer = options.onRequest;
  }

  group(id: string): TargetGroupRuntime | undefined {
    return this.#groups.get(id);
  }

  pool(group: TargetGroupRuntime, target: TargetRuntime, idleMs: number): UpstreamPool {
    let pool = target.data as UpstreamPool | undefined;
    if (pool === undefined) {
      pool = new UpstreamPool(target.host, target.port, group.config.protocol === 'HTTPS', idleMs);
      target.data = pool;
    }
    return pool;
  }

  reportError(error: unknown, listenerId: string, targetKey?: string): void {
    try {
      this.#onError?.(error, { listenerId, targetKey });
    } catch {
      // a logging hook must never take the proxy down
    }
  }

  /** Creates or updates a target group (targets, health settings, attributes). */
  setTargetGroup(config: TargetGroupConfig): void {
    const existing = this.#groups.get(config.id);
    if (existing) existing.update(config);
    else {
      const group = new TargetGroupRuntime(config, {
        probe: this.#probe,
        onTargetRemoved: (t) => {
          const pool = t.data as UpstreamPool | undefined;
          t.data = undefined;
          pool?.destroy();
        },
      });
      this.#groups.set(config.id, group);
      this.#refreshUse();
    }
  }

  removeTargetGroup(id: string): void {
    const group = this.#groups.get(id);
    if (!group) return;
    this.#groups.delete(id);
    group.close();
  }

  /** The health of every target of a group (empty when the group is unknown). */
  targetHealth(id: string): TargetHealthReport[] {
    return this.#groups.get(id)?.health() ?? [];
  }

  /** Binds (or reconfigures) a listener; resolves with the port it is bound on. */
  async setListener(config: HttpListenerConfig): Promise<number> {
    const existing = this.#listeners.get(config.id);
    const old = existing?.runtime.config;
    if (existing && old && (existing.runtime.port === config.port || config.port === 0) && old.protocol === config.protocol
      && old.certFile === config.certFile && old.keyFile === config.keyFile && old.host === config.host) {
      const runtime = existing.runtime;
      runtime.config = config;
      runtime.rules = compileRules(config.rules);
      runtime.idleMs = config.idleTimeoutSeconds * 1000;
      this.#refreshUse();
      return runtime.port;
    }
    const runtime: ListenerRuntime = {
      config,
      rules: compileRules(config.rules),
      proto: config.protocol === 'HTTPS' ? 'https' : 'http',
      port: 0,
      portText: '',
      idleMs: config.idleTimeoutSeconds * 1000,
      connections: new Set(),
    };
    const accept = (socket: Socket): void => {
      socket.on('error', () => socket.destroy());
      new ClientConnection(socket, runtime, this);
    };
    const server =
      config.protocol === 'HTTPS'
        ? createTlsServer({ cert: readFileSync(config.certFile ?? ''), key: readFileSync(config.keyFile ?? ''), ALPNProtocols: ['http/1.1'] }, accept)
        : createNetServer({ noDelay: true }, accept);
    if (config.protocol === 'HTTPS') server.on('tlsClientError', () => undefined);
    // A moved listener binds its new port first, so that a port conflict leaves the old one serving.
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: config.host, port: config.port, backlog: 4096 }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (error) => this.reportError(error, config.id));
    runtime.port = (server.address() as AddressInfo).port;
    runtime.portText = String(runtime.port);
    if (existing) await this.removeListener(config.id);
    this.#listeners.set(config.id, { runtime, server });
    this.#refreshUse();
    return runtime.port;
  }

  async removeListener(id: string): Promise<void> {
    const listener = this.#listeners.get(id);
    if (!listener) return;
    this.#listeners.delete(id);
    this.#refreshUse();
    await new Promise<void>((resolve) => {
      listener.server.close(() => resolve());
      for (const c of listener.runtime.connections) c.destroy();
    });
  }

  /** The port a listener is bound on, if it is bound. */
  listenerPort(id: string): number | undefined {
    return this.#listeners.get(id)?.runtime.port;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#listeners.keys()].map((id) => this.removeListener(id)));
    for (const group of this.#groups.values()) group.close();
    this.#groups.clear();
  }

  #refreshUse(): void {
    const used = new Set<string>();
    for (const l of this.#listeners.values()) {
      for (const r of l.runtime.config.rules) if (r.action.type === 'forward') for (const g of r.action.targetGroups) used.add(g.id);
    }
    for (const [id, group] of this.#groups) group.setInUse(used.has(id));
  }
}
