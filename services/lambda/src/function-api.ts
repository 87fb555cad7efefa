// The Lambda API's function operations: create, read, update and delete functions, publish
// versions, and the code download. Aliases, policies and concurrency live in their own modules.
import { randomUUID, createHmac, timingSafeEqual } from 'node:crypto';
import { Readable } from 'node:stream';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestContext } from '@atoll/core';
import type { LambdaContext } from './lambda-context.js';
import type { LambdaReader, LambdaTransaction } from './lambda-store.js';
import type { FunctionConfiguration, FunctionRecord, VersionRecord } from './lambda-records.js';
import { LambdaErrors } from './lambda-errors.js';
import { functionArn, lambdaTimestamp, parseFunctionName, type Scope } from './function-names.js';
import { checkRuntime } from './runtimes.js';
import { checkImageConfig, imageCode, type ImageCode } from './image-functions.js';

const RESERVED_ENV = new Set([
  '_HANDLER', '_X_AMZN_TRACE_ID', 'AWS_DEFAULT_REGION', 'AWS_REGION', 'AWS_EXECUTION_ENV', 'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE', 'AWS_LAMBDA_FUNCTION_VERSION', 'AWS_LAMBDA_INITIALIZATION_TYPE', 'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME', 'AWS_ACCESS_KEY', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN',
  'AWS_LAMBDA_RUNTIME_API', 'LAMBDA_TASK_ROOT', 'LAMBDA_RUNTIME_DIR',
]);
export const CODE_ROUTE = '/_atoll/lambda/code/';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Input = Record<string, any>;

export const scopeOf = (ctx: { accountId: string; region: string }): Scope => ({ account: ctx.accountId, region: ctx.region });

export class FunctionApi {
  readonly #c: LambdaContext;
  readonly #secret: Buffer;

  constructor(context: LambdaContext) {
    this.#c = context;
    this.#secret = context.codeUrlSecret;
  }

  // ---- Lookups used by every module ------------------------------------------------------------
  // They read through `r`: the store (cached) by default, or a transaction that is about to write.

  async requireFunction(scope: Scope, name: string, r: LambdaReader = this.#c.store): Promise<FunctionRecord> {
    const fn = await r.getFunction(scope, name);
    if (!fn) throw LambdaErrors.functionNotFound(functionArn(scope, name));
    return fn;
  }

  async requireVersion(scope: Scope, name: string, version: string, r: LambdaReader = this.#c.store): Promise<VersionRecord> {
    const v = await r.getVersion(scope, name, version);
    if (!v) throw LambdaErrors.functionNotFound(version === '$LATEST' ? functionArn(scope, name) : `${functionArn(scope, name)}:${version}`);
    return v;
  }

  /** The version a qualifier names (a version or an alias's primary version). */
  async versionFor(scope: Scope, name: string, qualifier = '$LATEST', r: LambdaReader = this.#c.store): Promise<VersionRecord> {
    await this.requireFunction(scope, name, r);
    if (qualifier === '$LATEST' || /^\d+$/.test(qualifier)) return this.requireVersion(scope, name, qualifier, r);
    const alias = await r.getAlias(scope, name, qualifier);
    if (!alias) throw LambdaErrors.functionNotFound(`${functionArn(scope, name)}:${qualifier}`);
    return this.requireVersion(scope, name, alias.FunctionVersion, r);
  }

  // ---- Operations --------------------------------------------------------------------------------

