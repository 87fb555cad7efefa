// The X-Ray provider: PutTraceSegments (per-segment rejection, in-progress segments completed
// later), BatchGetTraces, GetTraceSummaries with filter expressions, GetTraceGraph, GetServiceGraph,
// sampling rules and targets (sampling-rules.ts), groups and tags (groups.ts), PutTelemetryRecords.
// Segments also arrive through the daemon's UDP protocol (daemon.ts) and the OTLP receiver (otlp/).
//
// Known limitations:
// - Rejection codes: AWS documents `MissingId` and `InvalidTraceId` (trace id older than 30 days or
//   more than 5 minutes ahead); Atoll also answers `Missing<Field>`/`Invalid<Field>` (Name,
//   TraceId, StartTime, EndTime, ParentId), `ParseError` for invalid JSON and `SegmentTooLarge` over 64 KB.
// - GetTraceSummaries reads the traces whose first segment starts in the range (TimeRangeType
//   `TraceId` and `Event` alike; `Service` is not distinguished), scans at most 10,000 traces a call
//   and pages 100 summaries; Sampling and SamplingStrategy are ignored; ResourceARNs, InstanceIds,
//   AvailabilityZones and root causes are not computed.
// - GetServiceGraph and group graphs aggregate at most 20,000 traces; no `client` node is added for
//   root services; node types are the segments' `origin` (none when absent); inferred nodes come from
//   `aws` subsegments (DynamoDB tables and SQS queues by name) and unanswered `remote` calls.
// - Not implemented (501): Insights, encryption config, resource policies, indexing rules,
//   trace retrieval (StartTraceRetrieval …), trace segment destination, GetTimeSeriesServiceStatistics.
// - Retention: traces (and telemetry records) older than 30 days by their start are deleted by one
//   node's sweep (leadership `xray:retention`) every 10 minutes, so they may show a little longer.
// - OTLP (platform port and ATOLL_OTLP_PORT) and the daemon accept unsigned data into the platform's
//   account and region, as a local collector does. OTLP Sum metrics go to CloudWatch as they are
//   (cumulative sums are not turned into deltas); exemplars, span events and links are not kept.
// - The platform in the trace (platform-segments.ts): calls are recorded once X-Ray has started (the
//   first ~100 ms after start are not); SQS (AWSTraceHeader), SNS (to SQS, Lambda and HTTP/S
//   subscribers), Lambda (event sources, Invoke) and API Gateway stages (Lambda and HTTP_PROXY
//   integrations) carry the trace on; load balancers record no segment (as in AWS). The edge's
//   traced calls are written as pending items every 100 ms (or every 2,000 calls) and built into
//   segments by the first query that needs them (XrayStore.materialize): a traced call shows in
//   queries ~0.1 s later, a crash loses the last 0.1 s of platform segments, and the first query
//   after a busy spell builds what piled up (~115 µs of CPU a segment with its trace's summary,
//   bench/xray/edge-overhead.mjs). Trace summaries are computed by the first read that needs them.
import type { Server } from 'node:http';
import type { PlatformContext, RequestContext, ServiceProvider } from '@atoll/core';
import type {
  BatchGetTracesRequest,
  BatchGetTracesResult,
  Edge,
  GetServiceGraphRequest,
  GetServiceGraphResult,
  GetTraceGraphRequest,
  GetTraceGraphResult,
  GetTraceSummariesRequest,
  GetTraceSummariesResult,
  HistogramEntry,
  PutTelemetryRecordsRequest,
  PutTraceSegmentsRequest,
  PutTraceSegmentsResult,
  Service,
  TraceSummary,
} from '@atoll/aws-models/xray';
import { InvalidRequestException } from '@atoll/aws-models/xray';
import { compileFilter, FilterExpressionError } from './filter-expression.js';
import { Groups } from './groups.js';
import { SamplingRules } from './sampling-rules.js';
import { checkSegment, MAX_AGE_MS, rejected, type RejectedSegment } from './segment-document.js';
import { runEvery } from '@atoll/storage';
import { assemble, inferredSegments, mergeGraph, summarize, type EdgeStats, type NodeStats, type TraceFacts } from './trace-model.js';
import { XrayStore, type TraceRow } from './xray-store.js';
import { parseDaemonAddress, XrayDaemon } from './daemon.js';
import { otlpRoutes, startOtlpListener } from './otlp/otlp-receiver.js';
import { expandItems, recordPlatformSegments } from './platform-segments.js';

