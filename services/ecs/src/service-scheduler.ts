// The service scheduler: a reconciler loop that keeps each service's desired count, rolls
// deployments within minimumHealthyPercent/maximumPercent, waits for container and target health,
// backs off on crashing tasks, trips the deployment circuit breaker, and writes ECS's events.
// It runs on one node at a time, the leader of `ecs:scheduler` (see EcsProvider.start); other nodes
// wake it through the store's scheduler signal. Its backoff and target health are that node's memory.
import { randomInt } from 'node:crypto';
import { formatArn, newUuid, type CallContext, type Logger, type PlatformContext } from '@atoll/core';
import { RestartBackoff } from '@atoll/supervisor';
import type { EcsStore, Scope, StoredService, StoredTask } from './ecs-store.js';
import type { Deployment, Service, ServiceInternal, Task, TaskDefinition } from './ecs-types.js';
import { CloudMapRegistrar, cloudMapServiceId } from './cloud-map-registrar.js';
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
/** How often stopped tasks older than an hour are forgotten. */
const PURGE_INTERVAL_MS = 60_000;
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

const taskList = (tasks: readonly { task: { taskArn: string } }[]) => tasks.map((t) => `(task ${idOf(t.task.taskArn)})`).join(' ');

/** Trips the circuit breaker on a deployment (a pure change of the service); true when it rolled back. */
function trip(service: Service, internal: ServiceInternal, failed: Deployment, rollback: boolean): boolean {
  failed.rolloutState = 'FAILED';
  failed.rolloutStateReason = 'ECS deployment circuit breaker: tasks failed to start.';
  addEvent(service, `(service ${service.serviceName}) (deployment ${failed.id}) deployment failed: tasks failed to start.`);
  const target = internal.lastCompleted;
  if (!rollback || !target) return false;
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
  return true;
}

export class ServiceScheduler {
  readonly #store: EcsStore;
  readonly #runner: TaskRunner;
  readonly #registrar: LoadBalancerRegistrar;
  readonly #cloudMap: CloudMapRegistrar;
  readonly #logger: Logger;
  readonly #platform: PlatformContext;
  readonly #intervalMs: number;
  readonly #backoff: RestartBackoff;
  readonly #stableAfterMs: number;
  readonly #targetHealth = new Map<string, TargetState>();
  readonly #registering = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #leading = false;
  #purgedAt = 0;
  #running = false;
  #again = false;
  #closed = false;

  constructor(store: EcsStore, runner: TaskRunner, registrar: LoadBalancerRegistrar, platform: PlatformContext, options: SchedulerOptions = {}) {
    this.#store = store;
    this.#runner = runner;
    this.#registrar = registrar;
    this.#cloudMap = new CloudMapRegistrar(platform);
    this.#logger = platform.logger;
    this.#platform = platform;
    this.#intervalMs = options.intervalMs ?? 500;
    this.#stableAfterMs = options.stableAfterMs ?? 3000;
    this.#backoff = new RestartBackoff({ baseMs: options.backoffBaseMs ?? 1000, maxMs: options.backoffMaxMs ?? 120_000, jitter: 0.1 });
  }

