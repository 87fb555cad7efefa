import type { PlatformContext, ServiceProvider } from '@atoll/core';
import { CloudWatchProvider } from './cloudwatch-provider.js';

export { CloudWatchProvider } from './cloudwatch-provider.js';
export { MetricsStore } from './metrics-store.js';

export function createCloudWatchService(platform: PlatformContext): ServiceProvider {
  return new CloudWatchProvider(platform);
}
