// The records SNS keeps and hands between its modules (topics, subscriptions, published messages,
// HTTP retry policies, the dead-letter hook). Types only: the store, fan-out and the delivery
// channels all depend on this module, and it depends on none of them.
import type { SnsAttributeValue } from './filter-policy.js';

export interface TopicRecord {
  arn: string;
  accountId: string;
  region: string;
  name: string;
  fifo: boolean;
  attributes: Record<string, string>;
  tags: Record<string, string>;
  dataProtectionPolicy: string | null;
  createdAt: number;
  /** Count of subscriptions deleted from the topic (SubscriptionsDeleted). */
  deletedSubscriptions: number;
}

export interface SubscriptionRecord {
  arn: string;
  topicArn: string;
  accountId: string;
  region: string;
  protocol: string;
  endpoint: string;
  owner: string;
  attributes: Record<string, string>;
  confirmed: boolean;
  token: string | null;
  createdAt: number;
}

/** A published message as stored in the outbox. */
export interface PublishedMessage {
  messageId: string;
  message: string;
  subject?: string;
  messageStructure?: string;
  attributes?: Record<string, SnsAttributeValue>;
  groupId?: string;
  dedupId?: string;
  timestamp: string;
  /**
   * The publisher's trace (`Root=…;Parent=<SNS's segment>;Sampled=…`), when the Publish carried
   * one: subscribers get it (SQS as AWSTraceHeader, Lambda as the invocation's trace, HTTP as
   * `X-Amzn-Trace-Id`).
   */
  traceHeader?: string;
}

/** An HTTP/HTTPS delivery policy's retry schedule (`healthyRetryPolicy`). */
export interface RetryPolicy {
  minDelayTarget: number;
  maxDelayTarget: number;
  numRetries: number;
  numNoDelayRetries: number;
  numMinDelayRetries: number;
  numMaxDelayRetries: number;
  backoffFunction: 'linear' | 'arithmetic' | 'geometric' | 'exponential';
}

/**
 * Sends an undeliverable message to the subscription's RedrivePolicy queue (if it has one), as
 * `sns.amazonaws.com` for the topic (the queue's policy must allow it, as in AWS).
 */
export type DeadLetter = (subscriptionRedrivePolicy: string | undefined, body: string, errorCode: string, errorMessage: string, topicArn?: string) => void;
