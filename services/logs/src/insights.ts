// Logs Insights operations: StartQuery runs a query (insights-query.ts) over the named log groups'
// events in the time range, in the background; GetQueryResults answers its status and rows;
// StopQuery cancels it; DescribeQueries lists recent ones.
// Known limitations: queries live in the memory of the node that started them (another node answers
// ResourceNotFoundException for them) and are forgotten after an hour; results come in one page;
// `queryLanguage` other than CWLI is refused.
import { randomUUID } from 'node:crypto';
import type { RequestContext } from '@atoll/core';
import type {
  DescribeQueriesRequest,
  DescribeQueriesResult,
  GetQueryResultsRequest,
  GetQueryResultsResult,
  QueryStatus,
  StartQueryRequest,
  StartQueryResult,
  StopQueryRequest,
  StopQueryResult,
} from '@atoll/aws-models/logs';
import { InvalidParameterException, MalformedQueryException, ResourceNotFoundException } from '@atoll/aws-models/logs';
import { QueryError, QueryRun, discoverFields, parseQuery, type LogRecord } from './insights-query.js';
import type { LogGroupRecord, LogsStore } from './logs-store.js';

const KEEP_MS = 3_600_000;
const BATCH = 5000;

interface RunningQuery {
  id: string;
  accountId: string;
  region: string;
  queryString: string;
  logGroupName: string;
  status: QueryStatus;
  created: number;
  finished?: number;
  results?: { field: string; value: string }[][];
  scanned: number;
  matched: number;
  bytes: number;
  cancelled: boolean;
}

export class InsightsQueries {
  readonly #queries = new Map<string, RunningQuery>();

  constructor(
    readonly store: LogsStore,
    readonly group: (ctx: RequestContext, name: string) => Promise<LogGroupRecord>,
    readonly onError: (error: unknown) => void,
  ) {}

  StartQuery = async (input: StartQueryRequest, ctx: RequestContext): Promise<StartQueryResult> => {
    if (input.queryLanguage !== undefined && input.queryLanguage !== 'CWLI') throw new InvalidParameterException(`Query language ${input.queryLanguage} is not supported.`);
    if (input.endTime < input.startTime) throw new InvalidParameterException('End time should not be before the start time');
    const names = [...(input.logGroupName !== undefined ? [input.logGroupName] : []), ...(input.logGroupNames ?? []), ...(input.logGroupIdentifiers ?? [])];
    if (names.length === 0) throw new InvalidParameterException('At least one log group must be specified.');
    let parsed;
    try {
      parsed = parseQuery(input.queryString);
    } catch (error) {
      if (error instanceof QueryError) {
        throw new MalformedQueryException(`Query is malformed: ${error.message} at ${error.start}`, {
          queryCompileError: { location: { startCharOffset: error.start, endCharOffset: error.end }, message: error.message },
        });
      }
      throw error;
    }
    const groups: LogGroupRecord[] = [];
    for (const n of names) groups.push(await this.group(ctx, n));
    this.#sweep();
    const q: RunningQuery = {
      id: randomUUID(),
      accountId: ctx.accountId,
      region: ctx.region,
      queryString: input.queryString,
      logGroupName: groups[0]!.name,
      status: 'Running',
      created: Date.now(),
      scanned: 0,
      matched: 0,
      bytes: 0,
      cancelled: false,
    };
    this.#queries.set(q.id, q);
    const run = new QueryRun(parsed, input.limit ?? 1000);
    void this.#run(q, run, groups, input.startTime * 1000, input.endTime * 1000 + 999).catch((error) => {
      q.status = 'Failed';
      q.finished = Date.now();
      this.onError(error);
    });
    return { queryId: q.id };
  };

  async #run(q: RunningQuery, run: QueryRun, groups: LogGroupRecord[], start: number, end: number): Promise<void> {
    const names = new Map<number, string>();
    const contains = run.required;
    const discover = run.needsDiscoveredFields;
    const pointers = run.rowsHavePointers;
    outer: for (const g of groups) {
      let after: { ts: number; seq: number } | undefined;
      for (;;) {
        if (q.cancelled) return;
        const batch = await this.store.groupEvents(g.id, { startTime: start, endTime: end, after, limit: BATCH, contains });
        const missing = [...new Set(batch.map((e) => e.streamId))].filter((id) => !names.has(id));
        if (missing.length > 0) for (const [id, n] of await this.store.streamNames(missing)) names.set(id, n);
        for (const e of batch) {
          q.scanned++;
          q.bytes += e.message.length;
          const record: LogRecord = {
            '@timestamp': e.ts,
            '@message': e.message,
            '@logStream': names.get(e.streamId),
            '@log': `${g.accountId}:${g.name}`,
            '@ingestionTime': e.ingested,
          };
          if (pointers) record['@ptr'] = Buffer.from(`${g.id}:${e.seq}`).toString('base64');
          if (discover) discoverFields(e.message, record);
          if (!run.add(record)) break outer;
        }
        if (batch.length < BATCH) break;
        after = { ts: batch[batch.length - 1]!.ts, seq: batch[batch.length - 1]!.seq };
      }
    }
    q.results = run.result();
    q.matched = run.matched;
    q.status = 'Complete';
    q.finished = Date.now();
  }

  #get(ctx: RequestContext, id: string): RunningQuery {
    const q = this.#queries.get(id);
    if (!q || q.accountId !== ctx.accountId || q.region !== ctx.region) throw new ResourceNotFoundException('The specified query could not be found.');
    return q;
  }

  GetQueryResults = async (input: GetQueryResultsRequest, ctx: RequestContext): Promise<GetQueryResultsResult> => {
    const q = this.#get(ctx, input.queryId);
    return {
      queryLanguage: 'CWLI',
      results: q.status === 'Complete' ? q.results : [],
      statistics: { recordsMatched: q.matched, recordsScanned: q.scanned, bytesScanned: q.bytes, logGroupsScanned: 1 },
      status: q.status,
    };
  };

  StopQuery = async (input: StopQueryRequest, ctx: RequestContext): Promise<StopQueryResult> => {
    const q = this.#get(ctx, input.queryId);
    if (q.status !== 'Running') return { success: false };
    q.cancelled = true;
    q.status = 'Cancelled';
    q.finished = Date.now();
    return { success: true };
  };

  DescribeQueries = async (input: DescribeQueriesRequest, ctx: RequestContext): Promise<DescribeQueriesResult> => {
    const queries = [...this.#queries.values()]
      .filter((q) => q.accountId === ctx.accountId && q.region === ctx.region && (!input.logGroupName || q.logGroupName === input.logGroupName) && (!input.status || q.status === input.status))
      .sort((a, b) => b.created - a.created)
      .slice(0, input.maxResults ?? 1000);
    return {
      queries: queries.map((q) => ({
        queryLanguage: 'CWLI',
        queryId: q.id,
        queryString: q.queryString,
        status: q.status,
        createTime: q.created,
        logGroupName: q.logGroupName,
        ...(q.finished ? { queryDuration: q.finished - q.created } : {}),
        bytesScanned: q.bytes,
      })),
    };
  };

  #sweep(): void {
    const cutoff = Date.now() - KEEP_MS;
    for (const [id, q] of this.#queries) if (q.created < cutoff) this.#queries.delete(id);
  }
}
