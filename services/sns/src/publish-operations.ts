// Publish and PublishBatch: checks a message (size, subject, structure, attributes, FIFO group and
// deduplication), stores it durably in the outbox and returns; fan-out delivers it afterwards, so
// the publisher's latency does not depend on the number of subscribers.
import { createHash, randomUUID } from 'node:crypto';
import { propagatedTraceHeader, type RequestContext, type ServiceError } from '@atoll/core';
import {
  BatchEntryIdsNotDistinctException,
  BatchRequestTooLongException,
  EmptyBatchRequestException,
  InvalidBatchEntryIdException,
  InvalidParameterException,
  InvalidParameterValueException,
  NotFoundException,
  TooManyEntriesInBatchRequestException,
} from '@atoll/aws-models/sns';
import type { SnsAttributeValue } from './filter-policy.js';
import type { PublishedMessage, TopicRecord } from './sns-records.js';
import { TopicGoneError, type SnsStore } from './sns-store.js';

const MAX_SIZE = 262144;
const ATTRIBUTE_NAME = /^[A-Za-z0-9_.-]{1,256}$/;
/** Reserved names SNS itself reads (SMS and mobile push settings), allowed despite the `AWS.` prefix. */
const SNS_RESERVED = /^AWS\.(SNS\.SMS|SNS\.MOBILE|MM\.SMS)\./;
const ID_CHARS = /^[A-Za-z0-9!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]{1,128}$/;

export interface PublishEntry {
  Message: string;
  Subject?: string;
  MessageStructure?: string;
  MessageAttributes?: Record<string, SnsAttributeValue>;
  MessageDeduplicationId?: string;
  MessageGroupId?: string;
}

const invalid = (what: string) => new InvalidParameterException(`Invalid parameter: ${what}`);

function attributeSize(attributes: Record<string, SnsAttributeValue> | undefined): number {
  let n = 0;
  for (const [name, v] of Object.entries(attributes ?? {})) {
    n += Buffer.byteLength(name) + Buffer.byteLength(v?.DataType ?? '');
    n += v?.BinaryValue !== undefined ? v.BinaryValue.length : Buffer.byteLength(v?.StringValue ?? '');
  }
  return n;
}

function checkAttributes(attributes: Record<string, SnsAttributeValue> | undefined): void {
  for (const [name, v] of Object.entries(attributes ?? {})) {
    if (!ATTRIBUTE_NAME.test(name) || name.startsWith('.') || name.endsWith('.') || name.includes('..') || (/^(aws\.|amazon\.)/i.test(name) && !SNS_RESERVED.test(name))) {
      throw new InvalidParameterValueException(`The message attribute name '${name}' is invalid.`);
    }
    const type = v?.DataType;
    if (typeof type !== 'string' || !/^(String|Number|Binary)(\..+)?$/.test(type)) {
      throw new InvalidParameterValueException(`The message attribute '${name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.`);
    }
    if (type.startsWith('Binary')) {
      if (v.BinaryValue === undefined) {
        throw new InvalidParameterValueException(`The message attribute '${name}' must contain non-empty message attribute value for message attribute type 'Binary'.`);
      }
      continue;
    }
    if (v.StringValue === undefined || v.StringValue === '') {
      throw new InvalidParameterValueException(`The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${type.split('.')[0]}'.`);
    }
    if (type.startsWith('Number') && !Number.isFinite(Number(v.StringValue))) {
      throw new InvalidParameterValueException(`Could not cast message attribute '${name}' value to number.`);
    }
    if (type === 'String.Array') {
      let ok = false;
      try {
        ok = Array.isArray(JSON.parse(v.StringValue));
      } catch {
        ok = false;
      }
      if (!ok) throw new InvalidParameterValueException(`The message attribute '${name}' with type 'String.Array' has an invalid value; it must be a JSON array.`);
    }
  }
}

/** Direct publishes, which bypass topics: to a mobile endpoint (TargetArn) and to a phone number. */
export interface DirectTargets {
  isEndpoint(arn: string): boolean;
  endpoint(arn: string, m: { messageId: string; message: string; messageStructure?: string; attributes?: Record<string, SnsAttributeValue> }, ctx: RequestContext): Promise<void>;
  sms(phone: string, message: string, attributes: Record<string, SnsAttributeValue> | undefined, messageId: string, ctx: RequestContext): Promise<void>;
  normalizePhoneNumber(raw: unknown): string | undefined;
}

