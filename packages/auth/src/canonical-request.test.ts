import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import {
  MalformedEscapeError,
  canonicalHeaderValue,
  canonicalPath,
  canonicalQuery,
  hmacHex,
  normalizeEncoded,
  parseQuery,
  signaturesEqual,
  uriEncode,
} from './canonical-request.js';
import { verifySigV4 } from './sigv4-verifier.js';
import { lookup } from '../test/signing.js';

describe('canonical forms', () => {
  test('keeps S3 paths as sent, only normalizing the escapes', () => {
    assert.equal(canonicalPath('/bucket/a%20b/./c//d', true), '/bucket/a%20b/./c//d');
    assert.equal(canonicalPath('/bucket/%7euser/%2f', true), '/bucket/~user/%2F');
    assert.equal(canonicalPath('/bucket/caf\u00e9', true), '/bucket/caf%C3%A9');
    assert.equal(canonicalPath('', true), '/');
  });

  test('normalizes and encodes other services\' paths a second time', () => {
    assert.equal(canonicalPath('/a%20b', false), '/a%2520b');
    assert.equal(canonicalPath('/a//b/./c/../d/', false), '/a/b/d/');
    assert.equal(canonicalPath('/', false), '/');
  });

  test('sorts query parameters by name then value, in byte order, and encodes them canonically', () => {
    const params = parseQuery('b=2&a-b=3&a=z&a=y&empty&x=%7e%2a+');
    assert.equal(canonicalQuery(params), 'a=y&a=z&a-b=3&b=2&empty=&x=~%2A%2B');
    assert.equal(canonicalQuery(parseQuery('X-Amz-Signature=abc&k=v'), 'X-Amz-Signature'), 'k=v');
  });

  test('encodes every byte outside the unreserved set', () => {
    assert.equal(uriEncode("a b/c~!*'()"), "a%20b%2Fc~%21%2A%27%28%29");
    assert.equal(uriEncode('a/b', true), 'a/b');
  });

  test('trims header values and collapses runs of spaces, reading UTF-8 sent as Latin-1', () => {
    assert.equal(canonicalHeaderValue('  a \t  b  '), 'a b');
    assert.equal(canonicalHeaderValue(Buffer.from('caf\u00e9', 'utf8').toString('latin1')), 'caf\u00e9');
    assert.equal(canonicalHeaderValue(['x', ' y ']), 'x,y');
  });

  test('leaves canonical text as it is and canonicalizes everything else', () => {
    const signature = 'AKIDEXAMPLE%2F20240101%2Fus-east-1%2Fs3%2Faws4_request';
    assert.equal(normalizeEncoded(signature, false), signature);
    assert.equal(normalizeEncoded('a%2fb', false), 'a%2Fb');
    assert.equal(normalizeEncoded('%41%7e', false), 'A~');
    assert.equal(normalizeEncoded('a b/c', false), 'a%20b%2Fc');
    assert.equal(normalizeEncoded('a/b', true), 'a/b');
    assert.equal(normalizeEncoded('caf\u00e9', false), 'caf%C3%A9');
    assert.throws(() => normalizeEncoded('%C3%A9%', false), MalformedEscapeError);
    assert.throws(() => normalizeEncoded('%C3%A9%4', false), MalformedEscapeError);
  });

  test('rejects broken percent escapes', () => {
    assert.throws(() => normalizeEncoded('a%2', false), MalformedEscapeError);
    assert.throws(() => normalizeEncoded('a%zz', false), /Illegal hex character in escape % pattern: %zz/);
  });

  test('answers MalformedQueryString, or InvalidURI for S3, for a query with a broken escape', async () => {
    const request = { method: 'GET', path: '/', query: 'a=%zz', headers: { authorization: 'AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/sqs/aws4_request' } };
    await assert.rejects(verifySigV4(request, { lookupSecret: lookup() }), (err: Error & { status: number }) => {
      assert.equal(err.name, 'MalformedQueryString');
      assert.equal(err.status, 400);
      return true;
    });
    await assert.rejects(verifySigV4(request, { lookupSecret: lookup(), dialect: 's3' }), (err: Error) => err.name === 'InvalidURI');
  });
});

describe('the per-request shortcuts give what the general forms give', () => {
  test('hmacHex is HMAC-SHA256 in hex, for ASCII and other text, short and long keys', () => {
    const keys = [Buffer.alloc(32, 7), Buffer.from('k'), Buffer.alloc(64, 1), Buffer.alloc(65, 2)];
    const texts = ['', 'AWS4-HMAC-SHA256\n20260101T000000Z\n20260101/us-east-1/s3/aws4_request\n' + 'ab'.repeat(32), 'r\u00e9gion \u2603', 'x'.repeat(300)];
    for (const key of keys) {
      for (const text of texts) assert.equal(hmacHex(key, text), createHmac('sha256', key).update(text, 'utf8').digest('hex'), `${key.length}-byte key, ${JSON.stringify(text.slice(0, 20))}`);
    }
  });

  test('signaturesEqual compares whole signatures', () => {
    const a = 'ab'.repeat(32);
    assert.equal(signaturesEqual(a, a.slice()), true);
    assert.equal(signaturesEqual(a, `${a.slice(0, 63)}c`), false);
    assert.equal(signaturesEqual(a, `c${a.slice(1)}`), false);
    assert.equal(signaturesEqual(a, a.slice(1)), false);
  });

  test('canonical header values: plain values as they are, others trimmed and collapsed', () => {
    assert.equal(canonicalHeaderValue('application/x-amz-json-1.0'), 'application/x-amz-json-1.0');
    assert.equal(canonicalHeaderValue('a b  c'), 'a b c');
    assert.equal(canonicalHeaderValue(' a\tb '), 'a b');
    assert.equal(canonicalHeaderValue('a\r\nb'), 'a b');
    assert.equal(canonicalHeaderValue(['x', ' y ']), 'x,y');
    assert.equal(canonicalHeaderValue('caf\u00c3\u00a9'), 'caf\u00e9');
    assert.equal(canonicalPath('/', false), '/');
    assert.equal(canonicalPath('/', true), '/');
  });
});
