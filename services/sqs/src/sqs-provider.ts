// The SQS provider: queue management operations here, message operations in message-operations.ts,
// message move tasks in move-tasks.ts. Protocol-agnostic (the edge speaks JSON and query).
//
// Known limitations:
// - Queue URLs carry no region (`<endpoint>/<account>/<name>`); the region comes from the request.
// - A queue's `Policy` is enforced by the edge's authorize step (resourcePolicy); cross-account
//   calls still find only queues of the caller's account (QueueDoesNotExist). `KmsMasterKeyId` and
//   the SSE attributes are stored but have no effect.
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
// - Per node (several nodes over PostgreSQL): ReceiveRequestAttemptId retries are recognised only
//   on the node that answered the first attempt, and the FIFO group cursor (which group a receive
//   starts from: fairness, not correctness) is kept per node. `sqs.MessageAvailable` bus events are
//   emitted on the nodes that have the queue cached.
// - Queue attributes are cached per node and dropped on a `sqs.queue` signal: for the moment a signal
//   takes to arrive (or while a node's signal connection is down, until it reconnects), another node
//   may serve a queue's previous attributes.
import type { OperationHandler, PlatformContext, RequestContext, ServiceProvider } from '@atoll/core';
import { MessageOperations, guard } from './message-operations.js';
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
import { runEvery } from '@atoll/storage';
import { SqsStore, type QueueRecord } from './sqs-store.js';

type MessageOperationName =
  | 'SendMessage'
  | 'SendMessageBatch'
  | 'ReceiveMessage'
  | 'DeleteMessage'
  | 'DeleteMessageBatch'
  | 'ChangeMessageVisibility'
  | 'ChangeMessageVisibilityBatch';
type MoveTaskOperationName = 'StartMessageMoveTask' | 'CancelMessageMoveTask' | 'ListMessageMoveTasks';

const PURGE_INTERVAL_S = 60;
const SWEEP_MS = 1000;

export class SqsProvider implements ServiceProvider {
  readonly service = 'sqs';
  readonly waiters = new ReceiveWaiters();
  readonly operations: ServiceProvider['operations'];
  readonly authorization = sqsAuthorization;
  #store: SqsStore | undefined;
  #messages: MessageOperations | undefined;
  #moveTasks: MessageMoveTasks | undefined;
  #stops: (() => void)[] = [];
  #attemptSweeper: NodeJS.Timeout | undefined;

