// Import of OpenAPI 3 and Swagger 2 definitions (JSON or YAML) with API Gateway's extensions:
// `x-amazon-apigateway-integration` per operation, `x-amazon-apigateway-any-method`,
// `x-amazon-apigateway-authorizer` on security schemes (JWT and Lambda REQUEST for HTTP APIs, TOKEN
// and REQUEST for REST APIs), `x-amazon-apigateway-cors` (HTTP APIs), `x-amazon-apigateway-api-key-source`
// and `api_key` security (REST APIs). The import runs the provider's own Create* operations, so
// each piece is validated as a direct call would be; an import that fails leaves no API behind.
// REST APIs also take models (components.schemas / definitions, referred to by request bodies),
// `x-amazon-apigateway-request-validators` (and `-request-validator` per operation or for all),
// `x-amazon-apigateway-gateway-responses`, `-binary-media-types`, `-policy`, parameters (required
// request parameters) and `awsSigv4` security (AWS_IAM); PutRestApi puts a definition into an
// existing API (overwrite or merge) and ReimportApi replaces an HTTP API's routes.
// Known limitations: `$ref`s to parameters are not followed, and a put or reimport that fails
// part-way is not rolled back.
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
    doc = body.trimStart().startsWith('{') ? JSON.parse(body) : parseYaml(body, { logLevel: 'error' });
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
export async function importHttpApi(body: string, ops: Record<string, OperationHandler>, ctx: RequestContext, fail: ImportError, into?: { apiId: string }): Promise<Json> {
  const doc = parseDefinition(body, fail);
  const info = doc.info as Json;
  const cors = doc['x-amazon-apigateway-cors'] as Json | undefined;
  const fields = {
    Name: info.title,
    ...(info.description !== undefined ? { Description: String(info.description) } : {}),
    ...(info.version !== undefined ? { Version: String(info.version) } : {}),
    ...(cors ? { CorsConfiguration: corsOf(cors) } : {}),
  };
  let api: Json;
  if (into) {
    // ReimportApi: the definition replaces the API's routes, integrations and authorizers.
    const existing = (await ops.GetApi!({ ApiId: into.apiId }, ctx)) as Json;
    if (existing.ProtocolType !== 'HTTP') throw fail('ReimportApi is supported only for HTTP APIs.');
    const items = async (op: string) => (((await ops[op]!({ ApiId: into.apiId }, ctx)) as Json).Items ?? []) as Json[];
    for (const r of await items('GetRoutes')) await ops.DeleteRoute!({ ApiId: into.apiId, RouteId: r.RouteId }, ctx);
    for (const i of await items('GetIntegrations')) await ops.DeleteIntegration!({ ApiId: into.apiId, IntegrationId: i.IntegrationId }, ctx);
    for (const a of await items('GetAuthorizers')) await ops.DeleteAuthorizer!({ ApiId: into.apiId, AuthorizerId: a.AuthorizerId }, ctx);
    if (!cors && existing.CorsConfiguration) await ops.DeleteCorsConfiguration!({ ApiId: into.apiId }, ctx);
    await ops.UpdateApi!({ ApiId: into.apiId, ...fields }, ctx);
    api = existing;
  } else api = (await ops.CreateApi!({ ...fields, ProtocolType: 'HTTP' }, ctx)) as Json;
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
    if (!into) await Promise.resolve(ops.DeleteApi!({ ApiId: apiId }, ctx)).catch(() => undefined);
    throw error;
  }
  return into ? ((await ops.GetApi!({ ApiId: apiId }, ctx)) as Json) : api;
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

/** The model a request body names: `$ref` to `#/components/schemas/X` or `#/definitions/X`. */
function modelOfRef(schema: unknown): string | undefined {
  const ref = (schema as Json | undefined)?.$ref;
  return typeof ref === 'string' ? /^#\/(?:components\/schemas|definitions)\/(.+)$/.exec(ref)?.[1] : undefined;
}

/** Turns `#/components/schemas/X` (or `#/definitions/X`) references into references to the API's models. */
function modelSchema(schema: unknown, restApiId: string): string {
  return JSON.stringify(schema, (key, value: unknown) => {
    if (key === '$ref' && typeof value === 'string') {
      const name = /^#\/(?:components\/schemas|definitions)\/(.+)$/.exec(value)?.[1];
      if (name) return `https://apigateway.amazonaws.com/restapis/${restApiId}/models/${name}`;
    }
    return value;
  });
}

async function tolerate(call: unknown, code: string): Promise<boolean> {
  try {
    await call;
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === code) return false;
    throw error;
  }
}

