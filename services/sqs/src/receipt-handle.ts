// Receipt handles: an opaque token naming the queue, the message and the receive it came from.
// Each receive draws a new nonce, so the handle of an earlier receive is recognised as stale.
import { randomHex } from '@atoll/core';

export interface ReceiptHandle {
  queueId: number;
  seq: number;
  nonce: string;
}

/** 96 random bits, from core's pooled entropy (a randomBytes call per received message shows up in profiles). */
export const newNonce = (): string => randomHex(12);

export function encodeReceiptHandle(h: ReceiptHandle): string {
  return Buffer.from(`atoll1:${h.queueId}:${h.seq}:${h.nonce}`).toString('base64');
}

/** Decodes a handle; undefined when the text is not one of ours. */
export function decodeReceiptHandle(text: unknown): ReceiptHandle | undefined {
  if (typeof text !== 'string' || text.length === 0 || text.length > 1024) return undefined;
  const parts = Buffer.from(text, 'base64').toString('utf8').split(':');
  if (parts.length !== 4 || parts[0] !== 'atoll1') return undefined;
  const queueId = Number(parts[1]);
  const seq = Number(parts[2]);
  if (!Number.isSafeInteger(queueId) || !Number.isSafeInteger(seq) || !parts[3]) return undefined;
  return { queueId, seq, nonce: parts[3] };
}
