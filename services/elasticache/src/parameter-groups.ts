// Cache parameter groups: the built-in `default.<family>` groups (read-only, as in AWS) and custom
// ones, whose modified values the fleet applies to every running node that uses them (CONFIG SET).
import type { RequestContext } from '@atoll/core';
import type { ClusterRecord, ParameterGroupRecord } from './cache-records.js';
import type { Scope } from './elasticache-store.js';
import { CacheParameterGroupAlreadyExistsFault, CacheParameterGroupNotFoundFault, InvalidCacheParameterGroupStateFault, invalidValue } from './elasticache-errors.js';
import type { OpsContext } from './ops-context.js';
import { arnOf } from './ops-context.js';
import { PARAMETERS, checkParameterValue, parameterSpec } from './parameter-catalogue.js';

const FAMILIES = ['redis6.x', 'redis7', 'valkey7', 'valkey8'];

/** A built-in group (`default.redis7`, `default.redis7.cluster.on`), or undefined for another name. */
export function defaultParameterGroup(scope: Scope, name: string): ParameterGroupRecord | undefined {
  const m = /^default\.(.+?)(\.cluster\.on)?$/.exec(name);
  if (!m || !FAMILIES.includes(m[1]!)) return undefined;
  return {
    name,
    arn: `arn:aws:elasticache:${scope.region}:${scope.accountId}:parametergroup:${name}`,
    family: m[1]!,
    description: `Default parameter group for ${m[1]}${m[2] ? ' with cluster mode on' : ''}`,
    values: m[2] ? { 'cluster-enabled': 'yes' } : {},
    tags: [],
  };
}

export async function findParameterGroup(ops: OpsContext, scope: Scope, name: string): Promise<ParameterGroupRecord> {
  const group = defaultParameterGroup(scope, name) ?? (await ops.store.get<ParameterGroupRecord>(scope, 'parameter-group', name));
  if (!group) throw new CacheParameterGroupNotFoundFault(`CacheParameterGroup ${name} not found.`);
  return group;
}

const groupOutput = (g: ParameterGroupRecord) => ({ CacheParameterGroupName: g.name, CacheParameterGroupFamily: g.family, Description: g.description, IsGlobal: false, ARN: g.arn });

/** Tells every cluster using `name` to apply its values (the fleet sees a new configVersion). */
async function reapply(ops: OpsContext, scope: Scope, name: string): Promise<void> {
  const clusters = (await ops.store.list<ClusterRecord>(scope, 'cluster')).filter((c) => c.parameterGroupName === name && c.status !== 'deleting');
  if (clusters.length === 0) return;
  await ops.store.update(
    scope,
    clusters.map((c) => ({ kind: 'cluster' as const, id: c.id })),
    (bodies) => ({ bodies: bodies.map((b) => (b ? { ...(b as ClusterRecord), configVersion: (b as ClusterRecord).configVersion + 1 } : b)), result: undefined }),
    true,
  );
}

