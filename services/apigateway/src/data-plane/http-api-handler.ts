// HTTP APIs (apigatewayv2) on the data plane: the stage (the first path segment, or `$default` at
// the root), CORS preflights answered from the API's CorsConfiguration, the route (method and most
// specific path, then ANY, then `$default`), the authorizer (JWT or Lambda REQUEST), then the
// integration: AWS_PROXY to Lambda (payload 1.0 or 2.0) or HTTP_PROXY. Answers in AWS's words:
// `{"message":"Not Found"}` 404, `Unauthorized` 401, `Forbidden` 403, `Internal Server Error` 500
// (a malformed Lambda result or a denied invoke), `Service Unavailable` 503 (a timeout), 502 for an
// unreachable upstream.
// AWS_IAM routes (iam-authorization.ts), HTTP_PROXY parameter mapping (parameter-mapping.ts) and
// the AWS service integrations (first-class-integrations.ts) are served; WebSocket APIs are
// websocket-api.ts's.
import type { ServerResponse } from 'node:http';
import type { CallerIdentity, PlatformContext } from '@atoll/core';
import type { Row } from '../apigateway-store.js';
import type { CorsDoc, HttpApiDoc, HttpAuthorizerDoc, HttpDeploymentDoc, HttpIntegrationDoc, HttpRouteDoc, HttpStageDoc } from '../v2/http-api-records.js';
import { sendJson, sendResult } from './answers.js';
import type { ExecuteApi, LoadedApi } from './execute-api.js';
import { forward } from './http-forward.js';
import { executeApiArn, identityValues } from './identity-source.js';
import { invokeFunction } from './lambda-invoke.js';
import { authorizeIam, iamAuthorizer } from './iam-authorization.js';
import { mapRequestParameters, mapResponseParameters } from './parameter-mapping.js';
import { callSubtype } from './first-class-integrations.js';
import { RoleNotAssumable } from './integration-role.js';
import { compareSpecificity, compileTemplate, matchTemplate, splitPath, type PathTemplate } from './path-template.js';
import { eventV1, eventV2, resultV1, resultV2, type ApiRequest } from './proxy-events.js';

interface CompiledRoute {
  route: HttpRouteDoc;
  method: string;
  template: PathTemplate;
}

interface StageView {
  stage: HttpStageDoc;
  routes: CompiledRoute[];
  defaultRoute?: HttpRouteDoc;
  integrations: Map<string, HttpIntegrationDoc>;
  authorizers: Map<string, HttpAuthorizerDoc>;
}

interface HttpApiView {
  api: HttpApiDoc;
  stages: Map<string, StageView>;
}

const NOT_FOUND = { message: 'Not Found' };

function buildView(api: LoadedApi): HttpApiView {
  const doc = api.rows.find((r) => r.kind === 'httpapi')!.doc as unknown as HttpApiDoc;
  const of = <D>(kind: Row['kind']) => api.rows.filter((r) => r.kind === kind).map((r) => r.doc as unknown as D);
  const live = { routes: of<HttpRouteDoc>('route'), integrations: of<HttpIntegrationDoc>('integration'), authorizers: of<HttpAuthorizerDoc>('authorizer') };
  const deployments = new Map(of<HttpDeploymentDoc>('deployment').map((d) => [d.DeploymentId, d]));
  const stages = new Map<string, StageView>();
  for (const stage of of<HttpStageDoc>('stage')) {
    const source = stage.AutoDeploy ? live : stage.DeploymentId ? deployments.get(stage.DeploymentId)?.snapshot : undefined;
    if (!source) continue;
    const routes: CompiledRoute[] = [];
    let defaultRoute: HttpRouteDoc | undefined;
    for (const route of source.routes) {
      if (route.RouteKey === '$default') defaultRoute = route;
      else {
        const space = route.RouteKey.indexOf(' ');
        routes.push({ route, method: route.RouteKey.slice(0, space), template: compileTemplate(route.RouteKey.slice(space + 1)) });
      }
    }
    stages.set(stage.StageName, {
      stage,
      routes,
      ...(defaultRoute ? { defaultRoute } : {}),
      integrations: new Map(source.integrations.map((i) => [i.IntegrationId, i])),
      authorizers: new Map(source.authorizers.map((a) => [a.AuthorizerId, a])),
    });
  }
  return { api: doc, stages };
}

