// RegisterTaskDefinition's checks and defaults: turns a request into the stored task definition
// as ECS describes it (revision, ARN, container defaults), and parses task definition references.
import { formatArn } from '@atoll/core';
import { ClientException, InvalidParameterException } from './ecs-errors.js';
import type { ContainerDefinition, TaskDefinition } from './ecs-types.js';
import type { Scope } from './ecs-store.js';

const FAMILY = /^[a-zA-Z0-9_-]{1,255}$/;
const CONTAINER_NAME = /^[a-zA-Z0-9_-]{1,255}$/;

export interface RegisterInput {
  family: string;
  containerDefinitions: ContainerDefinition[];
  taskRoleArn?: string;
  executionRoleArn?: string;
  networkMode?: string;
  volumes?: unknown[];
  placementConstraints?: unknown[];
  requiresCompatibilities?: string[];
  cpu?: string;
  memory?: string;
  tags?: { key?: string; value?: string }[];
  pidMode?: string;
  ipcMode?: string;
  runtimePlatform?: unknown;
  ephemeralStorage?: unknown;
  [key: string]: unknown;
}

/**
 * Validates a registration and builds the stored definition. `canRunImages` tells whether a
 * container runtime is usable; without one, a container needs a command or an entry point, since
 * Atoll then runs it as a plain process.
 */
export function buildTaskDefinition(
  input: RegisterInput,
  scope: Scope,
  revision: number,
  canRunImages: boolean,
  registeredBy: string,
): TaskDefinition {
  if (!FAMILY.test(input.family)) {
    throw new ClientException('Family contains invalid characters. Up to 255 letters (uppercase and lowercase), numbers, hyphens, and underscores are allowed.');
  }
  const containers = input.containerDefinitions ?? [];
  if (containers.length === 0) throw new ClientException('Container list cannot be empty.');
  const names = new Set<string>();
  const networkMode = input.networkMode ?? 'bridge';
  const fargate = input.requiresCompatibilities?.includes('FARGATE') ?? false;
  if (fargate && networkMode !== 'awsvpc') {
    throw new ClientException('Fargate only supports network mode ‘awsvpc’.');
  }
  const normalized = containers.map((c) => {
    if (!c.name || !CONTAINER_NAME.test(c.name)) {
      throw new ClientException('Container name contains invalid characters. Up to 255 letters (uppercase and lowercase), numbers, hyphens, and underscores are allowed.');
    }
    if (names.has(c.name)) throw new ClientException(`Duplicate container name: ${c.name}.`);
    names.add(c.name);
    if (!c.image) throw new ClientException(`Container.image should not be null or empty.`);
    if (!input.memory && c.memory === undefined && c.memoryReservation === undefined) {
      throw new ClientException(`Invalid setting for container '${c.name}'. At least one of 'memory' or 'memoryReservation' must be specified.`);
    }
    if (c.memory !== undefined && c.memoryReservation !== undefined && c.memoryReservation > c.memory) {
      throw new ClientException(`Invalid setting for container '${c.name}'. The memory reservation must be less than or equal to the memory limit.`);
    }
    const hasProcess = (c.command?.length ?? 0) > 0 || (c.entryPoint?.length ?? 0) > 0;
    if (!hasProcess && !canRunImages) {
      throw new ClientException(
        `Container '${c.name}' has image '${c.image}' but no command or entryPoint. No container runtime (docker or podman engine) is available, ` +
          'so Atoll runs containers as processes: give the container a command (for example ["node", "server.js"]).',
      );
    }
    if (c.healthCheck) checkHealthCheck(c.name, c.healthCheck);
    if (c.stopTimeout !== undefined && (c.stopTimeout < 0 || c.stopTimeout > 120)) {
      throw new ClientException(`Invalid setting for container '${c.name}'. stopTimeout must be between 0 and 120 seconds.`);
    }
    const ports = new Set<string>();
    const portMappings = (c.portMappings ?? []).map((p) => {
      if (p.containerPort === undefined || p.containerPort < 0 || p.containerPort > 65535) {
        throw new ClientException(`Invalid 'containerPort' setting for container '${c.name}'.`);
      }
      const protocol = p.protocol ?? 'tcp';
      const key = `${p.containerPort}/${protocol}`;
      if (ports.has(key)) throw new ClientException(`Duplicate port mapping for container '${c.name}': ${key}.`);
      ports.add(key);
      let hostPort = p.hostPort;
      if (networkMode === 'awsvpc' || networkMode === 'host') {
        if (hostPort !== undefined && hostPort !== 0 && hostPort !== p.containerPort) {
          throw new ClientException(`When networkMode=${networkMode}, containerPort and hostPort must be equal.`);
        }
        hostPort = p.containerPort;
      }
      return { ...p, containerPort: p.containerPort, ...(hostPort !== undefined ? { hostPort } : {}), protocol };
    });
    return {
      ...c,
      cpu: c.cpu ?? 0,
      portMappings,
      essential: c.essential ?? true,
      environment: c.environment ?? [],
      mountPoints: (c.mountPoints as unknown[]) ?? [],
      volumesFrom: (c.volumesFrom as unknown[]) ?? [],
      systemControls: (c.systemControls as unknown[]) ?? [],
    } as ContainerDefinition;
  });
  if (!normalized.some((c) => c.essential)) {
    throw new ClientException('A task definition must have at least one essential container.');
  }
  const def: TaskDefinition = {
    taskDefinitionArn: formatArn({ service: 'ecs', region: scope.region, accountId: scope.accountId, resource: `task-definition/${input.family}:${revision}` }),
    containerDefinitions: normalized,
    family: input.family,
    networkMode,
    revision,
    volumes: input.volumes ?? [],
    status: 'ACTIVE',
    requiresAttributes: [],
    placementConstraints: input.placementConstraints ?? [],
    compatibilities: networkMode === 'awsvpc' ? ['EC2', 'FARGATE'] : ['EC2'],
    registeredAt: new Date().toISOString(),
    registeredBy,
  };
  for (const key of ['taskRoleArn', 'executionRoleArn', 'requiresCompatibilities', 'cpu', 'memory', 'pidMode', 'ipcMode', 'runtimePlatform', 'ephemeralStorage'] as const) {
    if (input[key] !== undefined) (def as Record<string, unknown>)[key] = input[key];
  }
  return def;
}

