// End-to-end: an ALB forwarding to a Lambda target group, through the real Lambda service.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import AdmZip from 'adm-zip';
import { CreateFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { createLambdaRole, startPlatform } from '@atoll/test-support';

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });

test('a Lambda target group answers requests with the function\'s result', async () => {
  const platform = await startPlatform({ services: ['elbv2', 'lambda', 'sts', 'iam'] });
  try {
    const lambda = platform.client(LambdaClient);
    await createLambdaRole(platform, 'fn', {});
    const elb = platform.client(ElasticLoadBalancingV2Client);
    const archive = new AdmZip();
    archive.addFile('index.js', Buffer.from(`exports.handler = async (event) => ({
      statusCode: 200, statusDescription: '200 OK', isBase64Encoded: false,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ method: event.httpMethod, path: event.path, query: event.queryStringParameters, tg: event.requestContext.elb.targetGroupArn }),
    });`));
    const fn = await lambda.send(new CreateFunctionCommand({ FunctionName: 'alb-fn', Runtime: 'nodejs22.x', Role: `arn:aws:iam::${platform.accountId}:role/fn`, Handler: 'index.handler', Code: { ZipFile: archive.toBuffer() } }));
    const lb = (await elb.send(new CreateLoadBalancerCommand({ Name: 'fn-lb' }))).LoadBalancers![0]!;
    const tg = (await elb.send(new CreateTargetGroupCommand({ Name: 'fn-tg', TargetType: 'lambda' }))).TargetGroups![0]!;
    assert.equal(tg.HealthCheckEnabled, false);
    await elb.send(new RegisterTargetsCommand({ TargetGroupArn: tg.TargetGroupArn!, Targets: [{ Id: fn.FunctionArn! }] }));
    const port = await freePort();
    await elb.send(new CreateListenerCommand({ LoadBalancerArn: lb.LoadBalancerArn!, Protocol: 'HTTP', Port: port, DefaultActions: [{ Type: 'forward', TargetGroupArn: tg.TargetGroupArn! }] }));
    const health = await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg.TargetGroupArn! }));
    assert.equal(health.TargetHealthDescriptions![0]!.TargetHealth!.State, 'unavailable');
    const reply = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/hello?x=1', agent: false }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(reply.status, 200);
    assert.deepEqual(JSON.parse(reply.body), { method: 'GET', path: '/hello', query: { x: '1' }, tg: tg.TargetGroupArn });
  } finally {
    await platform.stop();
  }
});
