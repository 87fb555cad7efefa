// REST APIs (apigateway v1) on the data plane: the stage (first path segment) serves its
// deployment's frozen resources; the resource is the most specific path template, the method the
// request's or ANY; a method that requires an API key goes through the usage plans; then the
// integration: AWS_PROXY (Lambda, the v1 proxy event), HTTP_PROXY, or one with mapping templates
// (MOCK, HTTP, AWS to Lambda and to other services (aws-integration.ts): mapping-templates.ts,
// integration responses chosen by selection pattern).
// Answers in AWS's words: `Missing Authentication Token` 403 for an unknown stage, path or method,
// `Forbidden` 403 for a bad API key, 429 `Too Many Requests`/`Limit Exceeded`, `Internal server
// error` 502 for a malformed Lambda result (500 when the invoke is refused), `Endpoint request
// timed out` 504.
// Known limitations: IAM and Cognito authorizers, AWS integrations to S3, request validators,
// binary media types, gateway responses and access logs are not served yet.
import type { ServerResponse } from 'node:http';
import type { PlatformContext } from '@atoll/core';
import type { MethodDoc, ResourceDoc, RestAuthorizerDoc, RestDeploymentDoc, RestStageDoc } from '../v1/rest-api-records.js';
import { sendJson, sendResult } from './answers.js';
import type { ExecuteApi, LoadedApi } from './execute-api.js';
import { forward } from './http-forward.js';
import { executeApiArn, identityValues } from './identity-source.js';
import { functionArnOf, invokeFunction } from './lambda-invoke.js';
import { callAwsService } from './aws-integration.js';
import { compareSpecificity, compileTemplate, matchTemplate, splitPath, type PathTemplate } from './path-template.js';
import { eventV1, resultV1, type ApiRequest } from './proxy-events.js';
import { mapRequest, mapResponse, selectIntegrationResponse, type TemplateScope } from './mapping-templates.js';
import type { IntegrationDoc } from '../v1/rest-api-records.js';

interface CompiledResource {
  resource: ResourceDoc;
  template: PathTemplate;
}

interface StageView {
  stage: RestStageDoc;
  resources: CompiledResource[];
  authorizers: Map<string, RestAuthorizerDoc>;
}

const MISSING_TOKEN = { message: 'Missing Authentication Token' };
const MISSING_TOKEN_HEADERS = { 'x-amzn-errortype': 'MissingAuthenticationTokenException' };

function buildViews(api: LoadedApi): Map<string, StageView> {
  const deployments = new Map(api.rows.filter((r) => r.kind === 'deployment').map((r) => [r.id, r.doc as unknown as RestDeploymentDoc]));
  const views = new Map<string, StageView>();
  for (const row of api.rows) {
    if (row.kind !== 'stage') continue;
    const stage = row.doc as unknown as RestStageDoc;
    const deployment = deployments.get(stage.deploymentId);
    if (!deployment) continue;
    views.set(stage.stageName, {
      stage,
      resources: deployment.snapshot.resources.map((resource) => ({ resource, template: compileTemplate(resource.path) })),
      authorizers: new Map((deployment.snapshot.authorizers ?? []).map((a) => [a.id, a])),
    });
  }
  return views;
}

function selectResource(view: StageView, parts: string[]): { resource: ResourceDoc; params: Record<string, string> } | undefined {
  let best: { c: CompiledResource; params: Record<string, string> } | undefined;
  for (const c of view.resources) {
    const params = matchTemplate(c.template, parts);
    if (params && (!best || compareSpecificity(c.template, best.c.template) > 0)) best = { c, params };
  }
  return best ? { resource: best.c.resource, params: best.params } : undefined;
}

/** `${stageVariables.name}` and `{param}` in an integration URI. */
function expandUri(uri: string, params: Record<string, string>, variables: Record<string, string>): string {
  return uri
    .replace(/\$\{stageVariables\.([A-Za-z0-9_]+)\}/g, (_m, name: string) => variables[name] ?? '')
    .replace(/\{([A-Za-z0-9._-]+)\+?\}/g, (m, name: string) => params[name] ?? m);
}

