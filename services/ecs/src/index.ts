import type { PlatformContext, ServiceFactory } from '@atoll/core';
import { EcsProvider, type EcsServiceOptions } from './ecs-provider.js';

/**
 * The ECS service factory. Scheduler timing can be tuned with ATOLL_ECS_BACKOFF_BASE_MS,
 * ATOLL_ECS_BACKOFF_MAX_MS and ATOLL_ECS_MAX_DRAIN_MS (milliseconds).
 */
export const createEcsService: ServiceFactory = (platform: PlatformContext) => new EcsProvider(platform, optionsFromEnv());

function optionsFromEnv(env: NodeJS.ProcessEnv = process.env): EcsServiceOptions {
  const num = (name: string) => (env[name] !== undefined && env[name] !== '' ? Number(env[name]) : undefined);
  return {
    backoffBaseMs: num('ATOLL_ECS_BACKOFF_BASE_MS'),
    backoffMaxMs: num('ATOLL_ECS_BACKOFF_MAX_MS'),
    maxDrainMs: num('ATOLL_ECS_MAX_DRAIN_MS'),
  };
}

export { EcsProvider };
export type { EcsServiceOptions };
export { EcsStore } from './ecs-store.js';
export type { ContainerCredentials, TaskRoleAssumer } from './task-credentials.js';
export { circuitBreakerThreshold } from './service-scheduler.js';