  async createFunction(input: Input, ctx: RequestContext): Promise<FunctionConfiguration> {
    const scope = scopeOf(ctx);
    const name = parseFunctionName(input.FunctionName, scope).name;
    const isImage = input.PackageType === 'Image';
    if (isImage) checkImageInput(input);
    else {
      if (input.PackageType !== undefined && input.PackageType !== 'Zip') throw LambdaErrors.invalidParameter(`Unsupported PackageType: ${String(input.PackageType)}`);
      if (input.Code?.ImageUri) throw LambdaErrors.invalidParameter('Please don\'t provide ImageUri when the intended function PackageType is Zip.');
      checkRuntime(input.Runtime);
      if (!input.Handler && !String(input.Runtime).startsWith('provided')) throw LambdaErrors.invalidParameter(`Handler is required for the ${String(input.Runtime)} runtime.`);
    }
    const imageConfig = isImage ? checkImageConfig(input.ImageConfig) : undefined;
    const env = checkEnvironment(input.Environment?.Variables);
    checkLimits(input);
    if (await this.#c.store.getFunction(scope, name)) throw LambdaErrors.resourceConflict(`Function already exist: ${name}`);
    await this.#c.roles.check(scope, input.Role, name);
    const layers = await this.#resolveLayers(scope, input.Layers);
    const image = isImage ? await imageCode(this.#c.platform, this.#c.code, scope, input.Code?.ImageUri, imageConfig) : undefined;
    const stored = image ? { codeKey: image.codeKey, sha256: image.fields.CodeSha256, size: 0 } : await this.#c.code.put(await this.#readCode(input.Code ?? {}, ctx));
    const arn = functionArn(scope, name);
    const config: FunctionConfiguration = {
      FunctionName: name,
      FunctionArn: arn,
      ...(image ? {} : { Runtime: input.Runtime, Handler: input.Handler ?? 'bootstrap' }),
      Role: input.Role,
      CodeSize: stored.size,
      Description: input.Description ?? '',
      Timeout: input.Timeout ?? 3,
      MemorySize: input.MemorySize ?? 128,
      LastModified: lambdaTimestamp(),
      CodeSha256: stored.sha256,
      Version: '$LATEST',
      ...(env ? { Environment: { Variables: env } } : {}),
      TracingConfig: { Mode: input.TracingConfig?.Mode ?? 'PassThrough' },
      RevisionId: randomUUID(),
      ...(layers.length ? { Layers: layers.map((l) => ({ Arn: l.LayerVersionArn, CodeSize: l.CodeSize })) } : {}),
      State: 'Active',
      LastUpdateStatus: 'Successful',
      PackageType: image ? 'Image' : 'Zip',
      ...(image ? image.fields : {}),
      Architectures: input.Architectures ?? ['x86_64'],
      EphemeralStorage: { Size: input.EphemeralStorage?.Size ?? 512 },
      ...(input.DeadLetterConfig?.TargetArn ? { DeadLetterConfig: { TargetArn: input.DeadLetterConfig.TargetArn } } : {}),
      LoggingConfig: { LogFormat: input.LoggingConfig?.LogFormat ?? 'Text', LogGroup: input.LoggingConfig?.LogGroup ?? `/aws/lambda/${name}` },
      SnapStart: { ApplyOn: 'None', OptimizationStatus: 'Off' },
    };
    const fn: FunctionRecord = { name, arn, lastVersion: 0, policies: {}, policyRevisions: {}, tags: input.Tags ?? {}, eventInvokeConfigs: {} };
    const latest: VersionRecord = { name, version: '$LATEST', config, codeKey: stored.codeKey, layerKeys: layers.map((l) => l.codeKey), ...(image ? { image: image.image } : {}) };
    const published = await this.#c.store.transaction(async (t) => {
      if (await t.getFunction(scope, name)) throw LambdaErrors.resourceConflict(`Function already exist: ${name}`);
      await t.putFunction(scope, fn);
      await t.putVersion(scope, latest);
      return input.Publish ? this.#publish(t, scope, fn, latest, input.Description) : undefined;
    });
    // The package is extracted before the answer, so the function is usable at once; the answer
    // still shows the Pending state that AWS's waiters expect to pass through.
    const shown = published ? published.config : config;
    return { ...shown, State: 'Pending', StateReason: 'The function is being created.', StateReasonCode: 'Creating' };
  }

