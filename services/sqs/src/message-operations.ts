// The message operations of SQS: send (single and batch), receive with long polling, delete and
// visibility changes (single and batch). Each checks its input, changes state through the store and
// returns the modeled output; durability and indexing are the store's.
import { createHash, randomUUID } from 'node:crypto';
import { propagatedTraceHeader, type RequestContext, type ServiceError } from '@atoll/core';
import { md5Hex, md5OfMessageAttributes, type MessageAttributeValue } from './message-md5.js';
import { MAX_MESSAGE_BYTES } from './queue-attributes.js';
import {
  batchFailure,
  checkBatchEntries,
  checkBody,
  checkMessageAttributes,
  decodeAttributes,
  encodeAttributes,
} from './message-validation.js';
import { decodeReceiptHandle, encodeReceiptHandle } from './receipt-handle.js';
import type { ReceiveWaiters } from './receive-waiters.js';
import {
  BatchRequestTooLong,
  MessageNotInflight,
  ReceiptHandleIsInvalid,
  invalidParameterValue,
  missingParameter,
  queueDoesNotExist,
} from './sqs-errors.js';
import { NotInFlightError, QueueGoneError, StaleReceiptError, VisibilityLimitError, type MessageRow, type NewMessage, type QueueRecord, type SqsStore } from './sqs-store.js';

export interface SendMessageInput {
  QueueUrl: string;
  MessageBody: string;
  DelaySeconds?: number;
  MessageAttributes?: Record<string, MessageAttributeValue>;
  MessageSystemAttributes?: Record<string, MessageAttributeValue>;
  MessageDeduplicationId?: string;
  MessageGroupId?: string;
}

export interface SendBatchEntry extends Omit<SendMessageInput, 'QueueUrl'> {
  Id: string;
}

export interface MessageOutput {
  MessageId: string;
  ReceiptHandle: string;
  MD5OfBody: string;
  Body: string;
  Attributes?: Record<string, string>;
  MD5OfMessageAttributes?: string;
  MessageAttributes?: Record<string, MessageAttributeValue>;
}

const MESSAGE_SYSTEM_ATTRIBUTE_NAMES = [
  'SenderId',
  'SentTimestamp',
  'ApproximateReceiveCount',
  'ApproximateFirstReceiveTimestamp',
  'SequenceNumber',
  'MessageDeduplicationId',
  'MessageGroupId',
  'AWSTraceHeader',
  'DeadLetterQueueSourceArn',
];

const ID_CHARS = /^[A-Za-z0-9!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]{1,128}$/;
const ATTEMPT_WINDOW_MS = 5 * 60 * 1000;
const RECHECK_MS = 1000;

export const sequenceNumber = (seq: number): string => String(seq).padStart(20, '0');

/** Awaits a store call on a queue: a queue deleted meanwhile (on any node) answers QueueDoesNotExist. */
export const guard = async <T>(work: Promise<T>): Promise<T> => {
  try {
    return await work;
  } catch (error) {
    if (error instanceof QueueGoneError) throw queueDoesNotExist();
    throw error;
  }
};

export class MessageOperations {
  readonly #attempts = new Map<string, { at: number; rows: MessageRow[] }>();

  constructor(
    readonly store: SqsStore,
    readonly waiters: ReceiveWaiters,
    readonly resolve: (url: unknown, ctx: RequestContext) => Promise<QueueRecord>,
  ) {}

  // ---- send ---------------------------------------------------------------------------------

