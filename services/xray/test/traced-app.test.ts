// The traced-app (examples/traced-app) end to end: a request through the ALB to an ECS service,
// which queues a job in SQS that a Lambda function stores in DynamoDB, is one X-Ray trace with
// every hop, and GetServiceGraph shows the five services connected in order.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import AdmZip from 'adm-zip';
import { CreateServiceCommand, DescribeServicesCommand, ECSClient, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { CreateListenerCommand, CreateLoadBalancerCommand, CreateTargetGroupCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { CreateEventSourceMappingCommand, CreateFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { CreateTableCommand, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { BatchGetTracesCommand, GetServiceGraphCommand, XRayClient } from '@aws-sdk/client-xray';
import { createLambdaRole, createServiceRole, startPlatform, type TestPlatform } from '@atoll/test-support';

const EXAMPLE = fileURLToPath(new URL('../../../../examples/traced-app/', import.meta.url));

async function until<T>(probe: () => Promise<T | undefined | false>, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

describe('the traced-app: ALB → ECS → SQS → Lambda → DynamoDB as one trace', () => {
  let p: TestPlatform;
  let albPort: number;
  before(async () => {
    p = await startPlatform({ services: ['xray', 'ecs', 'elbv2', 'sqs', 'lambda', 'dynamodb', 'logs', 'iam', 'sts'] });
    const sqs = p.client(SQSClient);
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'jobs' }));
    const queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
    await p.client(DynamoDBClient).send(new CreateTableCommand({ TableName: 'jobs', BillingMode: 'PAY_PER_REQUEST', KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }] }));
    const lambdaRole = await createLambdaRole(p, 'worker-role', {
      worker: [
        { Effect: 'Allow', Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'], Resource: queueArn },
        { Effect: 'Allow', Action: 'dynamodb:PutItem', Resource: '*' },
      ],
    });
    const taskRole = await createServiceRole(p, 'web-task', { service: 'ecs-tasks.amazonaws.com', policies: { web: [{ Effect: 'Allow', Action: ['sqs:SendMessage', 'xray:PutTraceSegments'], Resource: '*' }] } });
    const zip = new AdmZip();
    zip.addFile('index.js', readFileSync(`${EXAMPLE}worker.js`));
    const lambda = p.client(LambdaClient);
    await lambda.send(new CreateFunctionCommand({ FunctionName: 'worker', Runtime: 'nodejs20.x', Handler: 'index.handler', Role: lambdaRole, Code: { ZipFile: zip.toBuffer() }, Environment: { Variables: { TABLE_NAME: 'jobs' } } }));
    await lambda.send(new CreateEventSourceMappingCommand({ FunctionName: 'worker', EventSourceArn: queueArn, BatchSize: 1 }));

    const elb = p.client(ElasticLoadBalancingV2Client);
    const lb = (await elb.send(new CreateLoadBalancerCommand({ Name: 'shop', Type: 'application', Subnets: ['subnet-a', 'subnet-b'] }))).LoadBalancers![0]!;
    const tg = (await elb.send(new CreateTargetGroupCommand({ Name: 'web', Protocol: 'HTTP', Port: 80, VpcId: 'vpc-1', TargetType: 'ip', HealthCheckIntervalSeconds: 5, HealthCheckTimeoutSeconds: 2, HealthyThresholdCount: 2, HealthCheckPath: '/health' }))).TargetGroups![0]!;
    albPort = await freePort();
    await elb.send(new CreateListenerCommand({ LoadBalancerArn: lb.LoadBalancerArn, Protocol: 'HTTP', Port: albPort, DefaultActions: [{ Type: 'forward', TargetGroupArn: tg.TargetGroupArn }] }));
    const ecs = p.client(ECSClient);
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'web',
        taskRoleArn: taskRole,
        containerDefinitions: [
          {
            name: 'app',
            image: 'process',
            memory: 128,
            command: [process.execPath, `${EXAMPLE}app.mjs`],
            environment: [{ name: 'QUEUE_URL', value: QueueUrl }, { name: 'SERVICE_NAME', value: 'web' }],
            portMappings: [{ containerPort: 8080 }],
            stopTimeout: 2,
          },
        ],
      }),
    );
    await ecs.send(new CreateServiceCommand({ serviceName: 'web', taskDefinition: 'web', desiredCount: 1, loadBalancers: [{ targetGroupArn: tg.TargetGroupArn, containerName: 'app', containerPort: 8080 }] }));
    let events: string[] = [];
    await until(async () => {
      const s = (await ecs.send(new DescribeServicesCommand({ services: ['web'] }))).services![0]!;
      events = s.events!.map((e) => e.message!);
      return s.events!.some((e) => e.message === '(service web) has reached a steady state.');
    }, 'the service to reach a steady state', 90_000).catch((e: Error) => {
      throw new Error(`${e.message}: ${events.join(' | ')}`);
    });
  });
  after(() => p.stop());

  it('records every hop in one trace and five connected nodes in the service graph', async () => {
    const started = new Date(Date.now() - 5_000);
    const res = await until(async () => {
      const r = await fetch(`http://127.0.0.1:${albPort}/checkout`).catch(() => undefined);
      return r?.status === 202 && r;
    }, 'the ALB to answer');
    const { traceId } = (await res.json()) as { traceId: string };
    await until(async () => ((await p.client(DynamoDBClient).send(new ScanCommand({ TableName: 'jobs' }))).Items ?? []).length > 0 && true, 'the job in DynamoDB');
    const xray = p.client(XRayClient);
    const expected = ['web', 'jobs|AWS::SQS::Queue', 'worker|AWS::Lambda', 'worker|AWS::Lambda::Function', 'jobs|AWS::DynamoDB::Table'];
    const graph = await until(async () => {
      const g = await xray.send(new GetServiceGraphCommand({ StartTime: started, EndTime: new Date(Date.now() + 5_000) }));
      return g.Services!.length >= 5 && g.Services!.some((s) => s.Type === 'AWS::DynamoDB::Table') && g;
    }, 'the service graph');
    const key = (s: { Name?: string; Type?: string }) => (s.Type === 'AWS::ECS::Container' ? s.Name : `${s.Name}|${s.Type}`);
    const byRef = new Map(graph.Services!.map((s) => [s.ReferenceId, s]));
    assert.deepEqual(graph.Services!.map(key).sort(), [...expected].sort());
    // Each hop points at the next, and nothing else.
    for (let i = 0; i < expected.length; i++) {
      const s = graph.Services!.find((x) => key(x) === expected[i])!;
      const next = (s.Edges ?? []).map((e) => key(byRef.get(e.ReferenceId)!));
      assert.deepEqual(next, i + 1 < expected.length ? [expected[i + 1]] : [], `edges of ${expected[i]}`);
    }
    assert.equal(graph.Services!.find((s) => key(s) === 'web')!.Root, true);
    const trace = (await xray.send(new BatchGetTracesCommand({ TraceIds: [traceId] }))).Traces![0]!;
    const origins = trace.Segments!.map((s) => JSON.parse(s.Document!).origin).sort();
    assert.deepEqual(origins, ['AWS::DynamoDB::Table', 'AWS::ECS::Container', 'AWS::Lambda', 'AWS::Lambda::Function', 'AWS::SQS::Queue']);
  });
});