const SUMMARY_PAGE = 100;
const SUMMARY_SCAN = 10_000;
const GRAPH_SCAN = 20_000;
const MAX_RANGE_MS = 24 * 3600_000;
const RETENTION_SWEEP_MS = 10 * 60_000;

export interface XrayOptions {
  /** Clock (epoch ms), for tests of far past/future segments. */
  now?: () => number;
  /**
   * The OTLP/HTTP port (ATOLL_OTLP_PORT; `off` or a negative number disables it). Default 4318, or
   * off when the platform itself listens on port 0 (tests), so that parallel runs never collide.
   */
  otlpPort?: number | 'off';
  /** The daemon address (ATOLL_XRAY_DAEMON_ADDRESS); default 127.0.0.1:2000, or off as above. */
  daemonAddress?: string;
  /** How often the leader deletes traces older than 30 days (default 10 minutes). */
  retentionSweepMs?: number;
}

const summaryRow = (traceId: string, docs: string[]) => {
  const facts = summarize(traceId, docs);
  return { startMs: Math.round(facts.start * 1000), endMs: Math.round(facts.end * 1000), summary: facts };
};

function compile(expression: string | undefined): (f: TraceFacts) => boolean {
  if (expression === undefined) return () => true;
  try {
    return compileFilter(expression);
  } catch (e) {
    if (e instanceof FilterExpressionError) throw new InvalidRequestException(`Invalid filter expression: ${e.message}`);
    throw e;
  }
}

const histogram = (h: Record<string, number>): HistogramEntry[] =>
  Object.entries(h)
    .map(([v, c]) => ({ Value: Number(v), Count: c }))
    .sort((a, b) => a.Value - b.Value);

const statistics = (s: NodeStats | EdgeStats) => ({
  OkCount: s.ok,
  ErrorStatistics: { ThrottleCount: s.throttle, OtherCount: s.error - s.throttle, TotalCount: s.error },
  FaultStatistics: { OtherCount: s.fault, TotalCount: s.fault },
  TotalCount: s.count,
  TotalResponseTime: s.totalResponse,
});

/** Services (nodes with their outgoing edges) of the traces given, as GetServiceGraph answers them. */
function graph(rows: readonly TraceRow[], accountId: string): Service[] {
  const g = { nodes: new Map<string, NodeStats>(), edges: new Map<string, EdgeStats>() };
  const entries = new Set<string>();
  for (const r of rows) {
    const facts = r.summary as TraceFacts;
    mergeGraph(g, facts);
    if (facts.entry) entries.add(facts.entry);
  }
  const keys = [...g.nodes.keys()];
  const ref = new Map(keys.map((k, i) => [k, i]));
  return keys.map((k) => {
    const n = g.nodes.get(k)!;
    const edges: Edge[] = [...g.edges.values()]
      .filter((e) => e.from === k && ref.has(e.to))
      .map((e) => ({
        ReferenceId: ref.get(e.to)!,
        StartTime: new Date(g.nodes.get(e.to)!.start * 1000),
        EndTime: new Date(g.nodes.get(e.to)!.end * 1000),
        SummaryStatistics: statistics(e),
        ResponseTimeHistogram: histogram(e.histogram),
        Aliases: [],
      }));
    return {
      ReferenceId: ref.get(k)!,
      Name: n.name,
      Names: [n.name],
      Root: entries.has(k),
      AccountId: accountId,
      ...(n.type ? { Type: n.type } : {}),
      State: 'active',
      StartTime: new Date(n.start * 1000),
      EndTime: new Date(n.end * 1000),
      Edges: edges,
      SummaryStatistics: statistics(n),
      DurationHistogram: histogram(n.histogram),
      ResponseTimeHistogram: histogram(n.histogram),
    };
  });
}

