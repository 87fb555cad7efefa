// The ElastiCache provider (query protocol): Redis and Valkey caches as real `redis-server` /
// `valkey-server` processes supervised by the platform. Operations write the store; the fleet
// (elasticache-fleet.ts, on the node that leads `elasticache:fleet`) makes processes match it.
//
// Known limitations:
// - Needs `redis-server` (engine redis) or `valkey-server` (engine valkey) on PATH; without one,
//   creates answer InvalidParameterCombination naming the Debian package, and
//   DescribeCacheEngineVersions lists no version of that engine. One installed version per engine:
//   EngineVersion / MajorEngineVersion must match its major (and minor, when given).
// - Every node listens on 127.0.0.1 on its own port (not 6379): endpoints are `127.0.0.1:<port>`.
//   Node endpoints are the engines themselves; PrimaryEndpoint/ReaderEndpoint/ConfigurationEndpoint
//   are forwarders on the leading node that follow failovers (existing connections to a demoted
//   node are closed). A forwarder costs a loopback hop per request (see endpoint-forwarder.ts).
// - Node types are recorded, not enforced (no memory limit per node type). No TLS: TransitEncryption
//   is reported disabled, and AuthToken works without it (AWS requires TLS for AUTH tokens).
//   AuthTokenUpdateStrategy ROTATE replaces the token (the engine has one requirepass).
// - Serverless caches (serverless-operations.ts) are one non-cluster engine behind one endpoint
//   (Endpoint = ReaderEndpoint); CacheUsageLimits are validated and recorded, not enforced.
//   Exports to S3 (ExportServerlessCacheSnapshot, CopySnapshot TargetBucket) write the RDB files
//   as objects through the platform's S3, not checking the bucket policy AWS requires.
// - Memcached, global datastores, subnet/security groups, reserved nodes, service updates,
//   migrations, automatic daily snapshots: not implemented (501).
// - Resharding (ModifyReplicationGroupShardConfiguration) and cluster-mode replica scaling move
//   slots and attach/forget nodes for real (resharding.ts); slots are spread evenly over the
//   resulting shards. RebootCacheCluster restarts the process (data survives only with AOF) and is
//   refused for cluster-mode nodes. A cluster-mode snapshot (one RDB file per shard) restores only
//   into a cluster-mode group with the same number of shards, each keeping its slots (no
//   redistribution, no restore into a single cluster). CreateCacheCluster with ReplicationGroupId is
//   refused (use IncreaseReplicaCount), as are PrimaryClusterId on create and RetainPrimaryCluster on
//   delete.
// - Processes stop with the platform; a cluster's data survives a restart only with AOF
//   (`appendonly yes` in its parameter group) — RDB is written only for snapshots.
// - The platform's control connections use an internal ACL user `atoll-admin`, visible in ACL LIST.
// - Describe* return everything in one page except DescribeCacheClusters (MaxRecords/Marker) and the
//   serverless Describe* (MaxResults/NextToken).
import { join } from 'node:path';
import type { PlatformContext, RequestContext, ServiceProvider } from '@atoll/core';
import { PortAllocator } from '@atoll/supervisor';
import { elastiCacheAuthorization } from './authorization.js';
import type { ClusterRecord, ReplicationGroupRecord } from './cache-records.js';
import { clusterOperations } from './cluster-operations.js';
import { ElastiCacheFleet } from './elasticache-fleet.js';
import { ElastiCacheStore } from './elasticache-store.js';
import { findEngineBinary, parameterGroupFamily, reportedVersion } from './engine-binary.js';
import type { OpsContext } from './ops-context.js';
import { parameterGroupOperations } from './parameter-groups.js';
import { replicationGroupOperations } from './replication-group-operations.js';
import { serverlessOperations } from './serverless-operations.js';
import { shardOperations } from './shard-operations.js';
import { snapshotOperations } from './snapshot-operations.js';
import { tagOperations } from './tag-operations.js';
import { userOperations } from './user-operations.js';

export class ElastiCacheProvider implements ServiceProvider {
  readonly service = 'elasticache';
  readonly operations: ServiceProvider['operations'];
  readonly authorization = elastiCacheAuthorization;
  readonly ports = new PortAllocator();
  #store: ElastiCacheStore | undefined;
  #fleet: ElastiCacheFleet | undefined;
  #stopLeading: (() => void) | undefined;

  constructor(readonly platform: PlatformContext) {
    const self = this;
    const ops: OpsContext = {
      get store() {
        return self.store;
      },
      get fleet() {
        return self.fleet;
      },
      ports: this.ports,
      platform,
    };
    this.operations = {
      ...clusterOperations(ops),
      ...replicationGroupOperations(ops),
      ...parameterGroupOperations(ops),
      ...snapshotOperations(ops),
      ...serverlessOperations(ops),
      ...shardOperations(ops),
      ...userOperations(ops),
      ...tagOperations(ops),
      DescribeCacheEngineVersions: this.DescribeCacheEngineVersions,
    };
  }

  get store(): ElastiCacheStore {
    if (!this.#store) throw new Error('the ElastiCache provider is not started');
    return this.#store;
  }

  get fleet(): ElastiCacheFleet {
    if (!this.#fleet) throw new Error('the ElastiCache provider is not started');
    return this.#fleet;
  }

  async start(): Promise<void> {
    const store = await ElastiCacheStore.open(this.platform.storage);
    this.#store = store;
    this.#fleet = new ElastiCacheFleet(store, join(this.platform.storage.blobDir, 'elasticache', 'blobs'), this.platform.logger.child({ service: 'elasticache' }));
    // Ports recorded for existing caches stay theirs.
    const ports: number[] = [];
    for (const c of await store.listEverywhere<ClusterRecord>('cluster')) ports.push(c.body.port);
    for (const g of await store.listEverywhere<ReplicationGroupRecord>('replication-group')) {
      ports.push(g.body.primaryPort, g.body.readerPort);
      if (g.body.configurationPort !== undefined) ports.push(g.body.configurationPort);
    }
    this.ports.reserve(ports);
    const fleet = this.#fleet;
    this.#stopLeading = this.platform.storage.leadership.lead('elasticache:fleet', (signal) => fleet.run(signal));
  }

  async close(): Promise<void> {
    this.#stopLeading?.();
    await this.#fleet?.close();
    await this.#store?.close();
  }

  DescribeCacheEngineVersions = (input: { Engine?: string; EngineVersion?: string; CacheParameterGroupFamily?: string; DefaultOnly?: boolean }, _ctx: RequestContext) => {
    const versions = [];
    for (const engine of ['redis', 'valkey'] as const) {
      if (input.Engine && input.Engine !== engine) continue;
      const binary = findEngineBinary(engine);
      if (!binary) continue;
      const family = parameterGroupFamily(engine, binary.major);
      if (input.CacheParameterGroupFamily && input.CacheParameterGroupFamily !== family) continue;
      const version = reportedVersion(binary);
      if (input.EngineVersion && input.EngineVersion !== version && input.EngineVersion !== binary.version) continue;
      versions.push({
        Engine: engine,
        EngineVersion: version,
        CacheParameterGroupFamily: family,
        CacheEngineDescription: engine === 'redis' ? 'Redis' : 'Valkey',
        CacheEngineVersionDescription: `${engine} version ${binary.version} (installed: ${binary.path})`,
      });
    }
    return { CacheEngineVersions: versions };
  };
}