export class RestApiHandler {
  constructor(
    private readonly platform: PlatformContext,
    private readonly plane: ExecuteApi,
  ) {}

  async handle(api: LoadedApi, req: ApiRequest, res: ServerResponse): Promise<void> {
    const views = (api.views.get('rest') as Map<string, StageView> | undefined) ?? buildViews(api);
    api.views.set('rest', views);
    const parts = splitPath(req.rawPath);
    const view = parts.length > 0 ? views.get(parts[0]!) : undefined;
    if (!view) return sendJson(res, 403, MISSING_TOKEN, MISSING_TOKEN_HEADERS);
    req.stage = view.stage.stageName;
    req.path = `/${req.rawPath.split('/').slice(2).join('/')}`;
    const selected = selectResource(view, parts.slice(1));
    const method: MethodDoc | undefined = selected ? (selected.resource.resourceMethods?.[req.method] ?? selected.resource.resourceMethods?.ANY) : undefined;
    if (!selected || !method) return sendJson(res, 403, MISSING_TOKEN, MISSING_TOKEN_HEADERS);
    const { resource, params } = selected;
    const variables = view.stage.variables ?? {};
    const settings = view.stage.methodSettings ?? {};
    const limits = { ...settings['*/*'], ...settings[`${resource.path.replace(/^\//, '')}/${method.httpMethod}`] };
    if (!this.plane.throttles.take(`${api.id}/${req.stage}/${resource.id}/${method.httpMethod}`, limits.throttlingRateLimit, limits.throttlingBurstLimit)) {
      return sendJson(res, 429, { message: 'Too Many Requests' });
    }
    let apiKey: { value: string; id: string } | undefined;
    if (method.apiKeyRequired) {
      const value = req.headers['x-api-key'];
      const decision = await this.plane.usagePlans.check({ accountId: api.accountId, region: api.region, apiId: api.id, stage: req.stage }, typeof value === 'string' ? value : undefined);
      if (!decision.ok) return sendJson(res, decision.status, { message: decision.message }, decision.status === 403 ? { 'x-amzn-errortype': 'ForbiddenException' } : {});
      apiKey = { value: decision.key.value, id: decision.key.id };
    }
    let authorizer: Record<string, unknown> | undefined;
    if (method.authorizationType === 'CUSTOM') {
      const auth = method.authorizerId ? view.authorizers.get(method.authorizerId) : undefined;
      if (!auth || auth.type === 'COGNITO_USER_POOLS') return sendJson(res, 500, { message: null }, { 'x-amzn-errortype': 'AuthorizerConfigurationException' });
      const outcome = await this.authorize(api, auth, req, resource, params, variables);
      if (!outcome.ok) {
        if (outcome.status === 401) return sendJson(res, 401, { message: 'Unauthorized' }, { 'x-amzn-errortype': 'UnauthorizedException' });
        if (outcome.status === 403) return sendJson(res, 403, { Message: 'User is not authorized to access this resource with an explicit deny' }, { 'x-amzn-errortype': 'AccessDeniedException' });
        return sendJson(res, 500, { message: null }, { 'x-amzn-errortype': 'AuthorizerConfigurationException' });
      }
      authorizer = outcome.authorizer;
    } else if (method.authorizationType !== 'NONE') return sendJson(res, 500, { message: 'Internal server error' });
    const integration = method.methodIntegration;
    if (!integration) return sendJson(res, 500, { message: 'Internal server error' });
    const timeoutMs = integration.timeoutInMillis ?? 29000;
    switch (integration.type) {
      case 'AWS_PROXY': {
        const event = eventV1(req, { path: resource.path, id: resource.id }, params, variables, {
          ...(apiKey ? { apiKey: apiKey.value, apiKeyId: apiKey.id } : {}),
          ...(authorizer ? { authorizer } : {}),
        });
        const sourceArn = executeApiArn(req, req.method, resource.path);
        const outcome = await invokeFunction(this.platform, integration.uri ?? '', event, { accountId: api.accountId, region: api.region, sourceArn, requestId: req.requestId }, timeoutMs);
        if (outcome.kind === 'timeout') return sendJson(res, 504, { message: 'Endpoint request timed out' });
        if (outcome.kind === 'denied' || outcome.kind === 'failed') return sendJson(res, 500, { message: 'Internal server error' });
        const result = outcome.kind === 'ok' && outcome.payload !== undefined ? resultV1(outcome.payload) : undefined;
        if (!result) return sendJson(res, 502, { message: 'Internal server error' }, { 'x-amzn-errortype': 'InternalServerErrorException' });
        return sendResult(res, result);
      }
      case 'HTTP_PROXY': {
        let url: URL;
        try {
          url = new URL(expandUri(integration.uri ?? '', params, variables));
        } catch {
          return sendJson(res, 500, { message: 'Internal server error' });
        }
        if (req.rawQuery) url.search = url.search ? `${url.search}&${req.rawQuery}` : `?${req.rawQuery}`;
        const httpMethod = !integration.httpMethod || integration.httpMethod === 'ANY' ? req.method : integration.httpMethod;
        forward({ method: httpMethod, url, headers: req.headers, body: req.body, sourceIp: req.sourceIp, timeoutMs }, res, (failure) => {
          if (failure === 'timeout') sendJson(res, 504, { message: 'Endpoint request timed out' });
          else sendJson(res, 502, { message: 'Internal server error' });
        });
        return;
      }
      case 'MOCK':
      case 'HTTP':
      case 'AWS':
        return this.mapped(api, req, res, integration, { path: resource.path, id: resource.id }, params, variables, authorizer, timeoutMs);
      default:
        return sendJson(res, 500, { message: 'Internal server error' });
    }
  }

