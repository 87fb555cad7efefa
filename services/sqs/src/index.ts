// @atoll/sqs: Amazon SQS (standard and FIFO queues) on the platform's storage.
import type { ServiceFactory } from '@atoll/core';
import { SqsProvider } from './sqs-provider.js';

export const createSqsService: ServiceFactory = (platform) => new SqsProvider(platform);
export { SqsProvider } from './sqs-provider.js';
export { md5OfMessageAttributes } from './message-md5.js';
