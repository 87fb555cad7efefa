// SMS end to end through @aws-sdk/client-sns: Publish with PhoneNumber to the local delivery sink,
// SMS attributes, opted-out numbers and the SMS sandbox's destination numbers, whose one-time
// password is read from the sink (`GET /_atoll/sns/deliveries?kind=sms-otp`). Behaviour per the SNS
// API Reference (https://docs.aws.amazon.com/sns/latest/api/API_SetSMSAttributes.html,
// …/API_CreateSMSSandboxPhoneNumber.html, …/API_VerifySMSSandboxPhoneNumber.html,
// …/API_CheckIfPhoneNumberIsOptedOut.html, …/API_ListOriginationNumbers.html).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CheckIfPhoneNumberIsOptedOutCommand,
  CreateSMSSandboxPhoneNumberCommand,
  CreateTopicCommand,
  DeleteSMSSandboxPhoneNumberCommand,
  GetSMSAttributesCommand,
  GetSMSSandboxAccountStatusCommand,
  ListOriginationNumbersCommand,
  ListPhoneNumbersOptedOutCommand,
  ListSMSSandboxPhoneNumbersCommand,
  OptInPhoneNumberCommand,
  PublishCommand,
  SetSMSAttributesCommand,
  SNSClient,
  SubscribeCommand,
  VerifySMSSandboxPhoneNumberCommand,
} from '@aws-sdk/client-sns';
import { signedFetch, startPlatform, type TestPlatform } from '@atoll/test-support';

let platform: TestPlatform;
let sns: SNSClient;

async function rejectsWith(promise: Promise<unknown>, name: string, status = 400, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (err: { name: string; message: string; $metadata?: { httpStatusCode?: number } }) => {
    assert.equal(err.name, name);
    assert.equal(err.$metadata?.httpStatusCode, status);
    if (message) assert.match(err.message, message);
    return true;
  });
}

interface Delivery {
  kind: string;
  target: string;
  messageId: string;
  payload: Record<string, unknown>;
}

async function admin(method: string, path: string, query: Record<string, string>): Promise<{ status: number; body: any }> {
  const res = await signedFetch(platform.endpoint, platform.credentials, { service: 'sns', method, path, query });
  return { status: res.status, body: JSON.parse(res.text) };
}

async function deliveries(query: Record<string, string>): Promise<Delivery[]> {
  const res = await admin('GET', '/_atoll/sns/deliveries', query);
  assert.equal(res.status, 200);
  return res.body.deliveries as Delivery[];
}

before(async () => {
  platform = await startPlatform({ services: ['sns'] });
  sns = platform.client(SNSClient);
});

after(async () => {
  await platform.stop();
});

describe('SNS SMS publishing', () => {
  test('Publish with PhoneNumber records the SMS with its type and sender id', async () => {
    await sns.send(new SetSMSAttributesCommand({ attributes: { DefaultSMSType: 'Transactional', DefaultSenderID: 'Atoll' } }));
    const { MessageId } = await sns.send(new PublishCommand({ PhoneNumber: '+15555550100', Message: 'your code is 1234' }));
    const typed = await sns.send(
      new PublishCommand({
        PhoneNumber: '+1 555-555-0100',
        Message: 'sale!',
        MessageAttributes: { 'AWS.SNS.SMS.SMSType': { DataType: 'String', StringValue: 'Promotional' } },
      }),
    );
    const found = await deliveries({ kind: 'sms', target: '+15555550100' });
    assert.equal(found.length, 2);
    assert.equal(found[0]!.messageId, MessageId);
    assert.equal(found[0]!.payload.message, 'your code is 1234');
    assert.equal(found[0]!.payload.smsType, 'Transactional');
    assert.equal(found[0]!.payload.senderId, 'Atoll');
    assert.equal(found[1]!.messageId, typed.MessageId);
    assert.equal(found[1]!.payload.smsType, 'Promotional');
  });

  test('refuses a number that is not E.164 and a message over 1600 bytes', async () => {
    await rejectsWith(sns.send(new PublishCommand({ PhoneNumber: '5555550100', Message: 'x' })), 'InvalidParameterException', 400, /PhoneNumber/);
    await rejectsWith(sns.send(new PublishCommand({ PhoneNumber: '+15555550101', Message: 'x'.repeat(1601) })), 'InvalidParameterException', 400, /too long/);
  });

  test('a topic delivers to its sms subscriptions', async () => {
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'alerts' }));
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sms', Endpoint: '+15555550102' }));
    const { MessageId } = await sns.send(new PublishCommand({ TopicArn, Message: JSON.stringify({ default: 'long', sms: 'short' }), MessageStructure: 'json' }));
    let found: Delivery[] = [];
    for (let i = 0; i < 200 && found.length === 0; i++) {
      found = await deliveries({ kind: 'sms', target: '+15555550102' });
      if (found.length === 0) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(found[0]?.messageId, MessageId);
    assert.equal(found[0]?.payload.message, 'short');
  });
});

