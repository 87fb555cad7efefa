// The data plane's contract with its provider: what a function version looks like to the runtime
// (FunctionSpec), one invocation's request and result, and the log records it emits. It names no
// table and no AWS error class; the Lambda provider maps these to its API.

export type RuntimeKind = 'nodejs' | 'provided';

/** One deployable unit (a function version with a given configuration). */
export interface FunctionSpec {
  /**
   * Identifies a pool of interchangeable environments. The provider changes the key whenever code
   * or configuration changes, so that old environments are never reused for a new configuration.
   */
  key: string;
  /** The unqualified function ARN: concurrency is counted per function, across its versions. */
  functionArn: string;
  functionName: string;
  /** `$LATEST` or a version number. */
  version: string;
  /** The runtime identifier, e.g. `nodejs20.x` or `provided.al2023`. */
  runtime: string;
  handler: string;
  /** Directory holding the extracted deployment package (LAMBDA_TASK_ROOT). */
  codeDir: string;
  /** Extracted layers, in order; each is merged into the `/opt` equivalent (later layers win). */
  layerDirs: readonly string[];
  memorySizeMb: number;
  timeoutSeconds: number;
  region: string;
  logGroupName: string;
  /** User environment variables plus the variables the provider injects (credentials, endpoint). */
  environment: Record<string, string>;
  /**
   * The most environments this function may run at once (reserved concurrency, or what is left of
   * the account's unreserved pool). Undefined means no limit of its own.
   */
  concurrencyLimit?: number;
  /** Which limit concurrencyLimit is, for the throttling reason reported to the caller. */
  concurrencyScope?: 'reserved' | 'unreserved';
}

export interface InvocationRequest {
  requestId: string;
  payload: Buffer;
  /** The ARN the caller used (qualified with a version or alias when it was). */
  invokedFunctionArn: string;
  traceId?: string;
  /** Base64 JSON client context, passed as Lambda-Runtime-Client-Context (decoded). */
  clientContext?: string;
  cognitoIdentity?: string;
  /** Keep the invocation's log lines to return the tail (LogType: Tail). */
  tail?: boolean;
}

export interface InvocationResult {
  requestId: string;
  /** The function's response, or the error document when functionError is set. */
  payload: Buffer;
  /** `Unhandled` for errors raised by the function or the runtime. */
  functionError?: 'Unhandled' | 'Handled';
  /** The error type of a failed invocation (`Runtime.ExitError`, `Sandbox.Timedout`, …). */
  errorType?: string;
  /** The invocation's log text (START … REPORT), when `tail` was asked for. */
  logs?: string;
  durationMs: number;
  billedDurationMs: number;
  maxMemoryUsedMb: number;
  /** Set on the invocation that started its environment. */
  initDurationMs?: number;
}

/** A batch of log lines from one environment, in order, ready for CloudWatch Logs. */
export interface LogBatch {
  functionArn: string;
  logGroupName: string;
  logStreamName: string;
  events: LogEvent[];
}

export interface LogEvent {
  timestamp: number;
  message: string;
}

export type LogSink = (batch: LogBatch) => void;
