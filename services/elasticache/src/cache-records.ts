// The documents ElastiCache keeps per resource (elasticache-store.ts). A cache cluster is one engine
// process (Redis and Valkey clusters have exactly one node, as in AWS); a replication group names its
// member clusters per node group (shard). Ports are the real loopback ports of the processes and of
// the group endpoints' forwarders.

export type EngineName = 'redis' | 'valkey';

export interface TagRecord {
  Key: string;
  Value: string;
}

export interface ClusterRecord {
  id: string;
  arn: string;
  engine: EngineName;
  engineVersion: string;
  nodeType: string;
  /** creating | available | modifying | snapshotting | rebooting cluster nodes | deleting | incompatible-parameters */
  status: string;
  createdAt: string;
  port: number;
  parameterGroupName: string;
  /** Bumped by every change of parameters or AUTH token; the fleet applies a version it has not applied yet. */
  configVersion: number;
  replicationGroupId?: string;
  nodeGroupId?: string;
  role?: 'primary' | 'replica';
  /** A replica replicates this cluster (replicaof). */
  primaryClusterId?: string;
  clusterMode?: boolean;
  authToken?: string;
  authTokenModified?: string;
  userGroupIds?: string[];
  /** The snapshot an empty node is restored from before it starts. */
  restoreFrom?: string;
  /** An RDB file (absolute path) an empty node starts from, when it is not `restoreFrom`'s (serverless restores). */
  restoreFile?: string;
  /** Set on the hidden node behind a serverless cache (id `serverless:<name>`): not listed as a cache cluster. */
  serverlessCacheName?: string;
  snapshotRetentionLimit: number;
  snapshotWindow: string;
  maintenanceWindow: string;
  availabilityZone: string;
  /** Set on delete: a final snapshot the fleet takes before it stops the process. */
  finalSnapshotName?: string;
  tags: TagRecord[];
}

export interface NodeGroupRecord {
  id: string;
  slots?: string;
  primaryClusterId: string;
  replicaClusterIds: string[];
}

export interface ReplicationGroupRecord {
  id: string;
  arn: string;
  description: string;
  engine: EngineName;
  engineVersion: string;
  nodeType: string;
  status: string;
  createdAt: string;
  clusterMode: boolean;
  nodeGroups: NodeGroupRecord[];
  automaticFailover: boolean;
  multiAZ: boolean;
  /** Ports of the endpoint forwarders (primary and reader, or the configuration endpoint). */
  primaryPort: number;
  readerPort: number;
  configurationPort?: number;
  parameterGroupName: string;
  authToken?: string;
  authTokenModified?: string;
  userGroupIds: string[];
  snapshotRetentionLimit: number;
  snapshotWindow: string;
  /** Once the cluster bus is formed (cluster mode): slots assigned, nodes met, replicas attached. */
  clusterFormed?: boolean;
  /**
   * A ModifyReplicationGroupShardConfiguration (or a cluster-mode replica count change) in progress:
   * nodeGroups already hold the new nodes and the target slots of the shards that stay or are added;
   * the listed node groups give their slots away and are then removed, the listed replicas forgotten.
   */
  resharding?: { removeNodeGroupIds: string[]; removeClusterIds?: string[] };
  /** A TestFailover in progress: the node group and the replica to promote. */
  failover?: { nodeGroupId: string; newPrimaryClusterId: string };
  finalSnapshotName?: string;
  retainPrimaryCluster?: boolean;
  tags: TagRecord[];
}

export interface ParameterGroupRecord {
  name: string;
  arn: string;
  family: string;
  description: string;
  /** Values set by ModifyCacheParameterGroup (name → value); the rest are the family's defaults. */
  values: Record<string, string>;
  tags: TagRecord[];
}

export interface SnapshotRecord {
  name: string;
  arn: string;
  status: string;
  source: 'manual' | 'automated';
  cacheClusterId?: string;
  replicationGroupId?: string;
  replicationGroupDescription?: string;
  engine: EngineName;
  engineVersion: string;
  nodeType: string;
  parameterGroupName: string;
  port: number;
  createdAt: string;
  clusterCreatedAt: string;
  numNodeGroups: number;
  /** Cluster-mode snapshots: node group id → its slots when the snapshot was taken (a restore keeps them). */
  nodeGroupSlots?: Record<string, string>;
  /** Node group id → the RDB file (under the service's blob directory). */
  files: { nodeGroupId: string; cacheClusterId: string; cacheNodeId: string; file: string; sizeBytes: number; createdAt: string }[];
  tags: TagRecord[];
}

export interface UserRecord {
  userId: string;
  userName: string;
  arn: string;
  engine: EngineName;
  status: string;
  accessString: string;
  passwords: string[];
  noPasswordRequired: boolean;
  userGroupIds: string[];
  tags: TagRecord[];
}

export interface UserGroupRecord {
  userGroupId: string;
  arn: string;
  engine: EngineName;
  status: string;
  userIds: string[];
  replicationGroups: string[];
  /** Serverless caches using the group (absent on records written before serverless caches existed). */
  serverlessCaches?: string[];
  tags: TagRecord[];
}

export interface UsageLimitsRecord {
  DataStorage?: { Maximum?: number; Minimum?: number; Unit: 'GB' };
  ECPUPerSecond?: { Maximum?: number; Minimum?: number };
}

/** A serverless cache: one engine process (the hidden cluster `serverless:<name>`) behind one endpoint. */
export interface ServerlessCacheRecord {
  name: string;
  arn: string;
  description: string;
  engine: EngineName;
  majorEngineVersion: string;
  fullEngineVersion: string;
  /** creating | available | modifying | deleting | create-failed */
  status: string;
  createdAt: string;
  /** The engine's port (Endpoint and ReaderEndpoint). */
  port: number;
  usageLimits?: UsageLimitsRecord;
  userGroupId?: string;
  securityGroupIds: string[];
  subnetIds: string[];
  kmsKeyId?: string;
  snapshotRetentionLimit: number;
  dailySnapshotTime: string;
  /** Set on delete: the snapshot the fleet takes before the node stops. */
  finalSnapshotName?: string;
  tags: TagRecord[];
}

export interface ServerlessSnapshotRecord {
  name: string;
  arn: string;
  /** creating | available | failed */
  status: string;
  type: 'manual' | 'automated';
  createdAt: string;
  cacheName: string;
  engine: EngineName;
  majorEngineVersion: string;
  kmsKeyId?: string;
  /** The RDB file, once taken. */
  file?: string;
  sizeBytes: number;
  tags: TagRecord[];
}
