import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkReplicationConfiguration, policyAllowsReplication, replicationTargets } from './replication.js';
import { wildcardMatch } from './image-scanning.js';

const ACCOUNT = '000000000000';

describe('replication rules', () => {
  it('matches repositories by prefix, and every repository for a rule without filters', () => {
    const config = {
      rules: [
        { destinations: [{ region: 'us-west-2', registryId: ACCOUNT }], repositoryFilters: [{ filter: 'app/', filterType: 'PREFIX_MATCH' as const }] },
        { destinations: [{ region: 'eu-west-1', registryId: ACCOUNT }, { region: 'us-west-2', registryId: ACCOUNT }] },
      ],
    };
    assert.deepEqual(replicationTargets(config, 'app/web'), [{ region: 'us-west-2', registryId: ACCOUNT }, { region: 'eu-west-1', registryId: ACCOUNT }]);
    assert.deepEqual(replicationTargets({ rules: [config.rules[0]!] }, 'lib/web'), []);
  });

  it('refuses the source registry as a destination, unknown filter types and too many rules', () => {
    const rule = (region: string, filterType = 'PREFIX_MATCH') => ({ destinations: [{ region, registryId: ACCOUNT }], repositoryFilters: [{ filter: 'ab', filterType: filterType as 'PREFIX_MATCH' }] });
    assert.throws(() => checkReplicationConfiguration({ rules: [rule('us-east-1')] }, ACCOUNT, 'us-east-1'), { name: 'InvalidParameterException' });
    assert.throws(() => checkReplicationConfiguration({ rules: [rule('us-west-2', 'WILDCARD')] }, ACCOUNT, 'us-east-1'), { name: 'InvalidParameterException' });
    assert.throws(() => checkReplicationConfiguration({ rules: Array.from({ length: 11 }, () => rule('us-west-2')) }, ACCOUNT, 'us-east-1'), { name: 'InvalidParameterException' });
    assert.deepEqual(checkReplicationConfiguration({ rules: [] }, ACCOUNT, 'us-east-1'), { rules: [] });
  });

  it('allows a cross-account replication only when the destination registry policy grants ReplicateImage to the source', () => {
    const policy = (principal: unknown, action: unknown = ['ecr:CreateRepository', 'ecr:ReplicateImage']) =>
      JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: principal, Action: action, Resource: '*' }] });
    assert.equal(policyAllowsReplication(policy({ AWS: `arn:aws:iam::${ACCOUNT}:root` }), ACCOUNT), true);
    assert.equal(policyAllowsReplication(policy({ AWS: ACCOUNT }), ACCOUNT), true);
    assert.equal(policyAllowsReplication(policy({ AWS: 'arn:aws:iam::111111111111:root' }), ACCOUNT), false);
    assert.equal(policyAllowsReplication(policy({ AWS: ACCOUNT }, 'ecr:BatchGetImage'), ACCOUNT), false);
    assert.equal(policyAllowsReplication(null, ACCOUNT), false);
  });
});

describe('scanning filters', () => {
  it('matches WILDCARD filters on the whole repository name', () => {
    assert.equal(wildcardMatch('auto/*', 'auto/app'), true);
    assert.equal(wildcardMatch('auto/*', 'manual/auto/app'), false);
    assert.equal(wildcardMatch('*', 'x'), true);
    assert.equal(wildcardMatch('a.b', 'axb'), false);
  });
});