  async getFunctionConfiguration(input: Input, ctx: RequestContext): Promise<FunctionConfiguration> {
    const scope = scopeOf(ctx);
    const ref = parseFunctionName(input.FunctionName, scope, input.Qualifier);
    return (await this.versionFor(scope, ref.name, ref.qualifier)).config;
  }

  async getFunction(input: Input, ctx: RequestContext): Promise<unknown> {
    const scope = scopeOf(ctx);
    const ref = parseFunctionName(input.FunctionName, scope, input.Qualifier);
    const fn = await this.requireFunction(scope, ref.name);
    const version = await this.versionFor(scope, ref.name, ref.qualifier);
    return {
      Configuration: version.config,
      Code: version.image
        ? { RepositoryType: 'ECR', ImageUri: version.image.uri, ResolvedImageUri: version.image.resolvedUri }
        : { RepositoryType: 'S3', Location: this.codeLocation(ctx.endpoint, version.codeKey) },
      Tags: fn.tags,
      ...(fn.reservedConcurrency !== undefined ? { Concurrency: { ReservedConcurrentExecutions: fn.reservedConcurrency } } : {}),
    };
  }

  async listFunctions(input: Input, ctx: RequestContext): Promise<unknown> {
    const scope = scopeOf(ctx);
    const versions = input.FunctionVersion === 'ALL' ? await this.#c.store.listScopeVersions(scope) : await this.#c.store.listLatestVersions(scope);
    const all = versions.map((v) => v.config);
    const { items, next } = page(all, input.Marker, input.MaxItems);
    return { Functions: items, ...(next ? { NextMarker: next } : {}) };
  }

