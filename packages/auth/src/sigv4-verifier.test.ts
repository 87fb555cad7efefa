import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { ACCESS_KEY_ID, IDENTITY, lookup, presignRequest, signRequest, type SignOptions } from '../test/signing.js';
import { needsBodyHash, peekCredentialScope, verifySigV4, type SigV4Request, type VerifyOptions } from './sigv4-verifier.js';
import type { AuthError } from './auth-errors.js';

const NOW = new Date('2024-01-01T00:15:00Z');
const SIGNED_AT = new Date('2024-01-01T00:14:30Z');

function opts(extra: Partial<VerifyOptions> = {}): VerifyOptions {
  return { lookupSecret: lookup(), now: NOW, ...extra };
}

async function rejection(promise: Promise<unknown>): Promise<AuthError> {
  try {
    await promise;
  } catch (err) {
    return err as AuthError;
  }
  assert.fail('expected the verification to fail');
}

const sqs = (extra: Partial<SignOptions> = {}): SignOptions => ({ service: 'sqs', date: SIGNED_AT, ...extra });
const s3 = (extra: Partial<SignOptions> = {}): SignOptions => ({ service: 's3', date: SIGNED_AT, ...extra });

describe('verifySigV4 with the Authorization header', () => {
  test('accepts a GET with a query string signed by the SDK and returns the identity and signing material', async () => {
    const request = await signRequest({ method: 'GET', path: '/', query: { Action: 'ListQueues', Version: '2012-11-05' } }, sqs());
    const result = await verifySigV4(request, opts({ service: 'sqs', region: 'us-east-1' }));
    assert.deepEqual(result.identity, IDENTITY);
    assert.equal(result.accessKeyId, ACCESS_KEY_ID);
    assert.equal(result.region, 'us-east-1');
    assert.equal(result.service, 'sqs');
    assert.equal(result.scope, '20240101/us-east-1/sqs/aws4_request');
    assert.equal(result.date, '20240101T001430Z');
    assert.equal(result.presigned, false);
    assert.equal(result.signingKey.length, 32);
  });

  test('reads an Authorization header laid out otherwise (spacing, field order) as the SDK form', async () => {
    const request = await signRequest({ method: 'GET', path: '/', query: { Action: 'ListQueues', Version: '2012-11-05' } }, sqs());
    const sdkForm = String(request.headers.authorization);
    const m = /^AWS4-HMAC-SHA256 Credential=(\S+), SignedHeaders=(\S+), Signature=(\S+)$/.exec(sdkForm);
    assert.ok(m, sdkForm);
    const expected = await verifySigV4(request, opts());
    for (const layout of [
      `AWS4-HMAC-SHA256 Signature=${m[3]},SignedHeaders=${m[2]},Credential=${m[1]}`,
      `AWS4-HMAC-SHA256  Credential=${m[1]},\tSignedHeaders=${m[2]}, Signature=${m[3]}`,
      `AWS4-HMAC-SHA256 Credential=${m[1]},SignedHeaders=${m[2]},Signature=${m[3]}`,
    ]) {
      const result = await verifySigV4({ ...request, headers: { ...request.headers, authorization: layout } }, opts());
      assert.deepEqual({ ...result, requestTime: result.requestTime.getTime() }, { ...expected, requestTime: expected.requestTime.getTime() }, layout);
    }
    const wrong = await rejection(verifySigV4({ ...request, headers: { ...request.headers, authorization: sdkForm.replace(/.$/, (c) => (c === '0' ? '1' : '0')) } }, opts()));
    assert.equal(wrong.name, 'SignatureDoesNotMatch');
  });

  test('accepts a POST whose body hash the caller supplies', async () => {
    const body = 'Action=SendMessage&MessageBody=hello%20world&QueueUrl=http%3A%2F%2Flocalhost%2Fq';
    const request = await signRequest(
      { method: 'POST', path: '/', headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, body },
      sqs(),
    );
    assert.equal(needsBodyHash(request), true);
    const result = await verifySigV4(request, opts());
    assert.equal(result.contentSha256, createHash('sha256').update(body).digest('hex'));
  });

  test('rejects a POST whose body was changed with SignatureDoesNotMatch', async () => {
    const request = await signRequest({ method: 'POST', path: '/', body: 'Action=ListQueues' }, sqs());
    const err = await rejection(verifySigV4({ ...request, bodyHash: createHash('sha256').update('Action=DeleteQueue').digest('hex') }, opts()));
    assert.equal(err.name, 'SignatureDoesNotMatch');
    assert.equal(err.status, 403);
    assert.equal(
      err.message,
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
    );
  });

  test('accepts repeated, unsorted, empty and space-containing query parameters', async () => {
    const query = { zeta: 'z', alpha: ['b', 'a'], 'with space': 'a b+c', empty: '', 'a-b': '1', a: '2' };
    const request = await signRequest({ method: 'GET', path: '/', query }, sqs());
    await verifySigV4(request, opts());
  });

  test('accepts header values with runs of spaces, as signers fold them', async () => {
    const request = await signRequest({ method: 'GET', path: '/', headers: { 'x-amz-meta-note': '  a   lot   of  space  ' } }, sqs());
    request.headers['x-amz-meta-note'] = 'a   lot   of  space';
    await verifySigV4(request, opts());
  });

  test('accepts non-S3 paths with dot segments, double slashes and encoded characters (double encoding)', async () => {
    for (const path of ['/2015-03-31/functions/my%20function/invocations', '/a//b/./c/../d/', '/caf%C3%A9/%2B%2F']) {
      const request = await signRequest({ method: 'GET', path }, { service: 'lambda', date: SIGNED_AT });
      const result = await verifySigV4(request, opts({ service: 'lambda' }));
      assert.equal(result.service, 'lambda');
    }
  });

  test('rejects a changed signature with SignatureDoesNotMatch for query services and InvalidSignatureException for JSON services', async () => {
    const request = await signRequest({ method: 'GET', path: '/' }, sqs());
    const tampered: SigV4Request = {
      ...request,
      headers: { ...request.headers, authorization: String(request.headers.authorization).replace(/Signature=(.)/, (_m, c: string) => `Signature=${c === '0' ? '1' : '0'}`) },
    };
    const query = await rejection(verifySigV4(tampered, opts()));
    assert.equal(query.name, 'SignatureDoesNotMatch');
    assert.equal(query.status, 403);
    const json = await rejection(verifySigV4(tampered, opts({ dialect: 'json' })));
    assert.equal(json.name, 'InvalidSignatureException');
    assert.equal(json.status, 400);
    assert.equal(json.queryCode, 'SignatureDoesNotMatch');
  });

  test('rejects a changed signed header', async () => {
    const request = await signRequest({ method: 'GET', path: '/', headers: { 'x-amz-target': 'AmazonSQS.ListQueues' } }, sqs());
    const err = await rejection(verifySigV4({ ...request, headers: { ...request.headers, 'x-amz-target': 'AmazonSQS.DeleteQueue' } }, opts()));
    assert.equal(err.name, 'SignatureDoesNotMatch');
    assert.equal(err.kind, 'signature-mismatch');
  });

  test('rejects a changed path and a changed query', async () => {
    const request = await signRequest({ method: 'GET', path: '/queue/a', query: { Action: 'ReceiveMessage' } }, sqs());
    assert.equal((await rejection(verifySigV4({ ...request, path: '/queue/b' }, opts()))).name, 'SignatureDoesNotMatch');
    assert.equal((await rejection(verifySigV4({ ...request, query: 'Action=DeleteQueue' }, opts()))).name, 'SignatureDoesNotMatch');
  });

  test('rejects a request signed more than 15 minutes ago with AWS\'s exact message', async () => {
    const request = await signRequest({ method: 'GET', path: '/' }, sqs({ date: new Date('2024-01-01T00:00:00Z') }));
    const err = await rejection(verifySigV4(request, opts({ now: new Date('2024-01-01T00:20:00Z') })));
    assert.equal(err.name, 'SignatureDoesNotMatch');
    assert.equal(err.status, 403);
    assert.equal(err.message, 'Signature expired: 20240101T000000Z is now earlier than 20240101T000500Z (20240101T002000Z - 15 min.)');
  });

  test('rejects a request signed more than 15 minutes in the future', async () => {
    const request = await signRequest({ method: 'GET', path: '/' }, sqs({ date: new Date('2024-01-01T00:40:00Z') }));
    const err = await rejection(verifySigV4(request, opts()));
    assert.equal(err.name, 'SignatureDoesNotMatch');
    assert.equal(err.message, 'Signature not yet current: 20240101T004000Z is still later than 20240101T003000Z (20240101T001500Z + 15 min.)');
  });

  test('rejects a credential scoped to another region or service with AWS\'s messages', async () => {
    const wrongRegion = await signRequest({ method: 'GET', path: '/' }, sqs({ region: 'eu-west-1' }));
    const regionErr = await rejection(verifySigV4(wrongRegion, opts({ region: 'us-east-1' })));
    assert.equal(regionErr.name, 'SignatureDoesNotMatch');
    assert.equal(regionErr.message, "Credential should be scoped to a valid region, not 'eu-west-1'.");
    const wrongService = await signRequest({ method: 'GET', path: '/' }, { service: 'sns', date: SIGNED_AT });
    const serviceErr = await rejection(verifySigV4(wrongService, opts({ service: 'sqs' })));
    assert.equal(serviceErr.name, 'SignatureDoesNotMatch');
    assert.equal(serviceErr.message, "Credential should be scoped to correct service: 'sqs'.");
    assert.equal(serviceErr.kind, 'credential-scope');
  });

  test('accepts any region when the caller does not fix one', async () => {
    const request = await signRequest({ method: 'GET', path: '/' }, sqs({ region: 'ap-southeast-2' }));
    assert.equal((await verifySigV4(request, opts())).region, 'ap-southeast-2');
  });

  test('rejects a credential scope whose date differs from the request date', async () => {
    const request = await signRequest({ method: 'GET', path: '/' }, sqs());
    request.headers.authorization = String(request.headers.authorization).replace('/20240101/', '/20231231/');
    const err = await rejection(verifySigV4(request, opts()));
    assert.equal(err.name, 'SignatureDoesNotMatch');
    assert.equal(
      err.message,
      "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20231231' != '20240101', from '20240101T001430Z'.",
    );
  });

  test('rejects an unknown access key with the dialect\'s code', async () => {
    const request = await signRequest({ method: 'GET', path: '/' }, sqs({ accessKeyId: 'AKIAUNKNOWNKEY000000' }));
    const query = await rejection(verifySigV4(request, opts()));
    assert.equal(query.name, 'InvalidClientTokenId');
    assert.equal(query.status, 403);
    assert.equal(query.message, 'The security token included in the request is invalid.');
    const json = await rejection(verifySigV4(request, opts({ dialect: 'json' })));
    assert.equal(json.name, 'UnrecognizedClientException');
    assert.equal(json.status, 400);
    assert.equal(json.kind, 'unknown-key');
  });

  test('passes the session token to the key lookup', async () => {
    const request = await signRequest({ method: 'GET', path: '/' }, sqs({ sessionToken: 'token-123' }));
    let seen: string | undefined;
    const result = await verifySigV4(request, {
      ...opts(),
      lookupSecret: async (id, context) => {
        seen = context.sessionToken;
        return lookup()(id, context);
      },
    });
    assert.equal(seen, 'token-123');
    assert.equal(result.sessionToken, 'token-123');
  });

  test('answers MissingAuthenticationToken when the request carries no signature', async () => {
    const request: SigV4Request = { method: 'GET', path: '/', query: 'Action=ListQueues', headers: { host: 'localhost' } };
    const query = await rejection(verifySigV4(request, opts()));
    assert.equal(query.name, 'MissingAuthenticationToken');
    assert.equal(query.status, 403);
    assert.equal(query.message, 'Request is missing Authentication Token');
    const json = await rejection(verifySigV4(request, opts({ dialect: 'json' })));
    assert.equal(json.name, 'MissingAuthenticationTokenException');
    const other = await rejection(verifySigV4({ ...request, headers: { authorization: 'Bearer abc' } }, opts()));
    assert.equal(other.name, 'MissingAuthenticationToken');
  });

  test('answers IncompleteSignature listing every missing Authorization part', async () => {
    const request: SigV4Request = { method: 'GET', path: '/', query: '', headers: { host: 'h', authorization: 'AWS4-HMAC-SHA256 Credential=a/b/c/d/e' } };
    const err = await rejection(verifySigV4(request, opts()));
    assert.equal(err.name, 'IncompleteSignature');
    assert.equal(err.status, 400);
    assert.equal(
      err.message,
      "Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256 Credential=a/b/c/d/e",
    );
  });

  test('answers IncompleteSignature for a parameter without an equal sign, a short credential and a bad date', async () => {
    const base = { method: 'GET', path: '/', query: '' };
    const pair = await rejection(verifySigV4({ ...base, headers: { authorization: 'AWS4-HMAC-SHA256 FooBar, Baz' } }, opts()));
    assert.equal(pair.message, "'FooBar' not a valid key=value pair (missing equal-sign) in Authorization header: 'AWS4-HMAC-SHA256 FooBar, Baz'");
    const short = await rejection(
      verifySigV4({ ...base, headers: { 'x-amz-date': '20240101T001430Z', authorization: 'AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/sqs, SignedHeaders=host;x-amz-date, Signature=00' } }, opts()),
    );
    assert.equal(short.name, 'IncompleteSignature');
    assert.equal(short.message, "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'AKID/20240101/us-east-1/sqs'");
    const date = await rejection(
      verifySigV4(
        { ...base, headers: { 'x-amz-date': '2024-01-01T00:14:30Z', authorization: 'AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/sqs/aws4_request, SignedHeaders=host;x-amz-date, Signature=00' } },
        opts(),
      ),
    );
    assert.equal(date.name, 'IncompleteSignature');
    assert.equal(date.message, "Date must be in ISO-8601 'basic format'. Got '2024-01-01T00:14:30Z'. See http://en.wikipedia.org/wiki/ISO_8601");
  });

  test('requires the host header to be signed', async () => {
    const request = await signRequest({ method: 'GET', path: '/' }, sqs());
    request.headers.authorization = String(request.headers.authorization).replace('SignedHeaders=host;', 'SignedHeaders=');
    const err = await rejection(verifySigV4(request, opts()));
    assert.equal(err.name, 'SignatureDoesNotMatch');
    assert.equal(err.message, "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  });

  test('refuses a request that carries both an Authorization header and a presigned query', async () => {
    const request = await signRequest({ method: 'GET', path: '/', query: { 'X-Amz-Algorithm': 'AWS4-HMAC-SHA256' } }, sqs());
    const err = await rejection(verifySigV4(request, opts()));
    assert.equal(err.name, 'SignatureDoesNotMatch');
  });
});

describe('verifySigV4 for S3', () => {
  const s3Path = (bucket: string, key: string): string =>
    `/${bucket}/${key.split('/').map((s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)).join('/')}`;

  test('accepts object keys with spaces, plus signs, unicode, double slashes and dot segments without normalizing them', async () => {
    for (const key of ['a b+c.txt', 'ünïcödé/日本語', 'dir//file', 'x/./y/../z', "it's (1)*!~.txt", 'trailing/']) {
      const request = await signRequest(
        { method: 'PUT', path: s3Path('bucket', key), headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } },
        s3(),
      );
      const result = await verifySigV4(request, opts());
      assert.equal(result.service, 's3', key);
      assert.equal(result.contentSha256, 'UNSIGNED-PAYLOAD');
    }
  });

  test('needs no body hash because S3 states it in x-amz-content-sha256', async () => {
    const request = await signRequest({ method: 'PUT', path: '/b/k', body: 'hello' }, s3());
    assert.equal(needsBodyHash(request), false);
    assert.equal((await verifySigV4({ ...request, bodyHash: undefined }, opts())).contentSha256, createHash('sha256').update('hello').digest('hex'));
  });

  test('answers XAmzContentSHA256Mismatch when the body differs from the signed hash', async () => {
    const request = await signRequest({ method: 'PUT', path: '/b/k', body: 'hello' }, s3());
    const err = await rejection(verifySigV4({ ...request, bodyHash: createHash('sha256').update('bye').digest('hex') }, opts()));
    assert.equal(err.name, 'XAmzContentSHA256Mismatch');
    assert.equal(err.status, 400);
    assert.equal(err.fields['ClientComputedContentSHA256'], createHash('sha256').update('hello').digest('hex'));
  });

  test('returns StringToSign, CanonicalRequest and the provided signature with SignatureDoesNotMatch', async () => {
    const request = await signRequest({ method: 'GET', path: '/b/k', headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } }, s3({ secretAccessKey: 'wrong-secret' }));
    const err = await rejection(verifySigV4(request, opts()));
    assert.equal(err.name, 'SignatureDoesNotMatch');
    assert.equal(err.status, 403);
    assert.equal(err.message, 'The request signature we calculated does not match the signature you provided. Check your key and signing method.');
    assert.equal(err.fields['AWSAccessKeyId'], ACCESS_KEY_ID);
    assert.match(String(err.fields['StringToSign']), /^AWS4-HMAC-SHA256\n20240101T001430Z\n20240101\/us-east-1\/s3\/aws4_request\n[0-9a-f]{64}$/);
    assert.match(String(err.fields['CanonicalRequest']), /^GET\n\/b\/k\n\nhost:127\.0\.0\.1:4566\n/);
    assert.match(String(err.fields['SignatureProvided']), /^[0-9a-f]{64}$/);
  });

  test('answers InvalidAccessKeyId with the key for an unknown key', async () => {
    const request = await signRequest({ method: 'GET', path: '/b', headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } }, s3({ accessKeyId: 'AKIANOBODY' }));
    const err = await rejection(verifySigV4(request, opts()));
    assert.equal(err.name, 'InvalidAccessKeyId');
    assert.equal(err.status, 403);
    assert.equal(err.fields['AWSAccessKeyId'], 'AKIANOBODY');
  });

  test('answers RequestTimeTooSkewed for a stale request', async () => {
    const request = await signRequest({ method: 'GET', path: '/b', headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } }, s3({ date: new Date('2024-01-01T00:00:00Z') }));
    const err = await rejection(verifySigV4(request, opts({ now: new Date('2024-01-01T01:00:00Z') })));
    assert.equal(err.name, 'RequestTimeTooSkewed');
    assert.equal(err.status, 403);
    assert.equal(err.fields['MaxAllowedSkewMilliseconds'], '900000');
    assert.equal(err.fields['RequestTime'], '20240101T000000Z');
  });

  test('answers AuthorizationHeaderMalformed naming the expected region', async () => {
    const request = await signRequest({ method: 'GET', path: '/b', headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } }, s3({ region: 'eu-west-1' }));
    const err = await rejection(verifySigV4(request, opts({ region: 'us-east-1' })));
    assert.equal(err.name, 'AuthorizationHeaderMalformed');
    assert.equal(err.status, 400);
    assert.equal(err.message, "The authorization header is malformed; the region 'eu-west-1' is wrong; expecting 'us-east-1'");
    assert.equal(err.fields['Region'], 'us-east-1');
  });

  test('requires x-amz-content-sha256 and a valid value for it', async () => {
    const request = await signRequest({ method: 'GET', path: '/b', headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } }, s3());
    const missing = { ...request, headers: { ...request.headers } };
    delete missing.headers['x-amz-content-sha256'];
    const missingErr = await rejection(verifySigV4(missing, opts()));
    assert.equal(missingErr.name, 'InvalidRequest');
    assert.equal(missingErr.message, 'Missing required header for this request: x-amz-content-sha256');
    const invalid = await rejection(verifySigV4({ ...request, headers: { ...request.headers, 'x-amz-content-sha256': 'nope' } }, opts()));
    assert.equal(invalid.name, 'InvalidArgument');
    assert.equal(invalid.fields['ArgumentName'], 'x-amz-content-sha256');
  });

  test('refuses x-amz- headers that were not signed', async () => {
    const request = await signRequest({ method: 'PUT', path: '/b/k', headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } }, s3());
    const err = await rejection(verifySigV4({ ...request, headers: { ...request.headers, 'x-amz-acl': 'public-read' } }, opts()));
    assert.equal(err.name, 'AccessDenied');
    assert.equal(err.message, 'There were headers present in the request which were not signed');
    assert.equal(err.fields['HeadersNotSigned'], 'x-amz-acl');
  });
});

