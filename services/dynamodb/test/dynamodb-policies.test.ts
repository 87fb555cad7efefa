// Resource-based policies (kept with revision ids, and enforced for IAM users), contributor
// insights, DescribeEndpoints, through the official SDKs.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  DeleteResourcePolicyCommand,
  DescribeContributorInsightsCommand,
  DescribeEndpointsCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  GetResourcePolicyCommand,
  ListContributorInsightsCommand,
  PutItemCommand,
  PutResourcePolicyCommand,
  UpdateContributorInsightsCommand,
} from '@aws-sdk/client-dynamodb';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient } from '@aws-sdk/client-iam';
import { startPlatform, type TestPlatform } from '@atoll/test-support';
import { createTable, failure } from './helpers.js';

describe('DynamoDB resource policies and contributor insights', () => {
  let platform: TestPlatform;
  let ddb: DynamoDBClient;
  let tableArn: (name: string) => string;
  before(async () => {
    platform = await startPlatform({ services: ['dynamodb', 'dynamodbstreams', 'iam', 'sts'] });
    ddb = platform.client(DynamoDBClient);
    tableArn = (name) => `arn:aws:dynamodb:${platform.region}:${platform.accountId}:table/${name}`;
  });
  after(async () => platform.stop());

  const policy = (principal: string, actions: string[], resource: string) =>
    JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: principal }, Action: actions, Resource: resource }] });

  test('keeps a policy with revision ids and honours ExpectedRevisionId', async () => {
    await createTable(ddb, 'guarded');
    const arn = tableArn('guarded');
    const none = await failure(() => ddb.send(new GetResourcePolicyCommand({ ResourceArn: arn })));
    assert.equal(none.name, 'PolicyNotFoundException');
    assert.equal(none.$metadata.httpStatusCode, 400);

    const text = policy(`arn:aws:iam::${platform.accountId}:root`, ['dynamodb:GetItem'], arn);
    const first = await ddb.send(new PutResourcePolicyCommand({ ResourceArn: arn, Policy: text, ExpectedRevisionId: 'NO_POLICY' }));
    assert.match(first.RevisionId!, /^\d+$/);
    const again = await ddb.send(new PutResourcePolicyCommand({ ResourceArn: arn, Policy: text }));
    assert.equal(again.RevisionId, first.RevisionId, 'the same document keeps its revision');
    const got = await ddb.send(new GetResourcePolicyCommand({ ResourceArn: arn }));
    assert.deepEqual(got, { ...got, Policy: text, RevisionId: first.RevisionId });

    const stale = await failure(() => ddb.send(new PutResourcePolicyCommand({ ResourceArn: arn, Policy: text.replace('GetItem', 'Query'), ExpectedRevisionId: '1' })));
    assert.equal(stale.name, 'PolicyNotFoundException');
    const second = await ddb.send(new PutResourcePolicyCommand({ ResourceArn: arn, Policy: text.replace('GetItem', 'Query'), ExpectedRevisionId: first.RevisionId }));
    assert.notEqual(second.RevisionId, first.RevisionId);
    const noPolicyExpected = await failure(() => ddb.send(new PutResourcePolicyCommand({ ResourceArn: arn, Policy: text, ExpectedRevisionId: 'NO_POLICY' })));
    assert.equal(noPolicyExpected.name, 'PolicyNotFoundException');

    const deleted = await ddb.send(new DeleteResourcePolicyCommand({ ResourceArn: arn, ExpectedRevisionId: second.RevisionId }));
    assert.equal(deleted.RevisionId, second.RevisionId);
    const deleteAgain = await failure(() => ddb.send(new DeleteResourcePolicyCommand({ ResourceArn: arn })));
    assert.equal(deleteAgain.name, 'PolicyNotFoundException');
  });

  test('attaches the policy CreateTable carries, and refuses a malformed one there too', async () => {
    const text = policy(`arn:aws:iam::${platform.accountId}:root`, ['dynamodb:GetItem'], tableArn('born-guarded'));
    await createTable(ddb, 'born-guarded', { ResourcePolicy: text });
    const got = await ddb.send(new GetResourcePolicyCommand({ ResourceArn: tableArn('born-guarded') }));
    assert.equal(got.Policy, text);
    const bad = await failure(() => createTable(ddb, 'born-bad', { ResourcePolicy: '[]' }));
    assert.equal(bad.name, 'ValidationException');
  });

  test('keeps the policy of a stream apart from the policy of its table', async () => {
    await createTable(ddb, 'streamed', { StreamSpecification: { StreamEnabled: true, StreamViewType: 'KEYS_ONLY' } });
    const { Table } = await ddb.send(new DescribeTableCommand({ TableName: 'streamed' }));
    const streamArn = Table!.LatestStreamArn!;
    const text = policy(`arn:aws:iam::${platform.accountId}:root`, ['dynamodb:GetRecords'], streamArn);
    await ddb.send(new PutResourcePolicyCommand({ ResourceArn: streamArn, Policy: text }));
    assert.equal((await ddb.send(new GetResourcePolicyCommand({ ResourceArn: streamArn }))).Policy, text);
    assert.equal((await failure(() => ddb.send(new GetResourcePolicyCommand({ ResourceArn: tableArn('streamed') })))).name, 'PolicyNotFoundException');
    const unknownStream = await failure(() => ddb.send(new GetResourcePolicyCommand({ ResourceArn: `${tableArn('streamed')}/stream/2000-01-01T00:00:00.000` })));
    assert.equal(unknownStream.name, 'ResourceNotFoundException');
  });

  test('refuses malformed policies and unknown tables', async () => {
    await createTable(ddb, 'strict');
    const arn = tableArn('strict');
    const notJson = await failure(() => ddb.send(new PutResourcePolicyCommand({ ResourceArn: arn, Policy: '{not json' })));
    assert.equal(notJson.name, 'ValidationException');
    const noPrincipal = await failure(() =>
      ddb.send(new PutResourcePolicyCommand({ ResourceArn: arn, Policy: JSON.stringify({ Statement: [{ Effect: 'Allow', Action: 'dynamodb:*', Resource: arn }] }) })),
    );
    assert.equal(noPrincipal.name, 'ValidationException');
    const huge = await failure(() =>
      ddb.send(new PutResourcePolicyCommand({ ResourceArn: arn, Policy: policy('*', ['dynamodb:GetItem'], arn).replace('"Version"', `"Id":"${'x'.repeat(21000)}","Version"`) })),
    );
    assert.equal(huge.name, 'ValidationException');
    const missing = await failure(() => ddb.send(new GetResourcePolicyCommand({ ResourceArn: tableArn('absent') })));
    assert.equal(missing.name, 'ResourceNotFoundException');
  });

  test('lets an IAM user without identity policies do what the table policy allows, and nothing else', async () => {
    await createTable(ddb, 'shared');
    await ddb.send(new PutItemCommand({ TableName: 'shared', Item: { pk: { S: 'k' }, sk: { S: 'a' } } }));
    const iam = platform.client(IAMClient);
    await iam.send(new CreateUserCommand({ UserName: 'reader' }));
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'reader' }))).AccessKey!;
    const asReader = platform.client(DynamoDBClient, { credentials: { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! } });
    const get = () => asReader.send(new GetItemCommand({ TableName: 'shared', Key: { pk: { S: 'k' }, sk: { S: 'a' } } }));

    const before = await failure(get);
    assert.equal(before.name, 'AccessDeniedException');
    await ddb.send(
      new PutResourcePolicyCommand({ ResourceArn: tableArn('shared'), Policy: policy(`arn:aws:iam::${platform.accountId}:user/reader`, ['dynamodb:GetItem'], tableArn('shared')) }),
    );
    const read = await get();
    assert.equal(read.Item!.pk!.S, 'k');
    const write = await failure(() => asReader.send(new PutItemCommand({ TableName: 'shared', Item: { pk: { S: 'x' }, sk: { S: 'a' } } })));
    assert.equal(write.name, 'AccessDeniedException');
    await ddb.send(new DeleteResourcePolicyCommand({ ResourceArn: tableArn('shared') }));
    assert.equal((await failure(get)).name, 'AccessDeniedException');
  });

  test('records contributor insights for a table and its indexes', async () => {
    await createTable(ddb, 'watched');
    const initial = await ddb.send(new DescribeContributorInsightsCommand({ TableName: 'watched' }));
    assert.equal(initial.ContributorInsightsStatus, 'DISABLED');
    const enabled = await ddb.send(new UpdateContributorInsightsCommand({ TableName: 'watched', ContributorInsightsAction: 'ENABLE' }));
    assert.equal(enabled.ContributorInsightsStatus, 'ENABLING');
    const described = await ddb.send(new DescribeContributorInsightsCommand({ TableName: 'watched' }));
    assert.equal(described.ContributorInsightsStatus, 'ENABLED');
    assert.equal(described.ContributorInsightsRuleList!.length, 4);
    const listed = await ddb.send(new ListContributorInsightsCommand({ TableName: 'watched' }));
    assert.deepEqual(
      listed.ContributorInsightsSummaries!.map((s) => [s.TableName, s.ContributorInsightsStatus]),
      [['watched', 'ENABLED']],
    );
    const noIndex = await failure(() => ddb.send(new UpdateContributorInsightsCommand({ TableName: 'watched', IndexName: 'nope', ContributorInsightsAction: 'ENABLE' })));
    assert.equal(noIndex.name, 'ResourceNotFoundException');
    const disabled = await ddb.send(new UpdateContributorInsightsCommand({ TableName: 'watched', ContributorInsightsAction: 'DISABLE' }));
    assert.equal(disabled.ContributorInsightsStatus, 'DISABLING');
    assert.equal((await ddb.send(new DescribeContributorInsightsCommand({ TableName: 'watched' }))).ContributorInsightsStatus, 'DISABLED');
  });

  test('describes its endpoint', async () => {
    const { Endpoints } = await ddb.send(new DescribeEndpointsCommand({}));
    assert.equal(Endpoints!.length, 1);
    assert.equal(Endpoints![0]!.CachePeriodInMinutes, 1440);
    assert.ok(platform.endpoint.includes(Endpoints![0]!.Address!));
  });
});
