// @atoll/ecr: Amazon ECR (repositories, images, layers, lifecycle and repository policies,
// authorization tokens) with an OCI Distribution v2 registry on the edge listener (/v2/).
import type { ServiceFactory } from '@atoll/core';
import { EcrProvider } from './ecr-provider.js';

export const createEcrService: ServiceFactory = (platform) => new EcrProvider(platform);
export { EcrProvider, registryHost } from './ecr-provider.js';
export { EcrStore } from './ecr-store.js';
