// Platform-level fuzzing of the edge: signed junk over real HTTP to a platform on port 0, for every
// operation of every served service in each of its protocols, plus junk SigV4 headers, presigned
// URLs, aws-chunked bodies, headers and query strings. The property: no answer is 5xx (501 aside),
// the platform keeps answering, and its heap does not grow with the junk it has seen.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { loadModel, type OperationModel, type ServiceModel } from '@atoll/aws-models';
import { startPlatform, type TestPlatform } from '@atoll/test-support';
import { assertHeapBounded, fuzzParams, settledHeap } from './fuzz-settings.js';
import { junkRequest, LEFT_OUT } from './http-junk.js';
import { Junk } from './junk.js';
import { describeResponse, sendRaw, sendSigned, type RawRequest, type RawResponse } from './raw-http.js';

const SERVED = ['iam', 'sts', 'dynamodb', 'dynamodbstreams', 'elbv2', 'ecs', 's3', 'lambda', 'sqs', 'sns', 'cloudtrail'];

function assertNo5xx(res: RawResponse, what: string): void {
  assert.ok(res.status < 500 || res.status === 501, `${what} answered ${describeResponse(res)}`);
}

describe('the edge under signed junk', () => {
  let p: TestPlatform;
  const operations: { model: ServiceModel; operation: OperationModel }[] = [];
  let heap = 0;

  before(async () => {
    p = await startPlatform({ services: SERVED });
    for (const name of SERVED) {
      const model = await loadModel(name);
      for (const operation of Object.values(model.operations)) {
        if (!LEFT_OUT.has(`${name}.${operation.name}`)) operations.push({ model, operation });
      }
    }
    const bucket = await sendSigned(p.endpoint, p.credentials, 's3', { method: 'PUT', path: '/fuzz' });
    assert.equal(bucket.status, 200);
    heap = settledHeap();
  });
  after(async () => {
    // The platform still answers, and what the junk left on the heap is bounded.
    const alive = await sendSigned(p.endpoint, p.credentials, 'sts', {
      method: 'POST',
      path: '/',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=GetCallerIdentity&Version=2011-06-15',
    });
    assert.equal(alive.status, 200);
    assertHeapBounded(heap, 96, 'the platform after the edge fuzzers');
    await p.stop();
  });

  test('every operation of every served service, in each of its protocols, answers junk without a 5xx', async () => {
    const run = async (index: number, seed: number) => {
      const { model, operation } = operations[index]!;
      const req = junkRequest(model, operation, seed);
      const res = await sendSigned(p.endpoint, p.credentials, model.metadata.signingName, req);
      assertNo5xx(res, `${model.metadata.name} ${operation.name} (seed ${seed}) ${req.method} ${req.path} ${String(req.body ?? '').slice(0, 300)}`);
    };
    await fc.assert(fc.asyncProperty(fc.nat(operations.length - 1), fc.integer(), run), fuzzParams(300));
    // Every operation at least once, whatever the seed picked.
    for (let i = 0; i < operations.length; i++) await run(i, i);
  });

  test('junk SigV4 Authorization headers, dates, tokens and payload hashes answer 4xx', async () => {
    const part = (junk: Junk) => (junk.chance(0.5) ? junk.ascii(1 + junk.int(12)) : junk.string());
    await fc.assert(
      fc.asyncProperty(fc.integer(), fc.constantFrom('s3', 'sqs', 'dynamodb', 'sts', 'lambda', 'sns'), async (seed, service) => {
        const junk = new Junk(seed);
        const credential = junk.pick([
          `${p.credentials.accessKeyId}/20240101/us-east-1/${service}/aws4_request`,
          `${part(junk)}/${part(junk)}/${part(junk)}/${part(junk)}/${part(junk)}`,
          `${p.credentials.accessKeyId}/${part(junk)}`,
          '',
          part(junk),
        ]);
        const fields = [
          `Credential=${credential}`,
          `SignedHeaders=${junk.pick(['host;x-amz-date', 'host', '', ';;', part(junk), 'x-amz-date', 'host;x-amz-content-sha256;x-amz-date'])}`,
          `Signature=${junk.pick(['0'.repeat(64), 'zz', '', part(junk)])}`,
        ].filter(() => junk.chance(0.9));
        if (junk.chance(0.2)) fields.push(`${part(junk)}=${part(junk)}`);
        const headers: Record<string, string> = {
          authorization: `${junk.pick(['AWS4-HMAC-SHA256', 'AWS4-ECDSA-P256-SHA256', 'AWS', '', part(junk)])} ${fields.join(junk.pick([', ', ',', ' ', ',,']))}`,
          'x-amz-date': junk.pick(['20240101T000000Z', new Date().toISOString().replace(/[-:]|\.\d{3}/g, ''), '', part(junk), '99999999T999999Z']),
        };
        if (junk.chance(0.3)) headers['x-amz-security-token'] = part(junk);
        if (junk.chance(0.5)) headers['x-amz-content-sha256'] = junk.pick(['UNSIGNED-PAYLOAD', 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD', 'STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD', 'x', '0'.repeat(64), part(junk)]);
        if (junk.chance(0.2)) headers.date = part(junk);
        const req: RawRequest =
          service === 's3'
            ? { method: junk.pick(['GET', 'PUT', 'HEAD', 'DELETE']), path: junk.pick(['/', '/fuzz', '/fuzz/key']), headers, body: junk.chance(0.3) ? junk.string() : undefined }
            : { method: 'POST', path: '/', headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' }, body: 'Action=ListQueues&Version=2012-11-05' };
        for (const [k, v] of Object.entries(req.headers!)) req.headers![k] = v.replace(/[^\t\x20-\x7e]/g, '?');
        if (service === 'dynamodb') Object.assign(req.headers!, { 'x-amz-target': 'DynamoDB_20120810.ListTables', 'content-type': 'application/x-amz-json-1.0' });
        if (service !== 's3') req.body = service === 'dynamodb' ? '{}' : req.body;
        const res = await sendRaw(p.endpoint, req);
        assertNo5xx(res, `${service} ${JSON.stringify(headers)}`);
        assert.ok(res.status >= 400, `junk credentials were accepted: ${JSON.stringify(headers)}`);
      }),
      fuzzParams(200),
    );
  });

  test('junk presigned URLs answer 4xx', async () => {
    const words = ['AWS4-HMAC-SHA256', '', '0', '-1', '604801', '99999999999999999999', '20240101T000000Z', 'host', 'host;x-amz-date', '%', '%ZZ', '%E2%82', '\u00ff'];
    await fc.assert(
      fc.asyncProperty(
        fc.integer(),
        fc.subarray(['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Signature', 'X-Amz-Security-Token', 'x-id']),
        async (seed, names) => {
          const junk = new Junk(seed);
          const value = () => (junk.chance(0.5) ? junk.pick(words) : junk.chance(0.5) ? `${p.credentials.accessKeyId}/20240101/us-east-1/s3/aws4_request` : junk.string());
          const raw = (text: string) => text.replace(/[\uD800-\uDFFF]/g, '?').replace(/[^\x21-\x7e]|#/g, (c) => encodeURIComponent(c));
          const pieces = ['X-Amz-Algorithm=AWS4-HMAC-SHA256', ...names.map((n) => `${n}=${junk.chance(0.2) ? raw(value()) : encodeURIComponent(value().replace(/[\uD800-\uDFFF]/g, '?'))}`)];
          const s3 = junk.chance(0.6);
          const res = await sendRaw(p.endpoint, {
            method: s3 ? junk.pick(['GET', 'PUT', 'HEAD']) : 'GET',
            path: s3 ? junk.pick(['/fuzz/key', '/fuzz', '/']) : '/',
            rawQuery: s3 ? pieces.join('&') : `Action=ListQueues&Version=2012-11-05&${pieces.join('&')}`,
          });
          assertNo5xx(res, `presigned ${pieces.join('&')}`);
          assert.ok(res.status >= 400);
        },
      ),
      fuzzParams(200),
    );
  });

  test('junk aws-chunked bodies to S3 PutObject answer 4xx or store what they carried', async () => {
    const chunk = fc.oneof(
      fc.record({ size: fc.nat(40), data: fc.string({ maxLength: 40 }), ext: fc.constantFrom('', ';chunk-signature=' + '0'.repeat(64), ';x', ';chunk-signature=zz', ';'), crlf: fc.constantFrom('\r\n', '\n', '', '\r') }),
      fc.constantFrom('0\r\n\r\n', '0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n', 'ffffffffffffffff\r\n', '-1\r\n', 'zz\r\n', '\r\n', '0;chunk-signature=\r\n\r\n', `${'1'.repeat(5000)}\r\n`),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(chunk, { maxLength: 6 }),
        fc.constantFrom('STREAMING-UNSIGNED-PAYLOAD-TRAILER', 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD', 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER'),
        fc.oneof(fc.constant(undefined), fc.nat(100).map(String), fc.constantFrom('-1', 'x', '99999999999999999999')),
        fc.option(fc.constantFrom('x-amz-checksum-crc32', 'x-amz-checksum-sha256', 'x-bogus', ',,')),
        async (chunks, sha, decodedLength, trailer) => {
          const body = chunks
            .map((c) => (typeof c === 'string' ? c : `${c.size.toString(16)}${c.ext}\r\n${c.data}${c.crlf}`))
            .join('');
          const headers: Record<string, string> = { 'content-encoding': 'aws-chunked', 'x-amz-content-sha256': sha };
          if (decodedLength !== undefined) headers['x-amz-decoded-content-length'] = decodedLength;
          if (trailer) headers['x-amz-trailer'] = trailer;
          const res = await sendSigned(p.endpoint, p.credentials, 's3', { method: 'PUT', path: '/fuzz/chunked', headers, body });
          assertNo5xx(res, `aws-chunked ${sha} ${JSON.stringify(body).slice(0, 300)}`);
        },
      ),
      fuzzParams(200),
    );
  });

  test('junk headers and query strings on valid requests answer without a 5xx', async () => {
    const headerName = fc.oneof(
      fc.constantFrom('content-type', 'content-md5', 'content-length-x', 'range', 'if-match', 'if-none-match', 'if-modified-since', 'x-amz-meta-__proto__', 'x-amz-copy-source', 'x-amz-copy-source-range', 'x-amz-acl', 'x-amz-tagging', 'x-amz-server-side-encryption', 'x-amz-checksum-crc32', 'x-amz-sdk-checksum-algorithm', 'x-amz-target', 'x-amz-storage-class', 'x-amz-object-lock-mode', 'x-amz-expected-bucket-owner', 'expires', 'x-amzn-trace-id', 'traceparent', 'x-amz-bucket-region', 'x-amz-mfa', 'x-amz-grant-read', 'x-amz-website-redirect-location', 'x-amz-request-payer', 'x-amz-meta-a'),
      fc.stringMatching(/^x-amz-[a-z0-9-]{1,16}$/),
    );
    const headerValue = fc.oneof(fc.string().map((s) => s.replace(/[^\t\x20-\x7e]/g, '?')), fc.constantFrom('bytes=0-', 'bytes=-0', 'bytes=5-1', 'bytes=99999999999999999999-', '*', '"', 'fuzz/key', '/fuzz/key?versionId=x', 'application/x-amz-json-1.0', '0', 'Thu, 01 Jan 1970 00:00:00 GMT', '00-0-0-0', 'Root=1-x'));
    const query = fc.array(fc.tuple(fc.oneof(fc.constantFrom('versionId', 'uploadId', 'partNumber', 'list-type', 'max-keys', 'prefix', 'delimiter', 'continuation-token', 'encoding-type', 'response-content-type', 'tagging', 'acl', 'uploads', 'Action', 'x-id', 'start-after', 'max-parts', 'part-number-marker', 'fetch-owner'), fc.string()), fc.string()), { maxLength: 5 });
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('GET', 'PUT', 'HEAD', 'DELETE', 'POST'), fc.constantFrom('/fuzz', '/fuzz/key', '/', '/fuzz/a%2Fb', '/fuzz/..%2F..'), fc.array(fc.tuple(headerName, headerValue), { maxLength: 6 }), query, fc.option(fc.string({ maxLength: 64 })), async (method, path, headers, q, body) => {
        const res = await sendSigned(p.endpoint, p.credentials, 's3', { method, path, query: q, headers: Object.fromEntries(headers), body: body ?? undefined });
        assertNo5xx(res, `${method} ${path} ${JSON.stringify(q)} ${JSON.stringify(headers)}`);
      }),
      fuzzParams(300),
    );
    // Raw query strings with broken escapes, unsigned and signed-shaped.
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(fc.string(), fc.constantFrom('%', '%Z', '%E2%82', '%00', '=', '&', '+', 'Action=ListQueues', 'uploads', 'x-id=GetObject')), { maxLength: 6 }), async (parts) => {
        const rawQuery = parts.join('').replace(/[^\x21-\x7e]/g, (c) => encodeURIComponent(c.replace(/[\uD800-\uDFFF]/g, '?'))).replace(/#/g, '%23');
        const res = await sendRaw(p.endpoint, { method: 'GET', path: '/fuzz/key', rawQuery });
        assertNo5xx(res, `GET /fuzz/key?${rawQuery}`);
      }),
      fuzzParams(150),
    );
  });
});
