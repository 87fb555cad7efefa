export { FunctionRuntime, ConcurrencyLimitExceededError, NODE_BOOTSTRAP } from './function-runtime.js';
export type { FunctionRuntimeOptions, RuntimeStats } from './function-runtime.js';
export { ExecutionEnvironment } from './execution-environment.js';
export type { EnvironmentState } from './execution-environment.js';
export { MAX_RESPONSE_BYTES, RuntimeApiErrors, SandboxErrors } from './runtime-api-errors.js';
export type { InvocationErrorDocument, RuntimeApiError } from './runtime-api-errors.js';
export type { FunctionSpec, InvocationRequest, InvocationResult, LogBatch, LogEvent, LogSink, RuntimeKind } from './types.js';
