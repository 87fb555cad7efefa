// SQS's message rules, each checked through @aws-sdk/client-sqs against the real platform, with the
// AWS page that states it (the same rules are in botocore 1.43's SQS model, vendored under
// tools/codegen/models). Sizes (1 MiB) are covered by sqs-message-size.test.ts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateQueueCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
  type MessageAttributeValue,
} from '@aws-sdk/client-sqs';
import { startPlatform, type TestPlatform } from '@atoll/test-support';

let platform: TestPlatform;
let sqs: SQSClient;
let n = 0;

async function rejectsWith(promise: Promise<unknown>, name: string, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (err: { name: string; message: string; $metadata?: { httpStatusCode?: number } }) => {
    assert.equal(err.name, name);
    assert.equal(err.$metadata?.httpStatusCode, 400);
    if (message) assert.match(err.message, message);
    return true;
  });
}

async function queue(fifo = false, attributes: Record<string, string> = {}): Promise<string> {
  const name = `rules-${++n}${fifo ? '.fifo' : ''}`;
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: fifo ? { FifoQueue: 'true', ...attributes } : attributes }));
  return QueueUrl!;
}

const str = (StringValue: string): MessageAttributeValue => ({ DataType: 'String', StringValue });

before(async () => {
  platform = await startPlatform({ services: ['sqs'] });
  sqs = platform.client(SQSClient);
});

after(async () => {
  await platform.stop();
});

// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html, DelaySeconds:
// "When you set FifoQueue, you can't set DelaySeconds per message. You can set this parameter only on a
// queue level." AWS accepts the value 0 (the default) on FIFO queues and refuses any other value.
describe('SQS FIFO DelaySeconds', () => {
  test('SendMessage with DelaySeconds=0 on a FIFO queue is accepted and the message is receivable at once', async () => {
    const url = await queue(true);
    const sent = await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'zero', MessageGroupId: 'g', MessageDeduplicationId: 'd1', DelaySeconds: 0 }));
    assert.ok(sent.MessageId);
    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 5 }));
    assert.equal(Messages?.[0]?.Body, 'zero');
  });

  test('SendMessageBatch entries with DelaySeconds=0 on a FIFO queue succeed', async () => {
    const url = await queue(true);
    const result = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: [0, 1].map((i) => ({ Id: `e${i}`, MessageBody: `b${i}`, MessageGroupId: 'g', MessageDeduplicationId: `d${i}`, DelaySeconds: 0 })),
      }),
    );
    assert.equal(result.Successful?.length, 2);
    assert.equal(result.Failed?.length ?? 0, 0);
  });

  test('a non-zero DelaySeconds on a FIFO queue is refused with AWS\'s message, alone and per batch entry', async () => {
    const url = await queue(true);
    await rejectsWith(
      sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageGroupId: 'g', MessageDeduplicationId: 'd', DelaySeconds: 5 })),
      'InvalidParameterValue',
      /^Value 5 for parameter DelaySeconds is invalid\. Reason: The request include parameter that is not valid for this queue type\.$/,
    );
    const result = await sqs.send(
      new SendMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: 'late', MessageBody: 'x', MessageGroupId: 'g', MessageDeduplicationId: 'd', DelaySeconds: 1 }] }),
    );
    assert.equal(result.Failed?.[0]?.Code, 'InvalidParameterValue');
  });

  test('a FIFO queue-level DelaySeconds still applies when a message gives 0', async () => {
    const url = await queue(true, { DelaySeconds: '900' });
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'held', MessageGroupId: 'g', MessageDeduplicationId: 'h', DelaySeconds: 0 }));
    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 0 }));
    assert.equal(Messages?.length ?? 0, 0);
  });

  test('a standard queue takes DelaySeconds from 0 to 900 and refuses 901', async () => {
    const url = await queue();
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', DelaySeconds: 900 }));
    await rejectsWith(sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', DelaySeconds: 901 })), 'InvalidParameterValue', /DelaySeconds must be >= 0 and <= 900/);
  });
});

// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-message-metadata.html
// (message attributes): "Each message can have up to 10 metadata attributes"; the name "can contain
// the following characters: A-Z, a-z, 0-9, underscore (_), hyphen (-), and period (.)", "is
// case-sensitive", "must not start with AWS-reserved prefixes such as AWS. or Amazon. (or any
// casing variants)", "must not start or end with a period (.), and it should not have periods in
// succession", "can be up to 256 characters long"; the type is String, Number or Binary with an
// optional custom suffix (up to 256 characters in all); and "all parts of the message attribute,
// including name, type, and value, are part of the message size restriction".
// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_MessageAttributeValue.html
describe('SQS message attribute rules', () => {
  test('ten attributes are accepted and an eleventh is refused', async () => {
    const url = await queue();
    const ten = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`a${i}`, str('v')]));
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageAttributes: ten }));
    await rejectsWith(
      sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageAttributes: { ...ten, a10: str('v') } })),
      'InvalidParameterValue',
      /Number of message attributes \[11\] exceeds the allowed maximum \[10\]/,
    );
  });

  test('names with letters, digits, underscores, hyphens and single inner periods up to 256 characters are accepted', async () => {
    const url = await queue();
    await sqs.send(
      new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageAttributes: { 'Aa0_-.b': str('v'), ['n'.repeat(256)]: str('v'), AWSish: str('v') } }),
    );
  });

  for (const [why, name] of [
    ['a character outside the set', 'bad name'],
    ['a leading period', '.lead'],
    ['a trailing period', 'trail.'],
    ['periods in succession', 'a..b'],
    ['more than 256 characters', 'n'.repeat(257)],
    ['the reserved prefix AWS.', 'AWS.Thing'],
    ['the reserved prefix Amazon. in another casing', 'aMaZoN.thing'],
  ] as const) {
    test(`a name with ${why} is refused with InvalidParameterValue`, async () => {
      const url = await queue();
      await rejectsWith(sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageAttributes: { [name]: str('v') } })), 'InvalidParameterValue', /attribute name/);
    });
  }

  test('types are String, Number or Binary with an optional custom suffix; any other type is refused', async () => {
    const url = await queue();
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: 'x',
        MessageAttributes: {
          s: { DataType: 'String.uuid', StringValue: 'v' },
          n: { DataType: 'Number.int', StringValue: '-12.5e3' },
          b: { DataType: 'Binary.gif', BinaryValue: Buffer.from([1, 2, 3]) },
        },
      }),
    );
    await rejectsWith(
      sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageAttributes: { t: { DataType: 'Text', StringValue: 'v' } } })),
      'InvalidParameterValue',
      /supported type prefixes is Binary, Number, and String/,
    );
    await rejectsWith(
      sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageAttributes: { t: { DataType: `String.${'x'.repeat(250)}`, StringValue: 'v' } } })),
      'InvalidParameterValue',
    );
  });

  test('empty values, non-numeric Numbers and out-of-range Numbers are refused', async () => {
    const url = await queue();
    await rejectsWith(sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageAttributes: { e: str('') } })), 'InvalidParameterValue', /non-empty/);
    await rejectsWith(
      sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageAttributes: { e: { DataType: 'Binary', BinaryValue: new Uint8Array() } } })),
      'InvalidParameterValue',
      /non-empty/,
    );
    await rejectsWith(
      sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageAttributes: { n: { DataType: 'Number', StringValue: 'twelve' } } })),
      'InvalidParameterValue',
      /cast the value/,
    );
    await rejectsWith(
      sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageAttributes: { n: { DataType: 'Number', StringValue: '1'.repeat(39) } } })),
      'InvalidParameterValue',
      /38 digits/,
    );
  });

  test("an attribute's name, type and value all count toward the message size", async () => {
    const url = await queue(false, { MaximumMessageSize: '1024' });
    // 1000 bytes of body + name (4) + type (6) + value (14) = 1024: accepted; one more byte of name is not.
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'b'.repeat(1000), MessageAttributes: { name: str('v'.repeat(14)) } }));
    await rejectsWith(
      sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'b'.repeat(1000), MessageAttributes: { names: str('v'.repeat(14)) } })),
      'InvalidParameterValue',
      /shorter than 1024 bytes/,
    );
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html, MessageBody:
  // "A message can include only XML, JSON, and unformatted text. The following Unicode characters are
  // allowed: #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF".
  test('a body with a character outside the allowed set is refused with InvalidMessageContents', async () => {
    const url = await queue();
    await rejectsWith(sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'bad\u0001' })), 'InvalidMessageContents', /#x1/);
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'tab\tnl\n\u{1F600}' }));
  });

  test('a String attribute value with a character outside the same set is refused with InvalidMessageContents', async () => {
    const url = await queue();
    await rejectsWith(
      sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageAttributes: { s: str('bad\u0002') } })),
      'InvalidMessageContents',
      /message attribute 's'/,
    );
  });
});
