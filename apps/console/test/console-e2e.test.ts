// The console in a real browser (Debian's Chromium through playwright-core): sign in, create a queue
// and send and peek a message, upload and download an object, query a table, invoke a function and
// read its log, scale an ECS service and watch the count change, and an action refused for an IAM user
// without permission. Screenshots of the main pages go to artifactDir().
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { CreateBucketCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateTableCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { CreateClusterCommand, CreateServiceCommand, ECSClient, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient } from '@aws-sdk/client-iam';
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import AdmZip from 'adm-zip';
import { createLambdaRole, startPlatform, type TestPlatform } from '@atoll/test-support';
import { artifactDir, browserMissing, launchBrowser, type Browser } from './browser.js';

const skip = browserMissing();
let platform: TestPlatform;
let browser: Browser;
let page: Page;
let shots: string;
const WAIT = { timeout: 30_000 };

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

async function signIn(accessKeyId: string, secretAccessKey: string): Promise<void> {
  await page.goto(`${platform.endpoint}/_atoll/console/`);
  await page.getByLabel('Access key ID').fill(accessKeyId);
  await page.getByLabel('Secret access key').fill(secretAccessKey);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

describe('console in a browser', { skip }, () => {
  before(async () => {
    shots = artifactDir();
    platform = await startPlatform({ services: ['sqs', 's3', 'dynamodb', 'lambda', 'ecs', 'elbv2', 'iam', 'sts', 'logs', 'cloudtrail', 'cloudwatch', 'sns'] });
    browser = await launchBrowser();
    page = await browser.context.newPage();
  });

  after(async () => {
    await browser?.close();
    await platform?.stop();
  });

  it('signs in with the root key pair and shows the service map', async () => {
    await signIn(platform.credentials.accessKeyId, 'wrong-secret-wrong-secret-wrong');
    await page.getByRole('alert').filter({ hasText: 'SignatureDoesNotMatch' }).waitFor(WAIT);
    await signIn(platform.credentials.accessKeyId, platform.credentials.secretAccessKey);
    await page.getByRole('heading', { name: 'Service map' }).waitFor(WAIT);
    await page.locator('header .who', { hasText: `arn:aws:iam::${platform.accountId}:root` }).waitFor(WAIT);
    const cookies = await browser.context.cookies();
    const session = cookies.find((c) => c.name === 'atoll_console');
    assert.ok(session, 'the session cookie is set');
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, 'Strict');
    assert.equal(await page.evaluate(() => document.cookie), '', 'page scripts cannot read the session');
    await shot('home');
  });

  it('creates a queue, sends a message and peeks it without consuming it', async () => {
    await page.goto(`${platform.endpoint}/_atoll/console/#/sqs`);
    await page.getByLabel('New queue name').fill('orders');
    await page.getByRole('button', { name: 'Create queue' }).click();
    await page.getByRole('link', { name: 'orders' }).click();
    await page.getByRole('heading', { name: 'Queue orders' }).waitFor(WAIT);
    await page.getByLabel('Message body').fill('{"order": 42}');
    await page.getByRole('button', { name: 'Send message' }).click();
    await page.getByText(/Sent message /).waitFor(WAIT);
    // The live stream shows the new depth.
    await page.locator('[data-testid=depth]', { hasText: '1' }).waitFor(WAIT);
    await page.getByRole('button', { name: 'Peek messages' }).click();
    await page.getByRole('table', { name: 'Peeked messages' }).getByText('{"order": 42}').waitFor(WAIT);
    const sqs = platform.client(SQSClient);
    const url = (await sqs.send(new GetQueueUrlCommand({ QueueName: 'orders' }))).QueueUrl!;
    const attrs = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages'] }))).Attributes!;
    assert.equal(attrs.ApproximateNumberOfMessages, '1', 'the peeked message is still visible');
    await shot('sqs-queue');
  });

  it('uploads an object and downloads it again', async () => {
    await platform.client(S3Client, { forcePathStyle: true }).send(new CreateBucketCommand({ Bucket: 'console-files' }));
    await page.goto(`${platform.endpoint}/_atoll/console/#/s3/console-files`);
    await page.getByLabel(/^File/).setInputFiles({ name: 'hello.txt', mimeType: 'text/plain', buffer: Buffer.from('hello from the browser') });
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    await page.getByText(/Uploaded \(ETag/).waitFor(WAIT);
    const stored = await platform.client(S3Client, { forcePathStyle: true }).send(new GetObjectCommand({ Bucket: 'console-files', Key: 'hello.txt' }));
    assert.equal(await stored.Body!.transformToString(), 'hello from the browser');
    const [download] = await Promise.all([page.waitForEvent('download', WAIT), page.getByRole('link', { name: 'Download hello.txt' }).click()]);
    assert.equal(download.suggestedFilename(), 'hello.txt');
    assert.equal(readFileSync((await download.path())!, 'utf8'), 'hello from the browser');
    await shot('s3-bucket');
  });

  it('queries a table by its partition key', async () => {
    const ddb = platform.client(DynamoDBClient);
    await ddb.send(
      new CreateTableCommand({
        TableName: 'people',
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          { AttributeName: 'team', KeyType: 'HASH' },
          { AttributeName: 'name', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'team', AttributeType: 'S' },
          { AttributeName: 'name', AttributeType: 'S' },
        ],
      }),
    );
    for (const [team, name] of [['blue', 'ada'], ['blue', 'bob'], ['red', 'cy']]) {
      await ddb.send(new PutItemCommand({ TableName: 'people', Item: { team: { S: team! }, name: { S: name! } } }));
    }
    await page.goto(`${platform.endpoint}/_atoll/console/#/dynamodb/people`);
    await page.getByLabel(/team \(partition key/).fill('blue');
    await page.getByRole('button', { name: 'Run query' }).click();
    await page.getByText('2 items returned').waitFor(WAIT);
    const items = page.getByRole('table', { name: 'Items' });
    await items.getByText('"ada"').waitFor(WAIT);
    assert.equal(await items.getByText('"cy"').count(), 0);
    await shot('dynamodb-table');
  });

  it('invokes a function and shows its result and log', async () => {
    await createLambdaRole(platform);
    const code = new AdmZip();
    code.addFile('index.mjs', Buffer.from("export const handler = async (event) => { console.log('console-log-line', event.n); return { doubled: event.n * 2 }; };"));
    await platform.client(LambdaClient).send(
      new CreateFunctionCommand({ FunctionName: 'doubler', Runtime: 'nodejs22.x', Role: `arn:aws:iam::${platform.accountId}:role/lambda-role`, Handler: 'index.handler', Code: { ZipFile: code.toBuffer() } }),
    );
    await page.goto(`${platform.endpoint}/_atoll/console/#/lambda/doubler`);
    await page.getByLabel('Payload (JSON)').fill('{"n": 21}');
    await page.getByRole('button', { name: 'Invoke' }).click();
    await page.locator('[data-testid=invoke-payload]', { hasText: '"doubled":42' }).waitFor({ timeout: 90_000 });
    await page.locator('[data-testid=invoke-log]', { hasText: 'console-log-line' }).waitFor(WAIT);
    await shot('lambda-function');
  });

  it('scales an ECS service and shows the running count change', async () => {
    const ecs = platform.client(ECSClient);
    await ecs.send(new CreateClusterCommand({ clusterName: 'shop' }));
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'sleeper',
        containerDefinitions: [{ name: 'app', image: 'process', memory: 64, command: [process.execPath, '-e', 'setInterval(() => {}, 1000)'], stopTimeout: 2 }],
      }),
    );
    await ecs.send(new CreateServiceCommand({ cluster: 'shop', serviceName: 'worker', taskDefinition: 'sleeper', desiredCount: 1 }));
    await page.goto(`${platform.endpoint}/_atoll/console/#/ecs/shop/worker`);
    await page.locator('[data-testid=running]', { hasText: /^1$/ }).waitFor({ timeout: 60_000 });
    await page.getByLabel('Desired count').fill('2');
    await page.getByRole('button', { name: 'Update desired count' }).click();
    await page.getByText('Desired count set to 2.').waitFor(WAIT);
    await page.locator('[data-testid=running]', { hasText: /^2$/ }).waitFor({ timeout: 60_000 });
    await shot('ecs-service');
    await page.getByLabel('Desired count').fill('0');
    await page.getByRole('button', { name: 'Update desired count' }).click();
    await page.locator('[data-testid=running]', { hasText: /^0$/ }).waitFor({ timeout: 60_000 });
  });

  it('is usable from the keyboard: skip link first, then the service navigation', async () => {
    await page.goto(`${platform.endpoint}/_atoll/console/#/`);
    await page.reload();
    await page.getByRole('heading', { name: 'Service map' }).waitFor(WAIT);
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent?.trim()), 'Skip to content');
    // Brand link, sign-out button, then the navigation: Enter on "SQS" opens the SQS page.
    for (let i = 0; i < 4; i++) await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent?.trim()), 'SQS');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'SQS queues' }).waitFor(WAIT);
  });

  it('maps the resources it holds by service with their health', async () => {
    await page.goto(`${platform.endpoint}/_atoll/console/#/`);
    const sqsGroup = page.locator('section', { has: page.getByRole('heading', { name: 'SQS' }) });
    await sqsGroup.getByText('1 visible').waitFor(WAIT);
    const ecsGroup = page.locator('section', { has: page.getByRole('heading', { name: 'ECS' }) });
    await ecsGroup.getByText('0/0 running').waitFor(WAIT);
    await page.locator('section', { has: page.getByRole('heading', { name: 'DynamoDB' }) }).getByRole('link', { name: 'people' }).waitFor(WAIT);
    await page.locator('section', { has: page.getByRole('heading', { name: 'Lambda' }) }).getByText('0 errors (1 h)').waitFor(WAIT);
    await shot('home-populated');
  });

  it('says a queue deleted while it is viewed no longer exists', async () => {
    const sqs = platform.client(SQSClient);
    const url = (await sqs.send(new CreateQueueCommand({ QueueName: 'doomed' }))).QueueUrl!;
    await page.goto(`${platform.endpoint}/_atoll/console/#/sqs/${encodeURIComponent(url)}`);
    await page.locator('[data-testid=depth]', { hasText: '0' }).waitFor(WAIT);
    await sqs.send(new DeleteQueueCommand({ QueueUrl: url }));
    await page.getByRole('alert').filter({ hasText: 'no longer exists' }).waitFor(WAIT);
  });

  it('creates an IAM user and key, shows the secret once, deactivates the key and finds it in the trail', async () => {
    await page.goto(`${platform.endpoint}/_atoll/console/#/iam`);
    await page.getByLabel('New user name').fill('ops');
    await page.getByRole('button', { name: 'Create user' }).click();
    await page.getByRole('button', { name: 'Create access key for ops' }).click();
    const secret = page.getByLabel('New secret access key');
    await secret.waitFor(WAIT);
    assert.ok(((await secret.inputValue()) ?? '').length >= 30);
    const keyId = (await page.getByRole('table', { name: 'Access keys of ops' }).locator('code').first().textContent())!;
    await page.reload();
    await page.getByRole('table', { name: 'Access keys of ops' }).waitFor(WAIT);
    assert.equal(await page.getByLabel('New secret access key').count(), 0, 'the secret is not shown again');
    await page.getByRole('button', { name: `Deactivate ${keyId}` }).click();
    await page.getByRole('button', { name: `Activate ${keyId}` }).waitFor(WAIT);
    await shot('iam');
    await page.goto(`${platform.endpoint}/_atoll/console/#/trail`);
    await page.getByLabel('Value (empty: all events)').fill('UpdateAccessKey');
    await page.getByRole('button', { name: 'Look up events' }).click();
    await page.getByRole('table', { name: 'Events' }).getByText('UpdateAccessKey').first().waitFor(WAIT);
    await shot('cloudtrail');
  });

  it('charts a metric with uPlot under the strict CSP', async () => {
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(`${platform.endpoint}/_atoll/console/#/observe`);
    await page.getByLabel('Metric', { exact: true }).selectOption({ label: 'AWS/Lambda Invocations FunctionName=doubler' });
    await page.getByRole('button', { name: 'Chart' }).click();
    await page.locator('.chart canvas').waitFor(WAIT);
    await shot('metrics');
    assert.deepEqual(errors.filter((e) => /Content Security Policy/i.test(e)), []);
  });

  it('shows IAM\'s refusal verbatim to an IAM user without permission', async () => {
    const iam = platform.client(IAMClient);
    await iam.send(new CreateUserCommand({ UserName: 'intern' }));
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'intern' }))).AccessKey!;
    await page.goto(`${platform.endpoint}/_atoll/console/`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(key.AccessKeyId!, key.SecretAccessKey!);
    await page.locator('header .who', { hasText: `arn:aws:iam::${platform.accountId}:user/intern` }).waitFor(WAIT);
    await page.goto(`${platform.endpoint}/_atoll/console/#/sqs`);
    const alert = page.getByRole('alert').filter({ hasText: 'is not authorized to perform: sqs:ListQueues' });
    await alert.waitFor(WAIT);
    assert.match((await alert.textContent()) ?? '', /AccessDenied/);
    await shot('refused');
  });
});
