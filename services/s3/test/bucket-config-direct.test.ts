// Bucket configurations, notifications, lifecycle, policies, CORS preflight and the startup sweep,
// through the provider without the edge.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorOf, harness, type Harness } from './direct-harness.js';

let h: Harness;
before(async () => {
  h = harness({
    callHandler: (service, operation, input) => {
      if (operation === 'GetQueueUrl' && input.QueueName === 'missing') throw Object.assign(new Error('no queue'), { code: 'QueueDoesNotExist' });
      if (operation === 'GetQueueUrl') return { QueueUrl: `http://q/000000000000/${input.QueueName}` };
      return {};
    },
  });
  await h.op('CreateBucket', { Bucket: 'cfg' });
});
after(() => h.close());

const anonymous = { type: 'Anonymous' as const, accountId: '', arn: '', principalId: 'anonymous' };

describe('stored configurations', () => {
  test('stores, returns and deletes tagging, CORS, policy, lifecycle and encryption', async () => {
    assert.equal(await errorOf(h.op('GetBucketTagging', { Bucket: 'cfg' })), 'NoSuchTagSet/404');
    await h.op('PutBucketTagging', { Bucket: 'cfg', Tagging: { TagSet: [{ Key: 'team', Value: 'x' }] } });
    assert.deepEqual((await h.op('GetBucketTagging', { Bucket: 'cfg' })).TagSet, [{ Key: 'team', Value: 'x' }]);

    assert.equal(await errorOf(h.op('GetBucketCors', { Bucket: 'cfg' })), 'NoSuchCORSConfiguration/404');
    const rules = [{ AllowedOrigins: ['https://app.test'], AllowedMethods: ['GET', 'PUT'], AllowedHeaders: ['*'], MaxAgeSeconds: 30 }];
    await h.op('PutBucketCors', { Bucket: 'cfg', CORSConfiguration: { CORSRules: rules } });
    assert.deepEqual((await h.op('GetBucketCors', { Bucket: 'cfg' })).CORSRules, rules);

    assert.equal(await errorOf(h.op('GetBucketPolicy', { Bucket: 'cfg' })), 'NoSuchBucketPolicy/404');
    assert.equal(await errorOf(h.op('PutBucketPolicy', { Bucket: 'cfg', Policy: 'not json' })), 'MalformedPolicy/400');

    assert.equal(await errorOf(h.op('GetBucketLifecycleConfiguration', { Bucket: 'cfg' })), 'NoSuchLifecycleConfiguration/404');
    const lifecycle = { Rules: [{ ID: 'old', Status: 'Enabled', Filter: { Prefix: 'tmp/' }, Expiration: { Date: new Date('2020-01-01T00:00:00Z') } }] };
    await h.op('PutBucketLifecycleConfiguration', { Bucket: 'cfg', LifecycleConfiguration: lifecycle });
    const got = await h.op('GetBucketLifecycleConfiguration', { Bucket: 'cfg' });
    assert.ok(got.Rules[0].Expiration.Date instanceof Date);
    await h.op('DeleteBucketLifecycle', { Bucket: 'cfg' });

    const enc = await h.op('GetBucketEncryption', { Bucket: 'cfg' });
    assert.equal(enc.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm, 'AES256');
    await h.op('PutBucketEncryption', { Bucket: 'cfg', ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' } }] } });
    assert.equal((await h.op('GetBucketEncryption', { Bucket: 'cfg' })).ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm, 'aws:kms');
  });
});

describe('event notifications', () => {
  test('sends s3:TestEvent when configured and refuses a destination that does not exist', async () => {
    h.calls.length = 0;
    await h.op('PutBucketNotificationConfiguration', {
      Bucket: 'cfg',
      NotificationConfiguration: {
        QueueConfigurations: [
          { Id: 'images', QueueArn: 'arn:aws:sqs:us-east-1:000000000000:events', Events: ['s3:ObjectCreated:*'], Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'img/' }, { Name: 'Suffix', Value: '.jpg' }] } } },
        ],
        TopicConfigurations: [{ Id: 'removed', TopicArn: 'arn:aws:sns:us-east-1:000000000000:topic', Events: ['s3:ObjectRemoved:Delete'] }],
      },
    });
    const test = h.calls.find((c) => c.operation === 'SendMessage');
    assert.equal(JSON.parse(test!.input.MessageBody).Event, 's3:TestEvent');
    assert.ok(h.calls.some((c) => c.operation === 'Publish' && JSON.parse(c.input.Message).Event === 's3:TestEvent'));
    assert.equal(
      await errorOf(h.op('PutBucketNotificationConfiguration', {
        Bucket: 'cfg',
        NotificationConfiguration: { QueueConfigurations: [{ QueueArn: 'arn:aws:sqs:us-east-1:000000000000:missing', Events: ['s3:ObjectCreated:*'] }] },
      })),
      'InvalidArgument/400',
    );
  });

  test('delivers ObjectCreated events in S3 event shape only for keys that pass the filters', async () => {
    h.calls.length = 0;
    await h.op('PutObject', { Bucket: 'cfg', Key: 'img/cat photo.jpg', Body: h.body('meow') });
    await h.op('PutObject', { Bucket: 'cfg', Key: 'img/cat.png', Body: h.body('png') });
    await h.op('PutObject', { Bucket: 'cfg', Key: 'doc/cat.jpg', Body: h.body('jpg') });
    await new Promise((r) => setTimeout(r, 20));
    const sent = h.calls.filter((c) => c.operation === 'SendMessage');
    assert.equal(sent.length, 1);
    const record = JSON.parse(sent[0]!.input.MessageBody).Records[0];
    assert.equal(record.eventSource, 'aws:s3');
    assert.equal(record.eventName, 'ObjectCreated:Put');
    assert.equal(record.s3.bucket.name, 'cfg');
    assert.equal(record.s3.object.key, 'img/cat+photo.jpg');
    assert.equal(record.s3.object.size, 4);
    assert.equal(record.s3.configurationId, 'images');
    assert.equal(sent[0]!.input.QueueUrl, 'http://q/000000000000/events');
  });

  test('delivers ObjectRemoved:Delete events to SNS topics', async () => {
    h.calls.length = 0;
    await h.op('DeleteObject', { Bucket: 'cfg', Key: 'doc/cat.jpg' });
    await new Promise((r) => setTimeout(r, 20));
    const published = h.calls.filter((c) => c.operation === 'Publish');
    assert.equal(published.length, 1);
    assert.equal(JSON.parse(published[0]!.input.Message).Records[0].eventName, 'ObjectRemoved:Delete');
  });
});

