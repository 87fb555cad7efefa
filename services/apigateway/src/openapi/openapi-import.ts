// Import of OpenAPI 3 and Swagger 2 definitions (JSON or YAML) with API Gateway's extensions:
// `x-amazon-apigateway-integration` per operation, `x-amazon-apigateway-any-method`,
// `x-amazon-apigateway-authorizer` on security schemes (JWT and Lambda REQUEST for HTTP APIs, TOKEN
// and REQUEST for REST APIs), `x-amazon-apigateway-cors` (HTTP APIs), `x-amazon-apigateway-api-key-source`
// and `api_key` security (REST APIs). The import runs the provider's own Create* operations, so
// each piece is validated as a direct call would be; an import that fails leaves no API behind.
// Known limitations: `$ref`s are not followed (models, parameters), request validators, gateway
// responses, binary media types and `x-amazon-apigateway-policy` are ignored, and Reimport/Put
// (overwrite, merge) are not served.
import type { OperationHandler, RequestContext } from '@atoll/core';
import { parse as parseYaml } from 'yaml';

export interface ImportError {
  (message: string): Error;
}

const METHOD_KEYS: Record<string, string> = {
  get: 'GET',
  post: 'POST',
  put: 'PUT',
  patch: 'PATCH',
  delete: 'DELETE',
  head: 'HEAD',
  options: 'OPTIONS',
  'x-amazon-apigateway-any-method': 'ANY',
};

type Json = Record<string, unknown>;