  /**
   * Runs the scheduler while this node leads it (the loop given to `leadership.lead`): first the
   * sweep that takes over what another node left (tasks of a node that restarted or died are marked
   * STOPPED, so services get back to their desired count), then a reconciliation every interval and
   * on each signal, until `signal` aborts. Resolves once the first sweep is done. When leadership is
   * lost (not at close), this node stops the tasks it runs: the new leader replaces them.
   */
  async lead(signal: AbortSignal): Promise<void> {
    if (this.#closed || signal.aborted) return;
    this.#leading = true;
    const unlisten = await this.#store.listenScheduler((payload) => {
      if (payload) this.#backoff.recordSuccess(payload);
      this.kick();
    });
    if (this.#closed || signal.aborted) {
      this.#leading = false;
      unlisten();
      return;
    }
    this.#timer = setInterval(() => void this.tick(), this.#intervalMs);
    this.#timer.unref();
    signal.addEventListener(
      'abort',
      () => {
        this.#leading = false;
        unlisten();
        if (this.#timer) clearInterval(this.#timer);
        this.#timer = undefined;
        if (this.#closed) return;
        this.#logger.warn('ecs: this node no longer leads the scheduler; stopping its tasks');
        void this.#runner.stopAll({ reason: 'Task stopped because its node no longer runs the ECS scheduler', stopCode: 'TerminationNotice' });
      },
      { once: true },
    );
    try {
      await this.#runner.sweep(false);
    } catch (error) {
      this.#logger.error({ err: error }, 'ecs: taking over tasks failed');
    }
    this.kick();
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
  }

  /**
   * Asks for a reconciliation soon (after an API change), on this node when it leads, else through
   * the store's signal to the leader. `resetBackoffOf` (a service ARN) restarts that service's backoff.
   */
  kick(resetBackoffOf?: string): void {
    if (this.#leading) {
      if (resetBackoffOf) this.#backoff.recordSuccess(resetBackoffOf);
      setImmediate(() => void this.tick());
      return;
    }
    this.#store.notifyScheduler(resetBackoffOf).catch((error: unknown) => this.#logger.warn({ err: error }, 'ecs: cannot signal the scheduler'));
  }

  /** Failure bookkeeping when one of a service's tasks has stopped. */
  taskStopped(stored: StoredTask): void {
    this.#taskStopped(stored).catch((error: unknown) => this.#logger.error({ err: error, task: stored.task.taskArn }, 'ecs: task stop bookkeeping failed'));
  }

  async #taskStopped(stored: StoredTask): Promise<void> {
    const { task, internal } = stored;
    for (const key of [...this.#targetHealth.keys()]) if (key.startsWith(idOf(task.taskArn) + '|')) this.#targetHealth.delete(key);
    if (!internal.serviceName) return;
    const scope = { accountId: internal.accountId, region: internal.region };
    const failed = internal.failed || task.stopCode === 'EssentialContainerExited' || task.stopCode === 'TaskFailedToStart';
    const serviceArn = formatArn({ service: 'ecs', region: scope.region, accountId: scope.accountId, resource: `service/${internal.clusterName}/${internal.serviceName}` });
    if (failed) this.#backoff.recordFailure(serviceArn);
    const failures = this.#backoff.failures(serviceArn);
    let rolledBack = false;
    await this.#mutate(scope, internal.clusterName, internal.serviceName, (service, sInternal) => {
      rolledBack = false;
      sInternal.steady = false;
      if (!failed) return;
      if (failures === 3) {
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
        rolledBack = trip(service, sInternal, deployment, breaker.rollback);
      }
    });
    if (rolledBack) this.#backoff.recordSuccess(serviceArn);
    this.kick();
  }

