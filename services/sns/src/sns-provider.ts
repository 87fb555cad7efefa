// The SNS provider: topics, tags, permissions and data protection policies here; subscriptions in
// subscription-operations.ts, publishing in publish-operations.ts, delivery in fan-out.ts,
// delivery.ts and http-delivery.ts. Protocol-agnostic (the edge speaks the query protocol).
// Durability: a publish is acknowledged once stored in the outbox; fan-out hands SQS deliveries to
// SQS (durable there) and HTTP deliveries to a stored retry queue before removing it from the outbox,
// so a crash repeats deliveries (at least once) and never loses one.
// Nodes: state is in the store (SQLite, or PostgreSQL shared by several nodes); topics and their
// subscriptions are cached per node and dropped on every node by the `sns.topic` signal. The outbox
// is drained by one node (leadership `sns:fan-out`), HTTP deliveries and their retries are made by
// one node (`sns:http-retries`), and expired FIFO deduplication ids are swept by one (`sns:sweeper`).
//
// Mobile push (platform-operations.ts) and SMS (sms-operations.ts) are recorded in a local delivery
// sink (mobile-store.ts), read by the account's root through `GET /_atoll/sns/deliveries`.
//
// Known limitations:
// - `email`, `email-json` and `firehose` subscriptions are refused.
// - No push service (FCM, APNs, ADM, Baidu, MPNS, WNS) or SMS carrier is reached: a push or SMS is
//   recorded in the sink. Platform credentials are checked for presence and form (APNS certificate
//   PEM, or token-authentication team and bundle ids), never against the provider; so an endpoint is
//   disabled by provider feedback only when it is simulated (`POST /_atoll/sns/invalidate-token`:
//   the next delivery fails, disables the endpoint and notifies EventDeliveryFailure). Delivery
//   status logging (`SuccessFeedbackRoleArn`, `FailureFeedbackRoleArn`, sample rate) is stored only.
// - InvalidParameter reasons for platform application and endpoint attributes have AWS's code and
//   `Invalid parameter: <name> Reason: …` shape, with Atoll's wording of the reason. Application event
//   topics get their events best effort (a failure to publish one is logged); an undeliverable push of
//   an `application` subscription is reported (`sns.DeliveryFailed`), not sent to its RedrivePolicy queue.
// - The push payload recorded is the platform's key of a MessageStructure=json message, or the text
//   as given (AWS's wrapping of a plain message for each push service is not reproduced).
// - SMS: the account is out of the SMS sandbox (GetSMSSandboxAccountStatus IsInSandbox=false), so
//   any valid E.164 number can be published to; sandbox numbers are kept and verified with the OTP
//   recorded in the sink. A number becomes opted out only through `POST /_atoll/sns/opt-out` (a
//   simulated STOP reply); OptInPhoneNumber's once-per-30-days rule is not applied; no origination
//   numbers exist (ListOriginationNumbers is empty); MonthlySpendLimit is stored, not enforced.
// - `ReplayPolicy` and topic `ArchivePolicy` are stored, not applied. An undeliverable message goes to
//   the subscription's RedrivePolicy dead-letter queue if it has one (else it is logged and dropped);
//   a Lambda invoke is handed to Lambda's own asynchronous queue (its retries and destinations apply).
// - Topic policies and `AddPermission` statements are enforced by the edge's authorize step
//   (resourcePolicy); `DataProtectionPolicy` is stored, not enforced.
// - Delivery-status logging (`*FeedbackRoleArn`, sample rates) is stored, not acted on; `KmsMasterKeyId` is stored.
// - Tracing: a Publish (or PublishBatch) that carries a trace header keeps it in the outbox with the
//   message, and its deliveries carry it on (SQS: the queue's segment and AWSTraceHeader; Lambda: the
//   invocation's trace; HTTP/S: `X-Amzn-Trace-Id`). Traced messages of different traces do not
//   share a SendMessageBatch call. `TracingConfig` is stored, not applied (the trace always passes
//   through); direct publishes to platform endpoints and phone numbers carry none.
// - The signing certificate is self-signed (served at SigningCertURL under /_atoll/sns/); verifiers that
//   insist on an `sns.<region>.amazonaws.com` certificate host must be configured to accept it.
// - The HTTP retry backoff curves (arithmetic, geometric, exponential) approximate AWS's.
// - Delivery is at least once: a crash, or a change of the node that leads fan-out or HTTP retries,
//   can repeat a delivery that was in progress.
// - Fan-out runs on one node at a time (the leader of `sns:fan-out`), whichever node took the publish.
// - A node's cached topics and subscriptions can lag a change made on another node by the time its
//   signal takes to arrive, for publish checks and reads (fan-out itself never uses a copy older than
//   the message it delivers).
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { HttpRoute, PlatformContext, RequestContext, ServiceProvider } from '@atoll/core';
import { snsAuthorization } from './authorization.js';
import {
  InvalidParameterException,
  NotFoundException,
  ResourceNotFoundException,
  TagLimitExceededException,
} from '@atoll/aws-models/sns';
import { deadLetterSender } from './dead-letter.js';
import { LambdaChannel, Notifier, SqsChannel } from './delivery.js';
import { DEFAULT_RETRY_POLICY, HttpChannel } from './http-delivery.js';
import { FanOut } from './fan-out.js';
import { PublishOperations } from './publish-operations.js';
import { loadOrCreateSigningIdentity, type SigningIdentity } from './signing-certificate.js';
import type { TopicRecord } from './sns-records.js';
import { SnsStore } from './sns-store.js';
import { SubscriptionOperations } from './subscription-operations.js';
import { runEvery } from '@atoll/storage';
import { MobileStore } from './mobile-store.js';
import { ApplicationChannel, SmsChannel } from './mobile-delivery.js';
import { isEndpointArn, PlatformOperations } from './platform-operations.js';
import { normalizePhoneNumber, SmsOperations } from './sms-operations.js';

