// The Application Auto Scaling provider: scalable targets for ECS services (`ecs:service:DesiredCount`)
// and Lambda provisioned concurrency (`lambda:function:ProvisionedConcurrency`), target tracking
// policies that create and own their CloudWatch alarms, step scaling policies, cooldowns and scaling
// activities. A leader loop (once across nodes) looks at each policy's alarms every second and, for
// one in ALARM, sets the target's capacity through ECS's (or Lambda's) public operations.
//
// Known limitations:
// - Scheduled actions and predictive scaling are not implemented (501); tagging answers 501.
// - Other namespaces (DynamoDB, Aurora, EMR, SageMaker, custom resources …) are refused with a
//   ValidationException at RegisterScalableTarget.
// - Lambda provisioned concurrency is scaled through Lambda's PutProvisionedConcurrencyConfig; where
//   Lambda does not serve it, the scaling activity fails with Lambda's answer.
// - Target tracking alarms use AWS's timing (AlarmHigh 3 × 60 s, AlarmLow 15 × 60 s) unless
//   ATOLL_TARGET_TRACKING_PERIOD_SECONDS is under 60 (then 1 high and 3 low periods of that length),
//   for tests and benchmarks. During a scale-out cooldown no further scale-out happens (AWS may add
//   capacity beyond the first step).
import { randomUUID } from 'node:crypto';
import type { IamRequest, PlatformContext, RequestContext, ServiceProvider } from '@atoll/core';
import type {
  DeleteScalingPolicyRequest,
  DeregisterScalableTargetRequest,
  DescribeScalableTargetsRequest,
  DescribeScalableTargetsResult,
  DescribeScalingActivitiesRequest,
  DescribeScalingActivitiesResult,
  DescribeScalingPoliciesRequest,
  DescribeScalingPoliciesResult,
  PutScalingPolicyRequest,
  PutScalingPolicyResult,
  RegisterScalableTargetRequest,
  RegisterScalableTargetResult,
  ScalingPolicy,
  StepScalingPolicyConfiguration,
  TargetTrackingScalingPolicyConfiguration,
} from '@atoll/aws-models/applicationautoscaling';
import { FailedResourceAccessException, InvalidNextTokenException, ObjectNotFoundException, ValidationException } from '@atoll/aws-models/applicationautoscaling';
import { runEvery } from '@atoll/storage';
import { AasStore, type StoredPolicy, type StoredTarget, type TargetKey } from './aas-store.js';
import { PolicyError, alarmTiming, steppedCapacity, trackedCapacity, trackedMetric } from './scaling-policies.js';

export interface AasOptions {
  /** How often policies' alarms are looked at (ms). */
  loopMs?: number;
}

const DIMENSIONS: Record<string, { namespace: string; resource: RegExp; example: string }> = {
  'ecs:service:DesiredCount': { namespace: 'ecs', resource: /^service\/[^/]+\/[^/]+$/, example: 'service/<cluster-name>/<service-name>' },
  'lambda:function:ProvisionedConcurrency': { namespace: 'lambda', resource: /^function:[^:]+:[^:]+$/, example: 'function:<function-name>:<alias-or-version>' },
};

interface AlarmView {
  AlarmName?: string;
  AlarmArn?: string;
  StateValue?: string;
  StateReasonData?: string;
  Threshold?: number;
}

function encodeToken(offset: number): string {
  return Buffer.from(String(offset)).toString('base64url');
}

function decodeToken(token: string | undefined): number {
  if (token === undefined) return 0;
  const n = Number(Buffer.from(token, 'base64url').toString('utf8'));
  if (!Number.isInteger(n) || n < 0) throw new InvalidNextTokenException('Invalid NextToken');
  return n;
}

const notRegistered = (k: { namespace: string; resourceId: string; dimension: string }) =>
  new ObjectNotFoundException(`No scalable target registered for service namespace: ${k.namespace}, resource ID: ${k.resourceId}, scalable dimension: ${k.dimension}`);

