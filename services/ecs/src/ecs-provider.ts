// Amazon ECS over the process supervisor: clusters, task definitions, tasks and services.
// Tasks run as local processes (or as containers where a Docker/Podman engine answers); the service
// scheduler (service-scheduler.ts) keeps desired counts and rolls deployments.
//
// Known limitations:
// - Containers run as processes on the host unless `docker info`/`podman info` succeeds; then a
//   container runs through `<cli> run` (image `process` or `atoll/process*` always runs as a process).
//   Processes share the host network: each container port mapping gets a free host port on 127.0.0.1,
//   given to the process as `ATOLL_PORT_<containerPort>` and `PORT` (first mapping); the process must
//   listen on it. networkMode `bridge`/`host` with a non-zero hostPort uses that port (RESOURCE:PORTS when taken).
// - A process's environment is exactly: PATH (the platform's), AWS_ENDPOINT_URL, AWS_REGION,
//   AWS_DEFAULT_REGION, credentials (below), ATOLL_TASK_ARN, ATOLL_CLUSTER, ATOLL_CONTAINER_NAME, the
//   port variables, then the definition's `environment`, the overrides' and the `secrets`. Nothing else
//   of the platform's environment is inherited. No ECS_CONTAINER_METADATA_URI / task metadata endpoint.
// - A task without a container health check or a load balancer counts as healthy for a rollout once it
//   has been RUNNING for 3 s (so that a command that crashes at once does not complete a deployment).
// - Health checks: the first probe runs 1 s after the start, then every `interval` (Docker waits one interval).
//   They run on the host with the task's environment, also for a container run through Docker/Podman.
// - The Docker/Podman path (argv, env by name, -p, -m) is unit-tested only: this machine has no engine.
// - Secrets are read from files in `<dataDir>/ecs/secrets/` (see TaskRunner.resolveSecret), not from
//   Secrets Manager or SSM. `environmentFiles`, volumes, mount points, links, ulimits, dependsOn,
//   linuxParameters, firelens and repositoryCredentials are recorded but not applied.
// - Memory: a container's hard `memory` (or the task's, for a one-container task) is enforced by an
//   RSS watchdog on the process group (sampled each second); cpu is recorded only.
// - Logs: stdout/stderr of every container go to a JSON-lines log stream under `<dataDir>/ecs/logs/`
//   (named after the awslogs group/stream options); an `ecs.LogStreamCreated` bus event announces each.
//   They are not yet pushed into CloudWatch Logs.
// - Credentials: a task whose definition has `taskRoleArn` gets STS AssumeRole credentials when STS is
//   served (hook: EcsServiceOptions.credentials); other tasks get AWS_ENDPOINT_URL and region only.
// - Clusters record settings, configuration and the FARGATE / FARGATE_SPOT capacity providers (tasks run
//   locally whatever the strategy). No container instances, custom capacity providers, task sets,
//   placement strategies/constraints, Service Connect, service discovery registries, ExecuteCommand,
//   task protection or account settings (501). StartTask runs one task per named container instance.
// - The restart backoff of a crashing service (1 s doubling to 120 s, ATOLL_ECS_BACKOFF_*_MS) is kept
//   in memory: a platform restart resets it.
// - Deployments: only the ECS (rolling) deployment controller. The circuit breaker counts failed tasks
//   (threshold: half the desired count, 3 to 200); rollback returns to the last COMPLETED deployment.
// - Load balancers: target groups only (no Classic ELB `loadBalancerName`); targets are `127.0.0.1:<hostPort>`
//   (target type ip). The deregistration delay is honoured up to 15 s (ATOLL_ECS_MAX_DRAIN_MS). A task
//   counts as healthy for a rollout once every target is `healthy` in ELBv2 (DescribeTargetHealth).
// - Autoscaling: no Application Auto Scaling yet; it (or anything else) scales a service by calling
//   UpdateService with a desiredCount, or EcsProvider.setDesiredCount in-process.
// - Stopped tasks stay visible for one hour. After a platform restart, tasks that were running are
//   STOPPED ("Task stopped because the platform restarted") and services start replacements.
import { join } from 'node:path';
import { formatArn, type PlatformContext, type RequestContext, type ServiceProvider } from '@atoll/core';
import { detectContainerRuntime } from '@atoll/supervisor';
import {
  ClientException,
  InvalidParameterException,
  ServiceNotActiveException,
  ServiceNotFoundException,
} from './ecs-errors.js';
import { page, toWire, withTags } from './ecs-output.js';
import { EcsStore, type Scope, type StoredService, type StoredTask } from './ecs-store.js';
import type { LoadBalancerRef, Service, Tag, Task, TaskDefinition } from './ecs-types.js';
import { LoadBalancerRegistrar } from './load-balancer-registrar.js';
import { ServiceScheduler, addEvent, newDeployment, type SchedulerOptions } from './service-scheduler.js';
import { buildTaskDefinition, parseTaskDefinitionRef, type RegisterInput } from './task-definitions.js';
import { ClusterOperations } from './cluster-operations.js';
import { changeTags } from './resource-tags.js';
import { TaskRunner, idOf, type TaskCredentialsProvider } from './task-runner.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Input = Record<string, any>;