function checkHealthCheck(name: string, hc: NonNullable<ContainerDefinition['healthCheck']>): void {
  if (!hc.command || hc.command.length === 0) {
    throw new ClientException(`Invalid setting for container '${name}'. healthCheck.command must not be empty.`);
  }
  const range = (value: number | undefined, field: string, min: number, max: number) => {
    if (value !== undefined && (value < min || value > max)) {
      throw new ClientException(`Invalid setting for container '${name}'. healthCheck.${field} must be between ${min} and ${max}.`);
    }
  };
  // ECS's documented ranges (interval 5–300 s, timeout 2–60 s, retries 1–10, startPeriod 0–300 s).
  range(hc.interval, 'interval', 5, 300);
  range(hc.timeout, 'timeout', 2, 60);
  range(hc.retries, 'retries', 1, 10);
  range(hc.startPeriod, 'startPeriod', 0, 300);
}

export interface TaskDefinitionRef {
  family: string;
  revision?: number;
}

/** Parses `family`, `family:revision` or a task definition ARN. */
export function parseTaskDefinitionRef(text: string): TaskDefinitionRef {
  let rest = text;
  if (text.startsWith('arn:')) {
    const idx = text.indexOf(':task-definition/');
    if (idx < 0) throw new InvalidParameterException('Invalid revision number. Number: ' + text);
    rest = text.slice(idx + ':task-definition/'.length);
  }
  const colon = rest.lastIndexOf(':');
  if (colon < 0) return { family: rest };
  const revision = Number(rest.slice(colon + 1));
  if (!Number.isInteger(revision) || revision < 1) {
    throw new ClientException(`Invalid revision number. Number: ${rest.slice(colon + 1)}`);
  }
  return { family: rest.slice(0, colon), revision };
}
