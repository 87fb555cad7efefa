// The edge fuzzer's per-operation property for the services that came after the first fuzz suite
// (API Gateway, Route 53, Cloud Map, CloudWatch, Logs, Application Auto Scaling, ECR, ElastiCache,
// RDS): signed junk for every operation in each protocol, never a 5xx (501 aside), the platform keeps
// answering and its heap stays bounded. Operations that would start real engines (RDS and ElastiCache
// creates, restores, starts and failovers) are left out: a junk request that happened to be valid would
// start a database or cache server in the middle of a fuzz run; their validation has its own tests.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { loadModel, type OperationModel, type ServiceModel } from '@atoll/aws-models';
import { startPlatform, type TestPlatform } from '@atoll/test-support';
import { assertHeapBounded, fuzzParams, settledHeap } from './fuzz-settings.js';
import { junkRequest } from './http-junk.js';
import { describeResponse, sendSigned } from './raw-http.js';

const SERVED = ['apigateway', 'apigatewayv2', 'route53', 'servicediscovery', 'cloudwatch', 'logs', 'applicationautoscaling', 'ecr', 'elasticache', 'rds'];
const STARTS_ENGINES = /^(rds|elasticache)\.(Create|Restore|Start|Reboot|Modify|Increase|Decrease|TestFailover|Failover|Promote|Switchover)/;

describe('the newer services under signed junk', () => {
  let p: TestPlatform;
  const operations: { model: ServiceModel; operation: OperationModel }[] = [];
  let heap = 0;

  before(async () => {
    p = await startPlatform({ services: SERVED });
    for (const name of SERVED) {
      const model = await loadModel(name);
      for (const operation of Object.values(model.operations)) {
        if (!STARTS_ENGINES.test(`${name}.${operation.name}`)) operations.push({ model, operation });
      }
    }
    heap = settledHeap();
  });
  after(async () => {
    const alive = await sendSigned(p.endpoint, p.credentials, 'logs', {
      method: 'POST',
      path: '/',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'Logs_20140328.DescribeLogGroups' },
      body: '{}',
    });
    assert.equal(alive.status, 200);
    assertHeapBounded(heap, 96, 'the platform after the newer services were fuzzed');
    await p.stop();
  });

  test('every operation of every newer service, in each of its protocols, answers junk without a 5xx', async () => {
    const run = async (index: number, seed: number) => {
      const { model, operation } = operations[index]!;
      const req = junkRequest(model, operation, seed);
      const res = await sendSigned(p.endpoint, p.credentials, model.metadata.signingName, req);
      assert.ok(
        res.status < 500 || res.status === 501,
        `${model.metadata.name} ${operation.name} (seed ${seed}) ${req.method} ${req.path} ${String(req.body ?? '').slice(0, 300)} answered ${describeResponse(res)}`,
      );
    };
    await fc.assert(fc.asyncProperty(fc.nat(operations.length - 1), fc.integer(), run), fuzzParams(300));
    for (let i = 0; i < operations.length; i++) await run(i, i);
  });
});
