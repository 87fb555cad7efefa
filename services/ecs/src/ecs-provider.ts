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
//   AWS_DEFAULT_REGION, the credentials endpoint variables (below), AWS_XRAY_DAEMON_ADDRESS (the platform's X-Ray daemon,
//   unless it is off), ATOLL_TASK_ARN, ATOLL_CLUSTER, ATOLL_CONTAINER_NAME, the
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
// - Credentials: a task whose definition has `taskRoleArn` gets AWS_CONTAINER_CREDENTIALS_FULL_URI and
//   AWS_CONTAINER_AUTHORIZATION_TOKEN, pointing at the platform's container credentials endpoint
//   (task-credentials.ts), which assumes the role through STS as `ecs-tasks.amazonaws.com` with the
//   task ARN as aws:SourceArn; no static keys are ever handed to a task. `executionRoleArn` is
//   assumed the same way when the task starts (a role that cannot be assumed stops the task with
//   ResourceInitializationError) and recorded; secrets are still read from files, so the session is
//   not used for them. RegisterTaskDefinition does not require an execution role for secrets.
// - Clusters record settings, configuration and the FARGATE / FARGATE_SPOT capacity providers (tasks run
//   locally whatever the strategy). No container instances, custom capacity providers, task sets,
//   placement strategies/constraints, Service Connect, ExecuteCommand, task protection or account
//   settings (501). Service discovery: one `serviceRegistries` entry per service (as ECS allows); ready
//   tasks become Cloud Map instances (`AWS_INSTANCE_IPV4` 127.0.0.1, `AWS_INSTANCE_PORT` the host port)
//   and leave before draining; Cloud Map health of the instance is not fed from ECS health checks. StartTask runs one task per named container instance.
// - The restart backoff of a crashing service (1 s doubling to 120 s, ATOLL_ECS_BACKOFF_*_MS) and the
//   targets' last health are kept in the scheduler leader's memory: a restart or a change of leader resets them.
// - Deployments: only the ECS (rolling) deployment controller. The circuit breaker counts failed tasks
//   (threshold: half the desired count, 3 to 200); rollback returns to the last COMPLETED deployment.
// - Load balancers: target groups only (no Classic ELB `loadBalancerName`); targets are `127.0.0.1:<hostPort>`
//   (target type ip). The deregistration delay is honoured up to 15 s (ATOLL_ECS_MAX_DRAIN_MS). A task
//   counts as healthy for a rollout once every target is `healthy` in ELBv2 (DescribeTargetHealth).
// - Autoscaling: no Application Auto Scaling yet; it (or anything else) scales a service by calling
//   UpdateService with a desiredCount, or EcsProvider.setDesiredCount in-process.
// - Stopped tasks stay visible for one hour. After a platform restart, tasks that were running are
//   STOPPED ("Task stopped because the platform restarted") and services start replacements.
// - Several nodes (PostgreSQL): workloads run on the node that runs the elected scheduler
//   (leadership `ecs:scheduler`); placement across nodes is later work. RunTask on another node
//   records the task PROVISIONING (no network bindings yet, so a taken fixed host port shows as a
//   STOPPED task with `RESOURCE:PORTS`, not as a failure in the response) and the leader starts it
//   within a scheduler interval; StopTask there records the stop and the leader carries it out.
//   When leadership moves (a node died), the new leader marks the old one's tasks STOPPED ("Task
//   stopped because the platform restarted") and services start replacements; a node that loses
//   leadership stops its tasks. Secrets, log files and leftover-process cleanup are read on the
//   leader's host, and the `ecs.TaskStateChange` / `ecs.LogStreamCreated` events go to the in-process
//   bus of the node that made the change (mostly the leader).
// - Operations added to ECS's model since 2023 (botocore 1.43) are not implemented (501): daemons and
//   daemon task definitions (Create/Update/Delete/Describe/ListDaemon…), Express gateway services
//   (Create/Update/Delete/DescribeExpressGatewayService) and service deployments and revisions
//   (Describe/List/Stop/ContinueServiceDeployment…, DescribeServiceRevisions).
import { join } from 'node:path';
import { formatArn, type HttpRoute, type OperationHandler, type PlatformContext, type RequestContext, type ServiceProvider } from '@atoll/core';
import { detectContainerRuntime } from '@atoll/supervisor';
import {
  ClientException,
  InvalidParameterException,
  ServiceNotActiveException,
  ServiceNotFoundException,
} from './ecs-errors.js';
import { page, toWire, withTags } from './ecs-output.js';
import { ecsAuthorization } from './ecs-authorization.js';
import { ECS_MIGRATIONS, EcsStore, type Scope, type StoredService, type StoredTask } from './ecs-store.js';
import type { LoadBalancerRef, Service, ServiceRegistryRef, Tag, Task, TaskDefinition } from './ecs-types.js';
import { cloudMapServiceId } from './cloud-map-registrar.js';
import { LoadBalancerRegistrar } from './load-balancer-registrar.js';
import { ServiceScheduler, addEvent, newDeployment, type SchedulerOptions } from './service-scheduler.js';
import { buildTaskDefinition, parseTaskDefinitionRef, type RegisterInput } from './task-definitions.js';
import { ClusterOperations } from './cluster-operations.js';
import { changeTags } from './resource-tags.js';
import { TaskRunner, idOf } from './task-runner.js';
import { TaskCredentials, type TaskRoleAssumer } from './task-credentials.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Input = Record<string, any>;

