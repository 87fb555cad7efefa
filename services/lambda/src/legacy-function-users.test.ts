import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fakePlatform, silentLogger } from '@atoll/test-support';
import { LambdaStore } from './lambda-store.js';
import { removeLegacyFunctionUsers } from './legacy-function-users.js';

test('the per-function IAM users are deleted once (keys and policies first), and only those under /atoll/lambda/', async () => {
  const platform = fakePlatform();
  const store = await LambdaStore.open(platform.storage);
  try {
    const calls: string[] = [];
    platform.handlers.set('iam.ListUsers', () => ({ Users: [{ UserName: 'lambda-a-us-east-1', Path: '/atoll/lambda/' }, { UserName: 'alice', Path: '/' }] }));
    platform.handlers.set('iam.ListAccessKeys', (i) => ({ AccessKeyMetadata: [{ AccessKeyId: `AKIA-${(i as { UserName: string }).UserName}` }] }));
    platform.handlers.set('iam.ListUserPolicies', () => ({ PolicyNames: ['atoll-lambda-execution'] }));
    for (const op of ['DeleteAccessKey', 'DeleteUserPolicy', 'DeleteUser']) {
      platform.handlers.set(`iam.${op}`, (i) => { calls.push(`${op} ${JSON.stringify(i)}`); return {}; });
    }
    assert.equal(await store.getMeta('legacy-function-users'), 'pending');
    assert.equal(await removeLegacyFunctionUsers(platform, store, silentLogger), 1);
    assert.deepEqual(calls, [
      'DeleteAccessKey {"UserName":"lambda-a-us-east-1","AccessKeyId":"AKIA-lambda-a-us-east-1"}',
      'DeleteUserPolicy {"UserName":"lambda-a-us-east-1","PolicyName":"atoll-lambda-execution"}',
      'DeleteUser {"UserName":"lambda-a-us-east-1"}',
    ]);
    assert.equal(await store.getMeta('legacy-function-users'), 'done');
    assert.equal(await removeLegacyFunctionUsers(platform, store, silentLogger), 0);
    assert.equal(calls.length, 3);
  } finally {
    await store.close();
    platform.cleanup();
  }
});
