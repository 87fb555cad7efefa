// Records → the API's shapes (CacheCluster, ReplicationGroup, Snapshot, User, UserGroup). Endpoints
// are loopback addresses with the real ports of the engines and of the group endpoint forwarders.
import type { CacheCluster, ReplicationGroup, Snapshot, User, UserGroup } from '@atoll/aws-models/elasticache';
import type { ClusterRecord, ReplicationGroupRecord, SnapshotRecord, UserGroupRecord, UserRecord } from './cache-records.js';

export const HOST = '127.0.0.1';

export function cacheClusterOutput(c: ClusterRecord, showNodes: boolean): CacheCluster {
  const created = new Date(c.createdAt);
  const nodeStatus = c.status === 'creating' ? 'creating' : c.status === 'deleting' ? 'deleting' : c.status === 'rebooting cluster nodes' ? 'rebooting' : 'available';
  return {
    CacheClusterId: c.id,
    ClientDownloadLandingPage: 'https://console.aws.amazon.com/elasticache/home#client-download:',
    CacheNodeType: c.nodeType,
    Engine: c.engine,
    EngineVersion: c.engineVersion,
    CacheClusterStatus: c.status,
    NumCacheNodes: 1,
    PreferredAvailabilityZone: c.availabilityZone,
    CacheClusterCreateTime: created,
    PreferredMaintenanceWindow: c.maintenanceWindow,
    PendingModifiedValues: {},
    CacheSecurityGroups: [],
    CacheParameterGroup: { CacheParameterGroupName: c.parameterGroupName, ParameterApplyStatus: 'in-sync', CacheNodeIdsToReboot: [] },
    CacheSubnetGroupName: 'default',
    CacheNodes: showNodes
      ? [
          {
            CacheNodeId: '0001',
            CacheNodeStatus: nodeStatus,
            CacheNodeCreateTime: created,
            Endpoint: c.status === 'creating' ? undefined : { Address: HOST, Port: c.port },
            ParameterGroupStatus: 'in-sync',
            CustomerAvailabilityZone: c.availabilityZone,
          },
        ]
      : undefined,
    AutoMinorVersionUpgrade: true,
    SecurityGroups: [],
    ReplicationGroupId: c.replicationGroupId,
    SnapshotRetentionLimit: c.snapshotRetentionLimit,
    SnapshotWindow: c.snapshotWindow,
    AuthTokenEnabled: Boolean(c.authToken),
    AuthTokenLastModifiedDate: c.authTokenModified ? new Date(c.authTokenModified) : undefined,
    TransitEncryptionEnabled: false,
    AtRestEncryptionEnabled: false,
    ARN: c.arn,
    ReplicationGroupLogDeliveryEnabled: false,
    LogDeliveryConfigurations: [],
    NetworkType: 'ipv4',
    IpDiscovery: 'ipv4',
  };
}