/** The route for a request: a method-specific route before ANY, the most specific path first. */
function selectRoute(view: StageView, method: string, parts: string[]): { route: HttpRouteDoc; params: Record<string, string> } | undefined {
  let best: { c: CompiledRoute; params: Record<string, string> } | undefined;
  for (const c of view.routes) {
    if (c.method !== method && c.method !== 'ANY') continue;
    const params = matchTemplate(c.template, parts);
    if (!params) continue;
    if (!best) best = { c, params };
    else {
      const cmp = compareSpecificity(c.template, best.c.template);
      if (cmp > 0 || (cmp === 0 && c.method !== 'ANY' && best.c.method === 'ANY')) best = { c, params };
    }
  }
  if (best) return { route: best.c.route, params: best.params };
  return view.defaultRoute ? { route: view.defaultRoute, params: {} } : undefined;
}

function allowedOrigin(cors: CorsDoc, origin: string): string | undefined {
  const origins = cors.AllowOrigins ?? [];
  if (origins.includes('*')) return cors.AllowCredentials ? origin : '*';
  return origins.some((o) => o.toLowerCase() === origin.toLowerCase()) ? origin : undefined;
}

/** CORS headers for an actual (non-preflight) request with an Origin. */
function corsHeaders(cors: CorsDoc | undefined, origin: string | undefined): Record<string, string> {
  if (!cors || !origin) return {};
  const allowed = allowedOrigin(cors, origin);
  if (!allowed) return {};
  return {
    'access-control-allow-origin': allowed,
    ...(cors.AllowCredentials ? { 'access-control-allow-credentials': 'true' } : {}),
    ...(cors.ExposeHeaders?.length ? { 'access-control-expose-headers': cors.ExposeHeaders.join(',') } : {}),
    ...(allowed !== '*' ? { vary: 'origin' } : {}),
  };
}

export class HttpApiHandler {
  constructor(
    private readonly platform: PlatformContext,
    private readonly plane: ExecuteApi,
  ) {}

