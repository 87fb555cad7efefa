// Pushes the provider's records into the data planes: target groups (targets, health checks and
// attributes) and listeners (rules compiled to the proxy's configuration). Application load
// balancers go to the HTTP proxy, network load balancers to the TCP proxy. Listener ports are
// bound on 127.0.0.1 exactly as requested (see the provider's limitations). Only the node that
// leads the data planes fills them (data-plane-leader.ts); elsewhere they stay empty.
import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { parseArn, type Logger, type PlatformContext } from '@atoll/core';
import { HttpProxy, type ServedRequest, type LambdaAlbEvent, type LambdaAlbResult, type RuleConfig, type TargetGroupConfig, type TargetHealthReport } from '@atoll/http-proxy';
import { TcpProxy } from '@atoll/tcp-proxy';
import { CertificateNotFoundException, InvalidConfigurationRequestException } from './elbv2-errors.js';
import type { ListenerRecord, LoadBalancerRecord, RuleRecord, TargetGroupRecord } from './records.js';
import { validateActions, validateConditions } from './rule-validation.js';

export const LISTENER_HOST = '127.0.0.1';

export class LoadBalancerPlanes {
  readonly http: HttpProxy;
  readonly tcp: TcpProxy;
  readonly #platform: PlatformContext;
  readonly #certDir: string;
  /** What is pushed now, so that a rebuild can remove what the records no longer name. */
  readonly #groups = new Set<string>();
  readonly #listeners = new Set<string>();

