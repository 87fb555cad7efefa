// Metric filters (log events → CloudWatch metrics, through CloudWatch's PutMetricData) and
// subscription filters (log events → a Lambda function, in CloudWatch Logs' gzip+base64 envelope,
// invoked as `logs.amazonaws.com` for the log group), with their operations, and TestMetricFilter.
// Known limitations: subscription destinations are Lambda functions only (Kinesis, Firehose and
// cross-account destinations are refused); `distribution`, `applyOnTransformedLogs`,
// `fieldSelectionCriteria` and system-field dimensions are stored and not applied.
import { gzipSync } from 'node:zlib';
import type { CallerIdentity, PlatformContext, RequestContext } from '@atoll/core';
import type {
  DeleteMetricFilterRequest,
  DeleteSubscriptionFilterRequest,
  DescribeMetricFiltersRequest,
  DescribeMetricFiltersResult,
  DescribeSubscriptionFiltersRequest,
  DescribeSubscriptionFiltersResult,
  MetricTransformation,
  PutMetricFilterRequest,
  PutSubscriptionFilterRequest,
  TestMetricFilterRequest,
  TestMetricFilterResult,
} from '@atoll/aws-models/logs';
import { InvalidParameterException, LimitExceededException, ResourceNotFoundException } from '@atoll/aws-models/logs';
import { FilterPatternError, compileFilterPattern, type CompiledPattern } from './filter-pattern.js';
import type { LogGroupRecord, LogsStore } from './logs-store.js';

const METRIC_FILTERS_PER_GROUP = 100;
const SUBSCRIPTION_FILTERS_PER_GROUP = 2;

type Events = readonly { timestamp: number; message: string }[];

export class LogFilters {
  readonly #patterns = new Map<string, CompiledPattern>();

  constructor(
    readonly store: LogsStore,
    readonly platform: PlatformContext,
    readonly group: (ctx: RequestContext, name: string | undefined) => Promise<LogGroupRecord>,
  ) {}

  #compile(source: string, what: 'metric filter' | 'subscription filter' | 'filter'): CompiledPattern {
    let p = this.#patterns.get(source);
    if (!p) {
      try {
        p = compileFilterPattern(source);
      } catch (error) {
        if (error instanceof FilterPatternError) throw new InvalidParameterException(`Invalid ${what} pattern: ${error.message}`);
        throw error;
      }
      if (this.#patterns.size > 1000) this.#patterns.clear();
      this.#patterns.set(source, p);
    }
    return p;
  }

  PutMetricFilter = async (input: PutMetricFilterRequest, ctx: RequestContext): Promise<Record<string, never>> => {
    this.#compile(input.filterPattern, 'metric filter');
    for (const t of input.metricTransformations) {
      if (!/^-?\d+(\.\d+)?$/.test(t.metricValue) && !/^\$/.test(t.metricValue)) {
        throw new InvalidParameterException(`Invalid metric value: ${t.metricValue} (a number, or a $selector of the pattern).`);
      }
      if (t.metricNamespace.startsWith('AWS/')) throw new InvalidParameterException(`Invalid metric namespace: ${t.metricNamespace}`);
    }
    const g = await this.group(ctx, input.logGroupName);
    const doc = { ...input, creationTime: Date.now() };
    if (!(await this.store.putFilter({ groupId: g.id, kind: 'metric', name: input.filterName, doc }, METRIC_FILTERS_PER_GROUP))) throw new LimitExceededException('Resource limit exceeded.');
    return {};
  };

  DeleteMetricFilter = async (input: DeleteMetricFilterRequest, ctx: RequestContext): Promise<Record<string, never>> => {
    const g = await this.group(ctx, input.logGroupName);
    if (!(await this.store.deleteFilter(g.id, 'metric', input.filterName))) throw new ResourceNotFoundException('The specified metric filter does not exist.');
    return {};
  };

  DescribeMetricFilters = async (input: DescribeMetricFiltersRequest, ctx: RequestContext): Promise<DescribeMetricFiltersResult> => {
    if (input.logGroupName === undefined) throw new InvalidParameterException('logGroupName is required by this implementation.');
    const g = await this.group(ctx, input.logGroupName);
    const filters = (await this.store.filters(g.id)).filter(
      (f) =>
        f.kind === 'metric' &&
        (!input.filterNamePrefix || f.name.startsWith(input.filterNamePrefix)) &&
        (!input.metricName || (f.doc.metricTransformations as MetricTransformation[]).some((t) => t.metricName === input.metricName && (!input.metricNamespace || t.metricNamespace === input.metricNamespace))),
    );
    return {
      metricFilters: filters.map((f) => ({
        filterName: f.name,
        filterPattern: f.doc.filterPattern as string,
        metricTransformations: f.doc.metricTransformations as MetricTransformation[],
        creationTime: f.doc.creationTime as number,
        logGroupName: g.name,
        applyOnTransformedLogs: (f.doc.applyOnTransformedLogs as boolean | undefined) ?? false,
      })),
    };
  };

  TestMetricFilter = async (input: TestMetricFilterRequest): Promise<TestMetricFilterResult> => {
    const pattern = this.#compile(input.filterPattern, 'metric filter');
    const matches = input.logEventMessages.flatMap((message, i) => (pattern.matches(message) ? [{ eventNumber: i + 1, eventMessage: message, extractedValues: {} }] : []));
    return { matches };
  };

