// Event source mappings: their API (create, read, update, delete, list). The pollers that carry
// the records (sqs-poller.ts, stream-poller.ts) are started and stopped by EventSourcePollers, which
// hears of every change through the store's signal.
import { randomUUID } from 'node:crypto';
import type { RequestContext } from '@atoll/core';
import type { LambdaContext } from './lambda-context.js';
import type { EventSourceMappingRecord } from './lambda-records.js';
import { LambdaErrors } from './lambda-errors.js';
import { functionArn, parseFunctionName, type Scope } from './function-names.js';
import type { LambdaReader, LambdaTransaction } from './lambda-store.js';
import { page, scopeOf, type FunctionApi } from './function-api.js';
import { checkFilters } from './event-filter.js';
import { checkSourceAccess } from './event-source-access.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Input = Record<string, any>;

export type SourceKind = 'sqs' | 'dynamodb';

export function sourceKind(arn: string): SourceKind | undefined {
  if (/^arn:aws[a-zA-Z-]*:sqs:[a-z0-9-]+:\d{12}:[\w-]+(\.fifo)?$/.test(arn)) return 'sqs';
  if (/^arn:aws[a-zA-Z-]*:dynamodb:[a-z0-9-]+:\d{12}:table\/[\w.-]+\/stream\/.+$/.test(arn)) return 'dynamodb';
  return undefined;
}

export class EventSourceMappingApi {
  constructor(private readonly c: LambdaContext, private readonly functions: FunctionApi) {}

  async createEventSourceMapping(input: Input, ctx: RequestContext): Promise<unknown> {
    const scope = scopeOf(ctx);
    const ref = parseFunctionName(input.FunctionName, scope);
    const version = await this.functions.versionFor(scope, ref.name, ref.qualifier);
    const source = String(input.EventSourceArn ?? '');
    const kind = sourceKind(source);
    if (!kind) throw LambdaErrors.invalidParameter(`Unsupported event source type: ${source || '(none)'}. Atoll supports SQS queues and DynamoDB streams.`);
    await checkSourceAccess(this.c.platform, scope, version.config.Role, kind, source);
    const fnArn = ref.qualifier ? `${functionArn(scope, ref.name)}:${ref.qualifier}` : functionArn(scope, ref.name);
    const checkDuplicate = async (r: LambdaReader) => {
      const duplicate = (await r.listMappings(scope)).find((m) => m.doc.EventSourceArn === source && m.doc.FunctionArn === fnArn);
      if (duplicate) {
        throw LambdaErrors.resourceConflict(`An event source mapping with ${kind === 'sqs' ? 'SQS' : 'event source'} arn (" ${source} ") and function (" ${ref.name} ") already exists. Please update or delete the existing mapping with UUID ${duplicate.uuid}`);
      }
    };
    await checkDuplicate(this.c.store);
    const batchSize = input.BatchSize ?? (kind === 'sqs' ? 10 : 100);
    const window = input.MaximumBatchingWindowInSeconds ?? 0;
    checkBatching(kind, batchSize, window);
    if (kind === 'sqs' && input.StartingPosition) throw LambdaErrors.invalidParameter('StartingPosition is not valid for SQS event sources.');
    if (kind === 'dynamodb') {
      if (!input.StartingPosition) throw LambdaErrors.invalidParameter('1 validation error detected: Value null at \'startingPosition\' failed to satisfy constraint: Member must not be null');
      if (input.StartingPosition === 'AT_TIMESTAMP') throw LambdaErrors.invalidParameter('Unsupported starting position for DynamoDB streams: AT_TIMESTAMP');
    }
    const filterError = checkFilters(input.FilterCriteria?.Filters);
    if (filterError) throw LambdaErrors.invalidParameter(filterError);
    const uuid = randomUUID();
    const enabled = input.Enabled ?? true;
    const record: EventSourceMappingRecord = {
      uuid,
      account: scope.account,
      region: scope.region,
      functionName: ref.name,
      doc: {
        UUID: uuid,
        EventSourceArn: source,
        FunctionArn: fnArn,
        BatchSize: batchSize,
        MaximumBatchingWindowInSeconds: window,
        ...(kind === 'dynamodb'
          ? {
              StartingPosition: input.StartingPosition,
              MaximumRetryAttempts: input.MaximumRetryAttempts ?? -1,
              MaximumRecordAgeInSeconds: input.MaximumRecordAgeInSeconds ?? -1,
              BisectBatchOnFunctionError: input.BisectBatchOnFunctionError ?? false,
              ParallelizationFactor: input.ParallelizationFactor ?? 1,
              DestinationConfig: input.DestinationConfig ?? { OnFailure: {} },
            }
          : {}),
        ...(input.FunctionResponseTypes ? { FunctionResponseTypes: input.FunctionResponseTypes } : {}),
        ...(input.ScalingConfig ? { ScalingConfig: input.ScalingConfig } : {}),
        ...(input.FilterCriteria ? { FilterCriteria: input.FilterCriteria } : {}),
        State: enabled ? 'Enabled' : 'Disabled',
        StateTransitionReason: 'USER_INITIATED',
        LastModified: Date.now(),
        LastProcessingResult: 'No records processed',
        EventSourceMappingArn: `arn:aws:lambda:${scope.region}:${scope.account}:event-source-mapping:${uuid}`,
      },
    };
    await this.c.store.transaction(async (t) => {
      await this.functions.versionFor(scope, ref.name, ref.qualifier, t);
      await checkDuplicate(t);
      await t.putMapping(record);
    });
    return view(record, 'Creating');
  }

