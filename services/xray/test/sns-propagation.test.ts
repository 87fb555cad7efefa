// SNS in the trace: a traced Publish keeps its trace through SNS's durable outbox to every
// subscriber, as AWS does: an SQS subscription's message carries it as AWSTraceHeader (its parent
// the queue's segment, whose parent is the topic's), a Lambda subscription's invocation runs in it
// (`_X_AMZN_TRACE_ID`), and an HTTP subscription's POST carries `X-Amzn-Trace-Id`.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import AdmZip from 'adm-zip';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { CreateTopicCommand, ListSubscriptionsByTopicCommand, PublishBatchCommand, PublishCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { AddPermissionCommand, CreateFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { BatchGetTracesCommand, GetGroupsCommand, GetServiceGraphCommand, XRayClient } from '@aws-sdk/client-xray';
import { createLambdaRole, queuePolicyAllowing, startPlatform, type TestPlatform } from '@atoll/test-support';

async function until<T>(probe: () => Promise<T | undefined | false>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function traced<C>(command: C, header: string): C {
  (command as unknown as { middlewareStack: { add: (m: unknown, o: unknown) => void } }).middlewareStack.add(
    (next: (a: unknown) => unknown) => (args: { request: { headers: Record<string, string> } }) => {
      args.request.headers['x-amzn-trace-id'] = header;
      return next(args);
    },
    { step: 'build' },
  );
  return command;
}

const newRoot = () => `1-${Math.floor(Date.now() / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;
type Doc = { id: string; name: string; origin?: string; parent_id?: string; aws?: Record<string, unknown> };

describe('SNS deliveries keep the publisher\'s trace', () => {
  let p: TestPlatform;
  let xray: XRayClient;
  let sns: SNSClient;
  let sqs: SQSClient;
  let dir: string;
  let http: Server;
  const posts: { headers: IncomingHttpHeaders; body: Record<string, string> }[] = [];
  before(async () => {
    p = await startPlatform({ services: ['xray', 'sns', 'sqs', 'lambda', 'iam', 'sts'] });
    xray = p.client(XRayClient);
    sns = p.client(SNSClient);
    sqs = p.client(SQSClient);
    await xray.send(new GetGroupsCommand({}));
    dir = mkdtempSync(join(tmpdir(), 'atoll-sns-trace-'));
    http = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, string>;
        posts.push({ headers: req.headers, body });
        if (body.Type === 'SubscriptionConfirmation') void fetch(body.SubscribeURL!);
        res.end();
      });
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  });
  after(async () => {
    await p.stop();
    await new Promise((resolve) => http.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  const segments = (root: string, ok: (docs: Doc[]) => boolean) =>
    until(async () => {
      const t = (await xray.send(new BatchGetTracesCommand({ TraceIds: [root] }))).Traces?.[0];
      const docs = (t?.Segments ?? []).map((s) => JSON.parse(s.Document!) as Doc);
      return ok(docs) && docs;
    }, `the segments of ${root}`);

  it('hands the trace to an SQS subscription as AWSTraceHeader under the queue\'s segment, and shows topic → queue in the service graph', async () => {
    const started = new Date(Date.now() - 5_000);
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'orders' }));
    const Policy = queuePolicyAllowing(`arn:aws:sqs:${p.region}:${p.accountId}:order-copies`, 'sns.amazonaws.com', TopicArn!);
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'order-copies', Attributes: { Policy } }));
    const queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: queueArn }));
    const root = newRoot();
    const caller = randomBytes(8).toString('hex');
    await sns.send(traced(new PublishCommand({ TopicArn, Message: 'one' }), `Root=${root};Parent=${caller};Sampled=1`));
    // An untraced publish in the same fan-out must not take the trace.
    await sns.send(new PublishCommand({ TopicArn, Message: 'two' }));
    const docs = await segments(root, (d) => ['AWS::SNS::Topic', 'AWS::SQS::Queue'].every((o) => d.some((s) => s.origin === o)));
    const topic = docs.find((s) => s.origin === 'AWS::SNS::Topic')!;
    const queue = docs.find((s) => s.origin === 'AWS::SQS::Queue')!;
    assert.equal(topic.name, 'orders');
    assert.equal(topic.parent_id, caller);
    assert.equal(queue.name, 'order-copies');
    assert.equal(queue.parent_id, topic.id);
    assert.equal(queue.aws!.operation, 'SendMessageBatch');
    const got = new Map<string, string | undefined>();
    await until(async () => {
      const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['AWSTraceHeader'] }));
      for (const m of r.Messages ?? []) got.set((JSON.parse(m.Body!) as { Message: string }).Message, m.Attributes?.AWSTraceHeader);
      return got.size === 2;
    }, 'both messages');
    assert.equal(got.get('one'), `Root=${root};Parent=${queue.id};Sampled=1`);
    assert.equal(got.get('two'), undefined);
    const graph = await xray.send(new GetServiceGraphCommand({ StartTime: started, EndTime: new Date(Date.now() + 5_000) }));
    const orders = graph.Services!.find((s) => s.Name === 'orders' && s.Type === 'AWS::SNS::Topic')!;
    const copies = graph.Services!.find((s) => s.Name === 'order-copies' && s.Type === 'AWS::SQS::Queue')!;
    assert.deepEqual(orders.Edges!.map((e) => e.ReferenceId), [copies.ReferenceId]);
  });

  it('gives each message of a PublishBatch its trace, and an HTTP subscription X-Amzn-Trace-Id', async () => {
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'hooks' }));
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'http', Endpoint: `http://127.0.0.1:${(http.address() as { port: number }).port}/hook` }));
    await until(async () => posts.some((x) => x.body.Type === 'SubscriptionConfirmation') && true, 'the confirmation');
    await until(async () => {
      const subs = (await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn }))).Subscriptions ?? [];
      return subs.length === 1 && subs[0]!.SubscriptionArn !== 'PendingConfirmation';
    }, 'the confirmed subscription');
    const root = newRoot();
    await sns.send(traced(new PublishBatchCommand({ TopicArn, PublishBatchRequestEntries: [{ Id: 'a', Message: 'a' }, { Id: 'b', Message: 'b' }] }), `Root=${root};Sampled=1`));
    const [topic] = await segments(root, (d) => d.length >= 1);
    const notes = await until(async () => {
      const n = posts.filter((x) => x.body.Type === 'Notification' && x.body.TopicArn === TopicArn);
      return n.length === 2 && n;
    }, 'both notifications');
    for (const n of notes) assert.equal(n.headers['x-amzn-trace-id'], `Root=${root};Parent=${topic!.id};Sampled=1`);
  });

  it('invokes a Lambda subscription in the trace: the invocation\'s segment under the topic\'s, _X_AMZN_TRACE_ID set', async () => {
    const lambda = p.client(LambdaClient);
    const role = await createLambdaRole(p, 'sns-trace-role');
    const out = join(dir, 'trace.txt');
    const zip = new AdmZip();
    zip.addFile('index.js', Buffer.from(`exports.handler = async () => { require('fs').writeFileSync(process.env.OUT + '.tmp', process.env._X_AMZN_TRACE_ID || ''); require('fs').renameSync(process.env.OUT + '.tmp', process.env.OUT); return 'ok'; };`));
    const fn = await lambda.send(new CreateFunctionCommand({ FunctionName: 'on-order', Runtime: 'nodejs20.x', Role: role, Handler: 'index.handler', Code: { ZipFile: zip.toBuffer() }, Environment: { Variables: { OUT: out } } }));
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'to-fn' }));
    await lambda.send(new AddPermissionCommand({ FunctionName: 'on-order', StatementId: 'sns', Action: 'lambda:InvokeFunction', Principal: 'sns.amazonaws.com', SourceArn: TopicArn }));
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'lambda', Endpoint: fn.FunctionArn }));
    const root = newRoot();
    await sns.send(traced(new PublishCommand({ TopicArn, Message: 'go' }), `Root=${root};Sampled=1`));
    const docs = await segments(root, (d) => ['AWS::SNS::Topic', 'AWS::Lambda', 'AWS::Lambda::Function'].every((o) => d.some((s) => s.origin === o)));
    const topic = docs.find((s) => s.origin === 'AWS::SNS::Topic')!;
    const service = docs.find((s) => s.origin === 'AWS::Lambda')!;
    const fnSeg = docs.find((s) => s.origin === 'AWS::Lambda::Function')!;
    assert.equal(service.name, 'on-order');
    assert.equal(service.parent_id, topic.id);
    assert.equal(fnSeg.parent_id, service.id);
    await until(async () => existsSync(out), 'the function to run');
    assert.equal(readFileSync(out, 'utf8'), `Root=${root};Parent=${fnSeg.id};Sampled=1`);
  });
});
