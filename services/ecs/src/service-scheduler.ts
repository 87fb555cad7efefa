// The service scheduler: a reconciler loop that keeps each service's desired count, rolls
// deployments within minimumHealthyPercent/maximumPercent, waits for container and target health,
// backs off on crashing tasks, trips the deployment circuit breaker, and writes ECS's events.
import { randomInt } from 'node:crypto';
import { newUuid, type CallContext, type Logger, type PlatformContext } from '@atoll/core';
import { RestartBackoff } from '@atoll/supervisor';
import type { EcsStore, Scope, StoredService, StoredTask } from './ecs-store.js';
import type { Deployment, Service, ServiceInternal, TaskDefinition } from './ecs-types.js';
import type { LoadBalancerRegistrar, TargetState } from './load-balancer-registrar.js';
import { parseTaskDefinitionRef } from './task-definitions.js';
import { idOf, type TaskRunner } from './task-runner.js';

export interface SchedulerOptions {
  /** Time between reconciliations (default 500 ms). */
  intervalMs?: number;
  /** Restart backoff after a failed task: base and cap (defaults 1 s and 120 s). */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /**
   * How long a task with neither a container health check nor a load balancer must have been
   * RUNNING before it counts as healthy for a deployment (default 3 s), so that a command that
   * crashes right after starting does not complete a rollout.
   */
  stableAfterMs?: number;
}

const MAX_EVENTS = 100;
const now = () => new Date().toISOString();

export function newDeploymentId(): string {
  let digits = String(randomInt(1, 10));
  for (let i = 0; i < 18; i++) digits += String(randomInt(0, 10));
  return `ecs-svc/${digits}`;
}

export function newDeployment(taskDefinition: string, desiredCount: number, launchType: string, networkConfiguration?: unknown): Deployment {
  const at = now();
  return {
    id: newDeploymentId(),
    status: 'PRIMARY',
    taskDefinition,
    desiredCount,
    pendingCount: 0,
    runningCount: 0,
    failedTasks: 0,
    createdAt: at,
    updatedAt: at,
    launchType,
    rolloutState: 'IN_PROGRESS',
    rolloutStateReason: 'ECS deployment ecs-svc in progress.',
    ...(networkConfiguration ? { networkConfiguration } : {}),
  };
}

/** Adds ECS's event (newest first, at most 100 kept). */
export function addEvent(service: Service, message: string): void {
  service.events.unshift({ id: newUuid(), createdAt: now(), message });
  if (service.events.length > MAX_EVENTS) service.events.length = MAX_EVENTS;
}

/** The circuit breaker's failure threshold: half the desired count, at least 3 and at most 200. */
export function circuitBreakerThreshold(desiredCount: number): number {
  return Math.min(200, Math.max(3, Math.ceil(desiredCount / 2)));
}

const taskList = (tasks: readonly StoredTask[]) => tasks.map((t) => `(task ${idOf(t.task.taskArn)})`).join(' ');

export class ServiceScheduler {
  readonly #store: EcsStore;
  readonly #runner: TaskRunner;
  readonly #registrar: LoadBalancerRegistrar;
  readonly #logger: Logger;
  readonly #platform: PlatformContext;
  readonly #intervalMs: number;
  readonly #backoff: RestartBackoff;
  readonly #stableAfterMs: number;
  readonly #targetHealth = new Map<string, TargetState>();
  readonly #registering = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #again = false;
  #closed = false;

  constructor(store: EcsStore, runner: TaskRunner, registrar: LoadBalancerRegistrar, platform: PlatformContext, options: SchedulerOptions = {}) {
    this.#store = store;
    this.#runner = runner;
    this.#registrar = registrar;
    this.#logger = platform.logger;
    this.#platform = platform;
    this.#intervalMs = options.intervalMs ?? 500;
    this.#stableAfterMs = options.stableAfterMs ?? 3000;
    this.#backoff = new RestartBackoff({ baseMs: options.backoffBaseMs ?? 1000, maxMs: options.backoffMaxMs ?? 120_000, jitter: 0.1 });
  }

  start(): void {
    this.#timer = setInterval(() => void this.tick(), this.#intervalMs);
    this.#timer.unref();
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
  }

  /** Asks for a reconciliation soon (after an API change). */
  kick(): void {
    setImmediate(() => void this.tick());
  }

