// The OpenAPI operations that need the whole provider: ImportRestApi, PutRestApi and GetExport
// (apigateway), ImportApi, ReimportApi and ExportApi (apigatewayv2). Imports run the provider's
// own operations (so each piece is validated as a direct call would be); exports read a stage's
// deployment (a REST API's, or an HTTP API's when StageName is given) or an HTTP API's live routes.
import type { OperationHandler, RequestContext } from '@atoll/core';
import * as v1 from '@atoll/aws-models/apigateway';
import * as v2 from '@atoll/aws-models/apigatewayv2';
import type { ApiGatewayStore } from '../apigateway-store.js';
import { invokeUrl } from '../invoke-url.js';
import type { RestApiDoc, RestDeploymentDoc, RestStageDoc } from '../v1/rest-api-records.js';
import type { HttpApiDoc, HttpAuthorizerDoc, HttpDeploymentDoc, HttpIntegrationDoc, HttpRouteDoc, HttpStageDoc } from '../v2/http-api-records.js';
import { exportHttpApi, exportRestApi, serialize } from './openapi-export.js';
import { importHttpApi, importRestApi } from './openapi-import.js';

type Input = Record<string, unknown>;

function bodyText(body: unknown): string {
  if (typeof body === 'string') return body;
  return Buffer.from((body as Uint8Array | undefined) ?? new Uint8Array()).toString('utf8');
}

/** Adds the REST API OpenAPI operations to `ops` (the provider's full operation map). */
export function addRestApiOpenApi(ops: Record<string, OperationHandler>, store: ApiGatewayStore, edge: () => string): void {
  const bad = (message: string) => new v1.BadRequestException(message);
  ops.ImportRestApi = (input: Input, ctx) => importRestApi(bodyText(input.body), ops, ctx, bad);
  ops.PutRestApi = (input: Input, ctx) => {
    const mode = String(input.mode ?? 'merge');
    if (mode !== 'merge' && mode !== 'overwrite') throw bad(`Invalid mode ${mode}: valid options are merge and overwrite.`);
    return importRestApi(bodyText(input.body), ops, ctx, bad, { restApiId: String(input.restApiId), mode });
  };
  ops.GetExport = async (input: Input, ctx: RequestContext) => {
    const apiId = String(input.restApiId);
    const api = await store.get<RestApiDoc & { policy?: string }>(ctx.accountId, ctx.region, 'restapi', apiId, apiId);
    if (!api) throw new v1.NotFoundException(`Invalid API identifier specified ${ctx.accountId}:${apiId}`);
    const stage = await store.get<RestStageDoc>(ctx.accountId, ctx.region, 'stage', apiId, String(input.stageName));
    if (!stage) throw new v1.NotFoundException('Invalid stage identifier specified');
    const deployment = await store.get<RestDeploymentDoc>(ctx.accountId, ctx.region, 'deployment', apiId, stage.doc.deploymentId);
    if (!deployment) throw new v1.NotFoundException('Invalid deployment identifier specified');
    const type = String(input.exportType);
    if (type !== 'oas30' && type !== 'swagger') throw bad(`Invalid export type specified: ${type}. Valid options are oas30 and swagger.`);
    const parameters = (input.parameters as Record<string, string> | undefined) ?? {};
    const extensions = new Set((parameters.extensions ?? '').split(',').map((e) => e.trim()).filter(Boolean));
    const accepts = String(input.accepts ?? 'application/json');
    const yaml = /yaml/i.test(accepts);
    const snapshot = deployment.doc.snapshot;
    const doc = exportRestApi(
      {
        api: api.doc,
        stageName: stage.id,
        resources: snapshot.resources,
        authorizers: snapshot.authorizers ?? [],
        models: snapshot.models ?? [],
        validators: snapshot.validators ?? [],
        gatewayResponses: snapshot.gatewayResponses ?? [],
        host: new URL(invokeUrl(apiId, ctx.region, edge())).host,
      },
      { swagger: type === 'swagger', extensions },
    );
    const ext = yaml ? 'yaml' : 'json';
    return {
      contentType: yaml ? 'application/yaml' : 'application/json',
      contentDisposition: `attachment; filename="${type}_${new Date().toISOString().slice(0, 10)}_${apiId}.${ext}"`,
      body: Buffer.from(serialize(doc, yaml), 'utf8'),
    };
  };
}

/** Adds the HTTP API OpenAPI operations to `ops` (the provider's full operation map). */
export function addHttpApiOpenApi(ops: Record<string, OperationHandler>, store: ApiGatewayStore, edge: () => string): void {
  const bad = (message: string) => new v2.BadRequestException(message);
  ops.ImportApi = (input: Input, ctx) => importHttpApi(String(input.Body), ops, ctx, bad);
  ops.ReimportApi = (input: Input, ctx) => importHttpApi(String(input.Body), ops, ctx, bad, { apiId: String(input.ApiId) });
  ops.ExportApi = async (input: Input, ctx: RequestContext) => {
    const apiId = String(input.ApiId);
    const api = await store.get<HttpApiDoc>(ctx.accountId, ctx.region, 'httpapi', apiId, apiId);
    if (!api) throw new v2.NotFoundException(`Invalid API identifier specified ${ctx.accountId}:${apiId}`, { ResourceType: 'Api' });
    if (api.doc.ProtocolType !== 'HTTP') throw bad('ExportApi is supported only for HTTP APIs.');
    if (String(input.Specification) !== 'OAS30') throw bad(`Invalid specification ${String(input.Specification)}: only OAS30 is supported.`);
    const output = String(input.OutputType ?? 'JSON');
    if (output !== 'JSON' && output !== 'YAML') throw bad(`Invalid output type ${output}: valid options are JSON and YAML.`);
    let source: { routes: HttpRouteDoc[]; integrations: HttpIntegrationDoc[]; authorizers: HttpAuthorizerDoc[] };
    const stageName = input.StageName === undefined ? undefined : String(input.StageName);
    const stage = stageName === undefined ? undefined : await store.get<HttpStageDoc>(ctx.accountId, ctx.region, 'stage', apiId, stageName);
    if (stageName !== undefined && !stage) throw new v2.NotFoundException(`Invalid stage identifier specified ${ctx.accountId}:${apiId}:${stageName}`, { ResourceType: 'Stage' });
    const deployment = stage && !stage.doc.AutoDeploy && stage.doc.DeploymentId ? await store.get<HttpDeploymentDoc>(ctx.accountId, ctx.region, 'deployment', apiId, stage.doc.DeploymentId) : undefined;
    if (deployment) source = deployment.doc.snapshot;
    else {
      const list = async <D>(kind: 'route' | 'integration' | 'authorizer') => (await store.list<D>(ctx.accountId, ctx.region, kind, apiId)).map((r) => r.doc);
      source = { routes: await list<HttpRouteDoc>('route'), integrations: await list<HttpIntegrationDoc>('integration'), authorizers: await list<HttpAuthorizerDoc>('authorizer') };
    }
    const doc = exportHttpApi(api.doc, source, { includeExtensions: input.IncludeExtensions !== false, endpoint: invokeUrl(apiId, ctx.region, edge()), ...(stageName !== undefined ? { stageName } : {}) });
    return { body: Buffer.from(serialize(doc, output === 'YAML'), 'utf8') };
  };
}
