import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FilterPolicyError, matchesFilterPolicy, parseFilterPolicy, type SnsAttributeValue } from './filter-policy.js';

const str = (v: string): SnsAttributeValue => ({ DataType: 'String', StringValue: v });
const num = (v: number): SnsAttributeValue => ({ DataType: 'Number', StringValue: String(v) });
const arr = (v: unknown[]): SnsAttributeValue => ({ DataType: 'String.Array', StringValue: JSON.stringify(v) });

function attrs(policy: object, attributes: Record<string, SnsAttributeValue>): boolean {
  return matchesFilterPolicy(parseFilterPolicy(JSON.stringify(policy), 'MessageAttributes'), 'MessageAttributes', attributes, 'body');
}

function body(policy: object, message: unknown): boolean {
  return matchesFilterPolicy(parseFilterPolicy(JSON.stringify(policy), 'MessageBody'), 'MessageBody', {}, JSON.stringify(message));
}

describe('filter policies on message attributes', () => {
  test('an exact string matches only that string, and a missing attribute matches nothing', () => {
    assert.equal(attrs({ color: ['red', 'blue'] }, { color: str('blue') }), true);
    assert.equal(attrs({ color: ['red'] }, { color: str('green') }), false);
    assert.equal(attrs({ color: ['red'] }, {}), false);
  });

  test('every key of the policy must match (AND), any value of a key may match (OR)', () => {
    const policy = { color: ['red'], size: ['L', 'XL'] };
    assert.equal(attrs(policy, { color: str('red'), size: str('XL') }), true);
    assert.equal(attrs(policy, { color: str('red'), size: str('S') }), false);
  });

  test('prefix, suffix and equals-ignore-case compare strings', () => {
    assert.equal(attrs({ k: [{ prefix: 'ord' }] }, { k: str('order-1') }), true);
    assert.equal(attrs({ k: [{ suffix: '.png' }] }, { k: str('a.png') }), true);
    assert.equal(attrs({ k: [{ suffix: '.png' }] }, { k: str('a.jpg') }), false);
    assert.equal(attrs({ k: [{ 'equals-ignore-case': 'RED' }] }, { k: str('Red') }), true);
  });

  test('anything-but excludes values, lists and prefixes, and needs the attribute present', () => {
    assert.equal(attrs({ k: [{ 'anything-but': 'red' }] }, { k: str('blue') }), true);
    assert.equal(attrs({ k: [{ 'anything-but': ['red', 'blue'] }] }, { k: str('blue') }), false);
    assert.equal(attrs({ k: [{ 'anything-but': { prefix: 'test-' } }] }, { k: str('test-1') }), false);
    assert.equal(attrs({ k: [{ 'anything-but': { prefix: 'test-' } }] }, { k: str('prod-1') }), true);
    assert.equal(attrs({ k: [{ 'anything-but': 'red' }] }, {}), false);
    assert.equal(attrs({ k: [{ 'anything-but': [100] }] }, { k: num(100) }), false);
  });

  test('numeric conditions compare Number attributes and ignore String ones', () => {
    const policy = { price: [{ numeric: ['>=', 10, '<', 20] }] };
    assert.equal(attrs(policy, { price: num(10) }), true);
    assert.equal(attrs(policy, { price: num(20) }), false);
    assert.equal(attrs(policy, { price: str('15') }), false);
    assert.equal(attrs({ price: [{ numeric: ['=', 5] }] }, { price: num(5.0) }), true);
    assert.equal(attrs({ price: [5] }, { price: num(5) }), true);
    assert.equal(attrs({ price: ['5'] }, { price: num(5) }), false);
  });

  test('exists matches on presence or absence', () => {
    assert.equal(attrs({ k: [{ exists: true }] }, { k: str('x') }), true);
    assert.equal(attrs({ k: [{ exists: true }] }, {}), false);
    assert.equal(attrs({ k: [{ exists: false }] }, {}), true);
    assert.equal(attrs({ k: [{ exists: false }] }, { k: str('x') }), false);
  });

  test('cidr matches IPv4 and IPv6 addresses in the range', () => {
    assert.equal(attrs({ ip: [{ cidr: '10.0.0.0/24' }] }, { ip: str('10.0.0.255') }), true);
    assert.equal(attrs({ ip: [{ cidr: '10.0.0.0/24' }] }, { ip: str('10.0.1.1') }), false);
    assert.equal(attrs({ ip: [{ cidr: '2001:db8::/32' }] }, { ip: str('2001:db8:1::5') }), true);
    assert.equal(attrs({ ip: [{ cidr: '2001:db8::/32' }] }, { ip: str('2001:db9::5') }), false);
  });

  test('a String.Array attribute matches when any element matches', () => {
    assert.equal(attrs({ tags: ['b'] }, { tags: arr(['a', 'b']) }), true);
    assert.equal(attrs({ tags: ['c'] }, { tags: arr(['a', 'b']) }), false);
  });

  test('$or matches when either branch matches', () => {
    const policy = { source: ['aws.s3'], $or: [{ size: [{ numeric: ['>', 100] }] }, { color: ['red'] }] };
    assert.equal(attrs(policy, { source: str('aws.s3'), color: str('red') }), true);
    assert.equal(attrs(policy, { source: str('aws.s3'), size: num(150) }), true);
    assert.equal(attrs(policy, { source: str('aws.s3'), size: num(50) }), false);
  });

  test('Binary attributes never match', () => {
    assert.equal(attrs({ k: [{ exists: true }] }, { k: { DataType: 'Binary', BinaryValue: Buffer.from('x') } }), true);
    assert.equal(attrs({ k: ['x'] }, { k: { DataType: 'Binary', BinaryValue: Buffer.from('x') } }), false);
  });
});

