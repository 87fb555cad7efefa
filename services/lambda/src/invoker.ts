// Invocation: resolves a function name and qualifier (alias routing included) to a version, turns
// the version into the data plane's FunctionSpec (code directory, layers, environment, scoped
// credentials, concurrency limit) and runs it. Used by Invoke, the async queue, event source
// mappings and function URLs alike.
import { randomUUID } from 'node:crypto';
import { newAccessKeyId, newSecretAccessKey, newTraceId, type CallContext } from '@atoll/core';
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

interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expires: number;
}

export class Invoker {
  readonly #c: LambdaContext;
  readonly #credentials = new Map<string, Credentials>();

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
    const credentials = await this.#credentialsFor(scope, config.Role, fn.name);
    const environment: Record<string, string> = {
      ...(config.Environment?.Variables ?? {}),
      AWS_ENDPOINT_URL: this.#c.platform.endpoint(),
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    };
    if (credentials.sessionToken) environment.AWS_SESSION_TOKEN = credentials.sessionToken;
    return {
      key: `${fn.arn}:${version.version}:${config.RevisionId}:${credentials.accessKeyId}`,
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

  /**
   * Credentials for the function's execution role, in order of preference:
   * 1. STS AssumeRole on the role (temporary credentials, refreshed before they expire), once the
   *    `sts` service implements it;
   * 2. the hook used until IAM has roles: an IAM user per function (`/atoll/lambda/` path) with one
   *    access key, kept in this service's store, and an inline policy allowing every action;
   * 3. when neither service is served: a stable random key pair only a permissive platform accepts.
   */
  async #credentialsFor(scope: Scope, role: string, name: string): Promise<Credentials> {
    const cacheKey = `${scope.account}/${scope.region}/${name}/${role}`;
    const cached = this.#credentials.get(cacheKey);
    if (cached && cached.expires > Date.now() + 5 * 60_000) return cached;
    const ctx: CallContext = { accountId: scope.account, region: scope.region };
    let credentials: Credentials | undefined;
    try {
      const out = await this.#c.platform.call<{ Credentials?: { AccessKeyId: string; SecretAccessKey: string; SessionToken: string; Expiration: Date | string } }>(
        'sts', 'AssumeRole', { RoleArn: role, RoleSessionName: name.slice(0, 64), DurationSeconds: 3600 }, ctx,
      );
      const c = out.Credentials!;
      credentials = { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expires: new Date(c.Expiration).getTime() };
    } catch {
      credentials = await this.#iamUserKey(scope, name, ctx).catch(() => undefined);
    }
    credentials ??= cached ?? { accessKeyId: newAccessKeyId('ASIA'), secretAccessKey: newSecretAccessKey(), expires: Number.MAX_SAFE_INTEGER };
    this.#credentials.set(cacheKey, credentials);
    return credentials;
  }

  async #iamUserKey(scope: Scope, name: string, ctx: CallContext): Promise<Credentials> {
    const metaKey = `function-key:${scope.account}:${scope.region}:${name}`;
    const saved = await this.#c.store.getMeta(metaKey);
    if (saved) return { ...(JSON.parse(saved) as Credentials), expires: Date.now() + 3_600_000 };
    const userName = `lambda-${name.slice(0, 40)}-${scope.region}`.slice(0, 64);
    const call = <O>(op: string, input: unknown) => this.#c.platform.call<O>('iam', op, input, ctx);
    try {
      await call('CreateUser', { UserName: userName, Path: '/atoll/lambda/' });
    } catch (error) {
      if ((error as { code?: string }).code !== 'EntityAlreadyExists') throw error;
    }
    await call('PutUserPolicy', {
      UserName: userName,
      PolicyName: 'atoll-lambda-execution',
      PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }),
    });
    const out = await call<{ AccessKey: { AccessKeyId: string; SecretAccessKey: string } }>('CreateAccessKey', { UserName: userName });
    const credentials = { accessKeyId: out.AccessKey.AccessKeyId, secretAccessKey: out.AccessKey.SecretAccessKey, expires: 0 };
    await this.#c.store.putMeta(metaKey, JSON.stringify(credentials));
    return { ...credentials, expires: Date.now() + 3_600_000 };
  }
}

/** The last 4 KB of an invocation's log, base64, as X-Amz-Log-Result. */
export function logTail(logs: string | undefined): string | undefined {
  if (logs === undefined) return undefined;
  const bytes = Buffer.from(logs + '\n', 'utf8');
  return bytes.subarray(Math.max(0, bytes.length - 4096)).toString('base64');
}