export function parameterGroupOperations(ops: OpsContext) {
  return {
    CreateCacheParameterGroup: async (input: { CacheParameterGroupName: string; CacheParameterGroupFamily: string; Description: string; Tags?: { Key: string; Value: string }[] }, ctx: RequestContext) => {
      const name = input.CacheParameterGroupName;
      if (!FAMILIES.includes(input.CacheParameterGroupFamily)) throw invalidValue(`The parameter CacheParameterGroupFamily ${input.CacheParameterGroupFamily} is not a valid family. Valid families: ${FAMILIES.join(', ')}`);
      if (name.startsWith('default.') || defaultParameterGroup(ctx, name)) throw new CacheParameterGroupAlreadyExistsFault(`Parameter group ${name} already exists.`);
      const record: ParameterGroupRecord = { name, arn: arnOf(ctx, 'parametergroup', name), family: input.CacheParameterGroupFamily, description: input.Description, values: {}, tags: input.Tags ?? [] };
      if (await ops.store.insert(ctx, [{ kind: 'parameter-group', id: name, body: record }])) throw new CacheParameterGroupAlreadyExistsFault(`Parameter group ${name} already exists.`);
      return { CacheParameterGroup: groupOutput(record) };
    },
    DescribeCacheParameterGroups: async (input: { CacheParameterGroupName?: string }, ctx: RequestContext) => {
      if (input.CacheParameterGroupName) return { CacheParameterGroups: [groupOutput(await findParameterGroup(ops, ctx, input.CacheParameterGroupName))] };
      const defaults = FAMILIES.flatMap((f) => [defaultParameterGroup(ctx, `default.${f}`)!, defaultParameterGroup(ctx, `default.${f}.cluster.on`)!]);
      const custom = await ops.store.list<ParameterGroupRecord>(ctx, 'parameter-group');
      return { CacheParameterGroups: [...defaults, ...custom].map(groupOutput) };
    },
    DescribeCacheParameters: async (input: { CacheParameterGroupName: string; Source?: string }, ctx: RequestContext) => {
      const group = await findParameterGroup(ops, ctx, input.CacheParameterGroupName);
      const params = PARAMETERS.map((p) => ({
        ParameterName: p.name,
        ParameterValue: group.values[p.name] ?? p.default,
        Description: p.description,
        Source: group.values[p.name] !== undefined && !group.name.startsWith('default.') ? 'user' : 'system',
        DataType: p.dataType,
        AllowedValues: p.allowedValues,
        IsModifiable: p.modifiable !== false,
        MinimumEngineVersion: '2.8.6',
        ChangeType: p.changeType,
      }));
      const source = input.Source;
      return { Parameters: source && source !== 'all' ? params.filter((p) => p.Source === source) : params, CacheNodeTypeSpecificParameters: [] };
    },
    ModifyCacheParameterGroup: async (input: { CacheParameterGroupName: string; ParameterNameValues: { ParameterName?: string; ParameterValue?: string }[] }, ctx: RequestContext) => {
      const name = input.CacheParameterGroupName;
      if (defaultParameterGroup(ctx, name)) throw new InvalidCacheParameterGroupStateFault(`Default parameter group ${name} cannot be modified.`);
      const changes: Record<string, string> = {};
      for (const { ParameterName, ParameterValue } of input.ParameterNameValues ?? []) {
        const spec = ParameterName ? parameterSpec(ParameterName) : undefined;
        if (!spec) throw invalidValue(`Unknown parameter ${ParameterName}.`);
        const why = checkParameterValue(spec, ParameterValue ?? '');
        if (why) throw invalidValue(why);
        changes[spec.name] = ParameterValue ?? '';
      }
      const found = await ops.store.update(ctx, [{ kind: 'parameter-group', id: name }], ([b]) => {
        const g = b as ParameterGroupRecord | undefined;
        return { bodies: [g ? { ...g, values: { ...g.values, ...changes } } : g], result: Boolean(g) };
      });
      if (!found) throw new CacheParameterGroupNotFoundFault(`CacheParameterGroup ${name} not found.`);
      await reapply(ops, ctx, name);
      return { CacheParameterGroupName: name };
    },
    ResetCacheParameterGroup: async (input: { CacheParameterGroupName: string; ResetAllParameters?: boolean; ParameterNameValues?: { ParameterName?: string }[] }, ctx: RequestContext) => {
      const name = input.CacheParameterGroupName;
      if (defaultParameterGroup(ctx, name)) throw new InvalidCacheParameterGroupStateFault(`Default parameter group ${name} cannot be modified.`);
      const names = (input.ParameterNameValues ?? []).map((p) => p.ParameterName!);
      const found = await ops.store.update(ctx, [{ kind: 'parameter-group', id: name }], ([b]) => {
        const g = b as ParameterGroupRecord | undefined;
        if (!g) return { bodies: [g], result: false };
        const values = input.ResetAllParameters ? {} : Object.fromEntries(Object.entries(g.values).filter(([k]) => !names.includes(k)));
        return { bodies: [{ ...g, values }], result: true };
      });
      if (!found) throw new CacheParameterGroupNotFoundFault(`CacheParameterGroup ${name} not found.`);
      await reapply(ops, ctx, name);
      return { CacheParameterGroupName: name };
    },
    DeleteCacheParameterGroup: async (input: { CacheParameterGroupName: string }, ctx: RequestContext) => {
      const name = input.CacheParameterGroupName;
      if (defaultParameterGroup(ctx, name)) throw new InvalidCacheParameterGroupStateFault(`Default parameter group ${name} cannot be deleted.`);
      const inUse = (await ops.store.list<ClusterRecord>(ctx, 'cluster')).some((c) => c.parameterGroupName === name);
      if (inUse) throw new InvalidCacheParameterGroupStateFault(`Parameter group ${name} is in use by one or more cache clusters.`);
      if (!(await ops.store.delete(ctx, 'parameter-group', name))) throw new CacheParameterGroupNotFoundFault(`CacheParameterGroup ${name} not found.`);
      return {};
    },
  };
}
