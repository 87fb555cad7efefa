// Tags on clusters, replication groups, parameter groups, snapshots, users, user groups, serverless
// caches and their snapshots, by ARN.
import type { RequestContext } from '@atoll/core';
import type { TagRecord } from './cache-records.js';
import type { RecordKind } from './elasticache-store.js';
import { CacheClusterNotFoundFault, CacheParameterGroupNotFoundFault, InvalidARNFault, ReplicationGroupNotFoundFault, SnapshotNotFoundFault, TagQuotaPerResourceExceeded, UserGroupNotFoundFault, UserNotFoundFault } from './elasticache-errors.js';
import type { OpsContext } from './ops-context.js';
import { ServerlessCacheNotFoundFault, ServerlessCacheSnapshotNotFoundFault } from '@atoll/aws-models/elasticache';

const KINDS: Record<string, { kind: RecordKind; missing: (id: string) => Error }> = {
  cluster: { kind: 'cluster', missing: (id) => new CacheClusterNotFoundFault(`CacheCluster not found: ${id}`) },
  replicationgroup: { kind: 'replication-group', missing: (id) => new ReplicationGroupNotFoundFault(`ReplicationGroup not found: ${id}`) },
  parametergroup: { kind: 'parameter-group', missing: (id) => new CacheParameterGroupNotFoundFault(`CacheParameterGroup ${id} not found.`) },
  snapshot: { kind: 'snapshot', missing: (id) => new SnapshotNotFoundFault(`Snapshot ${id} not found.`) },
  user: { kind: 'user', missing: (id) => new UserNotFoundFault(`User ${id} not found.`) },
  usergroup: { kind: 'user-group', missing: (id) => new UserGroupNotFoundFault(`User group ${id} not found.`) },
  serverlesscache: { kind: 'serverless-cache', missing: (id) => new ServerlessCacheNotFoundFault(`Serverless cache ${id} not found.`) },
  serverlesscachesnapshot: { kind: 'serverless-snapshot', missing: (id) => new ServerlessCacheSnapshotNotFoundFault(`Serverless cache snapshot ${id} not found.`) },
};

function parseArn(arn: string, ctx: RequestContext) {
  const m = /^arn:aws:elasticache:([^:]+):(\d{12}):([a-z]+):(.+)$/.exec(arn);
  const spec = m ? KINDS[m[3]!] : undefined;
  if (!m || !spec) throw new InvalidARNFault(`The ARN ${arn} is not valid.`);
  return { scope: { region: m[1]!, accountId: m[2]! }, id: m[4]!, spec, ctx };
}

export function tagOperations(ops: OpsContext) {
  const change = async (arn: string, ctx: RequestContext, edit: (tags: TagRecord[]) => TagRecord[]) => {
    const { scope, id, spec } = parseArn(arn, ctx);
    return ops.store.update(scope, [{ kind: spec.kind, id }], ([b]) => {
      const body = b as { tags: TagRecord[] } | undefined;
      if (!body) throw spec.missing(id);
      const tags = edit(body.tags ?? []);
      if (tags.length > 50) throw new TagQuotaPerResourceExceeded('The request cannot be processed because it would cause the resource to have more than the allowed number of tags. The maximum number of tags permitted on a resource is 50.');
      return { bodies: [{ ...body, tags }], result: { TagList: tags } };
    });
  };
  return {
    AddTagsToResource: (input: { ResourceName: string; Tags: TagRecord[] }, ctx: RequestContext) =>
      change(input.ResourceName, ctx, (tags) => {
        const map = new Map(tags.map((t) => [t.Key, t.Value]));
        for (const t of input.Tags) map.set(t.Key, t.Value ?? '');
        return [...map].map(([Key, Value]) => ({ Key, Value }));
      }),
    RemoveTagsFromResource: (input: { ResourceName: string; TagKeys: string[] }, ctx: RequestContext) =>
      change(input.ResourceName, ctx, (tags) => tags.filter((t) => !input.TagKeys.includes(t.Key))),
    ListTagsForResource: async (input: { ResourceName: string }, ctx: RequestContext) => {
      const { scope, id, spec } = parseArn(input.ResourceName, ctx);
      const body = await ops.store.get<{ tags: TagRecord[] }>(scope, spec.kind, id);
      if (!body) throw spec.missing(id);
      return { TagList: body.tags ?? [] };
    },
  };
}
