// Exports to S3 and imports from S3, through the official DynamoDB and S3 SDKs: the export's layout
// (manifests, data files) as DynamoDB writes it, and imports that round-trip it.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import {
  DescribeExportCommand,
  DescribeImportCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ExportTableToPointInTimeCommand,
  GetItemCommand,
  ImportTableCommand,
  ListExportsCommand,
  ListImportsCommand,
  PutItemCommand,
  ScanCommand,
  UpdateContinuousBackupsCommand,
} from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { startPlatform, type TestPlatform } from '@atoll/test-support';
import { createTable, failure } from './helpers.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('DynamoDB exports to and imports from S3', () => {
  let platform: TestPlatform;
  let ddb: DynamoDBClient;
  let s3: S3Client;
  before(async () => {
    platform = await startPlatform({ services: ['dynamodb', 'dynamodbstreams', 's3'] });
    ddb = platform.client(DynamoDBClient);
    s3 = platform.client(S3Client, { forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: 'exports' }));
  });
  after(async () => platform.stop());

  const object = async (key: string) => Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: 'exports', Key: key }))).Body!.transformToByteArray());

  async function until<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
    for (let i = 0; i < 200; i++) {
      const value = await read();
      if (done(value)) return value;
      await sleep(100);
    }
    assert.fail(`timed out waiting for ${what}`);
  }

  const tableArn = (name: string) => `arn:aws:dynamodb:${platform.region}:${platform.accountId}:table/${name}`;

  async function exported(format: 'DYNAMODB_JSON' | 'ION', prefix: string) {
    const { ExportDescription } = await ddb.send(new ExportTableToPointInTimeCommand({ TableArn: tableArn('catalog'), S3Bucket: 'exports', S3Prefix: prefix, ExportFormat: format }));
    assert.equal(ExportDescription!.ExportStatus, 'IN_PROGRESS');
    return until(
      'the export',
      async () => (await ddb.send(new DescribeExportCommand({ ExportArn: ExportDescription!.ExportArn! }))).ExportDescription!,
      (d) => d.ExportStatus !== 'IN_PROGRESS',
    );
  }

  test('refuses an export of a table without point-in-time recovery', async () => {
    await createTable(ddb, 'catalog');
    const err = await failure(() => ddb.send(new ExportTableToPointInTimeCommand({ TableArn: tableArn('catalog'), S3Bucket: 'exports' })));
    assert.equal(err.name, 'PointInTimeRecoveryUnavailableException');
    assert.equal(err.$metadata.httpStatusCode, 400);
    const missing = await failure(() => ddb.send(new ExportTableToPointInTimeCommand({ TableArn: tableArn('absent'), S3Bucket: 'exports' })));
    assert.equal(missing.name, 'TableNotFoundException');
  });

  test('exports DynamoDB JSON with the manifests DynamoDB writes, and imports it back', async () => {
    await ddb.send(new UpdateContinuousBackupsCommand({ TableName: 'catalog', PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }));
    await sleep(1200);
    for (let i = 0; i < 25; i++) {
      await ddb.send(
        new PutItemCommand({
          TableName: 'catalog',
          Item: { pk: { S: `p${i}` }, sk: { S: 'x' }, n: { N: String(i) }, tags: { SS: ['a', 'b'] }, bin: { B: Buffer.from([i]) }, m: { M: { ok: { BOOL: true } } } },
        }),
      );
    }
    const description = await exported('DYNAMODB_JSON', 'nightly');
    assert.equal(description.ExportStatus, 'COMPLETED', description.FailureMessage);
    assert.equal(description.ItemCount, 25);
    const id = description.ExportArn!.split('/export/')[1]!;
    assert.equal(description.ExportManifest, `nightly/AWSDynamoDB/${id}/manifest-summary.json`);

    const summaryText = (await object(description.ExportManifest!)).toString();
    const summary = JSON.parse(summaryText);
    assert.equal(summary.version, '2020-06-30');
    assert.equal(summary.exportArn, description.ExportArn);
    assert.equal(summary.itemCount, 25);
    assert.equal(summary.outputFormat, 'DYNAMODB_JSON');
    assert.equal((await object(`nightly/AWSDynamoDB/${id}/manifest-summary.checksum`)).toString(), createHash('md5').update(summaryText).digest('hex'));
    const files = (await object(summary.manifestFilesS3Key)).toString().trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(files.reduce((n: number, f: { itemCount: number }) => n + f.itemCount, 0), 25);
    const data = await object(files[0].dataFileS3Key);
    assert.equal(createHash('md5').update(data).digest('base64'), files[0].md5Checksum);
    const lines = gunzipSync(data).toString().trim().split('\n').map((l) => JSON.parse(l));
    const p3 = lines.find((l: { Item: { pk: { S: string } } }) => l.Item.pk.S === 'p3');
    assert.deepEqual(p3.Item.n, { N: '3' });
    assert.deepEqual(p3.Item.m, { M: { ok: { BOOL: true } } });
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'exports', Prefix: `nightly/AWSDynamoDB/${id}/` }));
    assert.ok(listed.Contents!.some((o) => o.Key === `nightly/AWSDynamoDB/${id}/_started`));
    assert.deepEqual((await ddb.send(new ListExportsCommand({ TableArn: tableArn('catalog') }))).ExportSummaries!.map((e) => e.ExportArn), [description.ExportArn]);

    const { ImportTableDescription } = await ddb.send(
      new ImportTableCommand({
        S3BucketSource: { S3Bucket: 'exports', S3KeyPrefix: `nightly/AWSDynamoDB/${id}/data/` },
        InputFormat: 'DYNAMODB_JSON',
        InputCompressionType: 'GZIP',
        TableCreationParameters: {
          TableName: 'catalog-copy',
          AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
          BillingMode: 'PAY_PER_REQUEST',
        },
      }),
    );
    assert.equal(ImportTableDescription!.ImportStatus, 'IN_PROGRESS');
    const imported = await until(
      'the import',
      async () => (await ddb.send(new DescribeImportCommand({ ImportArn: ImportTableDescription!.ImportArn! }))).ImportTableDescription!,
      (d) => d.ImportStatus !== 'IN_PROGRESS',
    );
    assert.equal(imported.ImportStatus, 'COMPLETED', imported.FailureMessage);
    assert.equal(imported.ImportedItemCount, 25);
    assert.equal(imported.ErrorCount, 0);
    assert.equal((await ddb.send(new DescribeTableCommand({ TableName: 'catalog-copy' }))).Table!.TableStatus, 'ACTIVE');
    const item = await ddb.send(new GetItemCommand({ TableName: 'catalog-copy', Key: { pk: { S: 'p7' }, sk: { S: 'x' } } }));
    assert.deepEqual(item.Item!.tags!.SS!.sort(), ['a', 'b']);
    assert.deepEqual([...item.Item!.bin!.B!], [7]);
    assert.equal((await ddb.send(new ListImportsCommand({ TableArn: tableArn('catalog-copy') }))).ImportSummaryList!.length, 1);
  });

  test('exports Amazon Ion text lines', async () => {
    const description = await exported('ION', 'ion');
    assert.equal(description.ExportStatus, 'COMPLETED', description.FailureMessage);
    const summary = JSON.parse((await object(description.ExportManifest!)).toString());
    const files = (await object(summary.manifestFilesS3Key)).toString().trim().split('\n').map((l) => JSON.parse(l));
    assert.match(files[0].dataFileS3Key, /\.ion\.gz$/);
    const lines = gunzipSync(await object(files[0].dataFileS3Key)).toString().trim().split('\n');
    const p3 = lines.find((l) => l.includes('pk:"p3"'));
    assert.equal(p3, '$ion_1_0 {Item:{pk:"p3",sk:"x",n:3,tags:$dynamodb_SS::["a","b"],bin:{{Aw==}},m:{ok:true}}}');
  });

  test('imports gzipped CSV with typed key attributes and counts bad rows', async () => {
    const csv = 'id,score,name\n1,10,"Smith, Jane"\n2,20,"say ""hi"""\n,30,no key\n';
    await s3.send(new PutObjectCommand({ Bucket: 'exports', Key: 'csv/part-1.csv.gz', Body: gzipSync(csv) }));
    const { ImportTableDescription } = await ddb.send(
      new ImportTableCommand({
        S3BucketSource: { S3Bucket: 'exports', S3KeyPrefix: 'csv/' },
        InputFormat: 'CSV',
        InputCompressionType: 'GZIP',
        TableCreationParameters: {
          TableName: 'people',
          AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'N' }],
          KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
          BillingMode: 'PAY_PER_REQUEST',
        },
      }),
    );
    const done = await until(
      'the import',
      async () => (await ddb.send(new DescribeImportCommand({ ImportArn: ImportTableDescription!.ImportArn! }))).ImportTableDescription!,
      (d) => d.ImportStatus !== 'IN_PROGRESS',
    );
    assert.equal(done.ImportStatus, 'COMPLETED', done.FailureMessage);
    assert.equal(done.ImportedItemCount, 2);
    assert.equal(done.ErrorCount, 1);
    const { Items } = await ddb.send(new ScanCommand({ TableName: 'people' }));
    const byId = Object.fromEntries(Items!.map((i) => [i.id!.N!, i]));
    assert.deepEqual(byId['1'], { id: { N: '1' }, score: { S: '10' }, name: { S: 'Smith, Jane' } });
    assert.equal(byId['2']!.name!.S, 'say "hi"');
  });

  test('fails an import from a bucket that does not exist and leaves no table', async () => {
    const { ImportTableDescription } = await ddb.send(
      new ImportTableCommand({
        S3BucketSource: { S3Bucket: 'no-such-bucket' },
        InputFormat: 'DYNAMODB_JSON',
        TableCreationParameters: {
          TableName: 'ghost',
          AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
          BillingMode: 'PAY_PER_REQUEST',
        },
      }),
    );
    const done = await until(
      'the import',
      async () => (await ddb.send(new DescribeImportCommand({ ImportArn: ImportTableDescription!.ImportArn! }))).ImportTableDescription!,
      (d) => d.ImportStatus !== 'IN_PROGRESS',
    );
    assert.equal(done.ImportStatus, 'FAILED');
    assert.equal(done.FailureCode, 'S3NoSuchBucket');
    const gone = await failure(() => ddb.send(new DescribeTableCommand({ TableName: 'ghost' })));
    assert.equal(gone.name, 'ResourceNotFoundException');
  });
});
