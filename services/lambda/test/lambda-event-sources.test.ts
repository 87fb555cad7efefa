// Event sources, destinations and durability at the provider level, with in-memory SQS and
// DynamoDB Streams stand-ins (those services are tested on their own).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { LambdaProvider } from '../src/lambda-provider.js';
import { fakePlatform, requestContext } from './fake-platform.js';
import { zip, ROLE } from './helpers.js';

const ctx = requestContext();

async function until(check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function createFunction(provider: LambdaProvider, name: string, code: string, extra: Record<string, unknown> = {}) {
  await provider.operations.CreateFunction!({ FunctionName: name, Runtime: 'nodejs20.x', Role: ROLE, Handler: 'index.handler', Code: { ZipFile: zip({ 'index.js': code }) }, ...extra }, ctx);
}

describe('SQS event source mappings', () => {
  test('messages are delivered in batches and deleted after success', async () => {
    const { platform, sqs, dataDir } = fakePlatform();
    sqs.visibilityMs = 10_000;
    const provider = new LambdaProvider(platform, { pollWaitSeconds: 0 });
    provider.start();
    try {
      await createFunction(provider, 'consumer', `exports.handler = async (e) => { console.log('batch', e.Records.length, e.Records.map(r => r.body).join(',')); };`);
      for (let i = 0; i < 5; i++) sqs.send('jobs', `m${i}`);
      const mapping = (await provider.operations.CreateEventSourceMapping!({ FunctionName: 'consumer', EventSourceArn: 'arn:aws:sqs:us-east-1:000000000000:jobs', BatchSize: 10 }, ctx)) as { UUID: string; State: string; BatchSize: number };
      assert.equal(mapping.State, 'Creating');
      assert.equal(mapping.BatchSize, 10);
      await until(() => sqs.bodies('jobs').length === 0);
      await until(async () => (await provider.logs({ account: '000000000000', region: 'us-east-1' }, '/aws/lambda/consumer')).some((l) => l.includes('batch')));
      const got = (await provider.operations.GetEventSourceMapping!({ UUID: mapping.UUID }, ctx)) as { State: string; LastProcessingResult: string };
      assert.equal(got.State, 'Enabled');
    } finally {
      await provider.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('with ReportBatchItemFailures only the failed messages stay, and they reach the redrive queue', async () => {
    const { platform, sqs, dataDir } = fakePlatform();
    sqs.redrive.set('work', { target: 'work-dlq', maxReceives: 2 });
    sqs.visibilityMs = 1500; // longer than a cold start, as AWS advises (6 × the function timeout)
    const provider = new LambdaProvider(platform, { pollWaitSeconds: 0 });
    provider.start();
    try {
      await createFunction(provider, 'picky', `exports.handler = async (e) => ({ batchItemFailures: e.Records.filter(r => r.body.startsWith('bad')).map(r => ({ itemIdentifier: r.messageId })) });`);
      for (const body of ['good1', 'bad1', 'good2']) sqs.send('work', body);
      await provider.operations.CreateEventSourceMapping!({ FunctionName: 'picky', EventSourceArn: 'arn:aws:sqs:us-east-1:000000000000:work', FunctionResponseTypes: ['ReportBatchItemFailures'], ScalingConfig: { MaximumConcurrency: 2 } }, ctx);
      await until(() => sqs.bodies('work-dlq').length === 1);
      assert.deepEqual(sqs.bodies('work'), []);
      assert.deepEqual(sqs.bodies('work-dlq'), ['bad1']);
    } finally {
      await provider.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('FilterCriteria delivers only matching messages and deletes the others', async () => {
    const { platform, sqs, dataDir } = fakePlatform();
    sqs.visibilityMs = 10_000;
    const provider = new LambdaProvider(platform, { pollWaitSeconds: 0 });
    provider.start();
    try {
      await createFunction(provider, 'filtered', `exports.handler = async (e) => { for (const r of e.Records) console.log('got', r.body); };`);
      for (const body of ['{"kind":"keep","n":1}', '{"kind":"drop"}', 'plain text', '{"kind":"keep","n":2}']) sqs.send('mixed', body);
      await provider.operations.CreateEventSourceMapping!({
        FunctionName: 'filtered',
        EventSourceArn: 'arn:aws:sqs:us-east-1:000000000000:mixed',
        FilterCriteria: { Filters: [{ Pattern: JSON.stringify({ body: { kind: ['keep'] } }) }] },
      }, ctx);
      await until(() => sqs.bodies('mixed').length === 0);
      const got = async () => (await provider.logs({ account: '000000000000', region: 'us-east-1' }, '/aws/lambda/filtered')).filter((l) => l.includes('\tgot ')).map((l) => l.split('\tgot ')[1]);
      await until(async () => (await got()).length === 2);
      assert.deepEqual((await got()).sort(), ['{"kind":"keep","n":1}', '{"kind":"keep","n":2}']);
    } finally {
      await provider.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('an unsupported event source and a duplicate mapping are refused with their errors', async () => {
    const { platform, dataDir } = fakePlatform();
    const provider = new LambdaProvider(platform);
    try {
      await createFunction(provider, 'f', `exports.handler = async () => 1;`);
      await assert.rejects(
        async () => provider.operations.CreateEventSourceMapping!({ FunctionName: 'f', EventSourceArn: 'arn:aws:kinesis:us-east-1:000000000000:stream/s', StartingPosition: 'LATEST' }, ctx),
        (err: { code: string; status: number }) => err.code === 'InvalidParameterValueException' && err.status === 400,
      );
      await provider.operations.CreateEventSourceMapping!({ FunctionName: 'f', EventSourceArn: 'arn:aws:sqs:us-east-1:000000000000:q', Enabled: false }, ctx);
      await assert.rejects(
        async () => provider.operations.CreateEventSourceMapping!({ FunctionName: 'f', EventSourceArn: 'arn:aws:sqs:us-east-1:000000000000:q' }, ctx),
        (err: { code: string; status: number }) => err.code === 'ResourceConflictException' && err.status === 409,
      );
      await assert.rejects(
        async () => provider.operations.CreateEventSourceMapping!({ FunctionName: 'f', EventSourceArn: 'arn:aws:sqs:us-east-1:000000000000:q2', BatchSize: 100 }, ctx),
        (err: { code: string }) => err.code === 'InvalidParameterValueException',
      );
    } finally {
      await provider.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('DynamoDB stream event source mappings', () => {
  test('records are delivered in order from the starting position and checkpointed', async () => {
    const { platform, streams, dataDir } = fakePlatform();
    const provider = new LambdaProvider(platform);
    provider.start();
    try {
      await createFunction(provider, 'streamer', `exports.handler = async (e) => { for (const r of e.Records) console.log('key', r.dynamodb.Keys.id.S, r.eventSource, typeof r.dynamodb.ApproximateCreationDateTime); };`);
      streams.put('shard-1', 'a');
      streams.put('shard-1', 'b');
      const arn = 'arn:aws:dynamodb:us-east-1:000000000000:table/T/stream/2024-01-01T00:00:00.000';
      await provider.operations.CreateEventSourceMapping!({ FunctionName: 'streamer', EventSourceArn: arn, StartingPosition: 'TRIM_HORIZON', BatchSize: 1 }, ctx);
      const keys = async () => (await provider.logs({ account: '000000000000', region: 'us-east-1' }, '/aws/lambda/streamer')).filter((l) => l.includes('\tkey ')).map((l) => l.split('\tkey ')[1]);
      await until(async () => (await keys()).length === 2);
      streams.put('shard-1', 'c');
      await until(async () => (await keys()).length === 3);
      assert.deepEqual(await keys(), ['a aws:dynamodb number', 'b aws:dynamodb number', 'c aws:dynamodb number']);
    } finally {
      await provider.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('a failing batch is bisected, retried, and sent to the on-failure destination when retries run out', async () => {
    const { platform, streams, sqs, dataDir } = fakePlatform();
    sqs.queues.set('failures', []);
    const provider = new LambdaProvider(platform);
    provider.start();
    try {
      await createFunction(provider, 'picky-stream', `exports.handler = async (e) => { if (e.Records.some(r => r.dynamodb.Keys.id.S === 'poison')) throw new Error('poison'); console.log('ok', e.Records.map(r => r.dynamodb.Keys.id.S).join(',')); };`);
      for (const k of ['a', 'poison', 'b', 'c']) streams.put('shard-9', k);
      await provider.operations.CreateEventSourceMapping!({
        FunctionName: 'picky-stream',
        EventSourceArn: 'arn:aws:dynamodb:us-east-1:000000000000:table/T/stream/label',
        StartingPosition: 'TRIM_HORIZON',
        BatchSize: 4,
        BisectBatchOnFunctionError: true,
        MaximumRetryAttempts: 1,
        DestinationConfig: { OnFailure: { Destination: 'arn:aws:sqs:us-east-1:000000000000:failures' } },
      }, ctx);
      await until(() => sqs.bodies('failures').length === 1, 20_000);
      const failure = JSON.parse(sqs.bodies('failures')[0]!);
      assert.equal(failure.requestContext.condition, 'RetryAttemptsExhausted');
      assert.equal(failure.DDBStreamBatchInfo.batchSize, 1);
      const oks = async () => (await provider.logs({ account: '000000000000', region: 'us-east-1' }, '/aws/lambda/picky-stream')).filter((l) => l.includes('\tok '));
      await until(async () => (await oks()).some((l) => l.endsWith('b,c')));
      assert.ok((await oks()).some((l) => l.endsWith('ok a')));
    } finally {
      await provider.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('asynchronous invocation destinations and durability', () => {
  test('after the retries an Event invocation goes to the on-failure destination with the documented record', async () => {
    const { platform, sqs, dataDir } = fakePlatform();
    sqs.queues.set('dest', []);
    const provider = new LambdaProvider(platform, { asyncRetryDelaysMs: [10, 10] });
    provider.start();
    try {
      await createFunction(provider, 'broken', `exports.handler = async () => { throw new Error('always'); };`);
      await provider.operations.PutFunctionEventInvokeConfig!({ FunctionName: 'broken', DestinationConfig: { OnFailure: { Destination: 'arn:aws:sqs:us-east-1:000000000000:dest' } } }, ctx);
      const out = (await provider.operations.Invoke!({ FunctionName: 'broken', InvocationType: 'Event', Payload: Buffer.from('{"k":1}') }, ctx)) as { StatusCode: number };
      assert.equal(out.StatusCode, 202);
      await until(() => sqs.bodies('dest').length === 1);
      const record = JSON.parse(sqs.bodies('dest')[0]!);
      assert.equal(record.requestContext.condition, 'RetriesExhausted');
      assert.equal(record.requestContext.approximateInvokeCount, 3);
      assert.deepEqual(record.requestPayload, { k: 1 });
      assert.equal(record.responseContext.functionError, 'Unhandled');
      assert.equal(record.responsePayload.errorMessage, 'always');
    } finally {
      await provider.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('a successful Event invocation goes to the on-success destination, and a dead-letter queue takes failures without a destination', async () => {
    const { platform, sqs, dataDir } = fakePlatform();
    sqs.queues.set('ok', []);
    sqs.queues.set('dlq', []);
    const provider = new LambdaProvider(platform, { asyncRetryDelaysMs: [10, 10] });
    provider.start();
    try {
      await createFunction(provider, 'fine', `exports.handler = async (e) => ({ got: e.n });`);
      await provider.operations.PutFunctionEventInvokeConfig!({ FunctionName: 'fine', DestinationConfig: { OnSuccess: { Destination: 'arn:aws:sqs:us-east-1:000000000000:ok' } } }, ctx);
      await provider.operations.Invoke!({ FunctionName: 'fine', InvocationType: 'Event', Payload: Buffer.from('{"n":5}') }, ctx);
      await until(() => sqs.bodies('ok').length === 1);
      assert.deepEqual(JSON.parse(sqs.bodies('ok')[0]!).responsePayload, { got: 5 });

      await createFunction(provider, 'dead', `exports.handler = async () => { throw new Error('x'); };`, { DeadLetterConfig: { TargetArn: 'arn:aws:sqs:us-east-1:000000000000:dlq' } });
      await provider.operations.PutFunctionEventInvokeConfig!({ FunctionName: 'dead', MaximumRetryAttempts: 0 }, ctx);
      await provider.operations.Invoke!({ FunctionName: 'dead', InvocationType: 'Event', Payload: Buffer.from('{"original":true}') }, ctx);
      await until(() => sqs.bodies('dlq').length === 1);
      assert.deepEqual(JSON.parse(sqs.bodies('dlq')[0]!), { original: true });
    } finally {
      await provider.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('a queued Event invocation survives a restart of the service', async () => {
    const first = fakePlatform();
    first.sqs.queues.set('done', []);
    let provider = new LambdaProvider(first.platform);
    await createFunction(provider, 'later', `exports.handler = async (e) => e;`);
    await provider.operations.PutFunctionEventInvokeConfig!({ FunctionName: 'later', DestinationConfig: { OnSuccess: { Destination: 'arn:aws:sqs:us-east-1:000000000000:done' } } }, ctx);
    // Not started: the queue is durable but nothing runs it.
    await provider.operations.Invoke!({ FunctionName: 'later', InvocationType: 'Event', Payload: Buffer.from('{"persisted":1}') }, ctx);
    await provider.close();
    const second = fakePlatform(first.dataDir);
    second.sqs.queues.set('done', []);
    provider = new LambdaProvider(second.platform);
    provider.start();
    try {
      await until(() => second.sqs.bodies('done').length === 1);
      assert.deepEqual(JSON.parse(second.sqs.bodies('done')[0]!).responsePayload, { persisted: 1 });
    } finally {
      await provider.close();
      rmSync(first.dataDir, { recursive: true, force: true });
    }
  });
});
