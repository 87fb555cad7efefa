// SelectObjectContent through the SDK, which decodes the event stream (Records, Stats, Progress,
// End) and verifies its CRCs: CSV with and without headers, JSON lines and documents, GZIP input,
// aggregates, LIMIT, output formats, and the errors of a bad expression.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import {
  CreateBucketCommand,
  PutObjectCommand,
  S3Client,
  SelectObjectContentCommand,
  type SelectObjectContentCommandInput,
} from '@aws-sdk/client-s3';
import { startPlatform, type TestPlatform } from '@atoll/test-support';

let p: TestPlatform;
let s3: S3Client;
const B = 'select';

const CSV = 'name,city,age\nAlice,Paris,34\nBob,"Lyon, FR",27\nCarol,Paris,45\nDan,Oslo,19\n';
const LINES = ['{"name":"Alice","address":{"city":"Paris"},"age":34,"tags":["a","b"]}', '{"name":"Bob","address":{"city":"Lyon"},"age":27,"tags":[]}', '{"name":"Carol","address":{"city":"Paris"},"age":45}'].join('\n');

before(async () => {
  p = await startPlatform({ services: ['s3'] });
  s3 = p.client(S3Client, { forcePathStyle: true });
  await s3.send(new CreateBucketCommand({ Bucket: B }));
  await s3.send(new PutObjectCommand({ Bucket: B, Key: 'people.csv', Body: CSV }));
  await s3.send(new PutObjectCommand({ Bucket: B, Key: 'people.csv.gz', Body: gzipSync(CSV) }));
  await s3.send(new PutObjectCommand({ Bucket: B, Key: 'people.jsonl', Body: LINES }));
  await s3.send(new PutObjectCommand({ Bucket: B, Key: 'doc.json', Body: JSON.stringify({ people: [{ name: 'Eve', age: 50 }, { name: 'Fay', age: 22 }] }) }));
});
after(async () => {
  await p.stop();
});

const csvIn = { CSV: { FileHeaderInfo: 'USE' as const } };

async function select(input: Partial<SelectObjectContentCommandInput>) {
  const out = await s3.send(
    new SelectObjectContentCommand({
      Bucket: B,
      Key: 'people.csv',
      ExpressionType: 'SQL',
      InputSerialization: csvIn,
      OutputSerialization: { CSV: {} },
      ...input,
    } as SelectObjectContentCommandInput),
  );
  let records = '';
  const events: string[] = [];
  let stats: { BytesScanned?: number; BytesProcessed?: number; BytesReturned?: number } | undefined;
  for await (const event of out.Payload!) {
    if (event.Records) records += Buffer.from(event.Records.Payload!).toString('utf8');
    if (event.Stats) stats = event.Stats.Details;
    events.push(Object.keys(event).filter((k) => k !== '$unknown')[0]!);
  }
  return { records, events, stats };
}

describe('S3 SelectObjectContent', () => {
  it('filters CSV rows by header names with CAST and answers Records, Stats and End', async () => {
    const result = await select({ Expression: "SELECT s.name, s.city FROM S3Object s WHERE CAST(s.age AS INT) > 25 AND s.city <> 'Oslo'" });
    assert.equal(result.records, 'Alice,Paris\nBob,"Lyon, FR"\nCarol,Paris\n');
    assert.deepEqual(result.events.filter((e) => e !== 'Records'), ['Stats', 'End']);
    assert.equal(result.stats?.BytesScanned, Buffer.byteLength(CSV));
    assert.equal(result.stats?.BytesReturned, Buffer.byteLength(result.records));
  });

  it('addresses columns by position without a header, with LIKE, OR, NOT and LIMIT', async () => {
    const result = await select({
      InputSerialization: { CSV: { FileHeaderInfo: 'IGNORE' } },
      Expression: "SELECT _1 FROM S3Object WHERE _2 LIKE 'P%' OR NOT (_1 <> 'Dan') LIMIT 2",
    });
    assert.equal(result.records, 'Alice\nCarol\n');
  });

  it('computes COUNT, SUM, AVG, MIN and MAX over the matching rows', async () => {
    const result = await select({
      Expression: "SELECT COUNT(*), SUM(CAST(age AS INT)), AVG(CAST(age AS FLOAT)), MIN(name), MAX(CAST(age AS INT)) FROM S3Object WHERE city = 'Paris'",
    });
    assert.equal(result.records, '2,79,39.5,Alice,45\n');
  });

  it('writes JSON output and reads GZIP-compressed input, with Progress events when asked', async () => {
    const result = await select({
      Key: 'people.csv.gz',
      InputSerialization: { ...csvIn, CompressionType: 'GZIP' },
      OutputSerialization: { JSON: {} },
      RequestProgress: { Enabled: true },
      Expression: "SELECT name AS who, CAST(age AS INT) AS age FROM S3Object WHERE name = 'Dan'",
    });
    assert.equal(result.records, '{"who":"Dan","age":19}\n');
    assert.ok(result.events.includes('Progress'));
    assert.equal(result.stats?.BytesScanned, gzipSync(CSV).length);
    assert.equal(result.stats?.BytesProcessed, Buffer.byteLength(CSV));
  });

  it('queries JSON lines with nested paths, and a JSON document through S3Object[*].path', async () => {
    const lines = await select({
      Key: 'people.jsonl',
      InputSerialization: { JSON: { Type: 'LINES' } },
      OutputSerialization: { JSON: {} },
      Expression: "SELECT s.name, s.address.city, s.tags[0] AS first FROM S3Object s WHERE s.age >= 30",
    });
    assert.equal(lines.records, '{"name":"Alice","city":"Paris","first":"a"}\n{"name":"Carol","city":"Paris","first":null}\n');
    const doc = await select({
      Key: 'doc.json',
      InputSerialization: { JSON: { Type: 'DOCUMENT' } },
      OutputSerialization: { CSV: {} },
      Expression: 'SELECT p.name FROM S3Object[*].people[*] p WHERE p.age < 30',
    });
    assert.equal(doc.records, 'Fay\n');
  });

  it('answers SELECT * as the records read', async () => {
    const result = await select({ Expression: "SELECT * FROM S3Object WHERE name = 'Bob'" });
    assert.equal(result.records, 'Bob,"Lyon, FR",27\n');
  });

  it('refuses a malformed expression with ParseUnexpectedToken, and a missing key with NoSuchKey', async () => {
    await assert.rejects(select({ Expression: 'SELECT name FROM S3Object WHERE' }), (e: any) => {
      assert.equal(e.name, 'ParseUnexpectedToken');
      assert.equal(e.$metadata.httpStatusCode, 400);
      return true;
    });
    await assert.rejects(select({ Expression: 'SELECT name FROM Elsewhere' }), (e: any) => e.name === 'ParseUnexpectedToken');
    await assert.rejects(select({ Key: 'missing.csv', Expression: 'SELECT * FROM S3Object' }), (e: any) => e.name === 'NoSuchKey');
  });

  it('ends the stream with an error event when a CAST fails mid-scan', async () => {
    await assert.rejects(select({ Expression: 'SELECT CAST(city AS INT) FROM S3Object' }), (e: any) => {
      assert.equal(e.name, 'CastFailed');
      return true;
    });
  });
});