  async handle(api: LoadedApi, req: ApiRequest, res: ServerResponse): Promise<void> {
    const view = (api.views.get('http') as HttpApiView | undefined) ?? buildView(api);
    api.views.set('http', view);
    const routePath = req.routePath ?? req.rawPath;
    const parts = splitPath(routePath);
    let stage = req.mappedStage !== undefined ? view.stages.get(req.mappedStage) : parts.length > 0 ? view.stages.get(parts[0]!) : undefined;
    let rest = parts;
    req.path = routePath;
    if (req.mappedStage !== undefined) {
      // A custom domain's mapping named the stage: the whole path after its key is the route's.
    } else if (stage && stage.stage.StageName !== '$default') {
      rest = parts.slice(1);
      req.path = `/${routePath.split('/').slice(2).join('/')}`;
    } else {
      stage = view.stages.get('$default');
    }
    if (!stage) return sendJson(res, 404, NOT_FOUND);
    req.stage = stage.stage.StageName;
    const cors = view.api.CorsConfiguration;
    const origin = typeof req.headers.origin === 'string' ? req.headers.origin : undefined;
    if (cors && req.method === 'OPTIONS' && origin && req.headers['access-control-request-method']) return this.preflight(cors, origin, req, res);
    const selected = selectRoute(stage, req.method, rest);
    if (!selected) return sendJson(res, 404, NOT_FOUND, corsHeaders(cors, origin));
    const { route, params } = selected;
    req.routeKey = route.RouteKey;
    const extra = corsHeaders(cors, origin);
    const limits = { ...stage.stage.DefaultRouteSettings, ...stage.stage.RouteSettings?.[route.RouteKey] };
    if (!this.plane.throttles.take(`${api.id}/${req.stage}/${route.RouteKey}`, limits.ThrottlingRateLimit, limits.ThrottlingBurstLimit)) {
      return sendJson(res, 429, { message: 'Too Many Requests' }, extra);
    }
    const stageVariables = stage.stage.StageVariables ?? {};
    let authorizer: unknown;
    if (route.AuthorizationType === 'JWT' || route.AuthorizationType === 'CUSTOM') {
      const auth = route.AuthorizerId ? stage.authorizers.get(route.AuthorizerId) : undefined;
      if (!auth) return sendJson(res, 500, { message: 'Internal Server Error' }, extra);
      const outcome = await this.authorize(api, auth, route, req, params, stageVariables);
      if (!outcome.ok) {
        const message = outcome.status === 401 ? 'Unauthorized' : outcome.status === 403 ? 'Forbidden' : 'Internal Server Error';
        return sendJson(res, outcome.status, { message }, outcome.status === 401 ? { ...extra, 'www-authenticate': 'Bearer' } : extra);
      }
      authorizer = outcome.authorizer;
    } else if (route.AuthorizationType === 'AWS_IAM') {
      const outcome = await authorizeIam(this.platform, req, executeApiArn(req, req.method, req.path));
      if (!outcome.ok) return sendJson(res, 403, { message: 'Forbidden' }, extra);
      authorizer = iamAuthorizer(outcome.caller);
    }
    const integrationId = route.Target?.startsWith('integrations/') ? route.Target.slice('integrations/'.length) : undefined;
    const integration = integrationId ? stage.integrations.get(integrationId) : undefined;
    if (!integration) return sendJson(res, 500, { message: 'Internal Server Error' }, extra);
    const timeoutMs = integration.TimeoutInMillis ?? 30000;
    let role: CallerIdentity | undefined;
    if (integration.IntegrationType === 'AWS_PROXY' && integration.CredentialsArn) {
      try {
        role = await this.plane.roles.identity(integration.CredentialsArn, { accountId: api.accountId, region: api.region, apiId: api.id, requestId: req.requestId });
      } catch (error) {
        if (!(error instanceof RoleNotAssumable)) throw error;
        this.platform.logger.warn({ err: error, apiId: api.id }, 'integration role not assumed');
        return sendJson(res, 500, { message: 'Internal Server Error' }, extra);
      }
    }
    if (integration.IntegrationType === 'AWS_PROXY' && integration.IntegrationSubtype) {
      const answer = await callSubtype(this.platform, integration.IntegrationSubtype, integration.RequestParameters ?? {}, { req, pathParameters: params, stageVariables }, role);
      const body = Buffer.from(answer.body, 'utf8');
      return sendResult(res, { status: answer.status, headers: { 'content-type': 'application/json' }, body }, extra);
    }
    if (integration.IntegrationType === 'AWS_PROXY') {
      const v1 = integration.PayloadFormatVersion === '1.0';
      const templatePath = route.RouteKey === '$default' ? '$default' : route.RouteKey.slice(route.RouteKey.indexOf(' ') + 1);
      const event = v1
        ? eventV1(req, { path: templatePath, id: route.RouteId }, params, stageVariables, { version: true, ...(authorizer !== undefined ? { authorizer } : {}) })
        : eventV2(req, route.RouteKey, params, stageVariables, authorizer);
      const sourceArn = executeApiArn(req, req.method, req.path);
      const outcome = await invokeFunction(this.platform, integration.IntegrationUri ?? '', event, { accountId: api.accountId, region: api.region, sourceArn, requestId: req.requestId, traceHeader: req.trace?.header }, timeoutMs, role);
      if (outcome.kind === 'timeout') return sendJson(res, 503, { message: 'Service Unavailable' }, extra);
      if (outcome.kind === 'denied' || outcome.kind === 'failed' || outcome.payload === undefined) return sendJson(res, 500, { message: 'Internal Server Error' }, extra);
      const result = outcome.kind === 'function-error' ? undefined : v1 ? resultV1(outcome.payload) : resultV2(outcome.payload);
      if (!result) return sendJson(res, 500, { message: 'Internal Server Error' }, extra);
      return sendResult(res, result, extra);
    }
    if (integration.IntegrationType === 'HTTP_PROXY') {
      let target = integration.IntegrationUri ?? '';
      for (const [name, value] of Object.entries(params)) target = target.replace(`{${name}}`, value).replace(`{${name}+}`, value);
      let url: URL;
      if (integration.ConnectionType === 'VPC_LINK') {
        // A private integration: the listener or Cloud Map service gets the request's own path.
        const base = await this.plane.vpcLinks.base(integration.IntegrationUri ?? '', { accountId: api.accountId, region: api.region, requestId: req.requestId });
        if (!base) return sendJson(res, 503, { message: 'Service Unavailable' }, extra);
        url = new URL(req.path, base);
      } else {
        try {
          url = new URL(target);
        } catch {
          return sendJson(res, 500, { message: 'Internal Server Error' }, extra);
        }
        // The $default route passes the request path on; others send to the URI as configured.
        if (route.RouteKey === '$default') url.pathname = `${url.pathname.replace(/\/$/, '')}${req.path}`;
      }
      if (req.rawQuery) url.search = url.search ? `${url.search}&${req.rawQuery}` : `?${req.rawQuery}`;
      const method = !integration.IntegrationMethod || integration.IntegrationMethod === 'ANY' ? req.method : integration.IntegrationMethod;
      const sources = { req, pathParameters: params, stageVariables };
      let headers = req.headers;
      if (integration.RequestParameters) {
        headers = { ...req.headers };
        mapRequestParameters(integration.RequestParameters, sources, headers, url);
      }
      const mapResponse = integration.ResponseParameters ? (status: number, out: Record<string, string | string[]>) => mapResponseParameters(integration.ResponseParameters, status, out, sources) : undefined;
      forward({ method, url, headers, body: req.body, sourceIp: req.sourceIp, timeoutMs, extraHeaders: extra, ...(mapResponse ? { mapResponse } : {}) }, res, (failure) => {
        if (failure === 'timeout') sendJson(res, 504, { message: 'Service Unavailable' }, extra);
        else sendJson(res, 502, { message: 'Internal Server Error' }, extra);
      });
      return;
    }
    sendJson(res, 500, { message: 'Internal Server Error' }, extra);
  }

