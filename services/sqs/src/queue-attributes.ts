// Queue attributes: the settable names with their defaults and ranges, validation of values
// (including the RedrivePolicy and RedriveAllowPolicy JSON documents), and their typed reading.
import { InvalidAttributeName, InvalidAttributeValue, invalidParameterValue } from './sqs-errors.js';

/** The largest message, and the largest sum of a SendMessageBatch's messages: 1 MiB. */
export const MAX_MESSAGE_BYTES = 1_048_576;

interface IntRange {
  min: number;
  max: number;
}

const INTEGER_ATTRIBUTES: Record<string, IntRange> = {
  DelaySeconds: { min: 0, max: 900 },
  // 1 KiB to 1 MiB, and 1 MiB by default, since AWS raised the limit from 256 KiB in August 2025.
  MaximumMessageSize: { min: 1024, max: MAX_MESSAGE_BYTES },
  MessageRetentionPeriod: { min: 60, max: 1209600 },
  ReceiveMessageWaitTimeSeconds: { min: 0, max: 20 },
  VisibilityTimeout: { min: 0, max: 43200 },
  KmsDataKeyReusePeriodSeconds: { min: 60, max: 86400 },
};

const BOOLEAN_ATTRIBUTES = ['FifoQueue', 'ContentBasedDeduplication', 'SqsManagedSseEnabled'];
const FIFO_ONLY = ['ContentBasedDeduplication', 'DeduplicationScope', 'FifoThroughputLimit'];
const FREE_TEXT = ['Policy', 'KmsMasterKeyId', 'RedrivePolicy', 'RedriveAllowPolicy', 'DeduplicationScope', 'FifoThroughputLimit'];

export const SETTABLE_ATTRIBUTES = new Set([...Object.keys(INTEGER_ATTRIBUTES), ...BOOLEAN_ATTRIBUTES, ...FREE_TEXT]);

export const READ_ONLY_ATTRIBUTES = [
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
  'CreatedTimestamp',
  'LastModifiedTimestamp',
  'QueueArn',
];

export const DEFAULT_ATTRIBUTES: Record<string, string> = {
  DelaySeconds: '0',
  MaximumMessageSize: String(MAX_MESSAGE_BYTES),
  MessageRetentionPeriod: '345600',
  ReceiveMessageWaitTimeSeconds: '0',
  VisibilityTimeout: '30',
  SqsManagedSseEnabled: 'true',
};

export const FIFO_DEFAULTS: Record<string, string> = {
  FifoQueue: 'true',
  ContentBasedDeduplication: 'false',
  DeduplicationScope: 'queue',
  FifoThroughputLimit: 'perQueue',
};

export interface RedrivePolicy {
  deadLetterTargetArn: string;
  maxReceiveCount: number;
}

/**
 * Validates attributes given to CreateQueue or SetQueueAttributes and returns them normalized
 * (JSON documents re-serialized compactly). `fifo` is whether the queue is (or will be) FIFO.
 */
export function checkQueueAttributes(attributes: Record<string, string>, fifo: boolean, creating: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, raw] of Object.entries(attributes)) {
    const value = String(raw);
    if (!SETTABLE_ATTRIBUTES.has(name)) {
      throw new InvalidAttributeName(`Unknown Attribute ${name}.`);
    }
    const range = INTEGER_ATTRIBUTES[name];
    if (range) {
      const n = Number(value);
      if (!/^-?\d+$/.test(value.trim()) || n < range.min || n > range.max) {
        throw new InvalidAttributeValue(`Invalid value for the parameter ${name}.`);
      }
      out[name] = String(n);
      continue;
    }
    if (BOOLEAN_ATTRIBUTES.includes(name)) {
      const lower = value.toLowerCase();
      if (lower !== 'true' && lower !== 'false') throw new InvalidAttributeValue(`Invalid value for the parameter ${name}.`);
      if (name === 'FifoQueue') {
        if (!creating && (lower === 'true') !== fifo) throw new InvalidAttributeValue(`Invalid value for the parameter ${name}.`);
        if (creating && lower === 'false' && fifo) throw new InvalidAttributeValue(`Invalid value for the parameter ${name}.`);
        if (lower === 'false') continue;
      }
      out[name] = lower;
      if (FIFO_ONLY.includes(name) && !fifo) throw new InvalidAttributeName(`Unknown Attribute ${name}.`);
      continue;
    }
    if (FIFO_ONLY.includes(name)) {
      if (!fifo) throw new InvalidAttributeName(`Unknown Attribute ${name}.`);
      const allowed = name === 'DeduplicationScope' ? ['messageGroup', 'queue'] : ['perQueue', 'perMessageGroupId'];
      if (!allowed.includes(value)) throw new InvalidAttributeValue(`Invalid value for the parameter ${name}.`);
      out[name] = value;
      continue;
    }
    if (name === 'RedrivePolicy') {
      out[name] = value === '' ? '' : JSON.stringify(parseRedrivePolicy(value));
      continue;
    }
    if (name === 'RedriveAllowPolicy') {
      out[name] = value === '' ? '' : checkRedriveAllowPolicy(value);
      continue;
    }
    if (name === 'Policy' && value !== '') {
      try {
        JSON.parse(value);
      } catch {
        throw new InvalidAttributeValue('Invalid value for the parameter Policy.');
      }
    }
    out[name] = value;
  }
  return out;
}

