import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parseCidr, wildcardRegExp } from './match.js';

describe('wildcards', () => {
  test('a star matches any run of characters and a question mark exactly one', () => {
    assert.ok(wildcardRegExp('/api/*', false).test('/api/v1/users'));
    assert.ok(wildcardRegExp('/img/?.png', false).test('/img/a.png'));
    assert.ok(!wildcardRegExp('/img/?.png', false).test('/img/ab.png'));
  });

  test('regular expression characters in a pattern are taken literally', () => {
    assert.ok(wildcardRegExp('/a+b(c)', false).test('/a+b(c)'));
    assert.ok(!wildcardRegExp('/a.b', false).test('/axb'));
  });

  test('case sensitivity follows the condition', () => {
    assert.ok(!wildcardRegExp('/API', false).test('/api'));
    assert.ok(wildcardRegExp('*.EXAMPLE.com', true).test('www.example.COM'));
  });
});

describe('CIDR blocks', () => {
  test('an IPv4 block contains its addresses and IPv4-mapped IPv6 forms of them', () => {
    const cidr = parseCidr('10.1.0.0/16')!;
    assert.ok(cidr.contains('10.1.200.3'));
    assert.ok(cidr.contains('::ffff:10.1.0.9'));
    assert.ok(!cidr.contains('10.2.0.1'));
  });

  test('a /0 block contains every IPv4 address and /32 exactly one', () => {
    assert.ok(parseCidr('0.0.0.0/0')!.contains('203.0.113.7'));
    assert.ok(parseCidr('127.0.0.1/32')!.contains('127.0.0.1'));
    assert.ok(!parseCidr('127.0.0.1/32')!.contains('127.0.0.2'));
  });

  test('IPv6 blocks compare the prefix bits', () => {
    const cidr = parseCidr('2001:db8::/32')!;
    assert.ok(cidr.contains('2001:db8:1::5'));
    assert.ok(!cidr.contains('2001:db9::1'));
    assert.ok(parseCidr('::1/128')!.contains('::1'));
  });

  test('malformed blocks are refused', () => {
    assert.equal(parseCidr('10.0.0.0'), undefined);
    assert.equal(parseCidr('10.0.0.0/33'), undefined);
    assert.equal(parseCidr('banana/8'), undefined);
  });
});