  async updateFunctionCode(input: Input, ctx: RequestContext): Promise<FunctionConfiguration> {
    const scope = scopeOf(ctx);
    const name = parseFunctionName(input.FunctionName, scope).name;
    const latest = await this.requireVersion(scope, name, '$LATEST');
    checkRevision(latest.config, input.RevisionId);
    if (latest.config.PackageType === 'Image' || input.ImageUri) return this.#updateImageCode(scope, name, latest, input);
    const code = await this.#readCode(input, ctx);
    const stored = await this.#c.code.put(code);
    if (input.DryRun) return { ...latest.config, CodeSha256: stored.sha256, CodeSize: stored.size };
    return this.#update(scope, name, input, (v) => {
      v.codeKey = stored.codeKey;
      v.config.CodeSha256 = stored.sha256;
      v.config.CodeSize = stored.size;
    });
  }

  async updateFunctionConfiguration(input: Input, ctx: RequestContext): Promise<FunctionConfiguration> {
    const scope = scopeOf(ctx);
    const name = parseFunctionName(input.FunctionName, scope).name;
    const latest = await this.requireVersion(scope, name, '$LATEST');
    checkRevision(latest.config, input.RevisionId);
    if (latest.config.PackageType === 'Image') checkImageInput(input);
    else if (input.ImageConfig !== undefined) throw LambdaErrors.invalidParameter('ImageConfig is only supported for functions with PackageType Image.');
    if (input.Runtime !== undefined) checkRuntime(input.Runtime);
    const imageConfig = input.ImageConfig !== undefined ? checkImageConfig(input.ImageConfig) : undefined;
    checkLimits(input);
    const env = input.Environment ? checkEnvironment(input.Environment.Variables) : undefined;
    if (input.Role !== undefined && input.Role !== latest.config.Role) await this.#c.roles.check(scope, input.Role, name);
    const layers = input.Layers !== undefined ? await this.#resolveLayers(scope, input.Layers) : undefined;
    // An image function's launcher carries its ImageConfig: a new one needs a new launcher.
    const relaunch = imageConfig && latest.image ? await imageCode(this.#c.platform, this.#c.code, scope, latest.image.resolvedUri, imageConfig) : undefined;
    return this.#update(scope, name, input, (v) => {
      const c = v.config;
      if (relaunch) v.codeKey = relaunch.codeKey;
      for (const key of ['Role', 'Handler', 'Description', 'Timeout', 'MemorySize', 'Runtime'] as const) {
        if (input[key] !== undefined) (c as unknown as Record<string, unknown>)[key] = input[key];
      }
      if (input.Environment) {
        if (env) c.Environment = { Variables: env };
        else delete c.Environment;
      }
      if (input.EphemeralStorage?.Size) c.EphemeralStorage = { Size: input.EphemeralStorage.Size };
      if (input.TracingConfig?.Mode) c.TracingConfig = { Mode: input.TracingConfig.Mode };
      if (input.DeadLetterConfig) {
        if (input.DeadLetterConfig.TargetArn) c.DeadLetterConfig = { TargetArn: input.DeadLetterConfig.TargetArn };
        else delete c.DeadLetterConfig;
      }
      if (input.LoggingConfig) c.LoggingConfig = { ...c.LoggingConfig, ...input.LoggingConfig };
      if (imageConfig && Object.keys(imageConfig).length > 0) c.ImageConfigResponse = { ImageConfig: imageConfig };
      else if (input.ImageConfig !== undefined) delete c.ImageConfigResponse;
      if (layers) {
        v.layerKeys = layers.map((l) => l.codeKey);
        if (layers.length) c.Layers = layers.map((l) => ({ Arn: l.LayerVersionArn, CodeSize: l.CodeSize }));
        else delete c.Layers;
      }
    });
  }

  async deleteFunction(input: Input, ctx: RequestContext): Promise<{ StatusCode: number }> {
    const scope = scopeOf(ctx);
    const ref = parseFunctionName(input.FunctionName, scope, input.Qualifier);
    const qualifier = ref.qualifier;
    if (qualifier !== undefined) {
      if (qualifier === '$LATEST') throw LambdaErrors.invalidParameter('$LATEST version cannot be deleted without deleting the function.');
      if (!/^\d+$/.test(qualifier)) throw LambdaErrors.invalidParameter('Deletion of aliases is not supported by DeleteFunction; use DeleteAlias.');
    }
    const fn = await this.#c.store.transaction(async (t) => {
      const fn = await this.requireFunction(scope, ref.name, t);
      if (qualifier === undefined) {
        await t.deleteFunction(scope, ref.name);
        return fn;
      }
      await this.requireVersion(scope, ref.name, qualifier, t);
      const users = (await t.listAliases(scope, ref.name)).filter((a) => a.FunctionVersion === qualifier || a.RoutingConfig?.AdditionalVersionWeights?.[qualifier] !== undefined);
      if (users.length) throw LambdaErrors.resourceConflict(`Unable to delete version because the following aliases reference it: [${users.map((a) => a.Name).join(', ')}]`);
      await t.deleteVersion(scope, ref.name, qualifier);
      return fn;
    });
    this.#c.runtime.retire(qualifier === undefined ? `${fn.arn}:` : `${fn.arn}:${qualifier}:`);
    if (qualifier === undefined) this.#c.roles.forget(scope, ref.name);
    // The model binds StatusCode to the HTTP status (200 by default); AWS answers 204 here.
    return { StatusCode: 204 };
  }

  async publishVersion(input: Input, ctx: RequestContext): Promise<FunctionConfiguration> {
    const scope = scopeOf(ctx);
    const name = parseFunctionName(input.FunctionName, scope).name;
    const result = await this.#c.store.transaction(async (t) => {
      const fn = await this.requireFunction(scope, name, t);
      const latest = await this.requireVersion(scope, name, '$LATEST', t);
      if (input.CodeSha256 !== undefined && input.CodeSha256 !== latest.config.CodeSha256) {
        throw LambdaErrors.invalidParameter(`CodeSHA256 (${input.CodeSha256}) is different from current CodeSHA256 in $LATEST (${latest.config.CodeSha256}). Please try again with the CodeSHA256 in $LATEST.`);
      }
      checkRevision(latest.config, input.RevisionId);
      return this.#publish(t, scope, fn, latest, input.Description);
    });
    return result.config;
  }

  async listVersionsByFunction(input: Input, ctx: RequestContext): Promise<unknown> {
    const scope = scopeOf(ctx);
    const name = parseFunctionName(input.FunctionName, scope).name;
    await this.requireFunction(scope, name);
    const { items, next } = page((await this.#c.store.listVersions(scope, name)).map((v) => v.config), input.Marker, input.MaxItems);
    return { Versions: items, ...(next ? { NextMarker: next } : {}) };
  }

  // ---- Code download ---------------------------------------------------------------------------

  codeLocation(endpoint: string, codeKey: string): string {
    const expires = Date.now() + 10 * 60_000;
    const payload = `${codeKey}.${expires}`;
    const signature = createHmac('sha256', this.#secret).update(payload).digest('hex');
    return `${endpoint}${CODE_ROUTE}${payload}.${signature}`;
  }

  /** Serves a code download (GET `${CODE_ROUTE}<key>.<expires>.<signature>`). */
  serveCode(req: IncomingMessage, res: ServerResponse): void {
    const token = (req.url ?? '').slice(CODE_ROUTE.length).split('?')[0]!;
    const [key, expires, signature] = token.split('.');
    const expected = createHmac('sha256', this.#secret).update(`${key}.${expires}`).digest();
    const given = Buffer.from(signature ?? '', 'hex');
    if (!key || !/^[0-9a-f]{32}$/.test(key) || given.length !== expected.length || !timingSafeEqual(given, expected) || Number(expires) < Date.now()) {
      res.writeHead(403, { 'content-type': 'application/xml' });
      res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Request has expired or the signature does not match</Message></Error>');
      return;
    }
    const blobs = this.#c.code.blobs;
    blobs.ensureLocal(key).then(
      () => {
        const stream = blobs.read(key);
        stream.on('error', () => {
          if (!res.headersSent) res.writeHead(404).end();
          else res.destroy();
        });
        stream.once('open', () => res.writeHead(200, { 'content-type': 'application/zip' }));
        stream.pipe(res);
      },
      () => res.writeHead(404).end(),
    );
  }

  // ---- Internals -------------------------------------------------------------------------------

  async #update(scope: Scope, name: string, input: Input, change: (v: VersionRecord) => void): Promise<FunctionConfiguration> {
    const { updated, published } = await this.#c.store.transaction(async (t) => {
      const fn = await this.requireFunction(scope, name, t);
      const updated = await this.requireVersion(scope, name, '$LATEST', t);
      checkRevision(updated.config, input.RevisionId);
      change(updated);
      updated.config.LastModified = lambdaTimestamp();
      updated.config.RevisionId = randomUUID();
      await t.putVersion(scope, updated);
      return { updated, published: input.Publish ? await this.#publish(t, scope, fn, updated, undefined) : undefined };
    });
    this.#c.runtime.retire(`${functionArn(scope, name)}:$LATEST:`);
    const shown = published ? published.config : updated.config;
    return { ...shown, LastUpdateStatus: 'InProgress', LastUpdateStatusReason: 'The function is being created.', LastUpdateStatusReasonCode: 'Creating' };
  }

  /** Publishes `latest` as the next version, unless the last version already has its configuration. */
  async #publish(t: LambdaTransaction, scope: Scope, fn: FunctionRecord, latest: VersionRecord, description: string | undefined): Promise<VersionRecord> {
    if (fn.lastVersion > 0) {
      const last = await t.getVersion(scope, fn.name, String(fn.lastVersion));
      if (last && sameConfiguration(last, latest)) return last;
    }
    return t.addVersion(scope, fn.name, (version) => ({
      ...structuredClone(latest),
      version,
      config: {
        ...structuredClone(latest.config),
        Version: version,
        FunctionArn: `${fn.arn}:${version}`,
        Description: description ?? latest.config.Description,
        RevisionId: randomUUID(),
        // A Failed image function's versions are Failed too (nothing can run them).
        State: latest.config.State === 'Failed' ? 'Failed' : 'Active',
        LastUpdateStatus: 'Successful',
      },
    }));
  }

  /** UpdateFunctionCode of an image function: a new image (and launcher), State from the engine. */
  async #updateImageCode(scope: Scope, name: string, latest: VersionRecord, input: Input): Promise<FunctionConfiguration> {
    if (latest.config.PackageType !== 'Image') throw LambdaErrors.invalidParameter('Please don\'t provide ImageUri when the intended function PackageType is Zip.');
    if (!input.ImageUri || input.ZipFile !== undefined || input.S3Bucket !== undefined) {
      throw LambdaErrors.invalidParameter('Please provide ImageUri when updating a function with packageType Image.');
    }
    const image: ImageCode = await imageCode(this.#c.platform, this.#c.code, scope, input.ImageUri, latest.config.ImageConfigResponse?.ImageConfig);
    if (input.DryRun) return { ...latest.config, CodeSha256: image.fields.CodeSha256 };
    return this.#update(scope, name, input, (v) => {
      v.codeKey = image.codeKey;
      v.image = image.image;
      const { ImageConfigResponse: _keep, ...fields } = image.fields;
      void _keep;
      Object.assign(v.config, fields);
      if (fields.State === 'Failed') {
        Object.assign(v.config, { LastUpdateStatus: 'Failed', LastUpdateStatusReason: fields.StateReason, LastUpdateStatusReasonCode: fields.StateReasonCode });
      } else {
        delete v.config.StateReason;
        delete v.config.StateReasonCode;
        v.config.LastUpdateStatus = 'Successful';
        delete v.config.LastUpdateStatusReason;
        delete v.config.LastUpdateStatusReasonCode;
      }
    });
  }

  async #resolveLayers(scope: Scope, arns: string[] | undefined): Promise<{ LayerVersionArn: string; CodeSize: number; codeKey: string }[]> {
    if (!arns?.length) return [];
    if (arns.length > 5) throw LambdaErrors.invalidParameter('Cannot reference more than 5 layers.');
    return Promise.all(arns.map(async (arn) => {
      const match = /^arn:aws[a-zA-Z-]*:lambda:([a-z0-9-]+):(\d{12}):layer:([a-zA-Z0-9-_]+):(\d+)$/.exec(arn);
      const layer = match && match[1] === scope.region && match[2] === scope.account ? await this.#c.store.getLayerVersion(scope, match[3]!, Number(match[4])) : undefined;
      if (!layer) throw LambdaErrors.invalidParameter(`Layer version ${arn} does not exist.`);
      return { LayerVersionArn: layer.LayerVersionArn, CodeSize: layer.CodeSize, codeKey: layer.codeKey };
    }));
  }

  async #readCode(code: Input, ctx: RequestContext): Promise<Buffer> {
    if (code.ImageUri) throw LambdaErrors.invalidParameter('Please don\'t provide ImageUri when the intended function PackageType is Zip.');
    if (code.ZipFile !== undefined && code.ZipFile !== null) return Buffer.from(code.ZipFile as Uint8Array);
    if (code.S3Bucket && code.S3Key) return readS3Object(this.#c, ctx, code.S3Bucket, code.S3Key, code.S3ObjectVersion);
    throw LambdaErrors.invalidParameter('Please provide a source for function code.');
  }
}

