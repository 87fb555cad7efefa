import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addressedObject, corsResponseHeaders, findCorsRule } from './cors.js';

const rules = [
  { AllowedOrigins: ['https://*.example.com'], AllowedMethods: ['GET', 'PUT'], AllowedHeaders: ['x-amz-*', 'content-type'], MaxAgeSeconds: 600 },
  { AllowedOrigins: ['*'], AllowedMethods: ['GET'] },
];

test('matches an origin wildcard, a method and wildcard request headers', () => {
  const rule = findCorsRule(rules, 'https://app.example.com', 'PUT', ['X-Amz-Date', 'Content-Type']);
  assert.equal(rule, rules[0]);
  const headers = corsResponseHeaders(rule!, 'https://app.example.com', { requestHeaders: ['x-amz-date'] });
  assert.equal(headers['access-control-allow-origin'], 'https://app.example.com');
  assert.equal(headers['access-control-max-age'], '600');
});

test('refuses a method or header that no rule allows', () => {
  assert.equal(findCorsRule(rules, 'https://evil.test', 'PUT'), undefined);
  assert.equal(findCorsRule(rules, 'https://evil.test', 'GET', ['authorization']), undefined);
  assert.equal(findCorsRule(rules, 'https://evil.test', 'GET')?.AllowedOrigins?.[0], '*');
});

test('finds the bucket in virtual-host and path-style addresses', () => {
  assert.deepEqual(addressedObject({ host: 'photos.s3.localhost:4566' }, '/a/b.jpg'), { bucket: 'photos', key: 'a/b.jpg' });
  assert.deepEqual(addressedObject({ host: 'photos.localhost' }, '/'), { bucket: 'photos', key: undefined });
  assert.deepEqual(addressedObject({ host: '127.0.0.1:4566' }, '/photos/a%20b'), { bucket: 'photos', key: 'a b' });
  assert.deepEqual(addressedObject({ host: 's3.localhost' }, '/photos'), { bucket: 'photos' });
});
