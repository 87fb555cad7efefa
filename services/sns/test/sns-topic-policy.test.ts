// A topic's own policy is enforced on callers (issue #24, "Queue, topic and function resource
// policies enforced"): an IAM user with no identity policy is refused, allowed by a topic policy
// that names it, and refused again by an explicit Deny in the topic policy even with
// AmazonSNSFullAccess attached. SNS answers AuthorizationError (403), as AWS does
// (https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-language-api-permissions-reference.html,
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html).
// The queue-policy counterpart is test/scenarios/authorization.test.ts; the function-policy one,
// test/scenarios/workload-roles.test.ts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AttachUserPolicyCommand, CreateAccessKeyCommand, CreateUserCommand, IAMClient } from '@aws-sdk/client-iam';
import { CreateTopicCommand, GetTopicAttributesCommand, PublishCommand, SetTopicAttributesCommand, SNSClient } from '@aws-sdk/client-sns';
import { startPlatform, type TestPlatform } from '@atoll/test-support';

let platform: TestPlatform;
let sns: SNSClient;
let iam: IAMClient;

const refused = (action: string) => (err: { name: string; message: string; $metadata?: { httpStatusCode?: number } }) => {
  assert.equal(err.name, 'AuthorizationErrorException');
  assert.equal(err.$metadata?.httpStatusCode, 403);
  assert.match(err.message, new RegExp(`user/partner is not authorized to perform: SNS:${action}|user/partner is not authorized to perform: sns:${action}`, 'i'));
  return true;
};

before(async () => {
  platform = await startPlatform({ services: ['iam', 'sts', 'sns'] });
  sns = platform.client(SNSClient);
  iam = platform.client(IAMClient);
});

after(async () => {
  await platform.stop();
});

describe('SNS topic policies', () => {
  test('a topic policy naming a user allows it without identity policies, and its explicit deny wins', async () => {
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'shared' }));
    await iam.send(new CreateUserCommand({ UserName: 'partner' }));
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'partner' }))).AccessKey!;
    const partner = platform.client(SNSClient, { credentials: { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! } });
    const userArn = `arn:aws:iam::${platform.accountId}:user/partner`;

    await assert.rejects(partner.send(new PublishCommand({ TopicArn, Message: 'x' })), refused('Publish'));

    const policy = (Effect: string) =>
      JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect, Principal: { AWS: userArn }, Action: 'sns:Publish', Resource: TopicArn }] });
    await sns.send(new SetTopicAttributesCommand({ TopicArn, AttributeName: 'Policy', AttributeValue: policy('Allow') }));
    assert.ok((await partner.send(new PublishCommand({ TopicArn, Message: 'x' }))).MessageId);
    // The policy grants Publish only.
    await assert.rejects(partner.send(new GetTopicAttributesCommand({ TopicArn })), refused('GetTopicAttributes'));

    await iam.send(new AttachUserPolicyCommand({ UserName: 'partner', PolicyArn: 'arn:aws:iam::aws:policy/AmazonSNSFullAccess' }));
    assert.ok((await partner.send(new GetTopicAttributesCommand({ TopicArn }))).Attributes);
    await sns.send(new SetTopicAttributesCommand({ TopicArn, AttributeName: 'Policy', AttributeValue: policy('Deny') }));
    await assert.rejects(partner.send(new PublishCommand({ TopicArn, Message: 'x' })), refused('Publish'));
  });
});