describe('lifecycle', () => {
  test('expires current objects by age and aborts old multipart uploads', async () => {
    await h.op('CreateBucket', { Bucket: 'life' });
    await h.op('PutObject', { Bucket: 'life', Key: 'tmp/a', Body: h.body('a') });
    await h.op('PutObject', { Bucket: 'life', Key: 'keep/b', Body: h.body('b') });
    await h.op('CreateMultipartUpload', { Bucket: 'life', Key: 'tmp/upload' });
    await h.op('PutBucketLifecycleConfiguration', {
      Bucket: 'life',
      LifecycleConfiguration: { Rules: [{ ID: 'tmp', Status: 'Enabled', Filter: { Prefix: 'tmp/' }, Expiration: { Days: 1 }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } }] },
    });
    const early = await h.provider.runLifecycle(Date.now());
    assert.equal(early.expired, 0);
    const later = await h.provider.runLifecycle(Date.now() + 2 * 86_400_000);
    assert.equal(later.expired, 1);
    assert.equal(later.uploadsAborted, 1);
    assert.equal(await errorOf(h.op('HeadObject', { Bucket: 'life', Key: 'tmp/a' })), 'NoSuchKey/404');
    assert.equal(await errorOf(h.op('HeadObject', { Bucket: 'life', Key: 'keep/b' })), 'ok');
  });

  test('expires noncurrent versions after their noncurrent days', async () => {
    await h.op('CreateBucket', { Bucket: 'life-ver' });
    await h.op('PutBucketVersioning', { Bucket: 'life-ver', VersioningConfiguration: { Status: 'Enabled' } });
    const old = await h.op('PutObject', { Bucket: 'life-ver', Key: 'k', Body: h.body('old') });
    await h.op('PutObject', { Bucket: 'life-ver', Key: 'k', Body: h.body('new') });
    await h.op('PutBucketLifecycleConfiguration', {
      Bucket: 'life-ver',
      LifecycleConfiguration: { Rules: [{ ID: 'nc', Status: 'Enabled', Filter: {}, NoncurrentVersionExpiration: { NoncurrentDays: 1 } }] },
    });
    const result = await h.provider.runLifecycle(Date.now() + 2 * 86_400_000);
    assert.equal(result.noncurrentExpired, 1);
    assert.equal(await errorOf(h.op('HeadObject', { Bucket: 'life-ver', Key: 'k', VersionId: old.VersionId })), 'NoSuchVersion/404');
    assert.equal(await errorOf(h.op('HeadObject', { Bucket: 'life-ver', Key: 'k' })), 'ok');
  });
});

