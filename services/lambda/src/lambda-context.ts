// What the Lambda API's parts share: the store, the code store, the function data plane and the
// platform.
import type { PlatformContext } from '@atoll/core';
import type { FunctionRuntime } from '@atoll/function-runtime';
import type { LambdaStore } from './lambda-store.js';
import type { CodeStore } from './code-store.js';
import type { ExecutionRoles } from './execution-role.js';

export interface LambdaOptions {
  /** The account's concurrent executions limit (default 1000, as Lambda's default quota). */
  accountConcurrencyLimit?: number;
  /** Environments idle this long are stopped (default 5 minutes). */
  idleTimeoutMs?: number;
  /** Delays before the retries of a failed asynchronous invocation (Lambda uses about 1 and 2 minutes). */
  asyncRetryDelaysMs?: number[];
  /** How long the event source pollers wait in one ReceiveMessage long poll (seconds, default 2). */
  pollWaitSeconds?: number;
}

export interface LambdaContext {
  platform: PlatformContext;
  store: LambdaStore;
  code: CodeStore;
  runtime: FunctionRuntime;
  options: Required<LambdaOptions>;
  /** The key that signs code download URLs (the same on every node). */
  codeUrlSecret: Buffer;
  /** Sessions of the functions' execution roles. */
  roles: ExecutionRoles;
}

/** Lambda keeps at least this much concurrency unreserved. */
export const MIN_UNRESERVED = 100;
