export { CloudTrailProvider, createCloudTrailService } from './cloudtrail-provider.js';
