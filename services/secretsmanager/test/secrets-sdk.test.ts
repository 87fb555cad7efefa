// End-to-end through @aws-sdk/client-secrets-manager: secrets created, read and described by name,
// full ARN and partial ARN; versions and staging labels; deletion with a recovery window, restore
// and forced deletion; tags; listings with filters and paging; and AWS's errors.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  BatchGetSecretValueCommand,
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  RestoreSecretCommand,
  SecretsManagerClient,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateSecretCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { startPlatform, type TestPlatform } from '@atoll/test-support';

let platform: TestPlatform;
let sm: SecretsManagerClient;

async function rejectsWith(promise: Promise<unknown>, name: string, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (err: Error & { $metadata?: { httpStatusCode?: number } }) => {
    assert.equal(err.name, name);
    assert.equal(err.$metadata?.httpStatusCode, 400);
    if (message) assert.match(err.message, message);
    return true;
  });
}

describe('Secrets Manager secrets and versions', () => {
  before(async () => {
    platform = await startPlatform({ services: ['secretsmanager', 'iam', 'sts'] });
    sm = platform.client(SecretsManagerClient);
  });

  after(async () => {
    await platform?.stop();
  });

  it('creates a secret and reads it back by name, full ARN and partial ARN', async () => {
    const created = await sm.send(new CreateSecretCommand({ Name: 'app/db', SecretString: '{"password":"p1"}', Description: 'db creds' }));
    assert.match(created.ARN!, new RegExp(`^arn:aws:secretsmanager:${platform.region}:${platform.accountId}:secret:app/db-[A-Za-z0-9]{6}$`));
    assert.match(created.VersionId!, /^[0-9a-f-]{36}$/);
    for (const id of ['app/db', created.ARN!, created.ARN!.slice(0, -7)]) {
      const got = await sm.send(new GetSecretValueCommand({ SecretId: id }));
      assert.equal(got.SecretString, '{"password":"p1"}');
      assert.equal(got.VersionId, created.VersionId);
      assert.deepEqual(got.VersionStages, ['AWSCURRENT']);
      assert.equal(got.ARN, created.ARN);
    }
    const described = await sm.send(new DescribeSecretCommand({ SecretId: 'app/db' }));
    assert.equal(described.Description, 'db creds');
    assert.deepEqual(described.VersionIdsToStages, { [created.VersionId!]: ['AWSCURRENT'] });
    assert.ok(described.CreatedDate instanceof Date);
    assert.ok(described.LastAccessedDate instanceof Date);
  });

  it('keeps binary secrets as bytes', async () => {
    await sm.send(new CreateSecretCommand({ Name: 'bin', SecretBinary: new Uint8Array([0, 1, 2, 255]) }));
    const got = await sm.send(new GetSecretValueCommand({ SecretId: 'bin' }));
    assert.deepEqual([...got.SecretBinary!], [0, 1, 2, 255]);
    assert.equal(got.SecretString, undefined);
  });

  it('answers ResourceNotFoundException for a secret that does not exist, and ResourceExistsException for a taken name', async () => {
    await rejectsWith(sm.send(new GetSecretValueCommand({ SecretId: 'nope' })), 'ResourceNotFoundException', /^Secrets Manager can't find the specified secret\.$/);
    await rejectsWith(sm.send(new DescribeSecretCommand({ SecretId: 'nope' })), 'ResourceNotFoundException');
    await sm.send(new CreateSecretCommand({ Name: 'taken', SecretString: 'a' }));
    await rejectsWith(sm.send(new CreateSecretCommand({ Name: 'taken', SecretString: 'b' })), 'ResourceExistsException', /The operation failed because the secret taken already exists\./);
    await rejectsWith(sm.send(new CreateSecretCommand({ Name: 'both', SecretString: 'a', SecretBinary: new Uint8Array([1]) })), 'InvalidParameterException');
    await rejectsWith(sm.send(new CreateSecretCommand({ Name: 'bad name!', SecretString: 'a' })), 'InvalidParameterException');
  });

  it('treats a retried CreateSecret with the same token and value as success', async () => {
    const token = 'aaaaaaaa-1111-2222-3333-444444444444';
    const first = await sm.send(new CreateSecretCommand({ Name: 'retry', SecretString: 'v', ClientRequestToken: token }));
    const again = await sm.send(new CreateSecretCommand({ Name: 'retry', SecretString: 'v', ClientRequestToken: token }));
    assert.equal(again.ARN, first.ARN);
    assert.equal(again.VersionId, token);
    await rejectsWith(sm.send(new CreateSecretCommand({ Name: 'retry', SecretString: 'other', ClientRequestToken: token })), 'ResourceExistsException');
  });

  it('moves AWSCURRENT to a new value and AWSPREVIOUS to the old one', async () => {
    const v1 = (await sm.send(new CreateSecretCommand({ Name: 'rolling', SecretString: 'one' }))).VersionId!;
    const v2 = (await sm.send(new PutSecretValueCommand({ SecretId: 'rolling', SecretString: 'two' }))).VersionId!;
    const put = await sm.send(new UpdateSecretCommand({ SecretId: 'rolling', SecretString: 'three' }));
    const v3 = put.VersionId!;
    assert.equal((await sm.send(new GetSecretValueCommand({ SecretId: 'rolling' }))).SecretString, 'three');
    assert.equal((await sm.send(new GetSecretValueCommand({ SecretId: 'rolling', VersionStage: 'AWSPREVIOUS' }))).SecretString, 'two');
    assert.equal((await sm.send(new GetSecretValueCommand({ SecretId: 'rolling', VersionId: v1 }))).SecretString, 'one');
    const described = await sm.send(new DescribeSecretCommand({ SecretId: 'rolling' }));
    assert.deepEqual(described.VersionIdsToStages, { [v3]: ['AWSCURRENT'], [v2]: ['AWSPREVIOUS'] });
    const listed = await sm.send(new ListSecretVersionIdsCommand({ SecretId: 'rolling' }));
    assert.deepEqual(listed.Versions!.map((v) => v.VersionId).sort(), [v2, v3].sort());
    const all = await sm.send(new ListSecretVersionIdsCommand({ SecretId: 'rolling', IncludeDeprecated: true }));
    assert.equal(all.Versions!.length, 3);
    await rejectsWith(sm.send(new GetSecretValueCommand({ SecretId: 'rolling', VersionId: v1, VersionStage: 'AWSCURRENT' })), 'InvalidRequestException');
  });

  it('puts custom labels, moves them with UpdateSecretVersionStage, and refuses a move that does not name the holder', async () => {
    const v1 = (await sm.send(new CreateSecretCommand({ Name: 'staged', SecretString: 'one' }))).VersionId!;
    const put = await sm.send(new PutSecretValueCommand({ SecretId: 'staged', SecretString: 'two', VersionStages: ['canary'] }));
    assert.deepEqual(put.VersionStages, ['canary']);
    assert.equal((await sm.send(new GetSecretValueCommand({ SecretId: 'staged' }))).SecretString, 'one');
    await rejectsWith(
      sm.send(new UpdateSecretVersionStageCommand({ SecretId: 'staged', VersionStage: 'AWSCURRENT', MoveToVersionId: put.VersionId })),
      'InvalidParameterException',
      /RemoveFromVersionId/,
    );
    await sm.send(new UpdateSecretVersionStageCommand({ SecretId: 'staged', VersionStage: 'AWSCURRENT', MoveToVersionId: put.VersionId, RemoveFromVersionId: v1 }));
    assert.equal((await sm.send(new GetSecretValueCommand({ SecretId: 'staged' }))).SecretString, 'two');
    assert.equal((await sm.send(new GetSecretValueCommand({ SecretId: 'staged', VersionStage: 'AWSPREVIOUS' }))).SecretString, 'one');
    await sm.send(new UpdateSecretVersionStageCommand({ SecretId: 'staged', VersionStage: 'canary', RemoveFromVersionId: put.VersionId }));
    await rejectsWith(sm.send(new GetSecretValueCommand({ SecretId: 'staged', VersionStage: 'canary' })), 'ResourceNotFoundException');
  });

  it('schedules a deletion, refuses reads meanwhile, restores, and deletes at once when forced', async () => {
    const created = await sm.send(new CreateSecretCommand({ Name: 'doomed', SecretString: 'x' }));
    await rejectsWith(sm.send(new DeleteSecretCommand({ SecretId: 'doomed', RecoveryWindowInDays: 6 })), 'InvalidParameterException');
    await rejectsWith(sm.send(new DeleteSecretCommand({ SecretId: 'doomed', RecoveryWindowInDays: 7, ForceDeleteWithoutRecovery: true })), 'InvalidParameterException');
    const before = Date.now();
    const deleted = await sm.send(new DeleteSecretCommand({ SecretId: 'doomed', RecoveryWindowInDays: 7 }));
    assert.ok(Math.abs(deleted.DeletionDate!.getTime() - (before + 7 * 86_400_000)) < 60_000);
    await rejectsWith(sm.send(new GetSecretValueCommand({ SecretId: 'doomed' })), 'InvalidRequestException', /marked for deletion/);
    await rejectsWith(sm.send(new PutSecretValueCommand({ SecretId: 'doomed', SecretString: 'y' })), 'InvalidRequestException');
    assert.ok((await sm.send(new DescribeSecretCommand({ SecretId: 'doomed' }))).DeletedDate instanceof Date);
    const names = async (include: boolean) => ((await sm.send(new ListSecretsCommand({ IncludePlannedDeletion: include }))).SecretList ?? []).map((s) => s.Name);
    assert.ok(!(await names(false)).includes('doomed'));
    assert.ok((await names(true)).includes('doomed'));
    await rejectsWith(sm.send(new CreateSecretCommand({ Name: 'doomed', SecretString: 'z' })), 'InvalidRequestException');
    await sm.send(new RestoreSecretCommand({ SecretId: 'doomed' }));
    assert.equal((await sm.send(new GetSecretValueCommand({ SecretId: 'doomed' }))).SecretString, 'x');
    await sm.send(new DeleteSecretCommand({ SecretId: created.ARN, ForceDeleteWithoutRecovery: true }));
    await rejectsWith(sm.send(new DescribeSecretCommand({ SecretId: 'doomed' })), 'ResourceNotFoundException');
    const again = await sm.send(new CreateSecretCommand({ Name: 'doomed', SecretString: 'new' }));
    assert.notEqual(again.ARN, created.ARN);
  });

  it('tags and untags a secret, and refuses aws: keys', async () => {
    await sm.send(new CreateSecretCommand({ Name: 'tagged', SecretString: 'x', Tags: [{ Key: 'team', Value: 'a' }] }));
    await sm.send(new TagResourceCommand({ SecretId: 'tagged', Tags: [{ Key: 'env', Value: 'prod' }, { Key: 'team', Value: 'b' }] }));
    let tags = (await sm.send(new DescribeSecretCommand({ SecretId: 'tagged' }))).Tags!;
    assert.deepEqual(Object.fromEntries(tags.map((t) => [t.Key, t.Value])), { team: 'b', env: 'prod' });
    await sm.send(new UntagResourceCommand({ SecretId: 'tagged', TagKeys: ['team'] }));
    tags = (await sm.send(new DescribeSecretCommand({ SecretId: 'tagged' }))).Tags!;
    assert.deepEqual(tags, [{ Key: 'env', Value: 'prod' }]);
    await rejectsWith(sm.send(new TagResourceCommand({ SecretId: 'tagged', Tags: [{ Key: 'aws:x', Value: '1' }] })), 'InvalidParameterException');
  });

  it('lists secrets with filters, negation, sorting and paging', async () => {
    for (const n of ['list/a', 'list/b', 'list/c']) {
      await sm.send(new CreateSecretCommand({ Name: n, SecretString: n, Tags: [{ Key: 'group', Value: n === 'list/b' ? 'odd' : 'even' }] }));
    }
    const byName = await sm.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: ['list/'] }], SortBy: 'name', SortOrder: 'asc' }));
    assert.deepEqual(byName.SecretList!.map((s) => s.Name), ['list/a', 'list/b', 'list/c']);
    assert.ok(byName.SecretList![0]!.SecretVersionsToStages);
    const even = await sm.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: ['list/'] }, { Key: 'tag-value', Values: ['!odd'] }], SortBy: 'name', SortOrder: 'asc' }));
    assert.deepEqual(even.SecretList!.map((s) => s.Name), ['list/a', 'list/c']);
    const first = await sm.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: ['list/'] }], MaxResults: 2, SortBy: 'name', SortOrder: 'desc' }));
    assert.deepEqual(first.SecretList!.map((s) => s.Name), ['list/c', 'list/b']);
    const second = await sm.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: ['list/'] }], MaxResults: 2, SortBy: 'name', SortOrder: 'desc', NextToken: first.NextToken }));
    assert.deepEqual(second.SecretList!.map((s) => s.Name), ['list/a']);
    assert.equal(second.NextToken, undefined);
    await rejectsWith(sm.send(new ListSecretsCommand({ NextToken: 'garbage' })), 'InvalidNextTokenException');
  });

  it('reads several secrets at once, reporting the missing ones in Errors', async () => {
    const out = await sm.send(new BatchGetSecretValueCommand({ SecretIdList: ['list/a', 'missing-one'] }));
    assert.deepEqual(out.SecretValues!.map((v) => v.SecretString), ['list/a']);
    assert.deepEqual(out.Errors!.map((e) => [e.SecretId, e.ErrorCode]), [['missing-one', 'ResourceNotFoundException']]);
    const filtered = await sm.send(new BatchGetSecretValueCommand({ Filters: [{ Key: 'name', Values: ['list/'] }] }));
    assert.deepEqual(filtered.SecretValues!.map((v) => v.SecretString).sort(), ['list/a', 'list/b', 'list/c']);
    await rejectsWith(sm.send(new BatchGetSecretValueCommand({})), 'InvalidParameterException');
  });
});
