import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { checkConditions, parseRange } from './http-conditions.js';

const code = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    return `${(error as { code: string }).code}/${(error as { status: number }).status}`;
  }
  return 'ok';
};

describe('parseRange', () => {
  test('reads first-last, open-ended and suffix ranges', () => {
    assert.deepEqual(parseRange('bytes=0-9', 100), { start: 0, end: 9 });
    assert.deepEqual(parseRange('bytes=90-', 100), { start: 90, end: 99 });
    assert.deepEqual(parseRange('bytes=-10', 100), { start: 90, end: 99 });
    assert.deepEqual(parseRange('bytes=50-500', 100), { start: 50, end: 99 });
  });
  test('ignores malformed and multi-range headers', () => {
    assert.equal(parseRange('bytes=a-b', 100), undefined);
    assert.equal(parseRange('bytes=0-1,5-6', 100), undefined);
    assert.equal(parseRange('items=0-1', 100), undefined);
  });
  test('answers InvalidRange 416 for a start beyond the end', () => {
    assert.equal(code(() => parseRange('bytes=100-', 100)), 'InvalidRange/416');
    assert.equal(code(() => parseRange('bytes=0-', 0)), 'InvalidRange/416');
  });
});

describe('checkConditions', () => {
  const etag = '"abc"';
  const t = Date.parse('2024-01-01T00:00:00Z');
  test('a failing If-Match is PreconditionFailed 412', () => {
    assert.equal(code(() => checkConditions({ ifMatch: '"zzz"' }, etag, t)), 'PreconditionFailed/412');
    assert.equal(code(() => checkConditions({ ifMatch: '"abc"' }, etag, t)), 'ok');
  });
  test('a matching If-None-Match is NotModified 304 on reads and 412 on copies', () => {
    assert.equal(code(() => checkConditions({ ifNoneMatch: 'abc' }, etag, t)), 'NotModified/304');
    assert.equal(code(() => checkConditions({ ifNoneMatch: 'abc' }, etag, t, true)), 'PreconditionFailed/412');
  });
  test('If-Modified-Since compares at second precision', () => {
    assert.equal(code(() => checkConditions({ ifModifiedSince: new Date(t) }, etag, t + 500)), 'NotModified/304');
    assert.equal(code(() => checkConditions({ ifModifiedSince: new Date(t - 1000) }, etag, t)), 'ok');
  });
  test('If-Match that holds overrides a failing If-Unmodified-Since', () => {
    assert.equal(code(() => checkConditions({ ifMatch: etag, ifUnmodifiedSince: new Date(t - 5000) }, etag, t)), 'ok');
    assert.equal(code(() => checkConditions({ ifUnmodifiedSince: new Date(t - 5000) }, etag, t)), 'PreconditionFailed/412');
  });
});