  /**
   * Checks one message against the queue and builds the row to insert; throws the entry's error.
   * `traceHeader`: a traced sender's header, kept as the AWSTraceHeader system attribute (X-Ray).
   */
  #prepare(q: QueueRecord, m: Omit<SendMessageInput, 'QueueUrl'>, senderId: string, traceHeader?: string): { message: NewMessage; size: number; md5System?: string } {
    const body = checkBody(m.MessageBody);
    const attributeSize = checkMessageAttributes(m.MessageAttributes, 'message');
    checkMessageAttributes(m.MessageSystemAttributes, 'system');
    const size = Buffer.byteLength(body) + attributeSize;
    if (size > q.settings.maximumMessageSize) {
      throw invalidParameterValue(`One or more parameters are invalid. Reason: Message must be shorter than ${q.settings.maximumMessageSize} bytes.`);
    }
    let delay = q.settings.delaySeconds;
    // A FIFO queue has no per-message delay (its queue-level DelaySeconds applies): only a non-zero value is
    // refused, 0 is accepted as AWS does (some SDKs and frameworks always send it).
    if (q.fifo && m.DelaySeconds === 0) {
      // the queue's delay stands
    } else if (m.DelaySeconds !== undefined && m.DelaySeconds !== null) {
      if (q.fifo) {
        throw invalidParameterValue(`Value ${m.DelaySeconds} for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.`);
      }
      if (!Number.isInteger(m.DelaySeconds) || m.DelaySeconds < 0 || m.DelaySeconds > 900) {
        throw invalidParameterValue(`Value ${m.DelaySeconds} for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.`);
      }
      delay = m.DelaySeconds;
    }
    let groupId: string | undefined;
    let dedupId: string | undefined;
    if (q.fifo) {
      if (m.MessageGroupId === undefined || m.MessageGroupId === '') throw missingParameter('MessageGroupId');
      if (!ID_CHARS.test(m.MessageGroupId)) {
        throw invalidParameterValue(`Value ${m.MessageGroupId} for parameter MessageGroupId is invalid. Reason: MessageGroupId can only include alphanumeric and punctuation characters. 1 to 128 in length.`);
      }
      groupId = m.MessageGroupId;
      if (m.MessageDeduplicationId !== undefined && m.MessageDeduplicationId !== '') {
        if (!ID_CHARS.test(m.MessageDeduplicationId)) {
          throw invalidParameterValue(`Value ${m.MessageDeduplicationId} for parameter MessageDeduplicationId is invalid. Reason: MessageDeduplicationId can only include alphanumeric and punctuation characters. 1 to 128 in length.`);
        }
        dedupId = m.MessageDeduplicationId;
      } else if (q.settings.contentBasedDeduplication) {
        dedupId = createHash('sha256').update(body).digest('hex');
      } else {
        throw invalidParameterValue('The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly');
      }
    } else if (m.MessageDeduplicationId !== undefined) {
      throw invalidParameterValue(`Value ${m.MessageDeduplicationId} for parameter MessageDeduplicationId is invalid. Reason: The request includes a parameter that is not valid for this queue type.`);
    } else if (m.MessageGroupId !== undefined && !ID_CHARS.test(m.MessageGroupId)) {
      throw invalidParameterValue(`Value ${m.MessageGroupId} for parameter MessageGroupId is invalid. Reason: MessageGroupId can only include alphanumeric and punctuation characters. 1 to 128 in length.`);
    }
    const md5Attributes = md5OfMessageAttributes(m.MessageAttributes);
    const md5System = md5OfMessageAttributes(m.MessageSystemAttributes);
    return {
      size,
      md5System,
      message: {
        messageId: randomUUID(),
        body,
        md5Body: md5Hex(body),
        attributes: encodeAttributes(m.MessageAttributes),
        md5Attributes: md5Attributes ?? null,
        systemAttributes: encodeAttributes(
          traceHeader && !m.MessageSystemAttributes?.AWSTraceHeader ? { ...m.MessageSystemAttributes, AWSTraceHeader: { DataType: 'String', StringValue: traceHeader } } : m.MessageSystemAttributes,
        ),
        md5SystemAttributes: md5System ?? null,
        senderId,
        delaySeconds: delay,
        groupId,
        dedupId,
      },
    };
  }

  SendMessage = async (input: SendMessageInput, ctx: RequestContext) => {
    const q = await this.resolve(input.QueueUrl, ctx);
    const { message } = this.#prepare(q, input, senderOf(ctx), propagatedTraceHeader(ctx.headers, ctx.requestId));
    const [outcome] = await guard(this.store.send(q, [message]));
    return {
      MD5OfMessageBody: message.md5Body,
      MD5OfMessageAttributes: message.md5Attributes ?? undefined,
      MD5OfMessageSystemAttributes: message.md5SystemAttributes ?? undefined,
      MessageId: outcome!.messageId,
      SequenceNumber: q.fifo ? sequenceNumber(outcome!.seq) : undefined,
    };
  };

  SendMessageBatch = async (input: { QueueUrl: string; Entries: SendBatchEntry[] }, ctx: RequestContext) => {
    const q = await this.resolve(input.QueueUrl, ctx);
    checkBatchEntries(input.Entries, 'SendMessageBatch');
    let total = 0;
    for (const e of input.Entries) {
      total += Buffer.byteLength(String(e.MessageBody ?? '')) + messageAttributeBytes(e.MessageAttributes);
    }
    // The batch's sum is capped at 1 MiB whatever the queue's MaximumMessageSize (which caps each entry).
    if (total > MAX_MESSAGE_BYTES) {
      throw new BatchRequestTooLong(`Batch requests cannot be longer than ${MAX_MESSAGE_BYTES} bytes. You have sent ${total} bytes.`);
    }
    const senderId = senderOf(ctx);
    const traceHeader = propagatedTraceHeader(ctx.headers, ctx.requestId);
    const failed: ReturnType<typeof batchFailure>[] = [];
    const accepted: { entry: SendBatchEntry; message: NewMessage }[] = [];
    for (const entry of input.Entries) {
      try {
        accepted.push({ entry, message: this.#prepare(q, entry, senderId, traceHeader).message });
      } catch (error) {
        failed.push(batchFailure(entry.Id, error as ServiceError));
      }
    }
    const outcomes = accepted.length > 0 ? await guard(this.store.send(q, accepted.map((a) => a.message))) : [];
    return {
      Successful: accepted.map(({ entry, message }, i) => ({
        Id: entry.Id,
        MessageId: outcomes[i]!.messageId,
        MD5OfMessageBody: message.md5Body,
        MD5OfMessageAttributes: message.md5Attributes ?? undefined,
        MD5OfMessageSystemAttributes: message.md5SystemAttributes ?? undefined,
        SequenceNumber: q.fifo ? sequenceNumber(outcomes[i]!.seq) : undefined,
      })),
      Failed: failed,
    };
  };

  // ---- receive ------------------------------------------------------------------------------

  ReceiveMessage = async (
    input: {
      QueueUrl: string;
      AttributeNames?: string[];
      MessageSystemAttributeNames?: string[];
      MessageAttributeNames?: string[];
      MaxNumberOfMessages?: number;
      VisibilityTimeout?: number;
      WaitTimeSeconds?: number;
      ReceiveRequestAttemptId?: string;
    },
    ctx: RequestContext,
  ) => {
    const q = await this.resolve(input.QueueUrl, ctx);
    const max = input.MaxNumberOfMessages ?? 1;
    if (!Number.isInteger(max) || max < 1 || max > 10) {
      throw invalidParameterValue(`Value ${max} for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.`);
    }
    const visibility = input.VisibilityTimeout ?? q.settings.visibilityTimeout;
    if (!Number.isInteger(visibility) || visibility < 0 || visibility > 43200) {
      throw invalidParameterValue(`Value ${visibility} for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= 43200, if provided.`);
    }
    const wait = input.WaitTimeSeconds ?? q.settings.receiveWaitSeconds;
    if (!Number.isInteger(wait) || wait < 0 || wait > 20) {
      throw invalidParameterValue(`Value ${wait} for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.`);
    }
    const attemptKey = q.fifo && input.ReceiveRequestAttemptId ? `${q.id}\u0000${input.ReceiveRequestAttemptId}` : undefined;
    let rows: MessageRow[] = [];
    const prior = attemptKey ? this.#attempts.get(attemptKey) : undefined;
    if (prior && Date.now() - prior.at < ATTEMPT_WINDOW_MS && prior.rows.every((r) => r.visible_at > Date.now())) {
      rows = prior.rows;
    } else {
      const deadline = Date.now() + wait * 1000;
      // The poll ends early when the client goes away (or the platform shuts down).
      const signal = wait > 0 ? ctx.signal : undefined;
      for (;;) {
        // A notify that comes while we look (a send on any node) makes the wait below return at once.
        const epoch = this.waiters.epoch(q.id);
        const next = await this.store.nextVisibleAt(q);
        let now = Date.now();
        if (next !== undefined && next <= now) {
          rows = await guard(this.store.receive(q, max, visibility));
          if (rows.length > 0) break;
          now = Date.now();
        }
        const remaining = deadline - now;
        if (remaining <= 0 || signal?.aborted || q.deleted || this.waiters.closed) break;
        // Signals can be lost (a node reconnecting), so a waiter looks again at least every second.
        const sleep = Math.min(remaining, RECHECK_MS, next !== undefined && next > now ? next - now + 1 : RECHECK_MS);
        await this.waiters.wait(q.id, sleep, signal, epoch);
        if (q.deleted) throw queueDoesNotExist();
        if (this.waiters.closed) break; // shutting down: answer the long poll empty
      }
      if (attemptKey && rows.length > 0) this.#attempts.set(attemptKey, { at: Date.now(), rows });
    }
    if (rows.length === 0) return {};
    const systemNames = new Set([...(input.AttributeNames ?? []), ...(input.MessageSystemAttributeNames ?? [])]);
    const all = systemNames.has('All');
    const want = (name: string) => all || systemNames.has(name);
    const attributeFilter = input.MessageAttributeNames ?? [];
    return {
      Messages: rows.map((row): MessageOutput => {
        const out: MessageOutput = {
          MessageId: row.message_id,
          ReceiptHandle: encodeReceiptHandle({ queueId: q.id, seq: row.seq, nonce: row.receipt_nonce! }),
          MD5OfBody: row.md5_body,
          Body: row.body,
        };
        const attributes: Record<string, string> = {};
        const system = decodeAttributes(row.system_attributes);
        const values: Record<string, string | undefined> = {
          SenderId: row.sender_id,
          SentTimestamp: String(row.sent_at),
          ApproximateReceiveCount: String(row.receive_count),
          ApproximateFirstReceiveTimestamp: String(row.first_receive_at ?? row.sent_at),
          SequenceNumber: q.fifo ? sequenceNumber(row.seq) : undefined,
          MessageDeduplicationId: q.fifo ? (row.dedup_id ?? undefined) : undefined,
          MessageGroupId: row.group_id ?? undefined,
          AWSTraceHeader: system?.AWSTraceHeader?.StringValue,
          DeadLetterQueueSourceArn: row.dlq_source_arn ?? undefined,
        };
        for (const name of MESSAGE_SYSTEM_ATTRIBUTE_NAMES) {
          if (want(name) && values[name] !== undefined) attributes[name] = values[name]!;
        }
        if (Object.keys(attributes).length > 0) out.Attributes = attributes;
        const messageAttributes = selectAttributes(decodeAttributes(row.attributes), attributeFilter);
        if (messageAttributes) {
          out.MessageAttributes = messageAttributes;
          out.MD5OfMessageAttributes = md5OfMessageAttributes(messageAttributes);
        }
        return out;
      }),
    };
  };

  // ---- delete and visibility ----------------------------------------------------------------

  #handle(q: QueueRecord, text: unknown) {
    const handle = decodeReceiptHandle(text);
    if (!handle || handle.queueId !== q.id) {
      throw new ReceiptHandleIsInvalid(`The input receipt handle "${String(text)}" is not a valid receipt handle.`);
    }
    return handle;
  }

  async #delete(q: QueueRecord, receiptHandle: unknown): Promise<void> {
    if (receiptHandle === undefined || receiptHandle === '') throw missingParameter('ReceiptHandle');
    const h = this.#handle(q, receiptHandle);
    try {
      await guard(this.store.deleteMessage(q, h.seq, h.nonce));
    } catch (error) {
      if (error instanceof StaleReceiptError) {
        throw new ReceiptHandleIsInvalid(
          error.reason === 'expired' ? 'The receipt handle has expired.' : `The input receipt handle "${String(receiptHandle)}" is not a valid receipt handle.`,
        );
      }
      throw error;
    }
  }

  async #changeVisibility(q: QueueRecord, receiptHandle: unknown, timeout: unknown): Promise<void> {
    if (receiptHandle === undefined || receiptHandle === '') throw missingParameter('ReceiptHandle');
    if (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout < 0 || timeout > 43200) {
      throw invalidParameterValue(`Value ${String(timeout)} for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= 43200, if provided.`);
    }
    const h = this.#handle(q, receiptHandle);
    try {
      await guard(this.store.changeVisibility(q, h.seq, h.nonce, timeout));
    } catch (error) {
      if (error instanceof StaleReceiptError) {
        throw invalidParameterValue(
          `Value ${String(receiptHandle)} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.`,
        );
      }
      if (error instanceof NotInFlightError) throw new MessageNotInflight('Message is not in flight.');
      if (error instanceof VisibilityLimitError) {
        throw invalidParameterValue(
          `Value ${timeout} for parameter VisibilityTimeout is invalid. Reason: Total VisibilityTimeout for the message is beyond the limit [43200 seconds]`,
        );
      }
      throw error;
    }
  }

  DeleteMessage = async (input: { QueueUrl: string; ReceiptHandle: string }, ctx: RequestContext) => {
    const q = await this.resolve(input.QueueUrl, ctx);
    await this.#delete(q, input.ReceiptHandle);
    return {};
  };

  DeleteMessageBatch = async (input: { QueueUrl: string; Entries: { Id: string; ReceiptHandle: string }[] }, ctx: RequestContext) => {
    const q = await this.resolve(input.QueueUrl, ctx);
    checkBatchEntries(input.Entries, 'DeleteMessageBatch');
    const results = await Promise.allSettled(input.Entries.map((e) => this.#delete(q, e.ReceiptHandle)));
    return batchResult(input.Entries, results);
  };

  ChangeMessageVisibility = async (input: { QueueUrl: string; ReceiptHandle: string; VisibilityTimeout: number }, ctx: RequestContext) => {
    const q = await this.resolve(input.QueueUrl, ctx);
    await this.#changeVisibility(q, input.ReceiptHandle, input.VisibilityTimeout);
    return {};
  };

  ChangeMessageVisibilityBatch = async (
    input: { QueueUrl: string; Entries: { Id: string; ReceiptHandle: string; VisibilityTimeout?: number }[] },
    ctx: RequestContext,
  ) => {
    const q = await this.resolve(input.QueueUrl, ctx);
    checkBatchEntries(input.Entries, 'ChangeMessageVisibilityBatch');
    const results = await Promise.allSettled(input.Entries.map((e) => this.#changeVisibility(q, e.ReceiptHandle, e.VisibilityTimeout ?? 0)));
    return batchResult(input.Entries, results);
  };

  /** Forgets receive attempt ids past their 5-minute window. */
  sweepAttempts(): void {
    const now = Date.now();
    for (const [key, value] of this.#attempts) if (now - value.at >= ATTEMPT_WINDOW_MS) this.#attempts.delete(key);
  }
}

function batchResult(entries: { Id: string }[], results: PromiseSettledResult<void>[]) {
  const Successful: { Id: string }[] = [];
  const Failed: ReturnType<typeof batchFailure>[] = [];
  results.forEach((r, i) => {
    const id = entries[i]!.Id;
    if (r.status === 'fulfilled') Successful.push({ Id: id });
    else if (isServiceError(r.reason)) Failed.push(batchFailure(id, r.reason));
    else throw r.reason;
  });
  return { Successful, Failed };
}

function isServiceError(e: unknown): e is ServiceError {
  return typeof e === 'object' && e !== null && typeof (e as ServiceError).code === 'string' && typeof (e as ServiceError).status === 'number';
}

function messageAttributeBytes(attributes: Record<string, MessageAttributeValue> | undefined): number {
  let n = 0;
  for (const [name, v] of Object.entries(attributes ?? {})) {
    n += Buffer.byteLength(name) + Buffer.byteLength(v?.DataType ?? '');
    n += v?.BinaryValue ? v.BinaryValue.length : Buffer.byteLength(v?.StringValue ?? '');
  }
  return n;
}

function selectAttributes(
  attributes: Record<string, MessageAttributeValue> | undefined,
  filter: readonly string[],
): Record<string, MessageAttributeValue> | undefined {
  if (!attributes || filter.length === 0) return undefined;
  const all = filter.some((f) => f === 'All' || f === '.*');
  const out: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(attributes)) {
    const match = all || filter.some((f) => (f.endsWith('.*') ? name.startsWith(f.slice(0, -1)) : f === name));
    if (match) out[name] = value;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function senderOf(ctx: RequestContext): string {
  return ctx.identity?.principalId ?? ctx.accountId;
}
