// @atoll/rds: Amazon RDS and Aurora over real PostgreSQL and MariaDB servers (or embedded PGlite).
import type { ServiceFactory } from '@atoll/core';
import { RdsDataProvider } from './data-api/rds-data-provider.js';
import { RdsProvider } from './rds-provider.js';

export const createRdsService: ServiceFactory = (platform) => RdsProvider.create(platform);
export const createRdsDataService: ServiceFactory = (platform) => new RdsDataProvider(platform);
export { RdsProvider } from './rds-provider.js';
export type { RdsOptions } from './rds-provider.js';
export { PgliteWireServer } from './engines/pglite-wire-server.js';
export { RdsDataProvider } from './data-api/rds-data-provider.js';
export type { RdsDataOptions } from './data-api/rds-data-provider.js';
