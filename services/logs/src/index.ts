import type { PlatformContext, ServiceProvider } from '@atoll/core';
import { LogsProvider } from './logs-provider.js';

export { LogsProvider } from './logs-provider.js';
export type { LogsOptions } from './logs-provider.js';
export { LogsStore } from './logs-store.js';
export { compileFilterPattern, FilterPatternError } from './filter-pattern.js';
export type { CompiledPattern } from './filter-pattern.js';

export function createLogsService(platform: PlatformContext): ServiceProvider {
  return new LogsProvider(platform);
}
