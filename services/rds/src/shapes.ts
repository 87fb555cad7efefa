// Records → the API's shapes (DBInstance, DBCluster, DBSnapshot, DBClusterSnapshot). Endpoints are
// 127.0.0.1 and the engine's port: the address clients connect to.
import type { DBCluster, DBClusterSnapshot, DBInstance, DBSnapshot, Tag } from '@atoll/aws-models/rds';
import type { ClusterRecord, InstanceRecord, SnapshotRecord } from './records.js';

export const ENDPOINT_ADDRESS = '127.0.0.1';

export const tagList = (tags: Record<string, string>): Tag[] => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

export function instanceShape(record: InstanceRecord, cluster?: ClusterRecord, replicaIds: string[] = []): DBInstance {
  const engine = cluster?.engine ?? record.engine;
  const pendingPassword = record.pending?.masterPassword !== undefined;
  return {
    DBInstanceIdentifier: record.id,
    DBInstanceClass: record.instanceClass,
    Engine: engine.engine,
    EngineVersion: engine.engineVersion,
    DBInstanceStatus: record.status,
    MasterUsername: engine.masterUsername,
    DBName: engine.dbName,
    Endpoint: record.status === 'creating' ? undefined : { Address: ENDPOINT_ADDRESS, Port: engine.port, HostedZoneId: 'Z2R2ITUGPM61AM' },
    DbInstancePort: 0,
    AllocatedStorage: record.allocatedStorage,
    StorageType: record.storageType,
    InstanceCreateTime: new Date(record.createdTime),
    PreferredBackupWindow: '03:00-03:30',
    PreferredMaintenanceWindow: 'sun:05:00-sun:05:30',
    BackupRetentionPeriod: record.backupRetentionPeriod,
    DBSecurityGroups: [],
    VpcSecurityGroups: record.vpcSecurityGroupIds.map((VpcSecurityGroupId) => ({ VpcSecurityGroupId, Status: 'active' })),
    DBParameterGroups: [{ DBParameterGroupName: record.parameterGroupName, ParameterApplyStatus: 'in-sync' }],
    AvailabilityZone: record.availabilityZone,
    DBSubnetGroup: record.subnetGroupName ? { DBSubnetGroupName: record.subnetGroupName, SubnetGroupStatus: 'Complete', Subnets: [] } : undefined,
    PendingModifiedValues: pendingPassword ? { MasterUserPassword: '****' } : {},
    MultiAZ: record.multiAz,
    AutoMinorVersionUpgrade: true,
    ReadReplicaDBInstanceIdentifiers: replicaIds,
    ReadReplicaSourceDBInstanceIdentifier: record.replicaOf,
    StatusInfos: record.replicaOf ? [{ StatusType: 'read replication', Normal: record.status !== 'failed', Status: record.status === 'failed' ? 'error' : 'replicating' }] : undefined,
    LicenseModel: engine.family === 'mysql' ? 'general-public-license' : 'postgresql-license',
    OptionGroupMemberships: [],
    PubliclyAccessible: record.publiclyAccessible,
    DBClusterIdentifier: record.clusterId,
    StorageEncrypted: false,
    DbiResourceId: record.resourceId,
    CACertificateIdentifier: 'rds-ca-rsa2048-g1',
    CopyTagsToSnapshot: false,
    MonitoringInterval: 0,
    PromotionTier: 1,
    DBInstanceArn: record.arn,
    IAMDatabaseAuthenticationEnabled: record.iamDatabaseAuthenticationEnabled,
    PerformanceInsightsEnabled: false,
    DeletionProtection: record.deletionProtection,
    TagList: tagList(record.tags),
    MasterUserSecret: record.masterUserSecretArn ? { SecretArn: record.masterUserSecretArn, SecretStatus: 'active' } : undefined,
    NetworkType: 'IPV4',
  };
}