  /** A Lambda TOKEN or REQUEST authorizer; its policy must allow `execute-api:Invoke` on the method ARN. */
  private async authorize(
    api: LoadedApi,
    auth: RestAuthorizerDoc,
    req: ApiRequest,
    resource: ResourceDoc,
    params: Record<string, string>,
    variables: Record<string, string>,
  ): Promise<{ ok: true; authorizer: Record<string, unknown> } | { ok: false; status: 401 | 403 | 500 }> {
    const methodArn = executeApiArn(req, req.method, req.path);
    const sources = (auth.identitySource ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    const identity = identityValues(sources, req, variables);
    let event: Record<string, unknown>;
    if (auth.type === 'TOKEN') {
      const token = identity?.[0];
      if (token !== undefined && auth.identityValidationExpression && !new RegExp(`^(?:${auth.identityValidationExpression})$`).test(token)) return { ok: false, status: 401 };
      event = { type: 'TOKEN', methodArn, authorizationToken: token };
    } else {
      const { body: _b, isBase64Encoded: _i, ...rest } = eventV1(req, { path: resource.path, id: resource.id }, params, variables);
      event = { type: 'REQUEST', methodArn, ...rest };
    }
    const outcome = await this.plane.authorizers.authorize({
      key: `${api.id}/${auth.id}`,
      uri: auth.authorizerUri ?? '',
      identity: sources.length === 0 ? [] : identity,
      ttlSeconds: auth.authorizerResultTtlInSeconds ?? 300,
      simple: false,
      event,
      resourceArn: methodArn,
      scope: { accountId: api.accountId, region: api.region, sourceArn: `arn:aws:execute-api:${api.region}:${api.accountId}:${api.id}/authorizers/${auth.id}`, requestId: req.requestId },
    });
    if (!outcome.ok) return outcome;
    return { ok: true, authorizer: { ...outcome.context, ...(outcome.principalId !== undefined ? { principalId: outcome.principalId } : {}) } };
  }

  /**
   * Integrations with mapping templates: MOCK (the request template's `statusCode` selects the
   * response), HTTP (the backend's status does) and AWS to Lambda (the function's errorMessage does).
   */
  private async mapped(
    api: LoadedApi,
    req: ApiRequest,
    res: ServerResponse,
    integration: IntegrationDoc,
    resource: { path: string; id: string },
    params: Record<string, string>,
    variables: Record<string, string>,
    authorizer: Record<string, unknown> | undefined,
    timeoutMs: number,
  ): Promise<void> {
    const scope: TemplateScope = {
      req,
      body: req.body.toString('utf8'),
      pathParameters: params,
      stageVariables: variables,
      resourcePath: resource.path,
      resourceId: resource.id,
      ...(authorizer ? { authorizer } : {}),
    };
    const mapped = mapRequest(integration, scope);
    if (!mapped.ok) return sendJson(res, 415, { message: 'Unsupported Media Type' }, { 'x-amzn-errortype': 'UnsupportedMediaTypeException' });
    let selector = '';
    let backendBody = '';
    let backendHeaders: Record<string, string> = {};
    if (integration.type === 'MOCK') {
      let status: unknown = 200;
      try {
        status = (JSON.parse(mapped.body || '{}') as { statusCode?: unknown }).statusCode ?? 200;
      } catch {
        return sendJson(res, 500, { message: 'Internal server error' });
      }
      selector = String(status);
    } else if (integration.type === 'HTTP') {
      let target: string;
      try {
        target = new URL(expandUri(integration.uri ?? '', params, variables)).toString();
      } catch {
        return sendJson(res, 500, { message: 'Internal server error' });
      }
      const method = !integration.httpMethod || integration.httpMethod === 'ANY' ? req.method : integration.httpMethod;
      try {
        const response = await fetch(target, {
          method,
          headers: { 'content-type': String(req.headers['content-type'] ?? 'application/json') },
          ...(method === 'GET' || method === 'HEAD' ? {} : { body: mapped.body }),
          signal: AbortSignal.timeout(timeoutMs),
        });
        backendBody = await response.text();
        backendHeaders = Object.fromEntries(response.headers);
        selector = String(response.status);
      } catch (error) {
        if ((error as Error).name === 'TimeoutError') return sendJson(res, 504, { message: 'Endpoint request timed out' });
        return sendJson(res, 500, { message: 'Internal server error' });
      }
    } else {
      const uri = integration.uri ?? '';
      if (!/^arn:aws:apigateway:[^:]*:lambda:path\//.test(uri)) {
        const answer = await callAwsService(this.platform, uri, mapped.body, { accountId: api.accountId, region: api.region, requestId: req.requestId });
        if (!answer) return sendJson(res, 500, { message: 'Internal server error' });
        const chosen = selectIntegrationResponse(integration, String(answer.status));
        if (!chosen) return sendJson(res, 500, { message: 'Internal server error' });
        return sendResult(res, mapResponse(chosen, { ...scope, body: answer.body }, { 'content-type': 'application/json' }));
      }
      let event: unknown;
      try {
        event = JSON.parse(mapped.body === '' ? '{}' : mapped.body);
      } catch {
        return sendJson(res, 500, { message: 'Internal server error' });
      }
      const sourceArn = executeApiArn(req, req.method, resource.path);
      const outcome = await invokeFunction(this.platform, functionArnOf(uri), event, { accountId: api.accountId, region: api.region, sourceArn, requestId: req.requestId }, timeoutMs);
      if (outcome.kind === 'timeout') return sendJson(res, 504, { message: 'Endpoint request timed out' });
      if (outcome.kind === 'denied' || outcome.kind === 'failed') return sendJson(res, 500, { message: 'Internal server error' });
      backendBody = outcome.payload ?? '';
      if (outcome.kind === 'function-error') {
        try {
          selector = String((JSON.parse(backendBody) as { errorMessage?: unknown }).errorMessage ?? '');
        } catch {
          selector = backendBody;
        }
      }
    }
    const chosen = selectIntegrationResponse(integration, selector);
    if (!chosen) return sendJson(res, 500, { message: 'Internal server error' });
    const out = mapResponse(chosen, { ...scope, body: backendBody }, backendHeaders);
    sendResult(res, out);
  }
}
