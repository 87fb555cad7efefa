import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lambdaAuthorization } from './authorization.js';

const scope = { accountId: '000000000000', region: 'us-east-1' };

test('a function is authorized by its ARN, however the call names it', () => {
  const arn = 'arn:aws:lambda:us-east-1:000000000000:function:resize';
  assert.deepEqual(lambdaAuthorization('GetFunction', { FunctionName: 'resize' }, scope), { action: undefined, resources: [arn] });
  assert.deepEqual(lambdaAuthorization('GetFunction', { FunctionName: arn }, scope).resources, [arn]);
  assert.deepEqual(lambdaAuthorization('GetFunction', { FunctionName: '000000000000:function:resize' }, scope).resources, [arn]);
  assert.deepEqual(lambdaAuthorization('ListFunctions', {}, scope), { action: undefined });
});

test('Invoke is lambda:InvokeFunction, on the qualified ARN when a version or alias is named', () => {
  const out = lambdaAuthorization('Invoke', { FunctionName: 'resize', Qualifier: 'live' }, scope);
  assert.equal(out.action, 'lambda:InvokeFunction');
  assert.deepEqual(out.resources, ['arn:aws:lambda:us-east-1:000000000000:function:resize:live']);
  // An ARN that is already qualified keeps its own qualifier.
  assert.deepEqual(lambdaAuthorization('Invoke', { FunctionName: 'arn:aws:lambda:us-east-1:000000000000:function:resize:1', Qualifier: 'live' }, scope).resources, [
    'arn:aws:lambda:us-east-1:000000000000:function:resize:1',
  ]);
});
