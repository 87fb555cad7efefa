// Functions of the other runtimes behind the platform's triggers, end to end through the SDKs:
// an ALB Lambda target group, an API Gateway HTTP API Lambda integration, an SQS event source mapping with partial batch failures, and an
// asynchronous invocation that fails, is retried and reaches its on-failure destination.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { ApiGatewayV2Client, CreateApiCommand, CreateIntegrationCommand, CreateRouteCommand, CreateStageCommand } from '@aws-sdk/client-apigatewayv2';
import {
  AddPermissionCommand,
  CreateEventSourceMappingCommand,
  CreateFunctionCommand,
  InvokeCommand,
  LambdaClient,
  PutFunctionEventInvokeConfigCommand,
  type Runtime,
} from '@aws-sdk/client-lambda';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  ElasticLoadBalancingV2Client,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { findInterpreter } from '@atoll/function-runtime';
import { createLambdaRole, startPlatform, type TestPlatform } from '@atoll/test-support';
import { zip, ROLE } from './helpers.js';

const PYTHON = ['python3.12', 'python3.11', 'python3.13'].find((r) => findInterpreter(r).ok);
const skip = PYTHON ? false : 'no Python 3.11-3.13 is installed on this machine';

let platform: TestPlatform;
let lambda: LambdaClient;
let sqs: SQSClient;

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });

function get(port: number | string, path: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: Number(port), path, agent: false, headers: { 'x-test': 'yes' } }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function queue(name: string, attributes: Record<string, string> = {}): Promise<{ url: string; arn: string }> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
  return { url: QueueUrl!, arn };
}

async function receiveAll(url: string, count: number, seconds = 30): Promise<string[]> {
  const bodies: string[] = [];
  const end = Date.now() + seconds * 1000;
  while (bodies.length < count && Date.now() < end) {
    const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 1, MaxNumberOfMessages: 10 }));
    for (const m of out.Messages ?? []) bodies.push(m.Body!);
  }
  return bodies;
}

