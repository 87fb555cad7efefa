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
  tags: TagRecord[];
}
