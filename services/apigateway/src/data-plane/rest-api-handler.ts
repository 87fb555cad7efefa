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
// Then, on the way: AWS_IAM methods (iam-authorization.ts), request validation
// (request-validation.ts), and the API's gateway responses over the built-in refusals
// (gateway-responses.ts); AWS integrations to S3 by path are s3-integration.ts's. Known
// limitation: Cognito authorizers are refused at the control plane.
import type { ServerResponse } from 'node:http';
import type { CallerIdentity, PlatformContext } from '@atoll/core';
import type { MethodDoc, RequestValidatorDoc, ResourceDoc, RestAuthorizerDoc, RestDeploymentDoc, RestStageDoc } from '../v1/rest-api-records.js';
import { sendJson, sendResult } from './answers.js';
import type { ExecuteApi, LoadedApi } from './execute-api.js';
import { connectHost, forward } from './http-forward.js';
import { executeApiArn, identityValues } from './identity-source.js';
import { functionArnOf, invokeFunction } from './lambda-invoke.js';
import { callAwsService } from './aws-integration.js';
import { authorizeIam, identityFields } from './iam-authorization.js';
import { compileModels, validateRequest } from './request-validation.js';
import { integrationParameters, type IntegrationParameters } from './integration-parameters.js';
import { callS3 } from './s3-integration.js';
import { RoleNotAssumable } from './integration-role.js';
import { customResponse, sendGatewayResponse, type GatewayResponseDoc } from './gateway-responses.js';
import type { Schema } from './json-schema.js';
import { compareSpecificity, compileTemplate, matchTemplate, splitPath, type PathTemplate } from './path-template.js';
import { eventV1, isBinaryRequest, resultV1, type ApiRequest } from './proxy-events.js';
import { beginStageTrace } from './stage-trace.js';
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
  validators: Map<string, RequestValidatorDoc>;
  models: Map<string, Schema>;
  gatewayResponses: Map<string, GatewayResponseDoc>;
}