function traceSummary(f: TraceFacts, accountId: string): TraceSummary {
  const serviceId = (key: string) => {
    const n = f.nodes[key];
    return n ? { Name: n.name, Names: [n.name], AccountId: accountId, ...(n.type ? { Type: n.type } : {}) } : { Name: key.split('\u0000')[0] };
  };
  return {
    Id: f.id,
    StartTime: new Date(f.start * 1000),
    Duration: f.duration,
    ...(f.responseTime !== undefined ? { ResponseTime: f.responseTime } : {}),
    HasFault: f.hasFault,
    HasError: f.hasError,
    HasThrottle: f.hasThrottle,
    IsPartial: f.isPartial,
    ...(f.http
      ? { Http: { HttpURL: f.http.url, HttpStatus: f.http.status, HttpMethod: f.http.method, UserAgent: f.http.userAgent, ClientIp: f.http.clientIp } }
      : {}),
    Annotations: Object.fromEntries(
      Object.entries(f.annotations).map(([k, values]) => [
        k,
        values.map((v) => ({
          AnnotationValue: typeof v.value === 'number' ? { NumberValue: v.value } : typeof v.value === 'boolean' ? { BooleanValue: v.value } : { StringValue: v.value },
          ServiceIds: v.services.map(serviceId),
        })),
      ]),
    ),
    Users: f.users.map((u) => ({ UserName: u, ServiceIds: f.entry ? [serviceId(f.entry)] : [] })),
    ServiceIds: Object.keys(f.nodes).map(serviceId),
    ...(f.entry ? { EntryPoint: serviceId(f.entry) } : {}),
    Revision: 1,
  };
}

function encodeToken(v: unknown): string {
  return Buffer.from(JSON.stringify(v)).toString('base64url');
}

function decodeToken(token: string | undefined): { startMs: number; traceId: string } | undefined {
  if (token === undefined) return undefined;
  try {
    const v = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { startMs: unknown; traceId: unknown };
    if (typeof v.startMs === 'number' && typeof v.traceId === 'string') return { startMs: v.startMs, traceId: v.traceId };
  } catch {
    // falls through
  }
  throw new InvalidRequestException('Invalid NextToken.');
}

export class XrayProvider implements ServiceProvider {
  readonly service = 'xray';
  readonly operations: ServiceProvider['operations'];
  readonly sampling: SamplingRules;
  readonly groups: Groups;
  readonly routes: ServiceProvider['routes'];
  #store: XrayStore | undefined;
  readonly #now: () => number;
  #otlp: Server | undefined;
  #daemon: XrayDaemon | undefined;
  #platformSegments: { stop(): Promise<void> } | undefined;
  #stopRetention: (() => void) | undefined;
  /** Bound ports of the side listeners once started (0 when off). */
  otlpPort = 0;
  daemonPort = 0;
  /** The daemon's TCP port (sampling proxy). */
  daemonTcpPort = 0;

  constructor(
    readonly platform: PlatformContext,
    readonly options: XrayOptions = {},
  ) {
    this.#now = options.now ?? Date.now;
    this.routes = otlpRoutes(this);
    this.sampling = new SamplingRules(() => this.store);
    this.groups = new Groups(
      () => this.store,
      async (ctx, arn) => (await this.sampling.rules(ctx)).some((r) => r.doc.RuleARN === arn),
    );
    const s = this.sampling;
    const g = this.groups;
    this.operations = {
      PutTraceSegments: this.PutTraceSegments,
      PutTelemetryRecords: this.PutTelemetryRecords,
      BatchGetTraces: this.BatchGetTraces,
      GetTraceSummaries: this.GetTraceSummaries,
      GetTraceGraph: this.GetTraceGraph,
      GetServiceGraph: this.GetServiceGraph,
      GetSamplingRules: s.GetSamplingRules,
      CreateSamplingRule: s.CreateSamplingRule,
      UpdateSamplingRule: s.UpdateSamplingRule,
      DeleteSamplingRule: s.DeleteSamplingRule,
      GetSamplingTargets: s.GetSamplingTargets,
      GetSamplingStatisticSummaries: s.GetSamplingStatisticSummaries,
      CreateGroup: g.CreateGroup,
      GetGroup: g.GetGroup,
      GetGroups: g.GetGroups,
      UpdateGroup: g.UpdateGroup,
      DeleteGroup: g.DeleteGroup,
      TagResource: g.TagResource,
      UntagResource: g.UntagResource,
      ListTagsForResource: g.ListTagsForResource,
    };
  }