export function clusterShape(record: ClusterRecord, members: InstanceRecord[]): DBCluster {
  return {
    DBClusterIdentifier: record.id,
    DBClusterArn: record.arn,
    DbClusterResourceId: record.resourceId,
    Status: record.status,
    Engine: record.engine.engine,
    EngineVersion: record.engine.engineVersion,
    EngineMode: record.engineMode,
    MasterUsername: record.engine.masterUsername,
    DatabaseName: record.engine.dbName,
    // Writer and reader endpoints are the same engine: 127.0.0.1 on the cluster's port (the names are informational).
    Endpoint: ENDPOINT_ADDRESS,
    ReaderEndpoint: ENDPOINT_ADDRESS,
    CustomEndpoints: [],
    Port: record.engine.port,
    MultiAZ: false,
    AllocatedStorage: 1,
    BackupRetentionPeriod: record.backupRetentionPeriod,
    ClusterCreateTime: new Date(record.createdTime),
    DBClusterParameterGroup: record.parameterGroupName,
    DBSubnetGroup: record.subnetGroupName,
    VpcSecurityGroups: record.vpcSecurityGroupIds.map((VpcSecurityGroupId) => ({ VpcSecurityGroupId, Status: 'active' })),
    DBClusterMembers: members.map((member, index) => ({
      DBInstanceIdentifier: member.id,
      IsClusterWriter: index === 0,
      DBClusterParameterGroupStatus: 'in-sync',
      PromotionTier: 1,
    })),
    AvailabilityZones: [`${record.region}a`, `${record.region}b`, `${record.region}c`],
    HostedZoneId: 'Z2R2ITUGPM61AM',
    StorageEncrypted: false,
    IAMDatabaseAuthenticationEnabled: record.iamDatabaseAuthenticationEnabled,
    HttpEndpointEnabled: record.httpEndpointEnabled,
    DeletionProtection: record.deletionProtection,
    CopyTagsToSnapshot: false,
    TagList: tagList(record.tags),
    AssociatedRoles: [],
    ReadReplicaIdentifiers: [],
  };
}

export function snapshotShape(record: SnapshotRecord): DBSnapshot {
  return {
    DBSnapshotIdentifier: record.id,
    DBSnapshotArn: record.arn,
    DBInstanceIdentifier: record.sourceId,
    SnapshotCreateTime: new Date(record.createdTime),
    OriginalSnapshotCreateTime: new Date(record.createdTime),
    Engine: record.engine.engine,
    EngineVersion: record.engine.engineVersion,
    AllocatedStorage: record.allocatedStorage,
    Status: record.status,
    Port: record.engine.port,
    AvailabilityZone: `${record.region}a`,
    InstanceCreateTime: new Date(record.createdTime),
    MasterUsername: record.engine.masterUsername,
    SnapshotType: record.snapshotType,
    PercentProgress: record.status === 'available' ? 100 : 0,
    StorageType: 'gp2',
    Encrypted: false,
    IAMDatabaseAuthenticationEnabled: false,
    LicenseModel: record.engine.family === 'mysql' ? 'general-public-license' : 'postgresql-license',
    TagList: tagList(record.tags),
    DbiResourceId: undefined,
  };
}

export function clusterSnapshotShape(record: SnapshotRecord): DBClusterSnapshot {
  return {
    DBClusterSnapshotIdentifier: record.id,
    DBClusterSnapshotArn: record.arn,
    DBClusterIdentifier: record.sourceId,
    SnapshotCreateTime: new Date(record.createdTime),
    ClusterCreateTime: new Date(record.createdTime),
    Engine: record.engine.engine,
    EngineVersion: record.engine.engineVersion,
    AllocatedStorage: record.allocatedStorage,
    Status: record.status,
    Port: record.engine.port,
    AvailabilityZones: [`${record.region}a`],
    MasterUsername: record.engine.masterUsername,
    SnapshotType: record.snapshotType,
    PercentProgress: record.status === 'available' ? 100 : 0,
    StorageEncrypted: false,
    IAMDatabaseAuthenticationEnabled: false,
    LicenseModel: record.engine.family === 'mysql' ? 'aurora-mysql' : 'postgresql-license',
    TagList: tagList(record.tags),
  };
}