/** Answers a refusal of the gateway's own: the API's gateway response for its type, else the built-in answer. */
type Fail = (type: string, status: number, body: Record<string, unknown>, headers?: Record<string, string>, validationError?: string) => void;

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
      validators: new Map((deployment.snapshot.validators ?? []).map((v) => [v.id, v])),
      models: compileModels(deployment.snapshot.models ?? []),
      gatewayResponses: new Map((deployment.snapshot.gatewayResponses ?? []).map((g) => [g.responseType, g])),
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
    const apiDoc = api.rows.find((r) => r.kind === 'restapi')?.doc as { binaryMediaTypes?: string[] } | undefined;
    if (apiDoc?.binaryMediaTypes?.length) req.binaryMediaTypes = apiDoc.binaryMediaTypes;
    // The stage is the first path segment, unless a custom domain's mapping named it.
    const routePath = req.routePath ?? req.rawPath;
    const parts = splitPath(routePath);
    const stageName = req.mappedStage ?? parts[0];
    const view = stageName !== undefined ? views.get(stageName) : undefined;
    if (!view) return sendJson(res, 403, MISSING_TOKEN, MISSING_TOKEN_HEADERS);
    req.stage = view.stage.stageName;
    // A stage with X-Ray tracing enabled starts a trace for a request that carries none.
    if (view.stage.tracingEnabled) beginStageTrace(req, true);
    req.path = req.mappedStage ? routePath : `/${routePath.split('/').slice(2).join('/')}`;
    const selected = selectResource(view, req.mappedStage ? parts : parts.slice(1));
    const method: MethodDoc | undefined = selected ? (selected.resource.resourceMethods?.[req.method] ?? selected.resource.resourceMethods?.ANY) : undefined;
    const variables = view.stage.variables ?? {};
    const fail: Fail = (type, status, body, headers = {}, validationError) => {
      const custom = customResponse(view.gatewayResponses, type, status);
      if (!custom) return sendJson(res, status, body, headers);
      const message = body.message ?? body.Message;
      sendGatewayResponse(res, custom, { type, status, message: message === null || message === undefined ? '' : String(message), headers, ...(validationError !== undefined ? { validationError } : {}) }, {
        req,
        body: '',
        pathParameters: selected?.params ?? {},
        stageVariables: variables,
        resourcePath: selected?.resource.path ?? '',
        resourceId: selected?.resource.id ?? '',
      });
    };
    if (!selected || !method) return fail('MISSING_AUTHENTICATION_TOKEN', 403, MISSING_TOKEN, MISSING_TOKEN_HEADERS);
    const { resource, params } = selected;
    req.resourcePath = resource.path;
    const settings = view.stage.methodSettings ?? {};
    const limits = { ...settings['*/*'], ...settings[`${resource.path.replace(/^\//, '')}/${method.httpMethod}`] };
    if (!this.plane.throttles.take(`${api.id}/${req.stage}/${resource.id}/${method.httpMethod}`, limits.throttlingRateLimit, limits.throttlingBurstLimit)) {
      return fail('THROTTLED', 429, { message: 'Too Many Requests' });
    }
    let apiKey: { value: string; id: string } | undefined;
    if (method.apiKeyRequired) {
      const value = req.headers['x-api-key'];
      const decision = await this.plane.usagePlans.check({ accountId: api.accountId, region: api.region, apiId: api.id, stage: req.stage }, typeof value === 'string' ? value : undefined);
      if (!decision.ok) {
        const type = decision.status === 403 ? 'INVALID_API_KEY' : decision.message === 'Limit Exceeded' ? 'QUOTA_EXCEEDED' : 'THROTTLED';
        return fail(type, decision.status, { message: decision.message }, decision.status === 403 ? { 'x-amzn-errortype': 'ForbiddenException' } : {});
      }
      apiKey = { value: decision.key.value, id: decision.key.id };
    }
    let authorizer: Record<string, unknown> | undefined;
    let caller: Record<string, string | null> | undefined;
    if (method.authorizationType === 'CUSTOM') {
      const auth = method.authorizerId ? view.authorizers.get(method.authorizerId) : undefined;
      if (!auth || auth.type === 'COGNITO_USER_POOLS') return fail('AUTHORIZER_CONFIGURATION_ERROR', 500, { message: null }, { 'x-amzn-errortype': 'AuthorizerConfigurationException' });
      const outcome = await this.authorize(api, auth, req, resource, params, variables);
      if (!outcome.ok) {
        if (outcome.status === 401) return fail('UNAUTHORIZED', 401, { message: 'Unauthorized' }, { 'x-amzn-errortype': 'UnauthorizedException' });
        if (outcome.status === 403) return fail('ACCESS_DENIED', 403, { Message: 'User is not authorized to access this resource with an explicit deny' }, { 'x-amzn-errortype': 'AccessDeniedException' });
        return fail('AUTHORIZER_FAILURE', 500, { message: null }, { 'x-amzn-errortype': 'AuthorizerConfigurationException' });
      }
      authorizer = outcome.authorizer;
    } else if (method.authorizationType === 'AWS_IAM') {
      const outcome = await authorizeIam(this.platform, req, executeApiArn(req, req.method, req.path));
      if (!outcome.ok) {
        const type = outcome.errorType === 'MissingAuthenticationTokenException' ? 'MISSING_AUTHENTICATION_TOKEN' : outcome.errorType === 'AccessDeniedException' ? 'ACCESS_DENIED' : 'INVALID_SIGNATURE';
        return fail(type, outcome.status, outcome.body, { 'x-amzn-errortype': outcome.errorType });
      }
      caller = identityFields(outcome.caller);
      req.caller = caller;
    } else if (method.authorizationType !== 'NONE') return fail('API_CONFIGURATION_ERROR', 500, { message: 'Internal server error' });
    const invalid = validateRequest(method, method.requestValidatorId ? view.validators.get(method.requestValidatorId) : undefined, view.models, req, params);
    if (invalid) return fail(invalid.type, 400, { message: invalid.message }, { 'x-amzn-errortype': 'BadRequestException' }, invalid.validationError);
    const integration = method.methodIntegration;
    if (!integration) return fail('API_CONFIGURATION_ERROR', 500, { message: 'Internal server error' });
    const timeoutMs = integration.timeoutInMillis ?? 29000;
    switch (integration.type) {
      case 'AWS_PROXY': {
        const role = await this.role(api, req, integration.credentials);
        if (role === false) return fail('API_CONFIGURATION_ERROR', 500, { message: 'Internal server error' });
        const event = eventV1(req, { path: resource.path, id: resource.id }, params, variables, {
          ...(apiKey ? { apiKey: apiKey.value, apiKeyId: apiKey.id } : {}),
          ...(authorizer ? { authorizer } : {}),
          ...(caller ? { caller } : {}),
        });
        const sourceArn = executeApiArn(req, req.method, resource.path);
        const outcome = await invokeFunction(this.platform, integration.uri ?? '', event, { accountId: api.accountId, region: api.region, sourceArn, requestId: req.requestId, traceHeader: req.trace?.header }, timeoutMs, role);
        if (outcome.kind === 'timeout') return fail('INTEGRATION_TIMEOUT', 504, { message: 'Endpoint request timed out' });
        if (outcome.kind === 'denied' || outcome.kind === 'failed') return fail('API_CONFIGURATION_ERROR', 500, { message: 'Internal server error' });
        const result = outcome.kind === 'ok' && outcome.payload !== undefined ? resultV1(outcome.payload) : undefined;
        if (!result) return fail('DEFAULT_5XX', 502, { message: 'Internal server error' }, { 'x-amzn-errortype': 'InternalServerErrorException' });
        return sendResult(res, result);
      }
      case 'HTTP_PROXY': {
        const mappedParams = integrationParameters(integration.requestParameters, req, params, variables);
        let url: URL;
        try {
          url = new URL(expandUri(integration.uri ?? '', { ...params, ...mappedParams.path }, variables));
        } catch {
          return fail('API_CONFIGURATION_ERROR', 500, { message: 'Internal server error' });
        }
        if (req.rawQuery) url.search = url.search ? `${url.search}&${req.rawQuery}` : `?${req.rawQuery}`;
        for (const [name, value] of Object.entries(mappedParams.querystring)) url.searchParams.set(name, value);
        const forwardHeaders = Object.keys(mappedParams.header).length > 0 ? { ...req.headers, ...Object.fromEntries(Object.entries(mappedParams.header).map(([k, v]) => [k.toLowerCase(), v])) } : req.headers;
        const httpMethod = !integration.httpMethod || integration.httpMethod === 'ANY' ? req.method : integration.httpMethod;
        forward({ method: httpMethod, url, headers: forwardHeaders, body: req.body, sourceIp: req.sourceIp, timeoutMs }, res, (failure) => {
          if (failure === 'timeout') fail('INTEGRATION_TIMEOUT', 504, { message: 'Endpoint request timed out' });
          else fail('INTEGRATION_FAILURE', 502, { message: 'Internal server error' });
        });
        return;
      }
      case 'MOCK':
      case 'HTTP':
      case 'AWS':
        return this.mapped(api, req, res, integration, { path: resource.path, id: resource.id }, params, variables, authorizer, timeoutMs, fail, integrationParameters(integration.requestParameters, req, params, variables));
      default:
        return fail('API_CONFIGURATION_ERROR', 500, { message: 'Internal server error' });
    }
  }

  /** The integration's credentials role session; undefined acts as the account (or the service principal), false when it cannot be assumed. */
  private async role(api: LoadedApi, req: ApiRequest, credentials: unknown): Promise<CallerIdentity | undefined | false> {
    try {
      return await this.plane.roles.identity(credentials, { accountId: api.accountId, region: api.region, apiId: api.id, requestId: req.requestId });
    } catch (error) {
      if (error instanceof RoleNotAssumable) {
        this.platform.logger.warn({ err: error, apiId: api.id }, 'integration role not assumed');
        return false;
      }
      throw error;
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
    fail: Fail,
    mappedParams: IntegrationParameters,
  ): Promise<void> {
    // A binary request body reaches the templates base64-encoded when the integration converts it to text.
    const toText = integration.contentHandling === 'CONVERT_TO_TEXT' && isBinaryRequest(req);
    const scope: TemplateScope = {
      req,
      body: req.body.toString(toText ? 'base64' : 'utf8'),
      pathParameters: params,
      stageVariables: variables,
      resourcePath: resource.path,
      resourceId: resource.id,
      ...(authorizer ? { authorizer } : {}),
    };
    const mapped = mapRequest(integration, scope);
    if (!mapped.ok) return fail('UNSUPPORTED_MEDIA_TYPE', 415, { message: 'Unsupported Media Type' }, { 'x-amzn-errortype': 'UnsupportedMediaTypeException' });
    let selector = '';
    let backendBody = '';
    let backendHeaders: Record<string, string> = {};
    if (integration.type === 'MOCK') {
      let status: unknown = 200;
      try {
        status = (JSON.parse(mapped.body || '{}') as { statusCode?: unknown }).statusCode ?? 200;
      } catch {
        return fail('API_CONFIGURATION_ERROR', 500, { message: 'Internal server error' });
      }
      selector = String(status);
    } else if (integration.type === 'HTTP') {
      let target: string;
      try {
        const url = new URL(expandUri(integration.uri ?? '', { ...params, ...mappedParams.path }, variables));
        for (const [name, value] of Object.entries(mappedParams.querystring)) url.searchParams.set(name, value);
        url.hostname = connectHost(url);
        target = url.toString();
      } catch {
        return fail('API_CONFIGURATION_ERROR', 500, { message: 'Internal server error' });
      }
      const method = !integration.httpMethod || integration.httpMethod === 'ANY' ? req.method : integration.httpMethod;
      try {
        const response = await fetch(target, {
          method,
          headers: { 'content-type': String(req.headers['content-type'] ?? 'application/json'), ...mappedParams.header },
          ...(method === 'GET' || method === 'HEAD' ? {} : { body: mapped.body }),
          signal: AbortSignal.timeout(timeoutMs),
        });
        backendBody = await response.text();
        backendHeaders = Object.fromEntries(response.headers);
        selector = String(response.status);
      } catch (error) {
        if ((error as Error).name === 'TimeoutError') return fail('INTEGRATION_TIMEOUT', 504, { message: 'Endpoint request timed out' });
        return fail('API_CONFIGURATION_ERROR', 500, { message: 'Internal server error' });
      }
    } else {
      const uri = integration.uri ?? '';
      const role = await this.role(api, req, integration.credentials);
      if (role === false) return fail('API_CONFIGURATION_ERROR', 500, { message: 'Internal server error' });
      if (/^arn:aws:apigateway:[^:]*:s3:path\//.test(uri)) {
        // S3 by path: the object's bytes pass through unless the chosen response has a template.
        const templated = String(req.headers['content-type'] ?? 'application/json').split(';')[0]!.trim().toLowerCase() in (integration.requestTemplates ?? {});
        const method = !integration.httpMethod || integration.httpMethod === 'ANY' ? req.method : integration.httpMethod;
        const contentType = typeof req.headers['content-type'] === 'string' ? req.headers['content-type'] : undefined;
        const answer = await callS3(this.platform, expandUri(uri, { ...params, ...mappedParams.path }, variables), method, templated ? Buffer.from(mapped.body) : req.body, contentType, {
          accountId: api.accountId,
          region: api.region,
          requestId: req.requestId,
          ...(role ? { identity: role } : {}),
        });
        if (!answer) return fail('API_CONFIGURATION_ERROR', 500, { message: 'Internal server error' });
        const chosen = selectIntegrationResponse(integration, String(answer.status));
        if (!chosen) return fail('API_CONFIGURATION_ERROR', 500, { message: 'Internal server error' });
        const out = mapResponse(chosen, { ...scope, body: answer.body.toString('utf8') }, answer.headers);
        const hasTemplate = Object.values(chosen.responseTemplates ?? {}).some((t) => t !== '');
        return sendResult(res, hasTemplate ? out : { ...out, headers: { ...out.headers, 'content-type': out.headers['content-type'] === 'application/json' && answer.headers['content-type'] ? answer.headers['content-type'] : out.headers['content-type']! }, body: answer.body });
      }
      if (!/^arn:aws:apigateway:[^:]*:lambda:path\//.test(uri)) {
        const answer = await callAwsService(this.platform, uri, mapped.body, { accountId: api.accountId, region: api.region, requestId: req.requestId, ...(role ? { identity: role } : {}) });
        if (!answer) return fail('API_CONFIGURATION_ERROR', 500, { message: 'Internal server error' });
        const chosen = selectIntegrationResponse(integration, String(answer.status));
        if (!chosen) return fail('API_CONFIGURATION_ERROR', 500, { message: 'Internal server error' });
        return sendResult(res, mapResponse(chosen, { ...scope, body: answer.body }, { 'content-type': 'application/json' }));
      }
      let event: unknown;
      try {
        event = JSON.parse(mapped.body === '' ? '{}' : mapped.body);
      } catch {
        return fail('API_CONFIGURATION_ERROR', 500, { message: 'Internal server error' });
      }
      const sourceArn = executeApiArn(req, req.method, resource.path);
      const outcome = await invokeFunction(this.platform, functionArnOf(uri), event, { accountId: api.accountId, region: api.region, sourceArn, requestId: req.requestId, traceHeader: req.trace?.header }, timeoutMs, role);
      if (outcome.kind === 'timeout') return fail('INTEGRATION_TIMEOUT', 504, { message: 'Endpoint request timed out' });
      if (outcome.kind === 'denied' || outcome.kind === 'failed') return fail('API_CONFIGURATION_ERROR', 500, { message: 'Internal server error' });
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
    if (!chosen) return fail('API_CONFIGURATION_ERROR', 500, { message: 'Internal server error' });
    const out = mapResponse(chosen, { ...scope, body: backendBody }, backendHeaders);
    sendResult(res, out);
  }
}