export interface EcsServiceOptions extends SchedulerOptions {
  credentials?: TaskCredentialsProvider;
  /** Cap on the target group deregistration delay (default 15 s). */
  maxDrainMs?: number;
  defaultStopTimeoutMs?: number;
}

const SERVICE_NAME = /^[a-zA-Z0-9_-]{1,255}$/;
const LIVE_PENDING = new Set(['PROVISIONING', 'PENDING', 'ACTIVATING']);

export class EcsProvider implements ServiceProvider {
  readonly service = 'ecs';
  readonly store: EcsStore;
  readonly runner: TaskRunner;
  readonly scheduler: ServiceScheduler;
  readonly clusters: ClusterOperations;
  readonly #registrar: LoadBalancerRegistrar;
  readonly operations: ServiceProvider['operations'];

  constructor(platform: PlatformContext, options: EcsServiceOptions = {}) {
    const dir = join(platform.config.dataDir, 'ecs');
    this.store = new EcsStore(join(dir, 'ecs.db'));
    this.#registrar = new LoadBalancerRegistrar(platform, { maxDrainMs: options.maxDrainMs });
    this.runner = new TaskRunner(this.store, platform, this.#registrar, dir, {
      credentials: options.credentials,
      defaultStopTimeoutMs: options.defaultStopTimeoutMs,
    });
    this.scheduler = new ServiceScheduler(this.store, this.runner, this.#registrar, platform, options);
    this.runner.onStopped = (stored) => this.scheduler.taskStopped(stored);
    this.clusters = new ClusterOperations(this.store);
    this.operations = {
      CreateCluster: (i, c) => this.clusters.create(i, c),
      DescribeClusters: (i, c) => this.clusters.describe(i, c),
      ListClusters: (i, c) => this.clusters.list(i, c),
      DeleteCluster: (i, c) => this.clusters.delete(i, c),
      UpdateCluster: (i, c) => this.clusters.update(i, c),
      UpdateClusterSettings: (i, c) => this.clusters.update({ cluster: i.cluster, settings: i.settings }, c),
      PutClusterCapacityProviders: (i, c) => this.clusters.putCapacityProviders(i, c),
      RegisterTaskDefinition: (i, c) => this.registerTaskDefinition(i, c),
      DeregisterTaskDefinition: (i, c) => this.deregisterTaskDefinition(i, c),
      DeleteTaskDefinitions: (i, c) => this.deleteTaskDefinitions(i, c),
      DescribeTaskDefinition: (i, c) => this.describeTaskDefinition(i, c),
      ListTaskDefinitions: (i, c) => this.listTaskDefinitions(i, c),
      ListTaskDefinitionFamilies: (i, c) => this.listTaskDefinitionFamilies(i, c),
      RunTask: (i, c) => this.runTask(i, c),
      StartTask: (i, c) => this.runTask({ ...i, count: Math.max(1, (i.containerInstances ?? []).length) }, c),
      StopTask: (i, c) => this.stopTask(i, c),
      DescribeTasks: (i, c) => this.describeTasks(i, c),
      ListTasks: (i, c) => this.listTasks(i, c),
      CreateService: (i, c) => this.createService(i, c),
      UpdateService: (i, c) => this.updateService(i, c),
      DeleteService: (i, c) => this.deleteService(i, c),
      DescribeServices: (i, c) => this.describeServices(i, c),
      ListServices: (i, c) => this.listServices(i, c),
      TagResource: (i, c) => this.tagResource(i, c),
      UntagResource: (i, c) => this.untagResource(i, c),
      ListTagsForResource: (i, c) => this.listTagsForResource(i, c),
    };
  }

