// @atoll/sns: Amazon SNS topics and subscriptions (SQS, HTTP/HTTPS, Lambda, mobile push and SMS delivery;
// push and SMS are recorded in a local sink, read through `GET /_atoll/sns/deliveries`).
import type { ServiceFactory } from '@atoll/core';
import { SnsProvider } from './sns-provider.js';

export const createSnsService: ServiceFactory = (platform) => new SnsProvider(platform);
export { SnsProvider } from './sns-provider.js';
export type { SnsProviderOptions } from './sns-provider.js';
export { matchesFilterPolicy, parseFilterPolicy, FilterPolicyError } from './filter-policy.js';
