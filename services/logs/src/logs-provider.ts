// The CloudWatch Logs provider: log groups and streams, PutLogEvents, GetLogEvents and
// FilterLogEvents (with the filter pattern language, filter-pattern.ts), retention (a leader loop
// deletes expired events), tags, metric and subscription filters (log-filters.ts); Lambda and ECS
// output arrives through log-ingest.ts.
//
// Known limitations:
// - Sequence tokens are ignored, as AWS has done since 2023: PutLogEvents never answers
//   InvalidSequenceTokenException or DataAlreadyAcceptedException; nextSequenceToken is still given
//   for old clients.
// - Filter pattern terms match case-sensitive substrings, not whole tokens (see filter-pattern.ts);
//   a term pattern's required terms are searched in the database. FilterLogEvents reads at most
//   100,000 candidate events a call, then answers a nextToken.
// - Metric filters publish through CloudWatch's PutMetricData; subscription filters deliver to Lambda
//   functions only (log-filters.ts).
// - Logs Insights (insights.ts, insights-query.ts): the CWLI commands fields, filter, stats … by,
//   sort, limit, parse, display; queries run on the node that started them.
// - StartLiveTail (live-tail.ts) streams over HTTP/1.1; the SDK needs `disableHostPrefix: true`
//   (it otherwise sends the call to `stream-<endpoint host>`); a session sees the events ingested
//   on its own node only.
// - Not implemented (501): export tasks, destinations, resource policies, data
//   protection, deliveries, anomaly detection, transformers, integrations, account policies.
// - `kmsKeyId` and `logGroupClass` are stored and shown but have no effect; cross-account
//   `logGroupIdentifier` ARNs must name the caller's own account.
// - Retention is applied by a sweep every minute (AWS deletes expired events within days).
import type { IamRequest, PlatformContext, RequestContext, ServiceProvider } from '@atoll/core';
import type {
  CreateLogGroupRequest,
  CreateLogStreamRequest,
  DeleteLogGroupRequest,
  DeleteLogStreamRequest,
  DeleteRetentionPolicyRequest,
  DescribeLogGroupsRequest,
  DescribeLogGroupsResult,
  DescribeLogStreamsRequest,
  DescribeLogStreamsResult,
  FilterLogEventsRequest,
  FilterLogEventsResult,
  GetLogEventsRequest,
  GetLogEventsResult,
  ListTagsForResourceRequest,
  ListTagsForResourceResult,
  ListTagsLogGroupRequest,
  ListTagsLogGroupResult,
  LogGroup,
  PutLogEventsRequest,
  PutLogEventsResult,
  PutRetentionPolicyRequest,
  RejectedLogEventsInfo,
  TagLogGroupRequest,
  TagResourceRequest,
  UntagLogGroupRequest,
  UntagResourceRequest,
} from '@atoll/aws-models/logs';
import { InvalidParameterException, ResourceAlreadyExistsException, ResourceNotFoundException } from '@atoll/aws-models/logs';
import { runEvery } from '@atoll/storage';
import { FilterPatternError, compileFilterPattern } from './filter-pattern.js';
import { InsightsQueries } from './insights.js';
import { LiveTail } from './live-tail.js';
import { LogFilters } from './log-filters.js';
import { LogIngest } from './log-ingest.js';
import { LogsStore, type EventPosition, type LogGroupRecord, type LogStreamRecord } from './logs-store.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const MAX_BATCH_BYTES = 1_048_576;
const EVENT_OVERHEAD = 26;
const FILTER_SCAN_LIMIT = 100_000;
const RETENTION_DAYS = new Set([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]);

export interface LogsOptions {
  /** How often the retention sweep runs (ms). */
  retentionSweepMs?: number;
}

const groupArn = (g: LogGroupRecord) => `arn:aws:logs:${g.region}:${g.accountId}:log-group:${g.name}`;

const noGroup = () => new ResourceNotFoundException('The specified log group does not exist.');
const noStream = () => new ResourceNotFoundException('The specified log stream does not exist.');