  get store(): XrayStore {
    if (!this.#store) throw new Error('the X-Ray provider is not started');
    return this.#store;
  }

  async start(): Promise<void> {
    this.#store = await XrayStore.open(this.platform.storage, summaryRow, expandItems);
    const { config, logger } = this.platform;
    // The edge's segments wait as pending items until a query needs them (XrayStore.materialize).
    this.#platformSegments = recordPlatformSegments(this.platform.bus, (a, r, items) => this.store.putPending(a, r, items), logger);
    // Retention: traces are kept 30 days, as in X-Ray; one node sweeps for all.
    this.#stopRetention = this.platform.storage.leadership.lead('xray:retention', (signal) =>
      runEvery(signal, this.options.retentionSweepMs ?? RETENTION_SWEEP_MS, () => this.expireTraces(), (error) => logger.error({ err: error }, 'xray: retention sweep failed')),
    );
    const testing = config.port === 0;
    const otlp = this.options.otlpPort ?? process.env.ATOLL_OTLP_PORT ?? (testing ? 'off' : 4318);
    if (otlp !== 'off' && Number(otlp) >= 0) {
      try {
        const bound = await startOtlpListener(this, config.host, Number(otlp));
        this.#otlp = bound.server;
        this.otlpPort = bound.port;
      } catch (error) {
        logger.warn({ err: error, port: otlp }, 'xray: the OTLP/HTTP port is not available; OTLP stays on the platform port');
      }
    }
    const daemon = parseDaemonAddress(this.options.daemonAddress ?? process.env.ATOLL_XRAY_DAEMON_ADDRESS ?? (testing ? 'off' : '127.0.0.1:2000'));
    if (daemon) {
      const d = new XrayDaemon(
        {
          ingest: (docs) => this.ingest(config.accountId, config.region, docs),
          sampling: (op, input) => (op === 'GetSamplingRules' ? this.sampling.GetSamplingRules(input, this.#scope()) : this.sampling.GetSamplingTargets(input as never, this.#scope())),
        },
        logger,
      );
      try {
        await d.start(daemon);
        this.#daemon = d;
        this.daemonPort = d.udpPort;
        this.daemonTcpPort = d.tcpPort;
      } catch (error) {
        await d.close().catch(() => {});
        logger.warn({ err: error, address: daemon }, 'xray: the daemon address is not available; the daemon is off');
      }
    }
  }

  /** The request context of data that arrives unsigned (daemon, OTLP port): the platform's account. */
  #scope(): RequestContext {
    const { accountId, region } = this.platform.config;
    return { accountId, region } as RequestContext;
  }

  /** Deletes the traces older than the retention (30 days), in batches; answers how many. */
  async expireTraces(): Promise<number> {
    const cutoff = this.#now() - MAX_AGE_MS;
    let total = 0;
    for (let n = await this.store.expire(cutoff); n > 0; n = await this.store.expire(cutoff)) total += n;
    if (total > 0) this.platform.logger.info({ traces: total }, 'xray: expired traces deleted');
    return total;
  }

  async close(): Promise<void> {
    this.#stopRetention?.();
    await this.#platformSegments?.stop();
    await this.#daemon?.close();
    const otlp = this.#otlp;
    if (otlp) {
      const closed = new Promise<void>((resolve) => otlp.close(() => resolve()));
      otlp.closeAllConnections();
      await closed;
    }
    await this.#store?.close();
  }

  /** Validates and stores segment documents; answers the rejected ones (the daemon and OTLP use it too). */
  async ingest(accountId: string, region: string, documents: readonly string[], options: { anyTraceEpoch?: boolean } = {}): Promise<RejectedSegment[]> {
    const now = this.#now();
    const bad: RejectedSegment[] = [];
    const good = [];
    for (const text of documents) {
      const r = checkSegment(text, now, options);
      if (rejected(r)) bad.push(r);
      else good.push({ traceId: r.traceId, id: r.id, startMs: r.startMs, inProgress: r.inProgress, doc: text });
    }
    await this.store.putSegments(accountId, region, good);
    return bad;
  }

  PutTraceSegments = async (input: PutTraceSegmentsRequest, ctx: RequestContext): Promise<PutTraceSegmentsResult> => {
    const bad = await this.ingest(ctx.accountId, ctx.region, input.TraceSegmentDocuments);
    return { UnprocessedTraceSegments: bad.map((b) => ({ Id: b.id, ErrorCode: b.code, Message: `Invalid segment. ErrorCode: ${b.code}` })) };
  };

  PutTelemetryRecords = async (input: PutTelemetryRecordsRequest, ctx: RequestContext): Promise<Record<string, never>> => {
    const resource = input.ResourceARN ?? input.EC2InstanceId ?? input.Hostname ?? '';
    await this.store.addTelemetry(
      ctx.accountId,
      ctx.region,
      resource,
      input.TelemetryRecords.map((r) => ({ ts: r.Timestamp.getTime(), doc: r })),
    );
    return {};
  };

  BatchGetTraces = async (input: BatchGetTracesRequest, ctx: RequestContext): Promise<BatchGetTracesResult> => {
    const ids = [...new Set(input.TraceIds)];
    const stored = await this.store.segments(ctx.accountId, ctx.region, ids);
    const traces: NonNullable<BatchGetTracesResult['Traces']> = [];
    const unprocessed: string[] = [];
    for (const id of ids) {
      const docs = stored.filter((s) => s.traceId === id).map((s) => s.doc);
      if (docs.length === 0) {
        unprocessed.push(id);
        continue;
      }
      const { segments, orphans } = assemble(docs);
      const all = [...segments, ...orphans, ...inferredSegments(segments, id)];
      const start = Math.min(...all.map((s) => s.start_time));
      const end = Math.max(...all.map((s) => s.end_time ?? s.start_time));
      traces.push({
        Id: id,
        Duration: Math.round((end - start) * 1000) / 1000,
        LimitExceeded: false,
        Segments: all.map((s) => ({ Id: s.id, Document: JSON.stringify(s) })),
      });
    }
    return { Traces: traces, UnprocessedTraceIds: unprocessed };
  };

  #range(start: Date, end: Date): { fromMs: number; toMs: number } {
    const fromMs = start.getTime();
    const toMs = end.getTime();
    if (!(toMs > fromMs)) throw new InvalidRequestException('EndTime must be after StartTime.');
    return { fromMs, toMs };
  }

