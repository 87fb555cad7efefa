// Semantic checks on what a sender puts in a message: body characters and size, message attribute
// names, types and values, system attributes, batch entry ids. Each check throws SQS's own error.
import type { ServiceError } from '@atoll/core';
import type { MessageAttributeValue } from './message-md5.js';
import {
  BatchEntryIdsNotDistinct,
  EmptyBatchRequest,
  InvalidBatchEntryId,
  InvalidMessageContents,
  TooManyEntriesInBatchRequest,
  invalidParameterValue,
  missingParameter,
} from './sqs-errors.js';

/** True when every character is one SQS accepts: #x9 #xA #xD #x20-#xD7FF #xE000-#xFFFD #x10000-#x10FFFF. */
export function findInvalidCharacter(text: string): number | undefined {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x20 && c <= 0xd7ff) continue;
    if (c === 0x9 || c === 0xa || c === 0xd) continue;
    if (c >= 0xe000 && c <= 0xfffd) continue;
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        i++;
        continue;
      }
    }
    return c;
  }
  return undefined;
}

export function checkBody(body: unknown): string {
  if (typeof body !== 'string' || body.length === 0) throw missingParameter('MessageBody');
  const bad = findInvalidCharacter(body);
  if (bad !== undefined) {
    throw new InvalidMessageContents(
      `Invalid binary character '#x${bad.toString(16).toUpperCase()}' was found in the message body, the set of allowed characters is #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF`,
    );
  }
  return body;
}

const ATTRIBUTE_NAME = /^[A-Za-z0-9_.-]{1,256}$/;
const DATA_TYPE = /^(String|Number|Binary)(\..+)?$/;

/** Validates message attributes (or system attributes) and returns their size in bytes, as SQS counts it. */
export function checkMessageAttributes(
  attributes: Record<string, MessageAttributeValue> | undefined,
  kind: 'message' | 'system' = 'message',
): number {
  if (!attributes) return 0;
  const names = Object.keys(attributes);
  if (kind === 'message' && names.length > 10) {
    throw invalidParameterValue(`Number of message attributes [${names.length}] exceeds the allowed maximum [10].`);
  }
  let size = 0;
  for (const name of names) {
    const value = attributes[name]!;
    if (kind === 'system') {
      if (name !== 'AWSTraceHeader') {
        throw invalidParameterValue(`Message system attribute name '${name}' is invalid.`);
      }
      if (value?.DataType !== 'String') {
        throw invalidParameterValue(`Message system attribute '${name}' must have data type String.`);
      }
    }
    if (!ATTRIBUTE_NAME.test(name) || name.startsWith('.') || name.endsWith('.') || name.includes('..')) {
      throw invalidParameterValue(`Message (user) attribute name '${name}' is invalid.`);
    }
    if (kind === 'message' && /^(aws\.|amazon\.)/i.test(name)) {
      throw invalidParameterValue(`Message (user) attribute name '${name}' is invalid. The names 'AWS.' and 'Amazon.' (case-insensitive) are reserved.`);
    }
    if (!value || typeof value.DataType !== 'string' || value.DataType === '') {
      throw invalidParameterValue(`The message attribute '${name}' must contain non-empty message attribute type.`);
    }
    const match = DATA_TYPE.exec(value.DataType);
    if (!match || value.DataType.length > 256) {
      throw invalidParameterValue(`The message attribute '${name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.`);
    }
    if (value.StringListValues?.length || value.BinaryListValues?.length) {
      throw invalidParameterValue(`Message attribute list values in '${name}' are not supported.`);
    }
    const base = match[1]!;
    if (base === 'Binary') {
      if (value.BinaryValue === undefined || value.BinaryValue.length === 0) {
        throw invalidParameterValue(`The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${base}'.`);
      }
      if (value.StringValue !== undefined) {
        throw invalidParameterValue(`The message attribute '${name}' with type 'Binary' must use field 'Binary'.`);
      }
      size += value.BinaryValue.length;
    } else {
      if (value.StringValue === undefined || value.StringValue === '') {
        throw invalidParameterValue(`The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${base}'.`);
      }
      if (value.BinaryValue !== undefined) {
        throw invalidParameterValue(`The message attribute '${name}' with type '${base}' must use field 'String'.`);
      }
      const bad = findInvalidCharacter(value.StringValue);
      if (bad !== undefined) {
        throw new InvalidMessageContents(`Invalid binary character '#x${bad.toString(16).toUpperCase()}' was found in the message attribute '${name}'.`);
      }
      if (base === 'Number') checkNumber(name, value.StringValue);
      size += Buffer.byteLength(value.StringValue);
    }
    size += Buffer.byteLength(name) + Buffer.byteLength(value.DataType);
  }
  return size;
}