function encodeToken(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function decodeToken<T>(token: string | undefined, check: (v: T) => boolean): T | undefined {
  if (token === undefined) return undefined;
  try {
    const v = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as T;
    if (check(v)) return v;
  } catch {
    // falls through
  }
  throw new InvalidParameterException('The specified nextToken is invalid.');
}

/** GetLogEvents tokens, as AWS shapes them: `f/<ts>/<seq>` forward, `b/<ts>/<seq>` backward. */
function parseStreamToken(token: string | undefined): { dir: 'f' | 'b'; at: EventPosition } | undefined {
  if (token === undefined) return undefined;
  const m = /^([fb])\/(-?\d+)\/(\d+)$/.exec(token);
  if (!m) throw new InvalidParameterException('The specified nextToken is invalid.');
  return { dir: m[1] as 'f' | 'b', at: { ts: Number(m[2]), seq: Number(m[3]) } };
}

export class LogsProvider implements ServiceProvider {
  readonly service = 'logs';
  readonly operations: ServiceProvider['operations'];
  #store: LogsStore | undefined;
  #ingest: LogIngest | undefined;
  #filters: LogFilters | undefined;
  #insights: InsightsQueries | undefined;
  #liveTail: LiveTail | undefined;
  #stops: (() => void)[] = [];

  constructor(
    readonly platform: PlatformContext,
    readonly options: LogsOptions = {},
  ) {
    this.operations = {
      CreateLogGroup: this.CreateLogGroup,
      DeleteLogGroup: this.DeleteLogGroup,
      DescribeLogGroups: this.DescribeLogGroups,
      PutRetentionPolicy: this.PutRetentionPolicy,
      DeleteRetentionPolicy: this.DeleteRetentionPolicy,
      CreateLogStream: this.CreateLogStream,
      DeleteLogStream: this.DeleteLogStream,
      DescribeLogStreams: this.DescribeLogStreams,
      PutLogEvents: this.PutLogEvents,
      GetLogEvents: this.GetLogEvents,
      FilterLogEvents: this.FilterLogEvents,
      TagResource: this.TagResource,
      UntagResource: this.UntagResource,
      ListTagsForResource: this.ListTagsForResource,
      TagLogGroup: this.TagLogGroup,
      UntagLogGroup: this.UntagLogGroup,
      ListTagsLogGroup: this.ListTagsLogGroup,
      PutMetricFilter: (i, c) => this.filters.PutMetricFilter(i, c),
      DeleteMetricFilter: (i, c) => this.filters.DeleteMetricFilter(i, c),
      DescribeMetricFilters: (i, c) => this.filters.DescribeMetricFilters(i, c),
      TestMetricFilter: (i) => this.filters.TestMetricFilter(i),
      PutSubscriptionFilter: (i, c) => this.filters.PutSubscriptionFilter(i, c),
      DeleteSubscriptionFilter: (i, c) => this.filters.DeleteSubscriptionFilter(i, c),
      DescribeSubscriptionFilters: (i, c) => this.filters.DescribeSubscriptionFilters(i, c),
      StartLiveTail: (i, c) => this.liveTail.StartLiveTail(i as never, c),
      StartQuery: (i, c) => this.insights.StartQuery(i, c),
      GetQueryResults: (i, c) => this.insights.GetQueryResults(i, c),
      StopQuery: (i, c) => this.insights.StopQuery(i, c),
      DescribeQueries: (i, c) => this.insights.DescribeQueries(i, c),
    };
  }

  get store(): LogsStore {
    if (!this.#store) throw new Error('the CloudWatch Logs provider is not started');
    return this.#store;
  }

  get filters(): LogFilters {
    if (!this.#filters) throw new Error('the CloudWatch Logs provider is not started');
    return this.#filters;
  }

  get liveTail(): LiveTail {
    if (!this.#liveTail) throw new Error('the CloudWatch Logs provider is not started');
    return this.#liveTail;
  }

  get insights(): InsightsQueries {
    if (!this.#insights) throw new Error('the CloudWatch Logs provider is not started');
    return this.#insights;
  }

  async start(): Promise<void> {
    const store = await LogsStore.open(this.platform.storage);
    this.#store = store;
    this.#filters = new LogFilters(store, this.platform, (ctx, name) => this.#group(ctx, name));
    this.#insights = new InsightsQueries(
      store,
      (ctx, name) => this.#group(ctx, name.startsWith('arn:') ? undefined : name, name.startsWith('arn:') ? name : undefined),
      (error) => this.platform.logger.error({ err: error }, 'logs: an Insights query failed'),
    );
    this.#liveTail = new LiveTail(
      this.platform.bus,
      this.platform.logger,
      (ctx, id) => this.#group(ctx, id.startsWith('arn:') ? undefined : id, id.startsWith('arn:') ? id : undefined),
      { ...(process.env.ATOLL_LOGS_LIVE_TAIL_UPDATE_MS ? { updateMs: Number(process.env.ATOLL_LOGS_LIVE_TAIL_UPDATE_MS) } : {}) },
    );
    this.#ingest = new LogIngest(this.platform.bus, (scope, group, stream, events) => this.ingest(scope.accountId, scope.region, group, stream, events), this.platform.logger);
    const logError = (error: unknown) => this.platform.logger.error({ err: error }, 'logs: retention sweep failed');
    this.#stops.push(this.platform.storage.leadership.lead('logs:retention', (signal) => runEvery(signal, this.options.retentionSweepMs ?? 60_000, () => this.sweepRetention(), logError)));
  }

  async close(): Promise<void> {
    for (const stop of this.#stops.splice(0)) stop();
    this.#liveTail?.close();
    await this.#ingest?.close();
    await this.#store?.close();
  }

  authorization(operation: string, input: Record<string, unknown>, scope: { accountId: string; region: string }): IamRequest | undefined {
    const group = (input.logGroupName ?? input.logGroupIdentifier) as string | undefined;
    if (typeof input.resourceArn === 'string') return { resources: [input.resourceArn] };
    if (typeof group !== 'string') return undefined;
    const base = group.startsWith('arn:') ? group.replace(/:\*$/, '') : `arn:aws:logs:${scope.region}:${scope.accountId}:log-group:${group}`;
    const stream = input.logStreamName;
    return { resources: [typeof stream === 'string' && operation !== 'DescribeLogStreams' ? `${base}:log-stream:${stream}` : `${base}:*`] };
  }

  /** Appends platform output (Lambda, ECS), creating the group and the stream on first use. */
  async ingest(accountId: string, region: string, groupName: string, streamName: string, events: { timestamp: number; message: string }[]): Promise<void> {
    if (events.length === 0) return;
    let group = await this.store.getGroup(accountId, region, groupName);
    if (!group) {
      await this.store.createGroup({ accountId, region, name: groupName, createdAt: Date.now(), retentionDays: null, kmsKeyId: null, logGroupClass: 'STANDARD', tags: {} });
      group = await this.store.getGroup(accountId, region, groupName);
      if (!group) return;
    }
    const sorted = events.every((e, i) => i === 0 || events[i - 1]!.timestamp <= e.timestamp) ? events : [...events].sort((a, b) => a.timestamp - b.timestamp);
    await this.store.append(group.id, streamName, sorted, Date.now(), true);
    this.#afterAppend(group, streamName, sorted);
    this.platform.bus.emit({ type: 'logs.EventsIngested', accountId, region, detail: { logGroupName: groupName, logStreamName: streamName, events: sorted } });
  }

  /** Metric and subscription filters run after the write is acknowledged, as AWS runs them asynchronously. */
  #afterAppend(g: LogGroupRecord, stream: string, events: { timestamp: number; message: string }[]): void {
    this.filters.process(g, stream, events).catch((error) => this.platform.logger.warn({ err: error, logGroup: g.name }, 'logs: running filters failed'));
  }

  /** Deletes events past their group's retention. */
  async sweepRetention(now = Date.now()): Promise<number> {
    let deleted = 0;
    for (const g of await this.store.allGroups()) {
      if (g.retentionDays !== null) deleted += await this.store.expire(g.id, now - g.retentionDays * DAY);
    }
    return deleted;
  }

  async #group(ctx: RequestContext, name: string | undefined, identifier?: string): Promise<LogGroupRecord> {
    if (name !== undefined && identifier !== undefined) throw new InvalidParameterException('LogGroup name and LogGroup ARN are mutually exclusive parameters.');
    let groupName = name ?? identifier;
    if (groupName === undefined) throw new InvalidParameterException('Either logGroupName or logGroupIdentifier must be specified.');
    if (groupName.startsWith('arn:')) {
      const m = /^arn:aws[\w-]*:logs:[^:]*:(\d{12}):log-group:([^:]+)(:\*)?$/.exec(groupName);
      if (!m || m[1] !== ctx.accountId) throw noGroup();
      groupName = m[2]!;
    }
    const g = await this.store.getGroup(ctx.accountId, ctx.region, groupName);
    if (!g) throw noGroup();
    return g;
  }

  async #describeGroup(g: LogGroupRecord): Promise<LogGroup> {
    const arn = groupArn(g);
    return {
      logGroupName: g.name,
      creationTime: g.createdAt,
      ...(g.retentionDays !== null ? { retentionInDays: g.retentionDays } : {}),
      metricFilterCount: 0,
      arn: `${arn}:*`,
      logGroupArn: arn,
      storedBytes: await this.store.groupBytes(g.id),
      ...(g.kmsKeyId ? { kmsKeyId: g.kmsKeyId } : {}),
      logGroupClass: g.logGroupClass as LogGroup['logGroupClass'],
    };
  }

  CreateLogGroup = async (input: CreateLogGroupRequest, ctx: RequestContext): Promise<Record<string, never>> => {
    if (!/^[.\-_/#A-Za-z0-9]+$/.test(input.logGroupName)) {
      throw new InvalidParameterException(`1 validation error detected: Value '${input.logGroupName}' at 'logGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+`);
    }
    const created = await this.store.createGroup({
      accountId: ctx.accountId,
      region: ctx.region,
      name: input.logGroupName,
      createdAt: Date.now(),
      retentionDays: null,
      kmsKeyId: input.kmsKeyId ?? null,
      logGroupClass: input.logGroupClass ?? 'STANDARD',
      tags: input.tags ?? {},
    });
    if (!created) throw new ResourceAlreadyExistsException('The specified log group already exists');
    return {};
  };

  DeleteLogGroup = async (input: DeleteLogGroupRequest, ctx: RequestContext): Promise<Record<string, never>> => {
    const g = await this.#group(ctx, input.logGroupName);
    await this.store.deleteGroup(g.id);
    return {};
  };

  DescribeLogGroups = async (input: DescribeLogGroupsRequest, ctx: RequestContext): Promise<DescribeLogGroupsResult> => {
    if (input.logGroupNamePrefix !== undefined && input.logGroupNamePattern !== undefined) {
      throw new InvalidParameterException('LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.');
    }
    const limit = input.limit ?? 50;
    const after = decodeToken<{ after: string }>(input.nextToken, (v) => typeof v?.after === 'string');
    const rows = await this.store.listGroups(ctx.accountId, ctx.region, { prefix: input.logGroupNamePrefix, pattern: input.logGroupNamePattern, after: after?.after, limit: limit + 1 });
    const page = rows.slice(0, limit).filter((g) => !input.logGroupClass || g.logGroupClass === input.logGroupClass);
    const logGroups = await Promise.all(page.map((g) => this.#describeGroup(g)));
    return { logGroups, ...(rows.length > limit ? { nextToken: encodeToken({ after: rows[limit - 1]!.name }) } : {}) };
  };

  PutRetentionPolicy = async (input: PutRetentionPolicyRequest, ctx: RequestContext): Promise<Record<string, never>> => {
    if (!RETENTION_DAYS.has(input.retentionInDays)) {
      throw new InvalidParameterException(
        `1 validation error detected: Value '${input.retentionInDays}' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [${[...RETENTION_DAYS].join(', ')}]`,
      );
    }
    const g = await this.#group(ctx, input.logGroupName);
    await this.store.updateGroup(g.id, { retentionDays: input.retentionInDays });
    return {};
  };

  DeleteRetentionPolicy = async (input: DeleteRetentionPolicyRequest, ctx: RequestContext): Promise<Record<string, never>> => {
    const g = await this.#group(ctx, input.logGroupName);
    await this.store.updateGroup(g.id, { retentionDays: null });
    return {};
  };

  CreateLogStream = async (input: CreateLogStreamRequest, ctx: RequestContext): Promise<Record<string, never>> => {
    if (/[:*]/.test(input.logStreamName)) {
      throw new InvalidParameterException(`1 validation error detected: Value '${input.logStreamName}' at 'logStreamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [^:*]*`);
    }
    const g = await this.#group(ctx, input.logGroupName);
    if (!(await this.store.createStream(g.id, input.logStreamName, Date.now()))) throw new ResourceAlreadyExistsException('The specified log stream already exists');
    return {};
  };

  DeleteLogStream = async (input: DeleteLogStreamRequest, ctx: RequestContext): Promise<Record<string, never>> => {
    const g = await this.#group(ctx, input.logGroupName);
    const s = await this.store.getStream(g.id, input.logStreamName);
    if (!s) throw noStream();
    await this.store.deleteStream(s);
    return {};
  };

  DescribeLogStreams = async (input: DescribeLogStreamsRequest, ctx: RequestContext): Promise<DescribeLogStreamsResult> => {
    const orderBy = input.orderBy ?? 'LogStreamName';
    if (orderBy === 'LastEventTime' && input.logStreamNamePrefix !== undefined) {
      throw new InvalidParameterException('Cannot order by LastEventTime with a logStreamNamePrefix.');
    }
    const g = await this.#group(ctx, input.logGroupName, input.logGroupIdentifier);
    const limit = input.limit ?? 50;
    const offset = decodeToken<{ offset: number }>(input.nextToken, (v) => Number.isInteger(v?.offset) && v.offset >= 0)?.offset ?? 0;
    const rows = await this.store.listStreams(g.id, { prefix: input.logStreamNamePrefix, orderBy, descending: input.descending ?? false, offset, limit: limit + 1 });
    const arn = groupArn(g);
    const logStreams = rows.slice(0, limit).map((s: LogStreamRecord) => ({
      logStreamName: s.name,
      creationTime: s.createdAt,
      ...(s.firstEvent !== null ? { firstEventTimestamp: s.firstEvent, lastEventTimestamp: s.lastEvent!, lastIngestionTime: s.lastIngestion! } : {}),
      uploadSequenceToken: '1',
      arn: `${arn}:log-stream:${s.name}`,
      storedBytes: 0,
    }));
    return { logStreams, ...(rows.length > limit ? { nextToken: encodeToken({ offset: offset + limit }) } : {}) };
  };

  PutLogEvents = async (input: PutLogEventsRequest, ctx: RequestContext): Promise<PutLogEventsResult> => {
    const events = input.logEvents;
    let bytes = 0;
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      bytes += Buffer.byteLength(e.message) + EVENT_OVERHEAD;
      if (i > 0 && e.timestamp < events[i - 1]!.timestamp) throw new InvalidParameterException('Log events in a single PutLogEvents request must be in chronological order.');
    }
    if (bytes > MAX_BATCH_BYTES) throw new InvalidParameterException(`Upload too large: ${bytes} bytes exceeds limit of ${MAX_BATCH_BYTES}`);
    if (events.length > 0 && events[events.length - 1]!.timestamp - events[0]!.timestamp > DAY) {
      throw new InvalidParameterException('The batch of log events in a single PutLogEvents request cannot span more than 24 hours.');
    }
    const g = await this.#group(ctx, input.logGroupName);
    const now = Date.now();
    const tooOld = now - 14 * DAY;
    const expired = g.retentionDays !== null ? now - g.retentionDays * DAY : -Infinity;
    const tooNew = now + 2 * HOUR;
    let start = 0;
    let end = events.length;
    const rejected: RejectedLogEventsInfo = {};
    while (start < end && (events[start]!.timestamp < tooOld || events[start]!.timestamp < expired)) start++;
    if (start > 0) {
      let expiredEnd = 0;
      while (expiredEnd < start && events[expiredEnd]!.timestamp < expired) expiredEnd++;
      if (expiredEnd > 0) rejected.expiredLogEventEndIndex = expiredEnd;
      if (events[start - 1]!.timestamp < tooOld) rejected.tooOldLogEventEndIndex = start;
    }
    while (end > start && events[end - 1]!.timestamp > tooNew) end--;
    if (end < events.length) rejected.tooNewLogEventStartIndex = end;
    const accepted = events.slice(start, end);
    if (!(await this.store.append(g.id, input.logStreamName, accepted, now))) throw noStream();
    if (accepted.length > 0) {
      this.#afterAppend(g, input.logStreamName, accepted);
      this.platform.bus.emit({ type: 'logs.EventsIngested', accountId: ctx.accountId, region: ctx.region, detail: { logGroupName: g.name, logStreamName: input.logStreamName, events: accepted } });
    }
    return { nextSequenceToken: String(now).padStart(56, '0'), ...(Object.keys(rejected).length > 0 ? { rejectedLogEventsInfo: rejected } : {}) };
  };

  GetLogEvents = async (input: GetLogEventsRequest, ctx: RequestContext): Promise<GetLogEventsResult> => {
    const g = await this.#group(ctx, input.logGroupName, input.logGroupIdentifier);
    const s = await this.store.getStream(g.id, input.logStreamName);
    if (!s) throw noStream();
    const token = parseStreamToken(input.nextToken);
    const limit = input.limit ?? 10_000;
    const range = { startTime: input.startTime, endTime: input.endTime };
    const backward = token ? token.dir === 'b' : !input.startFromHead;
    let rows = await this.store.streamEvents(s.id, {
      ...range,
      after: token?.dir === 'f' ? token.at : undefined,
      before: token?.dir === 'b' ? token.at : undefined,
      fromEnd: backward,
      limit,
    });
    if (backward) rows = rows.reverse();
    // One response carries at most 1 MB of events.
    let size = 0;
    let cut = rows.length;
    for (let i = 0; i < rows.length; i++) {
      size += Buffer.byteLength(rows[i]!.message) + EVENT_OVERHEAD;
      if (size > MAX_BATCH_BYTES) {
        cut = i;
        break;
      }
    }
    rows = backward ? rows.slice(rows.length - cut) : rows.slice(0, cut);
    const first = rows[0];
    const last = rows[rows.length - 1];
    // At the end of the stream, the token given comes back, as AWS does (clients stop on an unchanged token).
    const forward = last ? `f/${last.ts}/${last.seq}` : token?.dir === 'f' ? input.nextToken! : `f/${token?.at.ts ?? -1}/${token?.at.seq ?? 0}`;
    const backwardToken = first ? `b/${first.ts}/${first.seq}` : token?.dir === 'b' ? input.nextToken! : `b/${token?.at.ts ?? 0}/${token?.at.seq ?? 0}`;
    return {
      events: rows.map((e) => ({ timestamp: e.ts, message: e.message, ingestionTime: e.ingested })),
      nextForwardToken: forward,
      nextBackwardToken: backwardToken,
    };
  };

  FilterLogEvents = async (input: FilterLogEventsRequest, ctx: RequestContext): Promise<FilterLogEventsResult> => {
    if (input.logStreamNames !== undefined && input.logStreamNamePrefix !== undefined) {
      throw new InvalidParameterException('logStreamNames and logStreamNamePrefix are mutually exclusive parameters.');
    }
    let pattern;
    try {
      pattern = compileFilterPattern(input.filterPattern);
    } catch (error) {
      if (error instanceof FilterPatternError) throw new InvalidParameterException(`Invalid filter pattern: ${error.message}`);
      throw error;
    }
    const g = await this.#group(ctx, input.logGroupName, input.logGroupIdentifier);
    let streamIds: number[] | undefined;
    if (input.logStreamNames || input.logStreamNamePrefix) {
      const streams = input.logStreamNames
        ? (await Promise.all(input.logStreamNames.map((n) => this.store.getStream(g.id, n)))).filter((s): s is LogStreamRecord => s !== undefined)
        : await this.store.listStreams(g.id, { prefix: input.logStreamNamePrefix, orderBy: 'LogStreamName', descending: false, offset: 0, limit: 10_000 });
      streamIds = streams.map((s) => s.id);
      if (streamIds.length === 0) return { events: [], searchedLogStreams: [] };
    }
    const limit = input.limit ?? 10_000;
    let after = decodeToken<EventPosition>(input.nextToken, (v) => Number.isFinite(v?.ts) && Number.isFinite(v?.seq));
    const matched: { streamId: number; ts: number; seq: number; ingested: number; message: string }[] = [];
    let scanned = 0;
    let exhausted = false;
    let size = 0;
    outer: while (matched.length < limit && scanned < FILTER_SCAN_LIMIT) {
      const batch = await this.store.groupEvents(g.id, { streamIds, startTime: input.startTime, endTime: input.endTime, after, limit: 2_000, contains: pattern.required });
      if (batch.length === 0) {
        exhausted = true;
        break;
      }
      for (const e of batch) {
        scanned++;
        after = { ts: e.ts, seq: e.seq };
        if (pattern.matches(e.message)) {
          matched.push(e);
          size += Buffer.byteLength(e.message) + EVENT_OVERHEAD;
          if (matched.length >= limit || size >= MAX_BATCH_BYTES) break outer;
        }
      }
      if (batch.length < 2_000) {
        exhausted = true;
        break;
      }
    }
    const names = await this.store.streamNames([...new Set(matched.map((e) => e.streamId))]);
    return {
      events: matched.map((e) => ({
        logStreamName: names.get(e.streamId),
        timestamp: e.ts,
        message: e.message,
        ingestionTime: e.ingested,
        eventId: `${e.ts}${String(e.seq).padStart(20, '0')}`,
      })),
      searchedLogStreams: [],
      ...(!exhausted && after ? { nextToken: encodeToken(after) } : {}),
    };
  };

  async #groupByArn(ctx: RequestContext, arn: string): Promise<LogGroupRecord> {
    const m = /^arn:aws[\w-]*:logs:([^:]*):(\d{12}):log-group:([^:]+)(:\*)?$/.exec(arn);
    if (!m || m[2] !== ctx.accountId || m[1] !== ctx.region) throw new ResourceNotFoundException(`The specified resource does not exist: ${arn}`);
    const g = await this.store.getGroup(ctx.accountId, ctx.region, m[3]!);
    if (!g) throw new ResourceNotFoundException(`The specified resource does not exist: ${arn}`);
    return g;
  }

  TagResource = async (input: TagResourceRequest, ctx: RequestContext): Promise<Record<string, never>> => {
    const g = await this.#groupByArn(ctx, input.resourceArn);
    await this.store.updateGroup(g.id, { tags: { ...g.tags, ...input.tags } });
    return {};
  };

  UntagResource = async (input: UntagResourceRequest, ctx: RequestContext): Promise<Record<string, never>> => {
    const g = await this.#groupByArn(ctx, input.resourceArn);
    const tags = { ...g.tags };
    for (const k of input.tagKeys) delete tags[k];
    await this.store.updateGroup(g.id, { tags });
    return {};
  };

  ListTagsForResource = async (input: ListTagsForResourceRequest, ctx: RequestContext): Promise<ListTagsForResourceResult> => {
    return { tags: (await this.#groupByArn(ctx, input.resourceArn)).tags };
  };

  TagLogGroup = async (input: TagLogGroupRequest, ctx: RequestContext): Promise<Record<string, never>> => {
    const g = await this.#group(ctx, input.logGroupName);
    await this.store.updateGroup(g.id, { tags: { ...g.tags, ...input.tags } });
    return {};
  };

  UntagLogGroup = async (input: UntagLogGroupRequest, ctx: RequestContext): Promise<Record<string, never>> => {
    const g = await this.#group(ctx, input.logGroupName);
    const tags = { ...g.tags };
    for (const k of input.tags) delete tags[k];
    await this.store.updateGroup(g.id, { tags });
    return {};
  };

  ListTagsLogGroup = async (input: ListTagsLogGroupRequest, ctx: RequestContext): Promise<ListTagsLogGroupResult> => {
    return { tags: (await this.#group(ctx, input.logGroupName)).tags };
  };
}
