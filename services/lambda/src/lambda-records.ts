// The documents the Lambda store keeps. A version keeps its FunctionConfiguration in the API's own
// shape (what GetFunctionConfiguration returns), plus the internal fields that locate its code.

/** FunctionConfiguration as the Lambda API returns it (only the members Atoll fills). */
export interface FunctionConfiguration {
  FunctionName: string;
  FunctionArn: string;
  /** Absent for container image functions (PackageType Image). */
  Runtime?: string;
  Role: string;
  Handler?: string;
  CodeSize: number;
  Description: string;
  Timeout: number;
  MemorySize: number;
  LastModified: string;
  CodeSha256: string;
  Version: string;
  Environment?: { Variables: Record<string, string> };
  TracingConfig: { Mode: string };
  RevisionId: string;
  Layers?: { Arn: string; CodeSize: number }[];
  State: 'Pending' | 'Active' | 'Inactive' | 'Failed';
  StateReason?: string;
  StateReasonCode?: string;
  LastUpdateStatus: 'Successful' | 'Failed' | 'InProgress';
  LastUpdateStatusReason?: string;
  LastUpdateStatusReasonCode?: string;
  PackageType: 'Zip' | 'Image';
  ImageConfigResponse?: { ImageConfig: { EntryPoint?: string[]; Command?: string[]; WorkingDirectory?: string } };
  Architectures: string[];
  EphemeralStorage: { Size: number };
  DeadLetterConfig?: { TargetArn?: string };
  LoggingConfig: { LogFormat: string; LogGroup: string };
  SnapStart: { ApplyOn: string; OptimizationStatus: string };
  RuntimeVersionConfig?: { RuntimeVersionArn: string };
}

export interface VersionRecord {
  name: string;
  version: string;
  config: FunctionConfiguration;
  /** Blob key of the deployment package. */
  codeKey: string;
  /** Blob keys of the layers, in order. */
  layerKeys: string[];
  /** A container image function's image: the URI as given and its digest form (image-functions.ts). */
  image?: { uri: string; resolvedUri: string };
}

export interface PolicyStatement {
  Sid: string;
  Effect: 'Allow';
  Principal: Record<string, string> | string;
  Action: string;
  Resource: string;
  Condition?: Record<string, Record<string, string>>;
}

export interface EventInvokeConfig {
  MaximumRetryAttempts?: number;
  MaximumEventAgeInSeconds?: number;
  DestinationConfig?: { OnSuccess?: { Destination?: string }; OnFailure?: { Destination?: string } };
  LastModified: string;
}

export interface FunctionRecord {
  name: string;
  arn: string;
  /** The last published version number. */
  lastVersion: number;
  /** Resource policy statements per qualifier (`$LATEST` for the unqualified function). */
  policies: Record<string, PolicyStatement[]>;
  policyRevisions: Record<string, string>;
  tags: Record<string, string>;
  reservedConcurrency?: number;
  /** Asynchronous invocation settings per qualifier. */
  eventInvokeConfigs: Record<string, EventInvokeConfig>;
}

export interface AliasRecord {
  functionName: string;
  name: string;
  AliasArn: string;
  Name: string;
  FunctionVersion: string;
  Description: string;
  RoutingConfig?: { AdditionalVersionWeights?: Record<string, number> };
  RevisionId: string;
}

export interface LayerVersionRecord {
  layerName: string;
  version: number;
  codeKey: string;
  LayerArn: string;
  LayerVersionArn: string;
  Description: string;
  CreatedDate: string;
  Version: number;
  CompatibleRuntimes?: string[];
  CompatibleArchitectures?: string[];
  LicenseInfo?: string;
  CodeSha256: string;
  CodeSize: number;
}

export interface EventSourceMappingRecord {
  uuid: string;
  account: string;
  region: string;
  functionName: string;
  /** The mapping as the API returns it. */
  doc: {
    UUID: string;
    EventSourceArn: string;
    FunctionArn: string;
    BatchSize: number;
    MaximumBatchingWindowInSeconds: number;
    StartingPosition?: string;
    StartingPositionTimestamp?: string;
    MaximumRetryAttempts?: number;
    MaximumRecordAgeInSeconds?: number;
    BisectBatchOnFunctionError?: boolean;
    ParallelizationFactor?: number;
    DestinationConfig?: { OnFailure?: { Destination?: string }; OnSuccess?: { Destination?: string } };
    FunctionResponseTypes?: string[];
    ScalingConfig?: { MaximumConcurrency?: number };
    FilterCriteria?: { Filters?: { Pattern?: string }[] };
    State: string;
    StateTransitionReason: string;
    LastModified: number;
    LastProcessingResult: string;
    EventSourceMappingArn: string;
  };
  /** Stream positions per shard: the last sequence number processed. */
  checkpoints?: Record<string, string>;
}

export interface UrlConfigRecord {
  urlId: string;
  account: string;
  region: string;
  functionName: string;
  qualifier: string;
  FunctionArn: string;
  AuthType: 'NONE' | 'AWS_IAM';
  Cors?: {
    AllowCredentials?: boolean;
    AllowHeaders?: string[];
    AllowMethods?: string[];
    AllowOrigins?: string[];
    ExposeHeaders?: string[];
    MaxAge?: number;
  };
  InvokeMode: string;
  CreationTime: string;
  LastModifiedTime: string;
}

export interface AsyncInvocationRecord {
  account: string;
  region: string;
  functionName: string;
  qualifier: string;
  requestId: string;
  /** Invocations made so far (1 + retries). */
  attempts: number;
  enqueuedAt: number;
  traceId?: string;
}
