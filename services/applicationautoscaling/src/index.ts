import type { PlatformContext, ServiceProvider } from '@atoll/core';
import { AasProvider } from './aas-provider.js';

export { AasProvider } from './aas-provider.js';
export type { AasOptions } from './aas-provider.js';
export { AasStore } from './aas-store.js';

export function createApplicationAutoScalingService(platform: PlatformContext): ServiceProvider {
  return new AasProvider(platform);
}
