import type { ServiceFactory } from '@atoll/core';
import { LambdaProvider } from './lambda-provider.js';

export { LambdaProvider } from './lambda-provider.js';
export type { LambdaOptions } from './lambda-context.js';

/**
 * The Lambda service factory the server registers. `ATOLL_LAMBDA_IDLE_SECONDS` overrides how long
 * an idle execution environment is kept warm (default 300 s).
 */
export const createLambdaService: ServiceFactory = (platform) => {
  const idle = Number(process.env.ATOLL_LAMBDA_IDLE_SECONDS);
  return new LambdaProvider(platform, Number.isFinite(idle) && idle > 0 ? { idleTimeoutMs: idle * 1000 } : {});
};
