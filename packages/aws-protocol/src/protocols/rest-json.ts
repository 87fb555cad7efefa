// The rest-json protocol (Lambda, ECR's OCI side, API Gateway …): HTTP bindings plus a JSON body
// named by `locationName`; errors carry `x-amzn-errortype`.
import type { ServiceModel } from '@atoll/aws-models';
import { stringifyJson, type ServiceError } from '@atoll/core';
import { fromJson, toJson } from '../json-codec.js';
import type { ProtocolResponse, ResponseContext } from '../types.js';
import { errorShapeName, type ProtocolCodec } from './codec.js';
import { parseJsonBody } from './json.js';
import { parseRestInput, serializeRestOutput, type BodyFormat } from './rest.js';

const OPTIONS = { useLocationName: true };

const jsonBody: BodyFormat = {
  contentType: 'application/json',
  readStructure(model, shapeName, body) {
    return fromJson(model, { shape: shapeName }, parseJsonBody(body), OPTIONS) as Record<string, unknown>;
  },
  writeStructure(model, _operation, shapeName, value) {
    return JSON.stringify(toJson(model, { shape: shapeName }, value, OPTIONS) ?? {});
  },
};

export const restJsonProtocol: ProtocolCodec = {
  name: 'rest-json',
  parseInput: (model, operation, request, uriParams) => parseRestInput(model, operation, request, uriParams, jsonBody),
  serializeOutput: (model, operation, output, ctx) => serializeRestOutput(model, operation, output, ctx, jsonBody),
  serializeError(model: ServiceModel | undefined, error: ServiceError, ctx: ResponseContext): ProtocolResponse {
    const shapeName = errorShapeName(model, error.code);
    const fields =
      model && shapeName && Object.keys(error.fields).length > 0
        ? (toJson(model, { shape: shapeName }, error.fields, OPTIONS) as Record<string, unknown>)
        : error.fields;
    const body = { Type: error.senderFault ? 'User' : 'Service', message: error.message, ...fields };
    return {
      status: error.status,
      headers: {
        'content-type': 'application/json',
        'x-amzn-errortype': error.code,
        'x-amzn-requestid': ctx.requestId,
        ...error.headers,
      },
      body: ctx.method === 'HEAD' ? undefined : stringifyJson(body),
    };
  },
};