describe('filter policies on the message body', () => {
  test('nested keys walk into the JSON body', () => {
    const policy = { order: { status: ['paid'], total: [{ numeric: ['>', 10] }] } };
    assert.equal(body(policy, { order: { status: 'paid', total: 12 } }), true);
    assert.equal(body(policy, { order: { status: 'paid', total: 5 } }), false);
    assert.equal(body(policy, { order: 'paid' }), false);
  });

  test('arrays in the body match when any element matches, null matches null', () => {
    assert.equal(body({ items: ['b'] }, { items: ['a', 'b'] }), true);
    assert.equal(body({ v: [null] }, { v: null }), true);
    assert.equal(body({ v: ['x'] }, { v: null }), false);
  });

  test('a body that is not a JSON object matches nothing', () => {
    const policy = parseFilterPolicy('{"a":["b"]}', 'MessageBody');
    assert.equal(matchesFilterPolicy(policy, 'MessageBody', {}, 'plain text'), false);
  });

  test('exists false on a nested key matches when the parent is missing', () => {
    assert.equal(body({ a: { b: [{ exists: false }] } }, { c: 1 }), true);
  });
});

describe('filter policy validation', () => {
  const invalid = (text: string, scope: 'MessageAttributes' | 'MessageBody' = 'MessageAttributes') =>
    assert.throws(() => parseFilterPolicy(text, scope), FilterPolicyError);

  test('malformed documents and operators are refused', () => {
    invalid('not json');
    invalid('[]');
    invalid('{"a": "b"}');
    invalid('{"a": []}');
    invalid('{"a": [{"regex": "x"}]}');
    invalid('{"a": [{"numeric": [">", "x"]}]}');
    invalid('{"a": [{"numeric": ["<", 5, ">", 1]}]}');
    invalid('{"a": [{"cidr": "10.0.0.0"}]}');
    invalid('{"a": [{"exists": "yes"}]}');
    invalid('{"a": [true]}');
  });

  test('nested keys need the MessageBody scope', () => {
    invalid('{"a": {"b": ["c"]}}', 'MessageAttributes');
    assert.doesNotThrow(() => parseFilterPolicy('{"a": {"b": ["c"]}}', 'MessageBody'));
  });

  test('a policy with more than 150 combinations is refused', () => {
    const values = Array.from({ length: 13 }, (_, i) => `v${i}`);
    invalid(JSON.stringify({ a: values, b: values }));
  });
});

test('policy keys named like Object.prototype members match only real attributes and body keys (found by test/fuzz)', () => {
  // `toString` found Object.prototype.toString as the attribute and threw a TypeError while publishing.
  assert.equal(attrs({ toString: ['dp'] }, { b: num(1) }), false);
  assert.equal(attrs({ toString: [{ exists: false }] }, {}), true);
  assert.equal(attrs({ constructor: ['x'] }, { constructor: str('x') }), true);
  const body = (policy: object, text: string) => matchesFilterPolicy(parseFilterPolicy(JSON.stringify(policy), 'MessageBody'), 'MessageBody', undefined, text);
  assert.equal(body({ constructor: [{ exists: true }] }, '{"a":1}'), false);
  assert.equal(body({ constructor: { name: ['Object'] } }, '{"a":1}'), false);
});
