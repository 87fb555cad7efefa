// Puts service tasks into their target groups and takes them out with draining, through ELBv2's
// public operations only (RegisterTargets, DeregisterTargets, DescribeTargetHealth,
// DescribeTargetGroupAttributes). ECS never reads ELBv2's state directly.
import type { CallContext, Logger, PlatformContext } from '@atoll/core';
import type { RegisteredTarget } from './ecs-types.js';

export type TargetState = 'initial' | 'healthy' | 'unhealthy' | 'unused' | 'draining' | 'unavailable' | 'unknown';

export interface LoadBalancerRegistrarOptions {
  /** Upper bound on the wait for a target group's deregistration delay (default 15 s; ELBv2's default delay is 300 s). */
  maxDrainMs?: number;
}

export class LoadBalancerRegistrar {
  readonly #platform: PlatformContext;
  readonly #logger: Logger;
  readonly #maxDrainMs: number;

  constructor(platform: PlatformContext, options: LoadBalancerRegistrarOptions = {}) {
    this.#platform = platform;
    this.#logger = platform.logger;
    this.#maxDrainMs = options.maxDrainMs ?? 15_000;
  }

  async register(target: RegisteredTarget, ctx: CallContext): Promise<void> {
    await this.#platform.call('elbv2', 'RegisterTargets', { TargetGroupArn: target.targetGroupArn, Targets: [{ Id: target.id, Port: target.port }] }, ctx);
  }

  /**
   * The target's state in its group. When ELBv2 cannot answer (not served), the target counts as
   * healthy, so that services without a working load balancer still deploy.
   */
  async health(target: RegisteredTarget, ctx: CallContext): Promise<TargetState> {
    try {
      const out = await this.#platform.call<{ TargetHealthDescriptions?: { TargetHealth?: { State?: string } }[] }>(
        'elbv2',
        'DescribeTargetHealth',
        { TargetGroupArn: target.targetGroupArn, Targets: [{ Id: target.id, Port: target.port }] },
        ctx,
      );
      return (out.TargetHealthDescriptions?.[0]?.TargetHealth?.State as TargetState | undefined) ?? 'unknown';
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'NotImplemented' || code === 'UnknownService') return 'healthy';
      this.#logger.debug({ err: error, target }, 'ecs: DescribeTargetHealth failed');
      return 'unknown';
    }
  }

  /** Deregisters the targets, then waits for the longest deregistration delay of their groups (capped). */
  async deregisterAndDrain(targets: readonly RegisteredTarget[], ctx: CallContext): Promise<void> {
    let delayMs = 0;
    await Promise.all(
      targets.map(async (target) => {
        try {
          await this.#platform.call('elbv2', 'DeregisterTargets', { TargetGroupArn: target.targetGroupArn, Targets: [{ Id: target.id, Port: target.port }] }, ctx);
        } catch (error) {
          this.#logger.warn({ err: error, target }, 'ecs: DeregisterTargets failed');
          return;
        }
        delayMs = Math.max(delayMs, await this.#deregistrationDelayMs(target.targetGroupArn, ctx));
      }),
    );
    if (delayMs > 0) await new Promise((r) => setTimeout(r, Math.min(delayMs, this.#maxDrainMs)));
  }

  /** Deregisters without waiting (the task is already gone). */
  async deregister(targets: readonly RegisteredTarget[], ctx: CallContext): Promise<void> {
    await Promise.all(
      targets.map((target) =>
        this.#platform
          .call('elbv2', 'DeregisterTargets', { TargetGroupArn: target.targetGroupArn, Targets: [{ Id: target.id, Port: target.port }] }, ctx)
          .catch((error: unknown) => this.#logger.debug({ err: error, target }, 'ecs: DeregisterTargets failed')),
      ),
    );
  }

  async #deregistrationDelayMs(targetGroupArn: string, ctx: CallContext): Promise<number> {
    try {
      const out = await this.#platform.call<{ Attributes?: { Key?: string; Value?: string }[] }>(
        'elbv2',
        'DescribeTargetGroupAttributes',
        { TargetGroupArn: targetGroupArn },
        ctx,
      );
      const value = out.Attributes?.find((a) => a.Key === 'deregistration_delay.timeout_seconds')?.Value;
      return value === undefined ? 300_000 : Number(value) * 1000;
    } catch {
      return 0;
    }
  }

  /** Checks that a target group exists; false when ELBv2 says it does not. */
  async targetGroupExists(targetGroupArn: string, ctx: CallContext): Promise<boolean> {
    try {
      await this.#platform.call('elbv2', 'DescribeTargetGroups', { TargetGroupArns: [targetGroupArn] }, ctx);
      return true;
    } catch (error) {
      return (error as { code?: string }).code !== 'TargetGroupNotFound';
    }
  }
}
