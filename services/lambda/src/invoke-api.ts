// Invoke and the deprecated InvokeAsync: payload limits, invocation types (RequestResponse, Event,
// DryRun), the log tail, and the headers the edge writes from the output (X-Amz-Function-Error,
// X-Amz-Log-Result, X-Amz-Executed-Version).
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { propagatedTraceHeader, type RequestContext } from '@atoll/core';
import { LambdaErrors } from './lambda-errors.js';
import { parseFunctionName } from './function-names.js';
import { scopeOf } from './function-api.js';
import { logTail, type Invoker } from './invoker.js';
import type { AsyncQueue } from './async-queue.js';

export const SYNC_PAYLOAD_LIMIT = 6_291_456;
export const ASYNC_PAYLOAD_LIMIT = 262_144;

/* eslint-disable @typescript-eslint/no-explicit-any */
type Input = Record<string, any>;

export class InvokeApi {
  constructor(private readonly invoker: Invoker, private readonly queue: AsyncQueue) {}

  async invoke(input: Input, ctx: RequestContext): Promise<unknown> {
    const scope = scopeOf(ctx);
    const ref = parseFunctionName(input.FunctionName, scope, input.Qualifier);
    const payload = toBuffer(input.Payload);
    const type = input.InvocationType ?? 'RequestResponse';
    if (type === 'Event' && payload.length > ASYNC_PAYLOAD_LIMIT) throw LambdaErrors.requestTooLarge(ASYNC_PAYLOAD_LIMIT, 'InvokeAsync');
    if (payload.length > SYNC_PAYLOAD_LIMIT) throw LambdaErrors.requestTooLarge(SYNC_PAYLOAD_LIMIT);
    checkJson(payload);
    const target = await this.invoker.resolve(scope, ref.name, ref.qualifier);
    if (type === 'DryRun') return { StatusCode: 204 };
    if (type === 'Event') {
      await this.queue.enqueue(scope, target, payload, ctx.requestId || randomUUID(), traceHeader(ctx));
      return { StatusCode: 202 };
    }
    let clientContext: string | undefined;
    if (input.ClientContext) {
      try {
        clientContext = Buffer.from(String(input.ClientContext), 'base64').toString('utf8');
        JSON.parse(clientContext);
      } catch {
        throw LambdaErrors.invalidRequestContent('Client context must be a valid Base64-encoded JSON object.');
      }
    }
    const result = await this.invoker.run(scope, target, {
      payload,
      requestId: ctx.requestId || undefined,
      traceId: traceHeader(ctx),
      clientContext,
      tail: input.LogType === 'Tail',
    });
    return {
      StatusCode: 200,
      Payload: result.payload,
      ExecutedVersion: target.version.version,
      ...(result.functionError ? { FunctionError: result.functionError } : {}),
      ...(input.LogType === 'Tail' ? { LogResult: logTail(result.logs) } : {}),
    };
  }

  /** The deprecated InvokeAsync: queues the event and answers 202. */
  async invokeAsync(input: Input, ctx: RequestContext): Promise<unknown> {
    const scope = scopeOf(ctx);
    const ref = parseFunctionName(input.FunctionName, scope);
    const payload = await readAll(input.InvokeArgs);
    if (payload.length > ASYNC_PAYLOAD_LIMIT) throw LambdaErrors.requestTooLarge(ASYNC_PAYLOAD_LIMIT, 'InvokeAsync');
    checkJson(payload);
    const target = await this.invoker.resolve(scope, ref.name, ref.qualifier);
    await this.queue.enqueue(scope, target, payload, ctx.requestId || randomUUID(), traceHeader(ctx));
    return { Status: 202 };
  }
}

function toBuffer(payload: unknown): Buffer {
  if (payload === undefined || payload === null) return Buffer.alloc(0);
  if (Buffer.isBuffer(payload)) return payload;
  if (payload instanceof Uint8Array) return Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  return Buffer.from(String(payload));
}

async function readAll(source: unknown): Promise<Buffer> {
  if (source && typeof (source as Readable)[Symbol.asyncIterator] === 'function' && !(source instanceof Uint8Array)) {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of source as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > ASYNC_PAYLOAD_LIMIT) throw LambdaErrors.requestTooLarge(ASYNC_PAYLOAD_LIMIT, 'InvokeAsync');
      chunks.push(Buffer.from(chunk));
    }
    return Buffer.concat(chunks);
  }
  return toBuffer(source);
}

function checkJson(payload: Buffer): void {
  if (payload.length === 0) return;
  try {
    JSON.parse(payload.toString('utf8'));
  } catch (error) {
    throw LambdaErrors.invalidRequestContent(`Could not parse request body into json: Could not parse payload into json: ${(error as Error).message}`);
  }
}

function traceHeader(ctx: RequestContext): string | undefined {
  // A traced caller: the function's parent is the platform's segment of this Invoke (X-Ray).
  const propagated = propagatedTraceHeader(ctx.headers ?? {}, ctx.requestId);
  if (propagated) return propagated;
  const header = ctx.headers?.['x-amzn-trace-id'];
  if (typeof header === 'string' && header) return header;
  return ctx.traceId ? `Root=${ctx.traceId};Sampled=0` : undefined;
}