export interface EcsServiceOptions extends SchedulerOptions {
  /** Assumes task and execution roles (STS AssumeRole as `ecs-tasks.amazonaws.com` by default). */
  assumeRole?: TaskRoleAssumer;
  /** Cap on the target group deregistration delay (default 15 s). */
  maxDrainMs?: number;
  defaultStopTimeoutMs?: number;
}

const SERVICE_NAME = /^[a-zA-Z0-9_-]{1,255}$/;
const LIVE_PENDING = new Set(['PROVISIONING', 'PENDING', 'ACTIVATING']);
/** The leadership under which the service scheduler runs and tasks' processes live. */
const SCHEDULER_ROLE = 'ecs:scheduler';

export class EcsProvider implements ServiceProvider {
  readonly service = 'ecs';
  readonly store: EcsStore;
  readonly runner: TaskRunner;
  readonly scheduler: ServiceScheduler;
  readonly clusters: ClusterOperations;
  readonly #registrar: LoadBalancerRegistrar;
  readonly #platform: PlatformContext;
  readonly operations: ServiceProvider['operations'];
  /** The container credentials endpoint (task-credentials.ts). */
  readonly routes: readonly HttpRoute[];
  /** Operations wait for the store to open and, on a node that leads at once, for the first sweep. */
  #started: Promise<unknown>;
  #stopLeading: (() => void) | undefined;
  /** iam:PassRole for the roles a task definition or a task is given (ecs-authorization.ts). */
  readonly authorization = ecsAuthorization(async (scope, family, revision) => {
    await this.#started;
    return this.store.getTaskDefinition(scope, family, revision);
  });

