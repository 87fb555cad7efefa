// CloudWatch alarms: PutMetricAlarm (single metric and metric math), PutCompositeAlarm,
// DescribeAlarms, DescribeAlarmsForMetric, DescribeAlarmHistory, DeleteAlarms, SetAlarmState,
// Enable/DisableAlarmActions, and the evaluator the provider runs on a leader loop
// (alarm-evaluation.ts decides the state; this file applies it and runs the actions).
import type { PlatformContext, RequestContext } from '@atoll/core';
import type {
  CompositeAlarm,
  DeleteAlarmsRequest,
  DescribeAlarmHistoryRequest,
  DescribeAlarmHistoryResult,
  DescribeAlarmsForMetricRequest,
  DescribeAlarmsForMetricResult,
  DescribeAlarmsRequest,
  DescribeAlarmsResult,
  DisableAlarmActionsRequest,
  EnableAlarmActionsRequest,
  MetricAlarm,
  PutCompositeAlarmRequest,
  PutMetricAlarmRequest,
  SetAlarmStateRequest,
} from '@atoll/aws-models/cloudwatch';
import { InvalidFormatFault, InvalidNextToken, InvalidParameterCombinationException, InvalidParameterValueException, ResourceNotFound, ValidationException } from '@atoll/aws-models/cloudwatch';
import { compositeRule, evaluateMetricAlarm, parseAlarmRule, type Evaluation } from './alarm-evaluation.js';
import type { MetricOperations } from './metric-operations.js';
import type { AlarmState, MetricsStore, StoredAlarm } from './metrics-store.js';
import { isStatistic } from './statistics.js';

const ACTION_ARN = /^arn:aws[\w-]*:(sns|lambda|autoscaling|application-autoscaling|ssm|ssm-incidents|swf|automate|ec2):/;
const REGION_NAMES: Record<string, string> = { 'us-east-1': 'US East (N. Virginia)', 'us-east-2': 'US East (Ohio)', 'us-west-2': 'US West (Oregon)', 'eu-west-1': 'EU (Ireland)', 'eu-central-1': 'EU (Frankfurt)' };

const alarmArn = (accountId: string, region: string, name: string) => `arn:aws:cloudwatch:${region}:${accountId}:alarm:${name}`;

function checkActions(lists: Record<string, string[] | undefined>): void {
  for (const [param, list] of Object.entries(lists)) {
    (list ?? []).forEach((arn, i) => {
      if (!ACTION_ARN.test(arn)) throw new ValidationException(`Invalid arn syntax: ${arn} (${param}.member.${i + 1})`);
    });
  }
}

export class AlarmOperations {
  constructor(
    readonly store: MetricsStore,
    readonly metrics: MetricOperations,
    readonly platform: PlatformContext,
  ) {}