export function replicationGroupOutput(g: ReplicationGroupRecord, members: Map<string, ClusterRecord>): ReplicationGroup {
  const endpoint = (port: number) => ({ Address: HOST, Port: port });
  const creating = g.status === 'creating';
  return {
    ReplicationGroupId: g.id,
    Description: g.description,
    GlobalReplicationGroupInfo: {},
    Status: g.status,
    PendingModifiedValues: {},
    MemberClusters: g.nodeGroups.flatMap((ng) => [ng.primaryClusterId, ...ng.replicaClusterIds]).sort(),
    NodeGroups: g.nodeGroups.map((ng) => ({
      NodeGroupId: ng.id,
      Status: creating ? 'creating' : 'available',
      PrimaryEndpoint: g.clusterMode || creating ? undefined : endpoint(g.primaryPort),
      ReaderEndpoint: g.clusterMode || creating ? undefined : endpoint(g.readerPort),
      Slots: g.clusterMode ? ng.slots : undefined,
      NodeGroupMembers: [ng.primaryClusterId, ...ng.replicaClusterIds].map((id) => {
        const m = members.get(id);
        return {
          CacheClusterId: id,
          CacheNodeId: '0001',
          ReadEndpoint: m && !g.clusterMode && !creating ? endpoint(m.port) : undefined,
          PreferredAvailabilityZone: m?.availabilityZone,
          CurrentRole: g.clusterMode ? undefined : id === ng.primaryClusterId ? 'primary' : 'replica',
        };
      }),
    })),
    SnapshottingClusterId: g.nodeGroups[0]?.replicaClusterIds[0] ?? g.nodeGroups[0]?.primaryClusterId,
    AutomaticFailover: g.automaticFailover ? 'enabled' : 'disabled',
    MultiAZ: g.multiAZ ? 'enabled' : 'disabled',
    ConfigurationEndpoint: g.clusterMode && g.configurationPort !== undefined && !creating ? endpoint(g.configurationPort) : undefined,
    SnapshotRetentionLimit: g.snapshotRetentionLimit,
    SnapshotWindow: g.snapshotWindow,
    ClusterEnabled: g.clusterMode,
    CacheNodeType: g.nodeType,
    AuthTokenEnabled: Boolean(g.authToken),
    AuthTokenLastModifiedDate: g.authTokenModified ? new Date(g.authTokenModified) : undefined,
    TransitEncryptionEnabled: false,
    AtRestEncryptionEnabled: false,
    ARN: g.arn,
    UserGroupIds: g.userGroupIds,
    LogDeliveryConfigurations: [],
    ReplicationGroupCreateTime: new Date(g.createdAt),
    DataTiering: 'disabled',
    AutoMinorVersionUpgrade: true,
    NetworkType: 'ipv4',
    IpDiscovery: 'ipv4',
    ClusterMode: g.clusterMode ? 'enabled' : 'disabled',
    Engine: g.engine,
  };
}

export function snapshotOutput(s: SnapshotRecord): Snapshot {
  return {
    SnapshotName: s.name,
    ReplicationGroupId: s.replicationGroupId,
    ReplicationGroupDescription: s.replicationGroupDescription,
    CacheClusterId: s.cacheClusterId,
    SnapshotStatus: s.status,
    SnapshotSource: s.source,
    CacheNodeType: s.nodeType,
    Engine: s.engine,
    EngineVersion: s.engineVersion,
    NumCacheNodes: s.replicationGroupId ? undefined : 1,
    CacheClusterCreateTime: new Date(s.clusterCreatedAt),
    Port: s.port,
    CacheParameterGroupName: s.parameterGroupName,
    CacheSubnetGroupName: 'default',
    AutoMinorVersionUpgrade: true,
    SnapshotRetentionLimit: 0,
    NumNodeGroups: s.numNodeGroups,
    NodeSnapshots: s.files.map((f) => ({
      CacheClusterId: f.cacheClusterId,
      NodeGroupId: f.nodeGroupId,
      CacheNodeId: f.cacheNodeId,
      CacheSize: `${(f.sizeBytes / 1_048_576).toFixed(3)} MB`,
      CacheNodeCreateTime: new Date(s.clusterCreatedAt),
      SnapshotCreateTime: new Date(f.createdAt),
    })),
    ARN: s.arn,
    DataTiering: 'disabled',
  };
}

export function userOutput(u: UserRecord): User {
  return {
    UserId: u.userId,
    UserName: u.userName,
    Status: u.status,
    Engine: u.engine,
    MinimumEngineVersion: '6.0',
    AccessString: u.accessString,
    UserGroupIds: u.userGroupIds,
    Authentication: { Type: u.noPasswordRequired ? 'no-password' : 'password', PasswordCount: u.noPasswordRequired ? 0 : u.passwords.length },
    ARN: u.arn,
  };
}

export function userGroupOutput(g: UserGroupRecord): UserGroup {
  return {
    UserGroupId: g.userGroupId,
    Status: g.status,
    Engine: g.engine,
    UserIds: g.userIds,
    MinimumEngineVersion: '6.0',
    PendingChanges: undefined,
    ReplicationGroups: g.replicationGroups,
    ServerlessCaches: g.serverlessCaches ?? [],
    ARN: g.arn,
  };
}
