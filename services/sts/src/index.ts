export { StsProvider, createStsService } from './sts-provider.js';
