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

test('giving a function its role asks iam:PassRole on the role', () => {
  const role = 'arn:aws:iam::000000000000:role/service/fn-role';
  const created = lambdaAuthorization('CreateFunction', { FunctionName: 'resize', Role: role }, scope);
  assert.deepEqual(created.resources, ['arn:aws:lambda:us-east-1:000000000000:function:resize']);
  assert.deepEqual(created.also, [{ action: 'iam:PassRole', resource: role }]);
  assert.deepEqual(lambdaAuthorization('UpdateFunctionConfiguration', { FunctionName: 'resize', Role: role }, scope).also, [{ action: 'iam:PassRole', resource: role }]);
  assert.equal(lambdaAuthorization('UpdateFunctionConfiguration', { FunctionName: 'resize', Timeout: 3 }, scope).also, undefined);
  assert.equal(lambdaAuthorization('GetFunction', { FunctionName: 'resize', Role: role }, scope).also, undefined);
});
