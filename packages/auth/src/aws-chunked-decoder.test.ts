import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { lookup, signRequest, signer } from '../test/signing.js';
import { AwsChunkedDecoder, type AwsChunkedDecoderOptions } from './aws-chunked-decoder.js';
import { verifySigV4, type AuthResult } from './sigv4-verifier.js';
import type { ServiceError } from '@atoll/core';

const DATE = new Date('2024-01-01T00:00:00Z');
const EMPTY = createHash('sha256').update('').digest('hex');
const sha = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');
const PAYLOAD = Buffer.from('The quick brown fox jumps over the lazy dog. Ünïcödé bytes too: 日本語.');
const CHUNKS = [PAYLOAD.subarray(0, 30), PAYLOAD.subarray(30, 60), PAYLOAD.subarray(60)];
const CRC = 'AAAAAA==';

/** Runs the decoder over the body, fed in the given pieces; resolves to output and trailers or the error. */
async function decode(pieces: Buffer[], options: AwsChunkedDecoderOptions | AwsChunkedDecoder): Promise<{ output: Buffer; trailers: Record<string, string> } | ServiceError> {
  const decoder = options instanceof AwsChunkedDecoder ? options : new AwsChunkedDecoder(options);
  return new Promise((resolve) => {
    const out: Buffer[] = [];
    decoder.on('data', (c: Buffer) => out.push(c));
    decoder.on('error', (err) => resolve(err as ServiceError));
    decoder.on('end', () => resolve({ output: Buffer.concat(out), trailers: { ...decoder.trailers } }));
    for (const piece of pieces) decoder.write(piece);
    decoder.end();
  });
}

function isError(value: unknown): value is ServiceError {
  return value instanceof Error;
}

interface SignedUpload {
  auth: AuthResult;
  headers: Record<string, string>;
  body: Buffer;
}

/** Signs a streaming upload with the SDK's signer, then frames and signs the chunks per the AWS spec. */
async function signedUpload(mode: 'signed' | 'signed-trailer'): Promise<SignedUpload> {
  const contentSha256 = mode === 'signed' ? 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD' : 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER';
  const extra: Record<string, string> = mode === 'signed-trailer' ? { 'x-amz-trailer': 'x-amz-checksum-crc32' } : {};
  const request = await signRequest(
    {
      method: 'PUT',
      path: '/bucket/key',
      headers: { 'content-encoding': 'aws-chunked', 'x-amz-content-sha256': contentSha256, 'x-amz-decoded-content-length': String(PAYLOAD.length), ...extra },
    },
    { service: 's3', date: DATE },
  );
  const auth = await verifySigV4(request, { lookupSecret: lookup(), now: DATE });
  const sdkSigner = signer({ service: 's3', date: DATE });
  const sign = (stringToSign: string): Promise<string> => sdkSigner.sign(stringToSign, { signingDate: DATE });
  const parts: Buffer[] = [];
  let previous = auth.signature;
  for (const chunk of [...CHUNKS, Buffer.alloc(0)]) {
    previous = await sign(`AWS4-HMAC-SHA256-PAYLOAD\n${auth.date}\n${auth.scope}\n${previous}\n${EMPTY}\n${sha(chunk)}`);
    parts.push(Buffer.from(`${chunk.length.toString(16)};chunk-signature=${previous}\r\n`));
    if (chunk.length > 0) parts.push(chunk, Buffer.from('\r\n'));
  }
  if (mode === 'signed-trailer') {
    const trailer = `x-amz-checksum-crc32:${CRC}\n`;
    const trailerSignature = await sign(`AWS4-HMAC-SHA256-TRAILER\n${auth.date}\n${auth.scope}\n${previous}\n${sha(trailer)}`);
    parts.push(Buffer.from(`x-amz-checksum-crc32:${CRC}\r\nx-amz-trailer-signature:${trailerSignature}\r\n`));
  }
  parts.push(Buffer.from('\r\n'));
  return { auth, headers: request.headers as Record<string, string>, body: Buffer.concat(parts) };
}

