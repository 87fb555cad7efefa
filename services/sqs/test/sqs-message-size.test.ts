// SQS's 1 MiB message size, through @aws-sdk/client-sqs against the real platform.
// Sources: the SQS API Reference, SetQueueAttributes: "MaximumMessageSize – … An integer from 1,024
// bytes (1 KiB) up to 1,048,576 bytes (1 MiB). Default: 1,048,576 bytes (1 MiB)", and SendMessageBatch:
// "The maximum allowed individual message size and the maximum total payload size (the sum of the
// individual lengths of all of the batched messages) are both 1 MiB 1,048,576 bytes"
// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html,
// …/API_SendMessageBatch.html; the same text is in botocore 1.43's SQS model, vendored under
// tools/codegen/models). The limit was 256 KiB (262,144 bytes) until AWS raised it in August 2025.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { startPlatform, type TestPlatform } from '@atoll/test-support';

const MiB = 1_048_576;

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

async function queue(attributes?: Record<string, string>): Promise<string> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `size-${++n}`, Attributes: attributes }));
  return QueueUrl!;
}

before(async () => {
  platform = await startPlatform({ services: ['sqs'] });
  sqs = platform.client(SQSClient);
});

after(async () => {
  await platform.stop();
});

describe('SQS message size (1 MiB since 2025)', () => {
  test('a new queue has MaximumMessageSize 1048576 by default', async () => {
    const url = await queue();
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['MaximumMessageSize'] }));
    assert.equal(Attributes?.MaximumMessageSize, String(MiB));
  });

  test('MaximumMessageSize accepts 1024 to 1048576 and refuses 1048577', async () => {
    const url = await queue({ MaximumMessageSize: '1024' });
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { MaximumMessageSize: String(MiB) } }));
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['MaximumMessageSize'] }));
    assert.equal(Attributes?.MaximumMessageSize, String(MiB));
    await rejectsWith(sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { MaximumMessageSize: String(MiB + 1) } })), 'InvalidAttributeValue');
    await rejectsWith(sqs.send(new CreateQueueCommand({ QueueName: `size-${++n}`, Attributes: { MaximumMessageSize: String(MiB + 1) } })), 'InvalidAttributeValue');
    await rejectsWith(sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { MaximumMessageSize: '1023' } })), 'InvalidAttributeValue');
  });

  test('a 1 MiB message is sent and received whole; one byte more is refused', async () => {
    const url = await queue();
    const body = 'm'.repeat(MiB);
    const sent = await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body }));
    assert.ok(sent.MessageId);
    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url }));
    assert.equal(Messages?.[0]?.Body?.length, MiB);
    assert.equal(Messages?.[0]?.Body, body);
    await rejectsWith(
      sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'm'.repeat(MiB + 1) })),
      'InvalidParameterValue',
      /Message must be shorter than 1048576 bytes/,
    );
  });

  test("message attributes count toward the queue's MaximumMessageSize", async () => {
    const url = await queue({ MaximumMessageSize: '262144' });
    // 262,144 bytes of body are fine; adding an attribute takes the message over the queue's limit.
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'a'.repeat(262_144) }));
    await rejectsWith(
      sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'a'.repeat(262_144), MessageAttributes: { k: { DataType: 'String', StringValue: 'v' } } })),
      'InvalidParameterValue',
      /shorter than 262144 bytes/,
    );
  });

  test('a batch may carry up to 1 MiB in all, whatever the queue allows per message, and not a byte more', async () => {
    const url = await queue({ MaximumMessageSize: '262144' });
    const quarter = 'q'.repeat(MiB / 4);
    const ok = await sqs.send(
      new SendMessageBatchCommand({ QueueUrl: url, Entries: [0, 1, 2, 3].map((i) => ({ Id: `e${i}`, MessageBody: quarter })) }),
    );
    assert.equal(ok.Successful?.length, 4);
    await rejectsWith(
      sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: url,
          Entries: [...[0, 1, 2, 3].map((i) => ({ Id: `e${i}`, MessageBody: quarter })), { Id: 'e4', MessageBody: 'x' }],
        }),
      ),
      'BatchRequestTooLong',
      new RegExp(`cannot be longer than ${MiB} bytes\\. You have sent ${MiB + 1} bytes`),
    );
  });
});
