// Serverless caches: one real engine process (a hidden cache cluster `serverless:<name>`, not listed
// by DescribeCacheClusters) behind one endpoint, and their snapshots as RDB files. Create, describe,
// modify, delete (with a final snapshot); CreateServerlessCacheSnapshot, Describe, Delete, Copy;
// restore with SnapshotArnsToRestore (one serverless or single-shard snapshot); Export writes the RDB
// file to the caller's S3 bucket as `<snapshot>.rdb`.
// Known limitations: CacheUsageLimits are recorded, not enforced (no ECPU metering, no storage cap);
// Endpoint and ReaderEndpoint are the same engine port (AWS: 6379 and 6380 on one name); the cache is
// a single non-cluster engine; no automatic daily snapshots.
import { copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import type { RequestContext } from '@atoll/core';
import {
  InvalidServerlessCacheSnapshotStateFault,
  InvalidServerlessCacheStateFault,
  ServerlessCacheAlreadyExistsFault,
  ServerlessCacheNotFoundFault,
  ServerlessCacheSnapshotAlreadyExistsFault,
  ServerlessCacheSnapshotNotFoundFault,
  type CopyServerlessCacheSnapshotRequest,
  type CreateServerlessCacheRequest,
  type CreateServerlessCacheSnapshotRequest,
  type DeleteServerlessCacheRequest,
  type DeleteServerlessCacheSnapshotRequest,
  type DescribeServerlessCacheSnapshotsRequest,
  type DescribeServerlessCachesRequest,
  type ExportServerlessCacheSnapshotRequest,
  type ModifyServerlessCacheRequest,
  type ServerlessCache,
  type ServerlessCacheSnapshot,
} from '@atoll/aws-models/elasticache';
import type { ClusterRecord, EngineName, ServerlessCacheRecord, ServerlessSnapshotRecord, SnapshotRecord, TagRecord, UsageLimitsRecord, UserGroupRecord } from './cache-records.js';
import { AZ_SUFFIX, allocatePorts, engineChoice, releasePorts } from './cluster-operations.js';
import { invalidCombination, invalidValue, SnapshotNotFoundFault, UserGroupNotFoundFault } from './elasticache-errors.js';
import type { Scope } from './elasticache-store.js';
import { arnOf, exportToS3, type OpsContext } from './ops-context.js';
import { HOST } from './output.js';
import { serverlessNodeId } from './serverless-fleet.js';
import { checkIdentifier } from './validation.js';

const cacheNotFound = (name: string) => new ServerlessCacheNotFoundFault(`Serverless cache ${name} not found.`);
const snapshotNotFound = (name: string) => new ServerlessCacheSnapshotNotFoundFault(`Serverless cache snapshot ${name} not found.`);

export function serverlessCacheOutput(c: ServerlessCacheRecord): ServerlessCache {
  const endpoint = c.status === 'creating' || c.status === 'create-failed' ? undefined : { Address: HOST, Port: c.port };
  return {
    ServerlessCacheName: c.name,
    Description: c.description,
    CreateTime: new Date(c.createdAt),
    Status: c.status,
    Engine: c.engine,
    MajorEngineVersion: c.majorEngineVersion,
    FullEngineVersion: c.fullEngineVersion,
    CacheUsageLimits: c.usageLimits,
    KmsKeyId: c.kmsKeyId,
    SecurityGroupIds: c.securityGroupIds,
    Endpoint: endpoint,
    ReaderEndpoint: endpoint,
    ARN: c.arn,
    UserGroupId: c.userGroupId,
    SubnetIds: c.subnetIds,
    SnapshotRetentionLimit: c.snapshotRetentionLimit,
    DailySnapshotTime: c.dailySnapshotTime,
  };
}

export function serverlessSnapshotOutput(s: ServerlessSnapshotRecord): ServerlessCacheSnapshot {
  return {
    ServerlessCacheSnapshotName: s.name,
    ARN: s.arn,
    KmsKeyId: s.kmsKeyId,
    SnapshotType: s.type,
    Status: s.status,
    CreateTime: new Date(s.createdAt),
    BytesUsedForCache: String(s.sizeBytes),
    ServerlessCacheConfiguration: { ServerlessCacheName: s.cacheName, Engine: s.engine, MajorEngineVersion: s.majorEngineVersion },
  };
}

/** AWS's usage limit rules: DataStorage in GB (1–5000, Minimum ≤ Maximum), ECPUPerSecond 1000–15000000. */
function checkUsageLimits(limits: UsageLimitsRecord | undefined): UsageLimitsRecord | undefined {
  if (!limits) return undefined;
  const { DataStorage: ds, ECPUPerSecond: ecpu } = limits;
  if (ds) {
    if (ds.Unit !== 'GB') throw invalidValue('DataStorage Unit must be GB.');
    for (const v of [ds.Minimum, ds.Maximum]) if (v !== undefined && (v < 1 || v > 5000)) throw invalidValue('DataStorage must be between 1 and 5000 GB.');
    if (ds.Minimum !== undefined && ds.Maximum !== undefined && ds.Minimum > ds.Maximum) throw invalidCombination('DataStorage Minimum must not be greater than Maximum.');
  }
  if (ecpu) {
    for (const v of [ecpu.Minimum, ecpu.Maximum]) if (v !== undefined && (v < 1000 || v > 15_000_000)) throw invalidValue('ECPUPerSecond must be between 1000 and 15000000.');
    if (ecpu.Minimum !== undefined && ecpu.Maximum !== undefined && ecpu.Minimum > ecpu.Maximum) throw invalidCombination('ECPUPerSecond Minimum must not be greater than Maximum.');
  }
  return limits;
}

async function findCache(ops: OpsContext, scope: Scope, name: string): Promise<ServerlessCacheRecord> {
  const c = await ops.store.get<ServerlessCacheRecord>(scope, 'serverless-cache', name.toLowerCase());
  if (!c) throw cacheNotFound(name);
  return c;
}

async function checkUserGroup(ops: OpsContext, scope: Scope, id: string | undefined, engine: EngineName): Promise<void> {
  if (!id) return;
  const ug = await ops.store.get<UserGroupRecord>(scope, 'user-group', id);
  if (!ug) throw new UserGroupNotFoundFault(`User group ${id} not found.`);
  if (ug.engine !== engine && !(engine === 'valkey' && ug.engine === 'redis')) throw invalidCombination(`User group ${id} is for engine ${ug.engine}.`);
}

/** Records on the user groups which serverless caches use them (DeleteUserGroup refuses a used one). */
async function linkUserGroup(ops: OpsContext, scope: Scope, cacheName: string, add: string | undefined, remove: string | undefined): Promise<void> {
  const ids = [...new Set([add, remove].filter((x): x is string => Boolean(x)))];
  if (ids.length === 0 || add === remove) return;
  await ops.store.update(
    scope,
    ids.map((id) => ({ kind: 'user-group' as const, id })),
    (bodies) => ({
      bodies: bodies.map((b, i) => {
        const ug = b as UserGroupRecord | undefined;
        if (!ug) return ug;
        const others = (ug.serverlessCaches ?? []).filter((c) => c !== cacheName);
        return { ...ug, serverlessCaches: ids[i] === add ? [...others, cacheName] : others };
      }),
      result: undefined,
    }),
  );
}

/** The RDB file a new serverless cache starts from: one serverless snapshot or one single-shard snapshot, by ARN. */
async function restoreFileOf(ops: OpsContext, scope: Scope, arns: readonly string[] | undefined): Promise<{ file: string; snapshotName?: string } | undefined> {
  if (!arns || arns.length === 0) return undefined;
  if (arns.length > 1) throw invalidCombination('Restoring from more than one snapshot is not supported here: give one ARN in SnapshotArnsToRestore.');
  const m = /^arn:aws:elasticache:([^:]+):(\d{12}):(serverlesscachesnapshot|snapshot):(.+)$/.exec(arns[0]!);
  if (!m || m[1] !== scope.region || m[2] !== scope.accountId) throw invalidValue(`Invalid snapshot ARN: ${arns[0]}`);
  if (m[3] === 'serverlesscachesnapshot') {
    const s = await ops.store.get<ServerlessSnapshotRecord>(scope, 'serverless-snapshot', m[4]!);
    if (!s) throw snapshotNotFound(m[4]!);
    if (s.status !== 'available' || !s.file) throw new InvalidServerlessCacheSnapshotStateFault(`Serverless cache snapshot ${s.name} is not available.`);
    return { file: s.file };
  }
  const s = await ops.store.get<SnapshotRecord>(scope, 'snapshot', m[4]!);
  if (!s) throw new SnapshotNotFoundFault(`Snapshot ${m[4]} not found.`);
  if (s.status !== 'available' || s.files.length !== 1) throw invalidCombination(`Snapshot ${s.name} must be available and have exactly one node group to be restored into a serverless cache.`);
  // restoreFrom names it too, so that DeleteSnapshot waits for the restore.
  return { file: s.files[0]!.file, snapshotName: s.name };
}

function newServerlessSnapshot(scope: Scope, name: string, cache: ServerlessCacheRecord, tags: TagRecord[], kmsKeyId: string | undefined): ServerlessSnapshotRecord {
  return {
    name,
    arn: arnOf(scope, 'serverlesscachesnapshot', name),
    status: 'creating',
    type: 'manual',
    createdAt: new Date().toISOString(),
    cacheName: cache.name,
    engine: cache.engine,
    majorEngineVersion: cache.majorEngineVersion,
    kmsKeyId: kmsKeyId ?? cache.kmsKeyId,
    sizeBytes: 0,
    tags,
  };
}

/** NextToken/MaxResults paging over an already filtered list. */
function page<T>(items: T[], maxResults: number | undefined, token: string | undefined, max: number): { items: T[]; next?: string } {
  const size = maxResults ?? max;
  if (size < 1 || size > max) throw invalidValue(`MaxResults must be between 1 and ${max}.`);
  const start = token ? Number(Buffer.from(token, 'base64').toString()) || 0 : 0;
  const next = start + size < items.length ? Buffer.from(String(start + size)).toString('base64') : undefined;
  return { items: items.slice(start, start + size), next };
}

export function serverlessOperations(ops: OpsContext) {
  return {
    CreateServerlessCache: async (input: CreateServerlessCacheRequest, ctx: RequestContext) => {
      const name = checkIdentifier('ServerlessCacheName', input.ServerlessCacheName, 40);
      const choice = await engineChoice(ops, ctx, { Engine: input.Engine, EngineVersion: input.MajorEngineVersion }, false);
      const usageLimits = checkUsageLimits(input.CacheUsageLimits as UsageLimitsRecord | undefined);
      await checkUserGroup(ops, ctx, input.UserGroupId, choice.engine);
      const restore = await restoreFileOf(ops, ctx, input.SnapshotArnsToRestore);
      if (input.SnapshotRetentionLimit !== undefined && (input.SnapshotRetentionLimit < 0 || input.SnapshotRetentionLimit > 35)) throw invalidValue('SnapshotRetentionLimit must be between 0 and 35.');
      if (await ops.store.get(ctx, 'serverless-cache', name)) throw new ServerlessCacheAlreadyExistsFault(`Serverless cache ${name} already exists.`);
      const [port] = await allocatePorts(ops, 1);
      const now = new Date().toISOString();
      const cache: ServerlessCacheRecord = {
        name,
        arn: arnOf(ctx, 'serverlesscache', name),
        description: input.Description ?? ' ',
        engine: choice.engine,
        majorEngineVersion: choice.version.split('.')[0]!,
        fullEngineVersion: choice.version,
        status: 'creating',
        createdAt: now,
        port: port!,
        usageLimits,
        userGroupId: input.UserGroupId,
        securityGroupIds: input.SecurityGroupIds ?? [],
        subnetIds: input.SubnetIds ?? [],
        kmsKeyId: input.KmsKeyId,
        snapshotRetentionLimit: input.SnapshotRetentionLimit ?? 0,
        dailySnapshotTime: input.DailySnapshotTime ?? '04:00',
        tags: (input.Tags ?? []) as TagRecord[],
      };
      const node: ClusterRecord = {
        id: serverlessNodeId(name),
        arn: arnOf(ctx, 'cluster', serverlessNodeId(name)),
        engine: choice.engine,
        engineVersion: choice.version,
        nodeType: 'serverless',
        status: 'creating',
        createdAt: now,
        port: port!,
        parameterGroupName: choice.parameterGroupName,
        configVersion: 1,
        userGroupIds: input.UserGroupId ? [input.UserGroupId] : [],
        restoreFile: restore?.file,
        restoreFrom: restore?.snapshotName,
        serverlessCacheName: name,
        snapshotRetentionLimit: 0,
        snapshotWindow: '05:00-06:00',
        maintenanceWindow: 'sun:23:00-mon:01:30',
        availabilityZone: `${ctx.region}${AZ_SUFFIX}`,
        tags: [],
      };
      const clash = await ops.store.insert(ctx, [{ kind: 'serverless-cache', id: name, body: cache }, { kind: 'cluster', id: node.id, body: node }], true);
      if (clash) {
        releasePorts(ops, [port!]);
        throw new ServerlessCacheAlreadyExistsFault(`Serverless cache ${name} already exists.`);
      }
      await linkUserGroup(ops, ctx, name, input.UserGroupId, undefined);
      return { ServerlessCache: serverlessCacheOutput(cache) };
    },

    DescribeServerlessCaches: async (input: DescribeServerlessCachesRequest, ctx: RequestContext) => {
      const caches = input.ServerlessCacheName ? [await findCache(ops, ctx, input.ServerlessCacheName)] : await ops.store.list<ServerlessCacheRecord>(ctx, 'serverless-cache');
      const { items, next } = page(caches, input.MaxResults, input.NextToken, 100);
      return { ServerlessCaches: items.map(serverlessCacheOutput), NextToken: next };
    },

    ModifyServerlessCache: async (input: ModifyServerlessCacheRequest, ctx: RequestContext) => {
      const current = await findCache(ops, ctx, input.ServerlessCacheName);
      if (input.Engine !== undefined && input.Engine.toLowerCase() !== current.engine) {
        throw invalidCombination(`Changing the engine from ${current.engine} to ${input.Engine} is not supported here (one installed server per engine).`);
      }
      if (input.MajorEngineVersion !== undefined && input.MajorEngineVersion !== current.majorEngineVersion) {
        throw invalidCombination(`Cannot find version ${input.MajorEngineVersion} for ${current.engine}: only ${current.majorEngineVersion} is installed.`);
      }
      if (input.RemoveUserGroup && input.UserGroupId) throw invalidCombination('RemoveUserGroup and UserGroupId cannot be used together.');
      const usageLimits = checkUsageLimits(input.CacheUsageLimits as UsageLimitsRecord | undefined);
      await checkUserGroup(ops, ctx, input.UserGroupId, current.engine);
      if (input.SnapshotRetentionLimit !== undefined && (input.SnapshotRetentionLimit < 0 || input.SnapshotRetentionLimit > 35)) throw invalidValue('SnapshotRetentionLimit must be between 0 and 35.');
      const updated = await ops.store.update(
        ctx,
        [{ kind: 'serverless-cache', id: current.name }, { kind: 'cluster', id: serverlessNodeId(current.name) }],
        ([cb, nb]) => {
          const c = cb as ServerlessCacheRecord | undefined;
          if (!c) throw cacheNotFound(input.ServerlessCacheName);
          if (c.status !== 'available') throw new InvalidServerlessCacheStateFault(`Serverless cache ${c.name} is not in the available state (${c.status}).`);
          const next: ServerlessCacheRecord = { ...c };
          let node = nb as ClusterRecord | undefined;
          if (input.Description !== undefined) next.description = input.Description;
          if (usageLimits) next.usageLimits = usageLimits;
          if (input.SecurityGroupIds) next.securityGroupIds = input.SecurityGroupIds;
          if (input.SnapshotRetentionLimit !== undefined) next.snapshotRetentionLimit = input.SnapshotRetentionLimit;
          if (input.DailySnapshotTime) next.dailySnapshotTime = input.DailySnapshotTime;
          const userGroupId = input.RemoveUserGroup ? undefined : (input.UserGroupId ?? c.userGroupId);
          if (userGroupId !== c.userGroupId) {
            next.userGroupId = userGroupId;
            next.status = 'modifying';
            // The node applies the group's users as ACLs, then the cache is available again.
            if (node) node = { ...node, userGroupIds: userGroupId ? [userGroupId] : [], configVersion: node.configVersion + 1, status: 'modifying' };
          }
          return { bodies: [next, node], result: next };
        },
        true,
      );
      await linkUserGroup(ops, ctx, current.name, updated.userGroupId, current.userGroupId);
      return { ServerlessCache: serverlessCacheOutput(updated) };
    },

    DeleteServerlessCache: async (input: DeleteServerlessCacheRequest, ctx: RequestContext) => {
      const current = await findCache(ops, ctx, input.ServerlessCacheName);
      const snapName = input.FinalSnapshotName ? checkIdentifier('FinalSnapshotName', input.FinalSnapshotName, 255) : undefined;
      const result = await ops.store.update(
        ctx,
        [{ kind: 'serverless-cache', id: current.name }, ...(snapName ? [{ kind: 'serverless-snapshot' as const, id: snapName }] : [])],
        ([cb, sb]) => {
          const c = cb as ServerlessCacheRecord | undefined;
          if (!c) throw cacheNotFound(input.ServerlessCacheName);
          if (c.status !== 'available' && c.status !== 'create-failed') throw new InvalidServerlessCacheStateFault(`Serverless cache ${c.name} is not in a valid state to be deleted (${c.status}).`);
          if (sb) throw new ServerlessCacheSnapshotAlreadyExistsFault(`Serverless cache snapshot ${snapName} already exists.`);
          const next: ServerlessCacheRecord = { ...c, status: 'deleting', finalSnapshotName: snapName };
          return { bodies: snapName ? [next, newServerlessSnapshot(ctx, snapName, c, [], undefined)] : [next], result: next };
        },
        true,
      );
      releasePorts(ops, [current.port]);
      await linkUserGroup(ops, ctx, current.name, undefined, current.userGroupId);
      return { ServerlessCache: serverlessCacheOutput(result) };
    },

    CreateServerlessCacheSnapshot: async (input: CreateServerlessCacheSnapshotRequest, ctx: RequestContext) => {
      const name = checkIdentifier('ServerlessCacheSnapshotName', input.ServerlessCacheSnapshotName, 255);
      const cache = await findCache(ops, ctx, input.ServerlessCacheName);
      const snap = newServerlessSnapshot(ctx, name, cache, (input.Tags ?? []) as TagRecord[], input.KmsKeyId);
      await ops.store.update(
        ctx,
        [{ kind: 'serverless-cache', id: cache.name }, { kind: 'serverless-snapshot', id: name }],
        ([cb, sb]) => {
          const c = cb as ServerlessCacheRecord | undefined;
          if (!c) throw cacheNotFound(input.ServerlessCacheName);
          if (sb) throw new ServerlessCacheSnapshotAlreadyExistsFault(`Serverless cache snapshot ${name} already exists.`);
          if (c.status !== 'available') throw new InvalidServerlessCacheStateFault(`Serverless cache ${c.name} is not in the available state (${c.status}).`);
          return { bodies: [c, snap], result: undefined };
        },
        true,
      );
      return { ServerlessCacheSnapshot: serverlessSnapshotOutput(snap) };
    },

    DescribeServerlessCacheSnapshots: async (input: DescribeServerlessCacheSnapshotsRequest, ctx: RequestContext) => {
      let snaps = await ops.store.list<ServerlessSnapshotRecord>(ctx, 'serverless-snapshot');
      if (input.ServerlessCacheSnapshotName) {
        snaps = snaps.filter((s) => s.name === input.ServerlessCacheSnapshotName!.toLowerCase());
        if (snaps.length === 0) throw snapshotNotFound(input.ServerlessCacheSnapshotName);
      }
      if (input.ServerlessCacheName) {
        const name = input.ServerlessCacheName.toLowerCase();
        if (!(await ops.store.get(ctx, 'serverless-cache', name)) && !snaps.some((s) => s.cacheName === name)) throw cacheNotFound(input.ServerlessCacheName);
        snaps = snaps.filter((s) => s.cacheName === name);
      }
      if (input.SnapshotType) snaps = snaps.filter((s) => s.type === input.SnapshotType);
      const { items, next } = page(snaps, input.MaxResults, input.NextToken, 50);
      return { ServerlessCacheSnapshots: items.map(serverlessSnapshotOutput), NextToken: next };
    },

    DeleteServerlessCacheSnapshot: async (input: DeleteServerlessCacheSnapshotRequest, ctx: RequestContext) => {
      const name = input.ServerlessCacheSnapshotName.toLowerCase();
      const snap = await ops.store.get<ServerlessSnapshotRecord>(ctx, 'serverless-snapshot', name);
      if (!snap) throw snapshotNotFound(input.ServerlessCacheSnapshotName);
      if (snap.status === 'creating') throw new InvalidServerlessCacheSnapshotStateFault(`Serverless cache snapshot ${snap.name} is being created.`);
      const restoring = (await ops.store.list<ClusterRecord>(ctx, 'cluster')).some((c) => c.restoreFile === snap.file && c.status === 'creating');
      if (restoring) throw new InvalidServerlessCacheSnapshotStateFault(`Serverless cache snapshot ${snap.name} is being restored.`);
      await ops.store.delete(ctx, 'serverless-snapshot', name);
      if (snap.file) rmSync(dirname(snap.file), { recursive: true, force: true });
      return { ServerlessCacheSnapshot: serverlessSnapshotOutput({ ...snap, status: 'deleting' }) };
    },

    ExportServerlessCacheSnapshot: async (input: ExportServerlessCacheSnapshotRequest, ctx: RequestContext) => {
      const snap = await ops.store.get<ServerlessSnapshotRecord>(ctx, 'serverless-snapshot', input.ServerlessCacheSnapshotName.toLowerCase());
      if (!snap) throw snapshotNotFound(input.ServerlessCacheSnapshotName);
      if (snap.status !== 'available' || !snap.file) throw new InvalidServerlessCacheSnapshotStateFault(`Serverless cache snapshot ${snap.name} is not available.`);
      if (!input.S3BucketName) throw invalidValue('S3BucketName is required.');
      await exportToS3(ops, ctx, input.S3BucketName, `${snap.name}.rdb`, readFileSync(snap.file));
      return { ServerlessCacheSnapshot: serverlessSnapshotOutput(snap) };
    },

    CopyServerlessCacheSnapshot: async (input: CopyServerlessCacheSnapshotRequest, ctx: RequestContext) => {
      const source = await ops.store.get<ServerlessSnapshotRecord>(ctx, 'serverless-snapshot', input.SourceServerlessCacheSnapshotName.toLowerCase());
      if (!source) throw snapshotNotFound(input.SourceServerlessCacheSnapshotName);
      const name = checkIdentifier('TargetServerlessCacheSnapshotName', input.TargetServerlessCacheSnapshotName, 255);
      if (source.status !== 'available' || !source.file) throw new InvalidServerlessCacheSnapshotStateFault(`Serverless cache snapshot ${source.name} is not available.`);
      if (await ops.store.get(ctx, 'serverless-snapshot', name)) throw new ServerlessCacheSnapshotAlreadyExistsFault(`Serverless cache snapshot ${name} already exists.`);
      const file = ops.fleet.serverlessSnapshotFile(ctx, name);
      const copy: ServerlessSnapshotRecord = {
        ...source,
        name,
        arn: arnOf(ctx, 'serverlesscachesnapshot', name),
        type: 'manual',
        createdAt: new Date().toISOString(),
        kmsKeyId: input.KmsKeyId ?? source.kmsKeyId,
        file,
        tags: (input.Tags ?? []) as TagRecord[],
      };
      if (await ops.store.insert(ctx, [{ kind: 'serverless-snapshot', id: name, body: copy }])) {
        throw new ServerlessCacheSnapshotAlreadyExistsFault(`Serverless cache snapshot ${name} already exists.`);
      }
      try {
        mkdirSync(dirname(file), { recursive: true });
        copyFileSync(source.file, file);
      } catch (error) {
        await ops.store.delete(ctx, 'serverless-snapshot', name);
        throw error;
      }
      return { ServerlessCacheSnapshot: serverlessSnapshotOutput(copy) };
    },
  };
}