/** The framing the JS SDK writes for STREAMING-UNSIGNED-PAYLOAD-TRAILER. */
function unsignedTrailerBody(): Buffer {
  const parts: Buffer[] = [];
  for (const chunk of CHUNKS) parts.push(Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n'));
  parts.push(Buffer.from(`0\r\nx-amz-checksum-crc32:${CRC}\r\n\r\n`));
  return Buffer.concat(parts);
}

describe('AwsChunkedDecoder', () => {
  test('decodes the chunked upload example of the S3 documentation and verifies its signatures', async () => {
    const headers = {
      host: 's3.amazonaws.com',
      'x-amz-date': '20130524T000000Z',
      'x-amz-storage-class': 'REDUCED_REDUNDANCY',
      'content-encoding': 'aws-chunked',
      'x-amz-decoded-content-length': '66560',
      'content-length': '66824',
      'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
      authorization:
        'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9',
    };
    const auth = await verifySigV4({ method: 'PUT', path: '/examplebucket/chunkObject.txt', query: '', headers }, { lookupSecret: lookup(), now: new Date('2013-05-24T00:00:00Z') });
    const body = Buffer.concat([
      Buffer.from('10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n'),
      Buffer.alloc(65536, 'a'),
      Buffer.from('\r\n400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n'),
      Buffer.alloc(1024, 'a'),
      Buffer.from('\r\n0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n'),
    ]);
    assert.equal(body.length, 66824);
    const result = await decode([body], AwsChunkedDecoder.forRequest(auth, headers)!);
    assert.ok(!isError(result), String(result));
    assert.equal(result.output.length, 66560);
  });

  test('decodes a signed body split at every byte position', async () => {
    const { auth, headers, body } = await signedUpload('signed');
    for (let i = 0; i <= body.length; i++) {
      const result = await decode([body.subarray(0, i), body.subarray(i)], AwsChunkedDecoder.forRequest(auth, headers)!);
      assert.ok(!isError(result), `split at ${i}: ${String(result)}`);
      assert.deepEqual(result.output, PAYLOAD, `split at ${i}`);
    }
  });

  test('decodes a signed body fed one byte at a time', async () => {
    const { auth, headers, body } = await signedUpload('signed');
    const bytes = Array.from(body, (b) => Buffer.from([b]));
    const result = await decode(bytes, AwsChunkedDecoder.forRequest(auth, headers)!);
    assert.ok(!isError(result));
    assert.deepEqual(result.output, PAYLOAD);
  });

  test('verifies the trailer signature and exposes the trailing checksum, at every split position', async () => {
    const { auth, headers, body } = await signedUpload('signed-trailer');
    for (let i = 0; i <= body.length; i++) {
      const result = await decode([body.subarray(0, i), body.subarray(i)], AwsChunkedDecoder.forRequest(auth, headers)!);
      assert.ok(!isError(result), `split at ${i}: ${String(result)}`);
      assert.deepEqual(result.output, PAYLOAD);
      assert.deepEqual(result.trailers, { 'x-amz-checksum-crc32': CRC });
    }
  });

  test('decodes unsigned chunks with a trailer as the JS SDK sends them, at every split position', async () => {
    const body = unsignedTrailerBody();
    for (let i = 0; i <= body.length; i++) {
      const result = await decode([body.subarray(0, i), body.subarray(i)], { trailer: true, decodedContentLength: PAYLOAD.length });
      assert.ok(!isError(result), `split at ${i}: ${String(result)}`);
      assert.deepEqual(result.output, PAYLOAD);
      assert.deepEqual(result.trailers, { 'x-amz-checksum-crc32': CRC });
    }
  });

  test('answers SignatureDoesNotMatch when chunk data was changed', async () => {
    const { auth, headers, body } = await signedUpload('signed');
    const tampered = Buffer.from(body);
    tampered[tampered.indexOf('quick')] = 'Q'.charCodeAt(0);
    const result = await decode([tampered], AwsChunkedDecoder.forRequest(auth, headers)!);
    assert.ok(isError(result));
    assert.equal(result.name, 'SignatureDoesNotMatch');
    assert.equal(result.status, 403);
  });

  test('answers SignatureDoesNotMatch when a chunk signature is wrong or missing', async () => {
    const { auth, headers, body } = await signedUpload('signed');
    const text = body.toString('latin1');
    const wrong = Buffer.from(text.replace(/chunk-signature=([0-9a-f])/g, (_m, c: string) => `chunk-signature=${c === 'a' ? 'b' : 'a'}`), 'latin1');
    const wrongResult = await decode([wrong], AwsChunkedDecoder.forRequest(auth, headers)!);
    assert.ok(isError(wrongResult));
    assert.equal(wrongResult.name, 'SignatureDoesNotMatch');
    const missing = Buffer.from(text.replace(/;chunk-signature=[0-9a-f]+/, ''), 'latin1');
    const missingResult = await decode([missing], AwsChunkedDecoder.forRequest(auth, headers)!);
    assert.ok(isError(missingResult));
    assert.equal(missingResult.name, 'SignatureDoesNotMatch');
  });

  test('answers SignatureDoesNotMatch when the trailing checksum was changed', async () => {
    const { auth, headers, body } = await signedUpload('signed-trailer');
    const tampered = Buffer.from(body.toString('latin1').replace(CRC, 'BBBBBB=='), 'latin1');
    const result = await decode([tampered], AwsChunkedDecoder.forRequest(auth, headers)!);
    assert.ok(isError(result));
    assert.equal(result.name, 'SignatureDoesNotMatch');
  });

  test('answers IncompleteBody for a body truncated at any position', async () => {
    const { auth, headers, body } = await signedUpload('signed-trailer');
    for (let i = 0; i < body.length - 2; i++) {
      const result = await decode([body.subarray(0, i)], AwsChunkedDecoder.forRequest(auth, headers)!);
      assert.ok(isError(result), `truncated at ${i}`);
      assert.equal(result.name, 'IncompleteBody', `truncated at ${i}`);
      assert.equal(result.status, 400);
    }
  });

  test('enforces x-amz-decoded-content-length', async () => {
    const body = unsignedTrailerBody();
    const short = await decode([body], { trailer: true, decodedContentLength: PAYLOAD.length + 1 });
    assert.ok(isError(short));
    assert.equal(short.name, 'IncompleteBody');
    const long = await decode([body], { trailer: true, decodedContentLength: PAYLOAD.length - 1 });
    assert.ok(isError(long));
    assert.equal(long.name, 'IncompleteBody');
  });

  test('refuses malformed framing: a bad size, a missing CRLF and data after the end', async () => {
    for (const body of ['zz\r\nabc\r\n0\r\n\r\n', '3\r\nabcd\r\n0\r\n\r\n', '3\nabc\r\n0\r\n\r\n', '3\r\nabc\r\n0\r\n\r\nextra']) {
      const result = await decode([Buffer.from(body)], { trailer: true });
      assert.ok(isError(result), JSON.stringify(body));
      assert.equal(result.name, 'IncompleteBody', JSON.stringify(body));
    }
  });

  test('is not chosen for bodies that are not aws-chunked', async () => {
    const { auth, headers } = await signedUpload('signed');
    assert.equal(AwsChunkedDecoder.forRequest({ ...auth, contentSha256: 'UNSIGNED-PAYLOAD' }, headers), undefined);
  });
});
