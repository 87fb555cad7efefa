// The Lambda provider: serves the Lambda API (rest-json) over the function data plane
// (@atoll/function-runtime), which runs each function in child-process execution environments that
// speak the Lambda Runtime API.
//
// Known limitations:
// - Runtimes: nodejs18.x/20.x/22.x/24.x all run on the platform's own `node` binary
//   with the platform's own AWS SDK v3 on NODE_PATH (when installed; CommonJS `require` only)
//   (process.execPath), whatever version the runtime names; provided.al2/al2023 run the package's
//   `bootstrap` directly on the host (no Amazon Linux userland). Container images (PackageType
//   Image), Python, Java and other runtimes answer InvalidParameterValueException.
// - Isolation is a separate process with its own environment variables, scratch directory
//   (TMPDIR) and working directory; there is no filesystem, network or CPU isolation, and the
//   code directory is not read-only. EphemeralStorage size is recorded but not enforced.
//   Environments are not frozen between invocations.
// - Memory is enforced by --max-old-space-size (node) and an RSS watchdog on the runtime's main
//   process (50 ms polls); processes the runtime forks are not counted.
// - The state machine is compressed: code is extracted before CreateFunction/UpdateFunction* answer,
//   which show Pending/InProgress as AWS does, while the stored state is already Active/Successful.
// - Credentials: STS has no AssumeRole yet and IAM has no roles, so (the hook in invoker.ts) each
//   function runs as an IAM user of its own (`/atoll/lambda/lambda-<name>-<region>`) with one access
//   key and an inline policy allowing every action: the execution role's permissions are not
//   applied. Without an `iam` service the function gets a random key only a permissive platform
//   accepts. The role ARN itself is not checked; DeleteFunction leaves the IAM user in place.
//   Resource policies are stored but not enforced on Invoke.
// - Concurrency: the account limit (1000 by default) is counted per platform node, not per account;
//   provisioned concurrency, code signing, SnapStart, VPC, EFS, recursion detection and
//   runtime management configs are not implemented (501).
// - Function URLs are served at `<endpoint>/_atoll/lambda-url/<url-id>/`; AWS_IAM URLs answer 403
//   (SigV4 on URLs is not verified yet). InvokeMode RESPONSE_STREAM buffers the response.
// - If the platform is killed (SIGKILL), its environments lose their Runtime API: the nodejs
//   bootstrap then exits; a custom `bootstrap` must exit on its own when /next fails.
// - Code blobs of replaced $LATEST code that no version references are not garbage-collected.
// - InvokeWithResponseStream is not implemented (the protocol layer has no event streams yet). Asynchronous retries wait 1 s and 2 s (Lambda
//   waits about 1 and 2 minutes); see LambdaOptions.asyncRetryDelaysMs.
// - Event source mappings: SQS queues and DynamoDB streams only (Kinesis, Kafka, MQ and DocumentDB
//   answer InvalidParameterValueException); FilterCriteria supports Lambda's documented operators
//   but not `$or` or wildcards; ParallelizationFactor and tumbling windows are ignored; SQS pollers
//   run MaximumConcurrency (default 5) long-poll loops and do not scale with the queue depth.
// - Logs are kept in their own SQLite database (logs.db, written every 200 ms, synchronous=NORMAL) and published on the platform bus
//   as `lambda.LogEvents` for a CloudWatch Logs service to take over; no retention is applied.
import { join, dirname } from 'node:path';
import { createRequire } from 'node:module';
import { randomUUID } from 'node:crypto';
import type { PlatformContext, ServiceProvider, OperationHandler } from '@atoll/core';
import { lambdaAuthorization } from './authorization.js';
import { FunctionRuntime } from '@atoll/function-runtime';
import { LambdaStore } from './lambda-store.js';
import { LogStore } from './log-store.js';
import { CodeStore } from './code-store.js';
import type { LambdaContext, LambdaOptions } from './lambda-context.js';
import type { Scope } from './function-names.js';
import { FunctionApi, scopeOf } from './function-api.js';
import { AliasApi } from './alias-api.js';
import { FunctionSettingsApi } from './function-settings-api.js';
import { Invoker } from './invoker.js';
import { AsyncQueue } from './async-queue.js';
import { InvokeApi } from './invoke-api.js';
import { LayerApi } from './layer-api.js';
import { FunctionUrlApi } from './function-url-api.js';
import { EventSourceMappingApi } from './event-source-mapping-api.js';
import { EventSourcePollers } from './event-source-pollers.js';
import { createDestinationSender } from './destinations.js';
import { parseFunctionName } from './function-names.js';

