// Runs ECS tasks on the process supervisor: port allocation, environment and secrets, the task
// lifecycle (PROVISIONING → PENDING → RUNNING → DEACTIVATING → STOPPING → DEPROVISIONING → STOPPED),
// container exits and health, log streams, and the sweep that the node leading the scheduler runs:
// it starts tasks queued by other nodes, stops tasks whose stop was asked for on another node, and
// marks STOPPED the tasks left by a node that restarted or stopped leading.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatArn, newUuid, randomHex, type CallContext, type Logger, type PlatformContext } from '@atoll/core';
import {
  LogStreamWriter,
  PortAllocator,
  PortInUseError,
  SupervisedProcess,
  containerCliEnvironment,
  containerRunArgv,
  detectContainerRuntime,
  healthCheckArgv,
  killLeftoverProcessGroup,
  portEnvironment,
  type ExitInfo,
  type HealthStatus,
  type PortBinding,
} from '@atoll/supervisor';
import type { EcsStore, Scope, StoredTask } from './ecs-store.js';
import type { Container, ContainerDefinition, Task, TaskDefinition, TaskInternal, TaskStatus } from './ecs-types.js';
import { CloudMapRegistrar, type RegisteredInstance } from './cloud-map-registrar.js';
import type { LoadBalancerRegistrar } from './load-balancer-registrar.js';
import { parseTaskDefinitionRef } from './task-definitions.js';
import type { TaskCredentials } from './task-credentials.js';


export interface ContainerOverride {
  name?: string;
  command?: string[];
  environment?: { name?: string; value?: string }[];
  cpu?: number;
  memory?: number;
}

export interface LaunchRequest {
  scope: Scope;
  clusterName: string;
  clusterArn: string;
  definition: TaskDefinition;
  group?: string;
  startedBy?: string;
  serviceName?: string;
  deploymentId?: string;
  overrides?: { containerOverrides?: ContainerOverride[]; [key: string]: unknown };
  tags?: { key?: string; value?: string }[];
  launchType?: string;
  enableExecuteCommand?: boolean;
}

export type LaunchResult = { task: Task } | { failure: { arn?: string; reason: string; detail?: string } };

export interface StopRequest {
  reason: string;
  stopCode: string;
  /** Deregister load balancer targets and wait for the deregistration delay first. */
  drain?: boolean;
  /** The scheduler stopped the task because it failed (counts against the deployment). */
  failed?: boolean;
}

interface Runtime {
  scope: Scope;
  processes: Map<string, SupervisedProcess>;
  bindings: Map<string, PortBinding[]>;
  logs: LogStreamWriter[];
  launching?: Promise<void>;
  /** Names of the essential containers that have a health check (they decide the task's health). */
  checked: string[];
  stopping?: Promise<void>;
  stopRequested: boolean;
  stopRequest?: StopRequest;
  /** Containers' exits being recorded: a stop waits for them, so STOPPED is never seen without exit codes. */
  exits: Set<Promise<void>>;
}

export interface TaskRunnerOptions {
  /** Serves the task role's credentials (the container credentials endpoint). */
  credentials: TaskCredentials;
  /** Default time between SIGTERM and SIGKILL when a container sets no stopTimeout (ECS: 30 s). */
  defaultStopTimeoutMs?: number;
}

const now = () => new Date().toISOString();

export class TaskRunner {
  readonly #store: EcsStore;
  readonly #platform: PlatformContext;
  readonly #logger: Logger;
  readonly #registrar: LoadBalancerRegistrar;
  readonly #cloudMap: CloudMapRegistrar;
  readonly #ports = new PortAllocator();
  readonly #runtimes = new Map<string, Runtime>();
  readonly #dataDir: string;
  readonly #options: TaskRunnerOptions;
  /** Tasks being taken over from the queue (another node's RunTask). */
  readonly #adopting = new Set<string>();
  /** This process's id, recorded on the tasks it runs: another node's live tasks are left over. */
  readonly nodeId = randomHex(8);
  /** Called once a task has reached STOPPED on this node. */
  onStopped: (stored: StoredTask) => void = () => {};

  constructor(store: EcsStore, platform: PlatformContext, registrar: LoadBalancerRegistrar, dataDir: string, options: TaskRunnerOptions) {
    this.#store = store;
    this.#platform = platform;
    this.#logger = platform.logger;
    this.#registrar = registrar;
    this.#cloudMap = new CloudMapRegistrar(platform);
    this.#dataDir = dataDir;
    this.#options = options;
  }

