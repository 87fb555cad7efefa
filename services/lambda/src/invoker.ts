// Invocation: resolves a function name and qualifier (alias routing included) to a version, turns
// the version into the data plane's FunctionSpec (code directory, layers, environment, the execution
// role's session credentials, concurrency limit) and runs it. Used by Invoke, the async queue, event source
// mappings and function URLs alike.
import { randomUUID } from 'node:crypto';
import { newTraceId } from '@atoll/core';
import { ConcurrencyLimitExceededError, type FunctionSpec, type InvocationResult } from '@atoll/function-runtime';
import type { LambdaContext } from './lambda-context.js';
import type { FunctionRecord, VersionRecord } from './lambda-records.js';
import { LambdaErrors } from './lambda-errors.js';
import { functionArn, type Scope } from './function-names.js';
import { pickAliasVersion } from './alias-api.js';

export interface ResolvedTarget {
  fn: FunctionRecord;
  version: VersionRecord;
  /** The qualifier the caller named (`$LATEST`, a version or an alias). */
  qualifier: string;
  /** The ARN the caller invoked (qualified when the caller qualified it). */
  invokedArn: string;
}

export interface InvokeOptions {
  payload: Buffer;
  requestId?: string;
  traceId?: string;
  clientContext?: string;
  tail?: boolean;
}

export class Invoker {
  readonly #c: LambdaContext;
  /** The spec key each function last ran under, to retire its environments once its credentials change. */
  readonly #lastKeys = new Map<string, string>();

  constructor(context: LambdaContext) {
    this.#c = context;
  }

  /** The function and version an invocation runs (cached reads: no database round trip when warm). */
  async resolve(scope: Scope, name: string, qualifier: string | undefined): Promise<ResolvedTarget> {
    const fn = await this.#c.store.getFunction(scope, name);
    const arn = functionArn(scope, name);
    if (!fn) throw LambdaErrors.functionNotFound(qualifier ? `${arn}:${qualifier}` : arn);
    const q = qualifier ?? '$LATEST';
    let versionName = q;
    if (q !== '$LATEST' && !/^\d+$/.test(q)) {
      const alias = await this.#c.store.getAlias(scope, name, q);
      if (!alias) throw LambdaErrors.functionNotFound(`${arn}:${q}`);
      versionName = pickAliasVersion(alias);
    }
    const version = await this.#c.store.getVersion(scope, name, versionName);
    if (!version) throw LambdaErrors.functionNotFound(`${arn}:${q}`);
    if (version.config.State !== 'Active') {
      throw LambdaErrors.resourceConflict(`The operation cannot be performed at this time. The function is currently in the following state: ${version.config.State}`);
    }
    return { fn, version, qualifier: q, invokedArn: qualifier ? `${arn}:${qualifier}` : arn };
  }

  /** Runs the function; throws TooManyRequestsException when a concurrency limit is reached. */
  async run(scope: Scope, target: ResolvedTarget, options: InvokeOptions): Promise<InvocationResult> {
    const spec = await this.spec(scope, target);
    try {
      return await this.#c.runtime.invoke(spec, {
        requestId: options.requestId ?? randomUUID(),
        payload: options.payload.length === 0 ? Buffer.from('{}') : options.payload,
        invokedFunctionArn: target.invokedArn,
        traceId: options.traceId ?? `Root=${newTraceId()};Parent=${randomUUID().replace(/-/g, '').slice(0, 16)};Sampled=0`,
        clientContext: options.clientContext,
        tail: options.tail,
      });
    } catch (error) {
      if (error instanceof ConcurrencyLimitExceededError) throw LambdaErrors.tooManyRequests(error.reason);
      throw error;
    }
  }

  async spec(scope: Scope, target: ResolvedTarget): Promise<FunctionSpec> {
    const { fn, version } = target;
    const config = version.config;
    const reserved = fn.reservedConcurrency;
    const credentials = await this.#c.roles.session(scope, config.Role, fn.name);
    const environment: Record<string, string> = {
      ...(config.Environment?.Variables ?? {}),
      AWS_ENDPOINT_URL: this.#c.platform.endpoint(),
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    };
    if (credentials.sessionToken) environment.AWS_SESSION_TOKEN = credentials.sessionToken;
    // Environments get their credentials when they start: a renewed session starts new ones, and
    // the idle environments of the previous session are stopped (busy ones after their invocation).
    const key = `${fn.arn}:${version.version}:${config.RevisionId}:${credentials.accessKeyId}`;
    const poolOf = `${fn.arn}:${version.version}`;
    const previous = this.#lastKeys.get(poolOf);
    if (previous !== key) {
      if (previous) this.#c.runtime.retire(previous);
      this.#lastKeys.set(poolOf, key);
    }
    return {
      key,
      functionArn: fn.arn,
      functionName: fn.name,
      version: version.version,
      runtime: config.Runtime,
      handler: config.Handler,
      codeDir: await this.#c.code.directory(version.codeKey),
      layerDirs: await Promise.all(version.layerKeys.map((k) => this.#c.code.directory(k))),
      memorySizeMb: config.MemorySize,
      timeoutSeconds: config.Timeout,
      region: scope.region,
      logGroupName: config.LoggingConfig.LogGroup,
      environment,
      ...(reserved !== undefined
        ? { concurrencyLimit: reserved, concurrencyScope: 'reserved' as const }
        : { concurrencyLimit: this.#c.options.accountConcurrencyLimit - (await this.#c.store.reservedSum(scope)), concurrencyScope: 'unreserved' as const }),
    };
  }
}

/** The last 4 KB of an invocation's log, base64, as X-Amz-Log-Result. */
export function logTail(logs: string | undefined): string | undefined {
  if (logs === undefined) return undefined;
  const bytes = Buffer.from(logs + '\n', 'utf8');
  return bytes.subarray(Math.max(0, bytes.length - 4096)).toString('base64');
}
