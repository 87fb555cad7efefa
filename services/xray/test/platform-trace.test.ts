// The platform in the trace: an AWS API call that carries a trace header (X-Amzn-Trace-Id or W3C
// traceparent) gets its own segment, named after the resource it named, with the caller as parent
// and the outcome (error, throttle, fault); a call without a header records nothing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { CreateQueueCommand, GetQueueUrlCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { BatchGetTracesCommand, GetGroupsCommand, GetTraceSummariesCommand, XRayClient } from '@aws-sdk/client-xray';
import { startPlatform, type TestPlatform } from '@atoll/test-support';

async function until<T>(probe: () => Promise<T | undefined | false>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function withHeaders<C extends { middlewareStack: { add: (...a: never[]) => void } }>(command: C, headers: Record<string, string>): C {
  (command.middlewareStack as unknown as { add: (m: unknown, o: unknown) => void }).add(
    (next: (a: { request: { headers: Record<string, string> } }) => unknown) => (args: { request: { headers: Record<string, string> } }) => {
      Object.assign(args.request.headers, headers);
      return next(args);
    },
    { step: 'build' },
  );
  return command;
}

describe('the platform in the trace', () => {
  let p: TestPlatform;
  let sqs: SQSClient;
  let xray: XRayClient;
  before(async () => {
    p = await startPlatform({ services: ['xray', 'sqs', 'iam', 'sts'] });
    sqs = p.client(SQSClient);
    xray = p.client(XRayClient);
    // X-Ray subscribes to traced calls once it has started (the platform's warm-up starts it).
    await xray.send(new GetGroupsCommand({}));
  });
  after(() => p.stop());

  const segmentsOf = async (traceId: string, count: number) =>
    until(async () => {
      const t = (await xray.send(new BatchGetTracesCommand({ TraceIds: [traceId] }))).Traces?.[0];
      const docs = t?.Segments?.map((s) => JSON.parse(s.Document!));
      return docs && docs.length >= count && docs;
    }, `the segments of ${traceId}`);

  it('records a traced call as the segment of its queue, keeps the trace on the message and skips untraced calls', async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'traced' }));
    await sqs.send(new GetQueueUrlCommand({ QueueName: 'traced' }));
    const root = `1-${Math.floor(Date.now() / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;
    const parent = randomBytes(8).toString('hex');
    await sqs.send(withHeaders(new SendMessageCommand({ QueueUrl, MessageBody: 'x' }), { 'x-amzn-trace-id': `Root=${root};Parent=${parent};Sampled=1` }));
    const [seg] = await segmentsOf(root, 1);
    assert.equal(seg.name, 'traced');
    assert.equal(seg.origin, 'AWS::SQS::Queue');
    assert.equal(seg.parent_id, parent);
    assert.equal(seg.aws.operation, 'SendMessage');
    assert.equal(seg.http.response.status, 200);
    const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MessageSystemAttributeNames: ['AWSTraceHeader'] }));
    assert.equal(got.Messages![0]!.Attributes!.AWSTraceHeader, `Root=${root};Parent=${seg.id};Sampled=1`);
    const summaries = await xray.send(new GetTraceSummariesCommand({ StartTime: new Date(Date.now() - 60_000), EndTime: new Date(Date.now() + 60_000) }));
    assert.equal(summaries.TraceSummaries!.length, 1, 'CreateQueue and GetQueueUrl carried no header: no trace');
  });

  it('accepts W3C traceparent and marks a failed call as an error with its cause', async () => {
    const hex = randomBytes(16).toString('hex');
    const parent = randomBytes(8).toString('hex');
    await assert.rejects(sqs.send(withHeaders(new GetQueueUrlCommand({ QueueName: 'missing' }), { traceparent: `00-${hex}-${parent}-01` })));
    const [seg] = await segmentsOf(`1-${hex.slice(0, 8)}-${hex.slice(8)}`, 1);
    assert.equal(seg.parent_id, parent);
    assert.equal(seg.error, true);
    assert.equal(seg.http.response.status, 400);
    assert.equal(seg.cause.exceptions[0].type, 'QueueDoesNotExist');
  });

  it('records nothing for a header that is not sampled', async () => {
    const root = `1-${Math.floor(Date.now() / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'unsampled' }));
    await sqs.send(withHeaders(new SendMessageCommand({ QueueUrl, MessageBody: 'x' }), { 'x-amzn-trace-id': `Root=${root};Sampled=0` }));
    const marker = `1-${Math.floor(Date.now() / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;
    await sqs.send(withHeaders(new SendMessageCommand({ QueueUrl, MessageBody: 'y' }), { 'x-amzn-trace-id': `Root=${marker};Sampled=1` }));
    await segmentsOf(marker, 1);
    const out = await xray.send(new BatchGetTracesCommand({ TraceIds: [root] }));
    assert.deepEqual(out.UnprocessedTraceIds, [root]);
  });
});
