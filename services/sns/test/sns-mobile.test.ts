// Mobile push end to end through @aws-sdk/client-sns: platform applications and endpoints, direct
// and topic publishes to endpoints, and the local delivery sink read through the root-only admin
// route `GET /_atoll/sns/deliveries`. Behaviour per the SNS API Reference
// (https://docs.aws.amazon.com/sns/latest/api/API_CreatePlatformApplication.html,
// …/API_CreatePlatformEndpoint.html: "The CreatePlatformEndpoint action is idempotent, so if the
// requester already owns an endpoint with the same device token and attributes, that endpoint's ARN
// is returned without creating a new endpoint", …/API_Publish.html: EndpointDisabled).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreatePlatformApplicationCommand,
  CreatePlatformEndpointCommand,
  CreateTopicCommand,
  DeleteEndpointCommand,
  DeletePlatformApplicationCommand,
  GetEndpointAttributesCommand,
  GetPlatformApplicationAttributesCommand,
  ListEndpointsByPlatformApplicationCommand,
  ListPlatformApplicationsCommand,
  PublishCommand,
  SetEndpointAttributesCommand,
  SetPlatformApplicationAttributesCommand,
  SNSClient,
  SubscribeCommand,
} from '@aws-sdk/client-sns';
import { signedFetch, startPlatform, type TestPlatform } from '@atoll/test-support';

let platform: TestPlatform;
let sns: SNSClient;
let n = 0;

const CERT = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
const KEY = '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----';

async function rejectsWith(promise: Promise<unknown>, name: string, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (err: { name: string; message: string; $metadata?: { httpStatusCode?: number } }) => {
    assert.equal(err.name, name);
    assert.equal(err.$metadata?.httpStatusCode, name === 'NotFoundException' ? 404 : 400);
    if (message) assert.match(err.message, message);
    return true;
  });
}

interface Delivery {
  id: number;
  kind: string;
  target: string;
  messageId: string;
  payload: Record<string, unknown>;
}

async function deliveries(query: Record<string, string>): Promise<Delivery[]> {
  const res = await signedFetch(platform.endpoint, platform.credentials, { service: 'sns', method: 'GET', path: '/_atoll/sns/deliveries', query });
  assert.equal(res.status, 200, res.text);
  return (JSON.parse(res.text) as { deliveries: Delivery[] }).deliveries;
}

