// The Lambda provider: serves the Lambda API (rest-json) over the function data plane
// (@atoll/function-runtime), which runs each function in child-process execution environments that
// speak the Lambda Runtime API.
//
// Known limitations:
// - Runtimes (catalogue in runtimes.ts): nodejs18.x/20.x/22.x/24.x all run on the platform's own
//   `node` binary (process.execPath), whatever version the runtime names, with the platform's own
//   AWS SDK v3 after the layers and the package on NODE_PATH (when installed; ES module handlers
//   resolve through NODE_PATH too); python3.9–3.14 run on the matching interpreter (PATH or pyenv),
//   java8.al2/11/17/21/25 on a JDK of that major version, ruby3.2/3.3/3.4 on the installed Ruby 3
//   whatever its minor version. A runtime whose interpreter is missing, .NET and deprecated runtimes
//   answer InvalidParameterValueException. No AWS SDK is bundled for Python, Java or Ruby (boto3
//   comes from the package, a layer, or the interpreter's own site-packages). Java handlers are
//   converted from/to JSON by a small built-in mapper (Map, List, String, numbers, enums, beans
//   through setters/getters matched case-insensitively, null properties left out), not Jackson: no
//   annotations, no java.time or Joda types, no custom serializers; SnapStart is not implemented. provided.al2/al2023 run the package's
//   `bootstrap` directly on the host (no Amazon Linux userland). Container images (PackageType
//   Image, image-functions.ts) must be in this platform's ECR, same region; they run through Docker or
//   Podman (`run --network host` from a generated provided-runtime bootstrap; the engine must be
//   logged in to the registry) when an engine answers when the function is created or its code
//   updated, and are otherwise Failed (StateReasonCode InvalidImage). The engine path is untested here.
// - Isolation is a separate process with its own environment variables, scratch directory
//   (TMPDIR) and working directory; there is no filesystem, network or CPU isolation, and the
//   code directory is not read-only. EphemeralStorage size is recorded but not enforced.
//   Environments are not frozen between invocations.
// - Memory is enforced by --max-old-space-size (node) and an RSS watchdog on the runtime's main
//   process (50 ms polls); processes the runtime forks are not counted.
// - The state machine is compressed: code is extracted before CreateFunction/UpdateFunction* answer,
//   which show Pending/InProgress as AWS does, while the stored state is already Active/Successful.
// - Credentials: a function runs with its execution role's session (STS AssumeRole as the
//   `lambda.amazonaws.com` principal with the function's ARN as aws:SourceArn; execution-role.ts),
//   renewed 5 minutes before it expires: environments get their credentials when they start, so a
//   renewed session starts new environments and retires the old ones. CreateFunction and a Role
//   change check that the role can be assumed. Without STS, or in permissive mode with a role that
//   cannot be assumed, a function gets a random key pair only a permissive platform accepts. The
//   per-function IAM users of earlier releases are removed once (legacy-function-users.ts).
// - Resource policies (AddPermission) are enforced by the edge's authorize step (resourcePolicy):
//   SNS, S3 and other service principals must be permitted. Event source pollers call SQS and
//   DynamoDB Streams as the execution role's session; CreateEventSourceMapping checks the role's
//   policies through IAM SimulatePrincipalPolicy when IAM implements it.
// - Several nodes (PostgreSQL): execution environments are per node: an invocation runs on the node
//   that takes it (the caller's node for Invoke and function URLs, the leader of
//   `lambda:async-invocations` for Event invocations and destinations, the leader of
//   `lambda:event-sources` for event source mappings); placing environments across nodes is later
//   work. Environments of a deleted or replaced function on other nodes are not stopped at once:
//   they are no longer used and stop when idle. Asynchronous invocations are queued in the database
//   by any node and run by the `lambda:async-invocations` leader: one that was running when its
//   leader died runs again on the next leader (at least once, as in Lambda). Event source pollers
//   run on the `lambda:event-sources` leader, which hears of mapping changes by signal and reads
//   every mapping again every 5 s. Blobs (code, layers) live under the shared blob directory; each
//   node extracts code into its own data directory. Unfinished uploads left by a crash are swept
//   only on the embedded engine (a shared blob directory may hold another node's upload).
// - Concurrency: the account limit (1000 by default) and reserved concurrency are enforced per
//   platform node (each node counts its own running invocations), not across nodes; the reserved
//   amounts themselves are checked across nodes. Provisioned concurrency, code signing, SnapStart,
//   VPC, EFS, recursion detection and runtime management configs are not implemented (501).
// - Function URLs are served at `<endpoint>/_atoll/lambda-url/<url-id>/` (not on
//   `<url-id>.lambda-url.<region>.on.aws` hosts); AWS_IAM URLs verify SigV4 with the signing name
//   `lambda` over that path. InvokeMode RESPONSE_STREAM buffers the response.
// - If the platform is killed (SIGKILL), its environments lose their Runtime API: the nodejs
//   bootstrap then exits; a custom `bootstrap` must exit on its own when /next fails.
// - Code blobs of replaced $LATEST code that no version references are not garbage-collected.
// - InvokeWithResponseStream is not implemented (the protocol layer has no event streams yet). Asynchronous retries wait 1 s and 2 s (Lambda
//   waits about 1 and 2 minutes); see LambdaOptions.asyncRetryDelaysMs.
// - Event source mappings: SQS queues and DynamoDB streams only (Kinesis, Kafka, MQ and DocumentDB
//   answer InvalidParameterValueException); FilterCriteria supports Lambda's documented operators
//   but not `$or` or wildcards; ParallelizationFactor and tumbling windows are ignored; SQS pollers
//   run MaximumConcurrency (default 5) long-poll loops and do not scale with the queue depth.
// - Logs are kept in their own store (logs.db or schema lambda_logs, written every 200 ms without waiting for an fsync) and published on the platform bus
//   as `lambda.LogEvents` for a CloudWatch Logs service to take over; no retention is applied.
// - Operations added to Lambda's model since 2023 (botocore 1.43) are not implemented (501): capacity
//   providers (Create/Get/Update/Delete/ListCapacityProviders, ListFunctionVersionsByCapacityProvider),
//   durable executions (Get/List/Stop/CheckpointDurableExecution…, SendDurableExecutionCallback…) and
//   Get/PutFunctionScalingConfig.
import { join, dirname } from 'node:path';
import { createRequire } from 'node:module';
import { randomUUID } from 'node:crypto';
import type { HttpRoute, PlatformContext, ServiceProvider, OperationHandler } from '@atoll/core';
import { lambdaAuthorization } from './authorization.js';
import { FunctionRuntime } from '@atoll/function-runtime';
import { LambdaStore } from './lambda-store.js';
import { LogStore } from './log-store.js';
import { CodeStore } from './code-store.js';
import { blobStoreFor } from '@atoll/storage';
import type { LambdaContext, LambdaOptions } from './lambda-context.js';
import { parseFunctionName, type Scope } from './function-names.js';
import { CODE_ROUTE, FunctionApi } from './function-api.js';
import { AliasApi } from './alias-api.js';
import { FunctionSettingsApi } from './function-settings-api.js';
import { Invoker } from './invoker.js';
import { AsyncQueue } from './async-queue.js';
import { InvokeApi } from './invoke-api.js';
import { LayerApi } from './layer-api.js';
import { FunctionUrlApi, URL_ROUTE } from './function-url-api.js';
import { EventSourceMappingApi } from './event-source-mapping-api.js';
import { EventSourcePollers } from './event-source-pollers.js';
import { createDestinationSender } from './destinations.js';
import { ExecutionRoles } from './execution-role.js';
import { removeLegacyFunctionUsers } from './legacy-function-users.js';

