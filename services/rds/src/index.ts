// @atoll/rds: Amazon RDS and Aurora over real PostgreSQL and MariaDB servers (or embedded PGlite).
import type { ServiceFactory } from '@atoll/core';
import { RdsProvider } from './rds-provider.js';

export const createRdsService: ServiceFactory = (platform) => RdsProvider.create(platform);
export { RdsProvider } from './rds-provider.js';
export type { RdsOptions } from './rds-provider.js';
export { PgliteWireServer } from './engines/pglite-wire-server.js';
