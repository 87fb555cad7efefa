// The IAM store's contract, run on every engine (iam-store.test.ts): users with case-insensitive
// names, access keys, inline policies, listing with markers, and the identity directory across nodes.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import type { EngineContext } from '@atoll/test-support';
import { IamDirectory } from './iam-directory.js';
import { IamStore, type AccessKeyRow, type UserRow } from './iam-store.js';
import type { ManagedPolicyRow } from './managed-policy-store.js';
import type { RoleRow } from './role-store.js';

const ACCOUNT = '000000000000';

function user(name: string, path = '/'): UserRow {
  return {
    account_id: ACCOUNT,
    user_name: name,
    user_id: `AIDA${name.toUpperCase().padEnd(17, 'X')}`,
    path,
    arn: `arn:aws:iam::${ACCOUNT}:user${path}${name}`,
    create_date: new Date().toISOString(),
    tags: '[]',
  };
}

let keySeq = 0;
function key(userName: string): AccessKeyRow {
  keySeq++;
  return {
    access_key_id: `AKIATEST${String(keySeq).padStart(12, '0')}`,
    secret_access_key: `secret-${keySeq}`,
    account_id: ACCOUNT,
    user_name: userName,
    status: 'Active',
    create_date: new Date(Date.now() + keySeq).toISOString(),
  };
}

function role(name: string, path = '/'): RoleRow {
  return {
    account_id: ACCOUNT,
    role_key: name.toLowerCase(),
    role_name: name,
    role_id: `AROA${name.toUpperCase().padEnd(17, 'X')}`,
    path,
    arn: `arn:aws:iam::${ACCOUNT}:role${path}${name}`,
    create_date: new Date().toISOString(),
    trust_policy: '{}',
    description: null,
    max_session_duration: 3600,
    boundary_arn: null,
    tags: '[]',
    last_used_date: null,
    last_used_region: null,
  };
}

function managed(name: string): ManagedPolicyRow {
  const now = new Date().toISOString();
  return {
    account_id: ACCOUNT,
    policy_key: name.toLowerCase(),
    policy_name: name,
    policy_id: `ANPA${name.toUpperCase().padEnd(17, 'X')}`,
    path: '/',
    arn: `arn:aws:iam::${ACCOUNT}:policy/${name}`,
    description: null,
    default_version: 'v1',
    next_version: 2,
    create_date: now,
    update_date: now,
    tags: '[]',
  };
}

const statement = (action: string) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: action, Resource: '*' }] });

const ALLOW = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] });