/** The service's parts, made once its stores are open. */
interface LambdaParts {
  store: LambdaStore;
  logStore: LogStore;
  queue: AsyncQueue;
  pollers: EventSourcePollers;
  functions: FunctionApi;
  aliases: AliasApi;
  settings: FunctionSettingsApi;
  invoke: InvokeApi;
  layers: LayerApi;
  urls: FunctionUrlApi;
  mappings: EventSourceMappingApi;
}

export class LambdaProvider implements ServiceProvider {
  readonly service = 'lambda';
  readonly operations: Partial<Record<string, OperationHandler>>;
  readonly authorization = lambdaAuthorization;
  readonly routes: HttpRoute[];
  readonly runtime: FunctionRuntime;
  readonly #platform: PlatformContext;
  readonly #options: Required<LambdaOptions>;
  /** Opens the stores; every operation waits for it (the provider is usable as soon as it is made). */
  readonly #ready: Promise<LambdaParts>;
  #logStore: LogStore | undefined;
  readonly #leases: (() => void)[] = [];
  #closed = false;

  constructor(platform: PlatformContext, options: LambdaOptions = {}) {
    this.#platform = platform;
    const nodeDir = join(platform.config.dataDir, 'lambda');
    const logger = platform.logger.child({ service: 'lambda' });
    this.#options = {
      accountConcurrencyLimit: options.accountConcurrencyLimit ?? 1000,
      idleTimeoutMs: options.idleTimeoutMs ?? 300_000,
      asyncRetryDelaysMs: options.asyncRetryDelaysMs ?? [1000, 2000],
      pollWaitSeconds: options.pollWaitSeconds ?? 2,
    };
    this.runtime = new FunctionRuntime({
      workDir: join(nodeDir, 'run'),
      accountConcurrencyLimit: this.#options.accountConcurrencyLimit,
      idleTimeoutMs: this.#options.idleTimeoutMs,
      runtimeNodeModules: sdkNodeModules(),
      logSink: (batch) => {
        const arn = batch.functionArn.split(':');
        const scope = { account: arn[4]!, region: arn[3]! };
        try {
          this.#logStore?.append(scope, batch.logGroupName, batch.logStreamName, batch.events);
        } catch (error) {
          logger.error({ err: error }, 'lambda: storing logs failed');
        }
        platform.bus.emit({ type: 'lambda.LogEvents', accountId: scope.account, region: scope.region, detail: { logGroupName: batch.logGroupName, logStreamName: batch.logStreamName, events: batch.events } });
      },
    });
    this.#ready = this.#open(nodeDir);
    // A failure is reported to each operation that waits for it; this keeps it from being unhandled meanwhile.
    this.#ready.catch(() => {});

