// The composition root: creates the telemetry, the identities and every registered service, wires
// them into the edge and opens the listener. `startAtoll` is what `npm start` and the tests run.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { EventBus, type AtollConfig, type ServiceFactory, type HttpRoute, type Logger, type PlatformContext } from '@atoll/core';
import { AuditLog, createLogger, RequestMetrics } from '@atoll/telemetry';
import { openStorage } from '@atoll/storage/backend';
import { claimDataDir } from '@atoll/storage/snapshot';
import { handleAdminRoute } from './admin/admin-routes.js';
import { PlatformReset } from './admin/platform-reset.js';
import { ConsoleRoutes, isLoopbackHost, loopbackEndpoint } from './console/console-hook.js';
import { RequestPipeline } from './edge/request-pipeline.js';
import { ServiceDirectory } from './edge/service-directory.js';
import { IdentityResolver } from './identity/identity-resolver.js';
import { loadOrCreateRootCredentials, sharedRootCredentials, type RootCredentials } from './identity/root-credentials.js';
import { SERVICES } from './service-registry.js';

export interface StartOptions {
  /** Serve only these services (by model name); all registered ones by default. */
  services?: readonly string[];
  logger?: Logger;
  /** Collect Node process metrics (on by default). */
  processMetrics?: boolean;
  /** Providers to serve besides the registered ones (tests use this to exercise the protocol layer). */
  extraProviders?: readonly ServiceFactory[];
}

export interface AtollHandle {
  readonly config: AtollConfig;
  /** `http://host:port` of the edge. */
  readonly endpoint: string;
  readonly port: number;
  readonly rootCredentials: RootCredentials;
  /** True when this start created the root key (it is printed once). */
  readonly rootCredentialsCreated: boolean;
  readonly rootCredentialsPath: string;
  readonly services: readonly string[];
  readonly logger: Logger;
  /** Resolves once every service has been activated (each is also activated on first use). */
  warmedUp(): Promise<void>;
  /** Per service: operations implemented and operations in its model (activates every service). */
  serviceStatus(): Promise<{ name: string; serviceId: string; implemented: number; total: number; missing: string[] }[]>;
  /** Stops accepting requests, lets in-flight ones finish (up to `graceMs`), closes every service. */
  close(graceMs?: number): Promise<void>;
  /** A one-time, short-lived console sign-in link for the root key; only on a loopback listener. */
  consoleSignInLink(): string | undefined;
}

function matchRoute(route: HttpRoute, req: IncomingMessage, method: string, path: string, host: string | undefined): boolean {
  if (route.method !== '*' && route.method !== method) return false;
  if (route.host && (host === undefined || !route.host.test(host))) return false;
  const pathMatches = typeof route.path !== 'string' ? route.path.test(path) : route.path.endsWith('/*') ? path.startsWith(route.path.slice(0, -1)) : path === route.path;
  return pathMatches && (route.accepts === undefined || route.accepts(req));
}