export class AasProvider implements ServiceProvider {
  readonly service = 'applicationautoscaling';
  readonly operations: ServiceProvider['operations'];
  #store: AasStore | undefined;
  #stops: (() => void)[] = [];

  constructor(
    readonly platform: PlatformContext,
    readonly options: AasOptions = {},
  ) {
    this.operations = {
      RegisterScalableTarget: this.RegisterScalableTarget,
      DeregisterScalableTarget: this.DeregisterScalableTarget,
      DescribeScalableTargets: this.DescribeScalableTargets,
      PutScalingPolicy: this.PutScalingPolicy,
      DeleteScalingPolicy: this.DeleteScalingPolicy,
      DescribeScalingPolicies: this.DescribeScalingPolicies,
      DescribeScalingActivities: this.DescribeScalingActivities,
    };
  }

  get store(): AasStore {
    if (!this.#store) throw new Error('the Application Auto Scaling provider is not started');
    return this.#store;
  }

  async start(): Promise<void> {
    this.#store = await AasStore.open(this.platform.storage);
    const logError = (error: unknown) => this.platform.logger.error({ err: error }, 'application-autoscaling: running policies failed');
    this.#stops.push(this.platform.storage.leadership.lead('applicationautoscaling:policies', (signal) => runEvery(signal, this.options.loopMs ?? 1000, () => this.runPolicies(), logError)));
  }

  async close(): Promise<void> {
    for (const stop of this.#stops.splice(0)) stop();
    await this.#store?.close();
  }

  authorization(_operation: string, input: Record<string, unknown>, scope: { accountId: string; region: string }): IamRequest | undefined {
    return typeof input.ResourceId === 'string' ? { resources: [`arn:aws:application-autoscaling:${scope.region}:${scope.accountId}:scalable-target/*`] } : undefined;
  }

  #key(ctx: { accountId: string; region: string }, input: { ServiceNamespace: string; ResourceId: string; ScalableDimension: string }): TargetKey {
    const dim = DIMENSIONS[input.ScalableDimension];
    if (!dim || dim.namespace !== input.ServiceNamespace) {
      throw new ValidationException(`Unsupported scalable dimension '${input.ScalableDimension}' for service namespace '${input.ServiceNamespace}'`);
    }
    if (!dim.resource.test(input.ResourceId)) throw new ValidationException(`Unsupported resource ID '${input.ResourceId}': expected ${dim.example}`);
    return { accountId: ctx.accountId, region: ctx.region, namespace: input.ServiceNamespace, resourceId: input.ResourceId, dimension: input.ScalableDimension };
  }

  /** The resource's current capacity (ECS desired count, Lambda provisioned concurrency). */
  async capacity(k: TargetKey): Promise<number> {
    const scope = { accountId: k.accountId, region: k.region };
    if (k.namespace === 'ecs') {
      const [, cluster, service] = k.resourceId.split('/');
      const out = await this.platform.call<{ services?: { desiredCount?: number; status?: string }[] }>('ecs', 'DescribeServices', { cluster, services: [service] }, scope);
      const s = out.services?.find((x) => x.status !== 'INACTIVE');
      if (!s) throw new ValidationException(`ECS service doesn't exist: ${k.resourceId}`);
      return s.desiredCount ?? 0;
    }
    const [, fn, qualifier] = k.resourceId.split(':');
    const out = await this.platform.call<{ RequestedProvisionedConcurrentExecutions?: number }>('lambda', 'GetProvisionedConcurrencyConfig', { FunctionName: fn, Qualifier: qualifier }, scope).catch(() => ({}));
    return (out as { RequestedProvisionedConcurrentExecutions?: number }).RequestedProvisionedConcurrentExecutions ?? 0;
  }

  async setCapacity(k: TargetKey, value: number): Promise<void> {
    const scope = { accountId: k.accountId, region: k.region };
    if (k.namespace === 'ecs') {
      const [, cluster, service] = k.resourceId.split('/');
      await this.platform.call('ecs', 'UpdateService', { cluster, service, desiredCount: value }, scope);
      return;
    }
    const [, fn, qualifier] = k.resourceId.split(':');
    await this.platform.call('lambda', 'PutProvisionedConcurrencyConfig', { FunctionName: fn, Qualifier: qualifier, ProvisionedConcurrentExecutions: value }, scope);
  }

  /** Sets a capacity and records the activity. */
  async #scale(k: TargetKey, from: number, to: number, cause: string): Promise<void> {
    const start = Date.now();
    const description = k.namespace === 'ecs' ? `Setting desired count to ${to}.` : `Setting provisioned concurrency to ${to}.`;
    let status = 'Successful';
    let message: string | undefined;
    try {
      await this.setCapacity(k, to);
    } catch (error) {
      status = 'Failed';
      message = (error as Error).message;
    }
    await this.store.addActivity(k, { ActivityId: randomUUID(), Description: description, Cause: cause, StartTime: start, EndTime: Date.now(), StatusCode: status, ...(message ? { StatusMessage: message } : { StatusMessage: `Successfully set ${k.namespace === 'ecs' ? 'desired count' : 'provisioned concurrency'} to ${to}. Change successfully fulfilled by ${k.namespace}.` }) });
    this.platform.logger.info({ resourceId: k.resourceId, from, to, status }, 'application-autoscaling: scaled');
  }

