// CloudTrail's LookupEvents over the trail the edge writes, through @aws-sdk/client-cloudtrail.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CloudTrailClient, CreateTrailCommand, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { CreateQueueCommand, ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { CreateAccessKeyCommand, CreateRoleCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { startPlatform, type TestPlatform } from '@atoll/test-support';

describe('CloudTrail LookupEvents', () => {
  let p: TestPlatform;
  let trail: CloudTrailClient;
  before(async () => {
    p = await startPlatform({ services: ['cloudtrail', 'sqs', 'iam', 'sts'] });
    trail = p.client(CloudTrailClient);
    const sqs = p.client(SQSClient);
    for (const QueueName of ['audit-a', 'audit-b', 'audit-c']) await sqs.send(new CreateQueueCommand({ QueueName }));
    await sqs.send(new ListQueuesCommand({}));
  });
  after(() => p.stop());

  test('finds the calls, newest first, with the stored CloudTrail event', async () => {
    const out = await trail.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'EventSource', AttributeValue: 'sqs.amazonaws.com' }] }));
    assert.deepEqual(out.Events!.map((e) => e.EventName), ['ListQueues', 'CreateQueue', 'CreateQueue', 'CreateQueue']);
    const created = out.Events![3]!;
    assert.equal(created.ReadOnly, 'false');
    assert.equal(created.Username, 'root');
    assert.equal(created.AccessKeyId, p.credentials.accessKeyId);
    assert.ok(created.EventTime instanceof Date && Math.abs(created.EventTime.getTime() - Date.now()) < 60_000);
    assert.deepEqual(created.Resources, [{ ResourceType: 'AWS::SQS::Queue', ResourceName: 'audit-a' }]);
    const event = JSON.parse(created.CloudTrailEvent!);
    assert.equal(event.eventID, created.EventId);
    assert.equal(event.requestParameters.queueName, 'audit-a');
    assert.equal(event.userIdentity.type, 'Root');
    assert.equal(out.Events![0]!.ReadOnly, 'true');
  });

  test('looks up by one attribute: event name, resource name, event id, read-only', async () => {
    const byName = await trail.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'CreateQueue' }] }));
    assert.equal(byName.Events!.length, 3);
    const byResource = await trail.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: 'audit-b' }] }));
    assert.deepEqual(byResource.Events!.map((e) => e.EventName), ['CreateQueue']);
    const id = byResource.Events![0]!.EventId!;
    const byId = await trail.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'EventId', AttributeValue: id }] }));
    assert.deepEqual(byId.Events!.map((e) => e.EventId), [id]);
    const readOnly = await trail.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'ReadOnly', AttributeValue: 'false' }] }));
    assert.ok(readOnly.Events!.every((e) => e.ReadOnly === 'false'));
  });

  test('pages with NextToken, and refuses a token used with other parameters', async () => {
    const lookup = { LookupAttributes: [{ AttributeKey: 'EventSource' as const, AttributeValue: 'sqs.amazonaws.com' }] };
    const first = await trail.send(new LookupEventsCommand({ ...lookup, MaxResults: 3 }));
    assert.equal(first.Events!.length, 3);
    assert.ok(first.NextToken);
    const second = await trail.send(new LookupEventsCommand({ ...lookup, MaxResults: 3, NextToken: first.NextToken }));
    assert.deepEqual(second.Events!.map((e) => e.EventName), ['CreateQueue']);
    assert.equal(second.NextToken, undefined);
    const ids = new Set([...first.Events!, ...second.Events!].map((e) => e.EventId));
    assert.equal(ids.size, 4);
    await assert.rejects(trail.send(new LookupEventsCommand({ MaxResults: 3, NextToken: first.NextToken })), (e: any) => e.name === 'InvalidNextTokenException');
  });

  test('a time range: inside finds the calls, before them finds none, and start after end is refused', async () => {
    const now = Date.now();
    const recent = await trail.send(new LookupEventsCommand({ StartTime: new Date(now - 60_000), EndTime: new Date(now + 60_000), LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'CreateQueue' }] }));
    assert.equal(recent.Events!.length, 3);
    const old = await trail.send(new LookupEventsCommand({ StartTime: new Date(now - 3_600_000), EndTime: new Date(now - 1_800_000) }));
    assert.deepEqual(old.Events, []);
    await assert.rejects(trail.send(new LookupEventsCommand({ StartTime: new Date(now), EndTime: new Date(now - 1000) })), (e: any) => {
      assert.equal(e.name, 'InvalidTimeRangeException');
      assert.equal(e.$metadata.httpStatusCode, 400);
      return true;
    });
  });

  test('refuses two lookup attributes, and answers operations other than LookupEvents with 501', async () => {
    await assert.rejects(
      trail.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'a' }, { AttributeKey: 'EventName', AttributeValue: 'b' }] })),
      (e: any) => e.name === 'InvalidLookupAttributesException',
    );
    await assert.rejects(trail.send(new CreateTrailCommand({ Name: 't', S3BucketName: 'b' })), (e: any) => e.$metadata.httpStatusCode === 501);
  });

  test("an IAM user's calls are found by user name and access key", async () => {
    const iam = p.client(IAMClient);
    await iam.send(new CreateUserCommand({ UserName: 'auditor' }));
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'auditor' }))).AccessKey!;
    const policy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['sqs:ListQueues', 'cloudtrail:LookupEvents'], Resource: '*' }] };
    await iam.send(new PutUserPolicyCommand({ UserName: 'auditor', PolicyName: 'read', PolicyDocument: JSON.stringify(policy) }));
    const credentials = { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! };
    await p.client(SQSClient, { credentials }).send(new ListQueuesCommand({}));
    const asAuditor = p.client(CloudTrailClient, { credentials });
    const byUser = await asAuditor.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'Username', AttributeValue: 'auditor' }] }));
    assert.deepEqual(byUser.Events!.map((e) => e.EventName), ['ListQueues']);
    const byKey = await asAuditor.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'AccessKeyId', AttributeValue: key.AccessKeyId! }] }));
    // The lookup by user name is itself a call of the auditor's, and the newest one.
    assert.deepEqual(byKey.Events!.map((e) => e.EventName), ['LookupEvents', 'ListQueues']);
    assert.equal(byKey.Events![1]!.EventId, byUser.Events![0]!.EventId);
  });
});

