// The API Gateway data plane: serves deployed REST and HTTP APIs on the edge listener, at
// `<apiId>.execute-api[.<region>].localhost:<port>/<stage>/<path>` and at the path form
// `/_atoll/execute-api/<apiId>/<stage>/<path>`. Its own chain, read top to bottom: find the API
// (cached per API until the store's `apigateway.config` signal names it), read the body (10 MB at
// most: 413), then hand the request to the REST API or HTTP API handler.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { randomUUID } from 'node:crypto';
import type { HttpRoute, PlatformContext } from '@atoll/core';
import { ACCOUNT_LEVEL, CONFIG_SIGNAL, type ApiGatewayStore, type Row } from '../apigateway-store.js';
import { HttpApiHandler } from './http-api-handler.js';
import { RestApiHandler } from './rest-api-handler.js';
import { LambdaAuthorizers } from './lambda-authorizer.js';
import { JwtVerifier } from './jwt-authorizer.js';
import { UsagePlans } from './usage-plans.js';
import { StageThrottles } from './stage-throttle.js';
import type { ApiRequest } from './proxy-events.js';
import { sendJson } from './answers.js';
import { WebSocketApis } from './websocket-api.js';

/** `<apiId>.execute-api[.<region>].localhost[:port]` (and AWS's own host names). */
export const EXECUTE_API_HOST = /^([a-z0-9]+)\.execute-api\.(?:([a-z0-9-]+)\.)?(?:localhost|amazonaws\.com)(?::\d+)?$/i;
const PATH_FORM = '/_atoll/execute-api/';
export const MAX_PAYLOAD = 10 * 1024 * 1024;

/** An API as the data plane holds it: its rows, and per-stage views built on first use. */
export interface LoadedApi {
  kind: 'http' | 'rest';
  /** HTTP APIs: `HTTP` or `WEBSOCKET`; REST APIs: `REST`. */
  protocol: string;
  id: string;
  accountId: string;
  region: string;
  rows: Row[];
  /** Per-stage compiled views (the handlers' own caches). */
  views: Map<string, unknown>;
}

