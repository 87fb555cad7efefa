export { AtollError, CommonErrors, ServiceError, serviceError } from './errors.js';
export type { ServiceErrorSpec } from './errors.js';
export { DEFAULT_CONFIG, loadConfig } from './config.js';
export type { AtollConfig, AuthMode, LogLevel } from './config.js';
export { newAccessKeyId, newRequestId, newSecretAccessKey, newTraceId, newUniqueId, newUuid, randomHex } from './ids.js';
export { formatArn, parseArn } from './arn.js';
export type { Arn } from './arn.js';
export { EventBus } from './event-bus.js';
export type { EventHandler, PlatformEvent } from './event-bus.js';
export { API_CALL_COMPLETED, API_CALL_TRACED, platformSegmentId, propagatedTraceHeader } from './api-call-event.js';
export type { ApiCallCompletedDetail, ApiCallResources, ApiCallTracedDetail } from './api-call-event.js';
export type {
  CallContext,
  CallerIdentity,
  HttpRoute,
  IamRequest,
  Logger,
  OperationHandler,
  PlatformContext,
  RawRouteContext,
  RequestContext,
  ServiceFactory,
  ServicePrincipalFacts,
  ServiceProvider,
  SessionFacts,
  SignedHttpRequest,
} from './provider.js';
export type { AccessKeyCredentials, IdentityDirectory, PrincipalPermissions, SessionDirectory } from './identity.js';
export type { AuditEvent, AuditPage, AuditQuery, AuditTrail } from './audit.js';
export { EncodedJson, stringifyJson } from './encoded-json.js';
export { powerOfTwoChunks, sqlInList } from './sql-lists.js';
export type {
  LeaderLoop,
  Leadership,
  OpenStoreOptions,
  Signals,
  SqlDialect,
  SqlExecutor,
  SqlRunResult,
  SqlTransaction,
  SqlValue,
  StorageBackend,
  StoreDatabase,
  StoreMigration,
  TransactionOptions,
} from './storage.js';
