// Unit-level fuzzing of SNS filter policies: any policy text is accepted or refused with
// FilterPolicyError (which SNS answers as InvalidParameter), and an accepted policy matches any
// message (attributes and JSON bodies, hostile or deep) without throwing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FilterPolicyError, matchesFilterPolicy, parseFilterPolicy } from '@atoll/sns';

interface SnsAttributeValue {
  DataType: string;
  StringValue?: string;
  BinaryValue?: Uint8Array;
}
import { fuzzParams } from './fuzz-settings.js';

const key = fc.oneof(fc.constantFrom('a', 'b', 'store', '$or', '__proto__', 'constructor', 'toString', ''), fc.string({ maxLength: 6 }));
const operator = fc.oneof(
  fc.record({ prefix: fc.oneof(fc.string(), fc.integer(), fc.constant(null)) }, { requiredKeys: [] }),
  fc.record({ suffix: fc.string() }),
  fc.record({ 'equals-ignore-case': fc.oneof(fc.string(), fc.integer()) }),
  fc.record({ exists: fc.oneof(fc.boolean(), fc.string(), fc.integer()) }),
  fc.record({ cidr: fc.oneof(fc.constantFrom('10.0.0.0/8', '::/0', '1.2.3.4/33', '/', '999.1.1.1/8', 'x/y', '10.0.0.0/-1'), fc.string()) }),
  fc.record({ numeric: fc.array(fc.oneof(fc.constantFrom('<', '<=', '=', '>=', '>', '!=', 'x'), fc.double(), fc.integer(), fc.string()), { maxLength: 5 }) }),
  fc.record({ 'anything-but': fc.oneof(fc.string(), fc.integer(), fc.array(fc.oneof(fc.string(), fc.integer())), fc.record({ prefix: fc.string() }), fc.record({ suffix: fc.string() }), fc.constant(null)) }),
  fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 2 }),
);
const leaf = fc.array(fc.oneof(fc.string(), fc.double(), fc.integer(), fc.boolean(), fc.constant(null), operator), { maxLength: 4 });
const policy = fc.letrec<{ node: unknown }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.dictionary(key, leaf, { maxKeys: 4 }),
    fc.dictionary(key, fc.oneof(leaf, tie('node'), fc.array(tie('node'), { maxLength: 3 }), fc.jsonValue({ maxDepth: 2 })), { maxKeys: 4 }),
  ),
})).node;

const attributes = fc.dictionary(
  key,
  fc.oneof(
    fc.record({ DataType: fc.constantFrom('String', 'Number', 'String.Array', 'Binary', 'String.x', 'Number.float', ''), StringValue: fc.oneof(fc.string(), fc.constantFrom('[1,"a",null]', '[', '1e400', 'NaN', '10.1.2.3', '::1', '[[]]', '{"a":1}')) }),
    fc.record({ DataType: fc.constant('Binary'), BinaryValue: fc.uint8Array({ maxLength: 8 }).map((b) => Buffer.from(b)) }),
  ),
  { maxKeys: 4 },
) as fc.Arbitrary<Record<string, SnsAttributeValue>>;

const body = fc.oneof(
  fc.json({ maxDepth: 4 }),
  fc.string(),
  fc.constantFrom('{"a":' + '{"a":'.repeat(5_000) + '1' + '}'.repeat(5_001), '[' + '['.repeat(10_000) + ']'.repeat(10_001), '{"__proto__":{"a":1}}'),
);

test('any policy text is accepted or refused with FilterPolicyError, in both scopes', () => {
  fc.assert(
    fc.property(fc.oneof(policy.map((p) => JSON.stringify(p)), fc.string(), fc.json()), fc.constantFrom('MessageAttributes', 'MessageBody' as const), (text, scope) => {
      try {
        parseFilterPolicy(text, scope);
      } catch (error) {
        assert.ok(error instanceof FilterPolicyError, `${text}: threw ${(error as Error)?.stack}`);
      }
    }),
    fuzzParams(4000),
  );
});

test('an accepted policy matches any message without throwing', () => {
  fc.assert(
    fc.property(policy, fc.constantFrom('MessageAttributes', 'MessageBody' as const), attributes, body, (p, scope, attrs, text) => {
      let parsed;
      try {
        parsed = parseFilterPolicy(JSON.stringify(p), scope);
      } catch (error) {
        if (error instanceof FilterPolicyError) return;
        throw error;
      }
      const result = matchesFilterPolicy(parsed, scope, attrs, text);
      assert.equal(typeof result, 'boolean');
    }),
    fuzzParams(4000),
  );
});
