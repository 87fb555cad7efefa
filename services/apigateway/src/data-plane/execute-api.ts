// The API Gateway data plane: serves deployed REST and HTTP APIs on the edge listener, at
// `<apiId>.execute-api[.<region>].localhost:<port>/<stage>/<path>` and at the path form
// `/_atoll/execute-api/<apiId>/<stage>/<path>`, and on custom domain names (any Host that names one:
// custom-domains.ts). Its own chain, read top to bottom: find the API (cached per API until the
// store's `apigateway.config` signal names it), read the body (10 MB at most: 413), then hand the
// request to the REST API or HTTP API handler.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { randomUUID } from 'node:crypto';
import type { HttpRoute, PlatformContext } from '@atoll/core';
import { ACCOUNT_LEVEL, CONFIG_SIGNAL, DOMAINS, type ApiGatewayStore, type Row } from '../apigateway-store.js';
import { CustomDomains, hostName } from './custom-domains.js';
import { HttpApiHandler } from './http-api-handler.js';
import { RestApiHandler } from './rest-api-handler.js';
import { LambdaAuthorizers } from './lambda-authorizer.js';
import { JwtVerifier } from './jwt-authorizer.js';
import { UsagePlans } from './usage-plans.js';
import { StageThrottles } from './stage-throttle.js';
import type { ApiRequest } from './proxy-events.js';
import { sendJson } from './answers.js';
import { beginStageTrace, recordStageSegment } from './stage-trace.js';
import { WebSocketApis } from './websocket-api.js';
import { AccessLogs, type AccessLogSettings } from './access-logs.js';
import { IntegrationRoles } from './integration-role.js';
import { VpcLinkTargets } from './vpc-link-targets.js';

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

/** Whether any stage of the API writes access logs (cached with the API). */
function hasAccessLogs(api: LoadedApi): boolean {
  let found = api.views.get('accessLogs') as boolean | undefined;
  if (found === undefined) {
    found = api.rows.some((r) => r.kind === 'stage' && ((r.doc as { accessLogSettings?: unknown }).accessLogSettings !== undefined || (r.doc as { AccessLogSettings?: unknown }).AccessLogSettings !== undefined));
    api.views.set('accessLogs', found);
  }
  return found;
}

