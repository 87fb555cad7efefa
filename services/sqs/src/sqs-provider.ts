// The SQS provider: queue management operations here, message operations in message-operations.ts,
// message move tasks in move-tasks.ts. Protocol-agnostic (the edge speaks JSON and query).
//
// Known limitations:
// - Queue URLs carry no region (`<endpoint>/<account>/<name>`); the region comes from the request.
// - Cross-account access through queue policies is not evaluated: a queue is reachable only from its
//   own account. `Policy`, `KmsMasterKeyId` and the SSE attributes are stored but have no effect.
// - `QueueDeletedRecently` is never raised: a deleted queue's name can be reused at once.
// - Oversize messages answer `InvalidParameterValue` ("Message must be shorter than …"), as SQS does;
//   invalid characters answer `InvalidMessageContents`.
// - High-throughput FIFO settings (`FifoThroughputLimit`, `DeduplicationScope`) are stored;
//   `DeduplicationScope=messageGroup` scopes deduplication ids per group.
// - Message attribute list values (`StringListValues`, `BinaryListValues`) are refused, as SQS does.
// - A FIFO receive visits at most 1,000 message groups (the next receive continues from there), and
//   scans its candidate groups' in-flight heads by index; there are no FIFO throughput quotas.
// - A receive's visibility change is acknowledged at commit, before its fsync (a power loss can make
//   a received message visible again early: at-least-once holds); sends, deletes and visibility
//   changes are acknowledged only once fsynced.
import { join } from 'node:path';
import type { PlatformContext, RequestContext, ServiceProvider } from '@atoll/core';
import { MessageOperations } from './message-operations.js';
import { MessageMoveTasks } from './move-tasks.js';
import {
  DEFAULT_ATTRIBUTES,
  FIFO_DEFAULTS,
  READ_ONLY_ATTRIBUTES,
  SETTABLE_ATTRIBUTES,
  checkQueueAttributes,
  checkQueueName,
  parseRedrivePolicy,
} from './queue-attributes.js';
import { parseQueueUrl, queueUrl } from './queue-url.js';
import { sqsAuthorization } from './authorization.js';
import { ReceiveWaiters } from './receive-waiters.js';
import { InvalidAttributeName, PurgeQueueInProgress, QueueNameExists, invalidParameterValue, queueDoesNotExist } from './sqs-errors.js';
import { SqsStore, type QueueRecord } from './sqs-store.js';

const PURGE_INTERVAL_S = 60;
const SWEEP_MS = 1000;

export class SqsProvider implements ServiceProvider {
  readonly service = 'sqs';
  readonly store: SqsStore;
  readonly waiters = new ReceiveWaiters();
  readonly messages: MessageOperations;
  readonly moveTasks: MessageMoveTasks;
  readonly operations: ServiceProvider['operations'];
  readonly authorization = sqsAuthorization;
  #sweeper: NodeJS.Timeout | undefined;

  constructor(readonly platform: PlatformContext, dir = join(platform.config.dataDir, 'sqs')) {
    this.store = new SqsStore(dir);
    this.store.onAvailable = (q) => {
      this.waiters.notify(q.id);
      platform.bus.emit({
        type: 'sqs.MessageAvailable',
        accountId: q.accountId,
        region: q.region,
        detail: { queueArn: q.arn, queueName: q.name },
      });
    };
    this.messages = new MessageOperations(this.store, this.waiters, (url, ctx) => this.resolve(url, ctx));
    this.moveTasks = new MessageMoveTasks(this.store);
    const m = this.messages;
    const t = this.moveTasks;
    this.operations = {
      CreateQueue: this.CreateQueue,
      GetQueueUrl: this.GetQueueUrl,
      ListQueues: this.ListQueues,
      DeleteQueue: this.DeleteQueue,
      PurgeQueue: this.PurgeQueue,
      GetQueueAttributes: this.GetQueueAttributes,
      SetQueueAttributes: this.SetQueueAttributes,
      TagQueue: this.TagQueue,
      UntagQueue: this.UntagQueue,
      ListQueueTags: this.ListQueueTags,
      AddPermission: this.AddPermission,
      RemovePermission: this.RemovePermission,
      ListDeadLetterSourceQueues: this.ListDeadLetterSourceQueues,
      SendMessage: m.SendMessage,
      SendMessageBatch: m.SendMessageBatch,
      ReceiveMessage: m.ReceiveMessage,
      DeleteMessage: m.DeleteMessage,
      DeleteMessageBatch: m.DeleteMessageBatch,
      ChangeMessageVisibility: m.ChangeMessageVisibility,
      ChangeMessageVisibilityBatch: m.ChangeMessageVisibilityBatch,
      StartMessageMoveTask: t.StartMessageMoveTask,
      CancelMessageMoveTask: t.CancelMessageMoveTask,
      ListMessageMoveTasks: t.ListMessageMoveTasks,
    };
  }