export function parseRedrivePolicy(text: string): RedrivePolicy {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new InvalidAttributeValue('Invalid value for the parameter RedrivePolicy. Reason: Redrive policy is not a valid JSON map.');
  }
  const arn = doc?.deadLetterTargetArn;
  const count = Number(doc?.maxReceiveCount);
  if (typeof arn !== 'string' || !/^arn:[^:]+:sqs:[^:]*:\d{12}:[^:]+$/.test(arn)) {
    throw new InvalidAttributeValue('Value for parameter RedrivePolicy is invalid. Reason: Invalid value for deadLetterTargetArn.');
  }
  if (!Number.isInteger(count) || count < 1 || count > 1000) {
    throw new InvalidAttributeValue('Value for parameter RedrivePolicy is invalid. Reason: Invalid value for maxReceiveCount: must be an integer from 1 to 1000.');
  }
  return { deadLetterTargetArn: arn, maxReceiveCount: count };
}

function checkRedriveAllowPolicy(text: string): string {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new InvalidAttributeValue('Invalid value for the parameter RedriveAllowPolicy. Reason: Amazon SQS can\'t parse the policy.');
  }
  const permission = doc?.redrivePermission;
  if (!['allowAll', 'denyAll', 'byQueue'].includes(String(permission))) {
    throw new InvalidAttributeValue('Invalid value for the parameter RedriveAllowPolicy. Reason: redrivePermission must be allowAll, denyAll or byQueue.');
  }
  const sources = doc.sourceQueueArns;
  if (permission === 'byQueue') {
    if (!Array.isArray(sources) || sources.length === 0 || sources.length > 10) {
      throw new InvalidAttributeValue('Invalid value for the parameter RedriveAllowPolicy. Reason: byQueue needs 1 to 10 sourceQueueArns.');
    }
  } else if (sources !== undefined) {
    throw new InvalidAttributeValue('Invalid value for the parameter RedriveAllowPolicy. Reason: sourceQueueArns is only allowed with byQueue.');
  }
  return JSON.stringify(doc);
}

/** Typed view of the attributes the engine reads on hot paths. */
export interface QueueSettings {
  delaySeconds: number;
  maximumMessageSize: number;
  retentionSeconds: number;
  receiveWaitSeconds: number;
  visibilityTimeout: number;
  contentBasedDeduplication: boolean;
  redrive?: RedrivePolicy;
}

export function settingsOf(attributes: Record<string, string>): QueueSettings {
  const int = (name: string) => Number(attributes[name] ?? DEFAULT_ATTRIBUTES[name]);
  return {
    delaySeconds: int('DelaySeconds'),
    maximumMessageSize: int('MaximumMessageSize'),
    retentionSeconds: int('MessageRetentionPeriod'),
    receiveWaitSeconds: int('ReceiveMessageWaitTimeSeconds'),
    visibilityTimeout: int('VisibilityTimeout'),
    contentBasedDeduplication: attributes.ContentBasedDeduplication === 'true',
    redrive: attributes.RedrivePolicy ? (JSON.parse(attributes.RedrivePolicy) as RedrivePolicy) : undefined,
  };
}

export function checkQueueName(name: unknown, fifo: boolean): string {
  if (typeof name !== 'string' || name === '') throw invalidParameterValue('Value for parameter QueueName is invalid. Reason: Must specify a queue name.');
  const base = fifo ? name.slice(0, -'.fifo'.length) : name;
  const ok = name.length <= 80 && /^[A-Za-z0-9_-]+$/.test(base) && (!fifo || name.endsWith('.fifo'));
  if (!ok) {
    throw invalidParameterValue(
      fifo
        ? 'The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.'
        : 'Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length',
    );
  }
  return name;
}
