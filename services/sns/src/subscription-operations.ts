// Subscriptions: Subscribe (SQS and Lambda confirmed at once, HTTP/HTTPS pending until the endpoint
// confirms the SubscriptionConfirmation it receives), ConfirmSubscription, Unsubscribe, attributes
// (filter policy, raw delivery, delivery policy …) and listing with pagination.
import { randomBytes, randomUUID } from 'node:crypto';
import type { PlatformContext, RequestContext } from '@atoll/core';
import { InvalidParameterException, NotFoundException } from '@atoll/aws-models/sns';
import { parseQueueArn, type Notifier } from './delivery.js';
import { effectiveRetryPolicy, type HttpChannel } from './http-delivery.js';
import { FilterPolicyError, parseFilterPolicy, type FilterScope } from './filter-policy.js';
import type { SnsStore, SubscriptionRecord, TopicRecord } from './sns-store.js';

const SUPPORTED_PROTOCOLS = ['sqs', 'http', 'https', 'lambda'];
const KNOWN_PROTOCOLS = [...SUPPORTED_PROTOCOLS, 'email', 'email-json', 'sms', 'application', 'firehose'];
const SETTABLE = ['DeliveryPolicy', 'FilterPolicy', 'FilterPolicyScope', 'RawMessageDelivery', 'RedrivePolicy', 'SubscriptionRoleArn', 'ReplayPolicy'];
const PAGE = 100;

const invalid = (what: string) => new InvalidParameterException(`Invalid parameter: ${what}`);

export class SubscriptionOperations {
  constructor(
    readonly store: SnsStore,
    readonly platform: PlatformContext,
    readonly notifier: Notifier,
    readonly http: HttpChannel,
  ) {}

