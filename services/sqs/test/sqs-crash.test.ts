// Crash test: the platform runs as a child process under send/receive/delete load and is killed
// with SIGKILL; after a restart on the same data directory every acknowledged message is still
// delivered and no acknowledged delete comes back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { spawnPlatform } from '@atoll/test-support';

const client = (endpoint: string, credentials: { accessKeyId: string; secretAccessKey: string }) =>
  new SQSClient({ endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });

test('acknowledged sends survive kill -9 and acknowledged deletes stay deleted', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'atoll-sqs-crash-'));
  try {
    const first = await spawnPlatform({ dataDir });
    const sqs = client(first.endpoint, first.credentials);
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'crash', Attributes: { VisibilityTimeout: '3' } }));
    const acked = new Set<string>();
    const deleted = new Set<string>();
    /** Deletes sent but not answered when the process died: they may or may not have been applied. */
    const deleting = new Set<string>();
    let stop = false;
    let sequence = 0;

    const producer = async () => {
      while (!stop) {
        const bodies = Array.from({ length: 10 }, () => `msg-${++sequence}`);
        try {
          const r = await sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: bodies.map((b, i) => ({ Id: `e${i}`, MessageBody: b })) }));
          for (const s of r.Successful ?? []) acked.add(bodies[Number(s.Id!.slice(1))]!);
        } catch {
          return; // the platform is gone
        }
      }
    };
    const consumer = async () => {
      while (!stop) {
        try {
          const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
          if (!Messages?.length) continue;
          for (const m of Messages) deleting.add(m.Body!);
          const r = await sqs.send(
            new DeleteMessageBatchCommand({ QueueUrl, Entries: Messages.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle! })) }),
          );
          for (const s of r.Successful ?? []) deleted.add(Messages[Number(s.Id!.slice(1))]!.Body!);
          for (const m of Messages) deleting.delete(m.Body!);
        } catch {
          return;
        }
      }
    };
    const workers = [producer(), producer(), producer(), producer(), consumer(), consumer()];
    // Kill once enough load has gone through (a count, not a clock).
    while (acked.size < 2000 || deleted.size < 300) await new Promise((r) => setTimeout(r, 20));
    await first.kill('SIGKILL');
    stop = true;
    await Promise.all(workers);
    sqs.destroy();

    const second = await spawnPlatform({ dataDir });
    const after = client(second.endpoint, second.credentials);
    try {
      const redelivered = new Set<string>();
      let emptyPolls = 0;
      // Messages received before the crash come back when their 3-second visibility timeout ends.
      while (emptyPolls < 3) {
        const { Messages } = await after.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 2 }));
        if (!Messages?.length) {
          emptyPolls++;
          continue;
        }
        emptyPolls = 0;
        for (const m of Messages) redelivered.add(m.Body!);
        await after.send(new DeleteMessageBatchCommand({ QueueUrl, Entries: Messages.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle! })) }));
      }
      const lost = [...acked].filter((b) => !deleted.has(b) && !deleting.has(b) && !redelivered.has(b));
      assert.deepEqual(lost, [], `${lost.length} acknowledged messages were lost`);
      const resurrected = [...deleted].filter((b) => redelivered.has(b));
      assert.deepEqual(resurrected, [], `${resurrected.length} deleted messages came back`);
    } finally {
      after.destroy();
      await second.kill('SIGTERM');
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
