// The stored documents of REST APIs, in the shapes apigateway returns (plus a deployment's snapshot).
import type { GatewayResponseDoc } from '../data-plane/gateway-responses.js';
export type { GatewayResponseDoc };

export interface RestApiDoc {
  id: string;
  name: string;
  description?: string;
  createdDate: string;
  rootResourceId: string;
  apiKeySource?: string;
  binaryMediaTypes?: string[];
  endpointConfiguration?: { types?: string[] };
  disableExecuteApiEndpoint?: boolean;
  tags?: Record<string, string>;
}

export interface IntegrationDoc {
  type: string;
  httpMethod?: string;
  uri?: string;
  timeoutInMillis?: number;
  requestParameters?: Record<string, string>;
  requestTemplates?: Record<string, string>;
  integrationResponses?: Record<string, { statusCode: string; selectionPattern?: string; responseTemplates?: Record<string, string>; responseParameters?: Record<string, string> }>;
  [more: string]: unknown;
}

export interface MethodDoc {
  httpMethod: string;
  authorizationType: string;
  authorizerId?: string;
  apiKeyRequired?: boolean;
  requestParameters?: Record<string, boolean>;
  requestModels?: Record<string, string>;
  requestValidatorId?: string;
  methodResponses?: Record<string, unknown>;
  methodIntegration?: IntegrationDoc;
}

export interface ResourceDoc {
  id: string;
  parentId?: string;
  pathPart?: string;
  path: string;
  resourceMethods?: Record<string, MethodDoc>;
}

export interface RestDeploymentDoc {
  id: string;
  description?: string;
  createdDate: string;
  /** The resources and their methods as deployed (not part of AWS's output). */
  snapshot: {
    resources: ResourceDoc[];
    authorizers?: RestAuthorizerDoc[];
    models?: ModelDoc[];
    validators?: RequestValidatorDoc[];
    gatewayResponses?: GatewayResponseDoc[];
  };
}

export interface ModelDoc {
  id: string;
  name: string;
  description?: string;
  schema?: string;
  contentType: string;
}

export interface RequestValidatorDoc {
  id: string;
  name: string;
  validateRequestBody: boolean;
  validateRequestParameters: boolean;
}

export interface RestStageDoc {
  stageName: string;
  deploymentId: string;
  description?: string;
  variables?: Record<string, string>;
  methodSettings?: Record<string, { throttlingRateLimit?: number; throttlingBurstLimit?: number }>;
  cacheClusterEnabled?: boolean;
  tracingEnabled?: boolean;
  createdDate: string;
  lastUpdatedDate: string;
  tags?: Record<string, string>;
}

export interface ApiKeyDoc {
  id: string;
  value: string;
  name: string;
  description?: string;
  customerId?: string;
  enabled: boolean;
  createdDate: string;
  lastUpdatedDate: string;
  stageKeys?: string[];
  tags?: Record<string, string>;
}

export interface UsagePlanDoc {
  id: string;
  name: string;
  description?: string;
  apiStages?: { apiId: string; stage: string }[];
  throttle?: { rateLimit?: number; burstLimit?: number };
  quota?: { limit?: number; offset?: number; period?: string };
  tags?: Record<string, string>;
}

export interface UsagePlanKeyDoc {
  id: string;
  type: string;
  value: string;
  name: string;
}

export interface RestAuthorizerDoc {
  id: string;
  name: string;
  type: string;
  authorizerUri?: string;
  identitySource?: string;
  identityValidationExpression?: string;
  authorizerResultTtlInSeconds?: number;
  providerARNs?: string[];
  authType?: string;
}
