// The HTTP API control plane (apigatewayv2): APIs (with quick create), routes, integrations,
// authorizers (JWT and Lambda REQUEST), deployments and stages. Documents are kept in the shape
// AWS returns them; a deployment also keeps the snapshot of routes, integrations and authorizers it
// froze, which the data plane serves for stages that are not auto-deployed.
import type { OperationHandler, RequestContext } from '@atoll/core';
import { BadRequestException, ConflictException, NotFoundException } from '@atoll/aws-models/apigatewayv2';
import type { ApiGatewayStore, Kind, Row } from '../apigateway-store.js';
import { apiId as newApiId, childId } from '../ids.js';
import { invokeUrl } from '../invoke-url.js';
import { SUBTYPES } from '../data-plane/first-class-integrations.js';
import { vpcLinkExists } from '../vpc-links/vpc-link-operations.js';
import type { HttpApiDoc, HttpAuthorizerDoc, HttpDeploymentDoc, HttpIntegrationDoc, HttpRouteDoc, HttpStageDoc } from './http-api-records.js';

type Input = Record<string, unknown>;

const ROUTE_KEY = /^(\$default|(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|ANY) (\/[^\s]*))$/;

function now(): string {
  return new Date().toISOString();
}

/** Copies the input members that are set, leaving out the path parameters. */
function defined(input: Input, omit: readonly string[]): Input {
  const out: Input = {};
  for (const [key, value] of Object.entries(input)) if (value !== undefined && !omit.includes(key)) out[key] = value;
  return out;
}

function checkRouteKey(routeKey: string, protocol: string): void {
  if (protocol !== 'HTTP') return;
  const m = ROUTE_KEY.exec(routeKey);
  if (!m) throw new BadRequestException(`Unable to create route ${routeKey}. The route key must be either $default or match the format: {HTTP method} {path}.`);
  const path = m[3];
  if (path && path !== '/' && (path.endsWith('/') || /\{[^}]*\+\}./.test(path))) {
    throw new BadRequestException(`Unable to create route ${routeKey}. A greedy path variable must be the last segment, and a path must not end with a slash.`);
  }
}

function integrationTypeOf(target: string): 'AWS_PROXY' | 'HTTP_PROXY' {
  return target.startsWith('arn:') ? 'AWS_PROXY' : 'HTTP_PROXY';
}