/** Reads an S3 object through the S3 service's public GetObject. */
export async function readS3Object(c: LambdaContext, ctx: { accountId: string; region: string; requestId?: string }, bucket: string, key: string, versionId?: string): Promise<Buffer> {
  let output: { Body?: unknown };
  try {
    output = await c.platform.call('s3', 'GetObject', { Bucket: bucket, Key: key, ...(versionId ? { VersionId: versionId } : {}) }, { accountId: ctx.accountId, region: ctx.region });
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'Error';
    throw LambdaErrors.invalidParameter(`Error occurred while GetObject. S3 Error Code: ${code}. S3 Error Message: ${(error as Error).message}`);
  }
  const body = output.Body;
  if (Buffer.isBuffer(body)) return body;
  if (body instanceof Uint8Array) return Buffer.from(body);
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof Readable || (body && typeof (body as AsyncIterable<Buffer>)[Symbol.asyncIterator] === 'function')) {
    const chunks: Buffer[] = [];
    for await (const chunk of body as AsyncIterable<Buffer>) chunks.push(Buffer.from(chunk));
    return Buffer.concat(chunks);
  }
  throw LambdaErrors.invalidParameter(`Error occurred while GetObject. S3 Error Code: NoSuchKey.`);
}

/** Image functions take no Runtime, Handler or Layers (Lambda's wording). */
function checkImageInput(input: Input): void {
  if (input.Runtime !== undefined || input.Handler !== undefined || (input.Layers !== undefined && input.Layers.length > 0)) {
    throw LambdaErrors.invalidParameter('Please don\'t provide Handler or Runtime or Layer when the intended function PackageType is Image.');
  }
}