  PutMetricAlarm = async (input: PutMetricAlarmRequest, ctx: RequestContext): Promise<Record<string, never>> => {
    const single = input.MetricName !== undefined || input.Namespace !== undefined;
    if (single && input.Metrics) throw new InvalidParameterCombinationException('The parameters MetricName and Metrics are mutually exclusive and you have specified both.');
    if (!single && !input.Metrics) throw new ValidationException('Either MetricName or Metrics must be specified.');
    if (single) {
      if (input.Statistic !== undefined && input.ExtendedStatistic !== undefined) {
        throw new InvalidParameterCombinationException('The parameters Statistic and ExtendedStatistic are mutually exclusive and you have specified both.');
      }
      if (input.Statistic === undefined && input.ExtendedStatistic === undefined) throw new ValidationException('One of Statistic or ExtendedStatistic must be specified.');
      if (input.ExtendedStatistic !== undefined && !isStatistic(input.ExtendedStatistic)) throw new InvalidParameterValueException(`The value ${input.ExtendedStatistic} for parameter ExtendedStatistic is invalid.`);
      if (input.Period === undefined) throw new ValidationException('Period must be specified when MetricName is specified.');
      if (input.Namespace === undefined) throw new ValidationException('Namespace must be specified when MetricName is specified.');
    } else {
      const returning = input.Metrics!.filter((m) => m.ReturnData ?? true);
      if (returning.length !== 1) throw new ValidationException('Exactly one element of the metrics list should return data.');
      // Parses the expressions now, so that a bad one is refused at PutMetricAlarm.
      await this.metrics.query(ctx, input.Metrics!, Date.now() - 60_000, Date.now());
    }
    if (input.EvaluationPeriods === undefined) throw new ValidationException('EvaluationPeriods must be specified.');
    if (input.Threshold === undefined && input.ThresholdMetricId === undefined) throw new ValidationException('Threshold must be specified.');
    if (input.DatapointsToAlarm !== undefined && input.DatapointsToAlarm > input.EvaluationPeriods!) {
      throw new ValidationException('DatapointsToAlarm must be less than or equal to EvaluationPeriods.');
    }
    const period = input.Period ?? input.Metrics?.find((m) => m.MetricStat)?.MetricStat?.Period ?? 60;
    if (period * input.EvaluationPeriods! > 7 * 86_400) throw new ValidationException('The evaluation period (EvaluationPeriods * Period) must not exceed 7 days.');
    if (input.TreatMissingData !== undefined && !['breaching', 'notBreaching', 'ignore', 'missing'].includes(input.TreatMissingData)) {
      throw new InvalidParameterValueException(`The value ${input.TreatMissingData} for parameter TreatMissingData is invalid.`);
    }
    checkActions({ AlarmActions: input.AlarmActions, OKActions: input.OKActions, InsufficientDataActions: input.InsufficientDataActions });
    const existing = await this.store.getAlarm(ctx.accountId, ctx.region, input.AlarmName);
    if (existing && existing.kind !== 'MetricAlarm') throw new ValidationException(`An alarm named ${input.AlarmName} already exists as a composite alarm.`);
    const now = Date.now();
    const { Tags: _tags, ...config } = input;
    const state: AlarmState = existing?.state ?? { value: 'INSUFFICIENT_DATA', reason: 'Unchecked: Initial alarm creation', updated: now, transitioned: now };
    await this.store.putAlarm({ accountId: ctx.accountId, region: ctx.region, name: input.AlarmName, kind: 'MetricAlarm', config: { ...config, ActionsEnabled: input.ActionsEnabled ?? true, updatedAt: now }, state });
    await this.store.addHistory(ctx.accountId, ctx.region, {
      name: input.AlarmName,
      kind: 'MetricAlarm',
      ts: now,
      itemType: 'ConfigurationUpdate',
      summary: `Alarm "${input.AlarmName}" ${existing ? 'updated' : 'created'}`,
      data: JSON.stringify({ version: '1.0', type: existing ? 'Update' : 'Create', updatedAlarm: config }),
    });
    return {};
  };

  PutCompositeAlarm = async (input: PutCompositeAlarmRequest, ctx: RequestContext): Promise<Record<string, never>> => {
    let names: string[];
    try {
      names = compositeRule(parseAlarmRule(input.AlarmRule));
    } catch (error) {
      throw new ValidationException(`The AlarmRule is invalid: ${(error as Error).message}`);
    }
    for (const n of names) {
      if (n === input.AlarmName) throw new ValidationException('A composite alarm cannot refer to itself in its AlarmRule.');
      if (!(await this.store.getAlarm(ctx.accountId, ctx.region, n))) throw new ValidationException(`Could not save the composite alarm as alarms [${n}] in the alarm rule do not exist`);
    }
    checkActions({ AlarmActions: input.AlarmActions, OKActions: input.OKActions, InsufficientDataActions: input.InsufficientDataActions });
    const existing = await this.store.getAlarm(ctx.accountId, ctx.region, input.AlarmName);
    if (existing && existing.kind !== 'CompositeAlarm') throw new ValidationException(`An alarm named ${input.AlarmName} already exists as a metric alarm.`);
    const now = Date.now();
    const { Tags: _tags, ...config } = input;
    const state: AlarmState = existing?.state ?? { value: 'INSUFFICIENT_DATA', reason: 'Unchecked: Initial alarm creation', updated: now, transitioned: now };
    await this.store.putAlarm({ accountId: ctx.accountId, region: ctx.region, name: input.AlarmName, kind: 'CompositeAlarm', config: { ...config, ActionsEnabled: input.ActionsEnabled ?? true, updatedAt: now }, state });
    await this.store.addHistory(ctx.accountId, ctx.region, {
      name: input.AlarmName,
      kind: 'CompositeAlarm',
      ts: now,
      itemType: 'ConfigurationUpdate',
      summary: `Alarm "${input.AlarmName}" ${existing ? 'updated' : 'created'}`,
      data: JSON.stringify({ version: '1.0', type: existing ? 'Update' : 'Create', updatedAlarm: config }),
    });
    return {};
  };

