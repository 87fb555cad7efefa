// Route 53 health checks: their operations, and the prober that runs them (on one node, the leader
// of `route53.health-checks`). A check turns unhealthy after FailureThreshold failed probes in a row
// and healthy again after as many successes; the status goes to the store, and every node's DNS
// server follows it (`route53.health` signal): unhealthy targets leave weighted, failover and
// multivalue answers.
//
// Known limitations:
// - Regions are collapsed to this machine: one observation, from 127.0.0.1, in the platform's
//   region (or us-east-1 when that is not a health-check region).
// - CLOUDWATCH_METRIC and RECOVERY_CONTROL checks are stored but never probed: they count as healthy.
// - HTTPS probes do not verify certificates (as Route 53's do not); MeasureLatency and EnableSNI are
//   stored only. ATOLL_DNS_HEALTH_INTERVAL_MS replaces every check's RequestInterval (tests).
// - HealthCheckInUse is not raised: deleting a check that records name leaves them healthy.
import { connect } from 'node:net';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { randomUUID } from 'node:crypto';
import type { PlatformContext, RequestContext } from '@atoll/core';
import { runEvery } from '@atoll/storage';
import type {
  CreateHealthCheckRequest,
  CreateHealthCheckResult,
  DeleteHealthCheckRequest,
  GetHealthCheckCountResult,
  GetHealthCheckRequest,
  GetHealthCheckResult,
  GetHealthCheckStatusRequest,
  GetHealthCheckStatusResult,
  HealthCheck,
  HealthCheckConfig,
  HealthCheckRegion,
  ListHealthChecksRequest,
  ListHealthChecksResult,
  UpdateHealthCheckRequest,
  UpdateHealthCheckResult,
} from '@atoll/aws-models/route53';
import { HealthCheckAlreadyExists, HealthCheckVersionMismatch, InvalidInput, NoSuchHealthCheck } from '@atoll/aws-models/route53';
import type { HealthCheckRecord, HealthStatus, Route53Store } from './route53-store.js';
import type { ZoneIndex } from './zone-index.js';

const HEALTH_REGIONS = ['us-east-1', 'us-west-1', 'us-west-2', 'eu-west-1', 'ap-southeast-1', 'ap-southeast-2', 'ap-northeast-1', 'sa-east-1'];
const TICK_MS = 500;
const PROBE_TIMEOUT_MS = 4000;
const BODY_BYTES = 5120;

export class HealthCheckOperations {
  readonly operations;
  #stopLeading: (() => void) | undefined;
  #index: ZoneIndex | undefined;
  /** Probe state on the leading node: consecutive results and the next due time. */
  #state = new Map<string, { due: number; streak: number; healthy: boolean | undefined }>();

  constructor(
    private readonly platform: PlatformContext,
    private readonly store: () => Route53Store,
  ) {
    this.operations = {
      CreateHealthCheck: this.CreateHealthCheck,
      GetHealthCheck: this.GetHealthCheck,
      ListHealthChecks: this.ListHealthChecks,
      GetHealthCheckCount: this.GetHealthCheckCount,
      UpdateHealthCheck: this.UpdateHealthCheck,
      DeleteHealthCheck: this.DeleteHealthCheck,
      GetHealthCheckStatus: this.GetHealthCheckStatus,
    };
  }

