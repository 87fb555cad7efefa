// The one list of every service Atoll serves. Each entry loads the service's factory; the edge
// routes requests to the provider it returns. Add a service here (and its project reference in
// apps/server/tsconfig.json and its dependency in apps/server/package.json).
import type { ServiceFactory } from '@atoll/core';

export interface ServiceRegistration {
  /** Model name, as in `@atoll/aws-models`. */
  name: string;
  load: () => Promise<ServiceFactory>;
}

export const SERVICES: readonly ServiceRegistration[] = [
  { name: 'iam', load: async () => (await import('@atoll/iam')).createIamService },
  { name: 'sts', load: async () => (await import('@atoll/sts')).createStsService },
];