/** The definition as an object, or a BadRequestException naming what is wrong with it. */
export function parseDefinition(body: string, fail: ImportError): Json {
  let doc: unknown;
  try {
    doc = body.trimStart().startsWith('{') ? JSON.parse(body) : parseYaml(body);
  } catch (error) {
    throw fail(`Invalid OpenAPI input: the definition is neither JSON nor YAML (${(error as Error).message.split('\n')[0]}).`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw fail('Invalid OpenAPI input: the definition is not an object.');
  const d = doc as Json;
  const version = String(d.openapi ?? d.swagger ?? '');
  if (!/^3\./.test(version) && version !== '2.0') throw fail('Invalid OpenAPI input: the definition names neither "openapi": "3.x" nor "swagger": "2.0".');
  if (!d.info || typeof (d.info as Json).title !== 'string') throw fail('Invalid OpenAPI input: info.title is required.');
  if (!d.paths || typeof d.paths !== 'object') throw fail('Invalid OpenAPI input: paths is required.');
  for (const [path, item] of Object.entries(d.paths as Json)) {
    if (!path.startsWith('/')) throw fail(`Invalid OpenAPI input: path ${path} must start with /.`);
    if (!item || typeof item !== 'object') throw fail(`Invalid OpenAPI input: path ${path} is not an object.`);
  }
  return d;
}

function operations(doc: Json): { path: string; method: string; op: Json }[] {
  const out: { path: string; method: string; op: Json }[] = [];
  for (const [path, item] of Object.entries(doc.paths as Json)) {
    for (const [key, op] of Object.entries(item as Json)) {
      const method = METHOD_KEYS[key.toLowerCase()];
      if (method && op && typeof op === 'object') out.push({ path, method, op: op as Json });
    }
  }
  return out;
}

function securitySchemes(doc: Json): Json {
  return ((doc.components as Json | undefined)?.securitySchemes ?? doc.securityDefinitions ?? {}) as Json;
}

/** The security requirement names of an operation (or the document's default). */
function securityOf(doc: Json, op: Json): { name: string; scopes: string[] }[] {
  const list = (op.security ?? doc.security ?? []) as Json[];
  return list.flatMap((req) => Object.entries(req ?? {}).map(([name, scopes]) => ({ name, scopes: Array.isArray(scopes) ? scopes.map(String) : [] })));
}

function lower(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Imports an HTTP API through the apigatewayv2 operations; returns the CreateApi output. */
export async function importHttpApi(body: string, ops: Record<string, OperationHandler>, ctx: RequestContext, fail: ImportError): Promise<Json> {
  const doc = parseDefinition(body, fail);
  const info = doc.info as Json;
  const cors = doc['x-amazon-apigateway-cors'] as Json | undefined;
  const api = (await ops.CreateApi!(
    {
      Name: info.title,
      ProtocolType: 'HTTP',
      ...(info.description !== undefined ? { Description: String(info.description) } : {}),
      ...(info.version !== undefined ? { Version: String(info.version) } : {}),
      ...(cors ? { CorsConfiguration: corsOf(cors) } : {}),
    },
    ctx,
  )) as Json;
  const apiId = String(api.ApiId);
  try {
    const schemes = securitySchemes(doc);
    const authorizers = new Map<string, { id: string; type: string }>();
    const integrations = new Map<string, string>();
    for (const { path, method, op } of operations(doc)) {
      const x = op['x-amazon-apigateway-integration'] as Json | undefined;
      let target: string | undefined;
      if (x) {
        const type = String(x.type ?? '').toUpperCase();
        if (!type) throw fail(`Unable to create integration for ${method} ${path}: x-amazon-apigateway-integration has no type.`);
        const input = {
          ApiId: apiId,
          IntegrationType: type,
          ...(lower(x.uri) !== undefined ? { IntegrationUri: x.uri } : {}),
          ...(lower(x.httpMethod) !== undefined ? { IntegrationMethod: String(x.httpMethod).toUpperCase() } : {}),
          ...(x.payloadFormatVersion !== undefined ? { PayloadFormatVersion: String(x.payloadFormatVersion) } : type === 'AWS_PROXY' ? { PayloadFormatVersion: '2.0' } : {}),
          ...(typeof x.timeoutInMillis === 'number' ? { TimeoutInMillis: x.timeoutInMillis } : {}),
          ...(x.connectionType !== undefined ? { ConnectionType: String(x.connectionType) } : {}),
        };
        const key = JSON.stringify(input);
        let id = integrations.get(key);
        if (!id) {
          id = String(((await ops.CreateIntegration!(input, ctx)) as Json).IntegrationId);
          integrations.set(key, id);
        }
        target = `integrations/${id}`;
      }
      const security = securityOf(doc, op)[0];
      let auth: { AuthorizationType: string; AuthorizerId?: string; AuthorizationScopes?: string[] } = { AuthorizationType: 'NONE' };
      if (security) {
        const scheme = schemes[security.name] as Json | undefined;
        const x = scheme?.['x-amazon-apigateway-authorizer'] as Json | undefined;
        if (!x) throw fail(`Unable to create route ${method} ${path}: security scheme ${security.name} has no x-amazon-apigateway-authorizer.`);
        let found = authorizers.get(security.name);
        if (!found) {
          const type = String(x.type ?? '').toLowerCase() === 'jwt' ? 'JWT' : 'REQUEST';
          const jwt = x.jwtConfiguration as Json | undefined;
          const identity = x.identitySource;
          const created = (await ops.CreateAuthorizer!(
            {
              ApiId: apiId,
              Name: security.name,
              AuthorizerType: type,
              IdentitySource: Array.isArray(identity) ? identity.map(String) : typeof identity === 'string' ? identity.split(',').map((s) => s.trim()) : type === 'JWT' ? ['$request.header.Authorization'] : [],
              ...(jwt ? { JwtConfiguration: { Issuer: jwt.issuer, Audience: jwt.audience } } : {}),
              ...(x.authorizerUri !== undefined ? { AuthorizerUri: x.authorizerUri } : {}),
              ...(x.authorizerPayloadFormatVersion !== undefined ? { AuthorizerPayloadFormatVersion: String(x.authorizerPayloadFormatVersion) } : {}),
              ...(x.enableSimpleResponses !== undefined ? { EnableSimpleResponses: Boolean(x.enableSimpleResponses) } : {}),
              ...(x.authorizerResultTtlInSeconds !== undefined ? { AuthorizerResultTtlInSeconds: Number(x.authorizerResultTtlInSeconds) } : {}),
            },
            ctx,
          )) as Json;
          found = { id: String(created.AuthorizerId), type };
          authorizers.set(security.name, found);
        }
        auth = { AuthorizationType: found.type === 'JWT' ? 'JWT' : 'CUSTOM', AuthorizerId: found.id, ...(security.scopes.length ? { AuthorizationScopes: security.scopes } : {}) };
      }
      const routeKey = path === '/$default' ? '$default' : `${method} ${path}`;
      await ops.CreateRoute!({ ApiId: apiId, RouteKey: routeKey, ...(target ? { Target: target } : {}), ...auth }, ctx);
    }
  } catch (error) {
    await Promise.resolve(ops.DeleteApi!({ ApiId: apiId }, ctx)).catch(() => undefined);
    throw error;
  }
  return api;
}

function corsOf(x: Json): Json {
  return {
    ...(x.allowOrigins ? { AllowOrigins: x.allowOrigins } : {}),
    ...(x.allowMethods ? { AllowMethods: x.allowMethods } : {}),
    ...(x.allowHeaders ? { AllowHeaders: x.allowHeaders } : {}),
    ...(x.exposeHeaders ? { ExposeHeaders: x.exposeHeaders } : {}),
    ...(x.maxAge !== undefined ? { MaxAge: Number(x.maxAge) } : {}),
    ...(x.allowCredentials !== undefined ? { AllowCredentials: Boolean(x.allowCredentials) } : {}),
  };
}

/** Imports a REST API through the apigateway operations; returns the CreateRestApi output. */
export async function importRestApi(body: string, ops: Record<string, OperationHandler>, ctx: RequestContext, fail: ImportError): Promise<Json> {
  const doc = parseDefinition(body, fail);
  const info = doc.info as Json;
  const keySource = doc['x-amazon-apigateway-api-key-source'];
  const api = (await ops.CreateRestApi!(
    {
      name: info.title,
      ...(info.description !== undefined ? { description: String(info.description) } : {}),
      ...(info.version !== undefined ? { version: String(info.version) } : {}),
      ...(keySource !== undefined ? { apiKeySource: String(keySource) } : {}),
    },
    ctx,
  )) as Json;
  const restApiId = String(api.id);
  try {
    const byPath = new Map<string, string>([['/', String(api.rootResourceId)]]);
    const resourceFor = async (path: string): Promise<string> => {
      const found = byPath.get(path);
      if (found) return found;
      const parentPath = path.slice(0, path.lastIndexOf('/')) || '/';
      const parentId = await resourceFor(parentPath);
      const created = (await ops.CreateResource!({ restApiId, parentId, pathPart: path.slice(path.lastIndexOf('/') + 1) }, ctx)) as Json;
      byPath.set(path, String(created.id));
      return String(created.id);
    };
    const schemes = securitySchemes(doc);
    const authorizers = new Map<string, string>();
    for (const { path, method, op } of operations(doc)) {
      const resourceId = await resourceFor(path.length > 1 ? path.replace(/\/$/, '') : path);
      const security = securityOf(doc, op);
      const apiKeyRequired = security.some((s) => (schemes[s.name] as Json | undefined)?.in === 'header' && String((schemes[s.name] as Json).name).toLowerCase() === 'x-api-key');
      const custom = security.find((s) => (schemes[s.name] as Json | undefined)?.['x-amazon-apigateway-authorizer']);
      let authorizerId: string | undefined;
      if (custom) {
        authorizerId = authorizers.get(custom.name);
        if (!authorizerId) {
          const scheme = schemes[custom.name] as Json;
          const x = scheme['x-amazon-apigateway-authorizer'] as Json;
          const type = String(x.type ?? 'token').toUpperCase();
          const identitySource = x.identitySource ?? (type === 'TOKEN' ? `method.request.header.${String(scheme.name ?? 'Authorization')}` : undefined);
          const created = (await ops.CreateAuthorizer!(
            {
              restApiId,
              name: custom.name,
              type,
              ...(x.authorizerUri !== undefined ? { authorizerUri: String(x.authorizerUri) } : {}),
              ...(identitySource !== undefined ? { identitySource: String(identitySource) } : {}),
              ...(x.identityValidationExpression !== undefined ? { identityValidationExpression: String(x.identityValidationExpression) } : {}),
              ...(x.authorizerResultTtlInSeconds !== undefined ? { authorizerResultTtlInSeconds: Number(x.authorizerResultTtlInSeconds) } : {}),
            },
            ctx,
          )) as Json;
          authorizerId = String(created.id);
          authorizers.set(custom.name, authorizerId);
        }
      }
      await ops.PutMethod!(
        { restApiId, resourceId, httpMethod: method, authorizationType: authorizerId ? 'CUSTOM' : 'NONE', apiKeyRequired, ...(authorizerId ? { authorizerId } : {}), ...(op.operationId ? { operationName: String(op.operationId) } : {}) },
        ctx,
      );
      const x = op['x-amazon-apigateway-integration'] as Json | undefined;
      if (!x) continue;
      const type = String(x.type ?? '').toUpperCase();
      await ops.PutIntegration!(
        {
          restApiId,
          resourceId,
          httpMethod: method,
          type,
          ...(x.uri !== undefined ? { uri: String(x.uri) } : {}),
          ...(x.httpMethod !== undefined ? { integrationHttpMethod: String(x.httpMethod).toUpperCase() } : {}),
          ...(typeof x.timeoutInMillis === 'number' ? { timeoutInMillis: x.timeoutInMillis } : {}),
          ...(x.requestTemplates ? { requestTemplates: x.requestTemplates } : {}),
          ...(x.requestParameters ? { requestParameters: x.requestParameters } : {}),
          ...(x.passthroughBehavior !== undefined ? { passthroughBehavior: String(x.passthroughBehavior).toUpperCase() } : {}),
        },
        ctx,
      );
      for (const [pattern, response] of Object.entries((x.responses ?? {}) as Json)) {
        const r = response as Json;
        await ops.PutIntegrationResponse!(
          {
            restApiId,
            resourceId,
            httpMethod: method,
            statusCode: String(r.statusCode ?? '200'),
            ...(pattern !== 'default' ? { selectionPattern: pattern } : {}),
            ...(r.responseParameters ? { responseParameters: r.responseParameters } : {}),
            ...(r.responseTemplates ? { responseTemplates: r.responseTemplates } : {}),
          },
          ctx,
        );
      }
    }
  } catch (error) {
    await Promise.resolve(ops.DeleteRestApi!({ restApiId }, ctx)).catch(() => undefined);
    throw error;
  }
  return ops.GetRestApi!({ restApiId }, ctx) as Promise<Json>;
}
