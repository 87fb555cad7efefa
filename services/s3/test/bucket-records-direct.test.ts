// Bucket logging (configuration and the access-log objects written to the target bucket), request
// payment, transfer acceleration, and inventory and analytics configurations, called directly on
// the provider (see direct-harness.ts).
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { errorOf, harness } from './direct-harness.js';

const h = harness();
after(() => h.close());

const LOG_LINE =
  /^[0-9a-f]{64} logged \[\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000\] \S+ \S+ \S+ (REST\.[A-Z]+\.[A-Z_]+) (\S+) "([^"]*)" (\d{3}) (\S+) (\S+) (\S+) \d+ - "[^"]*" "[^"]*" \S+ - \S+ - \S+ \S+ - - -$/;

describe('S3 bucket logging and recorded configurations', () => {
  it('validates and records the logging status, and disables it with an empty status', async () => {
    await h.op('CreateBucket', { Bucket: 'logged' });
    await h.op('CreateBucket', { Bucket: 'logs' });
    assert.deepEqual(await h.op('GetBucketLogging', { Bucket: 'logged' }), {});
    assert.equal(
      await errorOf(h.op('PutBucketLogging', { Bucket: 'logged', BucketLoggingStatus: { LoggingEnabled: { TargetBucket: 'no-such-target', TargetPrefix: 'x/' } } })),
      'InvalidTargetBucketForLogging/400',
    );
    await h.op('CreateBucket', { Bucket: 'other-owner' }, { accountId: '111111111111' });
    assert.equal(
      await errorOf(h.op('PutBucketLogging', { Bucket: 'logged', BucketLoggingStatus: { LoggingEnabled: { TargetBucket: 'other-owner', TargetPrefix: 'x/' } } })),
      'InvalidTargetBucketForLogging/400',
    );
    await h.op('PutBucketLogging', { Bucket: 'logged', BucketLoggingStatus: { LoggingEnabled: { TargetBucket: 'logs', TargetPrefix: 'access/' } } });
    assert.deepEqual(await h.op('GetBucketLogging', { Bucket: 'logged' }), { LoggingEnabled: { TargetBucket: 'logs', TargetPrefix: 'access/' } });
  });

  it('writes access-log lines in S3 format, batched into one object under the target prefix', async () => {
    await h.op('PutObject', { Bucket: 'logged', Key: 'dir/a b.txt', Body: h.body('hello'), ContentLength: 5 });
    await h.op('GetObject', { Bucket: 'logged', Key: 'dir/a b.txt' });
    assert.equal(await errorOf(h.op('GetObject', { Bucket: 'logged', Key: 'missing' })), 'NoSuchKey/404');
    await h.op('PutObject', { Bucket: 'logs', Key: 'unlogged', Body: h.body('x'), ContentLength: 1 });
    await h.provider.accessLogs.flush();
    const listed = await h.op('ListObjectsV2', { Bucket: 'logs', Prefix: 'access/' });
    assert.equal(listed.Contents?.length, 1);
    assert.match(listed.Contents[0].Key, /^access\/\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-[0-9A-F]{16}$/);
    const text = (await h.read((await h.op('GetObject', { Bucket: 'logs', Key: listed.Contents[0].Key })).Body)).toString();
    const lines = text.trim().split('\n');
    assert.equal(lines.length, 4, text);
    const fields = lines.map((line) => {
      const m = LOG_LINE.exec(line);
      assert.ok(m, `not an S3 access-log line: ${line}`);
      return m.slice(1, 8);
    });
    // The GetBucketLogging of the test before, once logging was on.
    assert.deepEqual(fields.shift(), ['REST.GET.LOGGING_STATUS', '-', 'GET /logged HTTP/1.1', '200', '-', '-', '-']);
    assert.deepEqual(fields[0], ['REST.PUT.OBJECT', 'dir/a%20b.txt', 'PUT /logged/dir/a%20b.txt HTTP/1.1', '200', '-', '-', '5']);
    assert.deepEqual(fields[1], ['REST.GET.OBJECT', 'dir/a%20b.txt', 'GET /logged/dir/a%20b.txt HTTP/1.1', '200', '-', '5', '5']);
    assert.deepEqual(fields[2]!.slice(0, 5), ['REST.GET.OBJECT', 'missing', 'GET /logged/missing HTTP/1.1', '404', 'NoSuchKey']);
  });

  it('records request payment and transfer acceleration', async () => {
    assert.deepEqual(await h.op('GetBucketRequestPayment', { Bucket: 'logged' }), { Payer: 'BucketOwner' });
    await h.op('PutBucketRequestPayment', { Bucket: 'logged', RequestPaymentConfiguration: { Payer: 'Requester' } });
    assert.deepEqual(await h.op('GetBucketRequestPayment', { Bucket: 'logged' }), { Payer: 'Requester' });
    assert.equal(await errorOf(h.op('PutBucketRequestPayment', { Bucket: 'logged', RequestPaymentConfiguration: { Payer: 'Nobody' } })), 'MalformedXML/400');
    assert.deepEqual(await h.op('GetBucketAccelerateConfiguration', { Bucket: 'logged' }), {});
    await h.op('PutBucketAccelerateConfiguration', { Bucket: 'logged', AccelerateConfiguration: { Status: 'Enabled' } });
    assert.deepEqual(await h.op('GetBucketAccelerateConfiguration', { Bucket: 'logged' }), { Status: 'Enabled' });
    await h.op('CreateBucket', { Bucket: 'dotted.name' });
    assert.equal(await errorOf(h.op('PutBucketAccelerateConfiguration', { Bucket: 'dotted.name', AccelerateConfiguration: { Status: 'Enabled' } })), 'InvalidRequest/400');
  });

  it('records inventory and analytics configurations by id, lists and deletes them', async () => {
    const inventory = (Id: string) => ({
      Id,
      IsEnabled: true,
      IncludedObjectVersions: 'Current',
      Destination: { S3BucketDestination: { Bucket: 'arn:aws:s3:::logs', Format: 'CSV' } },
      Schedule: { Frequency: 'Daily' },
    });
    await h.op('PutBucketInventoryConfiguration', { Bucket: 'logged', Id: 'daily', InventoryConfiguration: inventory('daily') });
    await h.op('PutBucketInventoryConfiguration', { Bucket: 'logged', Id: 'another', InventoryConfiguration: inventory('another') });
    assert.equal(await errorOf(h.op('PutBucketInventoryConfiguration', { Bucket: 'logged', Id: 'x', InventoryConfiguration: inventory('y') })), 'InvalidArgument/400');
    assert.deepEqual((await h.op('GetBucketInventoryConfiguration', { Bucket: 'logged', Id: 'daily' })).InventoryConfiguration, inventory('daily'));
    const listed = await h.op('ListBucketInventoryConfigurations', { Bucket: 'logged' });
    assert.deepEqual(listed.InventoryConfigurationList.map((c: { Id: string }) => c.Id), ['another', 'daily']);
    assert.equal(listed.IsTruncated, false);
    await h.op('DeleteBucketInventoryConfiguration', { Bucket: 'logged', Id: 'daily' });
    assert.equal(await errorOf(h.op('GetBucketInventoryConfiguration', { Bucket: 'logged', Id: 'daily' })), 'NoSuchConfiguration/404');

    await h.op('PutBucketAnalyticsConfiguration', { Bucket: 'logged', Id: 'a1', AnalyticsConfiguration: { Id: 'a1', StorageClassAnalysis: {} } });
    assert.deepEqual((await h.op('ListBucketAnalyticsConfigurations', { Bucket: 'logged' })).AnalyticsConfigurationList, [{ Id: 'a1', StorageClassAnalysis: {} }]);
    await h.op('DeleteBucketAnalyticsConfiguration', { Bucket: 'logged', Id: 'a1' });
    assert.equal(await errorOf(h.op('DeleteBucketAnalyticsConfiguration', { Bucket: 'logged', Id: 'a1' })), 'NoSuchConfiguration/404');
  });

  it('stops logging once disabled', async () => {
    await h.op('PutBucketLogging', { Bucket: 'logged', BucketLoggingStatus: {} });
    assert.deepEqual(await h.op('GetBucketLogging', { Bucket: 'logged' }), {});
    // The calls of the tests above (and the one that disabled logging) were logged.
    await h.provider.accessLogs.flush();
    const before = (await h.op('ListObjectsV2', { Bucket: 'logs', Prefix: 'access/' })).KeyCount;
    assert.equal(before, 2);
    await h.op('HeadObject', { Bucket: 'logged', Key: 'dir/a b.txt' });
    await h.provider.accessLogs.flush();
    const after = await h.op('ListObjectsV2', { Bucket: 'logs', Prefix: 'access/' });
    assert.equal(after.KeyCount, before);
  });
});
