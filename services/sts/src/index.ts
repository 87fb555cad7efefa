export { StsProvider, createStsService } from './sts-provider.js';
export type { StsOptions } from './sts-provider.js';
export { StsSessionDirectory } from './session-directory.js';
export { StsStore } from './sts-store.js';
