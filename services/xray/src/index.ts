import type { PlatformContext, ServiceProvider } from '@atoll/core';
import { XrayProvider } from './xray-provider.js';

export { XrayProvider } from './xray-provider.js';
export type { XrayOptions } from './xray-provider.js';
export { XrayStore } from './xray-store.js';
export { compileFilter, FilterExpressionError } from './filter-expression.js';
export { checkSegment, newTraceId } from './segment-document.js';

export function createXrayService(platform: PlatformContext): ServiceProvider {
  return new XrayProvider(platform);
}
