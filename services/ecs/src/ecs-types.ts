// The ECS documents Atoll keeps and returns: clusters, task definitions, tasks and services in the
// shapes of the ECS API (model member names), plus the internal fields the scheduler needs.
// (Replaced by the generated `@atoll/aws-models/ecs` shapes where they match once they exist.)
import type { RegisteredInstance } from './cloud-map-registrar.js';

export interface Tag {
  key?: string;
  value?: string;
}

export interface KeyValuePair {
  name?: string;
  value?: string;
}

export interface PortMapping {
  containerPort?: number;
  hostPort?: number;
  protocol?: string;
  name?: string;
  appProtocol?: string;
}

export interface HealthCheck {
  command: string[];
  interval?: number;
  timeout?: number;
  retries?: number;
  startPeriod?: number;
}

export interface ContainerDefinition {
  name?: string;
  image?: string;
  cpu?: number;
  memory?: number;
  memoryReservation?: number;
  essential?: boolean;
  entryPoint?: string[];
  command?: string[];
  workingDirectory?: string;
  environment?: KeyValuePair[];
  secrets?: { name: string; valueFrom: string }[];
  portMappings?: PortMapping[];
  healthCheck?: HealthCheck;
  stopTimeout?: number;
  logConfiguration?: { logDriver: string; options?: Record<string, string> };
  [key: string]: unknown;
}

export interface TaskDefinition {
  taskDefinitionArn: string;
  family: string;
  revision: number;
  status: 'ACTIVE' | 'INACTIVE' | 'DELETE_IN_PROGRESS';
  containerDefinitions: ContainerDefinition[];
  networkMode?: string;
  cpu?: string;
  memory?: string;
  taskRoleArn?: string;
  executionRoleArn?: string;
  registeredAt: Date | string;
  deregisteredAt?: Date | string;
  [key: string]: unknown;
}

export interface Cluster {
  clusterArn: string;
  clusterName: string;
  status: 'ACTIVE' | 'INACTIVE';
  tags?: Tag[];
  settings?: { name: string; value: string }[];
  [key: string]: unknown;
}

export interface NetworkBinding {
  bindIP: string;
  containerPort: number;
  hostPort: number;
  protocol: string;
}

export interface Container {
  containerArn: string;
  taskArn: string;
  name: string;
  image?: string;
  lastStatus: string;
  exitCode?: number;
  reason?: string;
  networkBindings: NetworkBinding[];
  healthStatus: 'HEALTHY' | 'UNHEALTHY' | 'UNKNOWN';
  cpu?: string;
  memory?: string;
  essential?: boolean;
  [key: string]: unknown;
}

export type TaskStatus = 'PROVISIONING' | 'PENDING' | 'ACTIVATING' | 'RUNNING' | 'DEACTIVATING' | 'STOPPING' | 'DEPROVISIONING' | 'STOPPED';

export interface RegisteredTarget {
  targetGroupArn: string;
  id: string;
  port: number;
}

/** Scheduler bookkeeping kept with a task; never returned to callers. */
export interface TaskInternal {
  accountId: string;
  region: string;
  clusterName: string;
  serviceName?: string;
  deploymentId?: string;
  /** pid and start time of each container process, to kill leftovers after a crash. */
  processes: { container: string; pid: number; startTime?: string }[];
  targets: RegisteredTarget[];
  /** Cloud Map instances registered for the task (its service's `serviceRegistries`); absent in older records. */
  instances?: RegisteredInstance[];
  /** Set when the scheduler stopped the task because it failed (health checks). */
  failed?: boolean;
  logStreams: { container: string; logGroup: string; logStream: string; file: string }[];
  /** The node (TaskRunner.nodeId) whose processes run the task; absent while queued and in older records. */
  node?: string;
  /** Recorded by RunTask on a node that does not lead the scheduler: the leader starts it. */
  queued?: boolean;
  /** The task role its containers get credentials for (task-credentials.ts), and the SHA-256 of their token. */
  taskRoleArn?: string;
  credentialsTokenHash?: string;
  /** The execution role session assumed when the task started (`arn:aws:sts::…:assumed-role/…`), or the role in permissive mode. */
  executionRoleSession?: string;
}

export interface Task {
  taskArn: string;
  clusterArn: string;
  taskDefinitionArn: string;
  containers: Container[];
  lastStatus: TaskStatus;
  desiredStatus: 'RUNNING' | 'STOPPED';
  healthStatus: 'HEALTHY' | 'UNHEALTHY' | 'UNKNOWN';
  createdAt: string;
  startedAt?: string;
  stoppingAt?: string;
  stoppedAt?: string;
  stopCode?: string;
  stoppedReason?: string;
  group?: string;
  startedBy?: string;
  launchType: string;
  cpu?: string;
  memory?: string;
  version: number;
  tags?: Tag[];
  [key: string]: unknown;
}

export interface Deployment {
  id: string;
  status: 'PRIMARY' | 'ACTIVE' | 'INACTIVE';
  taskDefinition: string;
  desiredCount: number;
  pendingCount: number;
  runningCount: number;
  failedTasks: number;
  createdAt: string;
  updatedAt: string;
  launchType: string;
  rolloutState: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';
  rolloutStateReason: string;
  networkConfiguration?: unknown;
}

export interface ServiceEvent {
  id: string;
  createdAt: string;
  message: string;
}

export interface LoadBalancerRef {
  targetGroupArn?: string;
  loadBalancerName?: string;
  containerName?: string;
  containerPort?: number;
}

/** A service's Cloud Map registry: its tasks become instances of that Cloud Map service. */
export interface ServiceRegistryRef {
  registryArn?: string;
  port?: number;
  containerName?: string;
  containerPort?: number;
}

export interface DeploymentConfiguration {
  deploymentCircuitBreaker?: { enable: boolean; rollback: boolean };
  maximumPercent?: number;
  minimumHealthyPercent?: number;
}

export interface ServiceInternal {
  accountId: string;
  region: string;
  /** True once "has reached a steady state" was reported for the current state. */
  steady: boolean;
  lastCompleted?: { id: string; taskDefinition: string };
}

export interface Service {
  serviceArn: string;
  serviceName: string;
  clusterArn: string;
  loadBalancers: LoadBalancerRef[];
  serviceRegistries: ServiceRegistryRef[];
  status: 'ACTIVE' | 'DRAINING' | 'INACTIVE';
  desiredCount: number;
  runningCount: number;
  pendingCount: number;
  launchType: string;
  taskDefinition: string;
  deploymentConfiguration: DeploymentConfiguration;
  deployments: Deployment[];
  events: ServiceEvent[];
  createdAt: string;
  schedulingStrategy: string;
  healthCheckGracePeriodSeconds?: number;
  tags?: Tag[];
  [key: string]: unknown;
}
