// The stored documents of HTTP APIs, in the shapes apigatewayv2 returns (plus a deployment's snapshot).

export interface CorsDoc {
  AllowCredentials?: boolean;
  AllowHeaders?: string[];
  AllowMethods?: string[];
  AllowOrigins?: string[];
  ExposeHeaders?: string[];
  MaxAge?: number;
}

export interface HttpApiDoc {
  ApiId: string;
  Name: string;
  ProtocolType: string;
  RouteSelectionExpression: string;
  ApiKeySelectionExpression?: string;
  CorsConfiguration?: CorsDoc;
  CreatedDate: string;
  Description?: string;
  DisableExecuteApiEndpoint?: boolean;
  Version?: string;
  Tags?: Record<string, string>;
  ApiGatewayManaged?: boolean;
  ApiEndpoint?: string;
}

export interface HttpRouteDoc {
  RouteId: string;
  RouteKey: string;
  Target?: string;
  AuthorizationType: string;
  AuthorizerId?: string;
  AuthorizationScopes?: string[];
  ApiKeyRequired?: boolean;
  ApiGatewayManaged?: boolean;
  /** WebSocket routes: set for two-way routes (the integration's answer goes back to the client). */
  RouteResponseSelectionExpression?: string;
}

export interface HttpIntegrationDoc {
  IntegrationId: string;
  IntegrationType: string;
  IntegrationUri?: string;
  IntegrationSubtype?: string;
  IntegrationMethod?: string;
  PayloadFormatVersion?: string;
  TimeoutInMillis?: number;
  ConnectionType?: string;
  RequestParameters?: Record<string, string>;
  ResponseParameters?: Record<string, Record<string, string>>;
  CredentialsArn?: string;
  ApiGatewayManaged?: boolean;
}

export interface HttpAuthorizerDoc {
  AuthorizerId: string;
  AuthorizerType: string;
  Name: string;
  IdentitySource: string[];
  JwtConfiguration?: { Issuer?: string; Audience?: string[] };
  AuthorizerUri?: string;
  AuthorizerPayloadFormatVersion?: string;
  AuthorizerResultTtlInSeconds?: number;
  EnableSimpleResponses?: boolean;
  IdentityValidationExpression?: string;
}

export interface HttpStageDoc {
  StageName: string;
  AutoDeploy?: boolean;
  DeploymentId?: string;
  StageVariables?: Record<string, string>;
  DefaultRouteSettings?: { ThrottlingBurstLimit?: number; ThrottlingRateLimit?: number };
  RouteSettings?: Record<string, { ThrottlingBurstLimit?: number; ThrottlingRateLimit?: number }>;
  Description?: string;
  CreatedDate: string;
  LastUpdatedDate: string;
  Tags?: Record<string, string>;
  ApiGatewayManaged?: boolean;
}

export interface HttpDeploymentDoc {
  DeploymentId: string;
  DeploymentStatus: string;
  CreatedDate: string;
  Description?: string;
  AutoDeployed?: boolean;
  /** What the deployment froze (not part of AWS's output). */
  snapshot: { routes: HttpRouteDoc[]; integrations: HttpIntegrationDoc[]; authorizers: HttpAuthorizerDoc[] };
}