  /** Failure bookkeeping when one of a service's tasks has stopped. */
  taskStopped(stored: StoredTask): void {
    const { task, internal } = stored;
    for (const key of [...this.#targetHealth.keys()]) if (key.startsWith(idOf(task.taskArn) + '|')) this.#targetHealth.delete(key);
    if (!internal.serviceName) return;
    const scope = { accountId: internal.accountId, region: internal.region };
    const failed = internal.failed || task.stopCode === 'EssentialContainerExited' || task.stopCode === 'TaskFailedToStart';
    this.#mutate(scope, internal.clusterName, internal.serviceName, (service, sInternal) => {
      sInternal.steady = false;
      if (!failed) return;
      const key = service.serviceArn;
      this.#backoff.recordFailure(key);
      if (this.#backoff.failures(key) === 3) {
        addEvent(
          service,
          `(service ${service.serviceName}) is unable to consistently start tasks successfully. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.`,
        );
      }
      const deployment = service.deployments.find((d) => d.id === internal.deploymentId);
      if (!deployment) return;
      deployment.failedTasks++;
      deployment.updatedAt = now();
      const breaker = service.deploymentConfiguration.deploymentCircuitBreaker;
      if (
        breaker?.enable &&
        deployment.status === 'PRIMARY' &&
        deployment.rolloutState === 'IN_PROGRESS' &&
        deployment.failedTasks >= circuitBreakerThreshold(service.desiredCount)
      ) {
        this.#trip(service, sInternal, deployment, breaker.rollback);
      }
    });
    this.kick();
  }

