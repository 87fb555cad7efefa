// The documents the RDS store keeps: DB instances, DB clusters and snapshots, as the control plane
// records them. What the engine host needs to run an engine (family, version, port, master user) is
// here too, so that every node can reconcile the engines from the database alone.

export type EngineFamily = 'postgres' | 'mysql';

/** `creating` → `backing-up` → `available`, and the other states RDS reports (waiters follow them). */
export type InstanceStatus =
  | 'creating'
  | 'backing-up'
  | 'available'
  | 'modifying'
  | 'rebooting'
  | 'stopping'
  | 'stopped'
  | 'starting'
  | 'deleting'
  | 'failed'
  | 'resetting-master-credentials';

export interface EngineSettings {
  /** As the caller named it: postgres, aurora-postgresql, mysql, mariadb, aurora-mysql. */
  engine: string;
  /** The version reported by the API (the installed engine's version, or the one asked for where compatible). */
  engineVersion: string;
  family: EngineFamily;
  /** Which implementation runs it: a real server process or the embedded PGlite engine. */
  runtime: 'process' | 'pglite';
  port: number;
  masterUsername: string;
  /** Kept for the engine host (it sets the password on the engine); never returned by the API. */
  masterPassword: string;
  dbName?: string;
  /** Engine settings from the DB parameter group (name → value), applied to the engine's configuration. */
  parameters: Record<string, string>;
  /**
   * IAM database authentication (PostgreSQL servers): members of `rds_iam` log in with a token checked
   * by the platform's LDAP bind verifier on this port. Set by the engine host at start; never stored.
   */
  iamLdap?: { port: number; prefix: string };
}

export interface InstanceRecord {
  accountId: string;
  region: string;
  id: string;
  arn: string;
  resourceId: string;
  instanceClass: string;
  status: InstanceStatus;
  createdTime: string;
  allocatedStorage: number;
  storageType: string;
  /** Instances of an Aurora cluster share the cluster's engine; `engine` is then the cluster's copy. */
  clusterId?: string;
  /** A read replica: the id of the DB instance it streams from (cleared when it is promoted). */
  replicaOf?: string;
  engine: EngineSettings;
  manageMasterUserPassword: boolean;
  masterUserSecretArn?: string;
  parameterGroupName: string;
  subnetGroupName?: string;
  vpcSecurityGroupIds: string[];
  availabilityZone: string;
  backupRetentionPeriod: number;
  multiAz: boolean;
  publiclyAccessible: boolean;
  deletionProtection: boolean;
  iamDatabaseAuthenticationEnabled: boolean;
  tags: Record<string, string>;
  /** Set while a change waits for the engine host (password change, reboot, restore). */
  pending?: {
    masterPassword?: string;
    reboot?: boolean;
    /** Restore the data of this snapshot (its store id) when provisioning. */
    restoreFromSnapshot?: string;
    /** On delete: the final snapshot to take first. */
    finalSnapshotId?: string;
    /** A read replica to promote to a standalone instance (PromoteReadReplica, or its source deleted). */
    promote?: boolean;
  };
  /** Set by the engine host when provisioning or starting failed. */
  lastError?: string;
}

export interface ClusterRecord {
  accountId: string;
  region: string;
  id: string;
  arn: string;
  resourceId: string;
  status: InstanceStatus;
  createdTime: string;
  engine: EngineSettings;
  engineMode: string;
  parameterGroupName: string;
  subnetGroupName?: string;
  vpcSecurityGroupIds: string[];
  backupRetentionPeriod: number;
  deletionProtection: boolean;
  httpEndpointEnabled: boolean;
  iamDatabaseAuthenticationEnabled: boolean;
  tags: Record<string, string>;
  pending?: InstanceRecord['pending'];
  lastError?: string;
}

export type SnapshotStatus = 'creating' | 'available' | 'failed' | 'deleting';

export interface SnapshotRecord {
  accountId: string;
  region: string;
  id: string;
  arn: string;
  kind: 'instance' | 'cluster';
  /** The instance or cluster it was taken of. */
  sourceId: string;
  snapshotType: 'manual' | 'automated';
  status: SnapshotStatus;
  createdTime: string;
  engine: EngineSettings;
  allocatedStorage: number;
  instanceClass?: string;
  tags: Record<string, string>;
  lastError?: string;
}

export interface ParameterGroupRecord {
  accountId: string;
  region: string;
  /** The name in lower case. */
  id: string;
  name: string;
  arn: string;
  family: string;
  description: string;
  /** Parameters set by the user (name → value). */
  parameters: Record<string, string>;
  tags: Record<string, string>;
}

/** The engine host's key for whatever owns an engine process: an instance or a cluster. */
export function engineKey(owner: { accountId: string; region: string; id: string }, kind: 'instance' | 'cluster'): string {
  return `${kind}/${owner.accountId}/${owner.region}/${owner.id}`;
}