/** Polls `check` until it holds, for at most `ms`. */
async function within(ms: number, check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`not within ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export function iamStoreCases(engine: EngineContext): void {
  const multiNode = engine.engine === 'postgres' ? false : 'SQLite serves one node';
  const open = async (): Promise<IamStore> => IamStore.open(await engine.open());

  it('finds a user by its name in any case and refuses the same name in another case', async () => {
    const store = await open();
    assert.equal(await store.insertUser(user('Alice')), true);
    assert.equal((await store.getUser(ACCOUNT, 'alice'))?.user_name, 'Alice');
    assert.equal((await store.getUser(ACCOUNT, 'ALICE'))?.user_id, user('Alice').user_id);
    assert.equal(await store.insertUser({ ...user('ALICE'), user_id: 'AIDAOTHER000000000000' }), false);
    assert.equal(await store.getUser('111111111111', 'alice'), undefined);
  });

  it('lists users by name, case-insensitively, under a path prefix and after a marker', async () => {
    const store = await open();
    for (const u of [user('carol', '/team/'), user('Bob'), user('alice'), user('dave', '/team/')]) await store.insertUser(u);
    const names = async (prefix: string, after: string | undefined, limit: number) =>
      (await store.listUsers(ACCOUNT, prefix, after, limit)).map((u) => u.user_name);
    assert.deepEqual(await names('/', undefined, 10), ['alice', 'Bob', 'carol', 'dave']);
    assert.deepEqual(await names('/', undefined, 2), ['alice', 'Bob']);
    assert.deepEqual(await names('/', 'Bob', 10), ['carol', 'dave']);
    assert.deepEqual(await names('/', 'bob', 1), ['carol']);
    assert.deepEqual(await names('/team/', undefined, 10), ['carol', 'dave']);
    assert.deepEqual(await names('/te_m/', undefined, 10), [], 'LIKE wildcards in the prefix are literal');
  });

  it('gives a user at most the allowed number of keys, stored under the user\'s own name', async () => {
    const store = await open();
    await store.insertUser(user('Keys'));
    const first = key('keys');
    assert.deepEqual(await store.insertKey(first, 2), { outcome: 'created', userName: 'Keys' });
    assert.equal((await store.insertKey(key('KEYS'), 2)).outcome, 'created');
    assert.equal((await store.insertKey(key('keys'), 2)).outcome, 'limit');
    assert.equal((await store.insertKey(key('nobody'), 2)).outcome, 'missing');
    const listed = await store.listKeys(ACCOUNT, 'kEyS');
    assert.equal(listed.length, 2);
    assert.deepEqual(listed.map((k) => k.user_name), ['Keys', 'Keys']);
    assert.equal((await store.getKey(first.access_key_id))?.secret_access_key, first.secret_access_key);
    assert.deepEqual(await store.activeKey(first.access_key_id), {
      secret_access_key: first.secret_access_key,
      account_id: ACCOUNT,
      user_name: 'Keys',
      user_id: user('Keys').user_id,
      arn: user('Keys').arn,
    });
  });

  it('changes or deletes a key only for the user that owns it, and an inactive key does not authenticate', async () => {
    const store = await open();
    await store.insertUser(user('owner'));
    await store.insertUser(user('other'));
    const k = key('owner');
    await store.insertKey(k, 2);
    assert.equal(await store.setKeyStatus(ACCOUNT, 'other', k.access_key_id, 'Inactive'), false);
    assert.equal(await store.setKeyStatus(ACCOUNT, 'OWNER', k.access_key_id, 'Inactive'), true);
    assert.equal((await store.getKey(k.access_key_id))?.status, 'Inactive');
    assert.equal(await store.activeKey(k.access_key_id), undefined);
    assert.equal(await store.deleteKey(ACCOUNT, 'other', k.access_key_id), false);
    assert.equal(await store.deleteKey(ACCOUNT, 'owner', k.access_key_id), true);
    assert.equal(await store.getKey(k.access_key_id), undefined);
    assert.equal(await store.deleteKey(ACCOUNT, 'owner', k.access_key_id), false);
  });

  it('keeps inline policies per user, replaces them by name and deletes them', async () => {
    const store = await open();
    await store.insertUser(user('Pol'));
    assert.equal(await store.entities.putInline('user', ACCOUNT, 'pol', 'b', ALLOW), true);
    assert.equal(await store.entities.putInline('user', ACCOUNT, 'POL', 'a', '{}'), true);
    assert.equal(await store.entities.putInline('user', ACCOUNT, 'pol', 'a', ALLOW), true);
    assert.equal(await store.entities.putInline('user', ACCOUNT, 'nobody', 'a', ALLOW), false);
    assert.deepEqual(await store.entities.listInlineNames('user', ACCOUNT, 'Pol'), ['a', 'b']);
    assert.equal(await store.entities.getInline('user', ACCOUNT, 'pOl', 'a'), ALLOW);
    assert.deepEqual(await store.entities.listInlineDocuments('user', ACCOUNT, 'pol'), [ALLOW, ALLOW]);
    assert.equal(await store.entities.deleteInline('user', ACCOUNT, 'pol', 'a'), true);
    assert.equal(await store.entities.deleteInline('user', ACCOUNT, 'pol', 'a'), false);
    assert.deepEqual(await store.entities.listInlineNames('user', ACCOUNT, 'pol'), ['b']);
  });

  it('deletes a user only once its keys and policies are gone', async () => {
    const store = await open();
    await store.insertUser(user('Gone'));
    const k = key('gone');
    await store.insertKey(k, 2);
    await store.entities.putInline('user', ACCOUNT, 'gone', 'p', ALLOW);
    assert.equal(await store.deleteUser(ACCOUNT, 'gone'), 'has-keys');
    await store.deleteKey(ACCOUNT, 'gone', k.access_key_id);
    assert.equal(await store.deleteUser(ACCOUNT, 'GONE'), 'has-policies');
    await store.entities.deleteInline('user', ACCOUNT, 'gone', 'p');
    assert.equal(await store.deleteUser(ACCOUNT, 'gONE'), 'deleted');
    assert.equal(await store.getUser(ACCOUNT, 'gone'), undefined);
    assert.equal(await store.deleteUser(ACCOUNT, 'gone'), 'missing');
  });

  it('drops a cached key from the directory when its status changes or it is deleted', async () => {
    const store = await open();
    const directory = new IamDirectory(store, store.db.signals);
    await store.insertUser(user('cached'));
    const k = key('cached');
    await store.insertKey(k, 2);
    assert.equal((await directory.lookupAccessKey(k.access_key_id))?.identity.userName, 'cached');
    await store.setKeyStatus(ACCOUNT, 'cached', k.access_key_id, 'Inactive');
    await within(1000, async () => (await directory.lookupAccessKey(k.access_key_id)) === undefined, 'inactive key refused');
    await store.setKeyStatus(ACCOUNT, 'cached', k.access_key_id, 'Active');
    assert.equal((await directory.lookupAccessKey(k.access_key_id))?.secretAccessKey, k.secret_access_key);
    await store.deleteKey(ACCOUNT, 'cached', k.access_key_id);
    await within(1000, async () => (await directory.lookupAccessKey(k.access_key_id)) === undefined, 'deleted key refused');
    directory.close();
  });

  it('a key deactivated on one node is refused by another node\'s directory within a second', { skip: multiNode }, async () => {
    const one = await open();
    const two = await IamStore.open(await engine.node());
    const directory = new IamDirectory(two, two.db.signals);
    await one.insertUser(user('roamer'));
    const k = key('roamer');
    await one.insertKey(k, 2);
    // Created on node 1, the key signs on node 2 at once: a miss reads the database.
    assert.equal((await directory.lookupAccessKey(k.access_key_id))?.identity.arn, user('roamer').arn);
    assert.equal(await one.setKeyStatus(ACCOUNT, 'roamer', k.access_key_id, 'Inactive'), true);
    await within(1000, async () => (await directory.lookupAccessKey(k.access_key_id)) === undefined, 'node 2 refuses the key');
    directory.close();
  });

  it('a user created on one node is found on another, and its policy changes reach the other node\'s directory', { skip: multiNode }, async () => {
    const one = await open();
    const two = await IamStore.open(await engine.node());
    const directory = new IamDirectory(two, two.db.signals);
    await one.insertUser(user('Shared'));
    assert.equal((await two.getUser(ACCOUNT, 'shared'))?.user_name, 'Shared');
    assert.equal(await two.insertUser({ ...user('SHARED'), user_id: 'AIDASHAREDTWO00000000' }), false);
    const identity = { type: 'IAMUser' as const, accountId: ACCOUNT, arn: user('Shared').arn, principalId: user('Shared').user_id, userName: 'Shared' };
    assert.deepEqual((await directory.permissionsFor(identity)).identityPolicies, []);
    await one.entities.putInline('user', ACCOUNT, 'shared', 'all', ALLOW);
    await within(1000, async () => (await directory.permissionsFor(identity)).identityPolicies.length === 1, 'node 2 sees the policy');
    await one.entities.deleteInline('user', ACCOUNT, 'SHARED', 'all');
    await within(1000, async () => (await directory.permissionsFor(identity)).identityPolicies.length === 0, 'node 2 drops the policy');
    directory.close();
  });

  it('two nodes deactivating and deleting one key at once end with the key gone', { skip: multiNode }, async () => {
    const one = await open();
    const two = await IamStore.open(await engine.node());
    await one.insertUser(user('race'));
    const k = key('race');
    await one.insertKey(k, 2);
    const [updated, deleted] = await Promise.all([
      one.setKeyStatus(ACCOUNT, 'race', k.access_key_id, 'Inactive'),
      two.deleteKey(ACCOUNT, 'race', k.access_key_id),
    ]);
    assert.equal(deleted, true);
    assert.equal(typeof updated, 'boolean');
    assert.equal(await one.getKey(k.access_key_id), undefined);
    assert.equal(await two.activeKey(k.access_key_id), undefined);
  });

  it('two nodes creating keys for one user at once never exceed the limit', { skip: multiNode }, async () => {
    const one = await open();
    const two = await IamStore.open(await engine.node());
    await one.insertUser(user('quota'));
    const outcomes = await Promise.all([one, two, one, two].map((s) => s.insertKey(key('quota'), 2)));
    assert.equal(outcomes.filter((o) => o.outcome === 'created').length, 2);
    assert.equal((await two.listKeys(ACCOUNT, 'quota')).length, 2);
  });

  it('keeps roles by name in any case, lists them under a path prefix after a marker, and refuses a second of one name', async () => {
    const store = await open();
    for (const r of [role('Writer', '/app/'), role('reader', '/app/'), role('admin')]) assert.equal(await store.roles.insert(r), true);
    assert.equal(await store.roles.insert({ ...role('WRITER'), role_id: 'AROAOTHER000000000000' }), false);
    assert.equal((await store.roles.get(ACCOUNT, 'writer'))?.role_name, 'Writer');
    const names = async (prefix: string, after?: string, limit = 10) => (await store.roles.list(ACCOUNT, prefix, after, limit)).map((r) => r.role_name);
    assert.deepEqual(await names('/'), ['admin', 'reader', 'Writer']);
    assert.deepEqual(await names('/app/'), ['reader', 'Writer']);
    assert.deepEqual(await names('/', 'Reader'), ['Writer']);
    assert.equal(await store.roles.update(ACCOUNT, 'WRITER', { maxSessionDuration: 7200 }), true);
    assert.equal(await store.roles.update(ACCOUNT, 'writer', { description: 'd' }), true);
    const updated = (await store.roles.get(ACCOUNT, 'writer'))!;
    assert.deepEqual([updated.max_session_duration, updated.description], [7200, 'd']);
    assert.equal(await store.roles.update(ACCOUNT, 'nobody', { description: 'd' }), false);
  });

  it('deletes a role only once its inline and attached policies and instance profiles are gone', async () => {
    const store = await open();
    await store.roles.insert(role('Busy'));
    await store.policies.insert(managed('Shared'), ALLOW);
    await store.profiles.insert({ account_id: ACCOUNT, profile_key: 'prof', profile_name: 'Prof', profile_id: 'AIPAPROF0000000000000', path: '/', arn: 'x', create_date: '', tags: '[]' });
    assert.equal(await store.entities.putInline('role', ACCOUNT, 'busy', 'p', ALLOW), true);
    assert.equal(await store.entities.attach('role', ACCOUNT, 'BUSY', managed('Shared').arn, true, 10), 'attached');
    assert.equal(await store.profiles.addRole(ACCOUNT, 'prof', 'busy', 1), 'done');
    assert.equal(await store.profiles.addRole(ACCOUNT, 'prof', 'other', 1), 'no-role');
    assert.equal(await store.roles.delete(ACCOUNT, 'busy'), 'has-profiles');
    assert.equal(await store.profiles.removeRole(ACCOUNT, 'prof', 'busy'), 'done');
    assert.equal(await store.roles.delete(ACCOUNT, 'busy'), 'has-policies');
    await store.entities.deleteInline('role', ACCOUNT, 'busy', 'p');
    assert.equal(await store.roles.delete(ACCOUNT, 'busy'), 'has-attached');
    assert.equal(await store.policies.delete(ACCOUNT, managed('Shared').arn), 'attached');
    assert.equal(await store.entities.detach('role', ACCOUNT, 'busy', managed('Shared').arn), true);
    assert.equal(await store.roles.delete(ACCOUNT, 'Busy'), 'deleted');
    assert.equal(await store.roles.delete(ACCOUNT, 'Busy'), 'missing');
    assert.equal(await store.policies.delete(ACCOUNT, managed('Shared').arn), 'deleted');
  });

  it('records a role\'s last use, once per interval when asked to (unlessSince)', async () => {
    const store = await open();
    await store.roles.insert(role('Used'));
    assert.equal(await store.roles.recordUse(ACCOUNT, 'used', '2025-01-01T00:00:00.000Z', 'us-east-1', '2024-12-31T23:59:00.000Z'), true);
    // Within the interval: not written again.
    assert.equal(await store.roles.recordUse(ACCOUNT, 'USED', '2025-01-01T00:00:30.000Z', 'eu-west-1', '2024-12-31T23:59:30.000Z'), false);
    let row = (await store.roles.get(ACCOUNT, 'used'))!;
    assert.deepEqual([row.last_used_date, row.last_used_region], ['2025-01-01T00:00:00.000Z', 'us-east-1']);
    assert.equal(await store.roles.recordUse(ACCOUNT, 'used', '2025-01-01T00:01:05.000Z', 'eu-west-1', '2025-01-01T00:00:05.000Z'), true);
    row = (await store.roles.get(ACCOUNT, 'used'))!;
    assert.deepEqual([row.last_used_date, row.last_used_region], ['2025-01-01T00:01:05.000Z', 'eu-west-1']);
    assert.equal(await store.roles.recordUse(ACCOUNT, 'missing', '2025-01-01T00:02:00.000Z', 'us-east-1'), false);
  });

  it('numbers policy versions, keeps at most the limit, never deletes the default and deletes a policy only with one version left', async () => {
    const store = await open();
    const p = managed('Versioned');
    assert.equal(await store.policies.insert(p, statement('s3:GetObject')), true);
    assert.equal(await store.policies.insert({ ...managed('VERSIONED'), policy_id: 'ANPAOTHER000000000000' }, ALLOW), false);
    for (let i = 2; i <= 5; i++) {
      const created = await store.policies.createVersion(ACCOUNT, p.arn, statement(`s3:Op${i}`), i === 3, 5, new Date().toISOString());
      assert.deepEqual([created.outcome, created.version?.version_id], ['created', `v${i}`]);
    }
    assert.equal((await store.policies.createVersion(ACCOUNT, p.arn, ALLOW, false, 5, '')).outcome, 'limit');
    assert.equal(await store.policies.defaultDocument(p.arn), statement('s3:Op3'));
    assert.deepEqual((await store.policies.listVersions(ACCOUNT, p.arn)).map((v) => v.version_id), ['v5', 'v4', 'v3', 'v2', 'v1']);
    assert.equal(await store.policies.deleteVersion(ACCOUNT, p.arn, 'v3'), 'default');
    assert.equal(await store.policies.deleteVersion(ACCOUNT, p.arn, 'v9'), 'no-version');
    assert.equal(await store.policies.delete(ACCOUNT, p.arn), 'versions');
    for (const v of ['v1', 'v2', 'v4']) assert.equal(await store.policies.deleteVersion(ACCOUNT, p.arn, v), 'deleted');
    assert.equal((await store.policies.createVersion(ACCOUNT, p.arn, ALLOW, true, 5, '')).version?.version_id, 'v6', 'numbers are never reused');
    assert.equal(await store.policies.setDefault(ACCOUNT, p.arn, 'v5', ''), 'done');
    assert.equal(await store.policies.defaultDocument(p.arn), statement('s3:Op5'));
    for (const v of ['v3', 'v6']) await store.policies.deleteVersion(ACCOUNT, p.arn, v);
    assert.equal(await store.policies.delete(ACCOUNT, p.arn), 'deleted');
    assert.equal(await store.policies.defaultDocument(p.arn), undefined);
  });

  it('keeps group members, refuses to delete a group with members or a user in a group or with attached policies', async () => {
    const store = await open();
    await store.insertUser(user('Member'));
    await store.groups.insert({ account_id: ACCOUNT, group_key: 'devs', group_name: 'Devs', group_id: 'AGPADEVS0000000000000', path: '/', arn: 'g', create_date: '' });
    assert.equal(await store.groups.addMember(ACCOUNT, 'DEVS', 'member', 10), 'done');
    assert.equal(await store.groups.addMember(ACCOUNT, 'devs', 'MEMBER', 10), 'done', 'adding twice is harmless');
    assert.equal(await store.groups.addMember(ACCOUNT, 'devs', 'nobody', 10), 'no-user');
    assert.equal(await store.groups.addMember(ACCOUNT, 'nogroup', 'member', 10), 'no-group');
    assert.deepEqual((await store.groups.members(ACCOUNT, 'devs')).map((u) => u.user_name), ['Member']);
    assert.deepEqual((await store.groups.groupsOf(ACCOUNT, 'member')).map((g) => g.group_name), ['Devs']);
    assert.equal(await store.groups.delete(ACCOUNT, 'devs'), 'has-users');
    assert.equal(await store.deleteUser(ACCOUNT, 'member'), 'has-groups');
    assert.equal(await store.groups.removeMember(ACCOUNT, 'devs', 'member'), 'done');
    assert.equal(await store.groups.removeMember(ACCOUNT, 'devs', 'member'), 'no-user');
    await store.policies.insert(managed('UserPolicy'), ALLOW);
    await store.entities.attach('user', ACCOUNT, 'member', managed('UserPolicy').arn, true, 10);
    assert.equal(await store.deleteUser(ACCOUNT, 'member'), 'has-attached');
    assert.equal(await store.entities.attach('user', ACCOUNT, 'member', 'arn:aws:iam::000000000000:policy/none', true, 10), 'no-policy');
    assert.equal(await store.groups.delete(ACCOUNT, 'devs'), 'deleted');
  });

  it('gives a user its own, its groups\' and attached policies with its boundary and tags; a role session its role\'s and session\'s', async () => {
    const store = await open();
    const directory = new IamDirectory(store, store.db.signals);
    await store.insertUser({ ...user('Perm'), tags: JSON.stringify([{ Key: 'team', Value: 'blue' }]) });
    await store.groups.insert({ account_id: ACCOUNT, group_key: 'ops', group_name: 'Ops', group_id: 'AGPAOPS00000000000000', path: '/', arn: 'g', create_date: '' });
    await store.policies.insert(managed('GroupManaged'), statement('sqs:*'));
    await store.policies.insert(managed('Boundary'), statement('*'));
    await store.entities.putInline('user', ACCOUNT, 'perm', 'own', statement('s3:*'));
    await store.entities.putInline('group', ACCOUNT, 'ops', 'grp', statement('sns:*'));
    await store.entities.attach('group', ACCOUNT, 'ops', managed('GroupManaged').arn, true, 10);
    await store.groups.addMember(ACCOUNT, 'ops', 'perm', 10);
    await store.setBoundary(ACCOUNT, 'perm', managed('Boundary').arn);
    const identity = { type: 'IAMUser' as const, accountId: ACCOUNT, arn: user('Perm').arn, principalId: user('Perm').user_id, userName: 'Perm' };
    const permissions = await directory.permissionsFor(identity);
    assert.deepEqual([...permissions.identityPolicies].sort(), [statement('s3:*'), statement('sns:*'), statement('sqs:*')].sort());
    assert.equal(permissions.boundary, statement('*'));
    assert.deepEqual(permissions.principalTags, { team: 'blue' });

    // A new default version of the group's managed policy reaches the member at once.
    await store.policies.createVersion(ACCOUNT, managed('GroupManaged').arn, statement('sqs:SendMessage'), true, 5, '');
    await within(1000, async () => (await directory.permissionsFor(identity)).identityPolicies.includes(statement('sqs:SendMessage')), 'the new default');
    await store.groups.removeMember(ACCOUNT, 'ops', 'perm');
    await within(1000, async () => (await directory.permissionsFor(identity)).identityPolicies.length === 1, 'left the group');

    await store.roles.insert({ ...role('App'), tags: JSON.stringify([{ Key: 'team', Value: 'red' }, { Key: 'env', Value: 'prod' }]) });
    await store.entities.putInline('role', ACCOUNT, 'app', 'r', statement('dynamodb:*'));
    const session = {
      type: 'AssumedRole' as const,
      accountId: ACCOUNT,
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/App/s1`,
      principalId: `${role('App').role_id}:s1`,
      session: { roleName: 'App', roleArn: role('App').arn, sessionName: 's1', issued: 0, expires: Date.now() + 3600_000, policy: statement('dynamodb:GetItem'), policyArns: [managed('Boundary').arn], tags: { team: 'green' } },
    };
    const rolePermissions = await directory.permissionsFor(session);
    assert.deepEqual(rolePermissions.identityPolicies, [statement('dynamodb:*')]);
    assert.deepEqual(rolePermissions.sessionPolicies, [statement('dynamodb:GetItem'), statement('*')]);
    assert.deepEqual(rolePermissions.principalTags, { team: 'green', env: 'prod' });
    assert.equal(rolePermissions.boundary, undefined);
    assert.deepEqual((await directory.permissionsFor({ ...session, session: { ...session.session, roleName: 'Gone' } })).identityPolicies, []);
    directory.close();
  });

  it('a role policy changed on one node reaches another node\'s directory, as does a managed policy\'s new default version', { skip: multiNode }, async () => {
    const one = await open();
    const two = await IamStore.open(await engine.node());
    const directory = new IamDirectory(two, two.db.signals);
    await one.roles.insert(role('Remote'));
    await one.policies.insert(managed('RemoteManaged'), statement('s3:GetObject'));
    const session = {
      type: 'AssumedRole' as const,
      accountId: ACCOUNT,
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/Remote/s`,
      principalId: `${role('Remote').role_id}:s`,
      session: { roleName: 'Remote', issued: 0, expires: Date.now() + 3600_000 },
    };
    const policies = async () => (await directory.permissionsFor(session)).identityPolicies;
    assert.deepEqual(await policies(), []);
    await one.entities.putInline('role', ACCOUNT, 'remote', 'inline', statement('sqs:*'));
    await within(1000, async () => (await policies()).length === 1, 'node 2 sees the inline policy');
    await one.entities.attach('role', ACCOUNT, 'remote', managed('RemoteManaged').arn, true, 10);
    await within(1000, async () => (await policies()).includes(statement('s3:GetObject')), 'node 2 sees the attachment');
    await one.policies.createVersion(ACCOUNT, managed('RemoteManaged').arn, statement('s3:PutObject'), true, 5, '');
    await within(1000, async () => (await policies()).includes(statement('s3:PutObject')), 'node 2 sees the new default version');
    await one.roles.setBoundary(ACCOUNT, 'remote', managed('RemoteManaged').arn);
    await within(1000, async () => (await directory.permissionsFor(session)).boundary === statement('s3:PutObject'), 'node 2 sees the boundary');
    await one.entities.deleteInline('role', ACCOUNT, 'remote', 'inline');
    await within(1000, async () => (await policies()).length === 1, 'node 2 drops the inline policy');
    directory.close();
  });

  it('two nodes attaching policies to one role at once never exceed the limit', { skip: multiNode }, async () => {
    const one = await open();
    const two = await IamStore.open(await engine.node());
    await one.roles.insert(role('Crowded'));
    const arns = ['A', 'B', 'C', 'D'].map((n) => `arn:aws:iam::aws:policy/${n}`);
    const outcomes = await Promise.all(arns.map((arn, i) => (i % 2 ? two : one).entities.attach('role', ACCOUNT, 'crowded', arn, false, 2)));
    assert.equal(outcomes.filter((o) => o === 'attached').length, 2);
    assert.equal((await one.entities.listAttached('role', ACCOUNT, 'crowded')).length, 2);
  });
}
