// RDS's common errors that the model does not list (InvalidParameterValue, InvalidParameterCombination,
// MissingParameter), and the not-found errors with the messages RDS gives.
import { serviceError, type ServiceError } from '@atoll/core';
import { DBClusterNotFoundFault, DBInstanceNotFoundFault, DBSnapshotNotFoundFault, DBClusterSnapshotNotFoundFault } from '@atoll/aws-models/rds';

export const invalidParameterValue = (message: string): ServiceError => serviceError('InvalidParameterValue', 400, message);
export const invalidParameterCombination = (message: string): ServiceError => serviceError('InvalidParameterCombination', 400, message);
export const missingParameter = (message: string): ServiceError => serviceError('MissingParameter', 400, message);

export const instanceNotFound = (id: string) => new DBInstanceNotFoundFault(`DBInstance ${id} not found.`);
export const clusterNotFound = (id: string) => new DBClusterNotFoundFault(`DBCluster ${id} not found.`);
export const snapshotNotFound = (id: string) => new DBSnapshotNotFoundFault(`DBSnapshot ${id} not found.`);
export const clusterSnapshotNotFound = (id: string) => new DBClusterSnapshotNotFoundFault(`DBClusterSnapshot ${id} not found.`);
