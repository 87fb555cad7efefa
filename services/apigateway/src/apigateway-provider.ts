// API Gateway: REST APIs (the `apigateway` model) and HTTP APIs (`apigatewayv2`), two providers on
// one store and one data plane (see shared-context.ts), and the data plane that serves the deployed
// APIs on the edge listener (data-plane/execute-api.ts).
//
// Known limitations (REST APIs):
// - Served: REST APIs, resources, methods, integrations (AWS_PROXY to Lambda, HTTP_PROXY, and MOCK,
//   HTTP and AWS (Lambda, SQS, SNS, DynamoDB …) with VTL mapping templates and integration responses
//   selected by pattern), method responses, Lambda TOKEN and REQUEST authorizers
//   (cached by TTL), deployments, stages (variables, method throttling), API keys, usage plans
//   (throttle and quota) and their keys, ImportRestApi (OpenAPI 3 / Swagger 2 with the
//   x-amazon-apigateway-* extensions). Lists are not paged (one page).
// - Not yet: IAM and Cognito authorizers, AWS integrations to S3 (`path/` URIs) and with an
//   assumed `credentials` role, request validators and models, PutRestApi/GetExport (OpenAPI), custom domain
//   names and base path mappings, gateway responses, binary media types, access logs, canaries.
//   These operations answer 501.
// Known limitations (HTTP and WebSocket APIs):
// - Served: APIs (quick create with Target), ImportApi (OpenAPI 3, JSON or YAML), routes,
//   integrations (AWS_PROXY with payload 1.0/2.0, HTTP_PROXY), JWT and Lambda REQUEST authorizers
//   (simple and IAM responses, cached by TTL), deployments, stages with AutoDeploy and the
//   `$default` stage, route throttling, CORS answered by the data plane; WebSocket APIs with
//   $connect/$disconnect/$default and custom routes, two-way routes, and the @connections API.
// - Not yet: parameter mapping, first-class SQS/EventBridge integrations, AWS_IAM routes, domain
//   names and API mappings, route/integration responses and models, VPC links, ExportApi and
//   ReimportApi, authorizers on WebSocket $connect. Lists are not paged.
import type { OperationHandler, PlatformContext, ServiceFactory, ServiceProvider } from '@atoll/core';
import { releaseContext, sharedContext, type ApiGatewayContext } from './shared-context.js';
import { createRestApiOperations } from './v1/rest-api-operations.js';
import { createHttpApiOperations } from './v2/http-api-operations.js';

/** The ARN API Gateway's control plane acts on (`arn:aws:apigateway:<region>::/restapis/<id>`, `/apis/<id>`). */
function controlArn(region: string, input: Record<string, unknown>): string[] | undefined {
  if (typeof input.restApiId === 'string') return [`arn:aws:apigateway:${region}::/restapis/${input.restApiId}`];
  if (typeof input.ApiId === 'string') return [`arn:aws:apigateway:${region}::/apis/${input.ApiId}`];
  return undefined;
}

const ACTIONS: Record<string, string> = {};
for (const verb of ['Get', 'Create', 'Put', 'Update', 'Delete', 'Import']) ACTIONS[verb] = verb === 'Get' ? 'GET' : verb === 'Create' ? 'POST' : verb === 'Put' || verb === 'Import' ? 'PUT' : verb === 'Update' ? 'PATCH' : 'DELETE';

/** API Gateway's IAM actions are HTTP verbs on its resources (`apigateway:GET`, `apigateway:POST` …). */
function apiGatewayAuthorization(operation: string, input: Record<string, unknown>, scope: { region: string }) {
  const verb = /^[A-Z][a-z]+/.exec(operation)?.[0] ?? '';
  const resources = controlArn(scope.region, input);
  return { action: `apigateway:${ACTIONS[verb] ?? 'POST'}`, ...(resources ? { resources } : {}) };
}

abstract class ApiGatewayProviderBase implements ServiceProvider {
  abstract readonly service: string;
  abstract readonly operations: Partial<Record<string, OperationHandler>>;
  readonly routes;
  readonly authorization = apiGatewayAuthorization;

  constructor(
    protected readonly platform: PlatformContext,
    protected readonly ctx: ApiGatewayContext,
  ) {
    this.routes = ctx.dataPlane.routes;
  }

  async close(): Promise<void> {
    await releaseContext(this.platform, this.ctx);
  }
}

export class ApiGatewayProvider extends ApiGatewayProviderBase {
  readonly service = 'apigateway';
  readonly operations = createRestApiOperations(this.ctx.store);
}

export class ApiGatewayV2Provider extends ApiGatewayProviderBase {
  readonly service = 'apigatewayv2';
  readonly operations = createHttpApiOperations(this.ctx.store, () => this.platform.endpoint());
}

export const createApiGatewayService: ServiceFactory = async (platform) => new ApiGatewayProvider(platform, await sharedContext(platform));
export const createApiGatewayV2Service: ServiceFactory = async (platform) => new ApiGatewayV2Provider(platform, await sharedContext(platform));