export class LambdaProvider implements ServiceProvider {
  readonly service = 'lambda';
  readonly operations: Partial<Record<string, OperationHandler>>;
  readonly authorization = lambdaAuthorization;
  readonly routes;
  readonly store: LambdaStore;
  readonly logStore: LogStore;
  readonly runtime: FunctionRuntime;
  readonly queue: AsyncQueue;
  readonly #pollers: EventSourcePollers;
  readonly #platform: PlatformContext;
  readonly #reserved = new Map<string, number>();

  constructor(platform: PlatformContext, options: LambdaOptions = {}) {
    this.#platform = platform;
    const root = join(platform.config.dataDir, 'lambda');
    this.store = new LambdaStore(root);
    this.logStore = new LogStore(root);
    const code = new CodeStore(root);
    const logger = platform.logger.child({ service: 'lambda' });
    const resolved: Required<LambdaOptions> = {
      accountConcurrencyLimit: options.accountConcurrencyLimit ?? 1000,
      idleTimeoutMs: options.idleTimeoutMs ?? 300_000,
      asyncRetryDelaysMs: options.asyncRetryDelaysMs ?? [1000, 2000],
      pollWaitSeconds: options.pollWaitSeconds ?? 2,
    };
    this.runtime = new FunctionRuntime({
      workDir: join(root, 'run'),
      accountConcurrencyLimit: resolved.accountConcurrencyLimit,
      idleTimeoutMs: resolved.idleTimeoutMs,
      runtimeNodeModules: sdkNodeModules(),
      logSink: (batch) => {
        const arn = batch.functionArn.split(':');
        const scope = { account: arn[4]!, region: arn[3]! };
        try {
          this.logStore.append(scope, batch.logGroupName, batch.logStreamName, batch.events);
        } catch (error) {
          logger.error({ err: error }, 'lambda: storing logs failed');
        }
        platform.bus.emit({ type: 'lambda.LogEvents', accountId: scope.account, region: scope.region, detail: { logGroupName: batch.logGroupName, logStreamName: batch.logStreamName, events: batch.events } });
      },
    });
    const context: LambdaContext = {
      platform,
      store: this.store,
      code,
      runtime: this.runtime,
      options: resolved,
      reservedSum: (scope) => this.#reservedSum(scope),
      invalidateReserved: (scope) => this.#reserved.delete(`${scope.account}/${scope.region}`),
    };
    const functions = new FunctionApi(context);
    const aliases = new AliasApi(context, functions);
    const settings = new FunctionSettingsApi(context, functions);
    const invoker = new Invoker(context);
    const destinations = createDestinationSender(platform, logger, async (arn, payload, scope) => {
      const ref = parseFunctionName(arn, scope);
      await this.queue.enqueue(scope, invoker.resolve(scope, ref.name, ref.qualifier), payload, randomUUID());
    });
    this.queue = new AsyncQueue(context, invoker, destinations, logger);
    const invoke = new InvokeApi(invoker, this.queue);
    const layers = new LayerApi(context, functions);
    const urls = new FunctionUrlApi(context, functions, invoker);
    this.#pollers = new EventSourcePollers(context, invoker, destinations, logger, platform);
    const mappings = new EventSourceMappingApi(context, functions, this.#pollers);
    this.routes = [functions.codeRoute, urls.route];

    this.operations = {
      CreateFunction: (i, c) => functions.createFunction(i, c),
      GetFunction: (i, c) => functions.getFunction(i, c),
      GetFunctionConfiguration: (i, c) => functions.getFunctionConfiguration(i, c),
      ListFunctions: (i, c) => functions.listFunctions(i, c),
      UpdateFunctionCode: (i, c) => functions.updateFunctionCode(i, c),
      UpdateFunctionConfiguration: (i, c) => functions.updateFunctionConfiguration(i, c),
      DeleteFunction: (i, c) => functions.deleteFunction(i, c),
      PublishVersion: (i, c) => functions.publishVersion(i, c),
      ListVersionsByFunction: (i, c) => functions.listVersionsByFunction(i, c),

      CreateAlias: (i, c) => aliases.createAlias(i, c),
      GetAlias: (i, c) => aliases.getAlias(i, c),
      UpdateAlias: (i, c) => aliases.updateAlias(i, c),
      DeleteAlias: (i, c) => aliases.deleteAlias(i, c),
      ListAliases: (i, c) => aliases.listAliases(i, c),

      AddPermission: (i, c) => settings.addPermission(i, c),
      RemovePermission: (i, c) => settings.removePermission(i, c),
      GetPolicy: (i, c) => settings.getPolicy(i, c),
      TagResource: (i, c) => settings.tagResource(i, c),
      UntagResource: (i, c) => settings.untagResource(i, c),
      ListTags: (i, c) => settings.listTags(i, c),
      PutFunctionConcurrency: (i, c) => settings.putFunctionConcurrency(i, c),
      GetFunctionConcurrency: (i, c) => settings.getFunctionConcurrency(i, c),
      DeleteFunctionConcurrency: (i, c) => settings.deleteFunctionConcurrency(i, c),
      GetAccountSettings: (i, c) => settings.getAccountSettings(i, c),
      PutFunctionEventInvokeConfig: (i, c) => settings.putFunctionEventInvokeConfig(i, c),
      UpdateFunctionEventInvokeConfig: (i, c) => settings.putFunctionEventInvokeConfig(i, c, true),
      GetFunctionEventInvokeConfig: (i, c) => settings.getFunctionEventInvokeConfig(i, c),
      DeleteFunctionEventInvokeConfig: (i, c) => settings.deleteFunctionEventInvokeConfig(i, c),
      ListFunctionEventInvokeConfigs: (i, c) => settings.listFunctionEventInvokeConfigs(i, c),

      Invoke: (i, c) => invoke.invoke(i, c),
      InvokeAsync: (i, c) => invoke.invokeAsync(i, c),

      PublishLayerVersion: (i, c) => layers.publishLayerVersion(i, c),
      GetLayerVersion: (i, c) => layers.getLayerVersion(i, c),
      GetLayerVersionByArn: (i, c) => layers.getLayerVersionByArn(i, c),
      ListLayerVersions: (i, c) => layers.listLayerVersions(i, c),
      ListLayers: (i, c) => layers.listLayers(i, c),
      DeleteLayerVersion: (i, c) => layers.deleteLayerVersion(i, c),

      CreateFunctionUrlConfig: (i, c) => urls.createFunctionUrlConfig(i, c),
      GetFunctionUrlConfig: (i, c) => urls.getFunctionUrlConfig(i, c),
      UpdateFunctionUrlConfig: (i, c) => urls.updateFunctionUrlConfig(i, c),
      DeleteFunctionUrlConfig: (i, c) => urls.deleteFunctionUrlConfig(i, c),
      ListFunctionUrlConfigs: (i, c) => urls.listFunctionUrlConfigs(i, c),

      CreateEventSourceMapping: (i, c) => mappings.createEventSourceMapping(i, c),
      GetEventSourceMapping: (i, c) => mappings.getEventSourceMapping(i, c),
      UpdateEventSourceMapping: (i, c) => mappings.updateEventSourceMapping(i, c),
      DeleteEventSourceMapping: (i, c) => mappings.deleteEventSourceMapping(i, c),
      ListEventSourceMappings: (i, c) => mappings.listEventSourceMappings(i, c),
    };
    void scopeOf;
  }

  start(): void {
    this.queue.start();
    this.#pollers.start();
  }

  async close(): Promise<void> {
    this.queue.close();
    await this.#pollers.close();
    await this.runtime.close();
    this.store.close();
    this.logStore.close();
  }

  /** The log lines of a function (for tests and the future CloudWatch Logs hand-over). */
  logs(scope: Scope, logGroupName: string): string[] {
    return this.logStore.read(scope, logGroupName).map((e) => e.message);
  }

  #reservedSum(scope: Scope): number {
    const key = `${scope.account}/${scope.region}`;
    let sum = this.#reserved.get(key);
    if (sum === undefined) {
      sum = 0;
      for (const fn of this.store.listFunctions(scope)) sum += fn.reservedConcurrency ?? 0;
      this.#reserved.set(key, sum);
    }
    return sum;
  }
}

/** The node_modules directory holding the AWS SDK v3, offered to functions as Lambda's runtimes do. */
function sdkNodeModules(): string | undefined {
  try {
    const pkg = createRequire(import.meta.url).resolve('@aws-sdk/client-sts/package.json');
    return dirname(dirname(dirname(pkg)));
  } catch {
    return undefined;
  }
}
