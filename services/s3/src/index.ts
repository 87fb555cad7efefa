export { createS3Service, S3Provider } from './s3-provider.js';
export type { S3ProviderOptions } from './s3-provider.js';
