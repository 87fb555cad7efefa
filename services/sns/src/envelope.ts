// The JSON documents SNS delivers (Notification, SubscriptionConfirmation, UnsubscribeConfirmation)
// and their signatures: SignatureVersion 1 signs with SHA1withRSA, 2 with SHA256withRSA, over the
// documented "key\nvalue\n" string of the message's fields in alphabetical order.
import { createSign, type KeyObject } from 'node:crypto';
import type { SnsAttributeValue } from './filter-policy.js';

export interface Envelope {
  Type: 'Notification' | 'SubscriptionConfirmation' | 'UnsubscribeConfirmation';
  MessageId: string;
  Token?: string;
  TopicArn: string;
  Subject?: string;
  Message: string;
  SequenceNumber?: string;
  Timestamp: string;
  SignatureVersion: string;
  Signature: string;
  SigningCertURL: string;
  SubscribeURL?: string;
  UnsubscribeURL?: string;
  MessageAttributes?: Record<string, { Type: string; Value: string }>;
}

/** The canonical string SNS signs for a message of the given type. */
export function stringToSign(e: Omit<Envelope, 'Signature'>): string {
  const fields =
    e.Type === 'Notification'
      ? ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type']
      : ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
  let out = '';
  for (const field of fields) {
    const value = (e as unknown as Record<string, string | undefined>)[field];
    if (value === undefined) continue;
    out += `${field}\n${value}\n`;
  }
  return out;
}

export function sign(e: Omit<Envelope, 'Signature'>, key: KeyObject): Envelope {
  const algorithm = e.SignatureVersion === '2' ? 'RSA-SHA256' : 'RSA-SHA1';
  const Signature = createSign(algorithm).update(stringToSign(e), 'utf8').sign(key, 'base64');
  return { ...e, Signature };
}

/** Message attributes as they appear in a JSON envelope (binary values base64-encoded). */
export function envelopeAttributes(attributes: Record<string, SnsAttributeValue> | undefined): Envelope['MessageAttributes'] {
  if (!attributes || Object.keys(attributes).length === 0) return undefined;
  const out: Record<string, { Type: string; Value: string }> = {};
  for (const [name, v] of Object.entries(attributes)) {
    out[name] = { Type: v.DataType, Value: v.BinaryValue !== undefined ? Buffer.from(v.BinaryValue).toString('base64') : (v.StringValue ?? '') };
  }
  return out;
}
