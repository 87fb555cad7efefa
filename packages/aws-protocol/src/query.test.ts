import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModel } from '@atoll/aws-models';
import { readQueryInput } from './protocols/query.js';
import { validateInput } from './validate.js';

test('SQS query parameters with flattened lists and maps become the typed input', async () => {
  const model = await loadModel('sqs');
  const params = new URLSearchParams(
    'Action=SendMessage&QueueUrl=http%3A%2F%2Fq&MessageBody=hi&DelaySeconds=5' +
      '&MessageAttribute.1.Name=color&MessageAttribute.1.Value.DataType=String&MessageAttribute.1.Value.StringValue=blue' +
      '&MessageAttribute.2.Name=bin&MessageAttribute.2.Value.DataType=Binary&MessageAttribute.2.Value.BinaryValue=AQI%3D',
  );
  const input = readQueryInput(model, model.operations.SendMessage!, params);
  assert.equal(input.QueueUrl, 'http://q');
  assert.equal(input.DelaySeconds, 5);
  assert.deepEqual((input.MessageAttributes as any).color, { DataType: 'String', StringValue: 'blue' });
  assert.deepEqual((input.MessageAttributes as any).bin.BinaryValue, Buffer.from([1, 2]));
  const receive = readQueryInput(model, model.operations.ReceiveMessage!, new URLSearchParams('QueueUrl=u&AttributeName.1=All&AttributeName.2=SentTimestamp&MaxNumberOfMessages=10'));
  assert.deepEqual(receive.AttributeNames, ['All', 'SentTimestamp']);
  assert.equal(receive.MaxNumberOfMessages, 10);
});

test('non-flattened query lists (`member.N`) and maps (`entry.N`) are read too', async () => {
  const model = await loadModel('sns');
  const input = readQueryInput(
    model,
    model.operations.CreateTopic!,
    new URLSearchParams('Name=t&Attributes.entry.1.key=DisplayName&Attributes.entry.1.value=T&Tags.member.1.Key=k&Tags.member.1.Value=v'),
  );
  assert.deepEqual(input, { Name: 't', Attributes: { DisplayName: 'T' }, Tags: [{ Key: 'k', Value: 'v' }] });
});

/** DynamoDB's model under another name: DynamoDB itself validates in its provider (`validation: 'service'`). */
async function genericJsonModel() {
  const ddb = await loadModel('dynamodb');
  return { ...ddb, metadata: { ...ddb.metadata, name: 'generic-json' } };
}

test('DynamoDB leaves validation to its provider', async () => {
  const ddb = await loadModel('dynamodb');
  assert.equal(validateInput(ddb, ddb.operations.CreateTable!.input, { TableName: 'ab', BillingMode: 'FREE' }), undefined);
});

test('validation reports every violation in AWS words, and SQS reports MissingParameter', async () => {
  const ddb = await genericJsonModel();
  // Since 2024 DynamoDB's model takes a table name or ARN (TableArn, 1..1024) and leaves KeySchema optional.
  const error = validateInput(ddb, ddb.operations.CreateTable!.input, { TableName: '', BillingMode: 'FREE', ProvisionedThroughput: { ReadCapacityUnits: 0 } });
  assert.equal(error?.code, 'ValidationException');
  assert.match(error!.message, /^\d+ validation errors detected: /);
  assert.match(error!.message, /Value '' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 1/);
  assert.match(error!.message, /Value 'FREE' at 'billingMode' failed to satisfy constraint: Member must satisfy enum value set: \[/);
  assert.match(error!.message, /Value null at 'provisionedThroughput.writeCapacityUnits' failed to satisfy constraint: Member must not be null/);
  const sqs = await loadModel('sqs');
  const missing = validateInput(sqs, sqs.operations.SendMessage!.input, { QueueUrl: 'u' });
  assert.equal(missing?.code, 'MissingParameter');
  assert.equal(missing?.message, 'The request must contain the parameter MessageBody.');
});

test('string lengths count characters: a table name or ARN of 1024 emoji is 1024 long', async () => {
  const ddb = await genericJsonModel();
  const describe = ddb.operations.DescribeTable!.input;
  assert.match(validateInput(ddb, describe, { TableName: '' })!.message, /Member must have length greater than or equal to 1/);
  const emoji = validateInput(ddb, describe, { TableName: '\u{1F600}'.repeat(1024) });
  assert.ok(!emoji || !/length/.test(emoji.message), emoji?.message);
  assert.match(validateInput(ddb, describe, { TableName: '\u{1F600}'.repeat(1025) })!.message, /length less than or equal to 1024/);
});