    type Part = keyof LambdaParts;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const op = <K extends Part>(part: K, call: (p: LambdaParts[K], i: any, c: any) => unknown): OperationHandler =>
      async (i, c) => call((await this.#ready)[part], i, c);
    this.operations = {
      CreateFunction: op('functions', (f, i, c) => f.createFunction(i, c)),
      GetFunction: op('functions', (f, i, c) => f.getFunction(i, c)),
      GetFunctionConfiguration: op('functions', (f, i, c) => f.getFunctionConfiguration(i, c)),
      ListFunctions: op('functions', (f, i, c) => f.listFunctions(i, c)),
      UpdateFunctionCode: op('functions', (f, i, c) => f.updateFunctionCode(i, c)),
      UpdateFunctionConfiguration: op('functions', (f, i, c) => f.updateFunctionConfiguration(i, c)),
      DeleteFunction: op('functions', (f, i, c) => f.deleteFunction(i, c)),
      PublishVersion: op('functions', (f, i, c) => f.publishVersion(i, c)),
      ListVersionsByFunction: op('functions', (f, i, c) => f.listVersionsByFunction(i, c)),

      CreateAlias: op('aliases', (a, i, c) => a.createAlias(i, c)),
      GetAlias: op('aliases', (a, i, c) => a.getAlias(i, c)),
      UpdateAlias: op('aliases', (a, i, c) => a.updateAlias(i, c)),
      DeleteAlias: op('aliases', (a, i, c) => a.deleteAlias(i, c)),
      ListAliases: op('aliases', (a, i, c) => a.listAliases(i, c)),

      AddPermission: op('settings', (s, i, c) => s.addPermission(i, c)),
      RemovePermission: op('settings', (s, i, c) => s.removePermission(i, c)),
      GetPolicy: op('settings', (s, i, c) => s.getPolicy(i, c)),
      TagResource: op('settings', (s, i, c) => s.tagResource(i, c)),
      UntagResource: op('settings', (s, i, c) => s.untagResource(i, c)),
      ListTags: op('settings', (s, i, c) => s.listTags(i, c)),
      PutFunctionConcurrency: op('settings', (s, i, c) => s.putFunctionConcurrency(i, c)),
      GetFunctionConcurrency: op('settings', (s, i, c) => s.getFunctionConcurrency(i, c)),
      DeleteFunctionConcurrency: op('settings', (s, i, c) => s.deleteFunctionConcurrency(i, c)),
      GetAccountSettings: op('settings', (s, i, c) => s.getAccountSettings(i, c)),
      PutFunctionEventInvokeConfig: op('settings', (s, i, c) => s.putFunctionEventInvokeConfig(i, c)),
      UpdateFunctionEventInvokeConfig: op('settings', (s, i, c) => s.putFunctionEventInvokeConfig(i, c, true)),
      GetFunctionEventInvokeConfig: op('settings', (s, i, c) => s.getFunctionEventInvokeConfig(i, c)),
      DeleteFunctionEventInvokeConfig: op('settings', (s, i, c) => s.deleteFunctionEventInvokeConfig(i, c)),
      ListFunctionEventInvokeConfigs: op('settings', (s, i, c) => s.listFunctionEventInvokeConfigs(i, c)),

      Invoke: op('invoke', (v, i, c) => v.invoke(i, c)),
      InvokeAsync: op('invoke', (v, i, c) => v.invokeAsync(i, c)),

      PublishLayerVersion: op('layers', (l, i, c) => l.publishLayerVersion(i, c)),
      GetLayerVersion: op('layers', (l, i, c) => l.getLayerVersion(i, c)),
      GetLayerVersionByArn: op('layers', (l, i, c) => l.getLayerVersionByArn(i, c)),
      ListLayerVersions: op('layers', (l, i, c) => l.listLayerVersions(i, c)),
      ListLayers: op('layers', (l, i, c) => l.listLayers(i, c)),
      DeleteLayerVersion: op('layers', (l, i, c) => l.deleteLayerVersion(i, c)),

      CreateFunctionUrlConfig: op('urls', (u, i, c) => u.createFunctionUrlConfig(i, c)),
      GetFunctionUrlConfig: op('urls', (u, i, c) => u.getFunctionUrlConfig(i, c)),
      UpdateFunctionUrlConfig: op('urls', (u, i, c) => u.updateFunctionUrlConfig(i, c)),
      DeleteFunctionUrlConfig: op('urls', (u, i, c) => u.deleteFunctionUrlConfig(i, c)),
      ListFunctionUrlConfigs: op('urls', (u, i, c) => u.listFunctionUrlConfigs(i, c)),

      CreateEventSourceMapping: op('mappings', (m, i, c) => m.createEventSourceMapping(i, c)),
      GetEventSourceMapping: op('mappings', (m, i, c) => m.getEventSourceMapping(i, c)),
      UpdateEventSourceMapping: op('mappings', (m, i, c) => m.updateEventSourceMapping(i, c)),
      DeleteEventSourceMapping: op('mappings', (m, i, c) => m.deleteEventSourceMapping(i, c)),
      ListEventSourceMappings: op('mappings', (m, i, c) => m.listEventSourceMappings(i, c)),
    };
    this.routes = [
      { method: 'GET', path: `${CODE_ROUTE}*`, handle: async (req, res) => (await this.#ready).functions.serveCode(req, res) },
      { method: '*', path: `${URL_ROUTE}*`, handle: async (req, res) => (await this.#ready).urls.serve(req, res) },
    ];
  }

  async #open(nodeDir: string): Promise<LambdaParts> {
    const platform = this.#platform;
    const storage = platform.storage;
    const logger = platform.logger.child({ service: 'lambda' });
    const store = await LambdaStore.open(storage);
    let logStore: LogStore;
    try {
      logStore = await LogStore.open(storage);
    } catch (error) {
      await store.close();
      throw error;
    }
    this.#logStore = logStore;
    // Blobs go where every node sees them; each node extracts code into its own directory. Only
    // the embedded engine owns its blob directory alone, and may sweep unfinished uploads.
    const code = new CodeStore(join(storage.blobDir, 'lambda'), {
      codeRoot: nodeDir,
      sweep: storage.engine === 'sqlite' && !storage.blobUrl,
      blobs: blobStoreFor(storage, 'lambda'),
    });
    const context: LambdaContext = {
      platform,
      store,
      code,
      runtime: this.runtime,
      options: this.#options,
      codeUrlSecret: Buffer.from(await store.meta('code-url-secret', () => randomUUID() + randomUUID())),
      roles: new ExecutionRoles(platform),
    };
    const functions = new FunctionApi(context);
    const invoker = new Invoker(context);
    let queue!: AsyncQueue;
    const destinations = createDestinationSender(platform, logger, async (arn, payload, scope) => {
      const ref = parseFunctionName(arn, scope);
      await queue.enqueue(scope, await invoker.resolve(scope, ref.name, ref.qualifier), payload, randomUUID());
    });
    queue = new AsyncQueue(context, invoker, destinations, logger);
    return {
      store,
      logStore,
      queue,
      pollers: new EventSourcePollers(context, invoker, destinations, logger, platform),
      functions,
      aliases: new AliasApi(context, functions),
      settings: new FunctionSettingsApi(context, functions),
      invoke: new InvokeApi(invoker, queue),
      layers: new LayerApi(context, functions),
      urls: new FunctionUrlApi(context, functions, invoker),
      mappings: new EventSourceMappingApi(context, functions),
    };
  }

  /** Runs the asynchronous invocation queue and the event source pollers while this node leads them. */
  async start(): Promise<void> {
    const parts = await this.#ready;
    if (this.#closed) return;
    const leadership = this.#platform.storage.leadership;
    this.#leases.push(leadership.lead('lambda:async-invocations', (signal) => parts.queue.lead(signal)));
    this.#leases.push(leadership.lead('lambda:event-sources', (signal) => parts.pollers.lead(signal)));
    // In the background: IAM may start after this service.
    void removeLegacyFunctionUsers(this.#platform, parts.store, this.#platform.logger.child({ service: 'lambda' })).catch(() => {});
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const stop of this.#leases.splice(0)) stop();
    const parts = await this.#ready.catch(() => undefined);
    await parts?.pollers.close();
    await this.runtime.close();
    await parts?.queue.close();
    await parts?.store.close();
    await parts?.logStore.close();
  }

  /**
   * A function's resource policy (AddPermission statements) for the edge's authorize step: the
   * unqualified ARN gives the function's, a qualified one the version's or alias's. From the store's cache.
   */
  async resourcePolicy(resourceArn: string): Promise<string | undefined> {
    const parts = resourceArn.split(':');
    if (parts.length < 7 || parts[2] !== 'lambda' || parts[5] !== 'function') return undefined;
    const { store } = await this.#ready;
    const fn = await store.getFunction({ account: parts[4]!, region: parts[3]! }, parts[6]!);
    const statements = fn?.policies[parts[7] ?? '$LATEST'];
    if (!statements?.length) return undefined;
    let text = policyTexts.get(statements);
    if (text === undefined) policyTexts.set(statements, (text = JSON.stringify({ Version: '2012-10-17', Id: 'default', Statement: statements })));
    return text;
  }

  /** The log lines of a function (for tests and the future CloudWatch Logs hand-over). */
  async logs(scope: Scope, logGroupName: string): Promise<string[]> {
    const { logStore } = await this.#ready;
    return (await logStore.read(scope, logGroupName)).map((e) => e.message);
  }

  /** Asynchronous invocations queued or running (for tests and benchmarks). */
  async pendingInvocations(): Promise<number> {
    return (await this.#ready).store.countAsync();
  }
}

/** Policy texts by the (cached) statement lists they were made from: the same text while the function is cached. */
const policyTexts = new WeakMap<object, string>();

/** The node_modules directory holding the AWS SDK v3, offered to functions as Lambda's runtimes do. */
function sdkNodeModules(): string | undefined {
  try {
    const pkg = createRequire(import.meta.url).resolve('@aws-sdk/client-sts/package.json');
    return dirname(dirname(dirname(pkg)));
  } catch {
    return undefined;
  }
}