describe('Python functions as targets', { skip }, () => {
  before(async () => {
    platform = await startPlatform({ services: ['elbv2', 'apigateway', 'apigatewayv2', 'lambda', 'sqs', 'sts', 'iam'] });
    await createLambdaRole(platform);
    lambda = platform.client(LambdaClient);
    sqs = platform.client(SQSClient);
  });

  after(async () => {
    await platform?.stop();
  });

  test('an ALB Lambda target group answers with a Python function\'s response', async () => {
    const fn = await lambda.send(new CreateFunctionCommand({
      FunctionName: 'py-alb', Runtime: PYTHON as Runtime, Role: ROLE, Handler: 'web.handler',
      Code: { ZipFile: zip({ 'web.py': [
        'import json',
        'def handler(event, context):',
        '    body = {"method": event["httpMethod"], "path": event["path"], "query": event["queryStringParameters"], "header": event["headers"].get("x-test"), "elb": "elb" in event["requestContext"]}',
        '    return {"statusCode": 201, "statusDescription": "201 Created", "isBase64Encoded": False, "headers": {"content-type": "application/json", "x-runtime": "python"}, "body": json.dumps(body)}',
      ].join('\n') }) },
    }));
    const elb = platform.client(ElasticLoadBalancingV2Client);
    const lb = (await elb.send(new CreateLoadBalancerCommand({ Name: 'py-lb' }))).LoadBalancers![0]!;
    const tg = (await elb.send(new CreateTargetGroupCommand({ Name: 'py-tg', TargetType: 'lambda' }))).TargetGroups![0]!;
    await elb.send(new RegisterTargetsCommand({ TargetGroupArn: tg.TargetGroupArn!, Targets: [{ Id: fn.FunctionArn! }] }));
    const port = await freePort();
    await elb.send(new CreateListenerCommand({ LoadBalancerArn: lb.LoadBalancerArn!, Protocol: 'HTTP', Port: port, DefaultActions: [{ Type: 'forward', TargetGroupArn: tg.TargetGroupArn! }] }));
    const reply = await get(port, '/orders?id=7');
    assert.equal(reply.status, 201, reply.body);
    assert.equal(reply.headers['x-runtime'], 'python');
    assert.deepEqual(JSON.parse(reply.body), { method: 'GET', path: '/orders', query: { id: '7' }, header: 'yes', elb: true });
  });

  test('an API Gateway HTTP API routes to a Python function with payload format 2.0', async () => {
    const fn = await lambda.send(new CreateFunctionCommand({
      FunctionName: 'py-api', Runtime: PYTHON as Runtime, Role: ROLE, Handler: 'api.handler',
      Code: { ZipFile: zip({ 'api.py': 'import json\ndef handler(event, context):\n    return {"statusCode": 200, "headers": {"x-runtime": "python"}, "body": json.dumps({"route": event["routeKey"], "id": event["pathParameters"]["id"], "version": event["version"]})}' }) },
    }));
    await lambda.send(new AddPermissionCommand({ FunctionName: 'py-api', StatementId: 'apigw', Action: 'lambda:InvokeFunction', Principal: 'apigateway.amazonaws.com', SourceArn: `arn:aws:execute-api:${platform.region}:${platform.accountId}:*` }));
    const v2 = platform.client(ApiGatewayV2Client);
    const api = await v2.send(new CreateApiCommand({ Name: 'py-http', ProtocolType: 'HTTP' }));
    const integration = await v2.send(new CreateIntegrationCommand({ ApiId: api.ApiId!, IntegrationType: 'AWS_PROXY', IntegrationUri: fn.FunctionArn!, PayloadFormatVersion: '2.0' }));
    await v2.send(new CreateRouteCommand({ ApiId: api.ApiId!, RouteKey: 'GET /items/{id}', Target: `integrations/${integration.IntegrationId}` }));
    await v2.send(new CreateStageCommand({ ApiId: api.ApiId!, StageName: '$default', AutoDeploy: true }));
    const url = new URL(platform.endpoint);
    const reply = await get(url.port, `/_atoll/execute-api/${api.ApiId}/items/42`);
    assert.equal(reply.status, 200, reply.body);
    assert.equal(reply.headers['x-runtime'], 'python');
    assert.deepEqual(JSON.parse(reply.body), { route: 'GET /items/{id}', id: '42', version: '2.0' });
  });

  test('an SQS event source mapping delivers batches to a Python function, and only reported failures are retried', async () => {
    const dlq = await queue('py-esm-dlq');
    const source = await queue('py-esm-source', { VisibilityTimeout: '2', RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 2 }) });
    await lambda.send(new CreateFunctionCommand({
      FunctionName: 'py-consumer', Runtime: PYTHON as Runtime, Role: ROLE, Handler: 'consumer.handler', Timeout: 10,
      Code: { ZipFile: zip({ 'consumer.py': [
        'def handler(event, context):',
        '    failures = []',
        '    for record in event["Records"]:',
        '        assert record["eventSource"] == "aws:sqs"',
        '        if record["body"].startswith("poison"):',
        '            failures.append({"itemIdentifier": record["messageId"]})',
        '        else:',
        '            print("processed", record["body"])',
        '    return {"batchItemFailures": failures}',
      ].join('\n') }) },
    }));
    await lambda.send(new CreateEventSourceMappingCommand({ FunctionName: 'py-consumer', EventSourceArn: source.arn, BatchSize: 10, FunctionResponseTypes: ['ReportBatchItemFailures'] }));
    for (const body of ['good-1', 'poison-1', 'good-2', 'good-3']) await sqs.send(new SendMessageCommand({ QueueUrl: source.url, MessageBody: body }));
    assert.deepEqual(await receiveAll(dlq.url, 1), ['poison-1']);
    const left = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: source.url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
    assert.equal(left.Attributes!.ApproximateNumberOfMessages, '0');
    assert.equal(left.Attributes!.ApproximateNumberOfMessagesNotVisible, '0');
  });

  test('an asynchronous invocation of a failing Python function is retried and reaches the on-failure destination', async () => {
    const failures = await queue('py-async-failures');
    await lambda.send(new CreateFunctionCommand({
      FunctionName: 'py-async', Runtime: PYTHON as Runtime, Role: ROLE, Handler: 'job.handler',
      Code: { ZipFile: zip({ 'job.py': 'def handler(event, context):\n    raise ValueError("job %s failed" % event["job"])' }) },
    }));
    await lambda.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: 'py-async', MaximumRetryAttempts: 1, DestinationConfig: { OnFailure: { Destination: failures.arn } } }));
    const out = await lambda.send(new InvokeCommand({ FunctionName: 'py-async', InvocationType: 'Event', Payload: Buffer.from(JSON.stringify({ job: 9 })) }));
    assert.equal(out.StatusCode, 202);
    const [record] = await receiveAll(failures.url, 1);
    assert.ok(record, 'a destination record arrived');
    const doc = JSON.parse(record) as { requestContext: { condition: string; approximateInvokeCount: number }; requestPayload: unknown; responsePayload: { errorType: string; errorMessage: string } };
    assert.equal(doc.requestContext.condition, 'RetriesExhausted');
    assert.equal(doc.requestContext.approximateInvokeCount, 2);
    assert.deepEqual(doc.requestPayload, { job: 9 });
    assert.equal(doc.responsePayload.errorType, 'ValueError');
    assert.equal(doc.responsePayload.errorMessage, 'job 9 failed');
  });
});
