// End to end against the official SDK clients: a small HTTP server authenticates each request with
// verifySigV4 (and decodes aws-chunked bodies) the way the edge does, and answers in the protocol's
// shape, so the SDK's real signing (headers, presigned URLs, streaming uploads) is what is tested.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { STSClient, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { S3Client, PutObjectCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { AwsChunkedDecoder, needsBodyHash, peekCredentialScope, verifySigV4, type AuthDialect } from '../src/index.js';
import { ServiceError } from '@atoll/core';
import { ACCESS_KEY_ID, SECRET_ACCESS_KEY, lookup } from './signing.js';

interface Received {
  service: string;
  contentSha256: string;
  body: Buffer;
  trailers: Record<string, string>;
}

let server: Server;
let endpoint: string;
const received: Received[] = [];
const objects = new Map<string, Buffer>();

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function sendError(res: ServerResponse, dialect: AuthDialect, err: ServiceError): void {
  res.statusCode = err.status;
  if (dialect === 'json') {
    res.setHeader('content-type', 'application/x-amz-json-1.0');
    res.end(JSON.stringify({ __type: `com.amazon.coral.service#${err.code}`, message: err.message }));
  } else if (dialect === 's3') {
    res.setHeader('content-type', 'application/xml');
    res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${err.code}</Code><Message>${err.message}</Message></Error>`);
  } else {
    res.setHeader('content-type', 'text/xml');
    res.end(`<ErrorResponse><Error><Type>Sender</Type><Code>${err.code}</Code><Message>${err.message}</Message></Error><RequestId>r</RequestId></ErrorResponse>`);
  }
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const request = { method: req.method ?? 'GET', path: q < 0 ? url : url.slice(0, q), query: q < 0 ? '' : url.slice(q + 1), headers: req.headers };
  const service = peekCredentialScope(request)?.service ?? 'sts';
  const dialect: AuthDialect = service === 's3' ? 's3' : service === 'dynamodb' ? 'json' : 'query';
  let body: Buffer | undefined;
  try {
    if (needsBodyHash(request)) body = await readAll(req);
    const auth = await verifySigV4(
      { ...request, ...(body ? { bodyHash: createHash('sha256').update(body).digest('hex') } : {}) },
      { lookupSecret: lookup(), dialect },
    );
    const decoder = AwsChunkedDecoder.forRequest(auth, req.headers);
    if (!body) body = await readAll(decoder ? req.pipe(decoder) : req);
    received.push({ service, contentSha256: auth.contentSha256, body, trailers: decoder ? { ...decoder.trailers } : {} });
    if (service === 'sts') {
      res.setHeader('content-type', 'text/xml');
      res.end(
        `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>${auth.identity.arn}</Arn><UserId>${auth.identity.principalId}</UserId><Account>${auth.identity.accountId}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
      );
    } else if (service === 'dynamodb') {
      res.setHeader('content-type', 'application/x-amz-json-1.0');
      res.end('{"TableNames":[]}');
    } else if (req.method === 'PUT') {
      objects.set(decodeURIComponent(request.path), body);
      res.setHeader('etag', `"${createHash('md5').update(body).digest('hex')}"`);
      res.end();
    } else {
      const object = objects.get(decodeURIComponent(request.path));
      res.statusCode = object ? 200 : 404;
      res.end(object ?? '<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>');
    }
  } catch (err) {
    if (!(err instanceof ServiceError)) throw err;
    sendError(res, dialect, err);
  }
}

const credentials = { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY };
const wrongCredentials = { accessKeyId: ACCESS_KEY_ID, secretAccessKey: 'not-the-secret' };

