// S3 end to end through the real platform and the official SDK v3 (path-style and virtual-host
// addressing), presigned URLs with fetch, and raw HTTP for CORS preflight.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Agent } from 'node:http';
import { lookup as dnsLookup } from 'node:dns';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketLocationCommand,
  GetObjectAttributesCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListMultipartUploadsCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  ListPartsCommand,
  PutBucketCorsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';
import { checksumOf } from '../src/checksums.js';
import { startPlatform, type TestPlatform } from '@atoll/test-support';

let p: TestPlatform;
let s3: S3Client;
let vhost: S3Client;

/** An agent that resolves every `*.localhost` name to the loopback address. */
const loopbackAgent = new Agent({
  keepAlive: true,
  lookup: ((hostname: string, options: unknown, callback: (...args: unknown[]) => void) => {
    if (hostname.endsWith('.localhost') || hostname === 'localhost') {
      if ((options as { all?: boolean }).all) callback(null, [{ address: '127.0.0.1', family: 4 }]);
      else callback(null, '127.0.0.1', 4);
      return;
    }
    dnsLookup(hostname, options as never, callback as never);
  }) as never,
});

before(async () => {
  p = await startPlatform({ services: ['s3'] });
  s3 = p.client(S3Client, { forcePathStyle: true });
  const port = new URL(p.endpoint).port;
  vhost = p.client(S3Client, { endpoint: `http://s3.localhost:${port}`, forcePathStyle: false, requestHandler: { httpAgent: loopbackAgent } });
  await s3.send(new CreateBucketCommand({ Bucket: 'sdk' }));
});
after(async () => {
  loopbackAgent.destroy();
  await p.stop();
});

const MiB = 1024 * 1024;

