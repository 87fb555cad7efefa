// `atoll snapshot save` while the platform serves, `atoll snapshot load` into a new data directory:
// the platform started on it finds the queues, messages, buckets, objects and tables again. Loading
// into a data directory in use is refused, and PostgreSQL-backed platforms are refused by name.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CreateQueueCommand, GetQueueUrlCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { startPlatform, type TestPlatform } from '@atoll/test-support';

const run = promisify(execFile);
const cli = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'apps', 'cli', 'bin', 'atoll.js');
const atoll = (...args: string[]) => run(process.execPath, [cli, ...args], { env: { ...process.env, ATOLL_DATABASE_URL: '' } });

describe('snapshots', { skip: process.env.ATOLL_TEST_ENGINE === 'postgres' ? 'snapshots cover the embedded engine only' : false }, () => {
  const work = mkdtempSync(join(tmpdir(), 'atoll-snapshot-'));
  const source = join(work, 'source');
  const file = join(work, 'state.tgz');
  let p: TestPlatform;
  before(async () => {
    p = await startPlatform({ services: ['sqs', 's3', 'dynamodb', 'iam', 'sts'], dataDir: source });
  });
  after(async () => {
    await p.stop();
    rmSync(work, { recursive: true, force: true });
  });

  test('a snapshot saved while the platform serves restores its state into a new data directory', async () => {
    const sqs = p.client(SQSClient);
    const s3 = p.client(S3Client, { forcePathStyle: true });
    const dynamodb = p.client(DynamoDBClient);
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'kept' }));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'still here' }));
    await s3.send(new CreateBucketCommand({ Bucket: 'kept' }));
    const body = Buffer.alloc(300_000, 7);
    await s3.send(new PutObjectCommand({ Bucket: 'kept', Key: 'big.bin', Body: body }));
    await dynamodb.send(
      new CreateTableCommand({
        TableName: 'kept',
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    await dynamodb.send(new PutItemCommand({ TableName: 'kept', Item: { id: { S: 'a' }, n: { N: '42' } } }));

    // Saved while writes go on: the writes that finished before are in it.
    const writes = Promise.all(Array.from({ length: 20 }, (_, i) => sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: `during ${i}` }))));
    const { stdout } = await atoll('snapshot', 'save', file, '--data-dir', source);
    await writes;
    assert.match(stdout, /Saved .* databases/);
    assert.ok(existsSync(file));

    // Loading into the running platform's data directory is refused.
    await assert.rejects(atoll('snapshot', 'load', file, '--data-dir', source), (error: { code?: number; stderr?: string }) => {
      assert.equal(error.code, 1);
      assert.match(error.stderr ?? '', /is in use by the platform at http:\/\/127\.0\.0\.1:\d+ .*stop it/);
      return true;
    });

    const target = join(work, 'target');
    await atoll('snapshot', 'load', file, '--data-dir', target);
    const q = await startPlatform({ services: ['sqs', 's3', 'dynamodb', 'iam', 'sts'], dataDir: target });
    try {
      assert.equal(q.credentials.accessKeyId, p.credentials.accessKeyId, 'the root key comes with the snapshot');
      const sqs2 = q.client(SQSClient);
      const url = (await sqs2.send(new GetQueueUrlCommand({ QueueName: 'kept' }))).QueueUrl!;
      const bodies: string[] = [];
      for (let i = 0; i < 10; i++) {
        const got = await sqs2.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
        if (!got.Messages?.length) break;
        bodies.push(...got.Messages.map((m) => m.Body!));
      }
      assert.ok(bodies.includes('still here'));
      const object = await q.client(S3Client, { forcePathStyle: true }).send(new GetObjectCommand({ Bucket: 'kept', Key: 'big.bin' }));
      assert.ok(Buffer.from(await object.Body!.transformToByteArray()).equals(body));
      const item = await q.client(DynamoDBClient).send(new GetItemCommand({ TableName: 'kept', Key: { id: { S: 'a' } } }));
      assert.equal(item.Item?.n?.N, '42');
    } finally {
      await q.stop();
    }
  });

  test('a file that is not a snapshot is refused and the data directory is left as it was', async () => {
    const bogus = join(work, 'bogus.tgz');
    writeFileSync(bogus, 'not a tar');
    const target = join(work, 'untouched');
    await assert.rejects(atoll('snapshot', 'load', bogus, '--data-dir', target), (error: { stderr?: string }) => {
      assert.match(error.stderr ?? '', /is not an Atoll snapshot/);
      return true;
    });
    assert.equal(existsSync(target), false);
  });

  test('a PostgreSQL-backed platform is refused with what to use instead', async () => {
    await assert.rejects(
      run(process.execPath, [cli, 'snapshot', 'save', join(work, 'pg.tgz'), '--database-url', 'postgres://127.0.0.1/none']),
      (error: { stderr?: string }) => {
        assert.match(error.stderr ?? '', /not supported: use pg_dump/);
        return true;
      },
    );
  });
});