export function createHttpApiOperations(store: ApiGatewayStore, edge: () => string): Record<string, OperationHandler> {
  const scope = (ctx: RequestContext) => [ctx.accountId, ctx.region] as const;

  async function api(ctx: RequestContext, id: string): Promise<Row<HttpApiDoc>> {
    const row = await store.get<HttpApiDoc>(ctx.accountId, ctx.region, 'httpapi', id, id);
    if (!row) throw new NotFoundException(`Invalid API identifier specified ${ctx.accountId}:${id}`, { ResourceType: 'Api' });
    return row;
  }

  async function child<D>(ctx: RequestContext, kind: Kind, id: string, child: string, label: string): Promise<Row<D>> {
    await api(ctx, id);
    const row = await store.get<D>(ctx.accountId, ctx.region, kind, id, child);
    if (!row) throw new NotFoundException(`Invalid ${label} identifier specified ${ctx.accountId}:${id}:${child}`, { ResourceType: label });
    return row;
  }

  function apiOutput(row: Row<HttpApiDoc>): HttpApiDoc {
    const url = invokeUrl(row.doc.ApiId, row.region, edge());
    return { ...row.doc, ApiEndpoint: row.doc.ProtocolType === 'WEBSOCKET' ? url.replace(/^http:/, 'ws:') : url };
  }

  async function put<D>(ctx: RequestContext, kind: Kind, apiId: string, id: string, doc: D): Promise<D> {
    const [accountId, region] = scope(ctx);
    await store.insert({ accountId, region, kind, apiId, id, doc });
    return doc;
  }

  async function replace<D>(row: Row<D>, doc: D): Promise<D> {
    await store.update({ ...row, doc });
    return doc;
  }

  async function createIntegration(ctx: RequestContext, apiId: string, input: Input): Promise<HttpIntegrationDoc> {
    const type = String(input.IntegrationType);
    if (!['AWS_PROXY', 'HTTP_PROXY', 'MOCK', 'HTTP', 'AWS'].includes(type)) throw new BadRequestException(`Invalid integration type ${type}`);
    if ((type === 'AWS_PROXY' || type === 'HTTP_PROXY') && !input.IntegrationUri && !input.IntegrationSubtype) {
      throw new BadRequestException('IntegrationUri is required for AWS_PROXY and HTTP_PROXY integrations.');
    }
    if (type === 'AWS_PROXY' && input.PayloadFormatVersion !== undefined && !['1.0', '2.0'].includes(String(input.PayloadFormatVersion))) {
      throw new BadRequestException(`Invalid payload format version ${String(input.PayloadFormatVersion)}. Supported versions are 1.0 and 2.0.`);
    }
    if (input.ConnectionType === 'VPC_LINK') {
      if (!input.ConnectionId || !(await vpcLinkExists(store, ctx, input.ConnectionId))) {
        throw new NotFoundException(`Invalid VpcLink identifier specified ${ctx.accountId}:${String(input.ConnectionId)}`, { ResourceType: 'VpcLink' });
      }
      if (type !== 'HTTP_PROXY') throw new BadRequestException('VPC_LINK connections are supported with HTTP_PROXY integrations.');
      if (!/^arn:aws[a-z-]*:(elasticloadbalancing|servicediscovery):/.test(String(input.IntegrationUri ?? ''))) {
        throw new BadRequestException('A private integration takes a load balancer listener ARN or a Cloud Map service ARN as its IntegrationUri.');
      }
    } else if (type === 'HTTP_PROXY' && input.IntegrationUri !== undefined && !String(input.IntegrationUri).includes('${')) {
      try {
        new URL(String(input.IntegrationUri));
      } catch {
        throw new BadRequestException(`Invalid IntegrationUri ${String(input.IntegrationUri)}: an HTTP_PROXY integration takes an http(s) URL.`);
      }
    }
    if (input.IntegrationSubtype !== undefined) {
      const subtype = SUBTYPES[String(input.IntegrationSubtype)];
      if (type !== 'AWS_PROXY' || !subtype) {
        throw new BadRequestException(`Invalid IntegrationSubtype ${String(input.IntegrationSubtype)}: supported with AWS_PROXY are ${Object.keys(SUBTYPES).join(', ')}.`);
      }
      const params = (input.RequestParameters as Record<string, string> | undefined) ?? {};
      const missing = subtype.required.filter((p) => params[p] === undefined);
      if (missing.length > 0) throw new BadRequestException(`Missing required parameters for integration subtype ${String(input.IntegrationSubtype)}: ${missing.join(', ')}.`);
      if (input.PayloadFormatVersion !== undefined && input.PayloadFormatVersion !== '1.0') throw new BadRequestException('AWS service integrations support only payload format version 1.0.');
    }
    const doc: HttpIntegrationDoc = {
      ConnectionType: 'INTERNET',
      IntegrationMethod: type === 'HTTP_PROXY' ? 'ANY' : type === 'AWS_PROXY' ? 'POST' : undefined,
      PayloadFormatVersion: type === 'HTTP_PROXY' || input.IntegrationSubtype !== undefined ? '1.0' : '2.0',
      TimeoutInMillis: 30000,
      ...(defined(input, ['ApiId']) as Partial<HttpIntegrationDoc>),
      IntegrationId: childId(),
      IntegrationType: type,
    };
    return put(ctx, 'integration', apiId, doc.IntegrationId, doc);
  }

  async function snapshot(ctx: RequestContext, apiId: string): Promise<HttpDeploymentDoc['snapshot']> {
    const [accountId, region] = scope(ctx);
    return {
      routes: (await store.list<HttpRouteDoc>(accountId, region, 'route', apiId)).map((r) => r.doc),
      integrations: (await store.list<HttpIntegrationDoc>(accountId, region, 'integration', apiId)).map((r) => r.doc),
      authorizers: (await store.list<HttpAuthorizerDoc>(accountId, region, 'authorizer', apiId)).map((r) => r.doc),
    };
  }

  const ops: Record<string, OperationHandler> = {
    async CreateApi(input: Input, ctx) {
      const protocol = String(input.ProtocolType);
      if (protocol !== 'HTTP' && protocol !== 'WEBSOCKET') throw new BadRequestException(`Invalid protocol type ${protocol}`);
      if (protocol === 'WEBSOCKET' && !input.RouteSelectionExpression) {
        throw new BadRequestException('RouteSelectionExpression is required for a WEBSOCKET API.');
      }
      const id = newApiId();
      const doc: HttpApiDoc = {
        ApiId: id,
        Name: String(input.Name),
        ProtocolType: protocol,
        RouteSelectionExpression: (input.RouteSelectionExpression as string | undefined) ?? '$request.method $request.path',
        ApiKeySelectionExpression: (input.ApiKeySelectionExpression as string | undefined) ?? '$request.header.x-api-key',
        CreatedDate: now(),
        DisableExecuteApiEndpoint: Boolean(input.DisableExecuteApiEndpoint),
        ...(input.CorsConfiguration ? { CorsConfiguration: input.CorsConfiguration as HttpApiDoc['CorsConfiguration'] } : {}),
        ...(input.Description !== undefined ? { Description: String(input.Description) } : {}),
        ...(input.Version !== undefined ? { Version: String(input.Version) } : {}),
        Tags: (input.Tags as Record<string, string> | undefined) ?? {},
      };
      await put(ctx, 'httpapi', id, id, doc);
      const [accountId, region] = scope(ctx);
      if (input.Target !== undefined) {
        // Quick create: an integration with the target, a route (the $default one unless named), a $default stage that deploys itself.
        if (protocol !== 'HTTP') throw new BadRequestException('Quick create is supported only for HTTP APIs.');
        const target = String(input.Target);
        const integration = await createIntegration(ctx, id, {
          IntegrationType: integrationTypeOf(target),
          IntegrationUri: target,
          PayloadFormatVersion: integrationTypeOf(target) === 'AWS_PROXY' ? '2.0' : '1.0',
          ApiGatewayManaged: true,
        });
        const routeKey = (input.RouteKey as string | undefined) ?? '$default';
        checkRouteKey(routeKey, protocol);
        const route: HttpRouteDoc = { RouteId: childId(), RouteKey: routeKey, Target: `integrations/${integration.IntegrationId}`, AuthorizationType: 'NONE', ApiKeyRequired: false, ApiGatewayManaged: true };
        await store.insert({ accountId, region, kind: 'route', apiId: id, id: route.RouteId, doc: route });
        const stage: HttpStageDoc = { StageName: '$default', AutoDeploy: true, CreatedDate: now(), LastUpdatedDate: now(), StageVariables: {}, DefaultRouteSettings: {}, RouteSettings: {}, Tags: {}, ApiGatewayManaged: true };
        await store.insert({ accountId, region, kind: 'stage', apiId: id, id: '$default', doc: stage });
        doc.ApiGatewayManaged = false;
      }
      return apiOutput({ accountId, region, kind: 'httpapi', apiId: id, id, doc });
    },
    async GetApi(input: Input, ctx) {
      return apiOutput(await api(ctx, String(input.ApiId)));
    },
    async GetApis(_input: Input, ctx) {
      return { Items: (await store.listKind<HttpApiDoc>(ctx.accountId, ctx.region, 'httpapi')).map(apiOutput) };
    },
    async UpdateApi(input: Input, ctx) {
      const row = await api(ctx, String(input.ApiId));
      const doc = { ...row.doc, ...(defined(input, ['ApiId', 'Target', 'RouteKey', 'CredentialsArn']) as Partial<HttpApiDoc>) };
      await replace(row, doc);
      return apiOutput({ ...row, doc });
    },
    async DeleteApi(input: Input, ctx) {
      const id = String(input.ApiId);
      if (!(await store.delete(ctx.accountId, ctx.region, 'httpapi', id, id))) {
        throw new NotFoundException(`Invalid API identifier specified ${ctx.accountId}:${id}`, { ResourceType: 'Api' });
      }
      return {};
    },
    async DeleteCorsConfiguration(input: Input, ctx) {
      const row = await api(ctx, String(input.ApiId));
      const { CorsConfiguration: _dropped, ...doc } = row.doc;
      await replace(row, doc);
      return {};
    },

    async CreateRoute(input: Input, ctx) {
      const id = String(input.ApiId);
      const parent = await api(ctx, id);
      const routeKey = String(input.RouteKey);
      checkRouteKey(routeKey, parent.doc.ProtocolType);
      const existing = await store.list<HttpRouteDoc>(ctx.accountId, ctx.region, 'route', id);
      if (existing.some((r) => r.doc.RouteKey === routeKey)) throw new ConflictException(`Unable to create Route. Route with key ${routeKey} already exists for this API`);
      const authorizationType = (input.AuthorizationType as string | undefined) ?? 'NONE';
      if (!['NONE', 'AWS_IAM', 'CUSTOM', 'JWT'].includes(authorizationType)) {
        throw new BadRequestException(`Unable to create route. Invalid authorization type ${authorizationType}: valid options are NONE, AWS_IAM, CUSTOM and JWT.`);
      }
      if ((authorizationType === 'JWT' || authorizationType === 'CUSTOM') && !input.AuthorizerId) {
        throw new BadRequestException(`Unable to create route. AuthorizerId is required for authorization type ${authorizationType}.`);
      }
      if (input.AuthorizerId !== undefined) await child(ctx, 'authorizer', id, String(input.AuthorizerId), 'Authorizer');
      const doc: HttpRouteDoc = {
        ApiKeyRequired: false,
        ...(defined(input, ['ApiId']) as Partial<HttpRouteDoc>),
        RouteId: childId(),
        RouteKey: routeKey,
        AuthorizationType: authorizationType,
      };
      return put(ctx, 'route', id, doc.RouteId, doc);
    },
    async GetRoute(input: Input, ctx) {
      return (await child<HttpRouteDoc>(ctx, 'route', String(input.ApiId), String(input.RouteId), 'Route')).doc;
    },
    async GetRoutes(input: Input, ctx) {
      await api(ctx, String(input.ApiId));
      return { Items: (await store.list<HttpRouteDoc>(ctx.accountId, ctx.region, 'route', String(input.ApiId))).map((r) => r.doc) };
    },
    async UpdateRoute(input: Input, ctx) {
      const row = await child<HttpRouteDoc>(ctx, 'route', String(input.ApiId), String(input.RouteId), 'Route');
      const doc = { ...row.doc, ...(defined(input, ['ApiId', 'RouteId']) as Partial<HttpRouteDoc>) };
      if (input.RouteKey !== undefined) checkRouteKey(doc.RouteKey, 'HTTP');
      return replace(row, doc);
    },
    async DeleteRoute(input: Input, ctx) {
      await child(ctx, 'route', String(input.ApiId), String(input.RouteId), 'Route');
      await store.delete(ctx.accountId, ctx.region, 'route', String(input.ApiId), String(input.RouteId));
      return {};
    },

    async CreateIntegration(input: Input, ctx) {
      await api(ctx, String(input.ApiId));
      return createIntegration(ctx, String(input.ApiId), input);
    },
    async GetIntegration(input: Input, ctx) {
      return (await child<HttpIntegrationDoc>(ctx, 'integration', String(input.ApiId), String(input.IntegrationId), 'Integration')).doc;
    },
    async GetIntegrations(input: Input, ctx) {
      await api(ctx, String(input.ApiId));
      return { Items: (await store.list<HttpIntegrationDoc>(ctx.accountId, ctx.region, 'integration', String(input.ApiId))).map((r) => r.doc) };
    },
    async UpdateIntegration(input: Input, ctx) {
      const row = await child<HttpIntegrationDoc>(ctx, 'integration', String(input.ApiId), String(input.IntegrationId), 'Integration');
      return replace(row, { ...row.doc, ...(defined(input, ['ApiId', 'IntegrationId']) as Partial<HttpIntegrationDoc>) });
    },
    async DeleteIntegration(input: Input, ctx) {
      const id = String(input.ApiId);
      const integrationId = String(input.IntegrationId);
      await child(ctx, 'integration', id, integrationId, 'Integration');
      const routes = await store.list<HttpRouteDoc>(ctx.accountId, ctx.region, 'route', id);
      if (routes.some((r) => r.doc.Target === `integrations/${integrationId}`)) {
        throw new ConflictException(`Cannot delete Integration ${integrationId}: it is the target of a route.`);
      }
      await store.delete(ctx.accountId, ctx.region, 'integration', id, integrationId);
      return {};
    },

    async CreateAuthorizer(input: Input, ctx) {
      const id = String(input.ApiId);
      const parent = await api(ctx, id);
      const type = String(input.AuthorizerType);
      if (type === 'JWT') {
        const jwt = input.JwtConfiguration as { Issuer?: string; Audience?: string[] } | undefined;
        if (!jwt?.Issuer) throw new BadRequestException('JwtConfiguration.Issuer is required for JWT authorizers.');
        if (!jwt.Audience || jwt.Audience.length === 0) throw new BadRequestException('JwtConfiguration.Audience is required for JWT authorizers.');
      } else if (type === 'REQUEST') {
        if (!input.AuthorizerUri) throw new BadRequestException('AuthorizerUri is required for REQUEST authorizers.');
        if (input.AuthorizerPayloadFormatVersion === undefined && parent.doc.ProtocolType === 'HTTP') throw new BadRequestException('AuthorizerPayloadFormatVersion is required for REQUEST authorizers.');
      } else throw new BadRequestException(`Invalid authorizer type ${type}`);
      const doc: HttpAuthorizerDoc = {
        AuthorizerResultTtlInSeconds: 0,
        ...(defined(input, ['ApiId']) as Partial<HttpAuthorizerDoc>),
        AuthorizerId: childId(),
        AuthorizerType: type,
        Name: String(input.Name),
        IdentitySource: (input.IdentitySource as string[] | undefined) ?? [],
      };
      return put(ctx, 'authorizer', id, doc.AuthorizerId, doc);
    },
    async GetAuthorizer(input: Input, ctx) {
      return (await child<HttpAuthorizerDoc>(ctx, 'authorizer', String(input.ApiId), String(input.AuthorizerId), 'Authorizer')).doc;
    },
    async GetAuthorizers(input: Input, ctx) {
      await api(ctx, String(input.ApiId));
      return { Items: (await store.list<HttpAuthorizerDoc>(ctx.accountId, ctx.region, 'authorizer', String(input.ApiId))).map((r) => r.doc) };
    },
    async UpdateAuthorizer(input: Input, ctx) {
      const row = await child<HttpAuthorizerDoc>(ctx, 'authorizer', String(input.ApiId), String(input.AuthorizerId), 'Authorizer');
      return replace(row, { ...row.doc, ...(defined(input, ['ApiId', 'AuthorizerId']) as Partial<HttpAuthorizerDoc>) });
    },
    async DeleteAuthorizer(input: Input, ctx) {
      await child(ctx, 'authorizer', String(input.ApiId), String(input.AuthorizerId), 'Authorizer');
      await store.delete(ctx.accountId, ctx.region, 'authorizer', String(input.ApiId), String(input.AuthorizerId));
      return {};
    },

    async CreateDeployment(input: Input, ctx) {
      const id = String(input.ApiId);
      await api(ctx, id);
      let stage: Row<HttpStageDoc> | undefined;
      if (input.StageName !== undefined) {
        stage = await child<HttpStageDoc>(ctx, 'stage', id, String(input.StageName), 'Stage');
        if (stage.doc.AutoDeploy) throw new BadRequestException(`Stage ${stage.id} has AutoDeploy enabled: deployments are created automatically.`);
      }
      const doc: HttpDeploymentDoc = {
        DeploymentId: childId(),
        DeploymentStatus: 'DEPLOYED',
        CreatedDate: now(),
        AutoDeployed: false,
        ...(input.Description !== undefined ? { Description: String(input.Description) } : {}),
        snapshot: await snapshot(ctx, id),
      };
      await put(ctx, 'deployment', id, doc.DeploymentId, doc);
      if (stage) await replace(stage, { ...stage.doc, DeploymentId: doc.DeploymentId, LastUpdatedDate: now() });
      const { snapshot: _s, ...out } = doc;
      return out;
    },
    async GetDeployment(input: Input, ctx) {
      return (await child<HttpDeploymentDoc>(ctx, 'deployment', String(input.ApiId), String(input.DeploymentId), 'Deployment')).doc;
    },
    async GetDeployments(input: Input, ctx) {
      await api(ctx, String(input.ApiId));
      return { Items: (await store.list<HttpDeploymentDoc>(ctx.accountId, ctx.region, 'deployment', String(input.ApiId))).map((r) => r.doc) };
    },
    async DeleteDeployment(input: Input, ctx) {
      await child(ctx, 'deployment', String(input.ApiId), String(input.DeploymentId), 'Deployment');
      await store.delete(ctx.accountId, ctx.region, 'deployment', String(input.ApiId), String(input.DeploymentId));
      return {};
    },

    async CreateStage(input: Input, ctx) {
      const id = String(input.ApiId);
      await api(ctx, id);
      const name = String(input.StageName);
      if (!/^(\$default|[A-Za-z0-9_-]{1,128})$/.test(name)) throw new BadRequestException(`Stage name ${name} is invalid: use letters, digits, hyphens and underscores.`);
      if (input.DeploymentId !== undefined) await child(ctx, 'deployment', id, String(input.DeploymentId), 'Deployment');
      const doc: HttpStageDoc = {
        StageVariables: {},
        DefaultRouteSettings: {},
        RouteSettings: {},
        Tags: {},
        AutoDeploy: false,
        ...(defined(input, ['ApiId']) as Partial<HttpStageDoc>),
        StageName: name,
        CreatedDate: now(),
        LastUpdatedDate: now(),
      };
      const [accountId, region] = scope(ctx);
      if (!(await store.insert({ accountId, region, kind: 'stage', apiId: id, id: name, doc }))) {
        throw new ConflictException(`Stage ${name} already exists`);
      }
      return doc;
    },
    async GetStage(input: Input, ctx) {
      return (await child<HttpStageDoc>(ctx, 'stage', String(input.ApiId), String(input.StageName), 'Stage')).doc;
    },
    async GetStages(input: Input, ctx) {
      await api(ctx, String(input.ApiId));
      return { Items: (await store.list<HttpStageDoc>(ctx.accountId, ctx.region, 'stage', String(input.ApiId))).map((r) => r.doc) };
    },
    async UpdateStage(input: Input, ctx) {
      const row = await child<HttpStageDoc>(ctx, 'stage', String(input.ApiId), String(input.StageName), 'Stage');
      if (input.DeploymentId !== undefined) await child(ctx, 'deployment', String(input.ApiId), String(input.DeploymentId), 'Deployment');
      return replace(row, { ...row.doc, ...(defined(input, ['ApiId', 'StageName']) as Partial<HttpStageDoc>), LastUpdatedDate: now() });
    },
    async DeleteAccessLogSettings(input: Input, ctx) {
      const row = await child<HttpStageDoc>(ctx, 'stage', String(input.ApiId), String(input.StageName), 'Stage');
      const { AccessLogSettings: _gone, ...doc } = row.doc as HttpStageDoc & { AccessLogSettings?: unknown };
      await replace(row, { ...doc, LastUpdatedDate: now() });
      return {};
    },
    async DeleteStage(input: Input, ctx) {
      await child(ctx, 'stage', String(input.ApiId), String(input.StageName), 'Stage');
      await store.delete(ctx.accountId, ctx.region, 'stage', String(input.ApiId), String(input.StageName));
      return {};
    },
  };
  return ops;
}