describe('S3 through the SDK', () => {
  test('puts and gets an object with metadata, the default CRC32 trailer checksum and response checksum validation', async () => {
    const put = await s3.send(new PutObjectCommand({ Bucket: 'sdk', Key: 'dir/hello world.txt', Body: 'hello', ContentType: 'text/plain', Metadata: { colour: 'blue' } }));
    assert.equal(put.ETag, `"${createHash('md5').update('hello').digest('hex')}"`);
    assert.ok(put.ChecksumCRC32);
    const got = await s3.send(new GetObjectCommand({ Bucket: 'sdk', Key: 'dir/hello world.txt', ChecksumMode: 'ENABLED' }));
    assert.equal(await got.Body!.transformToString(), 'hello');
    assert.equal(got.ContentType, 'text/plain');
    assert.deepEqual(got.Metadata, { colour: 'blue' });
    assert.equal(got.ChecksumCRC32, put.ChecksumCRC32);
  });

  test('addresses buckets virtual-host style (bucket.s3.localhost)', async () => {
    await vhost.send(new PutObjectCommand({ Bucket: 'sdk', Key: 'vhost/key.txt', Body: 'via host' }));
    const got = await vhost.send(new GetObjectCommand({ Bucket: 'sdk', Key: 'vhost/key.txt' }));
    assert.equal(await got.Body!.transformToString(), 'via host');
    const listed = await vhost.send(new ListObjectsV2Command({ Bucket: 'sdk', Prefix: 'vhost/' }));
    assert.deepEqual(listed.Contents?.map((c) => c.Key), ['vhost/key.txt']);
    await vhost.send(new HeadBucketCommand({ Bucket: 'sdk' }));
  });

  test('answers S3 error codes the SDK maps to its exception classes', async () => {
    await assert.rejects(s3.send(new GetObjectCommand({ Bucket: 'sdk', Key: 'missing' })), (e: any) => {
      assert.equal(e.name, 'NoSuchKey');
      assert.equal(e.$metadata.httpStatusCode, 404);
      return true;
    });
    await assert.rejects(s3.send(new GetObjectCommand({ Bucket: 'no-such-bucket-x', Key: 'k' })), (e: any) => {
      assert.equal(e.name, 'NoSuchBucket');
      assert.equal(e.$metadata.httpStatusCode, 404);
      return true;
    });
    await assert.rejects(s3.send(new HeadObjectCommand({ Bucket: 'sdk', Key: 'missing' })), (e: any) => {
      assert.equal(e.name, 'NotFound');
      assert.equal(e.$metadata.httpStatusCode, 404);
      return true;
    });
    await assert.rejects(s3.send(new CreateBucketCommand({ Bucket: 'sdk' })), (e: any) => {
      assert.equal(e.name, 'BucketAlreadyOwnedByYou');
      assert.equal(e.$metadata.httpStatusCode, 409);
      return true;
    });
    await assert.rejects(s3.send(new CreateBucketCommand({ Bucket: 'Invalid_Name' })), (e: any) => {
      assert.equal(e.name, 'InvalidBucketName');
      assert.equal(e.$metadata.httpStatusCode, 400);
      return true;
    });
  });

  test('serves ranges with 206 and refuses an unsatisfiable range with 416 InvalidRange', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'sdk', Key: 'digits', Body: '0123456789' }));
    const part = await s3.send(new GetObjectCommand({ Bucket: 'sdk', Key: 'digits', Range: 'bytes=3-5' }));
    assert.equal(await part.Body!.transformToString(), '345');
    assert.equal(part.ContentRange, 'bytes 3-5/10');
    await assert.rejects(s3.send(new GetObjectCommand({ Bucket: 'sdk', Key: 'digits', Range: 'bytes=20-' })), (e: any) => {
      assert.equal(e.name, 'InvalidRange');
      assert.equal(e.$metadata.httpStatusCode, 416);
      return true;
    });
  });

  test(
    'answers a range read with status 206 Partial Content',
    async () => {
      const part = await s3.send(new GetObjectCommand({ Bucket: 'sdk', Key: 'digits', Range: 'bytes=3-5' }));
      await part.Body!.transformToString();
      assert.equal(part.$metadata.httpStatusCode, 206);
    },
  );

  test('honours conditional reads and conditional writes', async () => {
    const put = await s3.send(new PutObjectCommand({ Bucket: 'sdk', Key: 'cond', Body: 'v' }));
    await assert.rejects(s3.send(new GetObjectCommand({ Bucket: 'sdk', Key: 'cond', IfMatch: '"nope"' })), (e: any) => {
      assert.equal(e.name, 'PreconditionFailed');
      assert.equal(e.$metadata.httpStatusCode, 412);
      return true;
    });
    await assert.rejects(s3.send(new GetObjectCommand({ Bucket: 'sdk', Key: 'cond', IfNoneMatch: put.ETag })), (e: any) => {
      assert.equal(e.$metadata.httpStatusCode, 304);
      return true;
    });
    await assert.rejects(s3.send(new PutObjectCommand({ Bucket: 'sdk', Key: 'cond', Body: 'w', IfNoneMatch: '*' })), (e: any) => {
      assert.equal(e.name, 'PreconditionFailed');
      assert.equal(e.$metadata.httpStatusCode, 412);
      return true;
    });
  });

  test('refuses a wrong checksum with BadDigest and stores nothing', async () => {
    await assert.rejects(
      s3.send(new PutObjectCommand({ Bucket: 'sdk', Key: 'bad-sum', Body: 'data', ChecksumSHA256: createHash('sha256').update('other').digest('base64') })),
      (e: any) => {
        assert.equal(e.name, 'BadDigest');
        assert.equal(e.$metadata.httpStatusCode, 400);
        return true;
      },
    );
    await assert.rejects(s3.send(new HeadObjectCommand({ Bucket: 'sdk', Key: 'bad-sum' })), (e: any) => e.name === 'NotFound');
  });

  test('verifies a trailing checksum of an aws-chunked body and refuses a wrong one with BadDigest', async () => {
    const send = async (key: string, trailer: string) => {
      const url = new URL(p.endpoint);
      const body = `5\r\nhello\r\n0\r\nx-amz-checksum-crc32:${trailer}\r\n\r\n`;
      const signer = new SignatureV4({ service: 's3', region: p.region, credentials: p.credentials, sha256: Sha256, uriEscapePath: false });
      const signed = await signer.sign({
        method: 'PUT',
        protocol: 'http:',
        hostname: url.hostname,
        port: Number(url.port),
        path: `/sdk/${key}`,
        headers: {
          host: url.host,
          'content-encoding': 'aws-chunked',
          'content-length': String(Buffer.byteLength(body)),
          'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
          'x-amz-decoded-content-length': '5',
          'x-amz-trailer': 'x-amz-checksum-crc32',
        },
      });
      return fetch(`${p.endpoint}/sdk/${key}`, { method: 'PUT', headers: signed.headers, body });
    };
    const good = await send('chunked-good', checksumOf('CRC32', Buffer.from('hello')));
    assert.equal(good.status, 200, await good.text());
    const got = await s3.send(new GetObjectCommand({ Bucket: 'sdk', Key: 'chunked-good' }));
    assert.equal(await got.Body!.transformToString(), 'hello');
    const bad = await send('chunked-bad', checksumOf('CRC32', Buffer.from('other')));
    assert.equal(bad.status, 400);
    assert.match(await bad.text(), /<Code>BadDigest<\/Code>/);
    await assert.rejects(s3.send(new HeadObjectCommand({ Bucket: 'sdk', Key: 'chunked-bad' })), (e: any) => e.name === 'NotFound');
  });

  test('lists with v1, v2, delimiters and pagination', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'sdk-list' }));
    for (const key of ['a/1', 'a/2', 'b', 'c/d/e', 'é']) await s3.send(new PutObjectCommand({ Bucket: 'sdk-list', Key: key, Body: key }));
    const v2 = await s3.send(new ListObjectsV2Command({ Bucket: 'sdk-list', Delimiter: '/', MaxKeys: 2 }));
    assert.deepEqual(v2.CommonPrefixes?.map((c) => c.Prefix), ['a/']);
    assert.deepEqual(v2.Contents?.map((c) => c.Key), ['b']);
    assert.equal(v2.IsTruncated, true);
    const next = await s3.send(new ListObjectsV2Command({ Bucket: 'sdk-list', Delimiter: '/', MaxKeys: 2, ContinuationToken: v2.NextContinuationToken }));
    assert.deepEqual(next.CommonPrefixes?.map((c) => c.Prefix), ['c/']);
    assert.deepEqual(next.Contents?.map((c) => c.Key), ['é']);
    const v1 = await s3.send(new ListObjectsCommand({ Bucket: 'sdk-list', Marker: 'a/2' }));
    assert.deepEqual(v1.Contents?.map((c) => c.Key), ['b', 'c/d/e', 'é']);
    const encoded = await s3.send(new ListObjectsV2Command({ Bucket: 'sdk-list', Prefix: 'é', EncodingType: 'url' }));
    assert.equal(encoded.Contents?.length, 1);
  });

  test('keeps versions and delete markers', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'sdk-ver' }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: 'sdk-ver', VersioningConfiguration: { Status: 'Enabled' } }));
    const v1 = await s3.send(new PutObjectCommand({ Bucket: 'sdk-ver', Key: 'k', Body: 'one' }));
    await s3.send(new PutObjectCommand({ Bucket: 'sdk-ver', Key: 'k', Body: 'two' }));
    const del = await s3.send(new DeleteObjectCommand({ Bucket: 'sdk-ver', Key: 'k' }));
    assert.equal(del.DeleteMarker, true);
    await assert.rejects(s3.send(new GetObjectCommand({ Bucket: 'sdk-ver', Key: 'k' })), (e: any) => e.name === 'NoSuchKey');
    const old = await s3.send(new GetObjectCommand({ Bucket: 'sdk-ver', Key: 'k', VersionId: v1.VersionId }));
    assert.equal(await old.Body!.transformToString(), 'one');
    const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: 'sdk-ver' }));
    assert.equal(versions.Versions?.length, 2);
    assert.equal(versions.DeleteMarkers?.length, 1);
    assert.equal(versions.DeleteMarkers?.[0]?.IsLatest, true);
  });

  test('uploads in parts, lists parts and uploads, and completes with an md5-of-md5s ETag', async () => {
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'sdk', Key: 'multi' }));
    const parts = [Buffer.alloc(5 * MiB, 1), Buffer.alloc(1000, 2)];
    const etags: string[] = [];
    for (const [i, body] of parts.entries()) {
      etags.push((await s3.send(new UploadPartCommand({ Bucket: 'sdk', Key: 'multi', UploadId, PartNumber: i + 1, Body: body }))).ETag!);
    }
    const listedParts = await s3.send(new ListPartsCommand({ Bucket: 'sdk', Key: 'multi', UploadId }));
    assert.equal(listedParts.Parts?.length, 2);
    const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: 'sdk' }));
    assert.ok(uploads.Uploads?.some((u) => u.UploadId === UploadId));
    const done = await s3.send(
      new CompleteMultipartUploadCommand({ Bucket: 'sdk', Key: 'multi', UploadId, MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) } }),
    );
    assert.match(done.ETag!, /^"[0-9a-f]{32}-2"$/);
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'sdk', Key: 'multi' }));
    assert.equal(head.ContentLength, 5 * MiB + 1000);
    const attrs = await s3.send(new GetObjectAttributesCommand({ Bucket: 'sdk', Key: 'multi', ObjectAttributes: ['ObjectParts', 'ObjectSize'] }));
    assert.equal(attrs.ObjectSize, 5 * MiB + 1000);
    assert.equal(attrs.ObjectParts?.TotalPartsCount, 2);
  });

  test('refuses a multipart completion with a small non-final part, and aborts', async () => {
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'sdk', Key: 'small-parts' }));
    const e1 = (await s3.send(new UploadPartCommand({ Bucket: 'sdk', Key: 'small-parts', UploadId, PartNumber: 1, Body: 'a' }))).ETag!;
    const e2 = (await s3.send(new UploadPartCopyCommand({ Bucket: 'sdk', Key: 'small-parts', UploadId, PartNumber: 2, CopySource: 'sdk/digits' }))).CopyPartResult!.ETag!;
    await assert.rejects(
      s3.send(new CompleteMultipartUploadCommand({ Bucket: 'sdk', Key: 'small-parts', UploadId, MultipartUpload: { Parts: [{ ETag: e1, PartNumber: 1 }, { ETag: e2, PartNumber: 2 }] } })),
      (e: any) => {
        assert.equal(e.name, 'EntityTooSmall');
        assert.equal(e.$metadata.httpStatusCode, 400);
        return true;
      },
    );
    await s3.send(new AbortMultipartUploadCommand({ Bucket: 'sdk', Key: 'small-parts', UploadId }));
    await assert.rejects(s3.send(new ListPartsCommand({ Bucket: 'sdk', Key: 'small-parts', UploadId })), (e: any) => e.name === 'NoSuchUpload');
  });

  test('copies across buckets, tags objects and deletes many at once', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'sdk-copy' }));
    const copy = await s3.send(new CopyObjectCommand({ Bucket: 'sdk-copy', Key: 'copied', CopySource: 'sdk/dir/hello%20world.txt' }));
    assert.ok(copy.CopyObjectResult?.ETag);
    const got = await s3.send(new GetObjectCommand({ Bucket: 'sdk-copy', Key: 'copied' }));
    assert.equal(await got.Body!.transformToString(), 'hello');
    await s3.send(new PutObjectTaggingCommand({ Bucket: 'sdk-copy', Key: 'copied', Tagging: { TagSet: [{ Key: 'k', Value: 'v' }] } }));
    assert.deepEqual((await s3.send(new GetObjectTaggingCommand({ Bucket: 'sdk-copy', Key: 'copied' }))).TagSet, [{ Key: 'k', Value: 'v' }]);
    const deleted = await s3.send(new DeleteObjectsCommand({ Bucket: 'sdk-copy', Delete: { Objects: [{ Key: 'copied' }, { Key: 'never' }] } }));
    assert.equal(deleted.Deleted?.length, 2);
    await s3.send(new DeleteBucketCommand({ Bucket: 'sdk-copy' }));
  });

  test('lists buckets and reports a bucket location', async () => {
    const buckets = await s3.send(new ListBucketsCommand({}));
    assert.ok(buckets.Buckets?.some((b) => b.Name === 'sdk'));
    const location = await s3.send(new GetBucketLocationCommand({ Bucket: 'sdk' }));
    assert.ok(!location.LocationConstraint);
  });

  test('serves presigned GET and PUT URLs to plain fetch', async () => {
    const putUrl = await getSignedUrl(s3, new PutObjectCommand({ Bucket: 'sdk', Key: 'presigned.txt' }), { expiresIn: 60 });
    const put = await fetch(putUrl, { method: 'PUT', body: 'signed body' });
    assert.equal(put.status, 200);
    const getUrl = await getSignedUrl(s3, new GetObjectCommand({ Bucket: 'sdk', Key: 'presigned.txt' }), { expiresIn: 60 });
    const got = await fetch(getUrl);
    assert.equal(got.status, 200);
    assert.equal(await got.text(), 'signed body');
    const tampered = await fetch(getUrl.replace('presigned.txt', 'other.txt'));
    assert.equal(tampered.status, 403);
  });

  test('refuses a presigned URL once it has expired', async () => {
    const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: 'sdk', Key: 'presigned.txt' }), { expiresIn: 1 });
    await new Promise((r) => setTimeout(r, 2100));
    const res = await fetch(url);
    assert.equal(res.status, 403);
    assert.match(await res.text(), /<Code>AccessDenied<\/Code>/);
  });

  test('answers CORS preflight requests from the bucket CORS rules', async () => {
    await s3.send(new PutBucketCorsCommand({ Bucket: 'sdk', CORSConfiguration: { CORSRules: [{ AllowedOrigins: ['https://app.test'], AllowedMethods: ['GET', 'PUT'], AllowedHeaders: ['*'] }] } }));
    const ok = await fetch(`${p.endpoint}/sdk/dir/file`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.test', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type' },
    });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('access-control-allow-origin'), 'https://app.test');
    const denied = await fetch(`${p.endpoint}/sdk/dir/file`, { method: 'OPTIONS', headers: { origin: 'https://evil.test', 'access-control-request-method': 'PUT' } });
    assert.equal(denied.status, 403);
  });
});
