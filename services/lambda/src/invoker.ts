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
  /**
   * Record the Lambda service's segment (AWS::Lambda) before the function's, as for event source
   * invocations; an Invoke call's own segment (the edge's) plays that part otherwise.
   */
  serviceSegment?: boolean;
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
    const requestId = options.requestId ?? randomUUID();
    // A sampled trace: the function gets its own segment (X-Ray), the parent of what it calls.
    const trace = sampledTrace(options.traceId);
    const started = Date.now();
    try {
      const result = await this.#c.runtime.invoke(spec, {
        requestId,
        payload: options.payload.length === 0 ? Buffer.from('{}') : options.payload,
        invokedFunctionArn: target.invokedArn,
        traceId: trace ? `Root=${trace.root};Parent=${trace.segmentId};Sampled=1` : (options.traceId ?? `Root=${newTraceId()};Parent=${randomUUID().replace(/-/g, '').slice(0, 16)};Sampled=0`),
        clientContext: options.clientContext,
        tail: options.tail,
      });
      if (trace) this.#recordSegment(scope, target, trace, requestId, started, result, options.serviceSegment === true);
      return result;
    } catch (error) {
      if (error instanceof ConcurrencyLimitExceededError) throw LambdaErrors.tooManyRequests(error.reason);
      throw error;
    }
  }

  /** The function's segment (init, invocation, overhead), through X-Ray's PutTraceSegments when X-Ray is served. */
  #recordSegment(
    scope: Scope,
    target: ResolvedTarget,
    trace: { root: string; parent?: string; segmentId: string },
    requestId: string,
    started: number,
    result: InvocationResult,
    serviceSegment: boolean,
  ): void {
    const end = Date.now();
    const service = serviceSegment
      ? {
          name: target.fn.name,
          id: randomUUID().replace(/-/g, '').slice(0, 16),
          trace_id: trace.root,
          ...(trace.parent ? { parent_id: trace.parent } : {}),
          start_time: started / 1000,
          end_time: end / 1000,
          origin: 'AWS::Lambda',
          aws: { request_id: requestId, region: scope.region, account_id: scope.account },
        }
      : undefined;
    const sub = (name: string, from: number, to: number) => ({ id: randomUUID().replace(/-/g, '').slice(0, 16), name, start_time: from / 1000, end_time: to / 1000 });
    const initMs = result.initDurationMs ?? 0;
    const invokeStart = Math.max(started, end - result.durationMs);
    const doc = {
      name: target.fn.name,
      id: trace.segmentId,
      trace_id: trace.root,
      ...(service ? { parent_id: service.id } : trace.parent ? { parent_id: trace.parent } : {}),
      start_time: started / 1000,
      end_time: end / 1000,
      origin: 'AWS::Lambda::Function',
      aws: { function_arn: target.invokedArn, request_id: requestId, region: scope.region, account_id: scope.account },
      ...(result.functionError ? { fault: true } : {}),
      subsegments: [
        ...(initMs > 0 ? [sub('Initialization', started, started + initMs)] : []),
        sub('Invocation', invokeStart, invokeStart + result.durationMs),
        sub('Overhead', invokeStart + result.durationMs, end),
      ],
    };
    this.#c.platform
      .call('xray', 'PutTraceSegments', { TraceSegmentDocuments: [...(service ? [JSON.stringify(service)] : []), JSON.stringify(doc)] }, { accountId: scope.account, region: scope.region })
      .catch(() => {
        // X-Ray is not served (or refused the segment): the invocation is not traced.
      });
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
      // A container image function runs its generated launcher as a provided runtime (image-functions.ts).
      runtime: config.Runtime ?? 'provided.al2023',
      handler: config.Handler ?? 'bootstrap',
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

/** The Root and Parent of a sampled trace header, and a new segment id for the function. */
function sampledTrace(header: string | undefined): { root: string; parent?: string; segmentId: string } | undefined {
  if (!header) return undefined;
  const root = /(?:^|;)\s*Root=(1-[0-9a-f]{8}-[0-9a-f]{24})/.exec(header)?.[1];
  if (!root || /(?:^|;)\s*Sampled=0/.test(header)) return undefined;
  const parent = /(?:^|;)\s*Parent=([0-9a-f]{16})/.exec(header)?.[1];
  return { root, ...(parent ? { parent } : {}), segmentId: randomUUID().replace(/-/g, '').slice(0, 16) };
}