const TOPIC_SETTABLE = new Set([
  'DeliveryPolicy', 'DisplayName', 'Policy', 'TracingConfig', 'KmsMasterKeyId', 'SignatureVersion', 'ContentBasedDeduplication',
  'FifoTopic', 'ArchivePolicy', 'FifoThroughputScope',
]);
const FEEDBACK = /^(HTTP|Firehose|Lambda|SQS|Application)(SuccessFeedbackRoleArn|SuccessFeedbackSampleRate|FailureFeedbackRoleArn)$/;
const PAGE = 100;

const invalid = (what: string) => new InvalidParameterException(`Invalid parameter: ${what}`);
const topicGone = () => new NotFoundException('Topic does not exist');
const resourceGone = () => new ResourceNotFoundException('Resource does not exist');

export interface SnsProviderOptions {
  /** Multiplies HTTP retry delays (tests use a small factor). */
  retryDelayScale?: number;
}

export class SnsProvider implements ServiceProvider {
  readonly service = 'sns';
  readonly store: SnsStore;
  readonly identity: SigningIdentity;
  readonly notifier: Notifier;
  readonly http: HttpChannel;
  readonly fanOut: FanOut;
  readonly subscriptions: SubscriptionOperations;
  readonly publishing: PublishOperations;
  readonly mobile: MobileStore;
  readonly push: PlatformOperations;
  readonly sms: SmsOperations;
  readonly operations: ServiceProvider['operations'];
  readonly routes: readonly HttpRoute[];
  readonly authorization = snsAuthorization;
  #stopSweeper: (() => void) | undefined;

  /**
   * A topic's `Policy` attribute for the edge's authorize step (from the topic cache). The default
   * policy AWS shows for a topic without one is not returned: it grants nothing beyond the account's
   * identity policies.
   */
  resourcePolicy = async (resourceArn: string): Promise<string | undefined> => {
    if (!resourceArn.startsWith('arn:aws:sns:')) return undefined;
    return (await this.store.topicView(resourceArn))?.topic.attributes.Policy || undefined;
  };

