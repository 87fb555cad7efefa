// What rest-json and rest-xml share: HTTP bindings around a body, and a payload member that is
// either raw bytes (blob or string, possibly streaming) or a structure in the body's format.
import type { OperationModel, ServiceModel, Shape } from '@atoll/aws-models';
import { Readable } from 'node:stream';
import { readHttpBindings, writeHttpBindings } from '../http-binding.js';
import { isBlobLike, shapeOf } from '../shapes.js';
import type { ProtocolRequest, ProtocolResponse, ResponseContext } from '../types.js';

export interface BodyFormat {
  /** Parses the body into the members of `shape` that are not HTTP-bound (or the payload structure). */
  readStructure(model: ServiceModel, shapeName: string, body: Buffer, rootName: string | undefined): Record<string, unknown> | undefined;
  writeStructure(model: ServiceModel, operation: OperationModel, shapeName: string, value: unknown, rootName: string | undefined): string;
  contentType: string;
}

export function parseRestInput(
  model: ServiceModel,
  operation: OperationModel,
  request: ProtocolRequest,
  uriParams: Record<string, string>,
  format: BodyFormat,
): Record<string, unknown> {
  if (!operation.input) return {};
  const input = shapeOf(model, operation.input);
  const out = readHttpBindings(model, input, request.headers, request.query, uriParams);
  if (input.payload) {
    const member = input.members![input.payload]!;
    const payloadShape = shapeOf(model, member);
    if (payloadShape.type === 'blob' || payloadShape.type === 'string') {
      if (member.streaming || payloadShape.streaming) {
        if (request.bodyStream) out[input.payload] = request.bodyStream;
        else out[input.payload] = Readable.from(request.body && request.body.length > 0 ? [request.body] : []);
      } else if (request.body && request.body.length > 0) {
        out[input.payload] = payloadShape.type === 'string' ? request.body.toString('utf8') : request.body;
      }
    } else if (request.body && request.body.length > 0) {
      const value = format.readStructure(model, member.shape, request.body, member.locationName ?? input.payload);
      if (value !== undefined) out[input.payload] = value;
    }
    return out;
  }
  if (request.body && request.body.length > 0 && hasBodyMembers(input)) {
    Object.assign(out, format.readStructure(model, operation.input.shape, request.body, undefined));
  }
  return out;
}

function hasBodyMembers(shape: Shape): boolean {
  return Object.values(shape.members ?? {}).some((m) => !m.location);
}

export function serializeRestOutput(
  model: ServiceModel,
  operation: OperationModel,
  output: unknown,
  ctx: ResponseContext,
  format: BodyFormat,
): ProtocolResponse {
  const headers: Record<string, string | string[]> = { 'x-amzn-requestid': ctx.requestId };
  let status = operation.http.responseCode ?? 200;
  let body: ProtocolResponse['body'];
  if (operation.output && output && typeof output === 'object') {
    const shape = shapeOf(model, operation.output);
    const value = output as Record<string, unknown>;
    status = writeHttpBindings(model, shape, value, headers) ?? status;
    if (shape.payload) {
      const member = shape.members![shape.payload]!;
      const payloadShape = shapeOf(model, member);
      const payload = value[shape.payload];
      if (payload !== undefined && payload !== null) {
        if (payloadShape.eventstream && payload instanceof Readable) {
          // An event stream the provider frames itself (S3 SelectObjectContent): sent as it comes.
          body = payload;
          headers['content-type'] ??= 'application/vnd.amazon.eventstream';
        } else if (payloadShape.type === 'blob' || payloadShape.type === 'string') {
          if (payload instanceof Readable || typeof payload === 'string' || Buffer.isBuffer(payload)) body = payload;
          else if (isBlobLike(payload)) body = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
          else body = String(payload);
          if (headers['content-type'] === undefined && payloadShape.type === 'blob') headers['content-type'] = 'application/octet-stream';
        } else {
          body = format.writeStructure(model, operation, member.shape, payload, member.locationName ?? payloadShape.locationName ?? shape.payload);
          headers['content-type'] ??= format.contentType;
        }
      }
    } else if (hasBodyMembers(shape)) {
      body = format.writeStructure(model, operation, operation.output.shape, value, undefined);
      headers['content-type'] ??= format.contentType;
    }
  }
  if (ctx.method === 'HEAD') body = undefined;
  return { status, headers, body };
}
