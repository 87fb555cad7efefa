// REST APIs' models (JSON schemas), request validators and gateway responses: the control plane
// half of request validation and of the gateway's own answers (data-plane/request-validation.ts,
// data-plane/gateway-responses.ts). A deployment freezes them with the resources.
import type { OperationHandler, RequestContext } from '@atoll/core';
import { BadRequestException, ConflictException, NotFoundException } from '@atoll/aws-models/apigateway';
import type { ApiGatewayStore, Kind, Row } from '../apigateway-store.js';
import { randomId } from '../ids.js';
import { defaultGatewayResponse, GATEWAY_RESPONSE_STATUS, type GatewayResponseDoc } from '../data-plane/gateway-responses.js';
import { applyPatch } from './rest-api-operations.js';
import type { MethodDoc, ModelDoc, RequestValidatorDoc, RestApiDoc } from './rest-api-records.js';

type Input = Record<string, unknown>;

function checkSchema(schema: unknown): void {
  if (schema === undefined) return;
  let parsed: unknown;
  try {
    parsed = JSON.parse(String(schema));
  } catch (error) {
    throw new BadRequestException(`Invalid model specified: Validation Result: warnings : [], errors : [Invalid model schema specified. Unsupported keyword(s): [] ${(error as Error).message}]`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new BadRequestException('Invalid model specified: Validation Result: warnings : [], errors : [Invalid model schema specified. The schema must be a JSON object]');
  }
}

export function createRestApiExtras(store: ApiGatewayStore): Record<string, OperationHandler> {
  async function api(ctx: RequestContext, id: string): Promise<Row<RestApiDoc>> {
    const row = await store.get<RestApiDoc>(ctx.accountId, ctx.region, 'restapi', id, id);
    if (!row) throw new NotFoundException(`Invalid API identifier specified ${ctx.accountId}:${id}`);
    return row;
  }
  async function child<D>(ctx: RequestContext, kind: Kind, apiId: string, id: string, message: string): Promise<Row<D>> {
    await api(ctx, apiId);
    const row = await store.get<D>(ctx.accountId, ctx.region, kind, apiId, id);
    if (!row) throw new NotFoundException(message);
    return row;
  }
  const put = <D>(ctx: RequestContext, kind: Kind, apiId: string, id: string, doc: D) => store.insert({ accountId: ctx.accountId, region: ctx.region, kind, apiId, id, doc });
  const list = async <D>(ctx: RequestContext, kind: Kind, apiId: string) => {
    await api(ctx, apiId);
    return (await store.list<D>(ctx.accountId, ctx.region, kind, apiId)).map((r) => r.doc);
  };
  const methods = (ctx: RequestContext, apiId: string) => store.list<MethodDoc>(ctx.accountId, ctx.region, 'method', apiId);
  function responseType(input: Input): string {
    const type = String(input.responseType);
    if (!(type in GATEWAY_RESPONSE_STATUS)) throw new BadRequestException(`Invalid response type specified: ${type}`);
    return type;
  }

  return {
    async CreateModel(input: Input, ctx) {
      const apiId = String(input.restApiId);
      await api(ctx, apiId);
      const name = String(input.name);
      if (!/^[A-Za-z0-9]+$/.test(name)) throw new BadRequestException('Model name must be alphanumeric: [a-zA-Z0-9]+');
      if (!input.contentType) throw new BadRequestException('Content type must be specified');
      checkSchema(input.schema);
      const doc: ModelDoc = {
        id: randomId(6),
        name,
        contentType: String(input.contentType),
        ...(input.schema !== undefined ? { schema: String(input.schema) } : {}),
        ...(input.description !== undefined ? { description: String(input.description) } : {}),
      };
      if (!(await put(ctx, 'model', apiId, name, doc))) throw new ConflictException('Model name already exists for this REST API');
      return doc;
    },
    async GetModel(input: Input, ctx) {
      return (await child<ModelDoc>(ctx, 'model', String(input.restApiId), String(input.modelName), `Invalid model name specified: ${String(input.modelName)}`)).doc;
    },
    async GetModels(input: Input, ctx) {
      return { items: await list<ModelDoc>(ctx, 'model', String(input.restApiId)) };
    },
    async UpdateModel(input: Input, ctx) {
      const found = await child<ModelDoc>(ctx, 'model', String(input.restApiId), String(input.modelName), `Invalid model name specified: ${String(input.modelName)}`);
      const doc = applyPatch(found.doc, input.patchOperations);
      checkSchema(doc.schema);
      await store.update({ ...found, doc });
      return doc;
    },
    async DeleteModel(input: Input, ctx) {
      const apiId = String(input.restApiId);
      const name = String(input.modelName);
      await child(ctx, 'model', apiId, name, `Invalid model name specified: ${name}`);
      const user = (await methods(ctx, apiId)).find((m) => Object.values(m.doc.requestModels ?? {}).includes(name));
      if (user) throw new ConflictException(`Cannot delete model '${name}', is referenced in method request: ${user.id.replace(' ', '/')}`);
      await store.delete(ctx.accountId, ctx.region, 'model', apiId, name);
      return {};
    },

    async CreateRequestValidator(input: Input, ctx) {
      const apiId = String(input.restApiId);
      await api(ctx, apiId);
      const doc: RequestValidatorDoc = {
        id: randomId(6),
        name: String(input.name ?? ''),
        validateRequestBody: input.validateRequestBody === true,
        validateRequestParameters: input.validateRequestParameters === true,
      };
      await put(ctx, 'requestvalidator', apiId, doc.id, doc);
      return doc;
    },
    async GetRequestValidator(input: Input, ctx) {
      return (await child<RequestValidatorDoc>(ctx, 'requestvalidator', String(input.restApiId), String(input.requestValidatorId), 'Invalid Request Validator identifier specified')).doc;
    },
    async GetRequestValidators(input: Input, ctx) {
      return { items: await list<RequestValidatorDoc>(ctx, 'requestvalidator', String(input.restApiId)) };
    },
    async UpdateRequestValidator(input: Input, ctx) {
      const found = await child<RequestValidatorDoc>(ctx, 'requestvalidator', String(input.restApiId), String(input.requestValidatorId), 'Invalid Request Validator identifier specified');
      const doc = applyPatch(found.doc, input.patchOperations);
      await store.update({ ...found, doc });
      return doc;
    },
    async DeleteRequestValidator(input: Input, ctx) {
      const apiId = String(input.restApiId);
      const id = String(input.requestValidatorId);
      await child(ctx, 'requestvalidator', apiId, id, 'Invalid Request Validator identifier specified');
      if ((await methods(ctx, apiId)).some((m) => m.doc.requestValidatorId === id)) throw new ConflictException('Cannot delete request validator, is referenced in method');
      await store.delete(ctx.accountId, ctx.region, 'requestvalidator', apiId, id);
      return {};
    },

    async PutGatewayResponse(input: Input, ctx) {
      const apiId = String(input.restApiId);
      await api(ctx, apiId);
      const type = responseType(input);
      const status = input.statusCode ?? GATEWAY_RESPONSE_STATUS[type];
      const doc: GatewayResponseDoc = {
        responseType: type,
        ...(status !== undefined ? { statusCode: String(status) } : {}),
        responseParameters: (input.responseParameters as Record<string, string> | undefined) ?? {},
        responseTemplates: (input.responseTemplates as Record<string, string> | undefined) ?? {},
        defaultResponse: false,
      };
      const existing = await store.get<GatewayResponseDoc>(ctx.accountId, ctx.region, 'gatewayresponse', apiId, type);
      if (existing) await store.update({ ...existing, doc });
      else await put(ctx, 'gatewayresponse', apiId, type, doc);
      return doc;
    },
    async GetGatewayResponse(input: Input, ctx) {
      const apiId = String(input.restApiId);
      await api(ctx, apiId);
      const type = responseType(input);
      return (await store.get<GatewayResponseDoc>(ctx.accountId, ctx.region, 'gatewayresponse', apiId, type))?.doc ?? defaultGatewayResponse(type);
    },
    async GetGatewayResponses(input: Input, ctx) {
      const own = new Map((await list<GatewayResponseDoc>(ctx, 'gatewayresponse', String(input.restApiId))).map((d) => [d.responseType, d]));
      return { items: Object.keys(GATEWAY_RESPONSE_STATUS).map((type) => own.get(type) ?? defaultGatewayResponse(type)) };
    },
    async UpdateGatewayResponse(input: Input, ctx) {
      const apiId = String(input.restApiId);
      await api(ctx, apiId);
      const type = responseType(input);
      const existing = await store.get<GatewayResponseDoc>(ctx.accountId, ctx.region, 'gatewayresponse', apiId, type);
      const doc = { ...applyPatch(existing?.doc ?? defaultGatewayResponse(type), input.patchOperations), defaultResponse: false };
      if (existing) await store.update({ ...existing, doc });
      else await put(ctx, 'gatewayresponse', apiId, type, doc);
      return doc;
    },
    async DeleteGatewayResponse(input: Input, ctx) {
      const apiId = String(input.restApiId);
      await api(ctx, apiId);
      const type = responseType(input);
      if (!(await store.delete(ctx.accountId, ctx.region, 'gatewayresponse', apiId, type))) throw new NotFoundException('Invalid Gateway Response type specified');
      return {};
    },
  };
}