function checkNumber(name: string, text: string): void {
  const m = /^[+-]?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text.trim());
  const valid = m && (m[1] || m[2]) && Number.isFinite(Number(text));
  if (!valid) {
    throw invalidParameterValue(`Can't cast the value of message (user) attribute '${name}' to a number.`);
  }
  const digits = `${m[1] ?? ''}${m[2] ?? ''}`.replace(/^0+/, '');
  const magnitude = Math.abs(Number(text));
  if (digits.length > 38 || magnitude > 1e126 || (magnitude !== 0 && magnitude < 1e-128)) {
    throw invalidParameterValue(`Value ${text} for message (user) attribute '${name}' is out of range; numbers have up to 38 digits from -10^128 to 10^126.`);
  }
}

/** Copies attribute values into a plain, JSON-storable form (binary as base64). */
export function encodeAttributes(attributes: Record<string, MessageAttributeValue> | undefined): string | null {
  if (!attributes || Object.keys(attributes).length === 0) return null;
  const out: Record<string, { t: string; s?: string; b?: string }> = {};
  for (const [name, v] of Object.entries(attributes)) {
    out[name] = v.BinaryValue !== undefined ? { t: v.DataType, b: Buffer.from(v.BinaryValue).toString('base64') } : { t: v.DataType, s: v.StringValue };
  }
  return JSON.stringify(out);
}

export function decodeAttributes(text: string | null): Record<string, MessageAttributeValue> | undefined {
  if (!text) return undefined;
  const raw = JSON.parse(text) as Record<string, { t: string; s?: string; b?: string }>;
  const out: Record<string, MessageAttributeValue> = {};
  for (const [name, v] of Object.entries(raw)) {
    out[name] = v.b !== undefined ? { DataType: v.t, BinaryValue: Buffer.from(v.b, 'base64') } : { DataType: v.t, StringValue: v.s };
  }
  return out;
}

const ENTRY_ID = /^[A-Za-z0-9_-]{1,80}$/;

/** The batch rules shared by every *Batch operation. */
export function checkBatchEntries(entries: readonly { Id: string }[] | undefined, operation: string): void {
  if (!entries || entries.length === 0) {
    throw new EmptyBatchRequest(`There should be at least one ${operation}RequestEntry in the request.`);
  }
  if (entries.length > 10) {
    throw new TooManyEntriesInBatchRequest(`Maximum number of entries per request are 10. You have sent ${entries.length}.`);
  }
  const seen = new Set<string>();
  for (const entry of entries) {
    if (typeof entry.Id !== 'string' || !ENTRY_ID.test(entry.Id)) {
      throw new InvalidBatchEntryId(
        'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.',
      );
    }
    if (seen.has(entry.Id)) throw new BatchEntryIdsNotDistinct(`Id ${entry.Id} repeated.`);
    seen.add(entry.Id);
  }
}

/** The `Failed` entry of a batch result for a per-entry error. */
export function batchFailure(id: string, error: ServiceError): { Id: string; SenderFault: boolean; Code: string; Message: string } {
  return { Id: id, SenderFault: error.senderFault, Code: error.code, Message: error.message };
}
