// End-to-end: an SNS topic with a Lambda subscription invokes the function with the SNS event shape.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import AdmZip from 'adm-zip';
import { AddPermissionCommand, CreateFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { CreateTopicCommand, PublishCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { createLambdaRole, startPlatform, type TestPlatform } from '@atoll/test-support';

let platform: TestPlatform;
let outDir: string;

before(async () => {
  platform = await startPlatform({ services: ['sns', 'sqs', 'lambda', 'iam', 'sts'] });
  await createLambdaRole(platform);
  outDir = mkdtempSync(join(tmpdir(), 'atoll-sns-lambda-'));
});

after(async () => {
  await platform.stop();
  rmSync(outDir, { recursive: true, force: true });
});

test('a publish invokes a subscribed function with an aws:sns record', async () => {
  const lambda = platform.client(LambdaClient);
  const sns = platform.client(SNSClient);
  const out = join(outDir, 'events.jsonl');
  const archive = new AdmZip();
  archive.addFile('index.js', Buffer.from(`exports.handler = async (event) => { require('fs').appendFileSync(process.env.OUT, JSON.stringify(event) + '\\n'); return 'ok'; };`));
  const fn = await lambda.send(
    new CreateFunctionCommand({
      FunctionName: 'sns-target',
      Runtime: 'nodejs20.x',
      Role: 'arn:aws:iam::000000000000:role/lambda-role',
      Handler: 'index.handler',
      Code: { ZipFile: archive.toBuffer() },
      Environment: { Variables: { OUT: out } },
    }),
  );
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'to-lambda' }));
  // SNS may invoke the function only with its permission, as in AWS.
  await lambda.send(new AddPermissionCommand({ FunctionName: 'sns-target', StatementId: 'sns', Action: 'lambda:InvokeFunction', Principal: 'sns.amazonaws.com', SourceArn: TopicArn }));
  const sub = await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'lambda', Endpoint: fn.FunctionArn }));
  const { MessageId } = await sns.send(new PublishCommand({ TopicArn, Message: 'to the function', Subject: 'hi' }));
  // The function creates the file before it writes the line: wait for a whole line.
  const written = () => existsSync(out) && readFileSync(out, 'utf8').endsWith('\n');
  for (let i = 0; i < 500 && !written(); i++) await new Promise((r) => setTimeout(r, 20));
  const event = JSON.parse(readFileSync(out, 'utf8').trim().split('\n')[0]!) as { Records: { EventSource: string; EventSubscriptionArn: string; Sns: Record<string, unknown> }[] };
  assert.equal(event.Records[0]!.EventSource, 'aws:sns');
  assert.equal(event.Records[0]!.EventSubscriptionArn, sub.SubscriptionArn);
  assert.equal(event.Records[0]!.Sns.MessageId, MessageId);
  assert.equal(event.Records[0]!.Sns.Message, 'to the function');
  assert.equal(event.Records[0]!.Sns.Subject, 'hi');
});
