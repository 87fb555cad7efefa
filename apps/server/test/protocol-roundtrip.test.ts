// Round trips through the official SDK for each protocol: the SDK serializes and our parser reads
// (the provider sees the typed input), then our serializer writes and the SDK reads (the test sees
// the typed output). Echo providers stand in for the real services so that only the protocol
// layer is under test.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { ServiceError, type PlatformContext, type ServiceProvider } from '@atoll/core';
import { startPlatform, type TestPlatform } from '@atoll/test-support';
import { DynamoDBClient, PutItemCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { SNSClient, PublishCommand, CreateTopicCommand, GetTopicAttributesCommand, ListTopicsCommand } from '@aws-sdk/client-sns';
import { LambdaClient, InvokeCommand, CreateFunctionCommand, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { S3Client, PutObjectCommand, GetObjectCommand, ListObjectsV2Command, DeleteObjectsCommand, CreateBucketCommand, HeadObjectCommand } from '@aws-sdk/client-s3';

const seen: Record<string, any> = {};
let nextOutput: Record<string, unknown> = {};

function echo(service: string, operations: string[]) {
  return (_platform: PlatformContext): ServiceProvider => ({
    service,
    operations: Object.fromEntries(
      operations.map((op) => [
        op,
        async (input: any) => {
          if (input.Body instanceof Readable) {
            const chunks: Buffer[] = [];
            for await (const c of input.Body) chunks.push(c as Buffer);
            input = { ...input, Body: Buffer.concat(chunks).toString() };
          }
          seen[op] = input;
          const out = nextOutput[op];
          if (out instanceof ServiceError) throw out;
          return typeof out === 'function' ? (out as () => unknown)() : out ?? {};
        },
      ]),
    ),
  });
}

describe('protocol round trips through the AWS SDK', () => {
  let p: TestPlatform;
  before(async () => {
    p = await startPlatform({
      services: [],
      extraProviders: [
        echo('dynamodb', ['PutItem', 'DescribeTable']),
        echo('sns', ['Publish', 'CreateTopic', 'GetTopicAttributes', 'ListTopics']),
        echo('lambda', ['Invoke', 'CreateFunction', 'ListFunctions']),
        echo('s3', ['PutObject', 'GetObject', 'HeadObject', 'ListObjectsV2', 'DeleteObjects', 'CreateBucket']),
      ],
    });
  });
  after(() => p.stop());

  test('json: nested attribute values, binaries, numbers and timestamps both ways; modeled errors with fields', async () => {
    const ddb = p.client(DynamoDBClient);
    nextOutput.PutItem = { Attributes: { b: { B: Buffer.from([0, 1, 2]) }, n: { N: '1.50' } }, ConsumedCapacity: { TableName: 'tbl', CapacityUnits: 1.5 } };
    const out = await ddb.send(
      new PutItemCommand({
        TableName: 'tbl',
        Item: { id: { S: 'k' }, n: { N: '42' }, b: { B: new Uint8Array([255, 0]) }, l: { L: [{ BOOL: true }, { NULL: true }] }, m: { M: { ss: { SS: ['a', 'b'] } } } },
        ReturnValues: 'ALL_OLD',
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    assert.equal(seen.PutItem.TableName, 'tbl');
    assert.deepEqual(seen.PutItem.Item.b.B, Buffer.from([255, 0]));
    assert.deepEqual(seen.PutItem.Item.l.L, [{ BOOL: true }, { NULL: true }]);
    assert.deepEqual(seen.PutItem.Item.m.M.ss.SS, ['a', 'b']);
    assert.deepEqual(Buffer.from(out.Attributes!.b!.B!), Buffer.from([0, 1, 2]));
    assert.equal(out.ConsumedCapacity!.CapacityUnits, 1.5);

    const created = new Date('2024-05-06T07:08:09.500Z');
    nextOutput.DescribeTable = { Table: { TableName: 'tbl', CreationDateTime: created, ItemCount: 3, TableStatus: 'ACTIVE' } };
    const described = await ddb.send(new DescribeTableCommand({ TableName: 'tbl' }));
    assert.equal(described.Table!.CreationDateTime!.getTime(), created.getTime());
    assert.equal(described.Table!.TableStatus, 'ACTIVE');

    const { ConditionalCheckFailedException } = await import('@atoll/aws-models/dynamodb');
    nextOutput.PutItem = new ConditionalCheckFailedException('The conditional request failed', { Item: { id: { S: 'k' } } });
    await assert.rejects(ddb.send(new PutItemCommand({ TableName: 'tbl', Item: { id: { S: 'k' } }, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' })), (e: any) => {
      assert.equal(e.name, 'ConditionalCheckFailedException');
      assert.equal(e.$metadata.httpStatusCode, 400);
      assert.equal(e.message, 'The conditional request failed');
      assert.deepEqual(e.Item, { id: { S: 'k' } });
      return true;
    });
  });

  test('query: maps, lists and binary attributes in; XML lists and maps out; query errors', async () => {
    const sns = p.client(SNSClient);
    nextOutput.Publish = { MessageId: 'm-1' };
    const published = await sns.send(
      new PublishCommand({
        TopicArn: 'arn:aws:sns:us-east-1:000000000000:t',
        Message: 'hello & <world>',
        MessageAttributes: { a: { DataType: 'String', StringValue: 'x y' }, b: { DataType: 'Binary', BinaryValue: new Uint8Array([1, 2]) } },
      }),
    );
    assert.equal(published.MessageId, 'm-1');
    assert.equal(seen.Publish.Message, 'hello & <world>');
    assert.deepEqual(seen.Publish.MessageAttributes.a, { DataType: 'String', StringValue: 'x y' });
    assert.deepEqual(seen.Publish.MessageAttributes.b.BinaryValue, Buffer.from([1, 2]));

    nextOutput.CreateTopic = { TopicArn: 'arn:aws:sns:us-east-1:000000000000:t' };
    await sns.send(new CreateTopicCommand({ Name: 't', Attributes: { DisplayName: 'T' }, Tags: [{ Key: 'k', Value: 'v' }] }));
    assert.deepEqual(seen.CreateTopic, { Name: 't', Attributes: { DisplayName: 'T' }, Tags: [{ Key: 'k', Value: 'v' }] });

    nextOutput.GetTopicAttributes = { Attributes: { Owner: '000000000000', Policy: '{"a":"<&>"}' } };
    const attrs = await sns.send(new GetTopicAttributesCommand({ TopicArn: 'arn:aws:sns:us-east-1:000000000000:t' }));
    assert.deepEqual(attrs.Attributes, { Owner: '000000000000', Policy: '{"a":"<&>"}' });

    nextOutput.ListTopics = { Topics: [{ TopicArn: 'a1' }, { TopicArn: 'a2' }], NextToken: 'n' };
    const listed = await sns.send(new ListTopicsCommand({}));
    assert.deepEqual(listed.Topics, [{ TopicArn: 'a1' }, { TopicArn: 'a2' }]);
    assert.equal(listed.NextToken, 'n');

    const { NotFoundException } = await import('@atoll/aws-models/sns');
    nextOutput.ListTopics = new NotFoundException('Topic does not exist');
    await assert.rejects(sns.send(new ListTopicsCommand({})), (e: any) => {
      assert.equal(e.name, 'NotFoundException');
      assert.equal(e.$metadata.httpStatusCode, 404);
      assert.equal(e.message, 'Topic does not exist');
      return true;
    });
  });

  test('rest-json: URI labels, query strings, headers and a blob payload in; status, headers and payload out', async () => {
    const lambda = p.client(LambdaClient);
    nextOutput.Invoke = { StatusCode: 202, FunctionError: 'Unhandled', LogResult: 'bG9n', ExecutedVersion: '$LATEST', Payload: Buffer.from('{"ok":true}') };
    const invoked = await lambda.send(
      new InvokeCommand({ FunctionName: 'my-fn', Qualifier: 'v1', InvocationType: 'Event', Payload: Buffer.from('{"x":1}') }),
    );
    assert.equal(seen.Invoke.FunctionName, 'my-fn');
    assert.equal(seen.Invoke.Qualifier, 'v1');
    assert.equal(seen.Invoke.InvocationType, 'Event');
    assert.equal(Buffer.from(seen.Invoke.Payload).toString(), '{"x":1}');
    assert.equal(invoked.StatusCode, 202);
    assert.equal(invoked.FunctionError, 'Unhandled');
    assert.equal(invoked.LogResult, 'bG9n');
    assert.equal(Buffer.from(invoked.Payload!).toString(), '{"ok":true}');

    nextOutput.CreateFunction = { FunctionName: 'f', Timeout: 3, Environment: { Variables: { A: '1' } }, LastModified: '2024-01-01T00:00:00.000+0000' };
    const created = await lambda.send(
      new CreateFunctionCommand({ FunctionName: 'f', Role: 'arn:aws:iam::000000000000:role/r', Runtime: 'nodejs20.x', Handler: 'index.handler', Code: { ZipFile: new Uint8Array([80, 75]) }, Environment: { Variables: { A: '1' } }, Tags: { t: 'v' } }),
    );
    assert.deepEqual(seen.CreateFunction.Code.ZipFile, Buffer.from([80, 75]));
    assert.deepEqual(seen.CreateFunction.Tags, { t: 'v' });
    assert.deepEqual(created.Environment, { Variables: { A: '1' } });

    nextOutput.ListFunctions = { Functions: [], NextMarker: 'm2' };
    const listed = await lambda.send(new ListFunctionsCommand({ Marker: 'm1', MaxItems: 5 }));
    assert.equal(seen.ListFunctions.Marker, 'm1');
    assert.equal(seen.ListFunctions.MaxItems, 5);
    assert.equal(listed.NextMarker, 'm2');

    const { ResourceNotFoundException } = await import('@atoll/aws-models/lambda');
    nextOutput.ListFunctions = new ResourceNotFoundException('Function not found: arn:aws:lambda:us-east-1:000000000000:function:x');
    await assert.rejects(lambda.send(new ListFunctionsCommand({})), (e: any) => {
      assert.equal(e.name, 'ResourceNotFoundException');
      assert.equal(e.$metadata.httpStatusCode, 404);
      return true;
    });
  });

  test('rest-xml: streaming aws-chunked uploads, metadata headers, XML bodies both ways and S3 error bodies', async () => {
    const s3 = p.client(S3Client, { forcePathStyle: true });
    nextOutput.CreateBucket = { Location: '/b' };
    await s3.send(new CreateBucketCommand({ Bucket: 'b', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }));
    assert.deepEqual(seen.CreateBucket, { Bucket: 'b', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } });

    nextOutput.PutObject = { ETag: '"abc"', VersionId: 'v1' };
    const put = await s3.send(new PutObjectCommand({ Bucket: 'b', Key: 'dir/a b+c.txt', Body: 'hello world', ContentType: 'text/plain', Metadata: { color: 'blue' } }));
    assert.equal(seen.PutObject.Bucket, 'b');
    assert.equal(seen.PutObject.Key, 'dir/a b+c.txt');
    assert.equal(seen.PutObject.Body, 'hello world');
    assert.equal(seen.PutObject.ContentType, 'text/plain');
    assert.deepEqual(seen.PutObject.Metadata, { color: 'blue' });
    assert.equal(put.ETag, '"abc"');
    assert.equal(put.VersionId, 'v1');

    const modified = new Date('2024-02-03T04:05:06Z');
    nextOutput.GetObject = () => ({ Body: Readable.from([Buffer.from('hello '), Buffer.from('world')]), ContentLength: 11, ETag: '"abc"', LastModified: modified, Metadata: { color: 'blue' }, ContentType: 'text/plain' });
    const got = await s3.send(new GetObjectCommand({ Bucket: 'b', Key: 'dir/a b+c.txt', Range: 'bytes=0-10' }));
    assert.equal(seen.GetObject.Range, 'bytes=0-10');
    assert.equal(await got.Body!.transformToString(), 'hello world');
    assert.equal(got.LastModified!.getTime(), modified.getTime());
    assert.deepEqual(got.Metadata, { color: 'blue' });

    nextOutput.HeadObject = { ContentLength: 11, ETag: '"abc"' };
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'b', Key: 'k' }));
    assert.equal(head.ContentLength, 11);

    nextOutput.ListObjectsV2 = {
      Name: 'b',
      KeyCount: 2,
      IsTruncated: false,
      Contents: [{ Key: 'a&b', Size: 1, LastModified: modified }, { Key: 'c', Size: 2 }],
      CommonPrefixes: [{ Prefix: 'p/' }],
    };
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'b', Prefix: 'x', Delimiter: '/', MaxKeys: 2 }));
    assert.equal(seen.ListObjectsV2.MaxKeys, 2);
    assert.equal(seen.ListObjectsV2.Delimiter, '/');
    assert.deepEqual(listed.Contents!.map((c) => c.Key), ['a&b', 'c']);
    assert.equal(listed.Contents![0]!.LastModified!.getTime(), modified.getTime());
    assert.deepEqual(listed.CommonPrefixes, [{ Prefix: 'p/' }]);

    nextOutput.DeleteObjects = { Deleted: [{ Key: 'a' }], Errors: [{ Key: 'b', Code: 'AccessDenied', Message: 'no' }] };
    const deleted = await s3.send(new DeleteObjectsCommand({ Bucket: 'b', Delete: { Objects: [{ Key: 'a' }, { Key: 'b', VersionId: 'v' }], Quiet: false } }));
    assert.deepEqual(seen.DeleteObjects.Delete, { Objects: [{ Key: 'a' }, { Key: 'b', VersionId: 'v' }], Quiet: false });
    assert.deepEqual(deleted.Deleted, [{ Key: 'a' }]);
    assert.equal(deleted.Errors![0]!.Code, 'AccessDenied');

    const { NoSuchKey } = await import('@atoll/aws-models/s3');
    nextOutput.GetObject = new ServiceError(NoSuchKey.spec, 'The specified key does not exist.', { Key: 'missing' });
    await assert.rejects(s3.send(new GetObjectCommand({ Bucket: 'b', Key: 'missing' })), (e: any) => {
      assert.equal(e.name, 'NoSuchKey');
      assert.equal(e.$metadata.httpStatusCode, 404);
      assert.equal(e.message, 'The specified key does not exist.');
      assert.equal(e.Key, 'missing');
      return true;
    });
  });
});