/** Empties an API for PutRestApi's overwrite mode: resources, methods, authorizers, validators, models, gateway responses. */
async function clearRestApi(restApiId: string, rootId: string, ops: Record<string, OperationHandler>, ctx: RequestContext): Promise<void> {
  const items = async (op: string) => (((await ops[op]!({ restApiId, limit: 500 }, ctx)) as Json).items ?? []) as Json[];
  for (const r of await items('GetResources')) {
    if (r.parentId === rootId) await ops.DeleteResource!({ restApiId, resourceId: r.id }, ctx);
    if (r.id === rootId) for (const verb of Object.keys((r.resourceMethods as Json | undefined) ?? {})) await ops.DeleteMethod!({ restApiId, resourceId: rootId, httpMethod: verb }, ctx);
  }
  for (const a of await items('GetAuthorizers')) await ops.DeleteAuthorizer!({ restApiId, authorizerId: a.id }, ctx);
  for (const v of await items('GetRequestValidators')) await ops.DeleteRequestValidator!({ restApiId, requestValidatorId: v.id }, ctx);
  for (const m of await items('GetModels')) await ops.DeleteModel!({ restApiId, modelName: m.name }, ctx);
  for (const g of await items('GetGatewayResponses')) if (g.defaultResponse === false) await ops.DeleteGatewayResponse!({ restApiId, responseType: g.responseType }, ctx);
}

/**
 * Imports a REST API through the apigateway operations; returns the REST API. `into` puts the
 * definition into an existing API (PutRestApi): `overwrite` replaces what it has, `merge` adds to
 * it and replaces the methods the definition names. A new API is deleted again when its import
 * fails; a put that fails part-way leaves what it had done.
 */