  constructor(platform: PlatformContext, logger: Logger, certDir: string) {
    this.#platform = platform;
    this.#certDir = certDir;
    const onError = (error: unknown, context: { listenerId: string; targetKey?: string }): void =>
      logger.debug({ err: error, ...context }, 'load balancer could not reach a target');
    this.http = new HttpProxy({ onError, onRequest: (served) => this.#served(served) });
    this.tcp = new TcpProxy({ onError });
  }

  /**
   * Publishes `elbv2.RequestServed` (CloudWatch's AWS/ApplicationELB metrics) for an answered
   * request, only while something subscribes. The listener ARN names the account and region.
   */
  #served(served: ServedRequest): void {
    const bus = this.#platform.bus;
    if (!bus.hasHandlers('elbv2.RequestServed')) return;
    const parts = served.listenerId.split(':');
    bus.emit({ type: 'elbv2.RequestServed', accountId: parts[4] ?? '', region: parts[3] ?? '', detail: { ...served } });
  }

  /** Whether a target group is served by the HTTP plane (HTTP, HTTPS, Lambda) or the TCP plane. */
  static isHttpGroup(tg: TargetGroupRecord): boolean {
    return tg.targetType === 'lambda' || tg.protocol === 'HTTP' || tg.protocol === 'HTTPS';
  }

  targetGroupConfig(tg: TargetGroupRecord): TargetGroupConfig {
    const a = tg.attributes;
    const hc = tg.healthCheck;
    const config: TargetGroupConfig = {
      id: tg.arn,
      protocol: (tg.protocol ?? 'HTTP') as TargetGroupConfig['protocol'],
      algorithm: a['load_balancing.algorithm.type'] === 'least_outstanding_requests' ? 'least_outstanding_requests' : 'round_robin',
      deregistrationDelaySeconds: Number(a['deregistration_delay.timeout_seconds'] ?? '300'),
      stickiness: {
        enabled: a['stickiness.enabled'] === 'true' && (a['stickiness.type'] ?? 'lb_cookie') === 'lb_cookie',
        durationSeconds: Number(a['stickiness.lb_cookie.duration_seconds'] ?? '86400'),
      },
      healthCheck: {
        enabled: hc.enabled,
        protocol: hc.protocol,
        port: hc.port === 'traffic-port' ? 'traffic-port' : Number(hc.port),
        path: hc.path,
        intervalSeconds: hc.intervalSeconds,
        timeoutSeconds: hc.timeoutSeconds,
        healthyThreshold: hc.healthyThreshold,
        unhealthyThreshold: hc.unhealthyThreshold,
        matcher: hc.matcher,
      },
      targets: tg.targetType === 'lambda' ? [] : tg.targets.map((t) => ({ id: t.id, host: isIP(t.id) ? t.id : LISTENER_HOST, port: t.port ?? tg.port ?? 80 })),
      proxyProtocolV2: a['proxy_protocol_v2.enabled'] === 'true',
    };
    const fn = tg.targets[0]?.id;
    if (tg.targetType === 'lambda' && fn !== undefined) config.invoke = (event) => this.#invoke(tg, fn, event);
    return config;
  }

  async #invoke(tg: TargetGroupRecord, functionArn: string, event: LambdaAlbEvent): Promise<LambdaAlbResult> {
    const out = await this.#platform.call<{ Payload?: Uint8Array | string; FunctionError?: string }>(
      'lambda',
      'Invoke',
      { FunctionName: functionArn, Payload: Buffer.from(JSON.stringify(event)) },
      { accountId: tg.accountId, region: tg.region },
    );
    if (out.FunctionError) throw new Error(`function error: ${out.FunctionError}`);
    const text = out.Payload === undefined ? '{}' : typeof out.Payload === 'string' ? out.Payload : Buffer.from(out.Payload).toString('utf8');
    return JSON.parse(text) as LambdaAlbResult;
  }

  pushTargetGroup(tg: TargetGroupRecord): void {
    const config = this.targetGroupConfig(tg);
    if (LoadBalancerPlanes.isHttpGroup(tg)) this.http.setTargetGroup(config);
    else this.tcp.setTargetGroup(config);
    this.#groups.add(tg.arn);
  }

  removeTargetGroup(arn: string): void {
    this.http.removeTargetGroup(arn);
    this.tcp.removeTargetGroup(arn);
    this.#groups.delete(arn);
  }

  /** The target groups and listeners pushed now, by ARN. */
  pushed(): { targetGroups: string[]; listeners: string[] } {
    return { targetGroups: [...this.#groups], listeners: [...this.#listeners] };
  }

  targetHealth(tg: TargetGroupRecord): TargetHealthReport[] {
    return LoadBalancerPlanes.isHttpGroup(tg) ? this.http.targetHealth(tg.arn) : this.tcp.targetHealth(tg.arn);
  }

  /** Resolves a listener certificate to PEM files: `file:///path/cert.pem` or an ACM-style ARN stored under the data directory. */
  certificateFiles(certificateArn: string): { certFile: string; keyFile: string } {
    let certFile: string;
    if (certificateArn.startsWith('file://')) certFile = decodeURIComponent(certificateArn.slice('file://'.length));
    else {
      const id = parseArn(certificateArn)?.resource.split('/').pop() ?? certificateArn;
      certFile = join(this.#certDir, `${id}.pem`);
    }
    const base = certFile.replace(/\.(pem|crt|cert)$/, '');
    const keyFile = [`${base}.key`, `${certFile}.key`, `${base}-key.pem`].find((f) => existsSync(f)) ?? certFile;
    if (!existsSync(certFile)) throw new CertificateNotFoundException(`Certificate '${certificateArn}' not found`);
    return { certFile, keyFile };
  }

  /**
   * What pushListener checks without binding: rules and actions compile, and an HTTPS listener's
   * certificate files exist. A node that does not run the data planes validates with this.
   */
  checkListener(listener: ListenerRecord, lb: LoadBalancerRecord, rules: readonly RuleRecord[]): void {
    if (lb.type === 'network') {
      validateActions(listener.defaultActions, 'network');
      return;
    }
    for (const r of rules) {
      validateConditions(r.conditions);
      validateActions(r.actions, 'application');
    }
    validateActions(listener.defaultActions, 'application');
    if (listener.protocol === 'HTTPS') this.certificateFiles(listener.certificates[0]?.CertificateArn ?? '');
  }

  /** Binds or reconfigures a listener; resolves with the bound port. Port conflicts are InvalidConfigurationRequest. */
  async pushListener(listener: ListenerRecord, lb: LoadBalancerRecord, rules: readonly RuleRecord[]): Promise<number> {
    const port = await this.#bind(listener, lb, rules);
    this.#listeners.add(listener.arn);
    return port;
  }

  async #bind(listener: ListenerRecord, lb: LoadBalancerRecord, rules: readonly RuleRecord[]): Promise<number> {
    try {
      if (lb.type === 'network') {
        const action = validateActions(listener.defaultActions, 'network');
        const targetGroupId = action.type === 'forward' ? action.targetGroups[0]!.id : '';
        return await this.tcp.setListener({
          id: listener.arn,
          host: LISTENER_HOST,
          port: listener.port,
          targetGroupId,
          idleTimeoutSeconds: Number(listener.attributes['tcp.idle_timeout.seconds'] ?? '350'),
        });
      }
      const compiled: RuleConfig[] = rules.map((r) => ({ priority: r.priority, conditions: validateConditions(r.conditions), action: validateActions(r.actions, 'application') }));
      compiled.push({ priority: Infinity, conditions: [], action: validateActions(listener.defaultActions, 'application') });
      const https = listener.protocol === 'HTTPS';
      const files = https ? this.certificateFiles(listener.certificates[0]?.CertificateArn ?? '') : undefined;
      return await this.http.setListener({
        id: listener.arn,
        host: LISTENER_HOST,
        port: listener.port,
        protocol: https ? 'HTTPS' : 'HTTP',
        ...(files ?? {}),
        idleTimeoutSeconds: Number(lb.attributes['idle_timeout.timeout_seconds'] ?? '60'),
        rules: compiled,
      });
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'EADDRINUSE' || code === 'EACCES') {
        throw new InvalidConfigurationRequestException(`Port ${listener.port} cannot be bound on ${LISTENER_HOST}: ${code === 'EADDRINUSE' ? 'it is already in use' : 'permission denied'}`);
      }
      throw error;
    }
  }

  async removeListener(arn: string): Promise<void> {
    this.#listeners.delete(arn);
    await this.http.removeListener(arn);
    await this.tcp.removeListener(arn);
  }

  /** Unbinds every listener and drops every target group (this node stopped leading the data planes). */
  async clear(): Promise<void> {
    for (const arn of [...this.#listeners]) await this.removeListener(arn);
    for (const arn of [...this.#groups]) this.removeTargetGroup(arn);
  }

  async close(): Promise<void> {
    this.#groups.clear();
    this.#listeners.clear();
    await this.http.close();
    await this.tcp.close();
  }
}