/** The checks every publish makes, whatever its target: body, size, subject, structure, attributes. */
function checkMessage(e: PublishEntry): void {
  if (typeof e.Message !== 'string' || e.Message.length === 0) throw invalid('Empty message');
  if (Buffer.byteLength(e.Message) + attributeSize(e.MessageAttributes) > MAX_SIZE) throw invalid('Message too long');
  if (e.Subject !== undefined && (e.Subject.length === 0 || e.Subject.length > 100 || !/^[\x20-\x7e]+$/.test(e.Subject))) {
    throw invalid('Subject');
  }
  if (e.MessageStructure !== undefined) {
    if (e.MessageStructure !== 'json') throw invalid('MessageStructure');
    let doc: unknown;
    try {
      doc = JSON.parse(e.Message);
    } catch {
      throw invalid('Message Structure - JSON message body failed to parse');
    }
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw invalid('Message Structure - JSON message body failed to parse');
    if (typeof (doc as Record<string, unknown>).default !== 'string') throw invalid('Message Structure - No default entry in JSON message body');
  }
  checkAttributes(e.MessageAttributes);
}

export class PublishOperations {
  constructor(
    readonly store: SnsStore,
    readonly onPublished: () => void,
    readonly direct?: DirectTargets,
  ) {}

  async #topic(arn: unknown, ctx: RequestContext): Promise<TopicRecord> {
    const topic = typeof arn === 'string' ? await this.store.getTopic(arn) : undefined;
    if (!topic || topic.accountId !== ctx.accountId) throw new NotFoundException('Topic does not exist');
    return topic;
  }

  /** Checks one entry against the topic and builds what the outbox stores; throws the entry's error. */
  #prepare(topic: TopicRecord, e: PublishEntry, traceHeader: string | undefined): PublishedMessage {
    checkMessage(e);
    let groupId: string | undefined;
    let dedupId: string | undefined;
    if (topic.fifo) {
      if (!e.MessageGroupId) throw invalid('The MessageGroupId parameter is required for FIFO topics');
      if (!ID_CHARS.test(e.MessageGroupId)) throw invalid('MessageGroupId');
      groupId = e.MessageGroupId;
      if (e.MessageDeduplicationId) {
        if (!ID_CHARS.test(e.MessageDeduplicationId)) throw invalid('MessageDeduplicationId');
        dedupId = e.MessageDeduplicationId;
      } else if (topic.attributes.ContentBasedDeduplication === 'true') {
        dedupId = createHash('sha256').update(e.Message).digest('hex');
      } else {
        throw invalid('The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly');
      }
    } else {
      if (e.MessageDeduplicationId !== undefined) throw invalid('MessageDeduplicationId: The request includes MessageDeduplicationId parameter that is not valid for this topic type');
      if (e.MessageGroupId !== undefined && !ID_CHARS.test(e.MessageGroupId)) throw invalid('MessageGroupId');
    }
    return {
      messageId: randomUUID(),
      message: e.Message,
      subject: e.Subject,
      messageStructure: e.MessageStructure,
      attributes: e.MessageAttributes && Object.keys(e.MessageAttributes).length > 0 ? e.MessageAttributes : undefined,
      groupId,
      dedupId,
      timestamp: new Date().toISOString(),
      ...(traceHeader ? { traceHeader } : {}),
    };
  }

  async #store(topic: TopicRecord, messages: PublishedMessage[]) {
    try {
      const outcomes = await this.store.publish(topic.arn, topic.fifo, messages);
      if (outcomes.some((o) => !o.duplicate)) this.onPublished();
      return outcomes;
    } catch (error) {
      if (error instanceof TopicGoneError) throw new NotFoundException('Topic does not exist');
      throw error;
    }
  }

  Publish = async (input: PublishEntry & { TopicArn?: string; TargetArn?: string; PhoneNumber?: string }, ctx: RequestContext) => {
    const targets = [input.TopicArn, input.TargetArn, input.PhoneNumber].filter((t) => t !== undefined).length;
    if (targets === 0) throw invalid('TopicArn or TargetArn Reason: no value for required parameter');
    if (targets > 1) throw invalid('TopicArn Reason: Only one of TopicArn, TargetArn or PhoneNumber may be given');
    if (input.PhoneNumber !== undefined || (input.TargetArn !== undefined && this.direct?.isEndpoint(input.TargetArn))) return this.#direct(input, ctx);
    const arn = (input.TopicArn ?? input.TargetArn)!;
    const topic = await this.#topic(arn, ctx);
    const message = this.#prepare(topic, input, propagatedTraceHeader(ctx.headers ?? {}, ctx.requestId));
    const [outcome] = await this.#store(topic, [message]);
    return { MessageId: outcome!.messageId, SequenceNumber: topic.fifo ? String(outcome!.seq).padStart(20, '0') : undefined };
  };

  /** A publish to an endpoint or a phone number: checked as any publish, then recorded in the delivery sink. */
  async #direct(input: PublishEntry & { TargetArn?: string; PhoneNumber?: string }, ctx: RequestContext) {
    const direct = this.direct;
    if (!direct) throw invalid('TargetArn');
    checkMessage(input);
    if (input.MessageGroupId !== undefined || input.MessageDeduplicationId !== undefined) {
      throw invalid('MessageGroupId Reason: The request includes MessageGroupId parameter that is not valid for this target');
    }
    const messageId = randomUUID();
    if (input.PhoneNumber !== undefined) {
      const phone = direct.normalizePhoneNumber(input.PhoneNumber);
      if (!phone) throw invalid(`PhoneNumber Reason: ${input.PhoneNumber} is not valid to publish to`);
      const text = input.MessageStructure === 'json' ? String((JSON.parse(input.Message) as Record<string, unknown>).sms ?? (JSON.parse(input.Message) as Record<string, unknown>).default) : input.Message;
      await direct.sms(phone, text, input.MessageAttributes, messageId, ctx);
    } else {
      await direct.endpoint(input.TargetArn!, { messageId, message: input.Message, messageStructure: input.MessageStructure, attributes: input.MessageAttributes }, ctx);
    }
    return { MessageId: messageId };
  }

  PublishBatch = async (input: { TopicArn: string; PublishBatchRequestEntries: (PublishEntry & { Id: string })[] }, ctx: RequestContext) => {
    const topic = await this.#topic(input.TopicArn, ctx);
    const entries = input.PublishBatchRequestEntries ?? [];
    if (entries.length === 0) throw new EmptyBatchRequestException('The batch request doesn\'t contain any entries.');
    if (entries.length > 10) throw new TooManyEntriesInBatchRequestException('The batch request contains more entries than permissible.');
    const ids = new Set<string>();
    let total = 0;
    for (const e of entries) {
      if (typeof e.Id !== 'string' || !/^[A-Za-z0-9_-]{1,80}$/.test(e.Id)) {
        throw new InvalidBatchEntryIdException('The Id of a batch entry in a batch request doesn\'t abide by the specification.');
      }
      if (ids.has(e.Id)) throw new BatchEntryIdsNotDistinctException('Two or more batch entries in the request have the same Id.');
      ids.add(e.Id);
      total += Buffer.byteLength(String(e.Message ?? '')) + attributeSize(e.MessageAttributes);
    }
    if (total > MAX_SIZE) throw new BatchRequestTooLongException('The length of all the messages put together is more than the limit.');
    const failed: { Id: string; Code: string; Message: string; SenderFault: boolean }[] = [];
    const accepted: { id: string; message: PublishedMessage }[] = [];
    const traceHeader = propagatedTraceHeader(ctx.headers ?? {}, ctx.requestId);
    for (const e of entries) {
      try {
        accepted.push({ id: e.Id, message: this.#prepare(topic, e, traceHeader) });
      } catch (error) {
        const err = error as ServiceError;
        failed.push({ Id: e.Id, Code: err.code, Message: err.message, SenderFault: err.senderFault });
      }
    }
    const outcomes = accepted.length > 0 ? await this.#store(topic, accepted.map((a) => a.message)) : [];
    return {
      Successful: accepted.map((a, i) => ({
        Id: a.id,
        MessageId: outcomes[i]!.messageId,
        SequenceNumber: topic.fifo ? String(outcomes[i]!.seq).padStart(20, '0') : undefined,
      })),
      Failed: failed,
    };
  };
}