  /** `dir` holds the signing key and certificate, shared by every node (under the blob directory). */
  constructor(readonly platform: PlatformContext, options: SnsProviderOptions = {}, dir = join(platform.storage.blobDir, 'sns')) {
    this.store = new SnsStore(platform.storage);
    this.mobile = new MobileStore(() => this.store.db);
    this.push = new PlatformOperations(this.mobile, (topicArn, message) => this.#publishEvent(topicArn, message));
    this.sms = new SmsOperations(this.mobile);
    this.identity = loadOrCreateSigningIdentity(dir);
    this.notifier = new Notifier(this.identity.privateKey, () => platform.endpoint());
    const deadLetter = deadLetterSender(platform, platform.logger);
    const leadership = platform.storage.leadership;
    this.http = new HttpChannel(this.store, this.notifier, platform.logger, leadership, options.retryDelayScale ?? 1, deadLetter);
    this.fanOut = new FanOut(
      this.store,
      {
        sqs: new SqsChannel(platform, this.notifier, platform.logger, deadLetter),
        http: this.http,
        https: this.http,
        lambda: new LambdaChannel(platform, this.notifier, platform.logger, deadLetter),
        application: new ApplicationChannel(platform, this.push, platform.logger),
        sms: new SmsChannel(this.sms),
      },
      platform.logger,
      leadership,
    );
    this.subscriptions = new SubscriptionOperations(this.store, platform, this.notifier, this.http);
    this.publishing = new PublishOperations(this.store, () => this.fanOut.kick(), {
      isEndpoint: isEndpointArn,
      endpoint: (arn, m, ctx) => this.push.publishToEndpoint(arn, m, ctx),
      sms: (phone, message, attributes, messageId, ctx) => this.sms.publishSms(phone, message, attributes, messageId, ctx),
      normalizePhoneNumber,
    });
    const s = this.subscriptions;
    const p = this.publishing;
    const m = this.push;
    const t = this.sms;
    this.operations = {
      CreateTopic: this.CreateTopic,
      DeleteTopic: this.DeleteTopic,
      ListTopics: this.ListTopics,
      GetTopicAttributes: this.GetTopicAttributes,
      SetTopicAttributes: this.SetTopicAttributes,
      TagResource: this.TagResource,
      UntagResource: this.UntagResource,
      ListTagsForResource: this.ListTagsForResource,
      AddPermission: this.AddPermission,
      RemovePermission: this.RemovePermission,
      GetDataProtectionPolicy: this.GetDataProtectionPolicy,
      PutDataProtectionPolicy: this.PutDataProtectionPolicy,
      Subscribe: s.Subscribe,
      ConfirmSubscription: s.ConfirmSubscription,
      Unsubscribe: s.Unsubscribe,
      GetSubscriptionAttributes: s.GetSubscriptionAttributes,
      SetSubscriptionAttributes: s.SetSubscriptionAttributes,
      ListSubscriptions: s.ListSubscriptions,
      ListSubscriptionsByTopic: s.ListSubscriptionsByTopic,
      Publish: p.Publish,
      PublishBatch: p.PublishBatch,
      CreatePlatformApplication: m.CreatePlatformApplication,
      GetPlatformApplicationAttributes: m.GetPlatformApplicationAttributes,
      SetPlatformApplicationAttributes: m.SetPlatformApplicationAttributes,
      ListPlatformApplications: m.ListPlatformApplications,
      DeletePlatformApplication: m.DeletePlatformApplication,
      CreatePlatformEndpoint: m.CreatePlatformEndpoint,
      GetEndpointAttributes: m.GetEndpointAttributes,
      SetEndpointAttributes: m.SetEndpointAttributes,
      ListEndpointsByPlatformApplication: m.ListEndpointsByPlatformApplication,
      DeleteEndpoint: m.DeleteEndpoint,
      SetSMSAttributes: t.SetSMSAttributes,
      GetSMSAttributes: t.GetSMSAttributes,
      CheckIfPhoneNumberIsOptedOut: t.CheckIfPhoneNumberIsOptedOut,
      ListPhoneNumbersOptedOut: t.ListPhoneNumbersOptedOut,
      OptInPhoneNumber: t.OptInPhoneNumber,
      ListOriginationNumbers: t.ListOriginationNumbers,
      GetSMSSandboxAccountStatus: t.GetSMSSandboxAccountStatus,
      CreateSMSSandboxPhoneNumber: t.CreateSMSSandboxPhoneNumber,
      VerifySMSSandboxPhoneNumber: t.VerifySMSSandboxPhoneNumber,
      ListSMSSandboxPhoneNumbers: t.ListSMSSandboxPhoneNumbers,
      DeleteSMSSandboxPhoneNumber: t.DeleteSMSSandboxPhoneNumber,
    };
    this.routes = [
      {
        method: 'GET',
        path: '/_atoll/sns/SimpleNotificationService.pem',
        handle: (_req, res) => {
          res.writeHead(200, { 'content-type': 'application/x-pem-file' });
          res.end(this.identity.certificatePem);
        },
      },
      {
        method: 'GET',
        path: '/_atoll/sns/confirm',
        handle: async (req, res, ctx) => {
          const q = new URL(req.url ?? '/', 'http://x').searchParams;
          const topicArn = q.get('TopicArn') ?? '';
          try {
            const sub = await this.subscriptions.confirm(topicArn, q.get('Token') ?? '', topicArn.split(':')[4] ?? ctx.accountId);
            xml(res, 200, `<ConfirmSubscriptionResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><ConfirmSubscriptionResult><SubscriptionArn>${esc(sub.arn)}</SubscriptionArn></ConfirmSubscriptionResult></ConfirmSubscriptionResponse>`);
          } catch (error) {
            const e = error as { code?: string; message: string; status?: number };
            xml(res, e.status ?? 400, `<ErrorResponse><Error><Type>Sender</Type><Code>${esc(e.code ?? 'InvalidParameter')}</Code><Message>${esc(e.message)}</Message></Error></ErrorResponse>`);
          }
        },
      },
      {
        method: 'GET',
        path: '/_atoll/sns/unsubscribe',
        handle: async (req, res) => {
          const arn = new URL(req.url ?? '/', 'http://x').searchParams.get('SubscriptionArn') ?? '';
          const sub = await this.store.getSubscription(arn);
          if (!sub) return xml(res, 404, '<ErrorResponse><Error><Type>Sender</Type><Code>NotFound</Code><Message>Subscription does not exist</Message></Error></ErrorResponse>');
          await this.subscriptions.unsubscribe(sub.arn);
          xml(res, 200, '<UnsubscribeResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><ResponseMetadata><RequestId>0</RequestId></ResponseMetadata></UnsubscribeResponse>');
        },
      },
    ];
  }

  /**
   * The delivery sink, for the platform's admin route `GET /_atoll/sns/deliveries`: pushes and SMS
   * recorded for the account and region, oldest first (`afterId` pages on).
   */
  readDeliveries(accountId: string, region: string, filter: { kind?: string; target?: string; afterId?: number; limit?: number }) {
    return this.mobile.readSink(accountId, region, filter);
  }

  /** The push service's feedback that an endpoint's token is invalid (admin route `POST /_atoll/sns/invalidate-token`). */
  invalidateToken(accountId: string, endpointArn: string): Promise<boolean> {
    return this.push.invalidateToken(accountId, endpointArn);
  }

  /** A platform application event (EventEndpoint*, EventDeliveryFailure) published to its topic; a topic that is gone or FIFO drops it. */
  async #publishEvent(topicArn: string, message: string): Promise<void> {
    try {
      const topic = await this.store.getTopic(topicArn);
      if (!topic || topic.fifo) return;
      await this.store.publish(topic.arn, false, [{ messageId: randomUUID(), message, timestamp: new Date().toISOString() }]);
      this.fanOut.kick();
    } catch (error) {
      this.platform.logger.warn({ err: error, topic: topicArn }, 'sns platform application event not published');
    }
  }