  start(): void {
    this.moveTasks.start();
    this.#sweeper = setInterval(() => {
      this.store.sweep().catch((error) => this.platform.logger.error({ err: error }, 'sqs sweep failed'));
      this.messages.sweepAttempts();
    }, SWEEP_MS);
    this.#sweeper.unref();
  }

  close(): void {
    if (this.#sweeper) clearInterval(this.#sweeper);
    this.moveTasks.close();
    this.waiters.close();
    this.store.close();
  }

  /** The queue a QueueUrl names, in the caller's account and region. */
  resolve(url: unknown, ctx: RequestContext): QueueRecord {
    const parsed = parseQueueUrl(url);
    if (!parsed || (parsed.accountId !== undefined && parsed.accountId !== ctx.accountId)) throw queueDoesNotExist();
    const q = this.store.getQueue(ctx.accountId, ctx.region, parsed.name);
    if (!q) throw queueDoesNotExist();
    return q;
  }

  #url(q: QueueRecord, ctx: RequestContext): string {
    return queueUrl(ctx.endpoint || this.platform.endpoint(), q.accountId, q.name);
  }

  #checkRedriveTarget(attributes: Record<string, string>, fifo: boolean, sourceName: string, ctx: RequestContext): void {
    if (!attributes.RedrivePolicy) return;
    const policy = parseRedrivePolicy(attributes.RedrivePolicy);
    const target = this.store.getQueueByArn(policy.deadLetterTargetArn);
    if (!target || target.accountId !== ctx.accountId || target.region !== ctx.region) {
      throw invalidParameterValue(`Value ${attributes.RedrivePolicy} for parameter RedrivePolicy is invalid. Reason: Dead-letter target does not exist.`);
    }
    if (target.fifo !== fifo) {
      throw invalidParameterValue(`Value ${attributes.RedrivePolicy} for parameter RedrivePolicy is invalid. Reason: Dead-letter queue must be same type as source queue.`);
    }
    // The dead-letter queue's RedriveAllowPolicy decides which source queues may use it.
    if (target.attributes.RedriveAllowPolicy) {
      const allow = JSON.parse(target.attributes.RedriveAllowPolicy) as { redrivePermission: string; sourceQueueArns?: string[] };
      const sourceArn = `arn:aws:sqs:${ctx.region}:${ctx.accountId}:${sourceName}`;
      if (allow.redrivePermission === 'denyAll' || (allow.redrivePermission === 'byQueue' && !allow.sourceQueueArns?.includes(sourceArn))) {
        throw invalidParameterValue(
          `Value ${attributes.RedrivePolicy} for parameter RedrivePolicy is invalid. Reason: Queue ${sourceArn} is not allowed to use ${target.arn} as a dead-letter queue by its RedriveAllowPolicy.`,
        );
      }
    }
  }

  CreateQueue = (input: { QueueName: string; Attributes?: Record<string, string>; tags?: Record<string, string> }, ctx: RequestContext) => {
    const given = input.Attributes ?? {};
    const fifo = String(given.FifoQueue ?? '').toLowerCase() === 'true';
    const name = checkQueueName(input.QueueName, fifo || String(input.QueueName ?? '').endsWith('.fifo'));
    if (name.endsWith('.fifo') && !fifo) {
      throw invalidParameterValue('Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length');
    }
    const attributes = checkQueueAttributes(given, fifo, true);
    this.#checkRedriveTarget(attributes, fifo, name, ctx);
    checkTags(input.tags);
    const existing = this.store.getQueue(ctx.accountId, ctx.region, name);
    if (existing) {
      for (const [key, value] of Object.entries(attributes)) {
        if ((existing.attributes[key] ?? DEFAULT_ATTRIBUTES[key] ?? '') !== value) {
          throw new QueueNameExists(`A queue already exists with the same name and a different value for attribute ${key}`);
        }
      }
      return { QueueUrl: this.#url(existing, ctx) };
    }
    const stored = { ...DEFAULT_ATTRIBUTES, ...(fifo ? FIFO_DEFAULTS : {}), ...attributes };
    for (const key of Object.keys(stored)) if (stored[key] === '') delete stored[key];
    const q = this.store.createQueue(ctx.accountId, ctx.region, name, fifo, stored, { ...(input.tags ?? {}) });
    return { QueueUrl: this.#url(q, ctx) };
  };

  GetQueueUrl = (input: { QueueName: string; QueueOwnerAWSAccountId?: string }, ctx: RequestContext) => {
    if (input.QueueOwnerAWSAccountId !== undefined && input.QueueOwnerAWSAccountId !== ctx.accountId) throw queueDoesNotExist();
    const q = typeof input.QueueName === 'string' ? this.store.getQueue(ctx.accountId, ctx.region, input.QueueName) : undefined;
    if (!q) throw queueDoesNotExist();
    return { QueueUrl: this.#url(q, ctx) };
  };

  ListQueues = (input: { QueueNamePrefix?: string; NextToken?: string; MaxResults?: number }, ctx: RequestContext) => {
    const max = input.MaxResults;
    if (max !== undefined && (!Number.isInteger(max) || max < 1 || max > 1000)) {
      throw invalidParameterValue(`Value ${max} for parameter MaxResults is invalid. Reason: MaxResults must be an integer between 1 and 1000.`);
    }
    if (input.NextToken !== undefined && max === undefined) {
      throw invalidParameterValue('MaxResults is a mandatory parameter when you provide a value for NextToken.');
    }
    const after = decodeToken(input.NextToken);
    const prefix = input.QueueNamePrefix ?? '';
    const names = this.store.listQueues(ctx.accountId, ctx.region).filter((q) => q.name.startsWith(prefix) && (after === undefined || q.name > after));
    const page = names.slice(0, max ?? 1000);
    return {
      QueueUrls: page.length > 0 ? page.map((q) => this.#url(q, ctx)) : undefined,
      NextToken: max !== undefined && names.length > page.length ? encodeToken(page[page.length - 1]!.name) : undefined,
    };
  };

  DeleteQueue = async (input: { QueueUrl: string }, ctx: RequestContext) => {
    const q = this.resolve(input.QueueUrl, ctx);
    await this.store.deleteQueue(q);
    this.waiters.notify(q.id);
    return {};
  };

  PurgeQueue = async (input: { QueueUrl: string }, ctx: RequestContext) => {
    const q = this.resolve(input.QueueUrl, ctx);
    const now = Math.floor(Date.now() / 1000);
    if (q.lastPurgeAt !== null && now - q.lastPurgeAt < PURGE_INTERVAL_S) {
      throw new PurgeQueueInProgress(`Only one PurgeQueue operation on ${q.name} is allowed every 60 seconds.`);
    }
    q.lastPurgeAt = now;
    this.store.saveQueue(q, false);
    await this.store.purge(q);
    return {};
  };

  GetQueueAttributes = (input: { QueueUrl: string; AttributeNames?: string[] }, ctx: RequestContext) => {
    const q = this.resolve(input.QueueUrl, ctx);
    const requested = input.AttributeNames ?? [];
    for (const name of requested) {
      if (name !== 'All' && !SETTABLE_ATTRIBUTES.has(name) && !READ_ONLY_ATTRIBUTES.includes(name)) {
        throw new InvalidAttributeName(`Unknown Attribute ${name}.`);
      }
    }
    if (requested.length === 0) return {};
    const all = requested.includes('All');
    const want = (n: string) => all || requested.includes(n);
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(q.attributes)) if (want(key)) out[key] = value;
    if (want('QueueArn')) out.QueueArn = q.arn;
    if (want('CreatedTimestamp')) out.CreatedTimestamp = String(q.createdAt);
    if (want('LastModifiedTimestamp')) out.LastModifiedTimestamp = String(q.modifiedAt);
    if (want('ApproximateNumberOfMessages') || want('ApproximateNumberOfMessagesNotVisible') || want('ApproximateNumberOfMessagesDelayed')) {
      const counts = this.store.counts(q);
      if (want('ApproximateNumberOfMessages')) out.ApproximateNumberOfMessages = String(counts.visible);
      if (want('ApproximateNumberOfMessagesNotVisible')) out.ApproximateNumberOfMessagesNotVisible = String(counts.notVisible);
      if (want('ApproximateNumberOfMessagesDelayed')) out.ApproximateNumberOfMessagesDelayed = String(counts.delayed);
    }
    return Object.keys(out).length > 0 ? { Attributes: out } : {};
  };

  SetQueueAttributes = (input: { QueueUrl: string; Attributes: Record<string, string> }, ctx: RequestContext) => {
    const q = this.resolve(input.QueueUrl, ctx);
    const attributes = checkQueueAttributes(input.Attributes ?? {}, q.fifo, false);
    this.#checkRedriveTarget(attributes, q.fifo, q.name, ctx);
    for (const [key, value] of Object.entries(attributes)) {
      if (value === '') delete q.attributes[key];
      else q.attributes[key] = value;
    }
    this.store.saveQueue(q);
    return {};
  };

  TagQueue = (input: { QueueUrl: string; Tags: Record<string, string> }, ctx: RequestContext) => {
    const q = this.resolve(input.QueueUrl, ctx);
    checkTags(input.Tags);
    const merged = { ...q.tags, ...(input.Tags ?? {}) };
    if (Object.keys(merged).length > 50) throw invalidParameterValue('Too many tags added for queue; a queue can have at most 50 tags.');
    q.tags = merged;
    this.store.saveQueue(q, false);
    return {};
  };

  UntagQueue = (input: { QueueUrl: string; TagKeys: string[] }, ctx: RequestContext) => {
    const q = this.resolve(input.QueueUrl, ctx);
    for (const key of input.TagKeys ?? []) delete q.tags[key];
    this.store.saveQueue(q, false);
    return {};
  };

  ListQueueTags = (input: { QueueUrl: string }, ctx: RequestContext) => {
    const q = this.resolve(input.QueueUrl, ctx);
    return Object.keys(q.tags).length > 0 ? { Tags: { ...q.tags } } : {};
  };

  AddPermission = (input: { QueueUrl: string; Label: string; AWSAccountIds: string[]; Actions: string[] }, ctx: RequestContext) => {
    const q = this.resolve(input.QueueUrl, ctx);
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(String(input.Label ?? ''))) {
      throw invalidParameterValue(`Value ${input.Label} for parameter Label is invalid. Reason: Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length.`);
    }
    if (!input.AWSAccountIds?.length) throw invalidParameterValue('Value for parameter AWSAccountIds is invalid. Reason: at least one account id is required.');
    if (!input.Actions?.length) throw invalidParameterValue('Value for parameter Actions is invalid. Reason: at least one action is required.');
    const policy = q.attributes.Policy
      ? (JSON.parse(q.attributes.Policy) as { Statement: { Sid?: string }[] } & Record<string, unknown>)
      : { Version: '2012-10-17', Id: `${q.arn}/SQSDefaultPolicy`, Statement: [] };
    if (policy.Statement.some((s) => s.Sid === input.Label)) {
      throw invalidParameterValue(`Value ${input.Label} for parameter Label is invalid. Reason: Already exists.`);
    }
    policy.Statement.push({
      Sid: input.Label,
      Effect: 'Allow',
      Principal: { AWS: input.AWSAccountIds.map((a) => `arn:aws:iam::${a}:root`) },
      Action: input.Actions.map((a) => `SQS:${a}`),
      Resource: q.arn,
    } as { Sid: string });
    q.attributes.Policy = JSON.stringify(policy);
    this.store.saveQueue(q);
    return {};
  };

  RemovePermission = (input: { QueueUrl: string; Label: string }, ctx: RequestContext) => {
    const q = this.resolve(input.QueueUrl, ctx);
    const policy = q.attributes.Policy ? (JSON.parse(q.attributes.Policy) as { Statement: { Sid?: string }[] }) : undefined;
    if (!policy || !policy.Statement.some((s) => s.Sid === input.Label)) {
      throw invalidParameterValue(`Value ${input.Label} for parameter Label is invalid. Reason: can't find label on existing policy.`);
    }
    policy.Statement = policy.Statement.filter((s) => s.Sid !== input.Label);
    if (policy.Statement.length === 0) delete q.attributes.Policy;
    else q.attributes.Policy = JSON.stringify(policy);
    this.store.saveQueue(q);
    return {};
  };

  ListDeadLetterSourceQueues = (input: { QueueUrl: string; NextToken?: string; MaxResults?: number }, ctx: RequestContext) => {
    const q = this.resolve(input.QueueUrl, ctx);
    const max = input.MaxResults;
    if (max !== undefined && (!Number.isInteger(max) || max < 1 || max > 1000)) {
      throw invalidParameterValue(`Value ${max} for parameter MaxResults is invalid. Reason: MaxResults must be an integer between 1 and 1000.`);
    }
    const after = decodeToken(input.NextToken);
    const sources = this.store
      .listQueues(ctx.accountId, ctx.region)
      .filter((s) => s.settings.redrive?.deadLetterTargetArn === q.arn && (after === undefined || s.name > after));
    const page = sources.slice(0, max ?? 1000);
    return {
      queueUrls: page.map((s) => this.#url(s, ctx)),
      NextToken: max !== undefined && sources.length > page.length ? encodeToken(page[page.length - 1]!.name) : undefined,
    };
  };
}

function checkTags(tags: Record<string, string> | undefined): void {
  if (!tags) return;
  const keys = Object.keys(tags);
  if (keys.length > 50) throw invalidParameterValue('Too many tags added for queue; a queue can have at most 50 tags.');
  for (const key of keys) {
    if (key.length === 0 || key.length > 128 || String(tags[key]).length > 256 || /^aws:/i.test(key)) {
      throw invalidParameterValue(`Tag key or value is invalid: ${key}`);
    }
  }
}

const encodeToken = (name: string): string => Buffer.from(JSON.stringify({ after: name })).toString('base64');

function decodeToken(token: string | undefined): string | undefined {
  if (token === undefined || token === '') return undefined;
  try {
    const after = (JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { after?: unknown }).after;
    if (typeof after === 'string') return after;
  } catch {
    // fall through
  }
  throw invalidParameterValue('Invalid NextToken value.');
}