  #describe(a: StoredAlarm): { metric?: MetricAlarm; composite?: CompositeAlarm } {
    const c = a.config as Record<string, unknown>;
    const common = {
      AlarmName: a.name,
      AlarmArn: alarmArn(a.accountId, a.region, a.name),
      AlarmDescription: c.AlarmDescription as string | undefined,
      AlarmConfigurationUpdatedTimestamp: new Date(c.updatedAt as number),
      ActionsEnabled: c.ActionsEnabled as boolean,
      OKActions: (c.OKActions as string[]) ?? [],
      AlarmActions: (c.AlarmActions as string[]) ?? [],
      InsufficientDataActions: (c.InsufficientDataActions as string[]) ?? [],
      StateValue: a.state.value,
      StateReason: a.state.reason,
      ...(a.state.reasonData ? { StateReasonData: a.state.reasonData } : {}),
      StateUpdatedTimestamp: new Date(a.state.updated),
      StateTransitionedTimestamp: new Date(a.state.transitioned),
    };
    if (a.kind === 'CompositeAlarm') return { composite: { ...common, AlarmRule: c.AlarmRule as string } };
    const pick = (k: string) => (c[k] !== undefined ? { [k]: c[k] } : {});
    return {
      metric: {
        ...common,
        ...pick('MetricName'),
        ...pick('Namespace'),
        ...pick('Statistic'),
        ...pick('ExtendedStatistic'),
        Dimensions: (c.Dimensions as MetricAlarm['Dimensions']) ?? [],
        ...pick('Period'),
        ...pick('Unit'),
        EvaluationPeriods: c.EvaluationPeriods as number,
        ...pick('DatapointsToAlarm'),
        ...pick('Threshold'),
        ComparisonOperator: c.ComparisonOperator as MetricAlarm['ComparisonOperator'],
        ...pick('TreatMissingData'),
        ...pick('EvaluateLowSampleCountPercentile'),
        ...pick('Metrics'),
        ...pick('ThresholdMetricId'),
      } as MetricAlarm,
    };
  }

  DescribeAlarms = async (input: DescribeAlarmsRequest, ctx: RequestContext): Promise<DescribeAlarmsResult> => {
    if (input.AlarmNames && input.AlarmNamePrefix !== undefined) {
      throw new InvalidParameterCombinationException('The parameters AlarmNames and AlarmNamePrefix are mutually exclusive and you have specified both.');
    }
    const types = input.AlarmTypes ?? (input.ChildrenOfAlarmName || input.ParentsOfAlarmName ? ['MetricAlarm', 'CompositeAlarm'] : ['MetricAlarm']);
    let alarms = await this.store.listAlarms(ctx.accountId, ctx.region);
    if (input.ChildrenOfAlarmName) {
      const parent = alarms.find((a) => a.name === input.ChildrenOfAlarmName && a.kind === 'CompositeAlarm');
      const children = parent ? compositeRule(parseAlarmRule(parent.config.AlarmRule as string)) : [];
      alarms = alarms.filter((a) => children.includes(a.name));
    }
    if (input.ParentsOfAlarmName) {
      const child = input.ParentsOfAlarmName;
      alarms = alarms.filter((a) => a.kind === 'CompositeAlarm' && compositeRule(parseAlarmRule(a.config.AlarmRule as string)).includes(child));
    }
    alarms = alarms.filter(
      (a) =>
        types.includes(a.kind) &&
        (!input.AlarmNames || input.AlarmNames.includes(a.name)) &&
        (input.AlarmNamePrefix === undefined || a.name.startsWith(input.AlarmNamePrefix)) &&
        (input.StateValue === undefined || a.state.value === input.StateValue) &&
        (input.ActionPrefix === undefined || [...((a.config.AlarmActions as string[]) ?? []), ...((a.config.OKActions as string[]) ?? []), ...((a.config.InsufficientDataActions as string[]) ?? [])].some((x) => x.startsWith(input.ActionPrefix!))),
    );
    const offset = input.NextToken !== undefined ? Number(Buffer.from(input.NextToken, 'base64url').toString('utf8')) : 0;
    if (!Number.isInteger(offset) || offset < 0) throw new InvalidNextToken('The service cannot find the specified token.');
    const max = input.MaxRecords ?? 50;
    const page = alarms.slice(offset, offset + max);
    const described = page.map((a) => this.#describe(a));
    return {
      MetricAlarms: described.flatMap((d) => (d.metric ? [d.metric] : [])),
      CompositeAlarms: described.flatMap((d) => (d.composite ? [d.composite] : [])),
      ...(offset + page.length < alarms.length ? { NextToken: Buffer.from(String(offset + page.length)).toString('base64url') } : {}),
    };
  };

  DescribeAlarmsForMetric = async (input: DescribeAlarmsForMetricRequest, ctx: RequestContext): Promise<DescribeAlarmsForMetricResult> => {
    const dims = JSON.stringify([...(input.Dimensions ?? [])].sort((a, b) => (a.Name < b.Name ? -1 : 1)).map((d) => ({ Name: d.Name, Value: d.Value })));
    const alarms = (await this.store.listAlarms(ctx.accountId, ctx.region)).filter((a) => {
      const c = a.config;
      if (a.kind !== 'MetricAlarm' || c.MetricName !== input.MetricName || c.Namespace !== input.Namespace) return false;
      if (input.Statistic && c.Statistic !== input.Statistic) return false;
      if (input.ExtendedStatistic && c.ExtendedStatistic !== input.ExtendedStatistic) return false;
      if (input.Period && c.Period !== input.Period) return false;
      if (input.Dimensions) {
        const own = JSON.stringify([...((c.Dimensions as { Name: string; Value: string }[]) ?? [])].sort((a, b) => (a.Name < b.Name ? -1 : 1)).map((d) => ({ Name: d.Name, Value: d.Value })));
        if (own !== dims) return false;
      }
      return true;
    });
    return { MetricAlarms: alarms.map((a) => this.#describe(a).metric!) };
  };

  DeleteAlarms = async (input: DeleteAlarmsRequest, ctx: RequestContext): Promise<Record<string, never>> => {
    const all = await this.store.listAlarms(ctx.accountId, ctx.region);
    const missing = input.AlarmNames.filter((n) => !all.some((a) => a.name === n));
    if (missing.length > 0) throw new ResourceNotFound(`${missing.length === 1 ? 'Alarm' : 'Alarms'} [${missing.join(', ')}] ${missing.length === 1 ? 'does' : 'do'} not exist`);
    for (const name of input.AlarmNames) {
      const parents = all.filter((a) => a.kind === 'CompositeAlarm' && !input.AlarmNames.includes(a.name) && compositeRule(parseAlarmRule(a.config.AlarmRule as string)).includes(name));
      if (parents.length > 0) throw new ValidationException(`Could not delete alarm ${name} as it is referenced by the composite alarm ${parents[0]!.name}.`);
    }
    for (const name of input.AlarmNames) await this.store.deleteAlarm(ctx.accountId, ctx.region, name);
    return {};
  };

  #setActions = (enabled: boolean) => async (input: EnableAlarmActionsRequest | DisableAlarmActionsRequest, ctx: RequestContext): Promise<Record<string, never>> => {
    for (const name of input.AlarmNames) {
      const a = await this.store.getAlarm(ctx.accountId, ctx.region, name);
      if (a) await this.store.setAlarmConfig(ctx.accountId, ctx.region, name, { ...a.config, ActionsEnabled: enabled });
    }
    return {};
  };

  EnableAlarmActions = this.#setActions(true);
  DisableAlarmActions = this.#setActions(false);

  SetAlarmState = async (input: SetAlarmStateRequest, ctx: RequestContext): Promise<Record<string, never>> => {
    const a = await this.store.getAlarm(ctx.accountId, ctx.region, input.AlarmName);
    if (!a) throw new ResourceNotFound(`Alarm ${input.AlarmName} not found`);
    if (input.StateReasonData !== undefined) {
      try {
        JSON.parse(input.StateReasonData);
      } catch {
        throw new InvalidFormatFault('The value for parameter StateReasonData is not valid JSON.');
      }
    }
    await this.transition(a, { value: input.StateValue, reason: input.StateReason, reasonData: input.StateReasonData }, Date.now());
    return {};
  };

  DescribeAlarmHistory = async (input: DescribeAlarmHistoryRequest, ctx: RequestContext): Promise<DescribeAlarmHistoryResult> => {
    const offset = input.NextToken !== undefined ? Number(Buffer.from(input.NextToken, 'base64url').toString('utf8')) : 0;
    if (!Number.isInteger(offset) || offset < 0) throw new InvalidNextToken('The service cannot find the specified token.');
    const limit = input.MaxRecords ?? 100;
    const types = input.AlarmTypes ?? ['MetricAlarm', 'CompositeAlarm'];
    const rows = (
      await this.store.history(ctx.accountId, ctx.region, {
        name: input.AlarmName,
        itemType: input.HistoryItemType,
        start: input.StartDate?.getTime(),
        end: input.EndDate?.getTime(),
        ascending: input.ScanBy === 'TimestampAscending',
        limit: limit + 1,
        offset,
      })
    ).filter((h) => types.includes(h.kind as 'MetricAlarm'));
    return {
      AlarmHistoryItems: rows.slice(0, limit).map((h) => ({
        AlarmName: h.name,
        AlarmType: h.kind as 'MetricAlarm',
        Timestamp: new Date(h.ts),
        HistoryItemType: h.itemType as 'StateUpdate',
        HistorySummary: h.summary,
        HistoryData: h.data,
      })),
      ...(rows.length > limit ? { NextToken: Buffer.from(String(offset + limit)).toString('base64url') } : {}),
    };
  };

  /** One pass of the evaluator over every alarm (metric alarms first, then composites). */
  async evaluateAll(now = Date.now()): Promise<void> {
    const alarms = await this.store.listAlarms();
    const states = new Map<string, StoredAlarm>();
    for (const a of alarms) states.set(`${a.accountId}:${a.region}:${a.name}`, a);
    for (const a of alarms) {
      if (a.kind !== 'MetricAlarm') continue;
      const result = await evaluateMetricAlarm(a, this.metrics, now);
      if (result) states.set(`${a.accountId}:${a.region}:${a.name}`, await this.#apply(a, result, now));
    }
    for (const a of alarms) {
      if (a.kind !== 'CompositeAlarm') continue;
      const rule = parseAlarmRule(a.config.AlarmRule as string);
      const value = rule.evaluate((name) => states.get(`${a.accountId}:${a.region}:${name}`)?.state.value);
      await this.#apply(a, { value, reason: `arn:aws:cloudwatch:${a.region}:${a.accountId}:alarm:${a.name} was evaluated` }, now);
    }
  }

  async #apply(a: StoredAlarm, result: Evaluation, now: number): Promise<StoredAlarm> {
    if (result.value === a.state.value) return a;
    return this.transition(a, result, now);
  }

  /** Moves an alarm to a state: history, bus event, and the actions of the new state when enabled. */
  async transition(a: StoredAlarm, result: Evaluation, now: number): Promise<StoredAlarm> {
    const old = a.state;
    const state: AlarmState = { value: result.value, reason: result.reason, ...(result.reasonData ? { reasonData: result.reasonData } : {}), updated: now, transitioned: old.value !== result.value ? now : old.transitioned };
    const summary = `Alarm updated from ${old.value} to ${result.value}`;
    const data = { version: '1.0', oldState: { stateValue: old.value, stateReason: old.reason }, newState: { stateValue: result.value, stateReason: result.reason, ...(result.reasonData ? { stateReasonData: JSON.parse(result.reasonData) } : {}) } };
    await this.store.setState(a, state, [{ name: a.name, kind: a.kind, ts: now, itemType: 'StateUpdate', summary, data: JSON.stringify(data) }]);
    const updated = { ...a, state };
    this.platform.bus.emit({
      type: 'cloudwatch.AlarmStateChanged',
      accountId: a.accountId,
      region: a.region,
      detail: { alarmName: a.name, alarmArn: alarmArn(a.accountId, a.region, a.name), oldState: old.value, newState: result.value, reason: result.reason, reasonData: result.reasonData, actions: this.#actionsFor(a, result.value) },
    });
    if (a.config.ActionsEnabled !== false) await this.#runActions(updated, old, now);
    return updated;
  }

  #actionsFor(a: StoredAlarm, value: AlarmState['value']): string[] {
    const key = value === 'ALARM' ? 'AlarmActions' : value === 'OK' ? 'OKActions' : 'InsufficientDataActions';
    return (a.config[key] as string[] | undefined) ?? [];
  }

  async #runActions(a: StoredAlarm, old: AlarmState, now: number): Promise<void> {
    const c = a.config;
    const message = {
      AlarmName: a.name,
      AlarmDescription: c.AlarmDescription ?? null,
      AWSAccountId: a.accountId,
      AlarmConfigurationUpdatedTimestamp: new Date(c.updatedAt as number).toISOString(),
      NewStateValue: a.state.value,
      NewStateReason: a.state.reason,
      StateChangeTime: new Date(now).toISOString(),
      Region: REGION_NAMES[a.region] ?? a.region,
      AlarmArn: alarmArn(a.accountId, a.region, a.name),
      OldStateValue: old.value,
      OKActions: c.OKActions ?? [],
      AlarmActions: c.AlarmActions ?? [],
      InsufficientDataActions: c.InsufficientDataActions ?? [],
      Trigger:
        a.kind === 'MetricAlarm'
          ? {
              MetricName: c.MetricName,
              Namespace: c.Namespace,
              StatisticType: c.ExtendedStatistic ? 'ExtendedStatistic' : 'Statistic',
              Statistic: c.Statistic ? String(c.Statistic).toUpperCase() : undefined,
              ExtendedStatistic: c.ExtendedStatistic,
              Unit: c.Unit ?? null,
              Dimensions: ((c.Dimensions as { Name: string; Value: string }[]) ?? []).map((d) => ({ value: d.Value, name: d.Name })),
              Period: c.Period,
              EvaluationPeriods: c.EvaluationPeriods,
              DatapointsToAlarm: c.DatapointsToAlarm ?? c.EvaluationPeriods,
              ComparisonOperator: c.ComparisonOperator,
              Threshold: c.Threshold,
              TreatMissingData: c.TreatMissingData ?? 'missing',
              EvaluateLowSampleCountPercentile: c.EvaluateLowSampleCountPercentile ?? '',
            }
          : { AlarmRule: c.AlarmRule },
    };
    const scope = { accountId: a.accountId, region: a.region };
    for (const arn of this.#actionsFor(a, a.state.value)) {
      let outcome: string;
      try {
        const service = arn.split(':')[2];
        if (service === 'sns') {
          const subject = `${a.state.value}: "${a.name}" in ${REGION_NAMES[a.region] ?? a.region}`.slice(0, 100);
          await this.platform.call('sns', 'Publish', { TopicArn: arn, Subject: subject, Message: JSON.stringify(message) }, scope);
        } else if (service === 'lambda') {
          const event = {
            source: 'aws.cloudwatch',
            alarmArn: alarmArn(a.accountId, a.region, a.name),
            accountId: a.accountId,
            time: new Date(now).toISOString(),
            region: a.region,
            alarmData: { alarmName: a.name, state: { value: a.state.value, reason: a.state.reason, timestamp: new Date(now).toISOString() }, previousState: { value: old.value, reason: old.reason }, configuration: { description: c.AlarmDescription } },
          };
          await this.platform.call('lambda', 'Invoke', { FunctionName: arn, InvocationType: 'Event', Payload: new TextEncoder().encode(JSON.stringify(event)) }, scope);
        }
        // Scaling policy ARNs are acted on by Application Auto Scaling through the cloudwatch.AlarmStateChanged event.
        outcome = `Successfully executed action ${arn}`;
      } catch (error) {
        outcome = `Failed to execute action ${arn}. Received error: "${(error as Error).message}"`;
        this.platform.logger.warn({ err: error, alarm: a.name, action: arn }, 'cloudwatch: an alarm action failed');
      }
      await this.store.addHistory(a.accountId, a.region, { name: a.name, kind: a.kind, ts: Date.now(), itemType: 'Action', summary: outcome, data: JSON.stringify({ actionState: outcome.startsWith('Succ') ? 'Succeeded' : 'Failed', notificationResource: arn }) });
    }
  }
}
