// What an ElastiCache call asks of IAM: the action is `elasticache:<Operation>` and the resource is
// the ARN of the cluster, replication group, parameter group, snapshot, user or user group it names.
import type { IamRequest } from '@atoll/core';

const FIELDS: [string, string][] = [
  ['ReplicationGroupId', 'replicationgroup'],
  ['CacheClusterId', 'cluster'],
  ['CacheParameterGroupName', 'parametergroup'],
  ['SnapshotName', 'snapshot'],
  ['UserGroupId', 'usergroup'],
  ['UserId', 'user'],
];

export function elastiCacheAuthorization(operation: string, input: Record<string, unknown>, scope: { accountId: string; region: string }): IamRequest | undefined {
  if (typeof input.ResourceName === 'string') return { resources: [input.ResourceName] };
  const resources: string[] = [];
  for (const [field, kind] of FIELDS) {
    const value = input[field];
    if (typeof value === 'string' && value) resources.push(`arn:aws:elasticache:${scope.region}:${scope.accountId}:${kind}:${kind === 'user' || kind === 'usergroup' || kind === 'parametergroup' || kind === 'snapshot' ? value : value.toLowerCase()}`);
  }
  return resources.length ? { resources } : undefined;
}