describe('verifySigV4 against the official SDK clients', () => {
  before(async () => {
    server = createServer((req, res) => {
      handle(req, res).catch((err: unknown) => {
        res.statusCode = 500;
        res.end(String(err));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  test('authenticates STS GetCallerIdentity (query protocol, body hash from the buffered body)', async () => {
    const sts = new STSClient({ endpoint, region: 'us-east-1', credentials });
    const out = await sts.send(new GetCallerIdentityCommand({}));
    assert.equal(out.Arn, 'arn:aws:iam::000000000000:user/alice');
    sts.destroy();
  });

  test('answers the SDK with SignatureDoesNotMatch for a wrong secret and InvalidClientTokenId for an unknown key', async () => {
    const wrong = new STSClient({ endpoint, region: 'us-east-1', credentials: wrongCredentials, maxAttempts: 1 });
    await assert.rejects(wrong.send(new GetCallerIdentityCommand({})), (err: Error & { $metadata: { httpStatusCode?: number } }) => {
      assert.equal(err.name, 'SignatureDoesNotMatch');
      assert.equal(err.$metadata.httpStatusCode, 403);
      return true;
    });
    wrong.destroy();
    const unknown = new STSClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIAUNKNOWN', secretAccessKey: 'x' }, maxAttempts: 1 });
    await assert.rejects(unknown.send(new GetCallerIdentityCommand({})), (err: Error & { $metadata: { httpStatusCode?: number } }) => {
      assert.equal(err.name, 'InvalidClientTokenId');
      assert.equal(err.$metadata.httpStatusCode, 403);
      return true;
    });
    unknown.destroy();
  });

  test('authenticates DynamoDB ListTables and answers UnrecognizedClientException for an unknown key', async () => {
    const ddb = new DynamoDBClient({ endpoint, region: 'eu-west-1', credentials });
    assert.deepEqual((await ddb.send(new ListTablesCommand({}))).TableNames, []);
    ddb.destroy();
    const unknown = new DynamoDBClient({ endpoint, region: 'eu-west-1', credentials: { accessKeyId: 'AKIAUNKNOWN', secretAccessKey: 'x' }, maxAttempts: 1 });
    await assert.rejects(unknown.send(new ListTablesCommand({})), (err: Error & { $metadata: { httpStatusCode?: number } }) => {
      assert.equal(err.name, 'UnrecognizedClientException');
      assert.equal(err.$metadata.httpStatusCode, 400);
      return true;
    });
    unknown.destroy();
  });

  test('authenticates S3 PutObject and GetObject with keys holding spaces, plus signs, unicode and double slashes', async () => {
    const s3 = new S3Client({ endpoint, region: 'us-east-1', credentials, forcePathStyle: true });
    for (const key of ['a b+c.txt', 'ünï/日本語.txt', 'dir//x/./y']) {
      await s3.send(new PutObjectCommand({ Bucket: 'bucket', Key: key, Body: `content of ${key}` }));
      const got = await s3.send(new GetObjectCommand({ Bucket: 'bucket', Key: key }));
      assert.equal(await got.Body?.transformToString(), `content of ${key}`);
    }
    s3.destroy();
  });

  test('decodes a streaming S3 upload sent aws-chunked with a trailing checksum', async () => {
    const s3 = new S3Client({ endpoint, region: 'us-east-1', credentials, forcePathStyle: true });
    const payload = Buffer.alloc(200_000, 'x');
    received.length = 0;
    await s3.send(new PutObjectCommand({ Bucket: 'bucket', Key: 'stream.bin', Body: Readable.from([payload.subarray(0, 70_000), payload.subarray(70_000)]), ContentLength: payload.length }));
    const last = received.at(-1)!;
    assert.deepEqual(last.body, payload);
    assert.equal(last.contentSha256, 'STREAMING-UNSIGNED-PAYLOAD-TRAILER');
    assert.match(last.trailers['x-amz-checksum-crc32'] ?? '', /^[A-Za-z0-9+/]{6}==$/);
    s3.destroy();
  });

  test('authenticates a presigned S3 URL and refuses it once changed', async () => {
    const s3 = new S3Client({ endpoint, region: 'us-east-1', credentials, forcePathStyle: true });
    await s3.send(new PutObjectCommand({ Bucket: 'bucket', Key: 'shared file.txt', Body: 'shared' }));
    const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: 'bucket', Key: 'shared file.txt' }), { expiresIn: 300 });
    const ok = await fetch(url);
    assert.equal(ok.status, 200);
    assert.equal(await ok.text(), 'shared');
    const tampered = await fetch(url.replace('shared%20file', 'other%20file'));
    assert.equal(tampered.status, 403);
    assert.match(await tampered.text(), /<Code>SignatureDoesNotMatch<\/Code>/);
    s3.destroy();
  });
});
