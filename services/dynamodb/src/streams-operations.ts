// The DynamoDB Streams API (ListStreams, DescribeStream, GetShardIterator, GetRecords) over the
// stream records that item writes append in their own transaction. Each stream has one shard;
// records are read from the database, so any node serves any iterator.
import type { RequestContext } from '@atoll/core';
import { deserializeItem } from './attribute-value.js';
import type { DynamoDbContext } from './dynamodb-context.js';
import { Errors } from './errors.js';
import type { TableInfo } from './table-schema.js';

type Input = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export function sequenceNumber(seq: number): string {
  return String(seq).padStart(21, '0');
}

function shardId(table: TableInfo): string {
  return `shardId-${String(Date.parse(table.stream!.label + 'Z')).padStart(20, '0')}-${table.id.toString(16).padStart(8, '0')}`;
}

interface IteratorState {
  arn: string;
  after: number;
}

function encodeIterator(state: IteratorState): string {
  return Buffer.from(JSON.stringify(state)).toString('base64url');
}

function decodeIterator(text: string): IteratorState {
  try {
    const state = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as IteratorState;
    if (typeof state.arn === 'string' && typeof state.after === 'number') return state;
  } catch {
    // fall through
  }
  throw Errors.validation('Invalid ShardIterator');
}

export function createStreamsOperations(ctx: DynamoDbContext) {
  async function byArn(req: RequestContext, arn: string): Promise<TableInfo> {
    const m = /^arn:aws:dynamodb:([^:]+):(\d{12}):table\/([^/]+)\/stream\/(.+)$/.exec(arn);
    let table = m ? await ctx.find(m[2]!, m[1]!, m[3]!) : undefined;
    // A stream this node has not seen yet (enabled on another node a moment ago): read the table again.
    if (m && table && table.stream?.arn !== arn) table = await ctx.load(m[2]!, m[1]!, m[3]!);
    if (!table || !table.stream || table.stream.arn !== arn) throw Errors.notFound(`Requested resource not found: Stream: ${arn} not found`);
    void req;
    return table;
  }

  function lastSequence(table: TableInfo): Promise<number | undefined> {
    return ctx.store.lastSequence(table.id, table.stream!.label);
  }

  return {
    async ListStreams(input: Input, req: RequestContext) {
      let tables = (await ctx.store.tables(req.accountId, req.region)).filter((t) => t.stream);
      if (input.TableName) tables = tables.filter((t) => t.name === input.TableName);
      const streams = tables.map((t) => ({ StreamArn: t.stream!.arn, TableName: t.name, StreamLabel: t.stream!.label })).sort((a, b) => (a.StreamArn < b.StreamArn ? -1 : 1));
      const start = input.ExclusiveStartStreamArn as string | undefined;
      const after = start ? streams.filter((s) => s.StreamArn > start) : streams;
      const limit: number = input.Limit ?? 100;
      const page = after.slice(0, limit);
      return { Streams: page, ...(after.length > limit ? { LastEvaluatedStreamArn: page[page.length - 1]!.StreamArn } : {}) };
    },

    async DescribeStream(input: Input, req: RequestContext) {
      const table = await byArn(req, input.StreamArn);
      const [first] = await ctx.store.streamRecords(table.id, table.stream!.label, 0, 1);
      const last = table.stream!.enabled ? undefined : await lastSequence(table);
      return {
        StreamDescription: {
          StreamArn: table.stream!.arn,
          StreamLabel: table.stream!.label,
          StreamStatus: table.stream!.enabled ? 'ENABLED' : 'DISABLED',
          StreamViewType: table.stream!.viewType,
          CreationRequestDateTime: new Date(Date.parse(table.stream!.label + 'Z')),
          TableName: table.name,
          KeySchema: table.keySchema,
          Shards: [
            {
              ShardId: shardId(table),
              SequenceNumberRange: {
                StartingSequenceNumber: sequenceNumber(first?.seq ?? 1),
                ...(last ? { EndingSequenceNumber: sequenceNumber(last) } : {}),
              },
            },
          ],
        },
      };
    },

    async GetShardIterator(input: Input, req: RequestContext) {
      const table = await byArn(req, input.StreamArn);
      if (input.ShardId !== shardId(table)) throw Errors.notFound(`Requested resource not found: Shard does not exist`);
      let after: number;
      const seq = input.SequenceNumber !== undefined ? Number(input.SequenceNumber) : undefined;
      switch (input.ShardIteratorType) {
        case 'TRIM_HORIZON':
          after = 0;
          break;
        case 'LATEST':
          after = (await lastSequence(table)) ?? 0;
          break;
        case 'AT_SEQUENCE_NUMBER':
        case 'AFTER_SEQUENCE_NUMBER':
          if (seq === undefined || !Number.isFinite(seq)) {
            throw Errors.validation('SequenceNumber must be provided when ShardIteratorType is AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER');
          }
          after = input.ShardIteratorType === 'AT_SEQUENCE_NUMBER' ? seq - 1 : seq;
          break;
        default:
          throw Errors.validation(`Invalid ShardIteratorType: ${input.ShardIteratorType}`);
      }
      return { ShardIterator: encodeIterator({ arn: table.stream!.arn, after }) };
    },

    async GetRecords(input: Input, req: RequestContext) {
      const state = decodeIterator(input.ShardIterator);
      const table = await byArn(req, state.arn);
      const limit: number = input.Limit ?? 1000;
      const rows = await ctx.store.streamRecords(table.id, table.stream!.label, state.after, limit);
      const records = rows.map((row) => {
        const record = JSON.parse(row.record) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
        const d = record.dynamodb;
        d.SequenceNumber = sequenceNumber(row.seq);
        d.ApproximateCreationDateTime = new Date(d.ApproximateCreationDateTime * 1000);
        d.Keys = deserializeItem(JSON.stringify(d.Keys));
        if (d.NewImage) d.NewImage = deserializeItem(JSON.stringify(d.NewImage));
        if (d.OldImage) d.OldImage = deserializeItem(JSON.stringify(d.OldImage));
        return record;
      });
      const last = rows.length > 0 ? rows[rows.length - 1]!.seq : state.after;
      const closed = !table.stream!.enabled && rows.length === 0;
      return { Records: records, ...(closed ? {} : { NextShardIterator: encodeIterator({ arn: state.arn, after: last }) }) };
    },
  };
}
