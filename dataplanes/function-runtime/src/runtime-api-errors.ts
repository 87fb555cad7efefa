// The Runtime API's error documents and the error documents an invocation returns when the
// runtime or the sandbox fails (as the Lambda service writes them into the invocation's payload).

/** Largest response or error body a runtime may post (the documented 6 MB, as Lambda counts it). */
export const MAX_RESPONSE_BYTES = 6_291_556;

export interface RuntimeApiError {
  status: number;
  errorType: string;
  errorMessage: string;
}

export const RuntimeApiErrors = {
  invalidRequestId: (): RuntimeApiError => ({ status: 400, errorType: 'InvalidRequestID', errorMessage: 'Invalid request ID' }),
  invalidStateTransition: (from: string, to: string): RuntimeApiError => ({
    status: 403,
    // The Lambda runtime interface emulator names it without a `Runtime.` prefix.
    errorType: 'InvalidStateTransition',
    errorMessage: `State transition from ${from} to ${to} failed for runtime. Error: State transition is not allowed`,
  }),
  payloadTooLarge: (): RuntimeApiError => ({
    status: 413,
    errorType: 'RequestEntityTooLarge',
    errorMessage: `Exceeded maximum allowed payload size (${MAX_RESPONSE_BYTES} bytes).`,
  }),
  notFound: (path: string): RuntimeApiError => ({ status: 404, errorType: 'NotFound', errorMessage: `No such Runtime API resource: ${path}` }),
  methodNotAllowed: (): RuntimeApiError => ({ status: 405, errorType: 'MethodNotAllowed', errorMessage: 'Method not allowed' }),
} as const;

/** An invocation error as the caller of Invoke sees it in the payload. */
export interface InvocationErrorDocument {
  errorType: string;
  errorMessage: string;
  trace?: string[];
  /** Fields other runtimes add (Python: requestId, stackTrace; Java: stackTrace, cause). */
  [field: string]: unknown;
}

export const SandboxErrors = {
  timeout: (requestId: string, seconds: number): InvocationErrorDocument => ({
    errorType: 'Sandbox.Timedout',
    errorMessage: `RequestId: ${requestId} Error: Task timed out after ${seconds.toFixed(2)} seconds`,
  }),
  outOfMemory: (requestId: string): InvocationErrorDocument => ({
    errorType: 'Runtime.OutOfMemory',
    errorMessage: `RequestId: ${requestId} Error: Runtime exited with error: signal: killed`,
  }),
  exit: (requestId: string, code: number | null, signal: string | null, detail?: string): InvocationErrorDocument => ({
    errorType: 'Runtime.ExitError',
    errorMessage: `RequestId: ${requestId} Error: Runtime exited ${code !== null ? `with error: exit status ${code}` : `with error: signal: ${signal === 'SIGKILL' ? 'killed' : (signal ?? 'unknown')}`}${detail ? `\n${detail}` : ''}`,
  }),
  responseTooLarge: (): InvocationErrorDocument => ({
    errorType: 'Function.ResponseSizeTooLarge',
    errorMessage: `Response payload size exceeded maximum allowed payload size (${MAX_RESPONSE_BYTES} bytes).`,
  }),
  invalidEntrypoint: (paths: string[]): InvocationErrorDocument => ({
    errorType: 'Runtime.InvalidEntrypoint',
    errorMessage: `Couldn't find valid bootstrap(s): [${paths.join(' ')}]`,
  }),
  initTimeout: (requestId: string): InvocationErrorDocument => ({
    errorType: 'Sandbox.Timedout',
    errorMessage: `RequestId: ${requestId} Error: Init phase timed out after 10.00 seconds`,
  }),
} as const;