  RegisterScalableTarget = async (input: RegisterScalableTargetRequest, ctx: RequestContext): Promise<RegisterScalableTargetResult> => {
    const k = this.#key(ctx, input);
    const existing = await this.store.getTarget(k);
    if (!existing && (input.MinCapacity === undefined || input.MaxCapacity === undefined)) {
      throw new ValidationException('MinCapacity and MaxCapacity are required for registering a new scalable target.');
    }
    const min = input.MinCapacity ?? existing!.doc.min;
    const max = input.MaxCapacity ?? existing!.doc.max;
    if (min > max) throw new ValidationException('Minimum capacity cannot be greater than maximum capacity');
    let current: number;
    try {
      current = await this.capacity(k);
    } catch (error) {
      if (error instanceof ValidationException) throw error;
      throw new FailedResourceAccessException((error as Error).message);
    }
    const arn = existing?.doc.arn ?? `arn:aws:application-autoscaling:${ctx.region}:${ctx.accountId}:scalable-target/${randomUUID().replace(/-/g, '').slice(0, 24)}`;
    await this.store.putTarget({
      ...k,
      doc: {
        ...existing?.doc,
        min,
        max,
        roleArn:
          input.RoleARN ??
          existing?.doc.roleArn ??
          (k.namespace === 'ecs'
            ? `arn:aws:iam::${ctx.accountId}:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService`
            : `arn:aws:iam::${ctx.accountId}:role/aws-service-role/lambda.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_LambdaConcurrency`),
        created: existing?.doc.created ?? Date.now(),
        arn,
        suspended: { ...existing?.doc.suspended, ...input.SuspendedState },
      },
    });
    const clamped = Math.min(max, Math.max(min, current));
    if (clamped !== current) await this.#scale(k, current, clamped, `${clamped > current ? 'minimum' : 'maximum'} capacity was set to ${clamped > current ? min : max}`);
    return { ScalableTargetARN: arn };
  };

  DeregisterScalableTarget = async (input: DeregisterScalableTargetRequest, ctx: RequestContext): Promise<Record<string, never>> => {
    const k = this.#key(ctx, input);
    const policies = (await this.store.listPolicies(ctx.accountId, ctx.region, k.namespace)).filter((p) => p.resourceId === k.resourceId && p.dimension === k.dimension);
    if (!(await this.store.deleteTarget(k))) throw notRegistered(k);
    for (const p of policies) await this.#deleteAlarms(p, ctx);
    return {};
  };