function checkEnvironment(variables: Record<string, string> | undefined): Record<string, string> | undefined {
  if (!variables || Object.keys(variables).length === 0) return variables ? {} : undefined;
  const reserved = Object.keys(variables).filter((k) => RESERVED_ENV.has(k));
  if (reserved.length) {
    throw LambdaErrors.invalidParameter(`Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: ${reserved.join(', ')}`);
  }
  if (Buffer.byteLength(JSON.stringify(variables)) > 4096) {
    throw LambdaErrors.invalidParameter('Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit.');
  }
  return { ...variables };
}

function checkLimits(input: Input): void {
  if (input.Timeout !== undefined && (input.Timeout < 1 || input.Timeout > 900)) {
    throw LambdaErrors.invalidParameter(`1 validation error detected: Value '${input.Timeout}' at 'timeout' failed to satisfy constraint: Member must have value less than or equal to 900`);
  }
  if (input.MemorySize !== undefined && (input.MemorySize < 128 || input.MemorySize > 10240)) {
    throw LambdaErrors.invalidParameter(`'MemorySize' value failed to satisfy constraint: Member must have value between 128 and 10240`);
  }
  if (input.EphemeralStorage?.Size !== undefined && (input.EphemeralStorage.Size < 512 || input.EphemeralStorage.Size > 10240)) {
    throw LambdaErrors.invalidParameter(`'EphemeralStorage.Size' value failed to satisfy constraint: Member must have value between 512 and 10240`);
  }
}

export function checkRevision(config: { RevisionId: string }, revisionId: string | undefined): void {
  if (revisionId !== undefined && revisionId !== config.RevisionId) {
    throw LambdaErrors.preconditionFailed('The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id');
  }
}

function sameConfiguration(a: VersionRecord, b: VersionRecord): boolean {
  const strip = (v: VersionRecord) => {
    const { Version, FunctionArn, RevisionId, LastModified, State, LastUpdateStatus, Description, ...rest } = v.config;
    void Version, FunctionArn, RevisionId, LastModified, State, LastUpdateStatus, Description;
    return JSON.stringify({ rest, layers: v.layerKeys });
  };
  return a.codeKey === b.codeKey && strip(a) === strip(b);
}

/** Marker-based paging: the marker is the index of the next item. */
export function page<T>(all: T[], marker: string | undefined, maxItems: number | undefined): { items: T[]; next?: string } {
  const start = marker ? Number.parseInt(marker, 10) || 0 : 0;
  const size = maxItems && maxItems > 0 ? Math.min(maxItems, 10_000) : 50;
  const items = all.slice(start, start + size);
  return { items, next: start + size < all.length ? String(start + size) : undefined };
}