  GetTraceSummaries = async (input: GetTraceSummariesRequest, ctx: RequestContext): Promise<GetTraceSummariesResult> => {
    const { fromMs, toMs } = this.#range(input.StartTime, input.EndTime);
    if (toMs - fromMs > MAX_RANGE_MS) throw new InvalidRequestException('The time range cannot be longer than 24 hours.');
    const matches = compile(input.FilterExpression);
    let after = decodeToken(input.NextToken);
    const out: TraceSummary[] = [];
    let processed = 0;
    let more = true;
    while (more && out.length < SUMMARY_PAGE && processed < SUMMARY_SCAN) {
      const limit = Math.min(1000, SUMMARY_SCAN - processed);
      const rows = await this.store.traces(ctx.accountId, ctx.region, { fromMs, toMs, after, limit });
      if (rows.length < limit) more = false;
      for (const [i, r] of rows.entries()) {
        processed++;
        after = { startMs: r.startMs, traceId: r.traceId };
        if (matches(r.summary as TraceFacts)) out.push(traceSummary(r.summary as TraceFacts, ctx.accountId));
        if (out.length >= SUMMARY_PAGE) {
          if (i < rows.length - 1) more = true;
          break;
        }
      }
    }
    return {
      TraceSummaries: out,
      ApproximateTime: new Date(Math.floor(this.#now() / 1000) * 1000),
      TracesProcessedCount: processed,
      ...(more && after ? { NextToken: encodeToken(after) } : {}),
    };
  };

  GetTraceGraph = async (input: GetTraceGraphRequest, ctx: RequestContext): Promise<GetTraceGraphResult> => {
    const rows = await this.store.tracesById(ctx.accountId, ctx.region, [...new Set(input.TraceIds)]);
    return { Services: graph(rows, ctx.accountId) };
  };

  GetServiceGraph = async (input: GetServiceGraphRequest, ctx: RequestContext): Promise<GetServiceGraphResult> => {
    const { fromMs, toMs } = this.#range(input.StartTime, input.EndTime);
    let matches: (f: TraceFacts) => boolean = () => true;
    if (input.GroupName || input.GroupARN) {
      const group = await this.groups.find(ctx, input.GroupName, input.GroupARN);
      matches = compile(group.doc.FilterExpression as string | undefined);
    }
    const rows = (await this.store.traces(ctx.accountId, ctx.region, { fromMs, toMs, limit: GRAPH_SCAN })).filter((r) => matches(r.summary as TraceFacts));
    return { StartTime: input.StartTime, EndTime: input.EndTime, Services: graph(rows, ctx.accountId), ContainsOldGroupVersions: false };
  };
}