  PutSubscriptionFilter = async (input: PutSubscriptionFilterRequest, ctx: RequestContext): Promise<Record<string, never>> => {
    this.#compile(input.filterPattern, 'subscription filter');
    const m = /^arn:aws[\w-]*:lambda:([^:]+):(\d{12}):function:[^:]+(:[^:]+)?$/.exec(input.destinationArn);
    if (!m) throw new InvalidParameterException(`Could not deliver to ${input.destinationArn}: only Lambda function destinations are supported.`);
    const g = await this.group(ctx, input.logGroupName);
    const doc = { ...input, creationTime: Date.now() };
    if (!(await this.store.putFilter({ groupId: g.id, kind: 'subscription', name: input.filterName, doc }, SUBSCRIPTION_FILTERS_PER_GROUP))) {
      throw new LimitExceededException('Resource limit exceeded.');
    }
    return {};
  };

  DeleteSubscriptionFilter = async (input: DeleteSubscriptionFilterRequest, ctx: RequestContext): Promise<Record<string, never>> => {
    const g = await this.group(ctx, input.logGroupName);
    if (!(await this.store.deleteFilter(g.id, 'subscription', input.filterName))) throw new ResourceNotFoundException('The specified subscription filter does not exist.');
    return {};
  };

  DescribeSubscriptionFilters = async (input: DescribeSubscriptionFiltersRequest, ctx: RequestContext): Promise<DescribeSubscriptionFiltersResult> => {
    const g = await this.group(ctx, input.logGroupName);
    const filters = (await this.store.filters(g.id)).filter((f) => f.kind === 'subscription' && (!input.filterNamePrefix || f.name.startsWith(input.filterNamePrefix)));
    return {
      subscriptionFilters: filters.map((f) => ({
        filterName: f.name,
        logGroupName: g.name,
        filterPattern: f.doc.filterPattern as string,
        destinationArn: f.doc.destinationArn as string,
        ...(f.doc.roleArn ? { roleArn: f.doc.roleArn as string } : {}),
        distribution: (f.doc.distribution as 'ByLogStream' | undefined) ?? 'ByLogStream',
        creationTime: f.doc.creationTime as number,
      })),
    };
  };

  /** Runs a group's filters over newly stored events (after they are stored; failures are logged). */
  async process(g: LogGroupRecord, stream: string, events: Events): Promise<void> {
    const filters = await this.store.filters(g.id);
    if (filters.length === 0) return;
    const scope = { accountId: g.accountId, region: g.region };
    for (const f of filters) {
      const pattern = this.#compile(f.doc.filterPattern as string, 'filter');
      const matched = events.filter((e) => pattern.matches(e.message));
      try {
        if (f.kind === 'metric') await this.#publish(scope, f.doc.metricTransformations as MetricTransformation[], pattern, events, matched);
        else if (matched.length > 0) await this.#deliver(g, stream, f.name, f.doc.destinationArn as string, matched);
      } catch (error) {
        this.platform.logger.warn({ err: error, logGroup: g.name, filter: f.name }, `logs: a ${f.kind} filter failed`);
      }
    }
  }

  async #publish(scope: { accountId: string; region: string }, transformations: MetricTransformation[], pattern: CompiledPattern, events: Events, matched: Events): Promise<void> {
    const byNamespace = new Map<string, Record<string, unknown>[]>();
    for (const t of transformations) {
      const data = byNamespace.get(t.metricNamespace) ?? [];
      for (const e of matched) {
        const raw = t.metricValue.startsWith('$') ? pattern.value(e.message, t.metricValue) : t.metricValue;
        const value = raw === undefined ? NaN : Number(raw);
        if (!Number.isFinite(value)) continue;
        const dims = Object.entries(t.dimensions ?? {}).map(([Name, selector]) => ({ Name, Value: pattern.value(e.message, selector) }));
        if (dims.some((d) => d.Value === undefined || d.Value === '')) continue;
        data.push({ MetricName: t.metricName, Timestamp: new Date(e.timestamp), Value: value, ...(dims.length ? { Dimensions: dims } : {}), ...(t.unit ? { Unit: t.unit } : {}) });
      }
      if (matched.length === 0 && t.defaultValue !== undefined && events.length > 0) {
        data.push({ MetricName: t.metricName, Timestamp: new Date(events[events.length - 1]!.timestamp), Value: t.defaultValue, ...(t.unit ? { Unit: t.unit } : {}) });
      }
      if (data.length > 0) byNamespace.set(t.metricNamespace, data);
    }
    for (const [Namespace, data] of byNamespace) {
      for (let i = 0; i < data.length; i += 1000) await this.platform.call('cloudwatch', 'PutMetricData', { Namespace, MetricData: data.slice(i, i + 1000) }, scope);
    }
  }

  async #deliver(g: LogGroupRecord, stream: string, filterName: string, destinationArn: string, matched: Events): Promise<void> {
    const groupArn = `arn:aws:logs:${g.region}:${g.accountId}:log-group:${g.name}:*`;
    const payload = {
      messageType: 'DATA_MESSAGE',
      owner: g.accountId,
      logGroup: g.name,
      logStream: stream,
      subscriptionFilters: [filterName],
      logEvents: matched.map((e, i) => ({ id: `${e.timestamp}${String(i).padStart(20, '0')}`, timestamp: e.timestamp, message: e.message })),
    };
    const data = gzipSync(JSON.stringify(payload)).toString('base64');
    const identity: CallerIdentity = {
      type: 'AWSService',
      accountId: g.accountId,
      arn: '',
      principalId: 'logs.amazonaws.com',
      service: { principal: 'logs.amazonaws.com', sourceArn: groupArn, sourceAccount: g.accountId },
    };
    await this.platform.call(
      'lambda',
      'Invoke',
      { FunctionName: destinationArn, InvocationType: 'Event', Payload: new TextEncoder().encode(JSON.stringify({ awslogs: { data } })) },
      { accountId: g.accountId, region: g.region, identity },
    );
  }
}
