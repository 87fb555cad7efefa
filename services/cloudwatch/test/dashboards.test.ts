// CloudWatch dashboards through @aws-sdk/client-cloudwatch: PutDashboard with body validation,
// GetDashboard, ListDashboards by prefix, DeleteDashboards (all or nothing), and the query protocol.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CloudWatchClient,
  DashboardInvalidInputError,
  DeleteDashboardsCommand,
  GetDashboardCommand,
  ListDashboardsCommand,
  PutDashboardCommand,
  ResourceNotFound,
} from '@aws-sdk/client-cloudwatch';
import { signedFetch, startPlatform, type TestPlatform } from '@atoll/test-support';

const body = (title: string) =>
  JSON.stringify({
    widgets: [
      { type: 'text', x: 0, y: 0, width: 24, height: 2, properties: { markdown: `# ${title}` } },
      { type: 'metric', x: 0, y: 2, width: 12, height: 6, properties: { metrics: [['AWS/SQS', 'NumberOfMessagesSent', 'QueueName', 'orders']], region: 'us-east-1', stat: 'Sum', period: 60 } },
    ],
  });

describe('CloudWatch dashboards', () => {
  let p: TestPlatform;
  let cw: CloudWatchClient;
  before(async () => {
    p = await startPlatform({ services: ['cloudwatch', 'iam', 'sts'] });
    cw = p.client(CloudWatchClient);
  });
  after(() => p.stop());

  test('creates, replaces and reads a dashboard with its account-wide ARN', async () => {
    const put = await cw.send(new PutDashboardCommand({ DashboardName: 'orders', DashboardBody: body('v1') }));
    assert.deepEqual(put.DashboardValidationMessages, []);
    await cw.send(new PutDashboardCommand({ DashboardName: 'orders', DashboardBody: body('v2') }));
    const got = await cw.send(new GetDashboardCommand({ DashboardName: 'orders' }));
    assert.equal(got.DashboardName, 'orders');
    assert.equal(got.DashboardBody, body('v2'));
    assert.equal(got.DashboardArn, `arn:aws:cloudwatch::${p.accountId}:dashboard/orders`);
    // Dashboards are global: another region's client sees the same one.
    const west = p.client(CloudWatchClient, { region: 'us-west-2' });
    assert.equal((await west.send(new GetDashboardCommand({ DashboardName: 'orders' }))).DashboardBody, body('v2'));
  });

  test('answers DashboardInvalidInputError with one validation message per structure error', async () => {
    const bad = JSON.stringify({ widgets: [{ type: 'chart', properties: {} }, { type: 'metric', width: 30, properties: { metrics: [['AWS/EC2', 'CPUUtilization', 'InstanceId', 1]] } }] });
    const error = await cw.send(new PutDashboardCommand({ DashboardName: 'broken', DashboardBody: bad })).catch((e: unknown) => e);
    assert.ok(error instanceof DashboardInvalidInputError, String(error));
    assert.equal(error.$metadata.httpStatusCode, 400);
    assert.match(error.message, /^The dashboard body is invalid, there are 3 validation errors:/);
    assert.deepEqual(error.dashboardValidationMessages, [
      { DataPath: '/widgets/0/type', Message: 'Should be equal to one of the allowed values' },
      { DataPath: '/widgets/1/width', Message: 'Should be <= 24' },
      { DataPath: '/widgets/1/properties/metrics/0/3', Message: 'Invalid metric field type, only "String" type is allowed' },
    ]);
    await assert.rejects(cw.send(new PutDashboardCommand({ DashboardName: 'broken', DashboardBody: '{"widgets":' })), (e: Error) => {
      assert.ok(e instanceof DashboardInvalidInputError);
      assert.equal(e.message, 'The field DashboardBody must be a valid JSON object');
      return true;
    });
    await assert.rejects(cw.send(new PutDashboardCommand({ DashboardName: 'bad name!', DashboardBody: body('x') })), DashboardInvalidInputError);
    // DashboardNotFoundError shares the query code ResourceNotFound (404) with ResourceNotFound; the
    // SDK's awsQueryCompatible handling resolves an error by that code (x-amzn-query-error), as it
    // does against AWS.
    await assert.rejects(cw.send(new GetDashboardCommand({ DashboardName: 'broken' })), (e: Error) => {
      assert.ok(e instanceof ResourceNotFound, String(e));
      assert.equal(e.message, 'Dashboard broken does not exist');
      return true;
    });
  });

  test('lists dashboards by name prefix with their size and modification time', async () => {
    const before = Date.now() - 1000;
    for (const name of ['team-b', 'team-a', 'other']) await cw.send(new PutDashboardCommand({ DashboardName: name, DashboardBody: body(name) }));
    const listed = await cw.send(new ListDashboardsCommand({ DashboardNamePrefix: 'team-' }));
    assert.deepEqual(
      listed.DashboardEntries!.map((d) => [d.DashboardName, d.DashboardArn, d.Size]),
      ['team-a', 'team-b'].map((n) => [n, `arn:aws:cloudwatch::${p.accountId}:dashboard/${n}`, Buffer.byteLength(body(n))]),
    );
    assert.ok(listed.DashboardEntries!.every((d) => d.LastModified!.getTime() >= before));
    assert.equal(listed.NextToken, undefined);
    assert.deepEqual((await cw.send(new ListDashboardsCommand({}))).DashboardEntries!.map((d) => d.DashboardName), ['orders', 'other', 'team-a', 'team-b']);
  });

  test('deletes all the named dashboards, or none when one of them does not exist', async () => {
    await assert.rejects(cw.send(new DeleteDashboardsCommand({ DashboardNames: ['team-a', 'nope'] })), (e: Error) => {
      assert.ok(e instanceof ResourceNotFound);
      assert.equal((e as ResourceNotFound).$metadata.httpStatusCode, 404);
      assert.equal(e.message, 'Dashboard nope does not exist');
      return true;
    });
    assert.ok((await cw.send(new GetDashboardCommand({ DashboardName: 'team-a' }))).DashboardBody);
    await cw.send(new DeleteDashboardsCommand({ DashboardNames: ['team-a', 'team-b'] }));
    assert.deepEqual((await cw.send(new ListDashboardsCommand({ DashboardNamePrefix: 'team-' }))).DashboardEntries, []);
  });

  test('serves dashboards over the query protocol with its ResourceNotFound code', async () => {
    const res = await signedFetch(p.endpoint, p.credentials, {
      service: 'monitoring',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=GetDashboard&Version=2010-08-01&DashboardName=missing',
    });
    assert.equal(res.status, 404);
    assert.match(res.text, /<Code>ResourceNotFound<\/Code>/);
  });
});
