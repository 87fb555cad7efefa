// The one list of every service Atoll serves. Each entry loads the service's factory; the edge
// routes requests to the provider it returns. Add a service here (and its project reference in
// apps/server/tsconfig.json and its dependency in apps/server/package.json).
import type { ServiceFactory } from '@atoll/core';

export interface ServiceRegistration {
  /** Model name, as in `@atoll/aws-models`. */
  name: string;
  load: () => Promise<ServiceFactory>;
  /**
   * The stores (and blob directories) whose state the service owns, which a platform reset empties;
   * `[name]` when absent. Services sharing a store are all closed when one of them is reset.
   */
  stores?: readonly string[];
}

export const SERVICES: readonly ServiceRegistration[] = [
  { name: 'iam', load: async () => (await import('@atoll/iam')).createIamService },
  { name: 'sts', load: async () => (await import('@atoll/sts')).createStsService },
  { name: 'dynamodb', load: async () => (await import('@atoll/dynamodb')).createDynamoDbService },
  { name: 'dynamodbstreams', load: async () => (await import('@atoll/dynamodb')).createDynamoDbStreamsService, stores: ['dynamodb'] },
  { name: 'elbv2', load: async () => (await import('@atoll/elbv2')).createElbv2Service },
  { name: 'ecs', load: async () => (await import('@atoll/ecs')).createEcsService },
  { name: 's3', load: async () => (await import('@atoll/s3')).createS3Service },
  { name: 'lambda', load: async () => (await import('@atoll/lambda')).createLambdaService, stores: ['lambda', 'lambda_logs'] },
  { name: 'sqs', load: async () => (await import('@atoll/sqs')).createSqsService },
  { name: 'sns', load: async () => (await import('@atoll/sns')).createSnsService },
  { name: 'cloudtrail', load: async () => (await import('@atoll/cloudtrail')).createCloudTrailService, stores: [] },
];
