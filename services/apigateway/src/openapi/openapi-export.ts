// Export of deployed APIs as OpenAPI definitions with API Gateway's extensions, the inverse of
// openapi-import.ts (so an export imports back to the same API): REST APIs as OpenAPI 3.0.1
// (`oas30`) or Swagger 2.0 (`swagger`) from a stage's deployment, with
// `x-amazon-apigateway-integration` (when the `integrations` or `apigateway` extensions are asked
// for), authorizers, request validators, gateway responses, binary media types and the policy
// (with `apigateway`); HTTP APIs as OpenAPI 3.0.1 from a stage or the live routes.
// Known limitations: method responses' models and headers, documentation parts and
// `x-amazon-apigateway-request-validator` defaults at the top level are not written.
import { stringify as toYaml } from 'yaml';
import type { MethodDoc, ModelDoc, RequestValidatorDoc, ResourceDoc, RestApiDoc, RestAuthorizerDoc, GatewayResponseDoc } from '../v1/rest-api-records.js';
import type { HttpApiDoc, HttpAuthorizerDoc, HttpIntegrationDoc, HttpRouteDoc } from '../v2/http-api-records.js';

type Json = Record<string, unknown>;

const METHOD_KEY = (method: string) => (method === 'ANY' ? 'x-amazon-apigateway-any-method' : method.toLowerCase());

export interface RestExportInput {
  api: RestApiDoc & { policy?: string; version?: string };
  stageName: string;
  resources: ResourceDoc[];
  authorizers: RestAuthorizerDoc[];
  models: ModelDoc[];
  validators: RequestValidatorDoc[];
  gatewayResponses: GatewayResponseDoc[];
  /** The stage's invoke host (`<id>.execute-api.<region>.localhost:<port>`). */
  host: string;
}

function parameterOf(name: string, required: boolean, oas3: boolean): Json | undefined {
  const m = /^method\.request\.(path|querystring|header)\.(.+)$/.exec(name);
  if (!m) return undefined;
  const where = m[1] === 'querystring' ? 'query' : m[1]!;
  return oas3 ? { name: m[2], in: where, required: where === 'path' ? true : required, schema: { type: 'string' } } : { name: m[2], in: where, required: where === 'path' ? true : required, type: 'string' };
}

function integrationOf(i: NonNullable<MethodDoc['methodIntegration']>): Json {
  const responses: Json = {};
  for (const r of Object.values(i.integrationResponses ?? {})) {
    responses[r.selectionPattern ?? 'default'] = {
      statusCode: r.statusCode,
      ...(r.responseParameters && Object.keys(r.responseParameters).length ? { responseParameters: r.responseParameters } : {}),
      ...(r.responseTemplates && Object.keys(r.responseTemplates).length ? { responseTemplates: r.responseTemplates } : {}),
    };
  }
  return {
    type: i.type.toLowerCase(),
    ...(i.uri ? { uri: i.uri } : {}),
    ...(i.httpMethod ? { httpMethod: i.httpMethod } : {}),
    ...(i.requestParameters && Object.keys(i.requestParameters).length ? { requestParameters: i.requestParameters } : {}),
    ...(i.requestTemplates && Object.keys(i.requestTemplates).length ? { requestTemplates: i.requestTemplates } : {}),
    ...(i.passthroughBehavior ? { passthroughBehavior: String(i.passthroughBehavior).toLowerCase() } : {}),
    ...(i.timeoutInMillis !== undefined ? { timeoutInMillis: i.timeoutInMillis } : {}),
    ...(Object.keys(responses).length ? { responses } : {}),
  };
}