class PayloadTooLarge extends Error {}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > MAX_PAYLOAD) {
      req.resume();
      reject(new PayloadTooLarge());
      return;
    }
    if (req.headers['content-length'] === '0' || (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined)) {
      resolve(Buffer.alloc(0));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_PAYLOAD) {
        req.removeAllListeners('data');
        req.resume();
        reject(new PayloadTooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export class ExecuteApi {
  readonly routes: readonly HttpRoute[];
  readonly #store: ApiGatewayStore;
  readonly #platform: PlatformContext;
  readonly #apis = new Map<string, Promise<LoadedApi | undefined>>();
  readonly #unlisten: (() => void)[];
  readonly authorizers: LambdaAuthorizers;
  readonly jwt = new JwtVerifier();
  readonly usagePlans: UsagePlans;
  readonly throttles = new StageThrottles();
  readonly #http: HttpApiHandler;
  readonly #rest: RestApiHandler;
  readonly #websockets: WebSocketApis;
  /** Bumped by every invalidation: a load that started before one does not fill the cache. */
  #generation = 0;

  constructor(platform: PlatformContext, store: ApiGatewayStore) {
    this.#platform = platform;
    this.#store = store;
    this.authorizers = new LambdaAuthorizers(platform);
    this.usagePlans = new UsagePlans(store);
    this.#http = new HttpApiHandler(platform, this);
    this.#rest = new RestApiHandler(platform, this);
    this.#websockets = new WebSocketApis(platform);
    this.#unlisten = [
      store.signals.listen(CONFIG_SIGNAL, (apiId) => {
        this.#generation++;
        if (apiId === ACCOUNT_LEVEL) this.usagePlans.invalidate();
        else {
          this.#apis.delete(apiId);
          this.authorizers.forget(`${apiId}/`);
        }
      }),
      store.signals.listen('atoll.reconnected', () => {
        this.#generation++;
        this.#apis.clear();
        this.usagePlans.invalidate();
      }),
    ];
    const handle = (req: IncomingMessage, res: ServerResponse) => this.handle(req, res);
    const upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => void this.upgrade(req, socket, head);
    this.routes = [
      { method: '*', path: '/*', host: EXECUTE_API_HOST, handle, upgrade },
      { method: '*', path: `${PATH_FORM}*`, handle, upgrade },
    ];
  }

  load(apiId: string): Promise<LoadedApi | undefined> {
    let found = this.#apis.get(apiId);
    if (!found) {
      const generation = this.#generation;
      found = this.#store.loadApi(apiId).then((rows) => {
        if (!rows) return undefined;
        const own = rows.find((r) => r.id === apiId && (r.kind === 'restapi' || r.kind === 'httpapi'))!;
        const protocol = own.kind === 'restapi' ? 'REST' : String((own.doc as { ProtocolType?: string }).ProtocolType ?? 'HTTP');
        return { kind: own.kind === 'restapi' ? 'rest' : 'http', protocol, id: apiId, accountId: own.accountId, region: own.region, rows, views: new Map() } satisfies LoadedApi;
      });
      const current = found;
      this.#apis.set(apiId, current);
      current.then(
        () => {
          if (generation !== this.#generation && this.#apis.get(apiId) === current) this.#apis.delete(apiId);
        },
        () => this.#apis.delete(apiId),
      );
    }
    return found;
  }

  /** The API id, the path after it and the domain name of a request on either invoke form. */
  #target(req: IncomingMessage): { apiId: string; rawPath: string; rawQuery: string; domainName: string } {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const fullPath = q === -1 ? url : url.slice(0, q);
    const rawQuery = q === -1 ? '' : url.slice(q + 1);
    const host = String(req.headers.host ?? '');
    const byHost = EXECUTE_API_HOST.exec(host);
    if (byHost && !fullPath.startsWith(PATH_FORM)) {
      return { apiId: byHost[1]!.toLowerCase(), rawPath: fullPath, rawQuery, domainName: host.replace(/:\d+$/, '') };
    }
    const rest = fullPath.slice(PATH_FORM.length);
    const slash = rest.indexOf('/');
    const apiId = slash === -1 ? rest : rest.slice(0, slash);
    return { apiId, rawPath: slash === -1 ? '/' : rest.slice(slash), rawQuery, domainName: `${apiId}.execute-api.${this.#platform.config.region}.localhost` };
  }

  async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const { apiId, rawPath, rawQuery, domainName } = this.#target(req);
    const api = await this.load(apiId).catch(() => undefined);
    if (!api || api.protocol !== 'WEBSOCKET') {
      socket.end('HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: 23\r\nConnection: close\r\n\r\n{"message":"Forbidden"}');
      return;
    }
    try {
      await this.#websockets.upgrade(api, req, socket, head, rawPath, rawQuery, domainName);
    } catch (error) {
      this.#platform.logger.error({ err: error, apiId }, 'websocket upgrade failed');
      socket.destroy();
    }
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { apiId, rawPath, rawQuery, domainName } = this.#target(req);
    const api = await this.load(apiId).catch(() => undefined);
    if (!api) {
      req.resume();
      // An unknown API: REST APIs' answer (HTTP APIs' ids are looked up the same way).
      return sendJson(res, 403, { message: 'Missing Authentication Token' }, { 'x-amzn-errortype': 'MissingAuthenticationTokenException' });
    }
    let body: Buffer;
    try {
      body = await readBody(req);
    } catch (error) {
      if (error instanceof PayloadTooLarge) return sendJson(res, 413, { message: 'Request Entity Too Large' }, { connection: 'close' });
      res.destroy();
      return;
    }
    const request: ApiRequest = {
      method: req.method ?? 'GET',
      rawPath,
      path: rawPath,
      rawQuery,
      headers: req.headers,
      body,
      sourceIp: (req.socket.remoteAddress ?? '').replace(/^::ffff:/, ''),
      requestId: randomUUID(),
      time: new Date(),
      apiId,
      accountId: api.accountId,
      region: api.region,
      stage: '',
      domainName,
    };
    res.setHeader(api.kind === 'http' ? 'apigw-requestid' : 'x-amzn-requestid', request.requestId);
    try {
      if (api.protocol === 'WEBSOCKET') {
        const m = /^\/[^/]+\/@connections\/([^/]+)$/.exec(rawPath);
        if (m) return this.#websockets.manage(api, request.method, decodeURIComponent(m[1]!), req.headers, body, res);
        return sendJson(res, 403, { message: 'Forbidden' });
      }
      if (api.kind === 'http') await this.#http.handle(api, request, res);
      else await this.#rest.handle(api, request, res);
    } catch (error) {
      this.#platform.logger.error({ err: error, apiId }, 'execute-api request failed');
      if (!res.headersSent) sendJson(res, 500, { message: api.kind === 'http' ? 'Internal Server Error' : 'Internal server error' });
      else res.destroy();
    }
  }

  close(): void {
    for (const stop of this.#unlisten.splice(0)) stop();
    this.#websockets.close();
    this.#apis.clear();
  }
}
