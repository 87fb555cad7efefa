// @atoll/elasticache: Amazon ElastiCache (Redis and Valkey) over real engine processes.
import type { ServiceFactory } from '@atoll/core';
import { ElastiCacheProvider } from './elasticache-provider.js';

export const createElastiCacheService: ServiceFactory = (platform) => new ElastiCacheProvider(platform);
export { ElastiCacheProvider } from './elasticache-provider.js';
