// Test helpers: wait for a DB instance or cluster to reach a status (the SDK's waiters poll every
// 30 s, too slow for tests), and open clients on the endpoint DescribeDBInstances reports.
import { DescribeDBClustersCommand, DescribeDBInstancesCommand, DescribeDBSnapshotsCommand, type DBInstance, type RDSClient } from '@aws-sdk/client-rds';

export async function waitForInstance(rds: RDSClient, id: string, status = 'available', timeoutMs = 60_000): Promise<DBInstance> {
  const deadline = Date.now() + timeoutMs;
  let last: DBInstance | undefined;
  while (Date.now() < deadline) {
    try {
      last = (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances?.[0];
    } catch (error) {
      if (status === 'deleted' && (error as { name?: string }).name === 'DBInstanceNotFoundFault') return {};
      throw error;
    }
    if (last?.DBInstanceStatus === status) return last;
    if (last?.DBInstanceStatus === 'failed') throw new Error(`instance ${id} failed`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`instance ${id} did not reach ${status} (last: ${last?.DBInstanceStatus})`);
}

export async function waitForCluster(rds: RDSClient, id: string, status = 'available', timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const cluster = (await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: id }))).DBClusters?.[0];
    if (cluster?.Status === status) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`cluster ${id} did not reach ${status}`);
}

export async function waitForSnapshot(rds: RDSClient, id: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const snapshot = (await rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: id }))).DBSnapshots?.[0];
    if (snapshot?.Status === 'available') return;
    if (snapshot?.Status === 'failed') throw new Error(`snapshot ${id} failed`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`snapshot ${id} did not become available`);
}