  constructor(platform: PlatformContext, options: EcsServiceOptions = {}) {
    const dir = join(platform.config.dataDir, 'ecs');
    this.#platform = platform;
    this.store = new EcsStore(platform.storage.open('ecs', ECS_MIGRATIONS, { file: 'ecs/ecs.db' }));
    this.#started = this.store.ready();
    // A failed open is answered to every operation (and to start()), not left unhandled.
    this.#started.catch(() => {});
    this.#registrar = new LoadBalancerRegistrar(platform, { maxDrainMs: options.maxDrainMs });
    const credentials = new TaskCredentials(this.store, platform, options.assumeRole);
    this.routes = [credentials.route];
    this.runner = new TaskRunner(this.store, platform, this.#registrar, dir, {
      credentials,
      defaultStopTimeoutMs: options.defaultStopTimeoutMs,
    });
    this.scheduler = new ServiceScheduler(this.store, this.runner, this.#registrar, platform, options);
    this.runner.onStopped = (stored) => this.scheduler.taskStopped(stored);
    this.clusters = new ClusterOperations(this.store);
    this.operations = this.#gated({
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
    });
  }

  #gated(handlers: Record<string, OperationHandler>): Record<string, OperationHandler> {
    const out: Record<string, OperationHandler> = {};
    for (const [name, handler] of Object.entries(handlers)) {
      out[name] = async (input, ctx) => {
        await this.#started;
        return handler(input, ctx);
      };
    }
    return out;
  }

  /**
   * Runs the service scheduler under leadership `ecs:scheduler`. On the embedded engine this node
   * leads at once, and start resolves after the sweep that marks the tasks of the previous run STOPPED.
   */
  start(): Promise<void> {
    let first: Promise<void> | undefined;
    this.#stopLeading = this.#platform.storage.leadership.lead(SCHEDULER_ROLE, (signal) => (first = this.scheduler.lead(signal)));
    const started = Promise.all([this.store.ready(), first]).then(() => {});
    this.#started = started;
    return started;
  }

  async close(): Promise<void> {
    this.scheduler.close();
    this.#stopLeading?.();
    await this.runner.shutdown();
    await this.store.close();
  }

  /** Sets a service's desired count from outside (Application Auto Scaling's hook). */
  async setDesiredCount(scope: Scope, cluster: string, service: string, desiredCount: number): Promise<void> {
    await this.#started;
    await this.scheduler.setDesiredCount(scope, cluster, service, desiredCount);
  }

  // ---- task definitions -----------------------------------------------------------------------

  async #taskDefinition(scope: Scope, ref: string, missing: () => Error): Promise<TaskDefinition> {
    const parsed = parseTaskDefinitionRef(ref);
    const def = await this.store.getTaskDefinition(scope, parsed.family, parsed.revision);
    if (!def || def.status === 'DELETE_IN_PROGRESS') throw missing();
    return def;
  }

  /** The next revision of the family, numbered in the store's transaction (unique across nodes). */
  async registerTaskDefinition(input: Input, ctx: RequestContext) {
    const canRunImages = detectContainerRuntime() !== null;
    const def = await this.store.registerTaskDefinition(ctx, String(input.family ?? ''), (revision) => {
      const built = buildTaskDefinition(input as RegisterInput, ctx, revision, canRunImages, ctx.identity.arn);
      built.tags = input.tags ?? [];
      return built;
    });
    const { tags, ...taskDefinition } = def;
    return { taskDefinition: toWire(taskDefinition), tags: tags ?? [] };
  }

  async deregisterTaskDefinition(input: Input, ctx: RequestContext) {
    const parsed = parseTaskDefinitionRef(input.taskDefinition);
    if (parsed.revision === undefined) throw new ClientException('Invalid revision number. Number: ' + input.taskDefinition);
    const def = await this.store.updateTaskDefinition(ctx, parsed.family, parsed.revision, (def) => {
      if (def.status !== 'ACTIVE') return false;
      def.status = 'INACTIVE';
      def.deregisteredAt = new Date().toISOString();
    });
    if (!def || def.status === 'DELETE_IN_PROGRESS') throw new ClientException('The specified task definition does not exist.');
    const { tags: _tags, ...taskDefinition } = def;
    return { taskDefinition: toWire(taskDefinition) };
  }

  async deleteTaskDefinitions(input: Input, ctx: RequestContext) {
    const taskDefinitions: unknown[] = [];
    const failures: { arn: string; reason: string; detail?: string }[] = [];
    const missing = (arn: string) => failures.push({ arn, reason: 'The specified task definition does not exist.' });
    for (const ref of input.taskDefinitions as string[]) {
      let parsed;
      try {
        parsed = parseTaskDefinitionRef(ref);
      } catch {
        missing(ref);
        continue;
      }
      let before: TaskDefinition['status'] | undefined;
      const def = await this.store.updateTaskDefinition(ctx, parsed.family, parsed.revision, (def) => {
        before = def.status;
        if (def.status === 'ACTIVE' || def.status === 'DELETE_IN_PROGRESS') return false;
        def.status = 'DELETE_IN_PROGRESS';
        def.deleteRequestedAt = new Date().toISOString();
      });
      if (!def || before === 'DELETE_IN_PROGRESS') missing(ref);
      else if (before === 'ACTIVE') {
        failures.push({ arn: def.taskDefinitionArn, reason: 'The specified task definition is still in ACTIVE status. Please deregister the target and try again.' });
      } else {
        const { tags: _tags, ...out } = def;
        taskDefinitions.push(toWire(out));
      }
    }
    return { taskDefinitions, failures };
  }

  async describeTaskDefinition(input: Input, ctx: RequestContext) {
    const def = await this.#taskDefinition(ctx, input.taskDefinition, () => new ClientException('Unable to describe task definition.'));
    const { tags, ...taskDefinition } = def;
    return { taskDefinition: toWire(taskDefinition), ...(input.include?.includes('TAGS') ? { tags: tags ?? [] } : {}) };
  }

  async listTaskDefinitions(input: Input, ctx: RequestContext) {
    const defs = await this.store.listTaskDefinitions(ctx, {
      familyPrefix: input.familyPrefix,
      status: input.status ?? 'ACTIVE',
      descending: input.sort === 'DESC',
    });
    const { items, nextToken } = page(defs.map((d) => d.taskDefinitionArn), input.nextToken, input.maxResults);
    return { taskDefinitionArns: items, nextToken };
  }

  async listTaskDefinitionFamilies(input: Input, ctx: RequestContext) {
    const families = await this.store.listFamilies(ctx, { familyPrefix: input.familyPrefix, status: input.status ?? 'ACTIVE' });
    const { items, nextToken } = page(families, input.nextToken, input.maxResults);
    return { families: items, nextToken };
  }

  // ---- tasks ----------------------------------------------------------------------------------

  /** Launches here on the scheduler's leader; elsewhere the tasks are queued for the leader to start. */
  async runTask(input: Input, ctx: RequestContext) {
    const cluster = await this.clusters.resolve(ctx, input.cluster, true);
    const count = input.count ?? 1;
    if (!Number.isInteger(count) || count < 1 || count > 10) throw new InvalidParameterException('Count must be between 1 and 10.');
    const definition = await this.#taskDefinition(ctx, input.taskDefinition, () => new InvalidParameterException('TaskDefinition not found.'));
    if (definition.status !== 'ACTIVE') throw new ClientException('TaskDefinition is inactive');
    const here = this.#platform.storage.leadership.isLeader(SCHEDULER_ROLE);
    if (input.group !== undefined && input.group.startsWith('service:')) {
      throw new InvalidParameterException('Invalid group: the service: prefix is reserved.');
    }
    const tasks: Task[] = [];
    const failures: { arn?: string; reason: string; detail?: string }[] = [];
    for (let i = 0; i < count; i++) {
      const request = {
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
      };
      const result = here ? await this.runner.launch(request) : await this.runner.enqueue(request);
      if ('failure' in result) failures.push({ arn: cluster.clusterArn, ...result.failure });
      else tasks.push(result.task);
    }
    if (!here && tasks.length > 0) this.scheduler.kick();
    return { tasks: tasks.map((t) => toWire(t)), failures };
  }

  async #findTask(scope: Scope, clusterName: string, ref: string): Promise<StoredTask | undefined> {
    const id = idOf(ref);
    const stored = await this.store.getTask(scope, id);
    return stored && stored.internal.clusterName === clusterName ? stored : undefined;
  }

  async stopTask(input: Input, ctx: RequestContext) {
    const cluster = await this.clusters.resolve(ctx, input.cluster);
    const stored = await this.#findTask(ctx, cluster.clusterName, input.task);
    if (!stored) throw new InvalidParameterException('The referenced task was not found.');
    const taskId = idOf(stored.task.taskArn);
    if (stored.task.desiredStatus === 'RUNNING') {
      const request = { reason: input.reason ?? 'Task stopped by user', stopCode: 'UserInitiated', drain: true };
      await this.runner.requestStop(ctx, taskId, request);
      // The node that runs the task's processes stops them: this one, or the leader on its next sweep.
      if (!this.runner.isStopping(taskId)) void this.runner.stop(ctx, taskId, request);
      else this.scheduler.kick();
    }
    const after = (await this.store.getTask(ctx, taskId))!;
    return { task: toWire(after.task) };
  }

  async describeTasks(input: Input, ctx: RequestContext) {
    const cluster = await this.clusters.resolve(ctx, input.cluster);
    const tasks: Task[] = [];
    const failures: { arn: string; reason: string }[] = [];
    for (const ref of (input.tasks ?? []) as string[]) {
      const stored = await this.#findTask(ctx, cluster.clusterName, ref);
      if (stored) tasks.push(toWire(withTags(stored.task, input.include)));
      else failures.push({ arn: ref, reason: 'MISSING' });
    }
    return { tasks, failures };
  }

  async listTasks(input: Input, ctx: RequestContext) {
    const cluster = await this.clusters.resolve(ctx, input.cluster);
    if (input.serviceName && !(await this.store.getService(ctx, cluster.clusterName, this.#serviceName(input.serviceName)))) {
      throw new ServiceNotFoundException();
    }
    const desired = input.desiredStatus ?? 'RUNNING';
    const family = input.family;
    const arns = (await this.store.listTasks(ctx, cluster.clusterName))
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

  async #serviceView(scope: Scope, stored: StoredService, include?: string[]): Promise<Service> {
    const service = structuredClone(stored.service);
    const cluster = service.clusterArn.slice(service.clusterArn.lastIndexOf('/') + 1);
    const live = (await this.store.listTasks(scope, cluster))
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

  /** ECS's rules for `serviceRegistries`: one registry, a Cloud Map service ARN, a container and port of the task definition. */
  #checkServiceRegistries(registries: ServiceRegistryRef[], def: TaskDefinition): void {
    if (registries.length > 1) throw new InvalidParameterException('Each service may be associated with one service registry. Multiple service registries for each service is not supported.');
    for (const registry of registries) {
      if (!cloudMapServiceId(registry.registryArn ?? '')) throw new InvalidParameterException(`Invalid registryArn: ${registry.registryArn ?? ''}. It must be the ARN of a Cloud Map service.`);
      if (registry.containerName === undefined) continue;
      const container = def.containerDefinitions.find((c) => c.name === registry.containerName);
      if (!container) throw new InvalidParameterException(`The container ${registry.containerName} does not exist in the task definition.`);
      if (registry.containerPort !== undefined && !(container.portMappings ?? []).some((p) => p.containerPort === registry.containerPort)) {
        throw new InvalidParameterException(`The container ${registry.containerName} did not have a container port ${registry.containerPort} defined.`);
      }
    }
  }

  async createService(input: Input, ctx: RequestContext) {
    const cluster = await this.clusters.resolve(ctx, input.cluster, true);
    const name: string = input.serviceName;
    if (!SERVICE_NAME.test(name ?? '')) {
      throw new InvalidParameterException('Service name must be 1-255 characters: letters, numbers, hyphens and underscores.');
    }
    if (input.deploymentController?.type && input.deploymentController.type !== 'ECS') {
      throw new InvalidParameterException(`Deployment controller ${input.deploymentController.type} is not supported by Atoll.`);
    }
    const refuseExisting = (existing: StoredService | undefined) => {
      if (existing?.service.status === 'ACTIVE') throw new InvalidParameterException('Creation of service was not idempotent.');
      if (existing?.service.status === 'DRAINING') throw new InvalidParameterException('Unable to Start a service that is still Draining.');
    };
    refuseExisting(await this.store.getService(ctx, cluster.clusterName, name));
    if (!input.taskDefinition) throw new InvalidParameterException('TaskDefinition must be specified.');
    const def = await this.#taskDefinition(ctx, input.taskDefinition, () => new InvalidParameterException('TaskDefinition not found.'));
    if (def.status !== 'ACTIVE') throw new InvalidParameterException('TaskDefinition is inactive');
    const desiredCount = input.schedulingStrategy === 'DAEMON' ? 1 : (input.desiredCount ?? 0);
    if (!Number.isInteger(desiredCount) || desiredCount < 0) throw new InvalidParameterException('Invalid desiredCount.');
    const loadBalancers: LoadBalancerRef[] = input.loadBalancers ?? [];
    await this.#checkLoadBalancers(ctx, loadBalancers, def);
    const serviceRegistries: ServiceRegistryRef[] = input.serviceRegistries ?? [];
    this.#checkServiceRegistries(serviceRegistries, def);
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
      serviceRegistries,
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
    // Checked again in the write's transaction: another node may create the same service meanwhile.
    const stored: StoredService = { service, internal: { accountId: ctx.accountId, region: ctx.region, steady: false } };
    await this.store.createService(stored, refuseExisting);
    this.scheduler.kick(service.serviceArn);
    return { service: await this.#serviceView(ctx, stored, ['TAGS']) };
  }

  #checkActive(stored: StoredService | undefined): StoredService {
    if (!stored) throw new ServiceNotFoundException();
    if (stored.service.status !== 'ACTIVE') throw new ServiceNotActiveException();
    return stored;
  }

  async updateService(input: Input, ctx: RequestContext) {
    const cluster = await this.clusters.resolve(ctx, input.cluster);
    const name = this.#serviceName(input.service);
    const service = this.#checkActive(await this.store.getService(ctx, cluster.clusterName, name)).service;
    let def: TaskDefinition | undefined;
    if (input.taskDefinition) {
      def = await this.#taskDefinition(ctx, input.taskDefinition, () => new InvalidParameterException('TaskDefinition not found.'));
      if (def.status !== 'ACTIVE') throw new InvalidParameterException('TaskDefinition is inactive');
    }
    const loadBalancers: LoadBalancerRef[] | undefined = input.loadBalancers;
    const effectiveDef = def ?? (await this.#taskDefinition(ctx, service.taskDefinition, () => new InvalidParameterException('TaskDefinition not found.')));
    if (loadBalancers) await this.#checkLoadBalancers(ctx, loadBalancers, effectiveDef);
    const serviceRegistries: ServiceRegistryRef[] | undefined = input.serviceRegistries;
    if (serviceRegistries) this.#checkServiceRegistries(serviceRegistries, effectiveDef);
    if (input.desiredCount !== undefined) {
      if (!Number.isInteger(input.desiredCount) || input.desiredCount < 0) throw new InvalidParameterException('Invalid desiredCount.');
    }
    // One transaction, after the awaits, so that concurrent scheduler changes (on any node) are kept.
    let newDeploymentNeeded = false;
    const fresh = await this.store.updateService(ctx, cluster.clusterName, name, (fresh) => {
      const s = this.#checkActive(fresh).service;
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
      if (serviceRegistries) s.serviceRegistries = serviceRegistries;
      if (input.networkConfiguration) s.networkConfiguration = input.networkConfiguration;
      if (input.enableExecuteCommand !== undefined) s.enableExecuteCommand = input.enableExecuteCommand;
      if (input.propagateTags !== undefined) s.propagateTags = input.propagateTags;
      newDeploymentNeeded =
        (def && def.taskDefinitionArn !== s.taskDefinition) || input.forceNewDeployment === true || loadBalancers !== undefined || serviceRegistries !== undefined || input.networkConfiguration !== undefined;
      const primary = s.deployments.find((d) => d.status === 'PRIMARY');
      if (newDeploymentNeeded) {
        if (def) s.taskDefinition = def.taskDefinitionArn;
        for (const d of s.deployments) d.status = 'ACTIVE';
        s.deployments.unshift(newDeployment(s.taskDefinition, s.desiredCount, s.launchType, s.networkConfiguration));
      } else if (primary) {
        primary.desiredCount = s.desiredCount;
        primary.updatedAt = new Date().toISOString();
      }
      fresh.internal.steady = false;
    });
    if (!fresh) throw new ServiceNotFoundException();
    this.scheduler.kick(newDeploymentNeeded ? fresh.service.serviceArn : undefined);
    return { service: await this.#serviceView(ctx, fresh, ['TAGS']) };
  }

  async deleteService(input: Input, ctx: RequestContext) {
    const cluster = await this.clusters.resolve(ctx, input.cluster);
    const stored = await this.store.updateService(ctx, cluster.clusterName, this.#serviceName(input.service), ({ service }) => {
      if (service.status === 'INACTIVE') throw new ServiceNotFoundException();
      if (service.status === 'DRAINING') throw new ServiceNotActiveException();
      if (service.desiredCount > 0 && !input.force) {
        throw new InvalidParameterException('The service cannot be stopped while it is scaled above 0.');
      }
      service.status = 'DRAINING';
      service.desiredCount = 0;
      for (const d of service.deployments) d.desiredCount = 0;
      addEvent(service, `(service ${service.serviceName}) has been deleted.`);
    });
    if (!stored) throw new ServiceNotFoundException();
    this.scheduler.kick();
    return { service: await this.#serviceView(ctx, stored, ['TAGS']) };
  }

  async describeServices(input: Input, ctx: RequestContext) {
    const cluster = await this.clusters.resolve(ctx, input.cluster);
    const refs: string[] = input.services ?? [];
    if (refs.length > 10) throw new InvalidParameterException('services can have at most 10 items.');
    const services: Service[] = [];
    const failures: { arn: string; reason: string }[] = [];
    for (const ref of refs) {
      const stored = await this.store.getService(ctx, cluster.clusterName, this.#serviceName(ref));
      if (stored) services.push(await this.#serviceView(ctx, stored, input.include));
      else {
        const arn = ref.startsWith('arn:') ? ref : formatArn({ service: 'ecs', region: ctx.region, accountId: ctx.accountId, resource: `service/${cluster.clusterName}/${ref}` });
        failures.push({ arn, reason: 'MISSING' });
      }
    }
    return { services, failures };
  }

  async listServices(input: Input, ctx: RequestContext) {
    const cluster = await this.clusters.resolve(ctx, input.cluster);
    const arns = (await this.store.listServices(ctx, cluster.clusterName))
      .filter((s) => s.service.status !== 'INACTIVE')
      .filter((s) => !input.launchType || s.service.launchType === input.launchType)
      .filter((s) => !input.schedulingStrategy || s.service.schedulingStrategy === input.schedulingStrategy)
      .map((s) => s.service.serviceArn);
    const { items, nextToken } = page(arns, input.nextToken, input.maxResults);
    return { serviceArns: items, nextToken };
  }

  // ---- tags ---------------------------------------------------------------------------------

  async tagResource(input: Input, ctx: RequestContext) {
    const incoming: Tag[] = input.tags ?? [];
    await changeTags(this.store, ctx, input.resourceArn, (tags) => {
      const merged = [...tags.filter((t) => !incoming.some((n) => n.key === t.key)), ...incoming];
      if (merged.length > 50) throw new InvalidParameterException('Too many tags: a resource can have at most 50 tags.');
      return merged;
    });
    return {};
  }

  async untagResource(input: Input, ctx: RequestContext) {
    const keys: string[] = input.tagKeys ?? [];
    await changeTags(this.store, ctx, input.resourceArn, (tags) => tags.filter((t) => !keys.includes(t.key ?? '')));
    return {};
  }

  async listTagsForResource(input: Input, ctx: RequestContext) {
    return { tags: await changeTags(this.store, ctx, input.resourceArn) };
  }
}
