// Subscriptions: Subscribe (SQS and Lambda confirmed at once, HTTP/HTTPS pending until the endpoint
// confirms the SubscriptionConfirmation it receives), ConfirmSubscription, Unsubscribe, attributes
// (filter policy, raw delivery, delivery policy …) and listing with pagination.
import { randomBytes, randomUUID } from 'node:crypto';
import type { PlatformContext, RequestContext } from '@atoll/core';
import { InvalidParameterException, NotFoundException } from '@atoll/aws-models/sns';
import { parseQueueArn, type Notifier } from './delivery.js';
import { effectiveRetryPolicy, type HttpChannel } from './http-delivery.js';
import { FilterPolicyError, parseFilterPolicy, type FilterScope } from './filter-policy.js';
import type { SubscriptionRecord, TopicRecord } from './sns-records.js';
import { TopicGoneError, type SnsStore } from './sns-store.js';

const SUPPORTED_PROTOCOLS = ['sqs', 'http', 'https', 'lambda', 'application', 'sms'];
const KNOWN_PROTOCOLS = [...SUPPORTED_PROTOCOLS, 'email', 'email-json', 'firehose'];
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

  async #topic(arn: unknown, ctx: RequestContext): Promise<TopicRecord> {
    const topic = typeof arn === 'string' ? await this.store.getTopic(arn) : undefined;
    if (!topic || topic.accountId !== ctx.accountId) throw new NotFoundException('Topic does not exist');
    return topic;
  }

  async #subscription(arn: unknown, ctx: RequestContext): Promise<SubscriptionRecord> {
    const sub = typeof arn === 'string' ? await this.store.getSubscription(arn) : undefined;
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
    const topic = await this.#topic(input.TopicArn, ctx);
    const protocol = String(input.Protocol ?? '').toLowerCase();
    if (!KNOWN_PROTOCOLS.includes(protocol)) throw invalid('Amazon SNS does not support this protocol string: ' + input.Protocol);
    if (!SUPPORTED_PROTOCOLS.includes(protocol)) throw invalid(`Protocol Reason: Atoll does not deliver to ${protocol} endpoints`);
    const endpoint = protocol === 'sms' ? String(input.Endpoint ?? '').replace(/[\s-]/g, '') : (input.Endpoint ?? '');
    if (topic.fifo && protocol !== 'sqs') throw invalid(`Invalid protocol type: ${protocol}`);
    if (protocol === 'http' && !/^http:\/\/[^/]+/i.test(endpoint)) throw invalid('Endpoint must match the specified protocol');
    if (protocol === 'https' && !/^https:\/\/[^/]+/i.test(endpoint)) throw invalid('Endpoint must match the specified protocol');
    if (protocol === 'application' && !/^arn:aws:sns:[^:]+:\d{12}:endpoint\/[A-Z_]+\/[^/]+\/[^/]+$/.test(endpoint)) {
      throw invalid('Endpoint Reason: An application endpoint ARN is required for protocol application');
    }
    if (protocol === 'sms' && !/^\+[1-9]\d{1,14}$/.test(endpoint.replace(/[\s-]/g, ''))) throw invalid('Endpoint Reason: A phone number in E.164 format is required for protocol sms');
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
    let stored: { subscription: SubscriptionRecord; created: boolean };
    try {
      stored = await this.store.subscribe(sub);
    } catch (error) {
      if (error instanceof TopicGoneError) throw new NotFoundException('Topic does not exist');
      throw error;
    }
    if (!stored.created) return this.#existing(stored.subscription, attributes, input.ReturnSubscriptionArn);
    if (needsConfirmation) this.#sendConfirmation(topic, sub, 'SubscriptionConfirmation');
    return { SubscriptionArn: sub.confirmed || input.ReturnSubscriptionArn ? sub.arn : 'pending confirmation' };
  };

  /** Subscribe's answer for an endpoint that is subscribed already: the same attributes, or an error. */
  #existing(existing: SubscriptionRecord, attributes: Record<string, string>, returnArn: boolean | undefined) {
    for (const [k, v] of Object.entries(attributes)) {
      if ((existing.attributes[k] ?? '') !== v) throw invalid('Attributes Reason: Subscription already exists with different attributes');
    }
    return { SubscriptionArn: existing.confirmed || returnArn ? existing.arn : 'pending confirmation' };
  }

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

  /**
   * Confirms the pending subscription that holds `token` (marking the confirmation authenticated
   * when asked); used by the operation and the SubscribeURL route.
   */
  async confirm(topicArn: string, token: string, accountId: string, authenticated = false): Promise<SubscriptionRecord> {
    const topic = await this.store.getTopic(topicArn);
    if (!topic || topic.accountId !== accountId) throw new NotFoundException('Topic does not exist');
    const sub = token === '' ? undefined : await this.store.confirmSubscription(topic.arn, token, authenticated);
    if (!sub) throw invalid('Token');
    return sub;
  }

  ConfirmSubscription = async (input: { TopicArn: string; Token: string; AuthenticateOnUnsubscribe?: string }, ctx: RequestContext) => {
    if (typeof input.Token !== 'string' || input.Token === '') throw invalid('Token');
    const authenticated = input.AuthenticateOnUnsubscribe?.toLowerCase() === 'true';
    const sub = await this.confirm(String(input.TopicArn ?? ''), input.Token, ctx.accountId, authenticated);
    return { SubscriptionArn: sub.arn };
  };

  /** Removes a subscription (operation and UnsubscribeURL route). */
  async unsubscribe(arn: string): Promise<void> {
    const sub = await this.store.deleteSubscription(arn);
    if (!sub) return;
    const topic = await this.store.getTopic(sub.topicArn);
    if (topic && (sub.protocol === 'http' || sub.protocol === 'https') && sub.confirmed) {
      this.#sendConfirmation(topic, sub, 'UnsubscribeConfirmation');
    }
  }

  Unsubscribe = async (input: { SubscriptionArn: string }, ctx: RequestContext) => {
    const sub = await this.#subscription(input.SubscriptionArn, ctx);
    await this.unsubscribe(sub.arn);
    return {};
  };

  GetSubscriptionAttributes = async (input: { SubscriptionArn: string }, ctx: RequestContext) => {
    const sub = await this.#subscription(input.SubscriptionArn, ctx);
    const topic = await this.store.getTopic(sub.topicArn);
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

  SetSubscriptionAttributes = async (input: { SubscriptionArn: string; AttributeName: string; AttributeValue?: string }, ctx: RequestContext) => {
    const sub = await this.#subscription(input.SubscriptionArn, ctx);
    const updated = await this.store.updateSubscription(sub.arn, (stored) => {
      // Checked against the stored attributes (a filter policy's scope may have changed on another node).
      const changed = this.checkAttributes({ [input.AttributeName]: input.AttributeValue ?? '' }, stored.protocol, stored.attributes);
      for (const [k, v] of Object.entries(changed)) {
        if (v === '') delete stored.attributes[k];
        else stored.attributes[k] = v;
      }
    });
    if (!updated) throw new NotFoundException('Subscription does not exist');
    return {};
  };

  #page(subs: readonly SubscriptionRecord[], token: string | undefined) {
    const sorted = [...subs].sort((a, b) => a.createdAt - b.createdAt || (a.arn < b.arn ? -1 : 1));
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

  ListSubscriptions = async (input: { NextToken?: string }, ctx: RequestContext) =>
    this.#page(await this.store.listSubscriptions(ctx.accountId, ctx.region), input.NextToken);

  ListSubscriptionsByTopic = async (input: { TopicArn: string; NextToken?: string }, ctx: RequestContext) => {
    const topic = await this.#topic(input.TopicArn, ctx);
    return this.#page(await this.store.subscriptionsOf(topic.arn), input.NextToken);
  };
}