  start(index: ZoneIndex): void {
    this.#index = index;
    this.#stopLeading = this.platform.storage.leadership.lead('route53.health-checks', (signal) =>
      runEvery(signal, TICK_MS, () => this.tick(), (error) => this.platform.logger.warn({ err: error }, 'route53: health probes failed')),
    );
  }

  stop(): void {
    this.#stopLeading?.();
  }

  private async check(id: string, ctx: RequestContext): Promise<HealthCheckRecord> {
    const check = await this.store().getHealthCheck(id);
    if (!check || check.accountId !== ctx.accountId) throw new NoSuchHealthCheck(`A health check with id ${id} does not exist.`);
    return check;
  }

  CreateHealthCheck = async (input: CreateHealthCheckRequest, ctx: RequestContext): Promise<CreateHealthCheckResult> => {
    const config = checkConfig(input.HealthCheckConfig);
    const record: HealthCheckRecord = { id: randomUUID(), accountId: ctx.accountId, callerReference: input.CallerReference, version: 1, config, created: Date.now() };
    const result = await this.store().createHealthCheck(record);
    if (!result.created) {
      // The same request again answers the check it made; another with that reference is refused.
      if (JSON.stringify(result.existing.config) !== JSON.stringify(config)) {
        throw new HealthCheckAlreadyExists(`A health check with the caller reference ${input.CallerReference} already exists with a different configuration.`);
      }
      return { HealthCheck: toHealthCheck(result.existing), Location: `${ctx.endpoint}/2013-04-01/healthcheck/${result.existing.id}` };
    }
    return { HealthCheck: toHealthCheck(record), Location: `${ctx.endpoint}/2013-04-01/healthcheck/${record.id}` };
  };

  GetHealthCheck = async (input: GetHealthCheckRequest, ctx: RequestContext): Promise<GetHealthCheckResult> => ({
    HealthCheck: toHealthCheck(await this.check(input.HealthCheckId, ctx)),
  });

  ListHealthChecks = async (input: ListHealthChecksRequest, ctx: RequestContext): Promise<ListHealthChecksResult> => {
    const limit = Math.min(Number(input.MaxItems ?? 100) || 100, 1000);
    const checks = await this.store().listHealthChecks(ctx.accountId);
    let start = 0;
    if (input.Marker !== undefined) {
      start = checks.findIndex((c) => c.id === input.Marker);
      if (start < 0) throw new InvalidInput('The specified marker is not valid.');
    }
    const next = checks[start + limit];
    return {
      HealthChecks: checks.slice(start, start + limit).map(toHealthCheck),
      Marker: input.Marker ?? '',
      IsTruncated: next !== undefined,
      ...(next ? { NextMarker: next.id } : {}),
      MaxItems: String(limit),
    };
  };

  GetHealthCheckCount = async (_input: unknown, ctx: RequestContext): Promise<GetHealthCheckCountResult> => ({
    HealthCheckCount: (await this.store().listHealthChecks(ctx.accountId)).length,
  });

  UpdateHealthCheck = async (input: UpdateHealthCheckRequest, ctx: RequestContext): Promise<UpdateHealthCheckResult> => {
    const check = await this.check(input.HealthCheckId, ctx);
    if (input.HealthCheckVersion !== undefined && input.HealthCheckVersion !== check.version) {
      throw new HealthCheckVersionMismatch('The value of HealthCheckVersion in the request doesn\'t match the value of HealthCheckVersion in the health check.');
    }
    const { HealthCheckId: _id, HealthCheckVersion: _v, ResetElements: _r, ...changes } = input;
    const config = checkConfig({ ...check.config, ...(changes as Partial<HealthCheckConfig>) });
    const updated = { ...check, config, version: check.version + 1 };
    await this.store().putHealthCheck(updated);
    this.#state.delete(check.id);
    return { HealthCheck: toHealthCheck(updated) };
  };

  DeleteHealthCheck = async (input: DeleteHealthCheckRequest, ctx: RequestContext): Promise<Record<string, never>> => {
    await this.check(input.HealthCheckId, ctx);
    await this.store().deleteHealthCheck(input.HealthCheckId);
    this.#state.delete(input.HealthCheckId);
    return {};
  };

  GetHealthCheckStatus = async (input: GetHealthCheckStatusRequest, ctx: RequestContext): Promise<GetHealthCheckStatusResult> => {
    const check = await this.check(input.HealthCheckId, ctx);
    const status = (await this.store().healthStatuses()).find((s) => s.id === check.id);
    const region = (HEALTH_REGIONS.includes(this.platform.config.region) ? this.platform.config.region : 'us-east-1') as HealthCheckRegion;
    return {
      HealthCheckObservations: status ? [{ Region: region, IPAddress: '127.0.0.1', StatusReport: { Status: status.report, CheckedTime: new Date(status.checkedAt) } }] : [],
    };
  };

  /** One prober turn (on the leader): probes every check that is due, in parallel. */
  private async tick(): Promise<void> {
    const checks = await this.store().listHealthChecks();
    const now = Date.now();
    const override = Number(process.env.ATOLL_DNS_HEALTH_INTERVAL_MS) || undefined;
    const live = new Set(checks.map((c) => c.id));
    for (const id of this.#state.keys()) if (!live.has(id)) this.#state.delete(id);
    const statuses = new Map((await this.store().healthStatuses()).map((s) => [s.id, s]));
    const due = checks.filter((c) => (this.#state.get(c.id)?.due ?? 0) <= now);
    await Promise.all(
      due.map(async (check) => {
        const state = this.#state.get(check.id) ?? { due: 0, streak: 0, healthy: statuses.get(check.id)?.healthy };
        state.due = now + (override ?? (check.config.RequestInterval ?? 30) * 1000);
        this.#state.set(check.id, state);
        const outcome = await this.probe(check.config, statuses);
        const threshold = check.config.FailureThreshold ?? 3;
        let healthy = state.healthy;
        if (healthy === undefined) healthy = outcome.ok;
        else if (outcome.ok !== healthy) {
          state.streak++;
          if (state.streak >= threshold) healthy = outcome.ok;
        }
        if (healthy === state.healthy || outcome.ok === healthy) state.streak = 0;
        state.healthy = healthy;
        const status: HealthStatus = { id: check.id, healthy, report: outcome.report, checkedAt: Date.now() };
        await this.store().putHealthStatus(status);
      }),
    );
  }

  private async probe(config: HealthCheckConfig, statuses: Map<string, HealthStatus>): Promise<{ ok: boolean; report: string }> {
    if (config.Disabled) return { ok: true, report: 'Success: Health check is disabled' };
    let result: { ok: boolean; report: string };
    switch (config.Type) {
      case 'TCP':
        result = await probeTcp(config.IPAddress ?? config.FullyQualifiedDomainName!, config.Port ?? 80);
        break;
      case 'HTTP':
      case 'HTTPS':
      case 'HTTP_STR_MATCH':
      case 'HTTPS_STR_MATCH':
        result = await probeHttp(config);
        break;
      case 'CALCULATED': {
        const children = config.ChildHealthChecks ?? [];
        const healthy = children.filter((c) => statuses.get(c)?.healthy ?? this.#index?.healthy(c) ?? true).length;
        const ok = healthy >= (config.HealthThreshold ?? children.length);
        result = { ok, report: `${ok ? 'Success' : 'Failure'}: ${healthy} of ${children.length} child health checks are healthy` };
        break;
      }
      default:
        result = { ok: true, report: 'Success: not probed on this platform' };
    }
    return config.Inverted ? { ok: !result.ok, report: `${result.report} (inverted)` } : result;
  }
}

function checkConfig(config: HealthCheckConfig): HealthCheckConfig {
  const type = config.Type;
  const endpoint = type === 'TCP' || type.startsWith('HTTP');
  if (endpoint && !config.IPAddress && !config.FullyQualifiedDomainName) {
    throw new InvalidInput('Invalid parameter: either IPAddress or FullyQualifiedDomainName must be specified.');
  }
  if (type === 'TCP' && config.Port === undefined) throw new InvalidInput('Invalid parameter: Port is required for TCP health checks.');
  if (type.endsWith('STR_MATCH') && !config.SearchString) throw new InvalidInput('Invalid parameter: SearchString is required for string matching health checks.');
  if (config.RequestInterval !== undefined && config.RequestInterval !== 10 && config.RequestInterval !== 30) {
    throw new InvalidInput('Invalid parameter: RequestInterval must be 10 or 30.');
  }
  if (type === 'CALCULATED' && !config.ChildHealthChecks?.length) throw new InvalidInput('Invalid parameter: ChildHealthChecks is required for CALCULATED health checks.');
  return {
    ...config,
    ...(endpoint ? { Port: config.Port ?? (type.startsWith('HTTPS') ? 443 : 80), RequestInterval: config.RequestInterval ?? 30, FailureThreshold: config.FailureThreshold ?? 3 } : {}),
    ...(type.startsWith('HTTP') ? { MeasureLatency: config.MeasureLatency ?? false, EnableSNI: config.EnableSNI ?? type.startsWith('HTTPS') } : {}),
    Inverted: config.Inverted ?? false,
    Disabled: config.Disabled ?? false,
  };
}

function toHealthCheck(record: HealthCheckRecord): HealthCheck {
  return { Id: record.id, CallerReference: record.callerReference, HealthCheckConfig: record.config, HealthCheckVersion: record.version };
}

function probeTcp(host: string, port: number): Promise<{ ok: boolean; report: string }> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: PROBE_TIMEOUT_MS });
    socket.once('connect', () => {
      socket.destroy();
      resolve({ ok: true, report: 'Success: TCP connection established' });
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve({ ok: false, report: 'Failure: Connection timed out.' });
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve({ ok: false, report: `Failure: ${error.code === 'ECONNREFUSED' ? 'Connection refused' : error.message}` }));
  });
}