  /** The directory holding secret values: one file per secret, named after the secret (see resolveSecret). */
  get secretsDir(): string {
    return join(this.#dataDir, 'secrets');
  }

  /**
   * Creates a task and starts launching it on this node (the scheduler's leader). Fixed host ports
   * are checked now: a taken port gives the `RESOURCE:PORTS` failure, as ECS reports it, and no task.
   */
  async launch(request: LaunchRequest): Promise<LaunchResult> {
    const { scope, definition } = request;
    const taskId = randomHex(16);
    const allocated = await this.#allocate(definition);
    if ('failure' in allocated) return allocated;
    const stored = this.#newTask(request, taskId, allocated.bindings);
    stored.internal.node = this.nodeId;
    // The runtime exists before the record, so that a sweep never takes the task for a leftover.
    const runtime = this.#newRuntime(scope, definition, allocated.bindings);
    this.#runtimes.set(taskId, runtime);
    try {
      await this.#store.putTask(stored);
    } catch (error) {
      this.#runtimes.delete(taskId);
      for (const b of allocated.bindings.values()) this.#ports.release(b);
      throw error;
    }
    this.#begin(taskId, scope, definition, request.overrides?.containerOverrides ?? [], runtime);
    return { task: stored.task };
  }

  /**
   * Records a task for the scheduler's leader to start (RunTask on a node that does not lead): it
   * stays PROVISIONING, without network bindings, until the leader's sweep adopts it.
   */
  async enqueue(request: LaunchRequest): Promise<LaunchResult> {
    const stored = this.#newTask(request, randomHex(16), undefined);
    stored.internal.queued = true;
    await this.#store.putTask(stored);
    return { task: stored.task };
  }

  async #allocate(definition: TaskDefinition): Promise<{ bindings: Map<string, PortBinding[]> } | { failure: { reason: string; detail?: string } }> {
    const bindings = new Map<string, PortBinding[]>();
    try {
      for (const c of definition.containerDefinitions) {
        const fixed = definition.networkMode === 'bridge' || definition.networkMode === 'host';
        bindings.set(
          c.name!,
          await this.#ports.allocate(
            (c.portMappings ?? []).map((p) => ({
              containerPort: p.containerPort!,
              hostPort: fixed && p.hostPort ? p.hostPort : undefined,
              protocol: p.protocol === 'udp' ? 'udp' : 'tcp',
            })),
          ),
        );
      }
    } catch (error) {
      for (const b of bindings.values()) this.#ports.release(b);
      if (error instanceof PortInUseError) return { failure: { reason: 'RESOURCE:PORTS', detail: error.message } };
      throw error;
    }
    return { bindings };
  }

  #newRuntime(scope: Scope, definition: TaskDefinition, bindings: Map<string, PortBinding[]>): Runtime {
    const checked = definition.containerDefinitions.filter((c) => c.healthCheck && c.essential !== false).map((c) => c.name!);
    return { scope, processes: new Map(), bindings, logs: [], stopRequested: false, checked, exits: new Set() };
  }

  #begin(taskId: string, scope: Scope, definition: TaskDefinition, overrides: ContainerOverride[], runtime: Runtime): void {
    runtime.launching = this.#start(taskId, scope, definition, overrides).catch((error: unknown) => {
      this.#logger.error({ err: error, taskId }, 'ecs: task launch failed');
      void this.stop(scope, taskId, { reason: `CannotStartContainerError: ${(error as Error).message}`, stopCode: 'TaskFailedToStart' });
    });
  }

  /** The documents of a new task; without `bindings` (a queued task) its containers have no network bindings yet. */
  #newTask(request: LaunchRequest, taskId: string, bindings: Map<string, PortBinding[]> | undefined): StoredTask {
    const { scope, definition } = request;
    const taskArn = formatArn({ service: 'ecs', region: scope.region, accountId: scope.accountId, resource: `task/${request.clusterName}/${taskId}` });
    const overrides = request.overrides?.containerOverrides ?? [];
    // In awsvpc mode a task has an ENI; Atoll's tasks share the host's loopback, so the ENI says so.
    const eni = definition.networkMode === 'awsvpc' ? { id: newUuid(), eniId: `eni-${randomHex(8)}` } : undefined;
    const containers: Container[] = definition.containerDefinitions.map((c) => {
      const override = overrides.find((o) => o.name === c.name);
      return {
        containerArn: formatArn({ service: 'ecs', region: scope.region, accountId: scope.accountId, resource: `container/${request.clusterName}/${taskId}/${newUuid()}` }),
        taskArn,
        name: c.name!,
        image: c.image,
        lastStatus: 'PENDING',
        networkBindings: networkBindings(bindings?.get(c.name!)),
        networkInterfaces: eni ? [{ attachmentId: eni.id, privateIpv4Address: '127.0.0.1' }] : [],
        healthStatus: 'UNKNOWN',
        cpu: String(override?.cpu ?? c.cpu ?? 0),
        ...((override?.memory ?? c.memory) !== undefined ? { memory: String(override?.memory ?? c.memory) } : {}),
        ...(c.memoryReservation !== undefined ? { memoryReservation: String(c.memoryReservation) } : {}),
        essential: c.essential !== false,
      };
    });
    const createdAt = now();
    const task: Task = {
      attachments: eni
        ? [
            {
              id: eni.id,
              type: 'ElasticNetworkInterface',
              status: 'ATTACHED',
              details: [
                { name: 'subnetId', value: 'subnet-atoll' },
                { name: 'networkInterfaceId', value: eni.eniId },
                { name: 'privateIPv4Address', value: '127.0.0.1' },
              ],
            },
          ]
        : [],
      attributes: [],
      availabilityZone: `${scope.region}a`,
      clusterArn: request.clusterArn,
      connectivity: 'CONNECTED',
      connectivityAt: createdAt,
      containers,
      cpu: definition.cpu,
      memory: definition.memory,
      createdAt,
      desiredStatus: 'RUNNING',
      enableExecuteCommand: request.enableExecuteCommand ?? false,
      group: request.group ?? `family:${definition.family}`,
      healthStatus: 'UNKNOWN',
      lastStatus: 'PROVISIONING',
      launchType: request.launchType ?? 'EC2',
      overrides: { containerOverrides: overrides, inferenceAcceleratorOverrides: [] },
      ...(request.startedBy ? { startedBy: request.startedBy } : {}),
      tags: request.tags ?? [],
      taskArn,
      taskDefinitionArn: definition.taskDefinitionArn,
      version: 1,
    };
    const internal: TaskInternal = {
      accountId: scope.accountId,
      region: scope.region,
      clusterName: request.clusterName,
      serviceName: request.serviceName,
      deploymentId: request.deploymentId,
      processes: [],
      targets: [],
      logStreams: [],
    };
    return { task, internal };
  }

  async #start(taskId: string, scope: Scope, definition: TaskDefinition, overrides: ContainerOverride[]): Promise<void> {
    const runtime = this.#runtimes.get(taskId)!;
    await new Promise((r) => setImmediate(r));
    // The containers' token for the credentials endpoint: only its hash is kept, with the task.
    const token = definition.taskRoleArn ? this.#options.credentials.newToken() : undefined;
    const stored = await this.#update(scope, taskId, (task, internal) => {
      task.lastStatus = 'PENDING';
      task.pullStartedAt = now();
      task.pullStoppedAt = now();
      if (token) {
        internal.taskRoleArn = definition.taskRoleArn;
        internal.credentialsTokenHash = token.hash;
      }
    });
    if (!stored) return;
    if (definition.executionRoleArn) {
      // The execution role is what pulls the image and reads the secrets: a role ECS cannot assume stops the task.
      try {
        const session = await this.#executionSession(stored.task.taskArn, definition.executionRoleArn, scope);
        await this.#update(scope, taskId, (_task, internal) => {
          internal.executionRoleSession = session;
        });
      } catch (error) {
        const first = definition.containerDefinitions[0]?.name ?? '';
        await this.#failStart(scope, taskId, first, `ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to assume the task execution role ${definition.executionRoleArn}: ${(error as Error).message}`, undefined);
        return;
      }
    }
    const credentials = token ? this.#options.credentials.environment(stored.task.taskArn, scope.accountId, scope.region, token.token) : {};
    const runtimeCli = detectContainerRuntime();
    for (const def of definition.containerDefinitions) {
      if (runtime.stopRequested) return;
      const name = def.name!;
      const override = overrides.find((o) => o.name === name);
      let env: Record<string, string>;
      try {
        env = this.#environment(stored, def, override, runtime.bindings.get(name)!, credentials);
      } catch (error) {
        await this.#failStart(scope, taskId, name, `ResourceInitializationError: ${(error as Error).message}`, undefined);
        return;
      }
      const command = override?.command ?? def.command ?? [];
      const entryPoint = def.entryPoint ?? [];
      const asProcess = !runtimeCli || !def.image || def.image === 'process' || def.image.startsWith('atoll/process');
      const argv = asProcess
        ? [...entryPoint, ...command]
        : containerRunArgv(runtimeCli, {
            name: `ecs-${taskId}-${name}`,
            image: def.image!,
            entryPoint: def.entryPoint,
            command,
            workingDirectory: def.workingDirectory,
            env,
            ports: runtime.bindings.get(name)!,
            memoryLimitMiB: def.memory,
            cpuShares: def.cpu,
          });
      if (argv.length === 0) {
        await this.#failStart(scope, taskId, name, `CannotStartContainerError: container ${name} has no command to run`, 127);
        return;
      }
      if (asProcess && def.workingDirectory && !existsSync(def.workingDirectory)) {
        await this.#failStart(scope, taskId, name, `CannotStartContainerError: working directory ${def.workingDirectory} does not exist`, 127);
        return;
      }
      const log = await this.#openLog(stored, definition, def, taskId);
      runtime.logs.push(log);
      const hc = def.healthCheck;
      const memory = override?.memory ?? def.memory ?? (definition.containerDefinitions.length === 1 && definition.memory ? Number(definition.memory) : undefined);
      const proc = new SupervisedProcess(
        {
          argv,
          cwd: asProcess ? def.workingDirectory : undefined,
          env: asProcess ? env : containerCliEnvironment(env),
          stopTimeoutMs: def.stopTimeout !== undefined ? def.stopTimeout * 1000 : (this.#options.defaultStopTimeoutMs ?? 30_000),
          memoryLimitBytes: asProcess && memory ? memory * 1024 * 1024 : undefined,
          log: log.sink,
          healthCheck: hc
            ? {
                argv: healthCheckArgv(hc.command),
                intervalMs: (hc.interval ?? 30) * 1000,
                timeoutMs: (hc.timeout ?? 5) * 1000,
                retries: hc.retries ?? 3,
                startPeriodMs: (hc.startPeriod ?? 0) * 1000,
              }
            : undefined,
        },
        {
          onHealthChange: (status) => this.#onHealth(scope, taskId, name, status),
          onExit: (exit) => {
            const recorded = this.#onExit(scope, taskId, name, exit).catch((error: unknown) => {
              this.#logger.error({ err: error, taskId }, 'ecs: recording a container exit failed');
            });
            runtime.exits.add(recorded);
            void recorded.finally(() => runtime.exits.delete(recorded));
          },
        },
      );
      runtime.processes.set(name, proc);
      try {
        await proc.start();
      } catch (error) {
        await this.#failStart(scope, taskId, name, `CannotStartContainerError: ${(error as Error).message}`, proc.exitInfo?.exitCode);
        return;
      }
      const identity = proc.identity!;
      await this.#update(scope, taskId, (task, internal) => {
        internal.processes.push({ container: name, pid: identity.pid, startTime: identity.startTime });
        const container = task.containers.find((c) => c.name === name)!;
        container.lastStatus = 'RUNNING';
        container.runtimeId = `${taskId}-${identity.pid}`;
      });
    }
    if (runtime.stopRequested) return;
    await this.#update(scope, taskId, (task) => {
      // A stop asked for meanwhile wins.
      if (task.desiredStatus !== 'RUNNING') return false;
      task.lastStatus = 'RUNNING';
      task.startedAt = now();
    });
  }

  async #failStart(scope: Scope, taskId: string, container: string, reason: string, exitCode: number | undefined): Promise<void> {
    await this.#update(scope, taskId, (task) => {
      const c = task.containers.find((x) => x.name === container)!;
      c.lastStatus = 'STOPPED';
      c.reason = reason;
      if (exitCode !== undefined) c.exitCode = exitCode;
    });
    // Not awaited: the stop waits for this launch to return first.
    void this.stop(scope, taskId, { reason, stopCode: 'TaskFailedToStart' });
  }

  #environment(
    stored: StoredTask,
    def: ContainerDefinition,
    override: ContainerOverride | undefined,
    bindings: PortBinding[],
    credentials: Record<string, string>,
  ): Record<string, string> {
    const { task, internal } = stored;
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      AWS_ENDPOINT_URL: this.#platform.endpoint(),
      AWS_REGION: internal.region,
      AWS_DEFAULT_REGION: internal.region,
      ...credentials,
      ...xrayDaemonEnvironment(this.#platform),
      ATOLL_TASK_ARN: task.taskArn,
      ATOLL_CLUSTER: internal.clusterName,
      ATOLL_CONTAINER_NAME: def.name!,
      ...portEnvironment(bindings),
    };
    for (const kv of def.environment ?? []) if (kv.name) env[kv.name] = kv.value ?? '';
    for (const kv of override?.environment ?? []) if (kv.name) env[kv.name] = kv.value ?? '';
    for (const secret of def.secrets ?? []) env[secret.name] = this.resolveSecret(secret.valueFrom);
    return env;
  }

  /**
   * Reads a secret's value from `<dataDir>/ecs/secrets/`: first a file named after the whole
   * `valueFrom` (URI-encoded), then one named after its last segment (after the final `:` or `/`),
   * so `arn:aws:ssm:…:parameter/prod/db-password` reads `secrets/db-password`. A trailing newline is
   * dropped. (Secrets Manager and SSM Parameter Store lookups replace this once those services exist.)
   */
  resolveSecret(valueFrom: string): string {
    const last = valueFrom.slice(Math.max(valueFrom.lastIndexOf(':'), valueFrom.lastIndexOf('/')) + 1);
    for (const name of [encodeURIComponent(valueFrom), last]) {
      const file = join(this.secretsDir, name);
      if (name && existsSync(file)) return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    }
    throw new Error(`unable to pull secrets or registry auth: secret ${valueFrom} not found in ${this.secretsDir}`);
  }

  /** Assumes the task execution role (as `ecs-tasks.amazonaws.com` for the task): the session's ARN. */
  async #executionSession(taskArn: string, roleArn: string, scope: Scope): Promise<string> {
    await this.#options.credentials.assumeOnce(roleArn, taskArn, scope.accountId, scope.region);
    const account = roleArn.split(':')[4] || scope.accountId;
    return `arn:aws:sts::${account}:assumed-role/${roleArn.slice(roleArn.lastIndexOf('/') + 1)}/${taskArn.slice(taskArn.lastIndexOf('/') + 1)}`;
  }

  async #openLog(stored: StoredTask, definition: TaskDefinition, def: ContainerDefinition, taskId: string): Promise<LogStreamWriter> {
    const options = def.logConfiguration?.logDriver === 'awslogs' ? (def.logConfiguration.options ?? {}) : {};
    const logGroup = options['awslogs-group'] ?? `/atoll/ecs/${stored.internal.clusterName}/${definition.family}`;
    const prefix = options['awslogs-stream-prefix'];
    const logStream = prefix ? `${prefix}/${def.name}/${taskId}` : `${def.name}/${taskId}`;
    const file = join(this.#dataDir, 'logs', stored.internal.accountId, stored.internal.region, encodeURIComponent(logGroup), `${encodeURIComponent(logStream)}.jsonl`);
    const writer = new LogStreamWriter(file);
    await this.#update({ accountId: stored.internal.accountId, region: stored.internal.region }, taskId, (_task, internal) => {
      internal.logStreams.push({ container: def.name!, logGroup, logStream, file });
    });
    this.#platform.bus.emit({
      type: 'ecs.LogStreamCreated',
      accountId: stored.internal.accountId,
      region: stored.internal.region,
      detail: { logGroup, logStream, file, taskArn: stored.task.taskArn, container: def.name },
    });
    return writer;
  }

  #onHealth(scope: Scope, taskId: string, container: string, status: HealthStatus): void {
    const checked = this.#runtimes.get(taskId)?.checked ?? [];
    void this.#update(scope, taskId, (task) => {
      const c = task.containers.find((x) => x.name === container);
      if (c) c.healthStatus = status;
      task.healthStatus = taskHealth(task, checked);
    });
  }

  async #onExit(scope: Scope, taskId: string, container: string, exit: ExitInfo): Promise<void> {
    const runtime = this.#runtimes.get(taskId);
    const stored = await this.#update(scope, taskId, (task) => {
      const c = task.containers.find((x) => x.name === container);
      if (!c) return;
      c.lastStatus = 'STOPPED';
      c.exitCode = exit.exitCode;
      if (exit.reason) c.reason = exit.reason;
    });
    if (!stored || !runtime || runtime.stopRequested || exit.cause === 'spawn-failed') return;
    const c = stored.task.containers.find((x) => x.name === container);
    if (c?.essential !== false) {
      void this.stop(scope, taskId, { reason: 'Essential container in task exited', stopCode: 'EssentialContainerExited' });
    }
  }

  /**
   * Asks for a task's stop on any node: desiredStatus STOPPED with the reason, at once. The node
   * that runs the task (the scheduler's leader) stops its processes (`stop`, or its sweep).
   */
  async requestStop(scope: Scope, taskId: string, request: StopRequest): Promise<StoredTask | undefined> {
    return this.#update(scope, taskId, (task, internal) => {
      if (task.desiredStatus === 'STOPPED') return false;
      task.desiredStatus = 'STOPPED';
      task.stoppingAt ??= now();
      task.stopCode ??= request.stopCode;
      task.stoppedReason ??= request.reason;
      if (request.failed) internal.failed = true;
    });
  }

  /**
   * Stops a task: desiredStatus STOPPED at once, then (with `drain`) DEACTIVATING while its targets
   * drain, STOPPING while its processes get SIGTERM and, after their stopTimeout, SIGKILL, then
   * DEPROVISIONING and STOPPED. Resolves once the task is STOPPED.
   */
  stop(scope: Scope, taskId: string, request: StopRequest): Promise<void> {
    const runtime = this.#runtimes.get(taskId);
    if (!runtime) {
      // No live processes here (already stopped, queued, or left over from before a restart).
      return this.#finishStopped(scope, taskId, request).catch((error: unknown) => {
        this.#logger.error({ err: error, taskId }, 'ecs: stopping a task failed');
      });
    }
    if (runtime.stopping) return runtime.stopping;
    runtime.stopRequested = true;
    runtime.stopRequest = request;
    // Never rejects: a stop that fails (the store closed under it) is logged, not thrown at callers.
    runtime.stopping = this.#stop(scope, taskId, runtime, request).catch((error: unknown) => {
      this.#logger.error({ err: error, taskId }, 'ecs: stopping a task failed');
    });
    return runtime.stopping;
  }

  async #stop(scope: Scope, taskId: string, runtime: Runtime, request: StopRequest): Promise<void> {
    const first = await this.#update(scope, taskId, (task, internal) => {
      task.desiredStatus = 'STOPPED';
      task.stoppingAt ??= now();
      task.stopCode ??= request.stopCode;
      task.stoppedReason ??= request.reason;
      if (request.failed) internal.failed = true;
      if (request.drain && internal.targets.length > 0) task.lastStatus = 'DEACTIVATING';
    });
    const ctx: CallContext = { accountId: scope.accountId, region: scope.region };
    // Out of service discovery first, as ECS does, then out of the load balancers (with draining).
    const instances = first?.internal.instances ?? [];
    if (instances.length > 0) {
      await this.#cloudMap.deregister(instances, ctx);
      await this.#update(scope, taskId, (_task, internal) => {
        internal.instances = [];
      });
    }
    const targets = first?.internal.targets ?? [];
    if (targets.length > 0) {
      if (request.drain) await this.#registrar.deregisterAndDrain(targets, ctx);
      else await this.#registrar.deregister(targets, ctx);
      await this.#update(scope, taskId, (_task, internal) => {
        internal.targets = [];
      });
    }
    // A launch in progress finishes its current step before the processes are stopped.
    await runtime.launching;
    await this.#update(scope, taskId, (task) => {
      task.lastStatus = 'STOPPING';
      task.executionStoppedAt ??= now();
    });
    await Promise.all([...runtime.processes.values()].map((p) => p.stop()));
    await Promise.all(runtime.exits);
    await this.#update(scope, taskId, (task) => {
      task.lastStatus = 'DEPROVISIONING';
    });
    for (const bindings of runtime.bindings.values()) this.#ports.release(bindings);
    await Promise.all(runtime.logs.map((l) => l.close()));
    // The runtime goes only after onStopped ran, so that the scheduler sees a crash (crashStopping)
    // until it has recorded it for the backoff.
    try {
      await this.#finishStopped(scope, taskId, request);
    } finally {
      this.#runtimes.delete(taskId);
    }
  }

  /** Marks the task STOPPED (once: onStopped runs for the node that made the change). */
  async #finishStopped(scope: Scope, taskId: string, request: StopRequest, containerReason?: string): Promise<void> {
    let changed = false;
    const stored = await this.#update(scope, taskId, (task, internal) => {
      changed = task.lastStatus !== 'STOPPED';
      if (!changed) return false;
      task.lastStatus = 'STOPPED';
      task.desiredStatus = 'STOPPED';
      task.stopCode ??= request.stopCode;
      task.stoppedReason ??= request.reason;
      task.stoppingAt ??= now();
      task.executionStoppedAt ??= now();
      task.stoppedAt = now();
      for (const c of task.containers) {
        if (containerReason && c.lastStatus !== 'STOPPED') c.reason ??= containerReason;
        c.lastStatus = 'STOPPED';
      }
      if (containerReason) internal.targets = [];
    });
    if (containerReason && (stored?.internal.instances?.length ?? 0) > 0) await this.#cloudMap.deregister(stored!.internal.instances!, scope);
    if (stored) this.#options.credentials.forget(stored.task.taskArn);
    if (stored && changed) this.onStopped(stored);
  }

  /** Records a registered load balancer target on the task (deregistered when it stops). */
  async addTarget(scope: Scope, taskId: string, target: TaskInternal['targets'][number]): Promise<void> {
    await this.#update(scope, taskId, (_task, internal) => {
      internal.targets.push(target);
    });
  }

  /** Records Cloud Map instances registered for the task (deregistered when it stops); the stored task after. */
  async addInstances(scope: Scope, taskId: string, instances: RegisteredInstance[]): Promise<StoredTask | undefined> {
    return this.#update(scope, taskId, (_task, internal) => {
      internal.instances = [...(internal.instances ?? []), ...instances];
    });
  }

  /** Whether this node is stopping the task because a container crashed or failed to start. */
  crashStopping(taskId: string): boolean {
    const code = this.#runtimes.get(taskId)?.stopRequest?.stopCode;
    return code === 'EssentialContainerExited' || code === 'TaskFailedToStart';
  }

  /** True unless this node runs the task and no stop was asked for. */
  isStopping(taskId: string): boolean {
    return this.#runtimes.get(taskId)?.stopRequested ?? true;
  }

  /**
   * The leader's pass over every live task: starts queued tasks (with `canStart`), stops the local
   * tasks whose stop was asked for on another node, and marks STOPPED the tasks that another node
   * left behind (a platform restart, or a node that died or stopped leading): their leftover
   * processes on this host are killed (matched by pid and start time) and their targets deregistered.
   */
  async sweep(canStart: boolean): Promise<void> {
    for (const stored of await this.#store.liveTasks()) {
      const { task, internal } = stored;
      const scope = { accountId: internal.accountId, region: internal.region };
      const taskId = idOf(task.taskArn);
      const runtime = this.#runtimes.get(taskId);
      if (runtime) {
        if (task.desiredStatus === 'STOPPED' && !runtime.stopRequested) {
          void this.stop(scope, taskId, {
            reason: task.stoppedReason ?? 'Task stopped by user',
            stopCode: task.stopCode ?? 'UserInitiated',
            drain: true,
            failed: internal.failed,
          });
        }
      } else if (internal.queued) {
        if (task.desiredStatus === 'STOPPED') await this.#finishStopped(scope, taskId, { reason: task.stoppedReason ?? 'Task stopped by user', stopCode: task.stopCode ?? 'UserInitiated' });
        else if (canStart) void this.#adopt(stored);
      } else if (internal.node === this.nodeId) {
        // Its runtime is gone but its end was not recorded (the store failed under the stop).
        if (!this.#adopting.has(taskId)) {
          await this.#finishStopped(scope, taskId, { reason: task.stoppedReason ?? 'Task stopped because its processes are gone', stopCode: task.stopCode ?? 'TerminationNotice' });
        }
      } else {
        for (const p of internal.processes) killLeftoverProcessGroup(p);
        const reason = 'Task stopped because the platform restarted';
        await this.#finishStopped(scope, taskId, { reason, stopCode: 'TerminationNotice' }, reason);
        if (internal.targets.length > 0) void this.#registrar.deregister(internal.targets, scope);
        if ((internal.instances?.length ?? 0) > 0) void this.#cloudMap.deregister(internal.instances!, scope);
      }
    }
  }

  /** Starts a task that another node queued: ports, then the claim (the task stops being queued), then the launch. */
  async #adopt(queued: StoredTask): Promise<void> {
    const taskId = idOf(queued.task.taskArn);
    if (this.#adopting.has(taskId)) return;
    this.#adopting.add(taskId);
    const scope = { accountId: queued.internal.accountId, region: queued.internal.region };
    try {
      const ref = parseTaskDefinitionRef(queued.task.taskDefinitionArn);
      const definition = await this.#store.getTaskDefinition(scope, ref.family, ref.revision);
      const allocated = definition
        ? await this.#allocate(definition)
        : { failure: { reason: 'CannotStartContainerError: the task definition no longer exists' } };
      if ('failure' in allocated) {
        const reason = allocated.failure.detail ? `${allocated.failure.reason}: ${allocated.failure.detail}` : allocated.failure.reason;
        await this.#finishStopped(scope, taskId, { reason, stopCode: 'TaskFailedToStart' });
        return;
      }
      const runtime = this.#newRuntime(scope, definition!, allocated.bindings);
      this.#runtimes.set(taskId, runtime);
      let claimed = false;
      await this.#update(scope, taskId, (task, internal) => {
        claimed = internal.queued === true && task.desiredStatus === 'RUNNING';
        if (!claimed) return false;
        delete internal.queued;
        internal.node = this.nodeId;
        for (const c of task.containers) c.networkBindings = networkBindings(allocated.bindings.get(c.name));
      });
      if (!claimed) {
        this.#runtimes.delete(taskId);
        for (const b of allocated.bindings.values()) this.#ports.release(b);
        return;
      }
      this.#begin(taskId, scope, definition!, ((queued.task.overrides as LaunchRequest['overrides'])?.containerOverrides ?? []), runtime);
    } catch (error) {
      this.#logger.error({ err: error, taskId }, 'ecs: starting a queued task failed');
    } finally {
      this.#adopting.delete(taskId);
    }
  }

  /**
   * Stops every task this node runs: at shutdown (targets deregistered without draining, stop
   * timeouts capped), or when this node stops leading the scheduler.
   */
  async stopAll(request: StopRequest, stopTimeoutCapMs?: number): Promise<void> {
    const all: Promise<void>[] = [];
    for (const [taskId, runtime] of this.#runtimes) {
      if (stopTimeoutCapMs !== undefined) for (const p of runtime.processes.values()) p.spec.stopTimeoutMs = Math.min(p.spec.stopTimeoutMs, stopTimeoutCapMs);
      all.push(this.stop(runtime.scope, taskId, request));
    }
    await Promise.all(all);
  }

  /** Stops every task this node runs (platform shutdown). */
  shutdown(stopTimeoutCapMs = 10_000): Promise<void> {
    return this.stopAll({ reason: 'Task stopped because the platform shut down', stopCode: 'TerminationNotice' }, stopTimeoutCapMs);
  }

  /**
   * Changes a task in one transaction and announces a status change. STOPPED is final: a late
   * change (from a node that lost the scheduler's leadership) never brings a task back. Undefined
   * when the task is gone or the store is closed (process callbacks can outlive it at shutdown).
   */
  async #update(scope: Scope, taskId: string, change: (task: Task, internal: TaskInternal) => boolean | void): Promise<StoredTask | undefined> {
    if (!this.#store.isOpen) return undefined;
    let before: TaskStatus | undefined;
    let stored: StoredTask | undefined;
    try {
      stored = await this.#store.updateTask(scope, taskId, ({ task, internal }) => {
        before = task.lastStatus;
        if (change(task, internal) === false) return false;
        if (before === 'STOPPED') {
          task.lastStatus = 'STOPPED';
          task.desiredStatus = 'STOPPED';
        }
        task.version++;
      });
    } catch (error) {
      if (this.#store.isOpen) this.#logger.error({ err: error, taskId }, 'ecs: updating a task failed');
      return undefined;
    }
    if (!stored) return undefined;
    if (before !== stored.task.lastStatus) {
      this.#platform.bus.emit({
        type: 'ecs.TaskStateChange',
        accountId: scope.accountId,
        region: scope.region,
        detail: { ...stored.task } as Record<string, unknown>,
      });
    }
    return stored;
  }
}