/** A REST API stage as OpenAPI 3.0.1 or Swagger 2.0. */
export function exportRestApi(input: RestExportInput, options: { swagger: boolean; extensions: ReadonlySet<string> }): Json {
  const oas3 = !options.swagger;
  const withIntegrations = options.extensions.has('integrations') || options.extensions.has('apigateway');
  const withApiGateway = options.extensions.has('apigateway');
  const withAuthorizers = withIntegrations || options.extensions.has('authorizers');
  const refBase = oas3 ? '#/components/schemas/' : '#/definitions/';
  const validatorNames = new Map(input.validators.map((v) => [v.id, v.name]));
  const authorizers = new Map(input.authorizers.map((a) => [a.id, a]));
  const schemes: Json = {};
  const paths: Json = {};
  for (const resource of [...input.resources].sort((a, b) => a.path.localeCompare(b.path))) {
    const item: Json = {};
    for (const [verb, method] of Object.entries(resource.resourceMethods ?? {})) {
      const op: Json = {};
      if ((method as MethodDoc & { operationName?: string }).operationName) op.operationId = (method as MethodDoc & { operationName?: string }).operationName;
      const parameters = Object.entries(method.requestParameters ?? {})
        .map(([name, required]) => parameterOf(name, required, oas3))
        .filter((p): p is Json => p !== undefined);
      const model = method.requestModels?.['application/json'] ?? Object.values(method.requestModels ?? {})[0];
      if (model && model !== 'Empty') {
        if (oas3) op.requestBody = { content: { [Object.keys(method.requestModels!)[0]!]: { schema: { $ref: `${refBase}${model}` } } }, required: true };
        else parameters.push({ in: 'body', name: model, required: true, schema: { $ref: `${refBase}${model}` } });
      }
      if (parameters.length) op.parameters = parameters;
      const responses: Json = {};
      for (const status of Object.keys(method.methodResponses ?? {})) responses[status] = { description: `${status} response` };
      op.responses = Object.keys(responses).length ? responses : { '200': { description: '200 response' } };
      const security: Json[] = [];
      if (method.apiKeyRequired) {
        security.push({ api_key: [] });
        schemes.api_key = { type: 'apiKey', name: 'x-api-key', in: 'header' };
      }
      if (method.authorizationType === 'AWS_IAM' && withAuthorizers) {
        security.push({ sigv4: [] });
        schemes.sigv4 = { type: 'apiKey', name: 'Authorization', in: 'header', 'x-amazon-apigateway-authtype': 'awsSigv4' };
      }
      const auth = method.authorizerId ? authorizers.get(method.authorizerId) : undefined;
      if (auth && withAuthorizers) {
        security.push({ [auth.name]: [] });
        const header = /^method\.request\.header\.(.+)$/.exec(auth.identitySource ?? '')?.[1];
        schemes[auth.name] = {
          type: 'apiKey',
          name: header ?? 'Unused',
          in: 'header',
          'x-amazon-apigateway-authtype': 'custom',
          'x-amazon-apigateway-authorizer': {
            type: auth.type.toLowerCase(),
            ...(auth.authorizerUri ? { authorizerUri: auth.authorizerUri } : {}),
            ...(auth.identitySource ? { identitySource: auth.identitySource } : {}),
            ...(auth.identityValidationExpression ? { identityValidationExpression: auth.identityValidationExpression } : {}),
            ...(auth.authorizerResultTtlInSeconds !== undefined ? { authorizerResultTtlInSeconds: auth.authorizerResultTtlInSeconds } : {}),
          },
        };
      }
      if (security.length) op.security = security;
      if (withApiGateway && method.requestValidatorId && validatorNames.has(method.requestValidatorId)) op['x-amazon-apigateway-request-validator'] = validatorNames.get(method.requestValidatorId);
      if (withIntegrations && method.methodIntegration) op['x-amazon-apigateway-integration'] = integrationOf(method.methodIntegration);
      item[METHOD_KEY(verb)] = op;
    }
    if (Object.keys(item).length) paths[resource.path] = item;
  }
  const schemas: Json = {};
  for (const m of input.models) {
    try {
      const schema = JSON.parse(m.schema ?? '{}') as Json;
      delete schema.$schema;
      schemas[m.name] = schema;
    } catch {
      // Refused at CreateModel.
    }
  }
  const info = { ...(input.api.description ? { description: input.api.description } : {}), title: input.api.name, version: input.api.version ?? input.api.createdDate };
  const doc: Json = oas3
    ? { openapi: '3.0.1', info, servers: [{ url: `http://${input.host}/{basePath}`, variables: { basePath: { default: input.stageName } } }], paths }
    : { swagger: '2.0', info, host: input.host, basePath: `/${input.stageName}`, schemes: ['http'], paths };
  if (oas3) {
    const components: Json = {};
    if (Object.keys(schemas).length) components.schemas = schemas;
    if (Object.keys(schemes).length) components.securitySchemes = schemes;
    if (Object.keys(components).length) doc.components = components;
  } else {
    if (Object.keys(schemes).length) doc.securityDefinitions = schemes;
    if (Object.keys(schemas).length) doc.definitions = schemas;
  }
  if (withApiGateway) {
    if (input.api.binaryMediaTypes?.length) doc['x-amazon-apigateway-binary-media-types'] = input.api.binaryMediaTypes;
    if (input.api.apiKeySource && input.api.apiKeySource !== 'HEADER') doc['x-amazon-apigateway-api-key-source'] = input.api.apiKeySource;
    if (input.validators.length) {
      doc['x-amazon-apigateway-request-validators'] = Object.fromEntries(input.validators.map((v) => [v.name, { validateRequestBody: v.validateRequestBody, validateRequestParameters: v.validateRequestParameters }]));
    }
    if (input.gatewayResponses.length) {
      doc['x-amazon-apigateway-gateway-responses'] = Object.fromEntries(
        input.gatewayResponses.map((g) => [g.responseType, { ...(g.statusCode ? { statusCode: g.statusCode } : {}), responseParameters: g.responseParameters ?? {}, responseTemplates: g.responseTemplates ?? {} }]),
      );
    }
    if (input.api.policy) {
      try {
        doc['x-amazon-apigateway-policy'] = JSON.parse(input.api.policy);
      } catch {
        // A policy that is not JSON is left out.
      }
    }
  }
  return doc;
}

