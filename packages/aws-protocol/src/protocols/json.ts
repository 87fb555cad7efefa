// The AWS JSON protocol (awsJson1_0 / awsJson1_1): POST /, `X-Amz-Target: Prefix.Operation`,
// a JSON body named by member names, errors as `{"__type": …, "message": …}`.
import { Readable } from 'node:stream';
import type { OperationModel, ServiceModel } from '@atoll/aws-models';
import { EncodedJson, stringifyJson, type ServiceError } from '@atoll/core';
import { fromJson, toJson } from '../json-codec.js';
import { serializationError } from '../shapes.js';
import type { ProtocolRequest, ProtocolResponse, ResponseContext } from '../types.js';
import { errorShapeName, type ProtocolCodec } from './codec.js';

const OPTIONS = { useLocationName: false };

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export function parseJsonBody(body: Buffer | undefined): unknown {
  if (!body || body.length === 0) return {};
  let text: string;
  try {
    text = strictUtf8.decode(body);
  } catch {
    throw serializationError('The request body is not valid UTF-8.');
  }
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    throw serializationError('Start of structure or map found where not expected, or the request body is not valid JSON.');
  }
}

function contentType(model: ServiceModel, ctx: ResponseContext): string {
  const sent = ctx.requestContentType;
  if (sent && sent.startsWith('application/x-amz-json-')) {
    const semicolon = sent.indexOf(';');
    return semicolon < 0 ? sent : sent.slice(0, semicolon);
  }
  return `application/x-amz-json-${model.metadata.jsonVersion ?? '1.0'}`;
}

/** Per model, the output structures' event stream member (null when none). */
const EVENT_STREAM_MEMBER = new WeakMap<ServiceModel, Map<string, string | null>>();

/** The output's event stream, when its shape has an event stream member holding a stream. */
function eventStreamOf(model: ServiceModel, shapeName: string, output: unknown): Readable | undefined {
  let byShape = EVENT_STREAM_MEMBER.get(model);
  if (!byShape) EVENT_STREAM_MEMBER.set(model, (byShape = new Map()));
  let member = byShape.get(shapeName);
  if (member === undefined) {
    const members = model.shapes[shapeName]?.members ?? {};
    member = Object.keys(members).find((m) => model.shapes[members[m]!.shape]?.eventstream === true) ?? null;
    byShape.set(shapeName, member);
  }
  if (member === null) return undefined;
  const value = (output as Record<string, unknown>)[member];
  return value instanceof Readable ? value : undefined;
}

/** Member names' JSON keys, quoted once (the models' names are few). */
const quotedKeys = new Map<string, string>();

/**
 * `stringifyJson(body)` of an output structure: members held as their JSON text (DynamoDB's items)
 * are written as they are, without stringify's placeholder pass over the whole answer.
 */
export function outputText(body: unknown): string {
  if (body === null || typeof body !== 'object' || Array.isArray(body) || body instanceof EncodedJson) return stringifyJson(body ?? {});
  let out = '{';
  for (const key in body) {
    const value = (body as Record<string, unknown>)[key];
    if (value === undefined) continue;
    let quoted = quotedKeys.get(key);
    if (quoted === undefined) {
      quoted = JSON.stringify(key);
      if (quotedKeys.size < 10_000) quotedKeys.set(key, quoted);
    }
    out += `${out.length > 1 ? ',' : ''}${quoted}:${value instanceof EncodedJson ? value.json : stringifyJson(value)}`;
  }
  return `${out}}`;
}

export const jsonProtocol: ProtocolCodec = {
  name: 'json',

  parseInput(model: ServiceModel, operation: OperationModel, request: ProtocolRequest) {
    const document = parseJsonBody(request.body);
    if (!operation.input) return {};
    return (fromJson(model, operation.input, document, OPTIONS) as Record<string, unknown>) ?? {};
  },

  serializeOutput(model, operation, output, ctx): ProtocolResponse {
    // An event stream the provider frames itself (CloudWatch Logs StartLiveTail): sent as it comes.
    const stream = operation.output && output ? eventStreamOf(model, operation.output.shape, output) : undefined;
    if (stream) return { status: 200, headers: { 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-requestid': ctx.requestId }, body: stream };
    const body = operation.output && output ? toJson(model, operation.output, output, OPTIONS) : {};
    return {
      status: 200,
      headers: { 'content-type': contentType(model, ctx), 'x-amzn-requestid': ctx.requestId },
      body: outputText(body),
    };
  },

  serializeError(model, error: ServiceError, ctx): ProtocolResponse {
    const prefix = model ? `com.amazonaws.${model.metadata.endpointPrefix}#` : '';
    const shapeName = errorShapeName(model, error.code);
    const fields =
      model && shapeName && Object.keys(error.fields).length > 0
        ? (toJson(model, { shape: shapeName }, error.fields, OPTIONS) as Record<string, unknown>)
        : error.fields;
    const body: Record<string, unknown> = { __type: `${prefix}${error.code}`, message: error.message, ...fields };
    const headers: Record<string, string> = {
      'content-type': model ? contentType(model, ctx) : 'application/x-amz-json-1.0',
      'x-amzn-requestid': ctx.requestId,
      ...error.headers,
    };
    if (model?.metadata.awsQueryCompatible) {
      headers['x-amzn-query-error'] = `${error.queryCode};${error.senderFault ? 'Sender' : 'Receiver'}`;
    }
    return { status: error.status, headers, body: JSON.stringify(body) };
  },
};