  DescribeScalableTargets = async (input: DescribeScalableTargetsRequest, ctx: RequestContext): Promise<DescribeScalableTargetsResult> => {
    const all = (await this.store.listTargets(ctx.accountId, ctx.region, input.ServiceNamespace)).filter(
      (t) => (!input.ResourceIds || input.ResourceIds.includes(t.resourceId)) && (!input.ScalableDimension || t.dimension === input.ScalableDimension),
    );
    const offset = decodeToken(input.NextToken);
    const max = input.MaxResults ?? 50;
    const page = all.slice(offset, offset + max);
    return {
      ScalableTargets: page.map((t: StoredTarget) => ({
        ServiceNamespace: t.namespace as 'ecs',
        ResourceId: t.resourceId,
        ScalableDimension: t.dimension as 'ecs:service:DesiredCount',
        MinCapacity: t.doc.min,
        MaxCapacity: t.doc.max,
        RoleARN: t.doc.roleArn,
        CreationTime: new Date(t.doc.created),
        SuspendedState: { DynamicScalingInSuspended: false, DynamicScalingOutSuspended: false, ScheduledScalingSuspended: false, ...t.doc.suspended },
        ScalableTargetARN: t.doc.arn,
      })),
      ...(offset + page.length < all.length ? { NextToken: encodeToken(offset + page.length) } : {}),
    };
  };

  PutScalingPolicy = async (input: PutScalingPolicyRequest, ctx: RequestContext): Promise<PutScalingPolicyResult> => {
    const k = this.#key(ctx, input);
    const target = await this.store.getTarget(k);
    if (!target) throw notRegistered(k);
    const type = input.PolicyType ?? 'StepScaling';
    const existing = await this.store.getPolicy(k, input.PolicyName);
    const policyArn =
      (existing?.doc.PolicyARN as string | undefined) ??
      `arn:aws:autoscaling:${ctx.region}:${ctx.accountId}:scalingPolicy:${randomUUID()}:resource/${k.namespace}/${k.resourceId}:policyName/${input.PolicyName}`;
    let alarms: { AlarmName: string; AlarmARN: string }[] = [];
    if (type === 'TargetTrackingScaling') {
      const config = input.TargetTrackingScalingPolicyConfiguration;
      if (!config) throw new ValidationException('TargetTrackingScalingPolicyConfiguration is required for a TargetTrackingScaling policy.');
      if (input.StepScalingPolicyConfiguration) throw new ValidationException('StepScalingPolicyConfiguration is not allowed for a TargetTrackingScaling policy.');
      const timing = alarmTiming();
      let metric: Record<string, unknown>;
      try {
        metric = trackedMetric(config, k.resourceId, timing.periodSeconds);
      } catch (error) {
        if (error instanceof PolicyError) throw new ValidationException(error.message);
        throw error;
      }
      if (existing) await this.#deleteAlarms(existing, ctx);
      const id = randomUUID();
      const names = { high: `TargetTracking-${k.resourceId}-AlarmHigh-${id}`, low: `TargetTracking-${k.resourceId}-AlarmLow-${id}` };
      const put = (AlarmName: string, ComparisonOperator: string, Threshold: number, EvaluationPeriods: number) =>
        this.platform.call(
          'cloudwatch',
          'PutMetricAlarm',
          {
            AlarmName,
            AlarmDescription: `DO NOT EDIT OR DELETE. For TargetTrackingScaling policy ${policyArn}.`,
            ...metric,
            ComparisonOperator,
            Threshold,
            EvaluationPeriods,
            DatapointsToAlarm: EvaluationPeriods,
            AlarmActions: [policyArn],
            ActionsEnabled: true,
          },
          ctx,
        );
      await put(names.high, 'GreaterThanThreshold', config.TargetValue, timing.highPeriods);
      if (!config.DisableScaleIn) await put(names.low, 'LessThanThreshold', config.TargetValue * 0.9, timing.lowPeriods);
      alarms = [names.high, ...(config.DisableScaleIn ? [] : [names.low])].map((n) => ({ AlarmName: n, AlarmARN: `arn:aws:cloudwatch:${ctx.region}:${ctx.accountId}:alarm:${n}` }));
    } else if (type === 'StepScaling') {
      const config = input.StepScalingPolicyConfiguration;
      if (!config) throw new ValidationException('StepScalingPolicyConfiguration is required for a StepScaling policy.');
      if (!config.StepAdjustments?.length) throw new ValidationException('StepAdjustments must be specified.');
      if (!config.AdjustmentType) throw new ValidationException('AdjustmentType must be specified.');
    } else {
      throw new ValidationException(`Unsupported policy type: ${type}`);
    }
    const doc: Omit<ScalingPolicy, 'CreationTime'> & { CreationTime: number } = {
      PolicyARN: policyArn,
      PolicyName: input.PolicyName,
      ServiceNamespace: input.ServiceNamespace,
      ResourceId: input.ResourceId,
      ScalableDimension: input.ScalableDimension,
      PolicyType: type,
      ...(input.StepScalingPolicyConfiguration ? { StepScalingPolicyConfiguration: input.StepScalingPolicyConfiguration } : {}),
      ...(input.TargetTrackingScalingPolicyConfiguration ? { TargetTrackingScalingPolicyConfiguration: input.TargetTrackingScalingPolicyConfiguration } : {}),
      Alarms: alarms,
      CreationTime: (existing?.doc.CreationTime as number | undefined) ?? Date.now(),
    };
    await this.store.putPolicy({ ...k, name: input.PolicyName, doc: doc as unknown as Record<string, unknown> });
    return { PolicyARN: policyArn, ...(type === 'TargetTrackingScaling' ? { Alarms: alarms } : {}) };
  };