export async function importRestApi(
  body: string,
  ops: Record<string, OperationHandler>,
  ctx: RequestContext,
  fail: ImportError,
  into?: { restApiId: string; mode: 'overwrite' | 'merge' },
): Promise<Json> {
  const doc = parseDefinition(body, fail);
  const info = doc.info as Json;
  const keySource = doc['x-amazon-apigateway-api-key-source'];
  const binary = doc['x-amazon-apigateway-binary-media-types'];
  const policy = doc['x-amazon-apigateway-policy'];
  const api = into
    ? ((await ops.GetRestApi!({ restApiId: into.restApiId }, ctx)) as Json)
    : ((await ops.CreateRestApi!(
        {
          name: info.title,
          ...(info.description !== undefined ? { description: String(info.description) } : {}),
          ...(info.version !== undefined ? { version: String(info.version) } : {}),
          ...(keySource !== undefined ? { apiKeySource: String(keySource) } : {}),
          ...(Array.isArray(binary) ? { binaryMediaTypes: binary.map(String) } : {}),
          ...(policy !== undefined ? { policy: typeof policy === 'string' ? policy : JSON.stringify(policy) } : {}),
        },
        ctx,
      )) as Json);
  const restApiId = String(api.id);
  const rootId = String(api.rootResourceId);
  try {
    if (into) {
      if (into.mode === 'overwrite') await clearRestApi(restApiId, rootId, ops, ctx);
      const patch = [
        { op: 'replace', path: '/name', value: String(info.title) },
        ...(info.description !== undefined ? [{ op: 'replace', path: '/description', value: String(info.description) }] : []),
        ...(Array.isArray(binary) ? binary.map((t) => ({ op: 'add', path: `/binaryMediaTypes/${String(t).replace(/\//g, '~1')}` })) : []),
        ...(policy !== undefined ? [{ op: 'replace', path: '/policy', value: typeof policy === 'string' ? policy : JSON.stringify(policy) }] : []),
      ];
      await ops.UpdateRestApi!({ restApiId, patchOperations: patch }, ctx);
    }
    const byPath = new Map<string, string>([['/', rootId]]);
    if (into?.mode === 'merge') {
      for (const r of (((await ops.GetResources!({ restApiId, limit: 500 }, ctx)) as Json).items ?? []) as Json[]) byPath.set(String(r.path), String(r.id));
    }
    const resourceFor = async (path: string): Promise<string> => {
      const found = byPath.get(path);
      if (found) return found;
      const parentPath = path.slice(0, path.lastIndexOf('/')) || '/';
      const parentId = await resourceFor(parentPath);
      const created = (await ops.CreateResource!({ restApiId, parentId, pathPart: path.slice(path.lastIndexOf('/') + 1) }, ctx)) as Json;
      byPath.set(path, String(created.id));
      return String(created.id);
    };
    // Models, request validators and gateway responses first: methods refer to them.
    const schemas = (((doc.components as Json | undefined)?.schemas ?? doc.definitions ?? {}) as Json);
    for (const [name, schema] of Object.entries(schemas)) {
      const text = modelSchema(schema, restApiId);
      const created = await tolerate(ops.CreateModel!({ restApiId, name, contentType: 'application/json', schema: text }, ctx), 'ConflictException');
      if (!created) await ops.UpdateModel!({ restApiId, modelName: name, patchOperations: [{ op: 'replace', path: '/schema', value: text }] }, ctx);
    }
    const validators = new Map<string, string>();
    if (into?.mode === 'merge') {
      for (const v of (((await ops.GetRequestValidators!({ restApiId, limit: 500 }, ctx)) as Json).items ?? []) as Json[]) validators.set(String(v.name), String(v.id));
    }
    for (const [name, v] of Object.entries((doc['x-amazon-apigateway-request-validators'] ?? {}) as Json)) {
      if (validators.has(name)) continue;
      const x = (v ?? {}) as Json;
      const created = (await ops.CreateRequestValidator!({ restApiId, name, validateRequestBody: x.validateRequestBody === true, validateRequestParameters: x.validateRequestParameters === true }, ctx)) as Json;
      validators.set(name, String(created.id));
    }
    for (const [type, r] of Object.entries((doc['x-amazon-apigateway-gateway-responses'] ?? {}) as Json)) {
      const x = (r ?? {}) as Json;
      await ops.PutGatewayResponse!(
        {
          restApiId,
          responseType: type,
          ...(x.statusCode !== undefined ? { statusCode: String(x.statusCode) } : {}),
          ...(x.responseParameters ? { responseParameters: x.responseParameters } : {}),
          ...(x.responseTemplates ? { responseTemplates: x.responseTemplates } : {}),
        },
        ctx,
      );
    }
    const defaultValidator = lower(doc['x-amazon-apigateway-request-validator']);
    const schemes = securitySchemes(doc);
    const authorizers = new Map<string, string>();
    if (into?.mode === 'merge') {
      for (const a of (((await ops.GetAuthorizers!({ restApiId, limit: 500 }, ctx)) as Json).items ?? []) as Json[]) authorizers.set(String(a.name), String(a.id));
    }
    for (const { path, method, op } of operations(doc)) {
      const resourceId = await resourceFor(path.length > 1 ? path.replace(/\/$/, '') : path);
      const security = securityOf(doc, op);
      const apiKeyRequired = security.some((s) => (schemes[s.name] as Json | undefined)?.in === 'header' && String((schemes[s.name] as Json).name).toLowerCase() === 'x-api-key');
      const iam = security.some((s) => String((schemes[s.name] as Json | undefined)?.['x-amazon-apigateway-authtype'] ?? '').toLowerCase() === 'awssigv4');
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
      const requestParameters: Record<string, boolean> = {};
      let requestModels: Record<string, string> | undefined;
      for (const p of (op.parameters ?? []) as Json[]) {
        const where = p.in === 'query' ? 'querystring' : p.in === 'header' || p.in === 'path' ? String(p.in) : undefined;
        if (where) requestParameters[`method.request.${where}.${String(p.name)}`] = p.required === true || p.in === 'path';
        else if (p.in === 'body' && modelOfRef(p.schema)) requestModels = { 'application/json': modelOfRef(p.schema)! };
      }
      for (const [type, media] of Object.entries((((op.requestBody as Json | undefined)?.content ?? {}) as Json))) {
        const model = modelOfRef((media as Json | undefined)?.schema);
        if (model) (requestModels ??= {})[type] = model;
      }
      const validatorName = lower(op['x-amazon-apigateway-request-validator']) ?? defaultValidator;
      if (validatorName !== undefined && !validators.has(validatorName)) throw fail(`Invalid request validator ${validatorName} on ${method} ${path}: it is not in x-amazon-apigateway-request-validators.`);
      const methodInput = {
        restApiId,
        resourceId,
        httpMethod: method,
        authorizationType: authorizerId ? 'CUSTOM' : iam ? 'AWS_IAM' : 'NONE',
        apiKeyRequired,
        ...(authorizerId ? { authorizerId } : {}),
        ...(op.operationId ? { operationName: String(op.operationId) } : {}),
        ...(Object.keys(requestParameters).length ? { requestParameters } : {}),
        ...(requestModels ? { requestModels } : {}),
        ...(validatorName !== undefined ? { requestValidatorId: validators.get(validatorName) } : {}),
      };
      if (!(await tolerate(ops.PutMethod!(methodInput, ctx), 'ConflictException'))) {
        await ops.DeleteMethod!({ restApiId, resourceId, httpMethod: method }, ctx);
        await ops.PutMethod!(methodInput, ctx);
      }
      for (const status of Object.keys((op.responses ?? {}) as Json)) {
        if (/^[1-5]\d\d$/.test(status)) await ops.PutMethodResponse!({ restApiId, resourceId, httpMethod: method, statusCode: status }, ctx);
      }
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
          ...(x.contentHandling !== undefined ? { contentHandling: String(x.contentHandling).toUpperCase() } : {}),
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
    if (!into) await Promise.resolve(ops.DeleteRestApi!({ restApiId }, ctx)).catch(() => undefined);
    throw error;
  }
  return ops.GetRestApi!({ restApiId }, ctx) as Promise<Json>;
}