  private preflight(cors: CorsDoc, origin: string, req: ApiRequest, res: ServerResponse): void {
    const allowed = allowedOrigin(cors, origin);
    const method = String(req.headers['access-control-request-method']);
    const methods = cors.AllowMethods ?? [];
    if (!allowed || (methods.length > 0 && !methods.includes('*') && !methods.includes(method))) {
      res.writeHead(204);
      res.end();
      return;
    }
    const requested = String(req.headers['access-control-request-headers'] ?? '');
    const headers = cors.AllowHeaders ?? [];
    res.writeHead(204, {
      'access-control-allow-origin': allowed,
      'access-control-allow-methods': methods.includes('*') || methods.length === 0 ? method : methods.join(','),
      ...(headers.length ? { 'access-control-allow-headers': headers.includes('*') ? requested || '*' : headers.join(',') } : {}),
      ...(cors.MaxAge !== undefined ? { 'access-control-max-age': String(cors.MaxAge) } : {}),
      ...(cors.AllowCredentials ? { 'access-control-allow-credentials': 'true' } : {}),
      ...(allowed !== '*' ? { vary: 'origin' } : {}),
    });
    res.end();
  }

  private async authorize(
    api: LoadedApi,
    auth: HttpAuthorizerDoc,
    route: HttpRouteDoc,
    req: ApiRequest,
    params: Record<string, string>,
    stageVariables: Record<string, string>,
  ): Promise<{ ok: true; authorizer: unknown } | { ok: false; status: 401 | 403 | 500 }> {
    const sources = auth.IdentitySource.length > 0 ? auth.IdentitySource : auth.AuthorizerType === 'JWT' ? ['$request.header.Authorization'] : [];
    const identity = identityValues(sources, req, stageVariables);
    if (auth.AuthorizerType === 'JWT') {
      const jwt = auth.JwtConfiguration ?? {};
      const outcome = await this.plane.jwt.verify(identity?.[0], jwt.Issuer ?? '', jwt.Audience ?? [], route.AuthorizationScopes);
      if (!outcome.ok) return outcome;
      return { ok: true, authorizer: { jwt: { claims: outcome.claims, scopes: outcome.scopes.length > 0 ? outcome.scopes : null } } };
    }
    const routeArn = executeApiArn(req, req.method, req.path);
    const v2 = auth.AuthorizerPayloadFormatVersion !== '1.0';
    const event = v2
      ? { ...eventV2(req, route.RouteKey, params, stageVariables), type: 'REQUEST', routeArn, identitySource: identity ?? [] }
      : { ...eventV1(req, { path: route.RouteKey.slice(route.RouteKey.indexOf(' ') + 1), id: route.RouteId }, params, stageVariables, { version: true }), type: 'REQUEST', methodArn: routeArn, identitySource: (identity ?? []).join(',') };
    const outcome = await this.plane.authorizers.authorize({
      key: `${api.id}/${auth.AuthorizerId}`,
      uri: auth.AuthorizerUri ?? '',
      identity: sources.length === 0 ? [] : identity,
      ttlSeconds: auth.AuthorizerResultTtlInSeconds ?? 0,
      simple: v2 && auth.EnableSimpleResponses === true,
      event,
      resourceArn: routeArn,
      scope: { accountId: api.accountId, region: api.region, sourceArn: `arn:aws:execute-api:${api.region}:${api.accountId}:${api.id}/authorizers/${auth.AuthorizerId}`, requestId: req.requestId },
    });
    if (!outcome.ok) return outcome;
    const context = outcome.context;
    return { ok: true, authorizer: v2 ? { lambda: context } : { ...context, ...(outcome.principalId !== undefined ? { principalId: outcome.principalId } : {}) } };
  }
}