/** An HTTP API (a stage's deployment, or its live routes) as OpenAPI 3.0.1. */
export function exportHttpApi(
  api: HttpApiDoc,
  source: { routes: HttpRouteDoc[]; integrations: HttpIntegrationDoc[]; authorizers: HttpAuthorizerDoc[] },
  options: { includeExtensions: boolean; endpoint: string; stageName?: string },
): Json {
  const integrations = new Map(source.integrations.map((i) => [i.IntegrationId, i]));
  const authorizers = new Map(source.authorizers.map((a) => [a.AuthorizerId, a]));
  const schemes: Json = {};
  const paths: Json = {};
  for (const route of [...source.routes].sort((a, b) => a.RouteKey.localeCompare(b.RouteKey))) {
    const [verb, path] = route.RouteKey === '$default' ? ['ANY', '/$default'] : [route.RouteKey.slice(0, route.RouteKey.indexOf(' ')), route.RouteKey.slice(route.RouteKey.indexOf(' ') + 1)];
    const op: Json = { responses: { default: { description: `Default response for ${route.RouteKey}` } } };
    const params = [...path!.matchAll(/\{([^}+]+)\+?\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    if (params.length) op.parameters = params;
    const auth = route.AuthorizerId ? authorizers.get(route.AuthorizerId) : undefined;
    if (auth) {
      op.security = [{ [auth.Name]: route.AuthorizationScopes ?? [] }];
      if (options.includeExtensions) {
        schemes[auth.Name] = auth.AuthorizerType === 'JWT'
          ? { type: 'oauth2', flows: {}, 'x-amazon-apigateway-authorizer': { type: 'jwt', identitySource: auth.IdentitySource.join(','), jwtConfiguration: { issuer: auth.JwtConfiguration?.Issuer, audience: auth.JwtConfiguration?.Audience } } }
          : {
              type: 'apiKey',
              name: 'Authorization',
              in: 'header',
              'x-amazon-apigateway-authorizer': {
                type: 'request',
                identitySource: auth.IdentitySource.join(','),
                authorizerUri: auth.AuthorizerUri,
                authorizerPayloadFormatVersion: auth.AuthorizerPayloadFormatVersion,
                ...(auth.EnableSimpleResponses !== undefined ? { enableSimpleResponses: auth.EnableSimpleResponses } : {}),
                ...(auth.AuthorizerResultTtlInSeconds !== undefined ? { authorizerResultTtlInSeconds: auth.AuthorizerResultTtlInSeconds } : {}),
              },
            };
      }
    }
    const integration = route.Target?.startsWith('integrations/') ? integrations.get(route.Target.slice('integrations/'.length)) : undefined;
    if (integration && options.includeExtensions) {
      op['x-amazon-apigateway-integration'] = {
        type: integration.IntegrationType.toLowerCase(),
        ...(integration.IntegrationUri ? { uri: integration.IntegrationUri } : {}),
        ...(integration.IntegrationSubtype ? { integrationSubtype: integration.IntegrationSubtype } : {}),
        ...(integration.IntegrationMethod ? { httpMethod: integration.IntegrationMethod } : {}),
        ...(integration.PayloadFormatVersion ? { payloadFormatVersion: integration.PayloadFormatVersion } : {}),
        ...(integration.RequestParameters ? { requestParameters: integration.RequestParameters } : {}),
        ...(integration.ResponseParameters ? { responseParameters: integration.ResponseParameters } : {}),
        ...(integration.TimeoutInMillis !== undefined ? { timeoutInMillis: integration.TimeoutInMillis } : {}),
        connectionType: integration.ConnectionType ?? 'INTERNET',
      };
    }
    const item = (paths[path!] ??= {}) as Json;
    item[METHOD_KEY(verb!)] = op;
  }
  const doc: Json = {
    openapi: '3.0.1',
    info: { title: api.Name, version: api.Version ?? api.CreatedDate, ...(api.Description ? { description: api.Description } : {}) },
    servers: [{ url: `${options.endpoint}${options.stageName && options.stageName !== '$default' ? '/{basePath}' : ''}`, ...(options.stageName && options.stageName !== '$default' ? { variables: { basePath: { default: options.stageName } } } : {}) }],
    paths,
  };
  if (Object.keys(schemes).length) doc.components = { securitySchemes: schemes };
  if (options.includeExtensions && api.CorsConfiguration) {
    const c = api.CorsConfiguration;
    doc['x-amazon-apigateway-cors'] = {
      ...(c.AllowOrigins ? { allowOrigins: c.AllowOrigins } : {}),
      ...(c.AllowMethods ? { allowMethods: c.AllowMethods } : {}),
      ...(c.AllowHeaders ? { allowHeaders: c.AllowHeaders } : {}),
      ...(c.ExposeHeaders ? { exposeHeaders: c.ExposeHeaders } : {}),
      ...(c.MaxAge !== undefined ? { maxAge: c.MaxAge } : {}),
      ...(c.AllowCredentials !== undefined ? { allowCredentials: c.AllowCredentials } : {}),
    };
  }
  return doc;
}

export function serialize(doc: Json, yaml: boolean): string {
  return yaml ? toYaml(doc) : JSON.stringify(doc, null, 2);
}