function probeHttp(config: HealthCheckConfig): Promise<{ ok: boolean; report: string }> {
  const https = config.Type.startsWith('HTTPS');
  const host = config.IPAddress ?? config.FullyQualifiedDomainName!;
  const request = https ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    const req = request(
      {
        host,
        port: config.Port,
        path: config.ResourcePath ?? '/',
        method: 'GET',
        timeout: PROBE_TIMEOUT_MS,
        headers: { host: config.FullyQualifiedDomainName ?? host, 'user-agent': 'Amazon-Route53-Health-Check-Service (ref atoll)' },
        ...(https ? { rejectUnauthorized: false, servername: config.EnableSNI ? config.FullyQualifiedDomainName : undefined } : {}),
      },
      (res) => {
        const status = res.statusCode ?? 0;
        const okStatus = status >= 200 && status < 400;
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          if (size < BODY_BYTES) chunks.push(chunk);
          size += chunk.length;
          if (size >= BODY_BYTES) res.destroy();
        });
        const done = () => {
          if (!okStatus) return resolve({ ok: false, report: `Failure: HTTP Status Code ${status}, ${res.statusMessage ?? ''}` });
          if (config.SearchString !== undefined) {
            const body = Buffer.concat(chunks).subarray(0, BODY_BYTES).toString('utf8');
            if (!body.includes(config.SearchString)) return resolve({ ok: false, report: 'Failure: Search string not found in the response body.' });
          }
          resolve({ ok: true, report: `Success: HTTP Status Code ${status}, ${res.statusMessage ?? 'OK'}` });
        };
        res.once('end', done);
        res.once('close', done);
      },
    );
    req.once('timeout', () => req.destroy(new Error('Connection timed out.')));
    req.once('error', (error: NodeJS.ErrnoException) => resolve({ ok: false, report: `Failure: ${error.code === 'ECONNREFUSED' ? 'Connection refused' : error.message}` }));
    req.end();
  });
}