  async #deleteAlarms(p: StoredPolicy, ctx: { accountId: string; region: string }): Promise<void> {
    const names = ((p.doc.Alarms as { AlarmName: string }[] | undefined) ?? []).map((a) => a.AlarmName);
    if (p.doc.PolicyType === 'TargetTrackingScaling' && names.length > 0) {
      await this.platform.call('cloudwatch', 'DeleteAlarms', { AlarmNames: names }, ctx).catch(() => undefined);
    }
  }

  DeleteScalingPolicy = async (input: DeleteScalingPolicyRequest, ctx: RequestContext): Promise<Record<string, never>> => {
    const k = this.#key(ctx, input);
    const p = await this.store.getPolicy(k, input.PolicyName);
    if (!p) {
      throw new ObjectNotFoundException(
        `No scaling policy found for service namespace: ${k.namespace}, resource ID: ${k.resourceId}, scalable dimension: ${k.dimension}, policy name: ${input.PolicyName}`,
      );
    }
    await this.store.deletePolicy(k, input.PolicyName);
    await this.#deleteAlarms(p, ctx);
    return {};
  };

  DescribeScalingPolicies = async (input: DescribeScalingPoliciesRequest, ctx: RequestContext): Promise<DescribeScalingPoliciesResult> => {
    const all = (await this.store.listPolicies(ctx.accountId, ctx.region, input.ServiceNamespace)).filter(
      (p) =>
        (!input.PolicyNames || input.PolicyNames.includes(p.name)) &&
        (!input.ResourceId || p.resourceId === input.ResourceId) &&
        (!input.ScalableDimension || p.dimension === input.ScalableDimension),
    );
    const offset = decodeToken(input.NextToken);
    const max = input.MaxResults ?? 50;
    const page = all.slice(offset, offset + max);
    return {
      ScalingPolicies: page.map((p) => ({ ...(p.doc as unknown as ScalingPolicy), CreationTime: new Date(p.doc.CreationTime as number) })),
      ...(offset + page.length < all.length ? { NextToken: encodeToken(offset + page.length) } : {}),
    };
  };

  DescribeScalingActivities = async (input: DescribeScalingActivitiesRequest, ctx: RequestContext): Promise<DescribeScalingActivitiesResult> => {
    const all = (await this.store.activities(ctx.accountId, ctx.region, input.ServiceNamespace, input.ResourceId)).filter((a) => !input.ScalableDimension || a.dimension === input.ScalableDimension);
    const offset = decodeToken(input.NextToken);
    const max = input.MaxResults ?? 50;
    const page = all.slice(offset, offset + max);
    return {
      ScalingActivities: page.map((a) => ({
        ActivityId: a.doc.ActivityId,
        ServiceNamespace: a.namespace as 'ecs',
        ResourceId: a.resourceId,
        ScalableDimension: a.dimension as 'ecs:service:DesiredCount',
        Description: a.doc.Description,
        Cause: a.doc.Cause,
        StartTime: new Date(a.doc.StartTime),
        ...(a.doc.EndTime !== undefined ? { EndTime: new Date(a.doc.EndTime) } : {}),
        StatusCode: a.doc.StatusCode as 'Successful',
        ...(a.doc.StatusMessage ? { StatusMessage: a.doc.StatusMessage } : {}),
      })),
      ...(offset + page.length < all.length ? { NextToken: encodeToken(offset + page.length) } : {}),
    };
  };

  /** One pass: every policy whose alarm is in ALARM scales its target (cooldowns permitting). */
  async runPolicies(now = Date.now()): Promise<void> {
    for (const p of await this.store.listPolicies()) {
      const scope = { accountId: p.accountId, region: p.region };
      const tt = p.doc.TargetTrackingScalingPolicyConfiguration as TargetTrackingScalingPolicyConfiguration | undefined;
      const query = tt ? { AlarmNames: ((p.doc.Alarms as { AlarmName: string }[]) ?? []).map((a) => a.AlarmName) } : { ActionPrefix: p.doc.PolicyARN as string };
      if (tt && query.AlarmNames!.length === 0) continue;
      const described = await this.platform.call<{ MetricAlarms?: AlarmView[] }>('cloudwatch', 'DescribeAlarms', { ...query, MaxRecords: 100 }, scope).catch(() => undefined);
      for (const alarm of described?.MetricAlarms ?? []) {
        if (alarm.StateValue !== 'ALARM') continue;
        await this.#execute(p, alarm, tt, now);
      }
    }
  }

  async #execute(p: StoredPolicy, alarm: AlarmView, tt: TargetTrackingScalingPolicyConfiguration | undefined, now: number): Promise<void> {
    const k: TargetKey = { accountId: p.accountId, region: p.region, namespace: p.namespace, resourceId: p.resourceId, dimension: p.dimension };
    let recent: number[] = [];
    try {
      recent = (JSON.parse(alarm.StateReasonData ?? '{}') as { recentDatapoints?: number[] }).recentDatapoints ?? [];
    } catch {
      // no data: nothing to act on
    }
    const value = recent[recent.length - 1];
    if (value === undefined) return;
    const target = await this.store.getTarget(k);
    if (!target) return;
    const current = await this.capacity(k).catch(() => undefined);
    if (current === undefined) return;
    let desired: number | undefined;
    if (tt) {
      const out = alarm.AlarmName?.includes('-AlarmHigh-') ?? false;
      if (!out && tt.DisableScaleIn) return;
      desired = trackedCapacity(current, value, tt.TargetValue, out ? 'out' : 'in');
    } else {
      desired = steppedCapacity(current, p.doc.StepScalingPolicyConfiguration as StepScalingPolicyConfiguration, value - (alarm.Threshold ?? 0));
    }
    if (desired === undefined) return;
    desired = Math.min(target.doc.max, Math.max(target.doc.min, desired));
    if (desired === current) return;
    const out = desired > current;
    const step = p.doc.StepScalingPolicyConfiguration as StepScalingPolicyConfiguration | undefined;
    const cooldownS = (out ? tt?.ScaleOutCooldown : tt?.ScaleInCooldown) ?? step?.Cooldown ?? 300;
    const claimed = await this.store.claim(k, (doc) => {
      if (out ? doc.suspended.DynamicScalingOutSuspended : doc.suspended.DynamicScalingInSuspended) return undefined;
      const last = out ? (doc.lastScaleOut ?? 0) : Math.max(doc.lastScaleIn ?? 0, doc.lastScaleOut ?? 0);
      if (now - last < cooldownS * 1000) return undefined;
      return { doc: { ...doc, ...(out ? { lastScaleOut: now } : { lastScaleIn: now }) }, result: true };
    });
    if (!claimed) return;
    await this.#scale(k, current, desired, `monitor alarm ${alarm.AlarmName} in state ALARM triggered policy ${p.name}`);
  }
}
