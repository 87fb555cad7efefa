import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sqsChunks, type DeliveryItem } from './delivery.js';

const item = (seq: number, traceHeader?: string): DeliveryItem => ({ seq, message: { messageId: `m${seq}`, message: 'x', timestamp: '', ...(traceHeader ? { traceHeader } : {}) } });

describe('SQS delivery batches', () => {
  it('keeps the order, holds at most 10 items, and never mixes two traces in one call', () => {
    const items = [...Array.from({ length: 12 }, (_, i) => item(i)), item(12, 'Root=a'), item(13, 'Root=a'), item(14, 'Root=b'), item(15)];
    const chunks = sqsChunks(items).map((c) => c.map((i) => i.seq));
    assert.deepEqual(chunks, [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [10, 11], [12, 13], [14], [15]]);
    assert.deepEqual(sqsChunks([]), []);
  });
});