  #trip(service: Service, internal: ServiceInternal, failed: Deployment, rollback: boolean): void {
    failed.rolloutState = 'FAILED';
    failed.rolloutStateReason = 'ECS deployment circuit breaker: tasks failed to start.';
    addEvent(service, `(service ${service.serviceName}) (deployment ${failed.id}) deployment failed: tasks failed to start.`);
    const target = internal.lastCompleted;
    if (!rollback || !target) return;
    failed.status = 'ACTIVE';
    failed.desiredCount = 0;
    let primary = service.deployments.find((d) => d.id !== failed.id && d.taskDefinition === target.taskDefinition && d.status === 'ACTIVE');
    if (primary) {
      primary.status = 'PRIMARY';
      primary.rolloutState = 'IN_PROGRESS';
      primary.desiredCount = service.desiredCount;
      primary.updatedAt = now();
    } else {
      primary = newDeployment(target.taskDefinition, service.desiredCount, service.launchType);
      service.deployments.unshift(primary);
    }
    primary.rolloutStateReason = `ECS deployment circuit breaker: rolling back to deploymentId ${target.id}.`;
    service.taskDefinition = target.taskDefinition;
    addEvent(service, `(service ${service.serviceName}) rolling back to deployment ${target.id}.`);
    this.#backoff.recordSuccess(service.serviceArn);
  }

  /** Sets a service's desired count from outside (the hook for Application Auto Scaling). */
  setDesiredCount(scope: Scope, cluster: string, serviceName: string, desiredCount: number): Service | undefined {
    const stored = this.#mutate(scope, cluster, serviceName, (service, internal) => {
      service.desiredCount = desiredCount;
      const primary = service.deployments.find((d) => d.status === 'PRIMARY');
      if (primary) primary.desiredCount = desiredCount;
      internal.steady = false;
    });
    this.kick();
    return stored?.service;
  }

  resetBackoff(serviceArn: string): void {
    this.#backoff.recordSuccess(serviceArn);
  }

  async tick(): Promise<void> {
    // Tasks get the edge's URL as AWS_ENDPOINT_URL: nothing starts before the listener is bound.
    if (this.#closed || !this.#platform.endpoint()) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = true;
    try {
      if (!this.#store.isOpen) return;
      do {
        this.#again = false;
        for (const stored of this.#store.scheduledServices()) {
          try {
            await this.#reconcile(stored);
          } catch (error) {
            this.#logger.error({ err: error, service: stored.service.serviceArn }, 'ecs: reconcile failed');
          }
        }
        this.#store.purgeStoppedTasks(Date.now() - 3600_000);
      } while (this.#again && !this.#closed);
    } catch (error) {
      this.#logger.error({ err: error }, 'ecs: scheduler tick failed');
    } finally {
      this.#running = false;
    }
  }

  #mutate(scope: Scope, cluster: string, name: string, change: (service: Service, internal: ServiceInternal) => void): StoredService | undefined {
    const stored = this.#store.getService(scope, cluster, name);
    if (!stored) return undefined;
    change(stored.service, stored.internal);
    this.#store.putService(stored);
    return stored;
  }

  #definition(scope: Scope, ref: string): TaskDefinition | undefined {
    const parsed = parseTaskDefinitionRef(ref);
    return this.#store.getTaskDefinition(scope, parsed.family, parsed.revision);
  }

  #checked(stored: StoredTask, scope: Scope): boolean {
    const def = this.#definition(scope, stored.task.taskDefinitionArn);
    return def?.containerDefinitions.some((c) => c.healthCheck && c.essential !== false) ?? false;
  }

  /** RUNNING, and HEALTHY when any essential container has a health check. */
  #ready(stored: StoredTask, scope: Scope): boolean {
    const { task } = stored;
    if (task.lastStatus !== 'RUNNING') return false;
    return this.#checked(stored, scope) ? task.healthStatus === 'HEALTHY' : true;
  }

  #healthy(stored: StoredTask, scope: Scope, service: Service): boolean {
    if (!this.#ready(stored, scope)) return false;
    if (service.loadBalancers.length === 0) {
      if (this.#checked(stored, scope)) return true;
      return Date.now() - Date.parse(stored.task.startedAt ?? '') >= this.#stableAfterMs;
    }
    const targets = stored.internal.targets;
    if (targets.length < service.loadBalancers.length) return false;
    return targets.every((t) => this.#targetHealth.get(`${idOf(stored.task.taskArn)}|${t.targetGroupArn}`) === 'healthy');
  }

  async #reconcile(snapshot: StoredService): Promise<void> {
    const { service } = snapshot;
    const scope: Scope = { accountId: snapshot.internal.accountId, region: snapshot.internal.region };
    const ctx: CallContext = scope;
    const cluster = service.clusterArn.slice(service.clusterArn.lastIndexOf('/') + 1);
    const name = service.serviceName;
    const mine = this.#store.listTasks(scope, cluster).filter((t) => t.internal.serviceName === name && t.task.lastStatus !== 'STOPPED');
    let live = mine.filter((t) => t.task.desiredStatus === 'RUNNING' && !this.#runner.isStopping(idOf(t.task.taskArn)));

    const stopTasks = (tasks: StoredTask[], reason: string, failed = false) => {
      if (tasks.length === 0) return;
      const ids = new Set(tasks.map((t) => t.task.taskArn));
      live = live.filter((t) => !ids.has(t.task.taskArn));
      this.#mutate(scope, cluster, name, (s, i) => {
        i.steady = false;
        if (service.loadBalancers.length > 0) addEvent(s, `(service ${name}) has begun draining connections on ${tasks.length} tasks.`);
        addEvent(s, `(service ${name}) has stopped ${tasks.length} running tasks: ${taskList(tasks)}.`);
      });
      for (const t of tasks) {
        void this.#runner.stop(scope, idOf(t.task.taskArn), { reason, stopCode: 'ServiceSchedulerInitiated', drain: true, failed });
      }
    };

    // Container health: an UNHEALTHY task is replaced.
    const unhealthy = live.filter((t) => t.task.lastStatus === 'RUNNING' && t.task.healthStatus === 'UNHEALTHY');
    for (const t of unhealthy) {
      this.#mutate(scope, cluster, name, (s) => addEvent(s, `(service ${name}) (task ${idOf(t.task.taskArn)}) failed container health checks.`));
    }
    stopTasks(unhealthy, 'Task failed container health checks', true);

    // Load balancer registration of ready tasks, and target health.
    if (service.loadBalancers.length > 0) {
      await this.#registerTargets(scope, ctx, cluster, service, live);
      await Promise.all(
        live.flatMap((t) =>
          t.internal.targets.map(async (target) => {
            this.#targetHealth.set(`${idOf(t.task.taskArn)}|${target.targetGroupArn}`, await this.#registrar.health(target, ctx));
          }),
        ),
      );
      const grace = (service.healthCheckGracePeriodSeconds ?? 0) * 1000;
      const failing = live.filter(
        (t) =>
          t.task.startedAt !== undefined &&
          Date.now() - Date.parse(t.task.startedAt) > grace &&
          t.internal.targets.some((target) => this.#targetHealth.get(`${idOf(t.task.taskArn)}|${target.targetGroupArn}`) === 'unhealthy'),
      );
      for (const t of failing) {
        const tg = t.internal.targets.find((target) => this.#targetHealth.get(`${idOf(t.task.taskArn)}|${target.targetGroupArn}`) === 'unhealthy')!;
        this.#mutate(scope, cluster, name, (s) =>
          addEvent(s, `(service ${name}) (task ${idOf(t.task.taskArn)}) failed ELB health checks in (target-group ${tg.targetGroupArn}).`),
        );
        stopTasks([t], `Task failed ELB health checks in (target-group ${tg.targetGroupArn})`, true);
      }
    }

    const current = this.#store.getService(scope, cluster, name);
    if (!current) return;
    if (current.service.status === 'DRAINING') {
      stopTasks(live, 'Service deleted');
      if (mine.length === 0 || mine.every((t) => t.task.lastStatus === 'STOPPED')) {
        this.#mutate(scope, cluster, name, (s) => {
          s.status = 'INACTIVE';
          for (const d of s.deployments) d.status = 'INACTIVE';
          s.deployments = [];
        });
      }
      return;
    }
    this.#rollOut(scope, cluster, current, live, stopTasks);
  }

  async #registerTargets(scope: Scope, ctx: CallContext, cluster: string, service: Service, live: StoredTask[]): Promise<void> {
    for (const t of live) {
      const taskId = idOf(t.task.taskArn);
      if (t.internal.targets.length > 0 || this.#registering.has(taskId) || !this.#ready(t, scope)) continue;
      this.#registering.add(taskId);
      try {
        for (const lb of service.loadBalancers) {
          if (!lb.targetGroupArn) continue;
          const container = t.task.containers.find((c) => c.name === lb.containerName);
          const binding = container?.networkBindings.find((b) => b.containerPort === lb.containerPort);
          if (!binding) continue;
          const target = { targetGroupArn: lb.targetGroupArn, id: binding.bindIP, port: binding.hostPort };
          try {
            await this.#registrar.register(target, ctx);
          } catch (error) {
            this.#logger.warn({ err: error, target }, 'ecs: RegisterTargets failed');
            continue;
          }
          this.#runner.addTarget(scope, taskId, target);
          this.#mutate(scope, cluster, service.serviceName, (s) =>
            addEvent(s, `(service ${service.serviceName}) registered 1 targets in (target-group ${lb.targetGroupArn})`),
          );
        }
        const refreshed = this.#store.getTask(scope, taskId);
        if (refreshed) t.internal.targets = refreshed.internal.targets;
        // A task stopped while it was being registered must not stay in the target group.
        if (refreshed && refreshed.task.desiredStatus !== 'RUNNING') await this.#registrar.deregister(refreshed.internal.targets, ctx);
      } finally {
        this.#registering.delete(taskId);
      }
    }
  }

  #rollOut(
    scope: Scope,
    cluster: string,
    stored: StoredService,
    live: StoredTask[],
    stopTasks: (tasks: StoredTask[], reason: string, failed?: boolean) => void,
  ): void {
    const { service } = stored;
    const name = service.serviceName;
    const primary = service.deployments.find((d) => d.status === 'PRIMARY');
    if (!primary) return;
    const desired = service.desiredCount;
    const cfg = service.deploymentConfiguration;
    const maxTotal = Math.floor((desired * (cfg.maximumPercent ?? 200)) / 100);
    const minHealthy = Math.ceil((desired * (cfg.minimumHealthyPercent ?? 100)) / 100);
    const isHealthy = (t: StoredTask) => this.#healthy(t, scope, service);
    let mineP = live.filter((t) => t.internal.deploymentId === primary.id);
    const olds = live.filter((t) => t.internal.deploymentId !== primary.id);
    const halted = primary.rolloutState === 'FAILED';

    // Scale in: stop the primary's surplus, least healthy and newest first.
    if (mineP.length > desired) {
      const surplus = [...mineP]
        .sort((a, b) => Number(isHealthy(a)) - Number(isHealthy(b)) || b.task.createdAt.localeCompare(a.task.createdAt))
        .slice(0, mineP.length - desired);
      stopTasks(surplus, `Scaling activity initiated by (deployment ${primary.id})`);
      const gone = new Set(surplus.map((t) => t.task.taskArn));
      mineP = mineP.filter((t) => !gone.has(t.task.taskArn));
    }

    // Start the primary's missing tasks within maximumPercent, once the backoff allows.
    const room = Math.max(0, maxTotal - mineP.length - olds.length);
    const toStart = halted ? 0 : Math.min(desired - mineP.length, room);
    if (toStart > 0 && this.#backoff.remaining(service.serviceArn) === 0) {
      this.#startTasks(scope, cluster, service, primary, toStart).catch((error: unknown) => {
        this.#logger.error({ err: error, service: service.serviceArn }, 'ecs: starting tasks failed');
      });
    }

    // Stop old deployments' tasks while at least minimumHealthyPercent stays healthy.
    if (!halted && olds.length > 0) {
      const healthyCount = mineP.filter(isHealthy).length + olds.filter(isHealthy).length;
      let budget = Math.max(0, healthyCount - minHealthy);
      const victims: StoredTask[] = [];
      // A task that is not RUNNING or fails its health check serves nothing and goes at once; a
      // RUNNING one (healthy, or not yet proven) goes only within the budget.
      const failing = (t: StoredTask) => t.task.lastStatus !== 'RUNNING' || t.task.healthStatus === 'UNHEALTHY';
      for (const t of [...olds].sort((a, b) => Number(failing(b)) - Number(failing(a)) || Number(isHealthy(b)) - Number(isHealthy(a)))) {
        if (failing(t)) victims.push(t);
        else if (budget > 0) {
          victims.push(t);
          budget--;
        }
      }
      const byDeployment = new Map<string, StoredTask[]>();
      for (const v of victims) byDeployment.set(v.internal.deploymentId ?? '', [...(byDeployment.get(v.internal.deploymentId ?? '') ?? []), v]);
      for (const [deploymentId, tasks] of byDeployment) stopTasks(tasks, `Scaling activity initiated by (deployment ${deploymentId || primary.id})`);
    }

    // Drop drained deployments, complete the rollout, report a steady state.
    const remaining = new Set(this.#store.listTasks(scope, cluster).filter((t) => t.internal.serviceName === name && t.task.lastStatus !== 'STOPPED').map((t) => t.internal.deploymentId));
    const healthyPrimary = mineP.filter(isHealthy).length;
    this.#mutate(scope, cluster, name, (s, internal) => {
      s.deployments = s.deployments.filter((d) => d.status === 'PRIMARY' || remaining.has(d.id));
      const p = s.deployments.find((d) => d.status === 'PRIMARY');
      if (!p) return;
      const settled = s.deployments.length === 1 && mineP.length === s.desiredCount && healthyPrimary === s.desiredCount;
      if (p.rolloutState === 'IN_PROGRESS' && settled) {
        p.rolloutState = 'COMPLETED';
        p.rolloutStateReason = `ECS deployment ${p.id} completed.`;
        p.updatedAt = now();
        internal.lastCompleted = { id: p.id, taskDefinition: p.taskDefinition };
        addEvent(s, `(service ${name}) (deployment ${p.id}) deployment completed.`);
      }
      if (!internal.steady && settled && p.rolloutState === 'COMPLETED') {
        internal.steady = true;
        this.#backoff.recordSuccess(s.serviceArn);
        addEvent(s, `(service ${name}) has reached a steady state.`);
      }
    });
  }

  readonly #launching = new Set<string>();

  async #startTasks(scope: Scope, cluster: string, service: Service, deployment: Deployment, count: number): Promise<void> {
    // One batch of launches per service at a time; the next tick sees the tasks it created.
    if (this.#launching.has(service.serviceArn)) return;
    this.#launching.add(service.serviceArn);
    try {
      const definition = this.#definition(scope, deployment.taskDefinition);
      if (!definition) return;
      const started: StoredTask[] = [];
      let portFailure = false;
      for (let i = 0; i < count; i++) {
        const result = await this.#runner.launch({
          scope,
          clusterName: cluster,
          clusterArn: service.clusterArn,
          definition,
          group: `service:${service.serviceName}`,
          startedBy: deployment.id,
          serviceName: service.serviceName,
          deploymentId: deployment.id,
          launchType: service.launchType,
          tags: service.propagateTags === 'SERVICE' ? service.tags : undefined,
          enableExecuteCommand: service.enableExecuteCommand as boolean | undefined,
        });
        if ('failure' in result) {
          portFailure = true;
          break;
        }
        started.push({ task: result.task, internal: this.#store.getTask(scope, idOf(result.task.taskArn))!.internal });
      }
      this.#mutate(scope, cluster, service.serviceName, (s, internal) => {
        internal.steady = false;
        if (started.length > 0) addEvent(s, `(service ${s.serviceName}) has started ${started.length} tasks: ${taskList(started)}.`);
        if (portFailure) {
          addEvent(
            s,
            `(service ${s.serviceName}) was unable to place a task because no container instance met all of its requirements. The closest matching (container-instance local) is already using a port required by your task.`,
          );
        }
      });
      if (portFailure) this.#backoff.recordFailure(service.serviceArn);
    } finally {
      this.#launching.delete(service.serviceArn);
    }
  }
}

export type { TargetState };