  constructor(readonly platform: PlatformContext) {
    // Message operations and move tasks exist once the store is open (`start`).
    const m = (name: MessageOperationName): OperationHandler => (input, ctx) => this.messages[name](input, ctx);
    const t = (name: MoveTaskOperationName): OperationHandler => (input, ctx) => this.moveTasks[name](input, ctx);
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
      SendMessage: m('SendMessage'),
      SendMessageBatch: m('SendMessageBatch'),
      ReceiveMessage: m('ReceiveMessage'),
      DeleteMessage: m('DeleteMessage'),
      DeleteMessageBatch: m('DeleteMessageBatch'),
      ChangeMessageVisibility: m('ChangeMessageVisibility'),
      ChangeMessageVisibilityBatch: m('ChangeMessageVisibilityBatch'),
      StartMessageMoveTask: t('StartMessageMoveTask'),
      CancelMessageMoveTask: t('CancelMessageMoveTask'),
      ListMessageMoveTasks: t('ListMessageMoveTasks'),
    };
  }

  /** The store; opened by `start`. */
  get store(): SqsStore {
    if (!this.#store) throw new Error('the SQS provider is not started');
    return this.#store;
  }

  get messages(): MessageOperations {
    if (!this.#messages) throw new Error('the SQS provider is not started');
    return this.#messages;
  }

  get moveTasks(): MessageMoveTasks {
    if (!this.#moveTasks) throw new Error('the SQS provider is not started');
    return this.#moveTasks;
  }

  /**
   * Opens the store, listens for messages made available on any node, and runs the retention sweep
   * and the move-task runner where this node leads them (once across nodes).
   */
  async start(): Promise<void> {
    const store = await SqsStore.open(this.platform.storage);
    this.#store = store;
    store.onAvailable = (queueId) => {
      if (queueId === undefined) {
        this.waiters.notifyAll();
        return;
      }
      this.waiters.notify(queueId);
      const q = store.cachedQueue(queueId);
      if (q) {
        this.platform.bus.emit({
          type: 'sqs.MessageAvailable',
          accountId: q.accountId,
          region: q.region,
          detail: { queueArn: q.arn, queueName: q.name },
        });
      }
    };
    this.#messages = new MessageOperations(store, this.waiters, (url, ctx) => this.resolve(url, ctx));
    this.#moveTasks = new MessageMoveTasks(store);
    const logError = (what: string) => (error: unknown) => this.platform.logger.error({ err: error }, what);
    const leadership = this.platform.storage.leadership;
    this.#stops.push(
      leadership.lead('sqs:retention', (signal) => runEvery(signal, SWEEP_MS, () => store.sweep(), logError('sqs sweep failed'))),
      leadership.lead('sqs:move-tasks', (signal) => this.moveTasks.run(signal, logError('sqs message move task failed'))),
    );
    // Receive attempt ids are remembered per node, so every node forgets its own.
    this.#attemptSweeper = setInterval(() => this.messages.sweepAttempts(), SWEEP_MS);
    this.#attemptSweeper.unref();
  }

  async close(): Promise<void> {
    for (const stop of this.#stops.splice(0)) stop();
    if (this.#attemptSweeper) clearInterval(this.#attemptSweeper);
    this.waiters.close();
    await this.#store?.close();
  }

  /**
   * A queue's `Policy` attribute for the edge's authorize step: synchronous from the store's queue
   * cache (every call on a queue passes here), a database read only for a queue not cached yet.
   */
  resourcePolicy(resourceArn: string): string | undefined | Promise<string | undefined> {
    const store = this.#store;
    if (!store) return undefined;
    const cached = store.cachedQueueByArn(resourceArn);
    if (cached) return cached.attributes.Policy || undefined;
    return store.getQueueByArn(resourceArn).then((q) => q?.attributes.Policy || undefined);
  }

  /** The queue a QueueUrl names, in the caller's account and region. */
  async resolve(url: unknown, ctx: RequestContext): Promise<QueueRecord> {
    const parsed = parseQueueUrl(url);
    if (!parsed || (parsed.accountId !== undefined && parsed.accountId !== ctx.accountId)) throw queueDoesNotExist();
    const q = await this.store.getQueue(ctx.accountId, ctx.region, parsed.name);
    if (!q) throw queueDoesNotExist();
    return q;
  }

  #url(q: QueueRecord, ctx: RequestContext): string {
    return queueUrl(ctx.endpoint || this.platform.endpoint(), q.accountId, q.name);
  }

  async #checkRedriveTarget(attributes: Record<string, string>, fifo: boolean, sourceName: string, ctx: RequestContext): Promise<void> {
    if (!attributes.RedrivePolicy) return;
    const policy = parseRedrivePolicy(attributes.RedrivePolicy);
    const target = await this.store.getQueueByArn(policy.deadLetterTargetArn);
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

  CreateQueue = async (input: { QueueName: string; Attributes?: Record<string, string>; tags?: Record<string, string> }, ctx: RequestContext) => {
    const given = input.Attributes ?? {};
    const fifo = String(given.FifoQueue ?? '').toLowerCase() === 'true';
    const name = checkQueueName(input.QueueName, fifo || String(input.QueueName ?? '').endsWith('.fifo'));
    if (name.endsWith('.fifo') && !fifo) {
      throw invalidParameterValue('Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length');
    }
    const attributes = checkQueueAttributes(given, fifo, true);
    await this.#checkRedriveTarget(attributes, fifo, name, ctx);
    checkTags(input.tags);
    const existing = await this.store.getQueue(ctx.accountId, ctx.region, name);
    if (existing) return { QueueUrl: this.#url(sameQueue(existing, attributes), ctx) };
    const stored = { ...DEFAULT_ATTRIBUTES, ...(fifo ? FIFO_DEFAULTS : {}), ...attributes };
    for (const key of Object.keys(stored)) if (stored[key] === '') delete stored[key];
    const created = await this.store.createQueue(ctx.accountId, ctx.region, name, fifo, stored, { ...(input.tags ?? {}) });
    // Created meanwhile by another request (on this node or another): the same rule as above.
    const q = created ?? (await this.store.getQueue(ctx.accountId, ctx.region, name));
    if (!q) throw queueDoesNotExist();
    return { QueueUrl: this.#url(created ? q : sameQueue(q, attributes), ctx) };
  };

  GetQueueUrl = async (input: { QueueName: string; QueueOwnerAWSAccountId?: string }, ctx: RequestContext) => {
    if (input.QueueOwnerAWSAccountId !== undefined && input.QueueOwnerAWSAccountId !== ctx.accountId) throw queueDoesNotExist();
    const q = typeof input.QueueName === 'string' ? await this.store.getQueue(ctx.accountId, ctx.region, input.QueueName) : undefined;
    if (!q) throw queueDoesNotExist();
    return { QueueUrl: this.#url(q, ctx) };
  };

  ListQueues = async (input: { QueueNamePrefix?: string; NextToken?: string; MaxResults?: number }, ctx: RequestContext) => {
    const max = input.MaxResults;
    if (max !== undefined && (!Number.isInteger(max) || max < 1 || max > 1000)) {
      throw invalidParameterValue(`Value ${max} for parameter MaxResults is invalid. Reason: MaxResults must be an integer between 1 and 1000.`);
    }
    if (input.NextToken !== undefined && max === undefined) {
      throw invalidParameterValue('MaxResults is a mandatory parameter when you provide a value for NextToken.');
    }
    const after = decodeToken(input.NextToken);
    const prefix = input.QueueNamePrefix ?? '';
    const names = (await this.store.listQueues(ctx.accountId, ctx.region)).filter(
      (q) => q.name.startsWith(prefix) && (after === undefined || q.name > after),
    );
    const page = names.slice(0, max ?? 1000);
    return {
      QueueUrls: page.length > 0 ? page.map((q) => this.#url(q, ctx)) : undefined,
      NextToken: max !== undefined && names.length > page.length ? encodeToken(page[page.length - 1]!.name) : undefined,
    };
  };

  DeleteQueue = async (input: { QueueUrl: string }, ctx: RequestContext) => {
    const q = await this.resolve(input.QueueUrl, ctx);
    await this.store.deleteQueue(q);
    this.waiters.forget(q.id);
    return {};
  };

  PurgeQueue = async (input: { QueueUrl: string }, ctx: RequestContext) => {
    const q = await this.resolve(input.QueueUrl, ctx);
    const now = Math.floor(Date.now() / 1000);
    await guard(
      this.store.updateQueue(
        q,
        (current) => {
          if (current.lastPurgeAt !== null && now - current.lastPurgeAt < PURGE_INTERVAL_S) {
            throw new PurgeQueueInProgress(`Only one PurgeQueue operation on ${q.name} is allowed every 60 seconds.`);
          }
          current.lastPurgeAt = now;
        },
        false,
      ),
    );
    await this.store.purge(q);
    return {};
  };

  GetQueueAttributes = async (input: { QueueUrl: string; AttributeNames?: string[] }, ctx: RequestContext) => {
    const q = await this.resolve(input.QueueUrl, ctx);
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
      const counts = await this.store.counts(q);
      if (want('ApproximateNumberOfMessages')) out.ApproximateNumberOfMessages = String(counts.visible);
      if (want('ApproximateNumberOfMessagesNotVisible')) out.ApproximateNumberOfMessagesNotVisible = String(counts.notVisible);
      if (want('ApproximateNumberOfMessagesDelayed')) out.ApproximateNumberOfMessagesDelayed = String(counts.delayed);
    }
    return Object.keys(out).length > 0 ? { Attributes: out } : {};
  };

  SetQueueAttributes = async (input: { QueueUrl: string; Attributes: Record<string, string> }, ctx: RequestContext) => {
    const q = await this.resolve(input.QueueUrl, ctx);
    const attributes = checkQueueAttributes(input.Attributes ?? {}, q.fifo, false);
    await this.#checkRedriveTarget(attributes, q.fifo, q.name, ctx);
    await guard(
      this.store.updateQueue(q, (current) => {
        for (const [key, value] of Object.entries(attributes)) {
          if (value === '') delete current.attributes[key];
          else current.attributes[key] = value;
        }
      }),
    );
    return {};
  };

  TagQueue = async (input: { QueueUrl: string; Tags: Record<string, string> }, ctx: RequestContext) => {
    const q = await this.resolve(input.QueueUrl, ctx);
    checkTags(input.Tags);
    await guard(
      this.store.updateQueue(
        q,
        (current) => {
          const merged = { ...current.tags, ...(input.Tags ?? {}) };
          if (Object.keys(merged).length > 50) throw invalidParameterValue('Too many tags added for queue; a queue can have at most 50 tags.');
          current.tags = merged;
        },
        false,
      ),
    );
    return {};
  };

  UntagQueue = async (input: { QueueUrl: string; TagKeys: string[] }, ctx: RequestContext) => {
    const q = await this.resolve(input.QueueUrl, ctx);
    await guard(
      this.store.updateQueue(
        q,
        (current) => {
          for (const key of input.TagKeys ?? []) delete current.tags[key];
        },
        false,
      ),
    );
    return {};
  };

  ListQueueTags = async (input: { QueueUrl: string }, ctx: RequestContext) => {
    const q = await this.resolve(input.QueueUrl, ctx);
    return Object.keys(q.tags).length > 0 ? { Tags: { ...q.tags } } : {};
  };

  AddPermission = async (input: { QueueUrl: string; Label: string; AWSAccountIds: string[]; Actions: string[] }, ctx: RequestContext) => {
    const q = await this.resolve(input.QueueUrl, ctx);
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(String(input.Label ?? ''))) {
      throw invalidParameterValue(`Value ${input.Label} for parameter Label is invalid. Reason: Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length.`);
    }
    if (!input.AWSAccountIds?.length) throw invalidParameterValue('Value for parameter AWSAccountIds is invalid. Reason: at least one account id is required.');
    if (!input.Actions?.length) throw invalidParameterValue('Value for parameter Actions is invalid. Reason: at least one action is required.');
    await guard(
      this.store.updateQueue(q, (current) => {
        const policy = current.attributes.Policy
          ? (JSON.parse(current.attributes.Policy) as { Statement: { Sid?: string }[] } & Record<string, unknown>)
          : { Version: '2012-10-17', Id: `${current.arn}/SQSDefaultPolicy`, Statement: [] };
        if (policy.Statement.some((s) => s.Sid === input.Label)) {
          throw invalidParameterValue(`Value ${input.Label} for parameter Label is invalid. Reason: Already exists.`);
        }
        policy.Statement.push({
          Sid: input.Label,
          Effect: 'Allow',
          Principal: { AWS: input.AWSAccountIds.map((a) => `arn:aws:iam::${a}:root`) },
          Action: input.Actions.map((a) => `SQS:${a}`),
          Resource: current.arn,
        } as { Sid: string });
        current.attributes.Policy = JSON.stringify(policy);
      }),
    );
    return {};
  };

  RemovePermission = async (input: { QueueUrl: string; Label: string }, ctx: RequestContext) => {
    const q = await this.resolve(input.QueueUrl, ctx);
    await guard(
      this.store.updateQueue(q, (current) => {
        const policy = current.attributes.Policy ? (JSON.parse(current.attributes.Policy) as { Statement: { Sid?: string }[] }) : undefined;
        if (!policy || !policy.Statement.some((s) => s.Sid === input.Label)) {
          throw invalidParameterValue(`Value ${input.Label} for parameter Label is invalid. Reason: can't find label on existing policy.`);
        }
        policy.Statement = policy.Statement.filter((s) => s.Sid !== input.Label);
        if (policy.Statement.length === 0) delete current.attributes.Policy;
        else current.attributes.Policy = JSON.stringify(policy);
      }),
    );
    return {};
  };

  ListDeadLetterSourceQueues = async (input: { QueueUrl: string; NextToken?: string; MaxResults?: number }, ctx: RequestContext) => {
    const q = await this.resolve(input.QueueUrl, ctx);
    const max = input.MaxResults;
    if (max !== undefined && (!Number.isInteger(max) || max < 1 || max > 1000)) {
      throw invalidParameterValue(`Value ${max} for parameter MaxResults is invalid. Reason: MaxResults must be an integer between 1 and 1000.`);
    }
    const after = decodeToken(input.NextToken);
    const sources = (await this.store.listQueues(ctx.accountId, ctx.region)).filter(
      (s) => s.settings.redrive?.deadLetterTargetArn === q.arn && (after === undefined || s.name > after),
    );
    const page = sources.slice(0, max ?? 1000);
    return {
      queueUrls: page.map((s) => this.#url(s, ctx)),
      NextToken: max !== undefined && sources.length > page.length ? encodeToken(page[page.length - 1]!.name) : undefined,
    };
  };
}

/** CreateQueue on an existing name: the same queue when every given attribute matches, QueueNameExists otherwise. */
function sameQueue(existing: QueueRecord, attributes: Record<string, string>): QueueRecord {
  for (const [key, value] of Object.entries(attributes)) {
    if ((existing.attributes[key] ?? DEFAULT_ATTRIBUTES[key] ?? '') !== value) {
      throw new QueueNameExists(`A queue already exists with the same name and a different value for attribute ${key}`);
    }
  }
  return existing;
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
