// API Gateway: REST APIs (the `apigateway` model) and HTTP APIs (`apigatewayv2`), two providers on
// one store and one data plane (see shared-context.ts), and the data plane that serves the deployed
// APIs on the edge listener (data-plane/execute-api.ts).
//
// Known limitations (REST APIs):
// - Served: REST APIs, resources, methods, integrations (AWS_PROXY to Lambda, HTTP_PROXY, MOCK,
//   HTTP and AWS (Lambda, SQS, SNS, DynamoDB …, and S3 by `path/`) with VTL mapping templates,
//   integration request parameters, integration responses selected by pattern, contentHandling),
//   method responses, Lambda TOKEN and REQUEST authorizers (cached by TTL), AWS_IAM methods (SigV4
//   for `execute-api`, execute-api:Invoke from identity policies and the API's resource policy),
//   models and request validators (JSON schema draft 4, required parameters), gateway responses,
//   binary media types, deployments, stages (variables, method throttling, access logs to
//   CloudWatch Logs), API keys, usage plans (throttle and quota) and their keys, ImportRestApi,
//   PutRestApi (merge, overwrite) and GetExport (oas30, swagger; JSON, YAML) with the
//   x-amazon-apigateway-* extensions, custom domain names with base path mappings,
//   disableExecuteApiEndpoint, VPC links (a VPC_LINK integration reaches the URL it names;
//   `*.localhost` names, as load balancers' DNS names are, connect to loopback). Lists page with
//   `limit` (25 by default) and `position`.
// - Cognito user pool authorizers (COGNITO_USER_POOLS) answer BadRequestException: Atoll serves
//   no Cognito. The resource policy is evaluated for AWS_IAM methods only (not for NONE or CUSTOM
//   methods: their IP or VPC conditions do not apply). PutRestApi is not atomic (a failure part-way
//   keeps what was done). Gateway responses do not cover REQUEST_TOO_LARGE nor unknown APIs
//   (answered before the stage is known). Binary media types are read from the live API, not
//   the deployment. Access logs go to CloudWatch Logs only (stream `<apiId>_<stage>`, no
//   Firehose); execution logs (logging level) are not written.
// - AWS integrations run as their `credentials` role (assumed through STS as apigateway.amazonaws.com,
//   so its trust policy must name that service), else as the API's account; `arn:aws:iam::*:user/*`
//   (the caller's own credentials) acts as the account.
// - X-Ray (data-plane/stage-trace.ts): a request that carries a sampled trace, or reaches a stage with
//   `tracingEnabled` (which starts one for every request: sampling rules are not applied), records
//   the stage segment `<apiId>/<stage>` and hands the trace to Lambda and HTTP_PROXY integrations
//   (HTTP APIs too, when the request carries one); AWS service integrations, authorizers and
//   WebSocket APIs do not pass it on.
// - Not yet: canaries, stage caches, documentation parts and versions, client certificates, SDK
//   generation, TestInvokeMethod/TestInvokeAuthorizer, GetUsage/UpdateUsage, routing rules,
//   domain name access associations. These operations answer 501.
// Known limitations (HTTP and WebSocket APIs):
// - Served: APIs (quick create with Target), ImportApi (OpenAPI 3, JSON or YAML), ReimportApi,
//   ExportApi (OAS30, JSON or YAML), routes, integrations (AWS_PROXY with payload 1.0/2.0,
//   HTTP_PROXY with parameter mapping of headers, query, path and the answer's status and
//   headers, private integrations through VPC links (ConnectionType VPC_LINK to an ALB/NLB
//   listener ARN or a Cloud Map service ARN), and the AWS service integrations SQS-SendMessage/
//   ReceiveMessage/DeleteMessage/PurgeQueue, Lambda-Invoke and EventBridge-PutEvents), JWT and
//   Lambda REQUEST authorizers (simple and IAM responses, cached by TTL), AWS_IAM routes,
//   deployments, stages with AutoDeploy, the `$default` stage and access logs, route throttling,
//   CORS answered by the data plane, custom domain names with API mappings; WebSocket APIs with
//   $connect/$disconnect/$default and custom routes, two-way routes, Lambda REQUEST and AWS_IAM
//   authorization on $connect, and the @connections API. Lists page with MaxResults/NextToken.
// - AWS service integrations run as their CredentialsArn role (as REST APIs' credentials do).
//   Response parameter mapping cannot read `$response.body`.
// - Not yet: route and integration responses and models, portals and routing rules. These
//   operations answer 501.
// Both: domain names are matched on the Host header alone (unique across accounts; certificates
// are recorded, no TLS is terminated; after a start they answer once API Gateway is active, which
// the warm-up right after the listener opens does). Usage-plan quota counts are kept in the store (shared by
// every node, kept across restarts); stage, method, route and usage-plan rate throttles are token
// buckets in each node's memory: with several nodes each enforces the rate on its own share.
import type { OperationHandler, PlatformContext, ServiceFactory, ServiceProvider } from '@atoll/core';
import { releaseContext, sharedContext, type ApiGatewayContext } from './shared-context.js';
import { createRestApiOperations } from './v1/rest-api-operations.js';
import { createHttpApiOperations } from './v2/http-api-operations.js';
import { createRestApiExtras } from './v1/rest-api-extras.js';
import { createDomainOperationsV1, createDomainOperationsV2 } from './domains/domain-operations.js';
import { withPaging } from './paging.js';
import { createVpcLinkOperationsV1, createVpcLinkOperationsV2 } from './vpc-links/vpc-link-operations.js';
import { addHttpApiOpenApi, addRestApiOpenApi } from './openapi/export-operations.js';
import * as v1 from '@atoll/aws-models/apigateway';
import * as v2 from '@atoll/aws-models/apigatewayv2';

