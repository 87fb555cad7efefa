// WebSocket APIs (apigatewayv2, ProtocolType WEBSOCKET) on the data plane: the upgrade at
// `/<stage>` runs the `$connect` route (a non-2xx answer refuses the handshake), each message picks
// its route by the API's RouteSelectionExpression (`$request.body.<field>`, else `$default`), and
// a closed socket runs `$disconnect`. Routes integrate with Lambda (AWS_PROXY) or an HTTP endpoint
// (HTTP_PROXY); a route with a RouteResponseSelectionExpression sends the integration's answer back
// (two-way). The `@connections` API (`POST`/`GET`/`DELETE /<stage>/@connections/<id>`, as
// @aws-sdk/client-apigatewaymanagementapi calls it) posts to, describes and closes connections.
// `$connect` may carry a Lambda REQUEST authorizer (identity sources `route.request.header.x`,
// `route.request.querystring.x`; an IAM policy answer; 401/403 refuse the handshake) or AWS_IAM
// (a SigV4-signed upgrade request); the authorizer's context reaches every route of the connection.
// Known limitations: connections live on the node that accepted them (`@connections` calls reach
// only that node's); `@connections` calls must be SigV4-signed but the signature is not verified;
// route responses beyond the integration's body, and frames over 128 KB are not served.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { randomBytes, randomUUID } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import type { PlatformContext } from '@atoll/core';
import type { HttpApiDoc, HttpAuthorizerDoc, HttpDeploymentDoc, HttpIntegrationDoc, HttpRouteDoc, HttpStageDoc } from '../v2/http-api-records.js';
import type { LambdaAuthorizers } from './lambda-authorizer.js';
import { identityValues } from './identity-source.js';
import { authorizeIam } from './iam-authorization.js';
import type { ApiRequest } from './proxy-events.js';
import { sendJson } from './answers.js';
import type { LoadedApi } from './execute-api.js';
import { invokeFunction } from './lambda-invoke.js';
import { requestTime } from './proxy-events.js';

interface Connection {
  id: string;
  socket: WebSocket;
  apiId: string;
  stage: string;
  connectedAt: Date;
  lastActiveAt: Date;
  sourceIp: string;
  userAgent: string;
  domainName: string;
  headers: Record<string, string>;
  /** The $connect authorizer's context (principalId and its context), for every route. */
  authorizer?: Record<string, unknown>;
}

interface StageRoutes {
  api: HttpApiDoc;
  stage: HttpStageDoc;
  routes: Map<string, HttpRouteDoc>;
  integrations: Map<string, HttpIntegrationDoc>;
  authorizers: Map<string, HttpAuthorizerDoc>;
}

function stageRoutes(api: LoadedApi, name: string): StageRoutes | undefined {
  const doc = api.rows.find((r) => r.kind === 'httpapi')!.doc as unknown as HttpApiDoc;
  const stage = api.rows.find((r) => r.kind === 'stage' && r.id === name)?.doc as unknown as HttpStageDoc | undefined;
  if (!stage) return undefined;
  const of = <D>(kind: string) => api.rows.filter((r) => r.kind === kind).map((r) => r.doc as unknown as D);
  const deployment = stage.DeploymentId ? of<HttpDeploymentDoc>('deployment').find((d) => d.DeploymentId === stage.DeploymentId) : undefined;
  const source = stage.AutoDeploy ? { routes: of<HttpRouteDoc>('route'), integrations: of<HttpIntegrationDoc>('integration'), authorizers: of<HttpAuthorizerDoc>('authorizer') } : deployment?.snapshot;
  if (!source) return undefined;
  return {
    api: doc,
    stage,
    routes: new Map(source.routes.map((r) => [r.RouteKey, r])),
    integrations: new Map(source.integrations.map((i) => [i.IntegrationId, i])),
    authorizers: new Map((source.authorizers ?? []).map((a) => [a.AuthorizerId, a])),
  };
}

/** The route key a message selects: `$request.body.a.b` read from the JSON body. */
export function selectRouteKey(expression: string, body: string): string | undefined {
  const m = /^\$request\.body\.(.+)$/.exec(expression.trim());
  if (!m) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return undefined;
  }
  for (const part of m[1]!.split('.')) value = value && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
  return typeof value === 'string' ? value : undefined;
}

