import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseWatch } from './console-events.js';
import { ConsoleCallError } from './console-aws.js';

describe('watched calls', () => {
  it('accepts read-only calls', () => {
    const calls = parseWatch(JSON.stringify([{ id: 'a', service: 'sqs', operation: 'GetQueueAttributes', input: { QueueUrl: 'u' } }, { id: 'b', service: 'ecs', operation: 'DescribeServices' }]));
    assert.deepEqual(calls.map((c) => c.operation), ['GetQueueAttributes', 'DescribeServices']);
    assert.deepEqual(calls[1]!.input, {});
  });

  it('refuses writes, object downloads, malformed lists and too many calls', () => {
    const refused = (raw: string | null) => assert.throws(() => parseWatch(raw), (e: unknown) => e instanceof ConsoleCallError && e.status === 400);
    refused(JSON.stringify([{ id: 'a', service: 'sqs', operation: 'PurgeQueue' }]));
    refused(JSON.stringify([{ id: 'a', service: 's3', operation: 'GetObject' }]));
    refused(JSON.stringify([{ id: 'a', service: 'sqs', operation: 'DeleteQueue' }]));
    refused('not json');
    refused(null);
    refused('[]');
    refused(JSON.stringify([{ service: 'sqs', operation: 'ListQueues' }]));
    refused(JSON.stringify(Array.from({ length: 13 }, (_, i) => ({ id: String(i), service: 'sqs', operation: 'ListQueues' }))));
  });
});