  /** Records a phone number's opt-out, as its STOP reply would (admin route `POST /_atoll/sns/opt-out`). */
  async optOut(accountId: string, region: string, phoneNumber: string): Promise<boolean> {
    const phone = normalizePhoneNumber(phoneNumber);
    if (!phone) return false;
    await this.mobile.setOptedOut(accountId, region, phone, true);
    return true;
  }

  /** Opens the store, then asks for the leadership of fan-out, HTTP deliveries and the sweeper. */
  async start(): Promise<void> {
    await this.store.open();
    this.fanOut.start();
    this.http.start();
    this.#stopSweeper = this.platform.storage.leadership.lead('sns:sweeper', (signal) =>
      runEvery(signal, 10_000, () => this.store.sweep(), (error) => this.platform.logger.error({ err: error }, 'sns sweep failed')),
    );
  }

  async close(): Promise<void> {
    this.#stopSweeper?.();
    this.#stopSweeper = undefined;
    this.fanOut.close();
    this.http.close();
    await this.fanOut.idle();
    await this.store.close();
  }

  async #topic(arn: unknown, ctx: RequestContext): Promise<TopicRecord> {
    const topic = typeof arn === 'string' ? await this.store.getTopic(arn) : undefined;
    if (!topic || topic.accountId !== ctx.accountId) throw new NotFoundException('Topic does not exist');
    return topic;
  }

  async #resource(arn: unknown, ctx: RequestContext): Promise<TopicRecord> {
    const topic = typeof arn === 'string' ? await this.store.getTopic(arn) : undefined;
    if (!topic || topic.accountId !== ctx.accountId) throw new ResourceNotFoundException('Resource does not exist');
    return topic;
  }

  /** Changes the stored topic (read and written in one transaction); `gone` is the error when it was deleted meanwhile. */
  async #update(t: TopicRecord, change: (stored: TopicRecord) => void, gone: () => Error): Promise<void> {
    const updated = await this.store.updateTopic(t.arn, change);
    if (!updated) throw gone();
  }

  #checkTopicAttribute(name: string, value: string, fifo: boolean, creating: boolean): string {
    if (!TOPIC_SETTABLE.has(name) && !FEEDBACK.test(name)) throw invalid(`Attributes Reason: Unknown attribute ${name}`);
    if (name === 'FifoTopic') {
      if (!creating) throw invalid('AttributeName');
      return value.toLowerCase();
    }
    if (name === 'ContentBasedDeduplication') {
      if (!fifo) throw invalid('ContentBasedDeduplication Reason: Content based deduplication can only be set for FIFO topics');
      if (!['true', 'false'].includes(value.toLowerCase())) throw invalid('ContentBasedDeduplication');
      return value.toLowerCase();
    }
    if (name === 'SignatureVersion' && value !== '1' && value !== '2') throw invalid('SignatureVersion');
    if (name === 'FifoThroughputScope') {
      if (!fifo) throw invalid('FifoThroughputScope Reason: only FIFO topics have a throughput scope');
      if (value !== 'Topic' && value !== 'MessageGroup') throw invalid('FifoThroughputScope');
    }
    if ((name === 'Policy' || name === 'DeliveryPolicy' || name === 'ArchivePolicy') && value !== '') {
      try {
        JSON.parse(value);
      } catch {
        throw invalid(`${name}: failed to parse JSON.`);
      }
    }
    if (name === 'DisplayName' && value.length > 100) throw invalid('DisplayName');
    return value;
  }

  CreateTopic = async (input: { Name: string; Attributes?: Record<string, string>; Tags?: { Key: string; Value: string }[]; DataProtectionPolicy?: string }, ctx: RequestContext) => {
    const given = input.Attributes ?? {};
    const fifo = String(given.FifoTopic ?? '').toLowerCase() === 'true';
    const name = String(input.Name ?? '');
    const base = fifo ? name.replace(/\.fifo$/, '') : name;
    if (fifo && !name.endsWith('.fifo')) {
      throw invalid('Fifo Topic names must end with .fifo and must be made up of only uppercase and lowercase ASCII letters, numbers, underscores, and hyphens, and must be between 1 and 256 characters long.');
    }
    if (!/^[A-Za-z0-9_-]+$/.test(base) || name.length > 256) throw invalid('Topic Name');
    const attributes: Record<string, string> = {};
    for (const [k, v] of Object.entries(given)) attributes[k] = this.#checkTopicAttribute(k, String(v), fifo, true);
    if (!fifo) delete attributes.FifoTopic;
    const tags = tagMap(input.Tags);
    const arn = `arn:aws:sns:${ctx.region}:${ctx.accountId}:${name}`;
    const { topic: existing, created } = await this.store.createTopic({
      arn,
      accountId: ctx.accountId,
      region: ctx.region,
      name,
      fifo,
      attributes: fifo ? { FifoTopic: 'true', ContentBasedDeduplication: 'false', ...attributes } : attributes,
      tags,
      dataProtectionPolicy: input.DataProtectionPolicy ?? null,
      createdAt: Date.now(),
      deletedSubscriptions: 0,
    });
    if (!created) {
      for (const [k, v] of Object.entries(attributes)) {
        if ((existing.attributes[k] ?? '') !== v) throw invalid('Attributes Reason: Topic already exists with different attributes');
      }
      for (const [k, v] of Object.entries(tags)) {
        if (existing.tags[k] !== v) throw invalid('Tags Reason: Topic already exists with different tags');
      }
    }
    return { TopicArn: arn };
  };

  DeleteTopic = async (input: { TopicArn: string }, ctx: RequestContext) => {
    const topic = await this.store.getTopic(String(input.TopicArn ?? ''));
    // Idempotent, as in SNS: deleting a topic that does not exist is no error.
    if (topic && topic.accountId === ctx.accountId) await this.store.deleteTopic(topic.arn);
    return {};
  };

  ListTopics = async (input: { NextToken?: string }, ctx: RequestContext) => {
    const topics = await this.store.listTopics(ctx.accountId, ctx.region);
    let start = 0;
    if (input.NextToken) {
      start = Number(Buffer.from(input.NextToken, 'base64').toString('utf8'));
      if (!Number.isInteger(start) || start < 0) throw invalid('NextToken');
    }
    const page = topics.slice(start, start + PAGE);
    return {
      Topics: page.map((t) => ({ TopicArn: t.arn })),
      NextToken: start + PAGE < topics.length ? Buffer.from(String(start + PAGE)).toString('base64') : undefined,
    };
  };

  GetTopicAttributes = async (input: { TopicArn: string }, ctx: RequestContext) => {
    const t = await this.#topic(input.TopicArn, ctx);
    const subs = await this.store.subscriptionsOf(t.arn);
    return {
      Attributes: {
        TopicArn: t.arn,
        Owner: t.accountId,
        DisplayName: '',
        Policy: defaultPolicy(t),
        SubscriptionsConfirmed: String(subs.filter((s) => s.confirmed).length),
        SubscriptionsPending: String(subs.filter((s) => !s.confirmed).length),
        SubscriptionsDeleted: String(t.deletedSubscriptions),
        EffectiveDeliveryPolicy: JSON.stringify({
          http: { defaultHealthyRetryPolicy: DEFAULT_RETRY_POLICY, disableSubscriptionOverrides: false, defaultRequestPolicy: { headerContentType: 'text/plain; charset=UTF-8' } },
        }),
        ...t.attributes,
      },
    };
  };

  SetTopicAttributes = async (input: { TopicArn: string; AttributeName: string; AttributeValue?: string }, ctx: RequestContext) => {
    const t = await this.#topic(input.TopicArn, ctx);
    const value = this.#checkTopicAttribute(String(input.AttributeName ?? ''), input.AttributeValue ?? '', t.fifo, false);
    await this.#update(
      t,
      (stored) => {
        if (value === '') delete stored.attributes[input.AttributeName];
        else stored.attributes[input.AttributeName] = value;
      },
      topicGone,
    );
    return {};
  };

  TagResource = async (input: { ResourceArn: string; Tags: { Key: string; Value: string }[] }, ctx: RequestContext) => {
    const t = await this.#resource(input.ResourceArn, ctx);
    const tags = tagMap(input.Tags);
    await this.#update(
      t,
      (stored) => {
        const merged = { ...stored.tags, ...tags };
        if (Object.keys(merged).length > 50) throw new TagLimitExceededException('Could not complete request: tag quota of per resource exceeded');
        stored.tags = merged;
      },
      resourceGone,
    );
    return {};
  };

  UntagResource = async (input: { ResourceArn: string; TagKeys: string[] }, ctx: RequestContext) => {
    const t = await this.#resource(input.ResourceArn, ctx);
    await this.#update(
      t,
      (stored) => {
        for (const key of input.TagKeys ?? []) delete stored.tags[key];
      },
      resourceGone,
    );
    return {};
  };

  ListTagsForResource = async (input: { ResourceArn: string }, ctx: RequestContext) => {
    const t = await this.#resource(input.ResourceArn, ctx);
    return { Tags: Object.entries(t.tags).map(([Key, Value]) => ({ Key, Value })) };
  };

  AddPermission = async (input: { TopicArn: string; Label: string; AWSAccountId: string[]; ActionName: string[] }, ctx: RequestContext) => {
    const t = await this.#topic(input.TopicArn, ctx);
    await this.#update(
      t,
      (stored) => {
        const policy = JSON.parse(stored.attributes.Policy ?? defaultPolicy(stored)) as { Statement: { Sid?: string }[] };
        if (policy.Statement.some((s) => s.Sid === input.Label)) throw invalid('Statement already exists');
        if (!input.AWSAccountId?.length || !input.ActionName?.length) throw invalid('AWSAccountId and ActionName are required');
        policy.Statement.push({
          Sid: input.Label,
          Effect: 'Allow',
          Principal: { AWS: input.AWSAccountId.map((a) => `arn:aws:iam::${a}:root`) },
          Action: input.ActionName.map((a) => `SNS:${a}`),
          Resource: stored.arn,
        } as { Sid: string });
        stored.attributes.Policy = JSON.stringify(policy);
      },
      topicGone,
    );
    return {};
  };

  RemovePermission = async (input: { TopicArn: string; Label: string }, ctx: RequestContext) => {
    const t = await this.#topic(input.TopicArn, ctx);
    await this.#update(
      t,
      (stored) => {
        const policy = JSON.parse(stored.attributes.Policy ?? defaultPolicy(stored)) as { Statement: { Sid?: string }[] };
        if (!policy.Statement.some((s) => s.Sid === input.Label)) throw invalid('Label');
        policy.Statement = policy.Statement.filter((s) => s.Sid !== input.Label);
        stored.attributes.Policy = JSON.stringify(policy);
      },
      topicGone,
    );
    return {};
  };

  GetDataProtectionPolicy = async (input: { ResourceArn: string }, ctx: RequestContext) => {
    const t = await this.#resource(input.ResourceArn, ctx);
    return { DataProtectionPolicy: t.dataProtectionPolicy ?? undefined };
  };

  PutDataProtectionPolicy = async (input: { ResourceArn: string; DataProtectionPolicy: string }, ctx: RequestContext) => {
    const t = await this.#resource(input.ResourceArn, ctx);
    try {
      JSON.parse(input.DataProtectionPolicy);
    } catch {
      throw invalid('DataProtectionPolicy: failed to parse JSON.');
    }
    await this.#update(
      t,
      (stored) => {
        stored.dataProtectionPolicy = input.DataProtectionPolicy;
      },
      resourceGone,
    );
    return {};
  };
}

function tagMap(tags: { Key: string; Value: string }[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const tag of tags ?? []) {
    if (typeof tag.Key !== 'string' || tag.Key.length === 0 || tag.Key.length > 128 || String(tag.Value ?? '').length > 256) throw invalid('Tags');
    out[tag.Key] = String(tag.Value ?? '');
  }
  return out;
}

function defaultPolicy(t: TopicRecord): string {
  return (
    t.attributes.Policy ??
    JSON.stringify({
      Version: '2008-10-17',
      Id: '__default_policy_ID',
      Statement: [
        {
          Sid: '__default_statement_ID',
          Effect: 'Allow',
          Principal: { AWS: '*' },
          Action: ['SNS:GetTopicAttributes', 'SNS:SetTopicAttributes', 'SNS:AddPermission', 'SNS:RemovePermission', 'SNS:DeleteTopic', 'SNS:Subscribe', 'SNS:ListSubscriptionsByTopic', 'SNS:Publish'],
          Resource: t.arn,
          Condition: { StringEquals: { 'AWS:SourceOwner': t.accountId } },
        },
      ],
    })
  );
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function xml(res: import('node:http').ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/xml' });
  res.end(`<?xml version="1.0"?>\n${body}`);
}
