import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFunctionName } from './function-names.js';
import { pickAliasVersion } from './alias-api.js';
import { batchItemFailures } from './sqs-poller.js';

const scope = { account: '123456789012', region: 'us-east-1' };

test('a function is named by name, partial ARN or full ARN, with or without a qualifier', () => {
  assert.deepEqual(parseFunctionName('my-fn', scope), { name: 'my-fn', qualifier: undefined, ...account() });
  assert.deepEqual(parseFunctionName('my-fn:live', scope), { name: 'my-fn', qualifier: 'live', ...account() });
  assert.deepEqual(parseFunctionName('123456789012:function:my-fn', scope, '3'), { name: 'my-fn', qualifier: '3', ...account() });
  assert.deepEqual(parseFunctionName('arn:aws:lambda:us-east-1:123456789012:function:my-fn:$LATEST', scope), { name: 'my-fn', qualifier: '$LATEST', ...account() });
});

test('a malformed name or conflicting qualifiers are InvalidParameterValueException, another account is ResourceNotFoundException', () => {
  assert.throws(() => parseFunctionName('bad name!', scope), { code: 'InvalidParameterValueException' });
  assert.throws(() => parseFunctionName('fn:one', scope, 'two'), { code: 'InvalidParameterValueException' });
  assert.throws(() => parseFunctionName('arn:aws:lambda:us-east-1:999999999999:function:fn', scope), { code: 'ResourceNotFoundException' });
});

test('an alias routes the weighted share of invocations to the additional version', () => {
  const alias = { functionName: 'f', name: 'a', AliasArn: '', Name: 'a', FunctionVersion: '1', Description: '', RevisionId: '', RoutingConfig: { AdditionalVersionWeights: { '2': 0.25 } } };
  assert.equal(pickAliasVersion(alias, 0.1), '2');
  assert.equal(pickAliasVersion(alias, 0.3), '1');
  assert.equal(pickAliasVersion({ ...alias, RoutingConfig: undefined }, 0.1), '1');
});

test('batchItemFailures names failed messages, and an invalid answer fails the whole batch', () => {
  const ids = new Set(['a', 'b']);
  assert.deepEqual(batchItemFailures(Buffer.from('{"batchItemFailures":[{"itemIdentifier":"b"}]}'), ids), new Set(['b']));
  assert.deepEqual(batchItemFailures(Buffer.from('null'), ids), new Set());
  assert.deepEqual(batchItemFailures(Buffer.from('{"batchItemFailures":[]}'), ids), new Set());
  assert.equal(batchItemFailures(Buffer.from('{"batchItemFailures":[{"itemIdentifier":"zzz"}]}'), ids), 'all');
  assert.equal(batchItemFailures(Buffer.from('{"batchItemFailures":[{}]}'), ids), 'all');
});

function account() {
  return { account: scope.account, region: scope.region };
}