function reject(socket: Duplex, status: number, reason: string): void {
  const body = JSON.stringify({ message: reason });
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

export class WebSocketApis {
  readonly #wss = new WebSocketServer({ noServer: true, maxPayload: 128 * 1024 });
  readonly #connections = new Map<string, Connection>();

  constructor(
    private readonly platform: PlatformContext,
    private readonly authorizers: LambdaAuthorizers,
  ) {}

  async upgrade(api: LoadedApi, req: IncomingMessage, socket: Duplex, head: Buffer, rawPath: string, rawQuery: string, domainName: string): Promise<void> {
    const stageName = rawPath.replace(/^\//, '').split('/')[0] ?? '';
    const view = stageRoutes(api, decodeURIComponent(stageName));
    if (!view) return reject(socket, 403, 'Forbidden');
    const id = randomBytes(10).toString('base64');
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(',') : v;
    const conn: Connection = {
      id,
      socket: undefined as unknown as WebSocket,
      apiId: api.id,
      stage: view.stage.StageName,
      connectedAt: new Date(),
      lastActiveAt: new Date(),
      sourceIp: (req.socket.remoteAddress ?? '').replace(/^::ffff:/, ''),
      userAgent: String(req.headers['user-agent'] ?? ''),
      domainName,
      headers,
    };
    const connect = view.routes.get('$connect');
    if (connect && (connect.AuthorizationType === 'CUSTOM' || connect.AuthorizationType === 'AWS_IAM')) {
      const outcome = await this.#authorizeConnect(api, view, connect, conn, req, rawQuery);
      if (!outcome.ok) return reject(socket, outcome.status, outcome.status === 401 ? 'Unauthorized' : outcome.status === 403 ? 'Forbidden' : 'Internal Server Error');
      conn.authorizer = outcome.authorizer;
    }
    if (connect) {
      const query = rawQuery ? Object.fromEntries(new URLSearchParams(rawQuery)) : undefined;
      const answer = await this.#integrate(api, view, connect, conn, 'CONNECT', undefined, { headers, ...(query ? { queryStringParameters: query } : {}) });
      if (answer.status >= 300) return reject(socket, answer.status === 500 ? 500 : answer.status, answer.status === 500 ? 'Internal Server Error' : 'Forbidden');
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      conn.socket = ws;
      this.#connections.set(id, conn);
      ws.on('message', (data, binary) => {
        conn.lastActiveAt = new Date();
        const body = binary ? Buffer.from(data as Buffer).toString('base64') : String(data);
        void this.#message(api, view, conn, body).catch((error: unknown) => this.platform.logger.warn({ err: error, connectionId: id }, 'websocket message failed'));
      });
      ws.on('close', () => {
        this.#connections.delete(id);
        const disconnect = view.routes.get('$disconnect');
        if (disconnect) void this.#integrate(api, view, disconnect, conn, 'DISCONNECT', undefined, {}).catch(() => undefined);
      });
      ws.on('error', () => ws.terminate());
    });
  }

  /** The $connect route's authorizer: a Lambda REQUEST authorizer (IAM policy answer) or AWS_IAM. */
  async #authorizeConnect(
    api: LoadedApi,
    view: StageRoutes,
    route: HttpRouteDoc,
    conn: Connection,
    req: IncomingMessage,
    rawQuery: string,
  ): Promise<{ ok: true; authorizer?: Record<string, unknown> } | { ok: false; status: 401 | 403 | 500 }> {
    const methodArn = `arn:aws:execute-api:${api.region}:${api.accountId}:${api.id}/${conn.stage}/$connect`;
    const requestId = randomUUID();
    const request: ApiRequest = {
      method: 'GET',
      rawPath: `/${conn.stage}`,
      path: '/',
      rawQuery,
      url: req.url ?? '/',
      headers: req.headers,
      body: Buffer.alloc(0),
      sourceIp: conn.sourceIp,
      requestId,
      time: new Date(),
      apiId: api.id,
      accountId: api.accountId,
      region: api.region,
      stage: conn.stage,
      domainName: conn.domainName,
    };
    if (route.AuthorizationType === 'AWS_IAM') {
      const outcome = await authorizeIam(this.platform, request, methodArn);
      if (!outcome.ok) return { ok: false, status: 403 };
      return { ok: true, authorizer: { principalId: outcome.caller.principalId } };
    }
    const auth = route.AuthorizerId ? view.authorizers.get(route.AuthorizerId) : undefined;
    if (!auth || auth.AuthorizerType !== 'REQUEST') return { ok: false, status: 500 };
    const stageVariables = view.stage.StageVariables ?? {};
    const sources = auth.IdentitySource;
    const identity = identityValues(sources, request, stageVariables);
    const query = new URLSearchParams(rawQuery);
    const multiQuery: Record<string, string[]> = {};
    for (const [k, v] of query) (multiQuery[k] ??= []).push(v);
    const event = {
      type: 'REQUEST',
      methodArn,
      headers: conn.headers,
      multiValueHeaders: Object.fromEntries(Object.entries(conn.headers).map(([k, v]) => [k, [v]])),
      queryStringParameters: Object.fromEntries(query),
      multiValueQueryStringParameters: multiQuery,
      stageVariables,
      requestContext: {
        routeKey: '$connect',
        eventType: 'CONNECT',
        extendedRequestId: requestId,
        requestTime: requestTime(request.time),
        stage: conn.stage,
        connectedAt: conn.connectedAt.getTime(),
        requestTimeEpoch: request.time.getTime(),
        identity: { sourceIp: conn.sourceIp, userAgent: conn.userAgent },
        requestId,
        domainName: conn.domainName,
        connectionId: conn.id,
        apiId: api.id,
      },
    };
    const outcome = await this.authorizers.authorize({
      key: `${api.id}/${auth.AuthorizerId}`,
      uri: auth.AuthorizerUri ?? '',
      identity: sources.length === 0 ? [] : identity,
      ttlSeconds: auth.AuthorizerResultTtlInSeconds ?? 0,
      simple: false,
      event,
      resourceArn: methodArn,
      scope: { accountId: api.accountId, region: api.region, sourceArn: `arn:aws:execute-api:${api.region}:${api.accountId}:${api.id}/authorizers/${auth.AuthorizerId}`, requestId },
    });
    if (!outcome.ok) return outcome;
    return { ok: true, authorizer: { ...outcome.context, ...(outcome.principalId !== undefined ? { principalId: outcome.principalId } : {}) } };
  }

  async #message(api: LoadedApi, view: StageRoutes, conn: Connection, body: string): Promise<void> {
    const key = selectRouteKey(view.api.RouteSelectionExpression, body);
    const route = (key !== undefined ? view.routes.get(key) : undefined) ?? view.routes.get('$default');
    const requestId = randomUUID();
    if (!route) {
      conn.socket.send(JSON.stringify({ message: 'Forbidden', connectionId: conn.id, requestId }));
      return;
    }
    const answer = await this.#integrate(api, view, route, conn, 'MESSAGE', body, {});
    if (answer.status >= 500) conn.socket.send(JSON.stringify({ message: 'Internal server error', connectionId: conn.id, requestId }));
    else if (route.RouteResponseSelectionExpression && answer.body !== undefined) conn.socket.send(answer.body);
  }

  /** Runs a route's integration; the status and body of its answer. */
  async #integrate(api: LoadedApi, view: StageRoutes, route: HttpRouteDoc, conn: Connection, eventType: string, body: string | undefined, extra: Record<string, unknown>): Promise<{ status: number; body?: string }> {
    const integrationId = route.Target?.replace(/^integrations\//, '');
    const integration = integrationId ? view.integrations.get(integrationId) : undefined;
    if (!integration) return { status: eventType === 'CONNECT' ? 200 : 500 };
    const now = new Date();
    const requestId = randomUUID();
    const event = {
      ...extra,
      requestContext: {
        routeKey: route.RouteKey,
        eventType,
        ...(eventType === 'MESSAGE' ? { messageId: randomBytes(8).toString('base64'), messageDirection: 'IN' } : {}),
        extendedRequestId: requestId,
        requestTime: requestTime(now),
        stage: conn.stage,
        connectedAt: conn.connectedAt.getTime(),
        requestTimeEpoch: now.getTime(),
        identity: { sourceIp: conn.sourceIp, userAgent: conn.userAgent },
        ...(conn.authorizer ? { authorizer: conn.authorizer } : {}),
        requestId,
        domainName: conn.domainName,
        connectionId: conn.id,
        apiId: api.id,
      },
      ...(body !== undefined ? { body } : {}),
      isBase64Encoded: false,
    };
    const timeoutMs = integration.TimeoutInMillis ?? 29000;
    if (integration.IntegrationType === 'AWS_PROXY') {
      const sourceArn = `arn:aws:execute-api:${api.region}:${api.accountId}:${api.id}/${conn.stage}/${route.RouteKey}`;
      const outcome = await invokeFunction(this.platform, integration.IntegrationUri ?? '', event, { accountId: api.accountId, region: api.region, sourceArn, requestId }, timeoutMs);
      if (outcome.kind !== 'ok' || outcome.payload === undefined) return { status: 500 };
      try {
        const result = JSON.parse(outcome.payload) as { statusCode?: number; body?: unknown } | null;
        const status = result && typeof result === 'object' && result.statusCode !== undefined ? Number(result.statusCode) : 200;
        const text = result && typeof result === 'object' && 'body' in result ? (typeof result.body === 'string' ? result.body : JSON.stringify(result.body)) : outcome.payload;
        return { status, body: text };
      } catch {
        return { status: 200, body: outcome.payload };
      }
    }
    if (integration.IntegrationType === 'HTTP_PROXY' || integration.IntegrationType === 'HTTP') {
      try {
        const response = await fetch(integration.IntegrationUri ?? '', {
          method: integration.IntegrationMethod && integration.IntegrationMethod !== 'ANY' ? integration.IntegrationMethod : 'POST',
          headers: { 'content-type': 'application/json', 'x-amzn-connection-id': conn.id, 'x-amzn-route-key': route.RouteKey },
          body: body ?? JSON.stringify(event),
          signal: AbortSignal.timeout(timeoutMs),
        });
        return { status: response.status, body: await response.text() };
      } catch {
        return { status: 500 };
      }
    }
    return { status: 500 };
  }

  /** `POST` (send), `GET` (describe) and `DELETE` (close) `/<stage>/@connections/<id>`. */
  manage(api: LoadedApi, method: string, connectionId: string, headers: IncomingMessage['headers'], body: Buffer, res: ServerResponse): void {
    if (typeof headers.authorization !== 'string' || !headers.authorization.startsWith('AWS4-HMAC-SHA256')) {
      return sendJson(res, 403, { message: 'Missing Authentication Token' }, { 'x-amzn-errortype': 'ForbiddenException' });
    }
    const conn = this.#connections.get(connectionId);
    if (!conn || conn.apiId !== api.id) return sendJson(res, 410, { message: null }, { 'x-amzn-errortype': 'GoneException' });
    if (method === 'POST') {
      if (body.length > 128 * 1024) return sendJson(res, 413, { message: 'Payload too large' }, { 'x-amzn-errortype': 'PayloadTooLargeException' });
      conn.socket.send(body.toString('utf8'));
      res.writeHead(200, { 'content-length': '0' });
      res.end();
      return;
    }
    if (method === 'GET') {
      return sendJson(res, 200, { connectedAt: conn.connectedAt.toISOString(), identity: { sourceIp: conn.sourceIp, userAgent: conn.userAgent }, lastActiveAt: conn.lastActiveAt.toISOString() });
    }
    if (method === 'DELETE') {
      conn.socket.close(1000);
      res.writeHead(204);
      res.end();
      return;
    }
    sendJson(res, 405, { message: 'Method Not Allowed' });
  }

  close(): void {
    for (const conn of this.#connections.values()) conn.socket.terminate();
    this.#connections.clear();
    this.#wss.close();
  }
}
