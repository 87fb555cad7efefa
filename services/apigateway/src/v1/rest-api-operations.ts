// The REST API control plane (apigateway): REST APIs, resources, methods with their integrations,
// deployments (each freezes the resources and methods it deployed), stages, API keys, usage plans
// and their keys. Documents are kept in the shapes AWS returns them.
import type { OperationHandler, RequestContext } from '@atoll/core';
import { BadRequestException, ConflictException, NotFoundException } from '@atoll/aws-models/apigateway';
import type { ApiGatewayStore, Kind, Row } from '../apigateway-store.js';
import { vpcLinkExists } from '../vpc-links/vpc-link-operations.js';
import { apiId as newApiId, apiKeyId, apiKeyValue, randomId, resourceId } from '../ids.js';
import type { ApiKeyDoc, GatewayResponseDoc, ModelDoc, RequestValidatorDoc, MethodDoc, ResourceDoc, RestApiDoc, RestAuthorizerDoc, RestDeploymentDoc, RestStageDoc, UsagePlanDoc, UsagePlanKeyDoc } from './rest-api-records.js';

type Input = Record<string, unknown>;

const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'ANY']);
const INTEGRATION_TYPES = new Set(['HTTP', 'AWS', 'MOCK', 'HTTP_PROXY', 'AWS_PROXY']);
/** Atoll serves no Cognito user pools, so an authorizer on them could never let a request in. */
export const COGNITO_UNSUPPORTED =
  'Cognito user pool authorizers (COGNITO_USER_POOLS) are not supported: Atoll does not serve Amazon Cognito. Use a Lambda (TOKEN or REQUEST) authorizer, AWS_IAM, or an HTTP API JWT authorizer.';

function now(): string {
  return new Date().toISOString();
}

function defined(input: Input, omit: readonly string[]): Input {
  const out: Input = {};
  for (const [key, value] of Object.entries(input)) if (value !== undefined && !omit.includes(key)) out[key] = value;
  return out;
}

/** Applies JSON-patch style `patchOperations` (replace/add/remove on `/name`, `/variables/x`, `/throttle/rateLimit` …). */
export function applyPatch<D extends object>(doc: D, ops: unknown): D {
  const out = structuredClone(doc) as Record<string, unknown>;
  for (const op of (ops as { op?: string; path?: string; value?: string }[] | undefined) ?? []) {
    const keys = String(op.path ?? '')
      .split('/')
      .slice(1)
      .map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'));
    if (keys.length === 0) continue;
    let target = out;
    for (const key of keys.slice(0, -1)) {
      if (typeof target[key] !== 'object' || target[key] === null) target[key] = {};
      target = target[key] as Record<string, unknown>;
    }
    const last = keys[keys.length - 1]!;
    if (op.op === 'remove') delete target[last];
    else {
      const current = target[last];
      const value = op.value;
      target[last] = typeof current === 'number' ? Number(value) : typeof current === 'boolean' ? value === 'true' : /^(rateLimit|burstLimit|limit|offset)$/.test(last) ? Number(value) : value === 'true' || value === 'false' ? value === 'true' : value;
    }
  }
  return out as D;
}