export async function startAtoll(config: AtollConfig, options: StartOptions = {}): Promise<AtollHandle> {
  mkdirSync(config.dataDir, { recursive: true });
  const logger = options.logger ?? createLogger(config.logLevel);
  const metrics = new RequestMetrics({ processMetrics: options.processMetrics });
  const storage = await openStorage({
    dataDir: config.dataDir,
    databaseUrl: config.databaseUrl,
    blobDir: config.blobDir,
    blobUrl: config.blobUrl,
    onError: (error, what) => logger.warn({ err: error }, `storage: ${what}`),
  });
  const audit = new AuditLog(storage);
  const bus = new EventBus();
  bus.onError((error, event) => logger.error({ err: error, event: event.type }, 'event handler failed'));
  const root =
    storage.engine === 'postgres'
      ? await sharedRootCredentials(storage, config.dataDir, config.accountId)
      : loadOrCreateRootCredentials(config.dataDir, config.accountId);
  const shutdown = new AbortController();
  let endpoint = `http://${config.host}:${config.port}`;
  let routes: HttpRoute[] = [];
  const directory = new ServiceDirectory(() => {
    // Routes for a host come first, then routes by exact path or prefix before patterns, whatever
    // order services start in.
    const rank = (r: HttpRoute) => (r.host ? 0 : typeof r.path === 'string' ? 1 : 2);
    routes = directory
      .active()
      .flatMap((provider) => provider.routes ?? [])
      .sort((a, b) => rank(a) - rank(b));
  });
  const identities = new IdentityResolver(
    root.credentials,
    async () => {
      const iam = directory.get('iam');
      return iam ? (await iam.activate()).identityDirectory : undefined;
    },
    async () => {
      const sts = directory.get('sts');
      return sts ? (await sts.activate()).sessionDirectory : undefined;
    },
  );

  const pipeline = new RequestPipeline({ config, directory, identities, logger, metrics, audit, shutdown: shutdown.signal, endpoint: () => endpoint, bus });
  const platform: PlatformContext = {
    config,
    logger,
    bus,
    auditTrail: audit,
    storage,
    endpoint: () => endpoint,
    call: async <O>(service: string, operation: string, input: unknown, ctx: Parameters<PlatformContext['call']>[3]) =>
      (await pipeline.call(service, operation, input, ctx)) as O,
    authorizeSignedRequest: (request, service, check) => pipeline.authorizeSignedRequest(request, service, check),
  };

  // --- console hook: the web console at /_atoll/console/ (apps/server/src/console) ---
  const consoleRoutes = new ConsoleRoutes({ endpoint: () => loopbackEndpoint(endpoint), region: config.region, root: root.credentials, logger });
  // --- end console hook ---
  const storesOf = new Map<string, readonly string[]>();
  const reset = new PlatformReset({ directory, storage, audit, logger, storesOf: (name) => storesOf.get(name) ?? [name] });

  /** Services owning requests by their Host (API Gateway's execute-api hosts): activated for them. */
  const hostOwners: { hosts: RegExp; name: string }[] = [];
  const only = options.services ?? config.services;
  const wanted = only ? new Set(only) : undefined;
  for (const registration of SERVICES) {
    if (wanted && !wanted.has(registration.name)) continue;
    if (registration.stores) storesOf.set(registration.name, registration.stores);
    if (registration.hosts) hostOwners.push({ hosts: registration.hosts, name: registration.name });
    directory.register(registration.name, async () => {
      const factory = await registration.load();
      return factory({ ...platform, logger: logger.child({ service: registration.name }) });
    });
  }
  for (const factory of options.extraProviders ?? []) {
    const provider = await factory(platform);
    directory.register(provider.service, async () => provider);
  }

  let ready = false;
  let warmedUp = false;
  let warmUp: Promise<void> = Promise.resolve();
  let firstAnswered: (() => void) | undefined;
  let active = 0;
  let idle: (() => void) | undefined;
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    active++;
    res.once('close', () => {
      active--;
      if (firstAnswered) {
        firstAnswered();
        firstAnswered = undefined;
      }
      if (active === 0) idle?.();
    });
    route(req, res);
  };
  const route = (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const rawPath = q === -1 ? url : url.slice(0, q);
    const rawQuery = q === -1 ? '' : url.slice(q + 1);
    const method = req.method ?? 'GET';
    if (rawPath.startsWith('/_atoll/') || (rawPath === '/metrics' && method === 'GET' && !req.headers.authorization && !rawQuery)) {
      if (rawPath === '/_atoll/health') return sendJson(res, 200, { status: 'ok' });
      if (rawPath === '/_atoll/ready') {
        // Ready: listening, and the database answers. The body names the database and blob store this node
        // uses, and the once-only loops it leads.
        const state = { database: storage.database, blobDir: storage.blobDir, blobUrl: storage.blobUrl, leading: storage.leadership.leading() };
        if (!ready) return sendJson(res, 503, { ready, ...state });
        storage.check().then(
          () => sendJson(res, 200, { ready: true, ...state }),
          (error: Error) => sendJson(res, 503, { ready: false, ...state, error: error.message }),
        );
        return;
      }
      if (rawPath === '/metrics') {
        metrics.render().then(
          ({ contentType, body }) => {
            res.writeHead(200, { 'content-type': contentType });
            res.end(body);
          },
          () => sendJson(res, 500, { error: 'metrics unavailable' }),
        );
        return;
      }
    }
    // --- console hook ---
    if (rawPath.startsWith('/_atoll/console') && consoleRoutes.handle(req, res, rawPath, rawQuery)) return;
    // --- end console hook ---
    const host = req.headers.host;
    if (hostOwners.length > 0 && host !== undefined && !warmedUp) {
      const owner = hostOwners.find((o) => o.hosts.test(host));
      const service = owner ? directory.get(owner.name) : undefined;
      if (service && !service.provider) {
        service.activate().then(
          () => route(req, res),
          (error: unknown) => {
            logger.error({ err: error, service: service.name }, 'service failed to start');
            sendJson(res, 503, { message: 'Service Unavailable' });
          },
        );
        return;
      }
    }
    // --- OTLP hook: /v1/traces, /v1/logs, /v1/metrics are the X-Ray service's own routes (its OTLP/HTTP
    // receiver, a data-plane chain outside the AWS API edge); they wait for the warm-up like the others.
    const otlp = rawPath === '/v1/traces' || rawPath === '/v1/logs' || rawPath === '/v1/metrics';
    // --- end OTLP hook ---
    if (!warmedUp && (method === 'OPTIONS' || rawPath.startsWith('/_atoll/') || otlp)) {
      // Non-model routes belong to providers that may not be active yet.
      void warmUp.then(() => route(req, res));
      return;
    }
    if (rawPath.startsWith('/_atoll/') && handleAdminRoute({ config, identities, reset, logger, directory }, req, res, rawPath, rawQuery)) return;
    for (const route of routes) {
      if (!matchRoute(route, req, method, rawPath, host)) continue;
      Promise.resolve(route.handle(req, res, { requestId: '', endpoint, accountId: config.accountId, region: config.region })).catch((error) => {
        logger.error({ err: error, path: rawPath }, 'route failed');
        if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
        else res.destroy();
      });
      return;
    }
    void pipeline.handle(req, res, rawPath, rawQuery);
  };

  const server: Server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, handler);
  // WebSocket upgrades go to the routes that accept them (API Gateway's WebSocket APIs).
  const upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer, retried = false): void => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const rawPath = q === -1 ? url : url.slice(0, q);
    const found = routes.find((r) => r.upgrade && matchRoute(r, req, req.method ?? 'GET', rawPath, req.headers.host));
    if (!found) {
      if (!warmedUp && !retried) void warmUp.then(() => upgrade(req, socket, head, true));
      else socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    try {
      found.upgrade!(req, socket, head);
    } catch (error) {
      logger.error({ err: error, path: rawPath }, 'upgrade failed');
      socket.destroy();
    }
  };
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => upgrade(req, socket, head));
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) return socket.destroy(error);
    const status = error.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  endpoint = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  // Marks the data directory in use: a snapshot is not loaded into it while this platform runs.
  const lock = claimDataDir(config.dataDir, { endpoint });
  ready = true;
  // Warm-up: activate every service in the background (those with background work — queues,
  // tasks, listeners — start it then), and load the metrics library.
  warmUp = (async () => {
    // Requests come first: the warm-up starts once the first request has been answered, or after
    // 100 ms without one.
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 100);
      firstAnswered = () => {
        clearTimeout(timer);
        setImmediate(resolve);
      };
    });
    await audit.open();
    await metrics.load();
    await reset.start().catch((error) => logger.warn({ err: error }, 'reset: not listening for other nodes'));
    for (const failure of await directory.activateAll()) {
      logger.error({ err: failure.error, service: failure.service }, 'service failed to start');
    }
  })().then(
    () => {
      warmedUp = true;
    },
    (error) => {
      warmedUp = true;
      logger.error({ err: error }, 'a service failed to start');
    },
  );

  let closing: Promise<void> | undefined;
  const close = (graceMs = 10_000): Promise<void> => {
    closing ??= (async () => {
      ready = false;
      server.close();
      server.closeIdleConnections();
      if (active > 0) {
        await new Promise<void>((resolve) => {
          idle = resolve;
          setTimeout(resolve, graceMs).unref();
        });
      }
      shutdown.abort();
      server.closeAllConnections();
      await warmUp;
      for (const provider of directory.active().reverse()) {
        try {
          await provider.close?.();
        } catch (error) {
          logger.error({ err: error, service: provider.service }, 'service did not close cleanly');
        }
      }
      reset.close();
      consoleRoutes.close(); // console hook
      await audit.close();
      await storage.close();
      lock.release();
    })();
    return closing;
  };

  return {
    config,
    endpoint,
    port,
    rootCredentials: root.credentials,
    rootCredentialsCreated: root.created,
    rootCredentialsPath: root.path,
    services: directory.all().map((s) => s.name),
    warmedUp: () => warmUp,
    async serviceStatus() {
      await warmUp;
      const out = [];
      for (const service of directory.all()) {
        const provider = await service.activate();
        const model = await directory.model(service.name);
        const all = Object.keys(model.operations);
        const implemented = all.filter((op) => provider.operations[op] !== undefined);
        out.push({
          name: service.name,
          serviceId: model.metadata.serviceId,
          implemented: implemented.length,
          total: all.length,
          missing: all.filter((op) => provider.operations[op] === undefined),
        });
      }
      return out;
    },
    logger,
    close,
    consoleSignInLink: () => (isLoopbackHost(config.host) ? consoleRoutes.signInLink(endpoint) : undefined),
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
