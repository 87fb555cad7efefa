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
  /**
   * Hosts whose requests are the service's own non-model routes (API Gateway's
   * `<apiId>.execute-api.localhost`): the service is activated for them, and they never reach the
   * AWS API edge (nor S3's virtual hosts).
   */
  hosts?: RegExp;
}

/** `<apiId>.execute-api[.<region>].localhost[:port]`, and AWS's own `….execute-api.<region>.amazonaws.com`. */
const EXECUTE_API_HOST = /^[a-z0-9]+\.execute-api\.(?:[a-z0-9-]+\.)?(?:localhost|amazonaws\.com)(?::\d+)?$/i;

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
  { name: 'apigateway', load: async () => (await import('@atoll/apigateway')).createApiGatewayService, hosts: EXECUTE_API_HOST },
  { name: 'apigatewayv2', load: async () => (await import('@atoll/apigateway')).createApiGatewayV2Service, stores: ['apigateway'], hosts: EXECUTE_API_HOST },
  { name: 'logs', load: async () => (await import('@atoll/logs')).createLogsService },
  { name: 'cloudwatch', load: async () => (await import('@atoll/cloudwatch')).createCloudWatchService },
  { name: 'applicationautoscaling', load: async () => (await import('@atoll/applicationautoscaling')).createApplicationAutoScalingService },
  { name: 'ecr', load: async () => (await import('@atoll/ecr')).createEcrService, hosts: /^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.localhost(?::\d+)?$/ },
  { name: 'elasticache', load: async () => (await import('@atoll/elasticache')).createElastiCacheService },
  { name: 'route53', load: async () => (await import('@atoll/dns')).createRoute53Service },
  { name: 'servicediscovery', load: async () => (await import('@atoll/dns')).createServiceDiscoveryService },
  { name: 'rds', load: async () => (await import('@atoll/rds')).createRdsService },
  { name: 'rdsdata', load: async () => (await import('@atoll/rds')).createRdsDataService, stores: [] },
  { name: 'xray', load: async () => (await import('@atoll/xray')).createXrayService },
  { name: 'secretsmanager', load: async () => (await import('@atoll/secretsmanager')).createSecretsManagerService },
];