describe('CloudTrail LookupEvents over a long trail', () => {
  let p: TestPlatform;
  after(() => p?.stop());

  test('a lookup that matches one old event answers short pages with tokens until it finds it', async () => {
    p = await startPlatform({ services: ['cloudtrail', 'sqs'] });
    const trail = p.client(CloudTrailClient);
    const sqs = p.client(SQSClient);
    await sqs.send(new CreateQueueCommand({ QueueName: 'oldest' }));
    // Each lookup flushes the trail first, so every lookup closes a batch: 150 batches, more than two
    // calls' worth of reading (64 batches each).
    for (let i = 0; i < 150; i++) await trail.send(new LookupEventsCommand({ MaxResults: 1 }));
    const lookup = { LookupAttributes: [{ AttributeKey: 'ResourceName' as const, AttributeValue: 'oldest' }] };
    const pages: number[] = [];
    let token: string | undefined;
    let found: string[] = [];
    do {
      const out = await trail.send(new LookupEventsCommand({ ...lookup, NextToken: token }));
      pages.push(out.Events!.length);
      found = found.concat(out.Events!.map((e) => e.EventName!));
      token = out.NextToken;
    } while (token);
    assert.deepEqual(found, ['CreateQueue']);
    assert.ok(pages.length >= 3, `pages: ${pages.join(', ')}`);
    assert.equal(pages[0], 0);
  });
});

describe('CloudTrail keeps no secrets', () => {
  let p: TestPlatform;
  before(async () => {
    p = await startPlatform({ services: ['cloudtrail', 'iam', 'sts'] });
  });
  after(() => p.stop());

  test('members the model marks sensitive are HIDDEN_DUE_TO_SECURITY_REASONS in requests and responses', async () => {
    const iam = p.client(IAMClient);
    await iam.send(new CreateUserCommand({ UserName: 'audited' }));
    const key = await iam.send(new CreateAccessKeyCommand({ UserName: 'audited' }));
    const secret = key.AccessKey!.SecretAccessKey!;
    const trust = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${p.accountId}:root` }, Action: 'sts:AssumeRole' }] };
    const role = await iam.send(new CreateRoleCommand({ RoleName: 'audited-role', AssumeRolePolicyDocument: JSON.stringify(trust) }));
    const session = await p.client(STSClient).send(new AssumeRoleCommand({ RoleArn: role.Role!.Arn!, RoleSessionName: 'audit' }));
    const trail = p.client(CloudTrailClient);
    const event = async (EventName: string) => {
      for (let i = 0; i < 100; i++) {
        const out = await trail.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: EventName }] }));
        if (out.Events?.length) return out.Events[0]!.CloudTrailEvent!;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`no ${EventName} event`);
    };
    const created = await event('CreateAccessKey');
    assert.equal(JSON.parse(created).responseElements.accessKey.secretAccessKey, 'HIDDEN_DUE_TO_SECURITY_REASONS');
    assert.equal(JSON.parse(created).responseElements.accessKey.accessKeyId, key.AccessKey!.AccessKeyId);
    assert.ok(!created.includes(secret));
    const assumed = await event('AssumeRole');
    assert.equal(JSON.parse(assumed).responseElements.credentials.secretAccessKey, 'HIDDEN_DUE_TO_SECURITY_REASONS');
    assert.equal(JSON.parse(assumed).requestParameters.roleSessionName, 'audit');
    assert.ok(!assumed.includes(session.Credentials!.SecretAccessKey!));
  });
});