  #topic(arn: unknown, ctx: RequestContext): TopicRecord {
    const topic = typeof arn === 'string' ? this.store.getTopic(arn) : undefined;
    if (!topic || topic.accountId !== ctx.accountId) throw new NotFoundException('Topic does not exist');
    return topic;
  }

  #subscription(arn: unknown, ctx: RequestContext): SubscriptionRecord {
    const sub = typeof arn === 'string' ? this.store.getSubscription(arn) : undefined;
    if (!sub || sub.accountId !== ctx.accountId) throw new NotFoundException('Subscription does not exist');
    return sub;
  }

  /** Validates subscription attributes for a protocol; returns them normalized. */
  checkAttributes(attributes: Record<string, string>, protocol: string, existing: Record<string, string> = {}): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [name, raw] of Object.entries(attributes)) {
      const value = String(raw);
      if (!SETTABLE.includes(name)) throw invalid('AttributeName');
      if (name === 'RawMessageDelivery') {
        const lower = value.toLowerCase();
        if (lower !== 'true' && lower !== 'false') throw invalid('Attributes Reason: RawMessageDelivery: Invalid value [' + value + ']. Must be true or false.');
        if (lower === 'true' && !['sqs', 'http', 'https', 'firehose'].includes(protocol)) {
          throw invalid('Attributes Reason: Delivery protocol [' + protocol + '] does not support raw message delivery.');
        }
        out[name] = lower;
      } else if (name === 'FilterPolicyScope') {
        if (value !== 'MessageAttributes' && value !== 'MessageBody') throw invalid('Attributes Reason: FilterPolicyScope: Invalid value [' + value + ']. Please use either MessageBody or MessageAttributes');
        out[name] = value;
      } else if (name === 'DeliveryPolicy' || name === 'RedrivePolicy' || name === 'ReplayPolicy') {
        if (value !== '') {
          try {
            JSON.parse(value);
          } catch {
            throw invalid(`Attributes Reason: ${name}: failed to parse JSON.`);
          }
        }
        out[name] = value;
      } else {
        out[name] = value;
      }
    }
    const policy = out.FilterPolicy ?? existing.FilterPolicy;
    const scope = (out.FilterPolicyScope ?? existing.FilterPolicyScope ?? 'MessageAttributes') as FilterScope;
    if (policy) {
      try {
        parseFilterPolicy(policy, scope);
      } catch (error) {
        if (error instanceof FilterPolicyError) throw invalid(`Filter policy: ${error.message}`);
        throw error;
      }
    }
    return out;
  }

  Subscribe = async (
    input: { TopicArn: string; Protocol: string; Endpoint?: string; Attributes?: Record<string, string>; ReturnSubscriptionArn?: boolean },
    ctx: RequestContext,
  ) => {
    const topic = this.#topic(input.TopicArn, ctx);
    const protocol = String(input.Protocol ?? '').toLowerCase();
    if (!KNOWN_PROTOCOLS.includes(protocol)) throw invalid('Amazon SNS does not support this protocol string: ' + input.Protocol);
    if (!SUPPORTED_PROTOCOLS.includes(protocol)) throw invalid(`Protocol Reason: Atoll does not deliver to ${protocol} endpoints`);
    const endpoint = input.Endpoint ?? '';
    if (topic.fifo && protocol !== 'sqs') throw invalid(`Invalid protocol type: ${protocol}`);
    if (protocol === 'http' && !/^http:\/\/[^/]+/i.test(endpoint)) throw invalid('Endpoint must match the specified protocol');
    if (protocol === 'https' && !/^https:\/\/[^/]+/i.test(endpoint)) throw invalid('Endpoint must match the specified protocol');
    if (protocol === 'lambda' && !/^arn:[^:]+:lambda:[^:]+:\d{12}:function:.+/.test(endpoint)) throw invalid('Lambda endpoint ARN');
    if (protocol === 'sqs') {
      const queue = parseQueueArn(endpoint);
      if (!queue) throw invalid('SQS endpoint ARN');
      if (queue.name.endsWith('.fifo') && !topic.fifo) throw invalid('Endpoint Reason: FIFO SQS Queues can not be subscribed to standard SNS topics');
      try {
        await this.platform.call('sqs', 'GetQueueUrl', { QueueName: queue.name, QueueOwnerAWSAccountId: queue.accountId }, { accountId: queue.accountId, region: queue.region });
      } catch {
        throw invalid(`Endpoint Reason: The SQS queue ${endpoint} does not exist`);
      }
    }
    const attributes = this.checkAttributes(input.Attributes ?? {}, protocol);
    const existing = this.store.subscriptionsOf(topic.arn).find((s) => s.protocol === protocol && s.endpoint === endpoint);
    if (existing) {
      for (const [k, v] of Object.entries(attributes)) {
        if ((existing.attributes[k] ?? '') !== v) throw invalid('Attributes Reason: Subscription already exists with different attributes');
      }
      return { SubscriptionArn: existing.confirmed || input.ReturnSubscriptionArn ? existing.arn : 'pending confirmation' };
    }
    const needsConfirmation = protocol === 'http' || protocol === 'https';
    const sub: SubscriptionRecord = {
      arn: `${topic.arn}:${randomUUID()}`,
      topicArn: topic.arn,
      accountId: ctx.accountId,
      region: topic.region,
      protocol,
      endpoint,
      owner: ctx.accountId,
      attributes,
      confirmed: !needsConfirmation,
      token: needsConfirmation ? randomBytes(64).toString('hex') : null,
      createdAt: Date.now(),
    };
    this.store.saveSubscription(sub);
    if (needsConfirmation) this.#sendConfirmation(topic, sub, 'SubscriptionConfirmation');
    return { SubscriptionArn: sub.confirmed || input.ReturnSubscriptionArn ? sub.arn : 'pending confirmation' };
  };

  #sendConfirmation(topic: TopicRecord, sub: SubscriptionRecord, type: 'SubscriptionConfirmation' | 'UnsubscribeConfirmation'): void {
    const doc = this.notifier.confirmation(topic, sub.token ?? randomBytes(64).toString('hex'), type);
    this.http
      .enqueue([
        {
          subscriptionArn: sub.arn,
          url: sub.endpoint,
          body: JSON.stringify(doc),
          headers: { 'x-amz-sns-message-type': type, 'x-amz-sns-message-id': doc.MessageId, 'x-amz-sns-topic-arn': topic.arn },
          policy: effectiveRetryPolicy(topic, sub),
        },
      ])
      .catch((error: unknown) => this.platform.logger.error({ err: error, subscription: sub.arn }, 'sns confirmation could not be queued'));
  }

  /** Confirms the pending subscription that holds `token`; used by the operation and the SubscribeURL route. */
  confirm(topicArn: string, token: string, accountId: string): SubscriptionRecord {
    const topic = this.store.getTopic(topicArn);
    if (!topic || topic.accountId !== accountId) throw new NotFoundException('Topic does not exist');
    const sub = this.store.subscriptionsOf(topic.arn).find((s) => s.token !== null && s.token === token);
    if (!sub) throw invalid('Token');
    if (!sub.confirmed) {
      sub.confirmed = true;
      this.store.saveSubscription(sub);
    }
    return sub;
  }

  ConfirmSubscription = (input: { TopicArn: string; Token: string; AuthenticateOnUnsubscribe?: string }, ctx: RequestContext) => {
    if (typeof input.Token !== 'string' || input.Token === '') throw invalid('Token');
    const sub = this.confirm(String(input.TopicArn ?? ''), input.Token, ctx.accountId);
    if (input.AuthenticateOnUnsubscribe?.toLowerCase() === 'true') {
      sub.attributes.ConfirmationWasAuthenticated = 'true';
      this.store.saveSubscription(sub);
    }
    return { SubscriptionArn: sub.arn };
  };

  /** Removes a subscription (operation and UnsubscribeURL route). */
  unsubscribe(sub: SubscriptionRecord): void {
    this.store.deleteSubscription(sub);
    const topic = this.store.getTopic(sub.topicArn);
    if (topic && (sub.protocol === 'http' || sub.protocol === 'https') && sub.confirmed) {
      this.#sendConfirmation(topic, sub, 'UnsubscribeConfirmation');
    }
  }

  Unsubscribe = (input: { SubscriptionArn: string }, ctx: RequestContext) => {
    const sub = this.#subscription(input.SubscriptionArn, ctx);
    this.unsubscribe(sub);
    return {};
  };

  GetSubscriptionAttributes = (input: { SubscriptionArn: string }, ctx: RequestContext) => {
    const sub = this.#subscription(input.SubscriptionArn, ctx);
    const topic = this.store.getTopic(sub.topicArn);
    const attributes: Record<string, string> = {
      SubscriptionArn: sub.arn,
      TopicArn: sub.topicArn,
      Owner: sub.owner,
      Protocol: sub.protocol,
      Endpoint: sub.endpoint,
      ConfirmationWasAuthenticated: sub.attributes.ConfirmationWasAuthenticated ?? (sub.protocol === 'http' || sub.protocol === 'https' ? 'false' : 'true'),
      PendingConfirmation: sub.confirmed ? 'false' : 'true',
      RawMessageDelivery: 'false',
      SubscriptionPrincipal: `arn:aws:iam::${sub.owner}:root`,
      ...sub.attributes,
    };
    if (sub.protocol === 'http' || sub.protocol === 'https') {
      attributes.EffectiveDeliveryPolicy = JSON.stringify({ healthyRetryPolicy: effectiveRetryPolicy(topic, sub) });
    }
    return { Attributes: attributes };
  };

  SetSubscriptionAttributes = (input: { SubscriptionArn: string; AttributeName: string; AttributeValue?: string }, ctx: RequestContext) => {
    const sub = this.#subscription(input.SubscriptionArn, ctx);
    const changed = this.checkAttributes({ [input.AttributeName]: input.AttributeValue ?? '' }, sub.protocol, sub.attributes);
    for (const [k, v] of Object.entries(changed)) {
      if (v === '') delete sub.attributes[k];
      else sub.attributes[k] = v;
    }
    this.store.saveSubscription(sub);
    return {};
  };

  #page(subs: SubscriptionRecord[], token: string | undefined) {
    const sorted = subs.sort((a, b) => a.createdAt - b.createdAt || (a.arn < b.arn ? -1 : 1));
    let start = 0;
    if (token !== undefined && token !== '') {
      start = Number(Buffer.from(token, 'base64').toString('utf8'));
      if (!Number.isInteger(start) || start < 0) throw invalid('NextToken');
    }
    const page = sorted.slice(start, start + PAGE);
    return {
      Subscriptions: page.map((s) => ({
        SubscriptionArn: s.confirmed ? s.arn : 'PendingConfirmation',
        Owner: s.owner,
        Protocol: s.protocol,
        Endpoint: s.endpoint,
        TopicArn: s.topicArn,
      })),
      NextToken: start + PAGE < sorted.length ? Buffer.from(String(start + PAGE)).toString('base64') : undefined,
    };
  }

  ListSubscriptions = (input: { NextToken?: string }, ctx: RequestContext) =>
    this.#page(this.store.listSubscriptions(ctx.accountId, ctx.region), input.NextToken);

  ListSubscriptionsByTopic = (input: { TopicArn: string; NextToken?: string }, ctx: RequestContext) => {
    const topic = this.#topic(input.TopicArn, ctx);
    return this.#page(this.store.subscriptionsOf(topic.arn), input.NextToken);
  };
}