/** Polls the sink (topic deliveries are made by fan-out after Publish returns). */
async function waitForDeliveries(query: Record<string, string>, count: number): Promise<Delivery[]> {
  for (let i = 0; i < 200; i++) {
    const found = await deliveries(query);
    if (found.length >= count) return found;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.fail(`expected ${count} deliveries for ${JSON.stringify(query)}`);
}

async function gcmApp(): Promise<string> {
  const { PlatformApplicationArn } = await sns.send(
    new CreatePlatformApplicationCommand({ Name: `app-${++n}`, Platform: 'GCM', Attributes: { PlatformCredential: 'server-key' } }),
  );
  return PlatformApplicationArn!;
}

before(async () => {
  platform = await startPlatform({ services: ['sns', 'sqs'] });
  sns = platform.client(SNSClient);
});

after(async () => {
  await platform.stop();
});

describe('SNS platform applications', () => {
  test('creates an application per platform with the ARN AWS gives, and never returns its credentials', async () => {
    const arn = await gcmApp();
    assert.match(arn, /^arn:aws:sns:us-east-1:\d{12}:app\/GCM\/app-\d+$/);
    const { Attributes } = await sns.send(new GetPlatformApplicationAttributesCommand({ PlatformApplicationArn: arn }));
    assert.equal(Attributes?.Enabled, 'true');
    assert.equal(Attributes?.PlatformCredential, undefined);
    const apns = await sns.send(
      new CreatePlatformApplicationCommand({ Name: `ios-${++n}`, Platform: 'APNS_SANDBOX', Attributes: { PlatformCredential: KEY, PlatformPrincipal: CERT } }),
    );
    assert.match(apns.PlatformApplicationArn!, /:app\/APNS_SANDBOX\/ios-\d+$/);
    const token = await sns.send(
      new CreatePlatformApplicationCommand({
        Name: `ios-token-${++n}`,
        Platform: 'APNS',
        Attributes: { PlatformCredential: KEY, PlatformPrincipal: 'ABC123DEFG', ApplePlatformTeamID: 'TEAM123456', ApplePlatformBundleID: 'com.example.app' },
      }),
    );
    assert.ok(token.PlatformApplicationArn);
    for (const platformName of ['ADM', 'BAIDU', 'MPNS', 'WNS']) {
      const made = await sns.send(
        new CreatePlatformApplicationCommand({ Name: `${platformName.toLowerCase()}-${++n}`, Platform: platformName, Attributes: { PlatformPrincipal: 'id', PlatformCredential: 'secret' } }),
      );
      assert.ok(made.PlatformApplicationArn?.includes(`:app/${platformName}/`));
    }
  });

  test('refuses a request without Attributes with the model\'s ValidationError', async () => {
    await rejectsWith(sns.send(new CreatePlatformApplicationCommand({ Name: 'none', Platform: 'GCM', Attributes: {} })), 'ValidationError', /attributes/);
  });

  test('refuses an unknown platform, a bad name, missing credentials and unknown attributes with InvalidParameter', async () => {
    await rejectsWith(sns.send(new CreatePlatformApplicationCommand({ Name: 'x', Platform: 'SMOKE', Attributes: { PlatformCredential: 'k' } })), 'InvalidParameterException', /Platform/);
    await rejectsWith(sns.send(new CreatePlatformApplicationCommand({ Name: 'bad name', Platform: 'GCM', Attributes: { PlatformCredential: 'k' } })), 'InvalidParameterException', /Name/);
    await rejectsWith(sns.send(new CreatePlatformApplicationCommand({ Name: 'nocred', Platform: 'GCM', Attributes: { SuccessFeedbackSampleRate: '10' } })), 'InvalidParameterException', /PlatformCredential/);
    await rejectsWith(
      sns.send(new CreatePlatformApplicationCommand({ Name: 'nocert', Platform: 'APNS', Attributes: { PlatformCredential: KEY } })),
      'InvalidParameterException',
      /PlatformPrincipal/,
    );
    await rejectsWith(
      sns.send(new CreatePlatformApplicationCommand({ Name: 'notpem', Platform: 'APNS', Attributes: { PlatformCredential: KEY, PlatformPrincipal: 'not a certificate' } })),
      'InvalidParameterException',
      /PEM certificate/,
    );
    await rejectsWith(
      sns.send(new CreatePlatformApplicationCommand({ Name: 'odd', Platform: 'GCM', Attributes: { PlatformCredential: 'k', Colour: 'blue' } })),
      'InvalidParameterException',
      /Colour/,
    );
    await rejectsWith(
      sns.send(new CreatePlatformApplicationCommand({ Name: 'rate', Platform: 'GCM', Attributes: { PlatformCredential: 'k', SuccessFeedbackSampleRate: '101' } })),
      'InvalidParameterException',
      /SuccessFeedbackSampleRate/,
    );
  });

  test('sets attributes, lists applications and deletes one (idempotently) with its endpoints', async () => {
    const arn = await gcmApp();
    const topic = (await sns.send(new CreateTopicCommand({ Name: `events-${++n}` }))).TopicArn!;
    await sns.send(new SetPlatformApplicationAttributesCommand({ PlatformApplicationArn: arn, Attributes: { EventEndpointCreated: topic } }));
    const { Attributes } = await sns.send(new GetPlatformApplicationAttributesCommand({ PlatformApplicationArn: arn }));
    assert.equal(Attributes?.EventEndpointCreated, topic);
    await rejectsWith(
      sns.send(new SetPlatformApplicationAttributesCommand({ PlatformApplicationArn: arn, Attributes: { EventEndpointCreated: 'not-an-arn' } })),
      'InvalidParameterException',
    );
    const listed = await sns.send(new ListPlatformApplicationsCommand({}));
    assert.ok(listed.PlatformApplications?.some((a) => a.PlatformApplicationArn === arn && a.Attributes?.PlatformCredential === undefined));
    const { EndpointArn } = await sns.send(new CreatePlatformEndpointCommand({ PlatformApplicationArn: arn, Token: 'doomed' }));
    await sns.send(new DeletePlatformApplicationCommand({ PlatformApplicationArn: arn }));
    await sns.send(new DeletePlatformApplicationCommand({ PlatformApplicationArn: arn }));
    await rejectsWith(sns.send(new GetPlatformApplicationAttributesCommand({ PlatformApplicationArn: arn })), 'NotFoundException');
    await rejectsWith(sns.send(new GetEndpointAttributesCommand({ EndpointArn })), 'NotFoundException');
  });
});

describe('SNS platform endpoints', () => {
  test('CreatePlatformEndpoint is idempotent on the token and refuses the same token with other attributes', async () => {
    const app = await gcmApp();
    const first = await sns.send(new CreatePlatformEndpointCommand({ PlatformApplicationArn: app, Token: 'device-1', CustomUserData: 'alice' }));
    assert.match(first.EndpointArn!, /^arn:aws:sns:us-east-1:\d{12}:endpoint\/GCM\/app-\d+\/[0-9a-f-]{36}$/);
    const again = await sns.send(new CreatePlatformEndpointCommand({ PlatformApplicationArn: app, Token: 'device-1', CustomUserData: 'alice' }));
    assert.equal(again.EndpointArn, first.EndpointArn);
    await rejectsWith(
      sns.send(new CreatePlatformEndpointCommand({ PlatformApplicationArn: app, Token: 'device-1', CustomUserData: 'bob' })),
      'InvalidParameterException',
      new RegExp(`Endpoint ${first.EndpointArn} already exists with the same Token, but different attributes\\.`),
    );
    const { Attributes } = await sns.send(new GetEndpointAttributesCommand({ EndpointArn: first.EndpointArn }));
    assert.deepEqual(Attributes, { Enabled: 'true', Token: 'device-1', CustomUserData: 'alice' });
    // A disabled endpoint is found again by its token when the request gives no other attributes.
    await sns.send(new SetEndpointAttributesCommand({ EndpointArn: first.EndpointArn, Attributes: { Enabled: 'false' } }));
    assert.equal((await sns.send(new CreatePlatformEndpointCommand({ PlatformApplicationArn: app, Token: 'device-1' }))).EndpointArn, first.EndpointArn);
    await rejectsWith(sns.send(new CreatePlatformEndpointCommand({ PlatformApplicationArn: `${app}-gone`, Token: 't' })), 'NotFoundException');
  });

  test('sets endpoint attributes, lists endpoints by application and deletes an endpoint idempotently', async () => {
    const app = await gcmApp();
    const arns: string[] = [];
    for (let i = 0; i < 3; i++) arns.push((await sns.send(new CreatePlatformEndpointCommand({ PlatformApplicationArn: app, Token: `tok-${i}` }))).EndpointArn!);
    await sns.send(new SetEndpointAttributesCommand({ EndpointArn: arns[0], Attributes: { Token: 'tok-new', CustomUserData: 'x' } }));
    const { Attributes } = await sns.send(new GetEndpointAttributesCommand({ EndpointArn: arns[0] }));
    assert.equal(Attributes?.Token, 'tok-new');
    assert.equal(Attributes?.CustomUserData, 'x');
    await rejectsWith(sns.send(new SetEndpointAttributesCommand({ EndpointArn: arns[0], Attributes: { Enabled: 'maybe' } })), 'InvalidParameterException');
    const { Endpoints } = await sns.send(new ListEndpointsByPlatformApplicationCommand({ PlatformApplicationArn: app }));
    assert.deepEqual(Endpoints?.map((e) => e.EndpointArn).sort(), [...arns].sort());
    await sns.send(new DeleteEndpointCommand({ EndpointArn: arns[1] }));
    await sns.send(new DeleteEndpointCommand({ EndpointArn: arns[1] }));
    const after = await sns.send(new ListEndpointsByPlatformApplicationCommand({ PlatformApplicationArn: app }));
    assert.equal(after.Endpoints?.length, 2);
  });
});

describe('SNS publishing to endpoints', () => {
  test('Publish with TargetArn records the push in the sink with the platform key of a json message', async () => {
    const app = await gcmApp();
    const { EndpointArn } = await sns.send(new CreatePlatformEndpointCommand({ PlatformApplicationArn: app, Token: 'phone-a', CustomUserData: 'u1' }));
    const plain = await sns.send(new PublishCommand({ TargetArn: EndpointArn, Message: 'hello' }));
    const gcm = JSON.stringify({ fcmV1Message: { message: { notification: { title: 'Hi', body: 'there' } } } });
    const structured = await sns.send(
      new PublishCommand({ TargetArn: EndpointArn, MessageStructure: 'json', Message: JSON.stringify({ default: 'fallback', GCM: gcm, APNS: '{"aps":{}}' }) }),
    );
    const found = await deliveries({ target: EndpointArn!, kind: 'push' });
    assert.equal(found.length, 2);
    assert.equal(found[0]!.messageId, plain.MessageId);
    assert.equal(found[0]!.payload.message, 'hello');
    assert.equal(found[0]!.payload.token, 'phone-a');
    assert.equal(found[0]!.payload.customUserData, 'u1');
    assert.equal(found[0]!.payload.platform, 'GCM');
    assert.equal(found[1]!.messageId, structured.MessageId);
    assert.equal(found[1]!.payload.message, gcm);
    assert.equal(found[1]!.payload.messageKey, 'GCM');
  });

  test('a json message whose platform entry is not JSON is refused for GCM', async () => {
    const app = await gcmApp();
    const { EndpointArn } = await sns.send(new CreatePlatformEndpointCommand({ PlatformApplicationArn: app, Token: 'phone-b' }));
    await rejectsWith(
      sns.send(new PublishCommand({ TargetArn: EndpointArn, MessageStructure: 'json', Message: JSON.stringify({ default: 'x', GCM: 'not json' }) })),
      'InvalidParameterException',
      /GCM/,
    );
  });

  test('a disabled endpoint refuses publishes with EndpointDisabled; a disabled application with PlatformApplicationDisabled', async () => {
    const app = await gcmApp();
    const { EndpointArn } = await sns.send(new CreatePlatformEndpointCommand({ PlatformApplicationArn: app, Token: 'phone-c' }));
    await sns.send(new SetEndpointAttributesCommand({ EndpointArn, Attributes: { Enabled: 'false' } }));
    await rejectsWith(sns.send(new PublishCommand({ TargetArn: EndpointArn, Message: 'x' })), 'EndpointDisabledException', /Endpoint is disabled/);
    await sns.send(new SetEndpointAttributesCommand({ EndpointArn, Attributes: { Enabled: 'true' } }));
    await sns.send(new SetPlatformApplicationAttributesCommand({ PlatformApplicationArn: app, Attributes: { Enabled: 'false' } }));
    await rejectsWith(sns.send(new PublishCommand({ TargetArn: EndpointArn, Message: 'x' })), 'PlatformApplicationDisabledException');
    assert.equal((await deliveries({ target: EndpointArn! })).length, 0);
  });

  test('Publish to an endpoint that does not exist is InvalidParameter', async () => {
    const app = await gcmApp();
    const { EndpointArn } = await sns.send(new CreatePlatformEndpointCommand({ PlatformApplicationArn: app, Token: 'phone-d' }));
    await sns.send(new DeleteEndpointCommand({ EndpointArn }));
    await rejectsWith(sns.send(new PublishCommand({ TargetArn: EndpointArn, Message: 'x' })), 'InvalidParameterException', /No endpoint found for the target arn specified/);
  });

  test('a topic delivers to its application subscriptions with each platform\'s entry, and skips a disabled endpoint', async () => {
    const gcm = await gcmApp();
    const ios = (
      await sns.send(new CreatePlatformApplicationCommand({ Name: `ios-${++n}`, Platform: 'APNS', Attributes: { PlatformCredential: KEY, PlatformPrincipal: CERT } }))
    ).PlatformApplicationArn!;
    const android = (await sns.send(new CreatePlatformEndpointCommand({ PlatformApplicationArn: gcm, Token: 'android-1' }))).EndpointArn!;
    const iphone = (await sns.send(new CreatePlatformEndpointCommand({ PlatformApplicationArn: ios, Token: 'iphone-1' }))).EndpointArn!;
    const off = (await sns.send(new CreatePlatformEndpointCommand({ PlatformApplicationArn: gcm, Token: 'android-off', Attributes: { Enabled: 'false' } }))).EndpointArn!;
    const topic = (await sns.send(new CreateTopicCommand({ Name: `push-${++n}` }))).TopicArn!;
    for (const endpoint of [android, iphone, off]) {
      const sub = await sns.send(new SubscribeCommand({ TopicArn: topic, Protocol: 'application', Endpoint: endpoint }));
      assert.match(sub.SubscriptionArn!, new RegExp(`^${topic}:`));
    }
    const message = JSON.stringify({ default: 'plain', APNS: '{"aps":{"alert":"for apple"}}' });
    const { MessageId } = await sns.send(new PublishCommand({ TopicArn: topic, MessageStructure: 'json', Message: message }));
    const [toAndroid] = await waitForDeliveries({ target: android }, 1);
    const [toIphone] = await waitForDeliveries({ target: iphone }, 1);
    assert.equal(toAndroid!.messageId, MessageId);
    assert.equal(toAndroid!.payload.message, 'plain');
    assert.equal(toAndroid!.payload.topicArn, topic);
    assert.equal(toIphone!.payload.message, '{"aps":{"alert":"for apple"}}');
    assert.equal((await deliveries({ target: off })).length, 0);
  });

  test('an application subscription needs an endpoint ARN', async () => {
    const topic = (await sns.send(new CreateTopicCommand({ Name: `push-${++n}` }))).TopicArn!;
    await rejectsWith(sns.send(new SubscribeCommand({ TopicArn: topic, Protocol: 'application', Endpoint: 'device-token' })), 'InvalidParameterException', /endpoint ARN/);
  });

  test('an invalid token fails the next delivery, disables the endpoint and notifies the application\'s event topics', async () => {
    const { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } = await import('@aws-sdk/client-sqs');
    const sqs = platform.client(SQSClient);
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `events-${++n}` }));
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
    const queueArn = Attributes!.QueueArn!;
    const topic = (await sns.send(new CreateTopicCommand({ Name: `app-events-${++n}` }))).TopicArn!;
    const { SetQueueAttributesCommand } = await import('@aws-sdk/client-sqs');
    await sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl,
        Attributes: {
          Policy: JSON.stringify({
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Principal: { Service: 'sns.amazonaws.com' }, Action: 'sqs:SendMessage', Resource: queueArn, Condition: { ArnEquals: { 'aws:SourceArn': topic } } }],
          }),
        },
      }),
    );
    await sns.send(new SubscribeCommand({ TopicArn: topic, Protocol: 'sqs', Endpoint: queueArn, Attributes: { RawMessageDelivery: 'true' } }));
    const app = await gcmApp();
    await sns.send(
      new SetPlatformApplicationAttributesCommand({
        PlatformApplicationArn: app,
        Attributes: { EventEndpointCreated: topic, EventEndpointUpdated: topic, EventDeliveryFailure: topic, EventEndpointDeleted: topic },
      }),
    );
    const { EndpointArn } = await sns.send(new CreatePlatformEndpointCommand({ PlatformApplicationArn: app, Token: 'stale' }));
    const feedback = await signedFetch(platform.endpoint, platform.credentials, { service: 'sns', method: 'POST', path: '/_atoll/sns/invalidate-token', query: { endpointArn: EndpointArn! } });
    assert.equal(feedback.status, 200, feedback.text);
    // The publish is accepted (the push service refuses it afterwards), nothing reaches the device, and the endpoint is disabled.
    const { MessageId } = await sns.send(new PublishCommand({ TargetArn: EndpointArn, Message: 'lost' }));
    assert.equal((await deliveries({ target: EndpointArn! })).length, 0);
    assert.equal((await sns.send(new GetEndpointAttributesCommand({ EndpointArn }))).Attributes?.Enabled, 'false');
    await rejectsWith(sns.send(new PublishCommand({ TargetArn: EndpointArn, Message: 'x' })), 'EndpointDisabledException');
    const events: Record<string, unknown>[] = [];
    for (let i = 0; i < 40 && events.length < 3; i++) {
      const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
      for (const m of Messages ?? []) events.push(JSON.parse(m.Body!) as Record<string, unknown>);
    }
    const byType = new Map(events.map((e) => [e.EventType, e]));
    assert.equal(byType.get('EndpointCreated')?.EndpointArn, EndpointArn);
    assert.equal(byType.get('EndpointUpdated')?.Resource, app);
    const failure = byType.get('DeliveryFailure');
    assert.equal(failure?.FailureType, 'InvalidPlatformToken');
    assert.equal(failure?.MessageId, MessageId);
    // A new token re-enables delivery once the endpoint is enabled again.
    await sns.send(new SetEndpointAttributesCommand({ EndpointArn, Attributes: { Token: 'fresh', Enabled: 'true' } }));
    await sns.send(new PublishCommand({ TargetArn: EndpointArn, Message: 'found' }));
    assert.equal((await deliveries({ target: EndpointArn! }))[0]?.payload.token, 'fresh');
  });

  test('the delivery sink answers only signed requests of the root identity', async () => {
    const res = await fetch(`${platform.endpoint}/_atoll/sns/deliveries`);
    assert.notEqual(res.status, 200);
  });
});