  /** Sets a service's desired count from outside (the hook for Application Auto Scaling). */
  async setDesiredCount(scope: Scope, cluster: string, serviceName: string, desiredCount: number): Promise<Service | undefined> {
    const stored = await this.#mutate(scope, cluster, serviceName, (service, internal) => {
      service.desiredCount = desiredCount;
      const primary = service.deployments.find((d) => d.status === 'PRIMARY');
      if (primary) primary.desiredCount = desiredCount;
      internal.steady = false;
    });
    this.kick();
    return stored?.service;
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
        await this.#runner.sweep(true);
        for (const stored of await this.#store.scheduledServices()) {
          try {
            await this.#reconcile(stored);
          } catch (error) {
            this.#logger.error({ err: error, service: stored.service.serviceArn }, 'ecs: reconcile failed');
          }
        }
        if (Date.now() - this.#purgedAt >= PURGE_INTERVAL_MS) {
          this.#purgedAt = Date.now();
          await this.#store.purgeStoppedTasks(Date.now() - 3600_000);
        }
      } while (this.#again && !this.#closed);
    } catch (error) {
      if (this.#store.isOpen) this.#logger.error({ err: error }, 'ecs: scheduler tick failed');
    } finally {
      this.#running = false;
    }
  }

  /** Changes a service in one transaction; `change` only edits the documents (it may run again on PostgreSQL). */
  #mutate(
    scope: Scope,
    cluster: string,
    name: string,
    change: (service: Service, internal: ServiceInternal) => boolean | void,
  ): Promise<StoredService | undefined> {
    return this.#store.updateService(scope, cluster, name, (stored) => change(stored.service, stored.internal));
  }

  /** The task definitions of `tasks`, read once per reconciliation. */
  async #definitions(scope: Scope, tasks: readonly StoredTask[]): Promise<Definitions> {
    const defs: Definitions = new Map();
    for (const arn of new Set(tasks.map((t) => t.task.taskDefinitionArn))) {
      const parsed = parseTaskDefinitionRef(arn);
      defs.set(arn, await this.#store.getTaskDefinition(scope, parsed.family, parsed.revision));
    }
    return defs;
  }

  #checked(stored: StoredTask, defs: Definitions): boolean {
    const def = defs.get(stored.task.taskDefinitionArn);
    return def?.containerDefinitions.some((c) => c.healthCheck && c.essential !== false) ?? false;
  }

  /** RUNNING, and HEALTHY when any essential container has a health check. */
  #ready(stored: StoredTask, defs: Definitions): boolean {
    const { task } = stored;
    if (task.lastStatus !== 'RUNNING') return false;
    return this.#checked(stored, defs) ? task.healthStatus === 'HEALTHY' : true;
  }

  #healthy(stored: StoredTask, defs: Definitions, service: Service): boolean {
    if (!this.#ready(stored, defs)) return false;
    if (service.loadBalancers.length === 0) {
      if (this.#checked(stored, defs)) return true;
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
    const all = (await this.#store.listTasks(scope, cluster)).filter((t) => t.internal.serviceName === name);
    const mine = all.filter((t) => t.task.lastStatus !== 'STOPPED');
    let live = mine.filter((t) => t.task.desiredStatus === 'RUNNING' && !this.#runner.isStopping(idOf(t.task.taskArn)));
    const defs = await this.#definitions(scope, live);

    const stopTasks = async (tasks: StoredTask[], reason: string, failed = false, events: string[] = []) => {
      if (tasks.length === 0) return;
      const ids = new Set(tasks.map((t) => t.task.taskArn));
      live = live.filter((t) => !ids.has(t.task.taskArn));
      await this.#mutate(scope, cluster, name, (s, i) => {
        i.steady = false;
        for (const event of events) addEvent(s, event);
        if (service.loadBalancers.length > 0) addEvent(s, `(service ${name}) has begun draining connections on ${tasks.length} tasks.`);
        addEvent(s, `(service ${name}) has stopped ${tasks.length} running tasks: ${taskList(tasks)}.`);
      });
      for (const t of tasks) {
        void this.#runner.stop(scope, idOf(t.task.taskArn), { reason, stopCode: 'ServiceSchedulerInitiated', drain: true, failed });
      }
    };

    // Container health: an UNHEALTHY task is replaced.
    const unhealthy = live.filter((t) => t.task.lastStatus === 'RUNNING' && t.task.healthStatus === 'UNHEALTHY');
    await stopTasks(
      unhealthy,
      'Task failed container health checks',
      true,
      unhealthy.map((t) => `(service ${name}) (task ${idOf(t.task.taskArn)}) failed container health checks.`),
    );

    // Load balancer registration of ready tasks, and target health.
    if (service.loadBalancers.length > 0) {
      await this.#registerTargets(scope, ctx, cluster, service, live, defs);
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
        await stopTasks(
          [t],
          `Task failed ELB health checks in (target-group ${tg.targetGroupArn})`,
          true,
          [`(service ${name}) (task ${idOf(t.task.taskArn)}) failed ELB health checks in (target-group ${tg.targetGroupArn}).`],
        );
      }
    }

    // Cloud Map registration of ready tasks (service discovery).
    if (service.serviceRegistries.length > 0) await this.#registerInstances(scope, ctx, cluster, service, live, defs);

    const current = await this.#store.getService(scope, cluster, name);
    if (!current) return;
    if (current.service.status === 'DRAINING') {
      await stopTasks(live, 'Service deleted');
      if (mine.length === 0 || mine.every((t) => t.task.lastStatus === 'STOPPED')) {
        await this.#mutate(scope, cluster, name, (s) => {
          s.status = 'INACTIVE';
          for (const d of s.deployments) d.status = 'INACTIVE';
          s.deployments = [];
        });
      }
      return;
    }
    // A crashed task is replaced only once its stop is recorded, so that the backoff counts it (its
    // record may already say STOPPED while the runner still finishes it).
    const crashing = all.some((t) => this.#runner.crashStopping(idOf(t.task.taskArn)));
    await this.#rollOut(scope, cluster, current, live, defs, crashing, stopTasks);
  }

  async #registerTargets(scope: Scope, ctx: CallContext, cluster: string, service: Service, live: StoredTask[], defs: Definitions): Promise<void> {
    for (const t of live) {
      const taskId = idOf(t.task.taskArn);
      if (t.internal.targets.length > 0 || this.#registering.has(taskId) || !this.#ready(t, defs)) continue;
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
          await this.#runner.addTarget(scope, taskId, target);
          await this.#mutate(scope, cluster, service.serviceName, (s) =>
            addEvent(s, `(service ${service.serviceName}) registered 1 targets in (target-group ${lb.targetGroupArn})`),
          );
        }
        const refreshed = await this.#store.getTask(scope, taskId);
        if (refreshed) t.internal.targets = refreshed.internal.targets;
        // A task stopped while it was being registered must not stay in the target group.
        if (refreshed && refreshed.task.desiredStatus !== 'RUNNING') await this.#registrar.deregister(refreshed.internal.targets, ctx);
      } finally {
        this.#registering.delete(taskId);
      }
    }
  }

  async #registerInstances(scope: Scope, ctx: CallContext, cluster: string, service: Service, live: StoredTask[], defs: Definitions): Promise<void> {
    for (const t of live) {
      const taskId = idOf(t.task.taskArn);
      const key = `cloudmap|${taskId}`;
      if ((t.internal.instances?.length ?? 0) > 0 || this.#registering.has(key) || !this.#ready(t, defs)) continue;
      this.#registering.add(key);
      try {
        const registered = [];
        for (const registry of service.serviceRegistries) {
          const serviceId = cloudMapServiceId(registry.registryArn ?? '');
          if (!serviceId) continue;
          const containers = registry.containerName ? t.task.containers.filter((c) => c.name === registry.containerName) : t.task.containers;
          const wanted = registry.containerPort ?? registry.port;
          const binding = containers.flatMap((c) => c.networkBindings).find((b) => wanted === undefined || b.containerPort === wanted);
          const attributes: Record<string, string> = {
            AWS_INSTANCE_IPV4: binding?.bindIP && binding.bindIP !== '0.0.0.0' ? binding.bindIP : '127.0.0.1',
            ECS_CLUSTER_NAME: cluster,
            ECS_SERVICE_NAME: service.serviceName,
            ECS_TASK_DEFINITION_FAMILY: (t.task.taskDefinitionArn ?? '').replace(/^.*:task-definition\//, '').replace(/:\d+$/, ''),
            REGION: scope.region,
            AVAILABILITY_ZONE: `${scope.region}a`,
          };
          if (binding) attributes.AWS_INSTANCE_PORT = String(binding.hostPort);
          const instance = { serviceId, instanceId: taskId };
          try {
            await this.#cloudMap.register(instance, attributes, ctx);
          } catch (error) {
            this.#logger.warn({ err: error, instance }, 'ecs: RegisterInstance failed');
            continue;
          }
          registered.push(instance);
        }
        if (registered.length === 0) continue;
        const refreshed = await this.#runner.addInstances(scope, taskId, registered);
        t.internal.instances = refreshed?.internal.instances ?? registered;
        // A task stopped while it was being registered must not stay in Cloud Map.
        if (refreshed && refreshed.task.desiredStatus !== 'RUNNING') await this.#cloudMap.deregister(registered, ctx);
      } finally {
        this.#registering.delete(key);
      }
    }
  }

  async #rollOut(
    scope: Scope,
    cluster: string,
    stored: StoredService,
    live: StoredTask[],
    defs: Definitions,
    crashing: boolean,
    stopTasks: (tasks: StoredTask[], reason: string, failed?: boolean) => Promise<void>,
  ): Promise<void> {
    const { service } = stored;
    const name = service.serviceName;
    const primary = service.deployments.find((d) => d.status === 'PRIMARY');
    if (!primary) return;
    const desired = service.desiredCount;
    const cfg = service.deploymentConfiguration;
    const maxTotal = Math.floor((desired * (cfg.maximumPercent ?? 200)) / 100);
    const minHealthy = Math.ceil((desired * (cfg.minimumHealthyPercent ?? 100)) / 100);
    const isHealthy = (t: StoredTask) => this.#healthy(t, defs, service);
    let mineP = live.filter((t) => t.internal.deploymentId === primary.id);
    const olds = live.filter((t) => t.internal.deploymentId !== primary.id);
    const halted = primary.rolloutState === 'FAILED';

    // Scale in: stop the primary's surplus, least healthy and newest first.
    if (mineP.length > desired) {
      const surplus = [...mineP]
        .sort((a, b) => Number(isHealthy(a)) - Number(isHealthy(b)) || b.task.createdAt.localeCompare(a.task.createdAt))
        .slice(0, mineP.length - desired);
      await stopTasks(surplus, `Scaling activity initiated by (deployment ${primary.id})`);
      const gone = new Set(surplus.map((t) => t.task.taskArn));
      mineP = mineP.filter((t) => !gone.has(t.task.taskArn));
    }

    // Start the primary's missing tasks within maximumPercent, once the backoff allows.
    const room = Math.max(0, maxTotal - mineP.length - olds.length);
    const toStart = halted ? 0 : Math.min(desired - mineP.length, room);
    if (toStart > 0 && !crashing && this.#backoff.remaining(service.serviceArn) === 0) {
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
      for (const [deploymentId, tasks] of byDeployment) await stopTasks(tasks, `Scaling activity initiated by (deployment ${deploymentId || primary.id})`);
    }

    // Drop drained deployments, complete the rollout, report a steady state.
    const remaining = new Set(
      (await this.#store.listTasks(scope, cluster)).filter((t) => t.internal.serviceName === name && t.task.lastStatus !== 'STOPPED').map((t) => t.internal.deploymentId),
    );
    const healthyPrimary = mineP.filter(isHealthy).length;
    let becameSteady = false;
    // Written only when something changed: this runs for every service on every tick.
    await this.#mutate(scope, cluster, name, (s, internal) => {
      becameSteady = false;
      const count = s.deployments.length;
      s.deployments = s.deployments.filter((d) => d.status === 'PRIMARY' || remaining.has(d.id));
      const dropped = s.deployments.length !== count;
      const p = s.deployments.find((d) => d.status === 'PRIMARY');
      if (!p) return dropped;
      const settled = s.deployments.length === 1 && mineP.length === s.desiredCount && healthyPrimary === s.desiredCount;
      let completed = false;
      if (p.rolloutState === 'IN_PROGRESS' && settled) {
        p.rolloutState = 'COMPLETED';
        p.rolloutStateReason = `ECS deployment ${p.id} completed.`;
        p.updatedAt = now();
        internal.lastCompleted = { id: p.id, taskDefinition: p.taskDefinition };
        addEvent(s, `(service ${name}) (deployment ${p.id}) deployment completed.`);
        completed = true;
      }
      if (!internal.steady && settled && p.rolloutState === 'COMPLETED') {
        internal.steady = true;
        becameSteady = true;
        addEvent(s, `(service ${name}) has reached a steady state.`);
      }
      return dropped || completed || becameSteady;
    });
    if (becameSteady) this.#backoff.recordSuccess(service.serviceArn);
  }

  readonly #launching = new Set<string>();

  async #startTasks(scope: Scope, cluster: string, service: Service, deployment: Deployment, count: number): Promise<void> {
    // One batch of launches per service at a time; the next tick sees the tasks it created.
    if (this.#launching.has(service.serviceArn)) return;
    this.#launching.add(service.serviceArn);
    try {
      const parsed = parseTaskDefinitionRef(deployment.taskDefinition);
      const definition = await this.#store.getTaskDefinition(scope, parsed.family, parsed.revision);
      if (!definition) return;
      const started: { task: Task }[] = [];
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
        started.push(result);
      }
      await this.#mutate(scope, cluster, service.serviceName, (s, internal) => {
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

type Definitions = Map<string, TaskDefinition | undefined>;

export type { TargetState };