/** Whether the API turned its default execute-api endpoint off (`disableExecuteApiEndpoint`). */
function executeApiDisabled(api: LoadedApi): boolean {
  const doc = api.rows.find((r) => r.id === api.id && (r.kind === 'restapi' || r.kind === 'httpapi'))?.doc as
    | { disableExecuteApiEndpoint?: boolean; DisableExecuteApiEndpoint?: boolean }
    | undefined;
  return doc?.disableExecuteApiEndpoint === true || doc?.DisableExecuteApiEndpoint === true;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** `$context.requestTime`'s CLF form: `03/Dec/2026:15:04:05 +0000`. */
function requestTimeOf(t: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(t.getUTCDate())}/${MONTHS[t.getUTCMonth()]}/${t.getUTCFullYear()}:${p(t.getUTCHours())}:${p(t.getUTCMinutes())}:${p(t.getUTCSeconds())} +0000`;
}

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
  readonly domains: CustomDomains;
  readonly accessLogs: AccessLogs;
  readonly roles: IntegrationRoles;
  readonly vpcLinks: VpcLinkTargets;
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
    this.#websockets = new WebSocketApis(platform, this.authorizers);
    this.domains = new CustomDomains(store);
    this.accessLogs = new AccessLogs(platform);
    this.roles = new IntegrationRoles(platform);
    this.vpcLinks = new VpcLinkTargets(platform);
    const reloadDomains = () => void this.domains.reload().catch((error: unknown) => platform.logger.warn({ err: error }, 'custom domains not reloaded'));
    reloadDomains();
    this.#unlisten = [
      store.signals.listen(CONFIG_SIGNAL, (apiId) => {
        this.#generation++;
        if (apiId === ACCOUNT_LEVEL) this.usagePlans.invalidate();
        else if (apiId === DOMAINS) reloadDomains();
        else {
          this.#apis.delete(apiId);
          this.authorizers.forget(`${apiId}/`);
        }
      }),
      store.signals.listen('atoll.reconnected', () => {
        this.#generation++;
        this.#apis.clear();
        this.usagePlans.invalidate();
        reloadDomains();
      }),
    ];
    const handle = (req: IncomingMessage, res: ServerResponse) => this.handle(req, res);
    const upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => void this.upgrade(req, socket, head);
    this.routes = [
      { method: '*', path: '/*', host: EXECUTE_API_HOST, handle, upgrade },
      { method: '*', path: '/*', host: this.domains.hosts, handle, upgrade },
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

  /**
   * The API id, the path after it and the domain name of a request on either invoke form or on a
   * custom domain (`mapped`, with the path after the mapping's key; apiId '' when no mapping takes it).
   */
  #target(req: IncomingMessage): { apiId: string; rawPath: string; rawQuery: string; domainName: string; mapped?: { stage: string; path: string } } {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const fullPath = q === -1 ? url : url.slice(0, q);
    const rawQuery = q === -1 ? '' : url.slice(q + 1);
    const host = String(req.headers.host ?? '');
    if (!fullPath.startsWith(PATH_FORM) && this.domains.has(host)) {
      const found = this.domains.resolve(host, fullPath);
      return { apiId: found?.apiId ?? '', rawPath: fullPath, rawQuery, domainName: hostName(host), mapped: found ? { stage: found.stage, path: found.path } : { stage: '', path: fullPath } };
    }
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
    const { apiId, rawPath: fullPath, rawQuery, domainName, mapped } = this.#target(req);
    const api = apiId === '' ? undefined : await this.load(apiId).catch(() => undefined);
    // On a custom domain the mapping names the stage; the WebSocket API reads it from the path.
    const rawPath = mapped && mapped.stage ? `/${mapped.stage}${mapped.path === '/' ? '' : mapped.path}` : mapped ? mapped.path : fullPath;
    if (!api || api.protocol !== 'WEBSOCKET' || (!mapped && executeApiDisabled(api))) {
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
    const { apiId, rawPath, rawQuery, domainName, mapped } = this.#target(req);
    const api = apiId === '' ? undefined : await this.load(apiId).catch(() => undefined);
    if (!api && mapped) {
      req.resume();
      // A custom domain with no mapping for the path (or one to a deleted API).
      return sendJson(res, 403, { message: 'Forbidden' }, { 'x-amzn-errortype': 'ForbiddenException' });
    }
    if (api && !mapped && executeApiDisabled(api)) {
      req.resume();
      // disableExecuteApiEndpoint: the API answers on its custom domains only.
      return sendJson(res, 403, { message: 'Forbidden' }, { 'x-amzn-errortype': 'ForbiddenException' });
    }
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
      routePath: mapped ? mapped.path : rawPath,
      ...(mapped?.stage ? { mappedStage: mapped.stage } : {}),
      url: req.url ?? '/',
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
    if (api.protocol !== 'WEBSOCKET') {
      beginStageTrace(request, false);
      res.once('finish', () => recordStageSegment(this.#platform, request, res.statusCode));
    }
    if (hasAccessLogs(api)) res.once('finish', () => this.#accessLog(api, request, res));
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

  /** The stage's access log line for a finished request, when the stage has access log settings. */
  #accessLog(api: LoadedApi, req: ApiRequest, res: ServerResponse): void {
    if (!req.stage) return;
    const stage = api.rows.find((r) => r.kind === 'stage' && r.id === req.stage)?.doc as
      | { accessLogSettings?: AccessLogSettings; AccessLogSettings?: { Format?: string; DestinationArn?: string } }
      | undefined;
    const v2 = stage?.AccessLogSettings;
    const settings = stage?.accessLogSettings ?? (v2?.Format && v2.DestinationArn ? { format: v2.Format, destinationArn: v2.DestinationArn } : undefined);
    if (!settings?.format || !settings.destinationArn) return;
    const length = res.getHeader('content-length');
    this.accessLogs.record(settings, api.id, req.stage, {
      requestId: req.requestId,
      extendedRequestId: req.requestId,
      apiId: api.id,
      accountId: api.accountId,
      stage: req.stage,
      httpMethod: req.method,
      path: req.rawPath,
      resourcePath: req.resourcePath,
      routeKey: req.routeKey,
      status: res.statusCode,
      protocol: 'HTTP/1.1',
      responseLength: length === undefined ? undefined : Number(length),
      requestTime: requestTimeOf(req.time),
      requestTimeEpoch: req.time.getTime(),
      responseLatency: Date.now() - req.time.getTime(),
      domainName: req.domainName,
      'identity.sourceIp': req.sourceIp,
      'identity.userAgent': typeof req.headers['user-agent'] === 'string' ? req.headers['user-agent'] : undefined,
      'identity.caller': req.caller?.caller,
      'identity.user': req.caller?.user,
      'identity.userArn': req.caller?.userArn,
      'identity.accountId': req.caller?.accountId,
    });
  }

  close(): void {
    void this.accessLogs.close();
    for (const stop of this.#unlisten.splice(0)) stop();
    this.#websockets.close();
    this.#apis.clear();
  }
}