describe('verifySigV4 with presigned URLs', () => {
  test('accepts an S3 presigned GET and treats its payload as unsigned', async () => {
    // As @aws-sdk/s3-request-presigner does: X-Amz-Content-Sha256 is hoisted into the query.
    const sdk = await presignRequest(
      { method: 'GET', path: '/bucket/some%20key.txt', query: { 'response-content-type': 'text/plain' }, headers: { 'X-Amz-Content-Sha256': 'UNSIGNED-PAYLOAD' } },
      { ...s3(), expiresIn: 3600 },
    );
    assert.match(sdk.query, /X-Amz-Content-Sha256=UNSIGNED-PAYLOAD/);
    assert.equal(needsBodyHash(sdk), false);
    const result = await verifySigV4(sdk, opts());
    assert.equal(result.presigned, true);
    assert.equal(result.contentSha256, 'UNSIGNED-PAYLOAD');
  });

  test('accepts an S3 presigned PUT with x-amz headers hoisted into the query', async () => {
    const request = await presignRequest(
      { method: 'PUT', path: '/bucket/k', headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', 'x-amz-meta-a': 'b' } },
      s3(),
    );
    assert.match(request.query, /x-amz-meta-a=b/);
    await verifySigV4(request, opts());
  });

  test('accepts a presigned STS request with a session token', async () => {
    const request = await presignRequest(
      { method: 'GET', path: '/', query: { Action: 'GetCallerIdentity', Version: '2011-06-15' } },
      { service: 'sts', date: SIGNED_AT, sessionToken: 'session/token+1=' },
    );
    request.bodyHash = createHash('sha256').update('').digest('hex');
    const result = await verifySigV4(request, opts({ service: 'sts' }));
    assert.equal(result.sessionToken, 'session/token+1=');
  });

  test('answers AccessDenied "Request has expired" for an expired S3 URL', async () => {
    const request = await presignRequest({ method: 'GET', path: '/bucket/k' }, { ...s3({ date: new Date('2024-01-01T00:00:00Z') }), expiresIn: 60 });
    const err = await rejection(verifySigV4(request, opts({ now: new Date('2024-01-01T00:01:01Z') })));
    assert.equal(err.name, 'AccessDenied');
    assert.equal(err.status, 403);
    assert.equal(err.message, 'Request has expired');
    assert.equal(err.fields['X-Amz-Expires'], '60');
    assert.equal(err.fields['Expires'], '2024-01-01T00:01:00Z');
  });

  test('refuses an expiry longer than a week', async () => {
    const request = await presignRequest({ method: 'GET', path: '/bucket/k' }, s3());
    const err = await rejection(verifySigV4({ ...request, query: request.query.replace(/X-Amz-Expires=\d+/, 'X-Amz-Expires=604801') }, opts()));
    assert.equal(err.name, 'AuthorizationQueryParametersError');
    assert.equal(err.status, 400);
    assert.equal(err.message, 'X-Amz-Expires must be less than a week (in seconds) that is 604800');
  });

  test('refuses a presigned URL missing one of its parameters', async () => {
    const request = await presignRequest({ method: 'GET', path: '/bucket/k' }, s3());
    const err = await rejection(verifySigV4({ ...request, query: request.query.replace(/&?X-Amz-SignedHeaders=[^&]*/, '') }, opts()));
    assert.equal(err.name, 'AuthorizationQueryParametersError');
    assert.equal(
      err.message,
      'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.',
    );
    const sqsErr = await rejection(verifySigV4({ method: 'GET', path: '/', headers: {}, query: 'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a' }, opts()));
    assert.equal(sqsErr.name, 'IncompleteSignature');
    assert.equal(
      sqsErr.message,
      "AWS query-string parameters must include 'X-Amz-Signature'. AWS query-string parameters must include 'X-Amz-SignedHeaders'. AWS query-string parameters must include 'X-Amz-Date'. Re-examine the query-string parameters.",
    );
  });

  test('rejects a presigned URL whose query was changed', async () => {
    const request = await presignRequest({ method: 'GET', path: '/bucket/k', query: { versionId: '1' } }, s3());
    const err = await rejection(verifySigV4({ ...request, query: request.query.replace('versionId=1', 'versionId=2') }, opts()));
    assert.equal(err.name, 'SignatureDoesNotMatch');
  });
});

describe('peekCredentialScope', () => {
  test('reads the signing name and region before verification, for routing', async () => {
    const header = await signRequest({ method: 'GET', path: '/' }, { service: 'dynamodb', region: 'eu-central-1', date: SIGNED_AT });
    assert.deepEqual(peekCredentialScope(header), { accessKeyId: ACCESS_KEY_ID, date: '20240101', region: 'eu-central-1', service: 'dynamodb' });
    const presigned = await presignRequest({ method: 'GET', path: '/b/k' }, s3());
    assert.equal(peekCredentialScope(presigned)?.service, 's3');
    assert.equal(peekCredentialScope({ headers: {}, query: '' }), undefined);
  });
});

describe('known AWS test vectors', () => {
  test('verifies the get-vanilla request of the AWS SigV4 test suite', async () => {
    const request: SigV4Request = {
      method: 'GET',
      path: '/',
      query: '',
      headers: {
        host: 'example.amazonaws.com',
        'x-amz-date': '20150830T123600Z',
        authorization:
          'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
      },
      bodyHash: createHash('sha256').update('').digest('hex'),
    };
    const result = await verifySigV4(request, {
      lookupSecret: lookup({ AKIDEXAMPLE: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' }),
      now: new Date('2015-08-30T12:36:00Z'),
    });
    assert.equal(result.service, 'service');
  });
});