describe('bucket policy', () => {
  test('refuses anonymous callers unless a policy allows them, and then only what it allows', async () => {
    await h.op('CreateBucket', { Bucket: 'site' });
    await h.op('PutObject', { Bucket: 'site', Key: 'public/index.html', Body: h.body('<html>') });
    assert.equal(await errorOf(h.op('GetObject', { Bucket: 'site', Key: 'public/index.html' }, { identity: anonymous })), 'AccessDenied/403');
    await h.op('PutBucketPolicy', {
      Bucket: 'site',
      Policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::site/public/*' }] }),
    });
    assert.equal(await errorOf(h.op('GetObject', { Bucket: 'site', Key: 'public/index.html' }, { identity: anonymous })), 'ok');
    assert.equal(await errorOf(h.op('PutObject', { Bucket: 'site', Key: 'public/x', Body: h.body('x') }, { identity: anonymous })), 'AccessDenied/403');
    assert.equal(await errorOf(h.op('ListObjectsV2', { Bucket: 'site' }, { identity: anonymous })), 'AccessDenied/403');
    const other = { type: 'Root' as const, accountId: '999999999999', arn: 'arn:aws:iam::999999999999:root', principalId: '999999999999' };
    assert.equal(await errorOf(h.op('DeleteObject', { Bucket: 'site', Key: 'public/index.html' }, { identity: other, accountId: '999999999999' })), 'AccessDenied/403');
  });
});

describe('CORS preflight', () => {
  const preflight = (headers: Record<string, string>, url = '/cfg/file.txt') =>
    new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve) => {
      const route = h.provider.routes[0]!;
      const res = {
        writeHead(status: number, hdrs: Record<string, unknown>) {
          (this as { status?: number }).status = status;
          (this as { hdrs?: unknown }).hdrs = hdrs;
        },
        end(body?: string) {
          resolve({ status: (this as unknown as { status: number }).status, headers: (this as unknown as { hdrs: Record<string, unknown> }).hdrs, body: body ?? '' });
        },
      };
      void route.handle({ headers: { host: '127.0.0.1:4566', ...headers }, url, method: 'OPTIONS' } as unknown as IncomingMessage, res as unknown as ServerResponse, {
        requestId: 'r',
        endpoint: '',
        accountId: '000000000000',
        region: 'us-east-1',
      });
    });

  test('answers an allowed preflight with the Access-Control headers of the matching rule', async () => {
    const out = await preflight({ origin: 'https://app.test', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type' });
    assert.equal(out.status, 200);
    assert.equal(out.headers['access-control-allow-origin'], 'https://app.test');
    assert.equal(out.headers['access-control-allow-methods'], 'GET, PUT');
    assert.equal(out.headers['access-control-max-age'], '30');
  });

  test('refuses a preflight no rule allows with 403 AccessForbidden', async () => {
    const out = await preflight({ origin: 'https://evil.test', 'access-control-request-method': 'PUT' });
    assert.equal(out.status, 403);
    assert.match(out.body, /<Code>AccessForbidden<\/Code>/);
    const virtualHost = await preflight({ host: 'cfg.s3.localhost:4566', origin: 'https://app.test', 'access-control-request-method': 'GET' }, '/file.txt');
    assert.equal(virtualHost.status, 200);
  });
});

describe('startup sweep', () => {
  test('removes temporary files and blobs that no row references', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'atoll-s3-sweep-'));
    const first = harness({ dataDir });
    await first.op('CreateBucket', { Bucket: 'sweep' });
    await first.op('PutObject', { Bucket: 'sweep', Key: 'kept', Body: first.body('kept') });
    await first.provider.close();
    const blobs = join(dataDir, 's3', 'blobs');
    writeFileSync(join(blobs, 'tmp', 'partial-upload'), 'half');
    mkdirSync(join(blobs, 'ab'), { recursive: true });
    writeFileSync(join(blobs, 'ab', 'ab'.padEnd(32, '0')), 'orphan');
    const second = harness({ dataDir });
    await second.provider.core.idle();
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(readdirSync(join(blobs, 'tmp')), []);
    assert.deepEqual(readdirSync(join(blobs, 'ab')), []);
    assert.equal((await second.read((await second.op('GetObject', { Bucket: 'sweep', Key: 'kept' })).Body)).toString(), 'kept');
    await second.provider.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
});