function networkBindings(bindings: readonly PortBinding[] | undefined): Container['networkBindings'] {
  return (bindings ?? []).map((b) => ({ bindIP: b.bindIP, containerPort: b.containerPort, hostPort: b.hostPort, protocol: b.protocol }));
}


export function idOf(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
}

/** A task's health: UNHEALTHY if an essential checked container is, HEALTHY once all of them are. */
export function taskHealth(task: Task, checkedNames: readonly string[]): Task['healthStatus'] {
  const checked = task.containers.filter((c) => checkedNames.includes(c.name));
  if (checked.length === 0) return 'UNKNOWN';
  if (checked.some((c) => c.healthStatus === 'UNHEALTHY')) return 'UNHEALTHY';
  return checked.every((c) => c.healthStatus === 'HEALTHY') ? 'HEALTHY' : 'UNKNOWN';
}

export type { TaskStatus };

/**
 * AWS_XRAY_DAEMON_ADDRESS for tasks: the X-Ray service's daemon address (ATOLL_XRAY_DAEMON_ADDRESS,
 * default 127.0.0.1:2000; off, as X-Ray has it, when set to `off` or when the platform listens on port 0).
 */
function xrayDaemonEnvironment(platform: PlatformContext): Record<string, string> {
  const address = process.env.ATOLL_XRAY_DAEMON_ADDRESS ?? (platform.config.port === 0 ? 'off' : '127.0.0.1:2000');
  return address === 'off' || address === '' ? {} : { AWS_XRAY_DAEMON_ADDRESS: address };
}
