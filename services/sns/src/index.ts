// @atoll/sns: Amazon SNS topics and subscriptions (SQS, HTTP/HTTPS and Lambda delivery).
import type { ServiceFactory } from '@atoll/core';
import { SnsProvider } from './sns-provider.js';

export const createSnsService: ServiceFactory = (platform) => new SnsProvider(platform);
export { SnsProvider } from './sns-provider.js';
export type { SnsProviderOptions } from './sns-provider.js';
export { matchesFilterPolicy, parseFilterPolicy, FilterPolicyError } from './filter-policy.js';