/** The ARN API Gateway's control plane acts on (`arn:aws:apigateway:<region>::/restapis/<id>`, `/apis/<id>`). */
function controlArn(region: string, input: Record<string, unknown>): string[] | undefined {
  if (typeof input.restApiId === 'string') return [`arn:aws:apigateway:${region}::/restapis/${input.restApiId}`];
  if (typeof input.ApiId === 'string') return [`arn:aws:apigateway:${region}::/apis/${input.ApiId}`];
  const domain = input.domainName ?? input.DomainName;
  if (typeof domain === 'string') return [`arn:aws:apigateway:${region}::/domainnames/${domain}`];
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

  /** A REST API's resource policy (its `policy`) for execute-api:Invoke on its methods (AWS_IAM methods). */
  async resourcePolicy(arn: string): Promise<string | undefined> {
    const m = /^arn:aws:execute-api:[^:]*:[^:]*:([a-z0-9]+)\//.exec(arn);
    if (!m) return undefined;
    const api = await this.ctx.dataPlane.load(m[1]!);
    const policy = api?.kind === 'rest' ? (api.rows.find((r) => r.kind === 'restapi')?.doc as { policy?: unknown } | undefined)?.policy : undefined;
    return typeof policy === 'string' && policy !== '' ? policy : undefined;
  }
  readonly operations = withPaging(
    this.#withOpenApi({ ...createRestApiOperations(this.ctx.store), ...createRestApiExtras(this.ctx.store), ...createDomainOperationsV1(this.ctx.store, () => this.ctx.dataPlane.domains.reload()), ...createVpcLinkOperationsV1(this.ctx.store) }),
    'v1',
    (message) => new v1.BadRequestException(message),
  );

  #withOpenApi(ops: Record<string, OperationHandler>): Record<string, OperationHandler> {
    addRestApiOpenApi(ops, this.ctx.store, () => this.platform.endpoint());
    return ops;
  }
}

export class ApiGatewayV2Provider extends ApiGatewayProviderBase {
  readonly service = 'apigatewayv2';
  readonly operations = withPaging(
    this.#withOpenApi({ ...createHttpApiOperations(this.ctx.store, () => this.platform.endpoint()), ...createDomainOperationsV2(this.ctx.store, () => this.ctx.dataPlane.domains.reload()), ...createVpcLinkOperationsV2(this.ctx.store) }),
    'v2',
    (message) => new v2.BadRequestException(message),
  );

  #withOpenApi(ops: Record<string, OperationHandler>): Record<string, OperationHandler> {
    addHttpApiOpenApi(ops, this.ctx.store, () => this.platform.endpoint());
    return ops;
  }
}

export const createApiGatewayService: ServiceFactory = async (platform) => new ApiGatewayProvider(platform, await sharedContext(platform));
export const createApiGatewayV2Service: ServiceFactory = async (platform) => new ApiGatewayV2Provider(platform, await sharedContext(platform));
