export { startAtoll } from './platform.js';
export type { AtollHandle, StartOptions } from './platform.js';
export { main } from './main.js';
export { readRootCredentials, loadOrCreateRootCredentials, rootCredentialsPath } from './identity/root-credentials.js';
export type { RootCredentials } from './identity/root-credentials.js';
export { SERVICES } from './service-registry.js';