  start(): void {
    for (const stored of this.runner.recover()) this.scheduler.taskStopped(stored);
    this.scheduler.start();
    this.scheduler.kick();
  }

  async close(): Promise<void> {
    this.scheduler.close();
    await this.runner.shutdown();
    this.store.close();
  }

  /** Sets a service's desired count from outside (Application Auto Scaling's hook). */
  setDesiredCount(scope: Scope, cluster: string, service: string, desiredCount: number): void {
    this.scheduler.setDesiredCount(scope, cluster, service, desiredCount);
  }

  // ---- task definitions -----------------------------------------------------------------------

  #taskDefinition(scope: Scope, ref: string, missing: () => Error): TaskDefinition {
    const parsed = parseTaskDefinitionRef(ref);
    const def = this.store.getTaskDefinition(scope, parsed.family, parsed.revision);
    if (!def || def.status === 'DELETE_IN_PROGRESS') throw missing();
    return def;
  }

  registerTaskDefinition(input: Input, ctx: RequestContext) {
    const revision = this.store.latestRevision(ctx, input.family) + 1;
    const def = buildTaskDefinition(input as RegisterInput, ctx, revision, detectContainerRuntime() !== null, ctx.identity.arn);
    def.tags = input.tags ?? [];
    this.store.putTaskDefinition(ctx, def);
    const { tags, ...taskDefinition } = def;
    return { taskDefinition: toWire(taskDefinition), tags: tags ?? [] };
  }

  deregisterTaskDefinition(input: Input, ctx: RequestContext) {
    const parsed = parseTaskDefinitionRef(input.taskDefinition);
    if (parsed.revision === undefined) throw new ClientException('Invalid revision number. Number: ' + input.taskDefinition);
    const def = this.#taskDefinition(ctx, input.taskDefinition, () => new ClientException('The specified task definition does not exist.'));
    if (def.status === 'ACTIVE') {
      def.status = 'INACTIVE';
      def.deregisteredAt = new Date().toISOString();
      this.store.putTaskDefinition(ctx, def);
    }
    const { tags: _tags, ...taskDefinition } = def;
    return { taskDefinition: toWire(taskDefinition) };
  }

  deleteTaskDefinitions(input: Input, ctx: RequestContext) {
    const taskDefinitions: unknown[] = [];
    const failures: { arn: string; reason: string; detail?: string }[] = [];
    for (const ref of input.taskDefinitions as string[]) {
      try {
        const def = this.#taskDefinition(ctx, ref, () => new ClientException('The specified task definition does not exist.'));
        if (def.status === 'ACTIVE') {
          failures.push({ arn: def.taskDefinitionArn, reason: 'The specified task definition is still in ACTIVE status. Please deregister the target and try again.' });
          continue;
        }
        def.status = 'DELETE_IN_PROGRESS';
        def.deleteRequestedAt = new Date().toISOString();
        this.store.putTaskDefinition(ctx, def);
        const { tags: _tags, ...out } = def;
        taskDefinitions.push(toWire(out));
      } catch {
        failures.push({ arn: ref, reason: 'The specified task definition does not exist.' });
      }
    }
    return { taskDefinitions, failures };
  }

  describeTaskDefinition(input: Input, ctx: RequestContext) {
    const def = this.#taskDefinition(ctx, input.taskDefinition, () => new ClientException('Unable to describe task definition.'));
    const { tags, ...taskDefinition } = def;
    return { taskDefinition: toWire(taskDefinition), ...(input.include?.includes('TAGS') ? { tags: tags ?? [] } : {}) };
  }

  listTaskDefinitions(input: Input, ctx: RequestContext) {
    const defs = this.store.listTaskDefinitions(ctx, {
      familyPrefix: input.familyPrefix,
      status: input.status ?? 'ACTIVE',
      descending: input.sort === 'DESC',
    });
    const { items, nextToken } = page(defs.map((d) => d.taskDefinitionArn), input.nextToken, input.maxResults);
    return { taskDefinitionArns: items, nextToken };
  }

  listTaskDefinitionFamilies(input: Input, ctx: RequestContext) {
    const families = this.store.listFamilies(ctx, { familyPrefix: input.familyPrefix, status: input.status ?? 'ACTIVE' });
    const { items, nextToken } = page(families, input.nextToken, input.maxResults);
    return { families: items, nextToken };
  }

  // ---- tasks ----------------------------------------------------------------------------------

  async runTask(input: Input, ctx: RequestContext) {
    const cluster = this.clusters.resolve(ctx, input.cluster, true);
    const count = input.count ?? 1;
    if (!Number.isInteger(count) || count < 1 || count > 10) throw new InvalidParameterException('Count must be between 1 and 10.');
    const definition = this.#taskDefinition(ctx, input.taskDefinition, () => new InvalidParameterException('TaskDefinition not found.'));
    if (definition.status !== 'ACTIVE') throw new ClientException('TaskDefinition is inactive');
    if (input.group !== undefined && input.group.startsWith('service:')) {
      throw new InvalidParameterException('Invalid group: the service: prefix is reserved.');
    }
    const tasks: Task[] = [];
    const failures: { arn?: string; reason: string; detail?: string }[] = [];
    for (let i = 0; i < count; i++) {
      const result = await this.runner.launch({
        scope: ctx,
        clusterName: cluster.clusterName,
        clusterArn: cluster.clusterArn,
        definition,
        group: input.group,
        startedBy: input.startedBy,
        overrides: input.overrides,
        tags: input.propagateTags === 'TASK_DEFINITION' ? [...((definition.tags as Tag[]) ?? []), ...(input.tags ?? [])] : input.tags,
        launchType: input.launchType,
        enableExecuteCommand: input.enableExecuteCommand,
      });
      if ('failure' in result) failures.push({ arn: cluster.clusterArn, ...result.failure });
      else tasks.push(result.task);
    }
    return { tasks: tasks.map((t) => toWire(t)), failures };
  }

  #findTask(scope: Scope, clusterName: string, ref: string): StoredTask | undefined {
    const id = idOf(ref);
    const stored = this.store.getTask(scope, id);
    return stored && stored.internal.clusterName === clusterName ? stored : undefined;
  }

  async stopTask(input: Input, ctx: RequestContext) {
    const cluster = this.clusters.resolve(ctx, input.cluster);
    const stored = this.#findTask(ctx, cluster.clusterName, input.task);
    if (!stored) throw new InvalidParameterException('The referenced task was not found.');
    if (stored.task.desiredStatus === 'RUNNING') {
      void this.runner.stop(ctx, idOf(stored.task.taskArn), {
        reason: input.reason ?? 'Task stopped by user',
        stopCode: 'UserInitiated',
        drain: true,
      });
    }
    const after = this.store.getTask(ctx, idOf(stored.task.taskArn))!;
    return { task: toWire(after.task) };
  }

  describeTasks(input: Input, ctx: RequestContext) {
    const cluster = this.clusters.resolve(ctx, input.cluster);
    const tasks: Task[] = [];
    const failures: { arn: string; reason: string }[] = [];
    for (const ref of (input.tasks ?? []) as string[]) {
      const stored = this.#findTask(ctx, cluster.clusterName, ref);
      if (stored) tasks.push(toWire(withTags(stored.task, input.include)));
      else failures.push({ arn: ref, reason: 'MISSING' });
    }
    return { tasks, failures };
  }

  listTasks(input: Input, ctx: RequestContext) {
    const cluster = this.clusters.resolve(ctx, input.cluster);
    if (input.serviceName && !this.store.getService(ctx, cluster.clusterName, this.#serviceName(input.serviceName))) {
      throw new ServiceNotFoundException();
    }
    const desired = input.desiredStatus ?? 'RUNNING';
    const family = input.family;
    const arns = this.store
      .listTasks(ctx, cluster.clusterName)
      .filter(({ task, internal }) => {
        if (task.desiredStatus !== desired) return false;
        if (input.startedBy && task.startedBy !== input.startedBy) return false;
        if (input.serviceName && internal.serviceName !== this.#serviceName(input.serviceName)) return false;
        if (family && parseTaskDefinitionRef(task.taskDefinitionArn).family !== family) return false;
        if (input.launchType && task.launchType !== input.launchType) return false;
        return true;
      })
      .map((t) => t.task.taskArn);
    const { items, nextToken } = page(arns, input.nextToken, input.maxResults);
    return { taskArns: items, nextToken };
  }

  // ---- services -------------------------------------------------------------------------------

  #serviceName(ref: string): string {
    return ref.startsWith('arn:') ? ref.slice(ref.lastIndexOf('/') + 1) : ref;
  }

  #serviceView(scope: Scope, stored: StoredService, include?: string[]): Service {
    const service = structuredClone(stored.service);
    const cluster = service.clusterArn.slice(service.clusterArn.lastIndexOf('/') + 1);
    const live = this.store
      .listTasks(scope, cluster)
      .filter((t) => t.internal.serviceName === service.serviceName && t.task.desiredStatus === 'RUNNING' && t.task.lastStatus !== 'STOPPED');
    const running = (tasks: StoredTask[]) => tasks.filter((t) => t.task.lastStatus === 'RUNNING').length;
    const pending = (tasks: StoredTask[]) => tasks.filter((t) => LIVE_PENDING.has(t.task.lastStatus)).length;
    service.runningCount = running(live);
    service.pendingCount = pending(live);
    for (const d of service.deployments) {
      const mine = live.filter((t) => t.internal.deploymentId === d.id);
      d.runningCount = running(mine);
      d.pendingCount = pending(mine);
    }
    return toWire(withTags(service, include));
  }

  async #checkLoadBalancers(ctx: RequestContext, loadBalancers: LoadBalancerRef[], def: TaskDefinition): Promise<void> {
    for (const lb of loadBalancers) {
      if (!lb.targetGroupArn) {
        throw new InvalidParameterException('Classic Load Balancers are not supported by Atoll; specify a targetGroupArn.');
      }
      const container = def.containerDefinitions.find((c) => c.name === lb.containerName);
      if (!container) {
        throw new InvalidParameterException(`The container ${lb.containerName} does not exist in the task definition.`);
      }
      if (!(container.portMappings ?? []).some((p) => p.containerPort === lb.containerPort)) {
        throw new InvalidParameterException(`The container ${lb.containerName} did not have a container port ${lb.containerPort} defined.`);
      }
      if (!(await this.#registrar.targetGroupExists(lb.targetGroupArn, ctx))) {
        throw new InvalidParameterException(
          `Unable to assume role and validate the specified targetGroupArn. Please verify that the ECS service role being passed has the proper permissions.`,
        );
      }
    }
  }

  async createService(input: Input, ctx: RequestContext) {
    const cluster = this.clusters.resolve(ctx, input.cluster, true);
    const name: string = input.serviceName;
    if (!SERVICE_NAME.test(name ?? '')) {
      throw new InvalidParameterException('Service name must be 1-255 characters: letters, numbers, hyphens and underscores.');
    }
    if (input.deploymentController?.type && input.deploymentController.type !== 'ECS') {
      throw new InvalidParameterException(`Deployment controller ${input.deploymentController.type} is not supported by Atoll.`);
    }
    const existing = this.store.getService(ctx, cluster.clusterName, name);
    if (existing?.service.status === 'ACTIVE') throw new InvalidParameterException('Creation of service was not idempotent.');
    if (existing?.service.status === 'DRAINING') throw new InvalidParameterException('Unable to Start a service that is still Draining.');
    if (!input.taskDefinition) throw new InvalidParameterException('TaskDefinition must be specified.');
    const def = this.#taskDefinition(ctx, input.taskDefinition, () => new InvalidParameterException('TaskDefinition not found.'));
    if (def.status !== 'ACTIVE') throw new InvalidParameterException('TaskDefinition is inactive');
    const desiredCount = input.schedulingStrategy === 'DAEMON' ? 1 : (input.desiredCount ?? 0);
    if (!Number.isInteger(desiredCount) || desiredCount < 0) throw new InvalidParameterException('Invalid desiredCount.');
    const loadBalancers: LoadBalancerRef[] = input.loadBalancers ?? [];
    await this.#checkLoadBalancers(ctx, loadBalancers, def);
    const dc = input.deploymentConfiguration ?? {};
    const deploymentConfiguration = {
      deploymentCircuitBreaker: { enable: dc.deploymentCircuitBreaker?.enable ?? false, rollback: dc.deploymentCircuitBreaker?.rollback ?? false },
      maximumPercent: dc.maximumPercent ?? 200,
      minimumHealthyPercent: dc.minimumHealthyPercent ?? 100,
    };
    if (deploymentConfiguration.maximumPercent < 100 && desiredCount > 0 && deploymentConfiguration.maximumPercent <= deploymentConfiguration.minimumHealthyPercent) {
      throw new InvalidParameterException('The maximumPercent must be greater than the minimumHealthyPercent.');
    }
    const launchType = input.launchType ?? 'EC2';
    const deployment = newDeployment(def.taskDefinitionArn, desiredCount, launchType, input.networkConfiguration);
    const service: Service = {
      serviceArn: formatArn({ service: 'ecs', region: ctx.region, accountId: ctx.accountId, resource: `service/${cluster.clusterName}/${name}` }),
      serviceName: name,
      clusterArn: cluster.clusterArn,
      loadBalancers,
      serviceRegistries: input.serviceRegistries ?? [],
      status: 'ACTIVE',
      desiredCount,
      runningCount: 0,
      pendingCount: 0,
      launchType,
      taskDefinition: def.taskDefinitionArn,
      deploymentConfiguration,
      deployments: [deployment],
      roleArn: input.role,
      events: [],
      createdAt: new Date().toISOString(),
      placementConstraints: input.placementConstraints ?? [],
      placementStrategy: input.placementStrategy ?? [],
      ...(input.networkConfiguration ? { networkConfiguration: input.networkConfiguration } : {}),
      ...(input.healthCheckGracePeriodSeconds !== undefined ? { healthCheckGracePeriodSeconds: input.healthCheckGracePeriodSeconds } : {}),
      schedulingStrategy: input.schedulingStrategy ?? 'REPLICA',
      deploymentController: { type: 'ECS' },
      tags: input.tags ?? [],
      createdBy: ctx.identity.arn,
      enableECSManagedTags: input.enableECSManagedTags ?? false,
      propagateTags: input.propagateTags ?? 'NONE',
      enableExecuteCommand: input.enableExecuteCommand ?? false,
    };
    this.store.putService({ service, internal: { accountId: ctx.accountId, region: ctx.region, steady: false } });
    this.scheduler.resetBackoff(service.serviceArn);
    this.scheduler.kick();
    return { service: this.#serviceView(ctx, this.store.getService(ctx, cluster.clusterName, name)!, ['TAGS']) };
  }

  #activeService(scope: Scope, clusterName: string, ref: string): StoredService {
    const stored = this.store.getService(scope, clusterName, this.#serviceName(ref));
    if (!stored) throw new ServiceNotFoundException();
    if (stored.service.status !== 'ACTIVE') throw new ServiceNotActiveException();
    return stored;
  }

  async updateService(input: Input, ctx: RequestContext) {
    const cluster = this.clusters.resolve(ctx, input.cluster);
    const stored = this.#activeService(ctx, cluster.clusterName, input.service);
    const service = stored.service;
    let def: TaskDefinition | undefined;
    if (input.taskDefinition) {
      def = this.#taskDefinition(ctx, input.taskDefinition, () => new InvalidParameterException('TaskDefinition not found.'));
      if (def.status !== 'ACTIVE') throw new InvalidParameterException('TaskDefinition is inactive');
    }
    const loadBalancers: LoadBalancerRef[] | undefined = input.loadBalancers;
    const effectiveDef = def ?? this.#taskDefinition(ctx, service.taskDefinition, () => new InvalidParameterException('TaskDefinition not found.'));
    if (loadBalancers) await this.#checkLoadBalancers(ctx, loadBalancers, effectiveDef);
    if (input.desiredCount !== undefined) {
      if (!Number.isInteger(input.desiredCount) || input.desiredCount < 0) throw new InvalidParameterException('Invalid desiredCount.');
    }
    // Re-read after the awaits so that concurrent scheduler changes are kept.
    const fresh = this.#activeService(ctx, cluster.clusterName, input.service);
    const s = fresh.service;
    if (input.desiredCount !== undefined) s.desiredCount = input.desiredCount;
    const dc = input.deploymentConfiguration;
    if (dc) {
      if (dc.maximumPercent !== undefined) s.deploymentConfiguration.maximumPercent = dc.maximumPercent;
      if (dc.minimumHealthyPercent !== undefined) s.deploymentConfiguration.minimumHealthyPercent = dc.minimumHealthyPercent;
      if (dc.deploymentCircuitBreaker) {
        s.deploymentConfiguration.deploymentCircuitBreaker = { enable: dc.deploymentCircuitBreaker.enable ?? false, rollback: dc.deploymentCircuitBreaker.rollback ?? false };
      }
    }
    if (input.healthCheckGracePeriodSeconds !== undefined) s.healthCheckGracePeriodSeconds = input.healthCheckGracePeriodSeconds;
    if (loadBalancers) s.loadBalancers = loadBalancers;
    if (input.networkConfiguration) s.networkConfiguration = input.networkConfiguration;
    if (input.enableExecuteCommand !== undefined) s.enableExecuteCommand = input.enableExecuteCommand;
    if (input.propagateTags !== undefined) s.propagateTags = input.propagateTags;
    const newDeploymentNeeded =
      (def && def.taskDefinitionArn !== s.taskDefinition) || input.forceNewDeployment === true || loadBalancers !== undefined || input.networkConfiguration !== undefined;
    const primary = s.deployments.find((d) => d.status === 'PRIMARY');
    if (newDeploymentNeeded) {
      if (def) s.taskDefinition = def.taskDefinitionArn;
      for (const d of s.deployments) d.status = 'ACTIVE';
      s.deployments.unshift(newDeployment(s.taskDefinition, s.desiredCount, s.launchType, s.networkConfiguration));
      this.scheduler.resetBackoff(s.serviceArn);
    } else if (primary) {
      primary.desiredCount = s.desiredCount;
      primary.updatedAt = new Date().toISOString();
    }
    fresh.internal.steady = false;
    this.store.putService(fresh);
    this.scheduler.kick();
    return { service: this.#serviceView(ctx, fresh, ['TAGS']) };
  }

  deleteService(input: Input, ctx: RequestContext) {
    const cluster = this.clusters.resolve(ctx, input.cluster);
    const stored = this.store.getService(ctx, cluster.clusterName, this.#serviceName(input.service));
    if (!stored || stored.service.status === 'INACTIVE') throw new ServiceNotFoundException();
    if (stored.service.status === 'DRAINING') throw new ServiceNotActiveException();
    if (stored.service.desiredCount > 0 && !input.force) {
      throw new InvalidParameterException('The service cannot be stopped while it is scaled above 0.');
    }
    stored.service.status = 'DRAINING';
    stored.service.desiredCount = 0;
    for (const d of stored.service.deployments) d.desiredCount = 0;
    addEvent(stored.service, `(service ${stored.service.serviceName}) has been deleted.`);
    this.store.putService(stored);
    this.scheduler.kick();
    return { service: this.#serviceView(ctx, stored, ['TAGS']) };
  }

  describeServices(input: Input, ctx: RequestContext) {
    const cluster = this.clusters.resolve(ctx, input.cluster);
    const refs: string[] = input.services ?? [];
    if (refs.length > 10) throw new InvalidParameterException('services can have at most 10 items.');
    const services: Service[] = [];
    const failures: { arn: string; reason: string }[] = [];
    for (const ref of refs) {
      const stored = this.store.getService(ctx, cluster.clusterName, this.#serviceName(ref));
      if (stored) services.push(this.#serviceView(ctx, stored, input.include));
      else {
        const arn = ref.startsWith('arn:') ? ref : formatArn({ service: 'ecs', region: ctx.region, accountId: ctx.accountId, resource: `service/${cluster.clusterName}/${ref}` });
        failures.push({ arn, reason: 'MISSING' });
      }
    }
    return { services, failures };
  }

  listServices(input: Input, ctx: RequestContext) {
    const cluster = this.clusters.resolve(ctx, input.cluster);
    const arns = this.store
      .listServices(ctx, cluster.clusterName)
      .filter((s) => s.service.status !== 'INACTIVE')
      .filter((s) => !input.launchType || s.service.launchType === input.launchType)
      .filter((s) => !input.schedulingStrategy || s.service.schedulingStrategy === input.schedulingStrategy)
      .map((s) => s.service.serviceArn);
    const { items, nextToken } = page(arns, input.nextToken, input.maxResults);
    return { serviceArns: items, nextToken };
  }

  // ---- tags ---------------------------------------------------------------------------------

  tagResource(input: Input, ctx: RequestContext) {
    const incoming: Tag[] = input.tags ?? [];
    changeTags(this.store, ctx, input.resourceArn, (tags) => {
      const merged = [...tags.filter((t) => !incoming.some((n) => n.key === t.key)), ...incoming];
      if (merged.length > 50) throw new InvalidParameterException('Too many tags: a resource can have at most 50 tags.');
      return merged;
    });
    return {};
  }

  untagResource(input: Input, ctx: RequestContext) {
    const keys: string[] = input.tagKeys ?? [];
    changeTags(this.store, ctx, input.resourceArn, (tags) => tags.filter((t) => !keys.includes(t.key ?? '')));
    return {};
  }

  listTagsForResource(input: Input, ctx: RequestContext) {
    return { tags: changeTags(this.store, ctx, input.resourceArn) };
  }
}