  async getEventSourceMapping(input: Input, ctx: RequestContext): Promise<unknown> {
    return view(await this.#require(input.UUID, ctx));
  }

  async updateEventSourceMapping(input: Input, ctx: RequestContext): Promise<unknown> {
    return this.c.store.transaction(async (t) => {
      const record = await this.#require(input.UUID, ctx, t);
      return view(record, await this.#update(t, record, input, scopeOf(ctx)));
    });
  }

  /** Applies UpdateEventSourceMapping's input to `record` and stores it; returns the state to show. */
  async #update(t: LambdaTransaction, record: EventSourceMappingRecord, input: Input, scope: Scope): Promise<string> {
    const doc = record.doc;
    const kind = sourceKind(doc.EventSourceArn)!;
    if (input.FunctionName !== undefined) {
      const ref = parseFunctionName(input.FunctionName, scope);
      await this.functions.versionFor(scope, ref.name, ref.qualifier, t);
      record.functionName = ref.name;
      doc.FunctionArn = ref.qualifier ? `${functionArn(scope, ref.name)}:${ref.qualifier}` : functionArn(scope, ref.name);
    }
    checkBatching(kind, input.BatchSize ?? doc.BatchSize, input.MaximumBatchingWindowInSeconds ?? doc.MaximumBatchingWindowInSeconds);
    const filterError = checkFilters(input.FilterCriteria?.Filters);
    if (filterError) throw LambdaErrors.invalidParameter(filterError);
    for (const key of ['BatchSize', 'MaximumBatchingWindowInSeconds', 'FunctionResponseTypes', 'ScalingConfig', 'FilterCriteria'] as const) {
      if (input[key] !== undefined) (doc as Record<string, unknown>)[key] = input[key];
    }
    if (kind === 'dynamodb') {
      for (const key of ['MaximumRetryAttempts', 'MaximumRecordAgeInSeconds', 'BisectBatchOnFunctionError', 'ParallelizationFactor', 'DestinationConfig'] as const) {
        if (input[key] !== undefined) (doc as Record<string, unknown>)[key] = input[key];
      }
    }
    let shown = 'Updating';
    if (input.Enabled !== undefined) {
      const enabled = Boolean(input.Enabled);
      if (enabled !== (doc.State === 'Enabled')) shown = enabled ? 'Enabling' : 'Disabling';
      doc.State = enabled ? 'Enabled' : 'Disabled';
    }
    doc.LastModified = Date.now();
    await t.putMapping(record);
    return shown;
  }

  async deleteEventSourceMapping(input: Input, ctx: RequestContext): Promise<unknown> {
    const record = await this.c.store.transaction(async (t) => {
      const record = await this.#require(input.UUID, ctx, t);
      await t.deleteMapping(record.uuid);
      return record;
    });
    return view(record, 'Deleting');
  }

  async listEventSourceMappings(input: Input, ctx: RequestContext): Promise<unknown> {
    const scope = scopeOf(ctx);
    let all = await this.c.store.listMappings(scope);
    if (input.EventSourceArn) all = all.filter((m) => m.doc.EventSourceArn === input.EventSourceArn);
    if (input.FunctionName) {
      const ref = parseFunctionName(input.FunctionName, scope);
      all = all.filter((m) => m.functionName === ref.name && (!ref.qualifier || m.doc.FunctionArn.endsWith(`:${ref.qualifier}`)));
    }
    all.sort((a, b) => a.doc.LastModified - b.doc.LastModified);
    const { items, next } = page(all.map((m) => view(m)), input.Marker, input.MaxItems);
    return { EventSourceMappings: items, ...(next ? { NextMarker: next } : {}) };
  }

  async #require(uuid: string, ctx: RequestContext, r: LambdaReader = this.c.store): Promise<EventSourceMappingRecord> {
    const record = await r.getMapping(String(uuid));
    if (!record || record.account !== ctx.accountId || record.region !== ctx.region) throw LambdaErrors.resourceNotFound('The resource you requested does not exist.');
    return record;
  }
}

function checkBatching(kind: SourceKind, batchSize: number, window: number): void {
  if (batchSize < 1 || batchSize > 10_000) throw LambdaErrors.invalidParameter(`BatchSize must be between 1 and 10000.`);
  if (window < 0 || window > 300) throw LambdaErrors.invalidParameter('MaximumBatchingWindowInSeconds must be between 0 and 300.');
  if (kind === 'sqs' && batchSize > 10 && window === 0) {
    throw LambdaErrors.invalidParameter('Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10');
  }
}

function view(m: EventSourceMappingRecord, state?: string): unknown {
  return { ...m.doc, ...(state ? { State: state } : {}), LastModified: new Date(m.doc.LastModified) };
}