export function createRestApiOperations(store: ApiGatewayStore): Record<string, OperationHandler> {
  async function api(ctx: RequestContext, id: string): Promise<Row<RestApiDoc>> {
    const row = await store.get<RestApiDoc>(ctx.accountId, ctx.region, 'restapi', id, id);
    if (!row) throw new NotFoundException(`Invalid API identifier specified ${ctx.accountId}:${id}`);
    return row;
  }

  async function child<D>(ctx: RequestContext, kind: Kind, apiId: string, id: string, label: string): Promise<Row<D>> {
    await api(ctx, apiId);
    const row = await store.get<D>(ctx.accountId, ctx.region, kind, apiId, id);
    if (!row) throw new NotFoundException(`Invalid ${label} identifier specified ${ctx.accountId}:${apiId}:${id}`);
    return row;
  }

  async function method(ctx: RequestContext, input: Input): Promise<Row<MethodDoc>> {
    const apiId = String(input.restApiId);
    await child(ctx, 'resource', apiId, String(input.resourceId), 'Resource');
    const row = await store.get<MethodDoc>(ctx.accountId, ctx.region, 'method', apiId, `${String(input.resourceId)} ${String(input.httpMethod)}`);
    if (!row) throw new NotFoundException('Invalid Method identifier specified');
    return row;
  }

  async function resourcesWithMethods(ctx: RequestContext, apiId: string): Promise<ResourceDoc[]> {
    const resources = await store.list<ResourceDoc>(ctx.accountId, ctx.region, 'resource', apiId);
    const methods = await store.list<MethodDoc>(ctx.accountId, ctx.region, 'method', apiId);
    return resources.map((r) => {
      const own = methods.filter((m) => m.id.startsWith(`${r.id} `));
      return own.length > 0 ? { ...r.doc, resourceMethods: Object.fromEntries(own.map((m) => [m.doc.httpMethod, m.doc])) } : r.doc;
    });
  }

  async function apiKey(ctx: RequestContext, id: string): Promise<Row<ApiKeyDoc>> {
    const row = await store.get<ApiKeyDoc>(ctx.accountId, ctx.region, 'apikey', '', id);
    if (!row) throw new NotFoundException('Invalid API Key identifier specified');
    return row;
  }

  async function usagePlan(ctx: RequestContext, id: string): Promise<Row<UsagePlanDoc>> {
    const row = await store.get<UsagePlanDoc>(ctx.accountId, ctx.region, 'usageplan', '', id);
    if (!row) throw new NotFoundException(`Invalid Usage Plan ID specified`);
    return row;
  }

  const row = <D>(ctx: RequestContext, kind: Kind, apiId: string, id: string, doc: D): Row<D> => ({ accountId: ctx.accountId, region: ctx.region, kind, apiId, id, doc });

  const apiKeyOutput = (doc: ApiKeyDoc, includeValue: boolean): ApiKeyDoc => (includeValue ? doc : { ...doc, value: undefined as unknown as string });

  const ops: Record<string, OperationHandler> = {
    async CreateRestApi(input: Input, ctx) {
      const id = newApiId();
      const root = resourceId();
      const doc: RestApiDoc = {
        apiKeySource: 'HEADER',
        endpointConfiguration: { types: ['EDGE'] },
        disableExecuteApiEndpoint: false,
        ...(defined(input, ['cloneFrom']) as Partial<RestApiDoc>),
        id,
        name: String(input.name),
        createdDate: now(),
        rootResourceId: root,
        tags: (input.tags as Record<string, string> | undefined) ?? {},
      };
      await store.insert(row(ctx, 'restapi', id, id, doc));
      await store.insert(row<ResourceDoc>(ctx, 'resource', id, root, { id: root, path: '/' }));
      return doc;
    },
    async GetRestApi(input: Input, ctx) {
      return (await api(ctx, String(input.restApiId))).doc;
    },
    async GetRestApis(_input: Input, ctx) {
      return { items: (await store.listKind<RestApiDoc>(ctx.accountId, ctx.region, 'restapi')).map((r) => r.doc) };
    },
    async UpdateRestApi(input: Input, ctx) {
      const found = await api(ctx, String(input.restApiId));
      // `/binaryMediaTypes/<type with ~1 for />` is added or removed as a list member.
      const ops = (input.patchOperations as { op?: string; path?: string; value?: string }[] | undefined) ?? [];
      let types = [...(found.doc.binaryMediaTypes ?? [])];
      const rest = ops.filter((op) => {
        const m = /^\/binaryMediaTypes\/(.+)$/.exec(op.path ?? '');
        if (!m) return true;
        const type = m[1]!.replace(/~1/g, '/').replace(/~0/g, '~');
        types = types.filter((t) => t !== type);
        if (op.op === 'add' || op.op === 'replace') types.push(op.op === 'replace' && op.value ? op.value : type);
        return false;
      });
      const doc = { ...applyPatch(found.doc, rest), binaryMediaTypes: types };
      await store.update({ ...found, doc });
      return doc;
    },
    async DeleteRestApi(input: Input, ctx) {
      const id = String(input.restApiId);
      if (!(await store.delete(ctx.accountId, ctx.region, 'restapi', id, id))) throw new NotFoundException(`Invalid API identifier specified ${ctx.accountId}:${id}`);
      return {};
    },

    async GetResources(input: Input, ctx) {
      const apiId = String(input.restApiId);
      await api(ctx, apiId);
      return { items: await resourcesWithMethods(ctx, apiId) };
    },
    async GetResource(input: Input, ctx) {
      const apiId = String(input.restApiId);
      await child(ctx, 'resource', apiId, String(input.resourceId), 'Resource');
      return (await resourcesWithMethods(ctx, apiId)).find((r) => r.id === input.resourceId);
    },
    async CreateResource(input: Input, ctx) {
      const apiId = String(input.restApiId);
      const parent = await child<ResourceDoc>(ctx, 'resource', apiId, String(input.parentId), 'Resource');
      const pathPart = String(input.pathPart);
      if (!/^([A-Za-z0-9._:~\-]+|\{[A-Za-z0-9._\-]+\+?\})$/.test(pathPart)) {
        throw new BadRequestException(`Resource's path part only allow a-zA-Z0-9._- and curly braces at the beginning and the end and an optional plus sign before the closing brace.`);
      }
      if (parent.doc.pathPart && /\+\}$/.test(parent.doc.pathPart)) throw new BadRequestException('Cannot create a child of a resource with a greedy path variable');
      const siblings = await store.list<ResourceDoc>(ctx.accountId, ctx.region, 'resource', apiId);
      if (siblings.some((s) => s.doc.parentId === parent.id && s.doc.pathPart === pathPart)) {
        throw new ConflictException(`Another resource with the same parent already has this name: ${pathPart}`);
      }
      if (pathPart.startsWith('{') && siblings.some((s) => s.doc.parentId === parent.id && s.doc.pathPart?.startsWith('{'))) {
        throw new BadRequestException(`A sibling ({...}) of this resource already has a variable path part -- only one is allowed`);
      }
      const id = resourceId();
      const doc: ResourceDoc = { id, parentId: parent.id, pathPart, path: `${parent.doc.path === '/' ? '' : parent.doc.path}/${pathPart}` };
      await store.insert(row(ctx, 'resource', apiId, id, doc));
      return doc;
    },
    async DeleteResource(input: Input, ctx) {
      const apiId = String(input.restApiId);
      const target = await child<ResourceDoc>(ctx, 'resource', apiId, String(input.resourceId), 'Resource');
      if (!target.doc.parentId) throw new BadRequestException('Cannot delete root resource');
      const all = await store.list<ResourceDoc>(ctx.accountId, ctx.region, 'resource', apiId);
      const doomed = all.filter((r) => r.doc.path === target.doc.path || r.doc.path.startsWith(`${target.doc.path}/`)).map((r) => r.id);
      const methods = await store.list<MethodDoc>(ctx.accountId, ctx.region, 'method', apiId);
      await store.deleteMany(ctx.accountId, ctx.region, apiId, [
        ...doomed.map((id) => ({ kind: 'resource' as const, id })),
        ...methods.filter((m) => doomed.includes(m.id.split(' ')[0]!)).map((m) => ({ kind: 'method' as const, id: m.id })),
      ]);
      return {};
    },

    async PutMethod(input: Input, ctx) {
      const apiId = String(input.restApiId);
      const resource = String(input.resourceId);
      await child(ctx, 'resource', apiId, resource, 'Resource');
      const httpMethod = String(input.httpMethod).toUpperCase();
      if (!METHODS.has(httpMethod)) throw new BadRequestException(`Invalid HttpMethod specified. Valid options are ${[...METHODS].join(',')}`);
      const authorizationType = String(input.authorizationType);
      if (!['NONE', 'AWS_IAM', 'CUSTOM', 'COGNITO_USER_POOLS'].includes(authorizationType)) {
        throw new BadRequestException(`Invalid authorization type specified. Valid options are NONE,AWS_IAM,CUSTOM,COGNITO_USER_POOLS`);
      }
      if (authorizationType === 'COGNITO_USER_POOLS') throw new BadRequestException(COGNITO_UNSUPPORTED);
      if (authorizationType === 'CUSTOM') {
        if (!input.authorizerId) throw new BadRequestException('Invalid authorizer ID specified. Setting the authorization type to CUSTOM or COGNITO_USER_POOLS requires a valid authorizer.');
        await child(ctx, 'authorizer', apiId, String(input.authorizerId), 'Authorizer');
      }
      if (input.requestValidatorId !== undefined) await child(ctx, 'requestvalidator', apiId, String(input.requestValidatorId), 'Request Validator');
      for (const model of Object.values((input.requestModels as Record<string, string> | undefined) ?? {})) {
        if (!(await store.get(ctx.accountId, ctx.region, 'model', apiId, model))) throw new BadRequestException(`Invalid model identifier specified: ${model}`);
      }
      const doc: MethodDoc = {
        apiKeyRequired: false,
        ...(defined(input, ['restApiId', 'resourceId']) as Partial<MethodDoc>),
        httpMethod,
        authorizationType,
      };
      const key = `${resource} ${httpMethod}`;
      if (!(await store.insert(row(ctx, 'method', apiId, key, doc)))) throw new ConflictException('Method already exists for this resource');
      return doc;
    },
    async GetMethod(input: Input, ctx) {
      return (await method(ctx, input)).doc;
    },
    async UpdateMethod(input: Input, ctx) {
      const found = await method(ctx, input);
      const doc = applyPatch(found.doc, input.patchOperations);
      await store.update({ ...found, doc });
      return doc;
    },
    async DeleteMethod(input: Input, ctx) {
      const found = await method(ctx, input);
      await store.delete(ctx.accountId, ctx.region, 'method', found.apiId, found.id);
      return {};
    },
    async PutMethodResponse(input: Input, ctx) {
      const found = await method(ctx, input);
      const status = String(input.statusCode);
      const response = { statusCode: status, ...(defined(input, ['restApiId', 'resourceId', 'httpMethod', 'statusCode']) as object) };
      await store.update({ ...found, doc: { ...found.doc, methodResponses: { ...found.doc.methodResponses, [status]: response } } });
      return response;
    },

    async PutIntegration(input: Input, ctx) {
      const found = await method(ctx, input);
      const type = String(input.type);
      if (!INTEGRATION_TYPES.has(type)) throw new BadRequestException(`Invalid integration type specified. Valid options are HTTP,AWS,MOCK,HTTP_PROXY,AWS_PROXY`);
      if (type !== 'MOCK' && !input.uri) throw new BadRequestException('Enumeration value for Integration uri must be non-empty');
      if (type !== 'MOCK' && !input.integrationHttpMethod) throw new BadRequestException('Enumeration value for HttpMethod must be non-empty');
      if (input.connectionType === 'VPC_LINK' && !(input.connectionId && (await vpcLinkExists(store, ctx, input.connectionId)))) {
        throw new BadRequestException('Invalid VPC link identifier specified');
      }
      if (type === 'HTTP_PROXY' || type === 'HTTP') {
        try {
          new URL(String(input.uri));
        } catch {
          throw new BadRequestException('Invalid HTTP endpoint specified for URI');
        }
      }
      const integration = {
        timeoutInMillis: 29000,
        passthroughBehavior: 'WHEN_NO_MATCH',
        cacheNamespace: found.id.split(' ')[0],
        cacheKeyParameters: [],
        ...defined(input, ['restApiId', 'resourceId', 'httpMethod', 'integrationHttpMethod']),
        type,
        ...(input.integrationHttpMethod !== undefined ? { httpMethod: String(input.integrationHttpMethod) } : {}),
      };
      await store.update({ ...found, doc: { ...found.doc, methodIntegration: integration } });
      return integration;
    },
    async GetIntegration(input: Input, ctx) {
      const found = await method(ctx, input);
      if (!found.doc.methodIntegration) throw new NotFoundException('No integration defined for method');
      return found.doc.methodIntegration;
    },
    async DeleteIntegration(input: Input, ctx) {
      const found = await method(ctx, input);
      const { methodIntegration: _gone, ...doc } = found.doc;
      await store.update({ ...found, doc });
      return {};
    },
    async PutIntegrationResponse(input: Input, ctx) {
      const found = await method(ctx, input);
      if (!found.doc.methodIntegration) throw new NotFoundException('No integration defined for method');
      const status = String(input.statusCode);
      const response = { statusCode: status, ...(defined(input, ['restApiId', 'resourceId', 'httpMethod', 'statusCode']) as object) };
      const integration = { ...found.doc.methodIntegration, integrationResponses: { ...(found.doc.methodIntegration.integrationResponses as object), [status]: response } };
      await store.update({ ...found, doc: { ...found.doc, methodIntegration: integration } });
      return response;
    },

    async CreateAuthorizer(input: Input, ctx) {
      const apiId = String(input.restApiId);
      await api(ctx, apiId);
      const type = String(input.type);
      if (!['TOKEN', 'REQUEST', 'COGNITO_USER_POOLS'].includes(type)) throw new BadRequestException('Invalid authorizer type specified. Valid options are TOKEN,REQUEST,COGNITO_USER_POOLS');
      if (type === 'COGNITO_USER_POOLS') throw new BadRequestException(COGNITO_UNSUPPORTED);
      if (!input.authorizerUri) throw new BadRequestException('Authorizer URI is required for TOKEN and REQUEST authorizers');
      if (type === 'TOKEN' && !input.identitySource) throw new BadRequestException('Identity source is required for TOKEN authorizers');
      const doc: RestAuthorizerDoc = {
        authorizerResultTtlInSeconds: 300,
        ...(defined(input, ['restApiId']) as Partial<RestAuthorizerDoc>),
        id: randomId(6),
        name: String(input.name),
        type,
      };
      await store.insert(row(ctx, 'authorizer', apiId, doc.id, doc));
      return doc;
    },
    async GetAuthorizer(input: Input, ctx) {
      return (await child<RestAuthorizerDoc>(ctx, 'authorizer', String(input.restApiId), String(input.authorizerId), 'Authorizer')).doc;
    },
    async GetAuthorizers(input: Input, ctx) {
      await api(ctx, String(input.restApiId));
      return { items: (await store.list<RestAuthorizerDoc>(ctx.accountId, ctx.region, 'authorizer', String(input.restApiId))).map((r) => r.doc) };
    },
    async UpdateAuthorizer(input: Input, ctx) {
      const found = await child<RestAuthorizerDoc>(ctx, 'authorizer', String(input.restApiId), String(input.authorizerId), 'Authorizer');
      const doc = applyPatch(found.doc, input.patchOperations);
      await store.update({ ...found, doc });
      return doc;
    },
    async DeleteAuthorizer(input: Input, ctx) {
      const apiId = String(input.restApiId);
      await child(ctx, 'authorizer', apiId, String(input.authorizerId), 'Authorizer');
      const methods = await store.list<MethodDoc>(ctx.accountId, ctx.region, 'method', apiId);
      if (methods.some((m) => m.doc.authorizerId === input.authorizerId)) throw new ConflictException('Cannot delete authorizer, is referenced in method');
      await store.delete(ctx.accountId, ctx.region, 'authorizer', apiId, String(input.authorizerId));
      return {};
    },

    async CreateDeployment(input: Input, ctx) {
      const apiId = String(input.restApiId);
      await api(ctx, apiId);
      const resources = await resourcesWithMethods(ctx, apiId);
      if (!resources.some((r) => r.resourceMethods && Object.keys(r.resourceMethods).length > 0)) {
        throw new BadRequestException('The REST API doesn\'t contain any methods');
      }
      for (const r of resources) {
        for (const m of Object.values(r.resourceMethods ?? {})) {
          if (!m.methodIntegration) throw new BadRequestException('No integration defined for method');
        }
      }
      const doc: RestDeploymentDoc = {
        id: randomId(6),
        createdDate: now(),
        ...(input.description !== undefined ? { description: String(input.description) } : {}),
        snapshot: {
          resources,
          authorizers: (await store.list<RestAuthorizerDoc>(ctx.accountId, ctx.region, 'authorizer', apiId)).map((r) => r.doc),
          models: (await store.list<ModelDoc>(ctx.accountId, ctx.region, 'model', apiId)).map((r) => r.doc),
          validators: (await store.list<RequestValidatorDoc>(ctx.accountId, ctx.region, 'requestvalidator', apiId)).map((r) => r.doc),
          gatewayResponses: (await store.list<GatewayResponseDoc>(ctx.accountId, ctx.region, 'gatewayresponse', apiId)).map((r) => r.doc),
        },
      };
      await store.insert(row(ctx, 'deployment', apiId, doc.id, doc));
      if (input.stageName !== undefined) {
        const name = String(input.stageName);
        const existing = await store.get<RestStageDoc>(ctx.accountId, ctx.region, 'stage', apiId, name);
        if (existing) await store.update({ ...existing, doc: { ...existing.doc, deploymentId: doc.id, lastUpdatedDate: now(), ...(input.variables ? { variables: input.variables as Record<string, string> } : {}) } });
        else {
          const stage: RestStageDoc = {
            stageName: name,
            deploymentId: doc.id,
            variables: (input.variables as Record<string, string> | undefined) ?? {},
            ...(input.stageDescription !== undefined ? { description: String(input.stageDescription) } : {}),
            methodSettings: {},
            tracingEnabled: Boolean(input.tracingEnabled),
            cacheClusterEnabled: false,
            createdDate: now(),
            lastUpdatedDate: now(),
            tags: {},
          };
          await store.insert(row(ctx, 'stage', apiId, name, stage));
        }
      }
      const { snapshot: _s, ...out } = doc;
      return out;
    },
    async GetDeployment(input: Input, ctx) {
      const { snapshot: _s, ...out } = (await child<RestDeploymentDoc>(ctx, 'deployment', String(input.restApiId), String(input.deploymentId), 'Deployment')).doc;
      return out;
    },
    async GetDeployments(input: Input, ctx) {
      await api(ctx, String(input.restApiId));
      return { items: (await store.list<RestDeploymentDoc>(ctx.accountId, ctx.region, 'deployment', String(input.restApiId))).map(({ doc: { snapshot: _s, ...out } }) => out) };
    },
    async DeleteDeployment(input: Input, ctx) {
      const apiId = String(input.restApiId);
      await child(ctx, 'deployment', apiId, String(input.deploymentId), 'Deployment');
      const stages = await store.list<RestStageDoc>(ctx.accountId, ctx.region, 'stage', apiId);
      if (stages.some((s) => s.doc.deploymentId === input.deploymentId)) {
        throw new BadRequestException('Active stages pointing to this deployment must be moved or deleted');
      }
      await store.delete(ctx.accountId, ctx.region, 'deployment', apiId, String(input.deploymentId));
      return {};
    },

    async CreateStage(input: Input, ctx) {
      const apiId = String(input.restApiId);
      await child(ctx, 'deployment', apiId, String(input.deploymentId), 'Deployment');
      const name = String(input.stageName);
      if (!/^[A-Za-z0-9_-]{1,128}$/.test(name)) throw new BadRequestException('Stage name only allows a-zA-Z0-9_');
      const doc: RestStageDoc = {
        methodSettings: {},
        cacheClusterEnabled: false,
        tracingEnabled: false,
        variables: {},
        tags: {},
        ...(defined(input, ['restApiId']) as Partial<RestStageDoc>),
        stageName: name,
        deploymentId: String(input.deploymentId),
        createdDate: now(),
        lastUpdatedDate: now(),
      };
      if (!(await store.insert(row(ctx, 'stage', apiId, name, doc)))) throw new ConflictException('Stage already exists');
      return doc;
    },
    async GetStage(input: Input, ctx) {
      return (await child<RestStageDoc>(ctx, 'stage', String(input.restApiId), String(input.stageName), 'Stage')).doc;
    },
    async GetStages(input: Input, ctx) {
      await api(ctx, String(input.restApiId));
      return { item: (await store.list<RestStageDoc>(ctx.accountId, ctx.region, 'stage', String(input.restApiId))).map((r) => r.doc) };
    },
    async UpdateStage(input: Input, ctx) {
      const found = await child<RestStageDoc>(ctx, 'stage', String(input.restApiId), String(input.stageName), 'Stage');
      // `/<resource path, ~1 for slashes>/<METHOD>/<group>/<setting>` patches a method setting (`/*/*/throttling/rateLimit`).
      const ops = (input.patchOperations as { op?: string; path?: string; value?: string }[] | undefined) ?? [];
      const methodSettings = structuredClone(found.doc.methodSettings ?? {}) as Record<string, Record<string, unknown>>;
      const rest = ops.filter((op) => {
        const m = /^\/(.+)\/([A-Z]+|\*)\/(throttling|caching|logging|metrics)\/([A-Za-z]+)$/.exec(op.path ?? '');
        if (!m) return true;
        const key = `${m[1]!.replace(/~1/g, '/').replace(/^\//, '')}/${m[2]}`;
        const name = `${m[3] === 'metrics' ? 'metricsEnabled' : m[3]}${m[3] === 'metrics' ? '' : m[4]![0]!.toUpperCase() + m[4]!.slice(1)}`;
        const setting = (methodSettings[key] ??= {});
        if (op.op === 'remove') delete setting[name];
        else setting[name] = /^\d+(\.\d+)?$/.test(op.value ?? '') ? Number(op.value) : op.value === 'true' || op.value === 'false' ? op.value === 'true' : op.value;
        return false;
      });
      const doc = { ...applyPatch(found.doc, rest), methodSettings, lastUpdatedDate: now() };
      if (doc.deploymentId !== found.doc.deploymentId) await child(ctx, 'deployment', String(input.restApiId), doc.deploymentId, 'Deployment');
      await store.update({ ...found, doc });
      return doc;
    },
    async DeleteStage(input: Input, ctx) {
      await child(ctx, 'stage', String(input.restApiId), String(input.stageName), 'Stage');
      await store.delete(ctx.accountId, ctx.region, 'stage', String(input.restApiId), String(input.stageName));
      return {};
    },

    async CreateApiKey(input: Input, ctx) {
      const value = input.value !== undefined ? String(input.value) : apiKeyValue();
      if (value.length < 20) throw new BadRequestException('API Key value should be at least 20 characters');
      const existing = await store.listKind<ApiKeyDoc>(ctx.accountId, ctx.region, 'apikey');
      if (existing.some((k) => k.doc.value === value)) throw new ConflictException('API Key already exists');
      const id = apiKeyId();
      const doc: ApiKeyDoc = {
        id,
        value,
        name: (input.name as string | undefined) ?? id,
        enabled: input.enabled === true,
        createdDate: now(),
        lastUpdatedDate: now(),
        stageKeys: ((input.stageKeys as { restApiId?: string; stageName?: string }[] | undefined) ?? []).map((k) => `${k.restApiId}/${k.stageName}`),
        ...(input.description !== undefined ? { description: String(input.description) } : {}),
        ...(input.customerId !== undefined ? { customerId: String(input.customerId) } : {}),
        tags: (input.tags as Record<string, string> | undefined) ?? {},
      };
      await store.insert(row(ctx, 'apikey', '', id, doc));
      return doc;
    },
    async GetApiKey(input: Input, ctx) {
      return apiKeyOutput((await apiKey(ctx, String(input.apiKey))).doc, input.includeValue === true);
    },
    async GetApiKeys(input: Input, ctx) {
      const keys = await store.listKind<ApiKeyDoc>(ctx.accountId, ctx.region, 'apikey');
      const name = input.nameQuery as string | undefined;
      return { items: keys.filter((k) => !name || k.doc.name.startsWith(name)).map((k) => apiKeyOutput(k.doc, input.includeValues === true)) };
    },
    async UpdateApiKey(input: Input, ctx) {
      const found = await apiKey(ctx, String(input.apiKey));
      const doc = { ...applyPatch(found.doc, input.patchOperations), lastUpdatedDate: now() };
      await store.update({ ...found, doc });
      return doc;
    },
    async DeleteApiKey(input: Input, ctx) {
      await apiKey(ctx, String(input.apiKey));
      await store.delete(ctx.accountId, ctx.region, 'apikey', '', String(input.apiKey));
      return {};
    },

    async CreateUsagePlan(input: Input, ctx) {
      const stages = (input.apiStages as { apiId?: string; stage?: string }[] | undefined) ?? [];
      for (const s of stages) {
        const found = await store.get(ctx.accountId, ctx.region, 'stage', String(s.apiId), String(s.stage));
        if (!found) throw new BadRequestException(`Invalid stage identifier specified`);
      }
      const quota = input.quota as { limit?: number; period?: string } | undefined;
      if (quota && (!quota.period || !['DAY', 'WEEK', 'MONTH'].includes(quota.period))) throw new BadRequestException('Invalid quota period specified');
      const id = randomId(6);
      const doc: UsagePlanDoc = { apiStages: [], ...(defined(input, []) as Partial<UsagePlanDoc>), id, name: String(input.name) };
      await store.insert(row(ctx, 'usageplan', '', id, doc));
      return doc;
    },
    async GetUsagePlan(input: Input, ctx) {
      return (await usagePlan(ctx, String(input.usagePlanId))).doc;
    },
    async GetUsagePlans(input: Input, ctx) {
      let plans = (await store.listKind<UsagePlanDoc>(ctx.accountId, ctx.region, 'usageplan')).map((r) => r.doc);
      if (input.keyId !== undefined) {
        const keys = await store.listKind<UsagePlanKeyDoc>(ctx.accountId, ctx.region, 'usageplankey');
        plans = plans.filter((p) => keys.some((k) => k.apiId === p.id && k.id === input.keyId));
      }
      return { items: plans };
    },
    async UpdateUsagePlan(input: Input, ctx) {
      const found = await usagePlan(ctx, String(input.usagePlanId));
      let doc = found.doc;
      for (const op of (input.patchOperations as { op?: string; path?: string; value?: string }[] | undefined) ?? []) {
        if (op.path === '/apiStages' && op.value) {
          const [apiId, stage] = op.value.split(':');
          const stages = doc.apiStages ?? [];
          doc = { ...doc, apiStages: op.op === 'remove' ? stages.filter((s) => !(s.apiId === apiId && s.stage === stage)) : [...stages, { apiId: apiId!, stage: stage! }] };
        } else doc = applyPatch(doc, [op]);
      }
      await store.update({ ...found, doc });
      return doc;
    },
    async DeleteUsagePlan(input: Input, ctx) {
      await usagePlan(ctx, String(input.usagePlanId));
      await store.delete(ctx.accountId, ctx.region, 'usageplan', '', String(input.usagePlanId));
      return {};
    },
    async CreateUsagePlanKey(input: Input, ctx) {
      const planId = String(input.usagePlanId);
      await usagePlan(ctx, planId);
      if (input.keyType !== 'API_KEY') throw new BadRequestException('Invalid key type specified');
      const key = await apiKey(ctx, String(input.keyId));
      const doc: UsagePlanKeyDoc = { id: key.id, type: 'API_KEY', value: key.doc.value, name: key.doc.name };
      if (!(await store.insert(row(ctx, 'usageplankey', planId, key.id, doc)))) throw new ConflictException(`Usage Plan ${planId} cannot be added because API Key ${key.id} cannot reference multiple Usage Plans with the same API Stage`);
      return doc;
    },
    async GetUsagePlanKeys(input: Input, ctx) {
      const planId = String(input.usagePlanId);
      await usagePlan(ctx, planId);
      return { items: (await store.list<UsagePlanKeyDoc>(ctx.accountId, ctx.region, 'usageplankey', planId)).map((r) => r.doc) };
    },
    async DeleteUsagePlanKey(input: Input, ctx) {
      const planId = String(input.usagePlanId);
      await usagePlan(ctx, planId);
      if (!(await store.delete(ctx.accountId, ctx.region, 'usageplankey', planId, String(input.keyId)))) throw new NotFoundException('Invalid API Key identifier specified');
      return {};
    },
  };
  return ops;
}