describe('SNS SMS attributes and opt-outs', () => {
  test('SetSMSAttributes validates names and values; GetSMSAttributes returns them, filtered when asked', async () => {
    await sns.send(new SetSMSAttributesCommand({ attributes: { MonthlySpendLimit: '5', DeliveryStatusSuccessSamplingRate: '50' } }));
    const all = await sns.send(new GetSMSAttributesCommand({}));
    assert.equal(all.attributes?.MonthlySpendLimit, '5');
    const some = await sns.send(new GetSMSAttributesCommand({ attributes: ['MonthlySpendLimit'] }));
    assert.deepEqual(some.attributes, { MonthlySpendLimit: '5' });
    await rejectsWith(sns.send(new SetSMSAttributesCommand({ attributes: { Colour: 'red' } })), 'InvalidParameterException');
    await rejectsWith(sns.send(new SetSMSAttributesCommand({ attributes: { DefaultSMSType: 'Loud' } })), 'InvalidParameterException');
    await rejectsWith(sns.send(new SetSMSAttributesCommand({ attributes: { DefaultSenderID: '123' } })), 'InvalidParameterException');
  });

  test('an opted-out number is reported, listed, not texted, and opted in again', async () => {
    const phone = '+15555550103';
    assert.equal((await sns.send(new CheckIfPhoneNumberIsOptedOutCommand({ phoneNumber: phone }))).isOptedOut, false);
    const stop = await admin('POST', '/_atoll/sns/opt-out', { phoneNumber: phone });
    assert.equal(stop.status, 200);
    assert.equal((await sns.send(new CheckIfPhoneNumberIsOptedOutCommand({ phoneNumber: phone }))).isOptedOut, true);
    assert.ok((await sns.send(new ListPhoneNumbersOptedOutCommand({}))).phoneNumbers?.includes(phone));
    await sns.send(new PublishCommand({ PhoneNumber: phone, Message: 'ignored' }));
    assert.equal((await deliveries({ kind: 'sms', target: phone })).length, 0);
    await sns.send(new OptInPhoneNumberCommand({ phoneNumber: phone }));
    assert.equal((await sns.send(new CheckIfPhoneNumberIsOptedOutCommand({ phoneNumber: phone }))).isOptedOut, false);
    await rejectsWith(sns.send(new CheckIfPhoneNumberIsOptedOutCommand({ phoneNumber: 'abc' })), 'InvalidParameterException');
  });

  test('ListOriginationNumbers is empty (none are provisioned locally) and refuses MaxResults over 30', async () => {
    const { PhoneNumbers } = await sns.send(new ListOriginationNumbersCommand({ MaxResults: 30 }));
    assert.deepEqual(PhoneNumbers ?? [], []);
    await rejectsWith(sns.send(new ListOriginationNumbersCommand({ MaxResults: 31 })), 'ValidationError', 400, /less than or equal to 30/);
  });
});

describe('SNS SMS sandbox', () => {
  test('the account is out of the sandbox', async () => {
    assert.equal((await sns.send(new GetSMSSandboxAccountStatusCommand({}))).IsInSandbox, false);
  });

  test('a sandbox number is created Pending, verified with the OTP from the sink, listed and deleted', async () => {
    const phone = '+15555550104';
    await sns.send(new CreateSMSSandboxPhoneNumberCommand({ PhoneNumber: phone, LanguageCode: 'en-GB' }));
    let listed = await sns.send(new ListSMSSandboxPhoneNumbersCommand({}));
    assert.deepEqual(listed.PhoneNumbers?.find((p) => p.PhoneNumber === phone), { PhoneNumber: phone, Status: 'Pending' });
    const [otp] = await deliveries({ kind: 'sms-otp', target: phone });
    assert.match(String(otp?.payload.otp), /^\d{6}$/);
    assert.equal(otp?.payload.languageCode, 'en-GB');
    const wrong = String(otp!.payload.otp) === '000000' ? '111111' : '000000';
    await rejectsWith(sns.send(new VerifySMSSandboxPhoneNumberCommand({ PhoneNumber: phone, OneTimePassword: wrong })), 'VerificationException');
    await sns.send(new VerifySMSSandboxPhoneNumberCommand({ PhoneNumber: phone, OneTimePassword: String(otp!.payload.otp) }));
    listed = await sns.send(new ListSMSSandboxPhoneNumbersCommand({}));
    assert.equal(listed.PhoneNumbers?.find((p) => p.PhoneNumber === phone)?.Status, 'Verified');
    await sns.send(new DeleteSMSSandboxPhoneNumberCommand({ PhoneNumber: phone }));
    await rejectsWith(sns.send(new DeleteSMSSandboxPhoneNumberCommand({ PhoneNumber: phone })), 'ResourceNotFoundException', 404);
    await rejectsWith(sns.send(new VerifySMSSandboxPhoneNumberCommand({ PhoneNumber: phone, OneTimePassword: '123456' })), 'ResourceNotFoundException', 404);
  });

  test('refuses an unknown language and a malformed number', async () => {
    await rejectsWith(sns.send(new CreateSMSSandboxPhoneNumberCommand({ PhoneNumber: '+15555550105', LanguageCode: 'xx-XX' as never })), 'ValidationError', 400, /enum value set/);
    await rejectsWith(sns.send(new CreateSMSSandboxPhoneNumberCommand({ PhoneNumber: '12' })), 'InvalidParameterException');
  });
});
