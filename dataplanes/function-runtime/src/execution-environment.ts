// One execution environment: a child process running the function's runtime, and the Runtime API
// endpoint (its own HTTP listener on 127.0.0.1, port 0) that the process polls for invocations.
// It owns the environment's lifecycle (init, invoke, timeout, memory watchdog, exit) and its log
// lines; which environment serves which invocation is the pool's business (function-runtime.ts).
//
// Environment contract: the child does NOT inherit the platform's environment. It gets PATH (with
// `<opt>/bin` first when there are layers) and LANG from the platform, then the Lambda variables
// (AWS_LAMBDA_FUNCTION_NAME/_VERSION/_MEMORY_SIZE, AWS_LAMBDA_LOG_GROUP_NAME/_STREAM_NAME,
// AWS_LAMBDA_INITIALIZATION_TYPE, _HANDLER, LAMBDA_TASK_ROOT, LAMBDA_RUNTIME_DIR, AWS_REGION,
// AWS_DEFAULT_REGION, AWS_EXECUTION_ENV, TZ=:UTC, TMPDIR (a per-environment scratch directory, the
// `/tmp` equivalent), NODE_PATH for nodejs, LD_LIBRARY_PATH and LAMBDA_OPT_DIR (Atoll's name for the
// `/opt` equivalent) with layers), then the spec's environment (user variables, credentials,
// AWS_ENDPOINT_URL), which wins over the defaults except for the reserved AWS_LAMBDA_RUNTIME_API.
// Every nodejs runtime runs on the platform's own node binary (process.execPath); python, java and
// ruby runtimes run their bootstrap on the machine's interpreter (runtimes/launchers.ts), with
// PYTHONPATH, RUBYLIB/GEM_PATH or the JVM class path pointing at the task root and the layers.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { FunctionSpec, InvocationRequest, InvocationResult, LogEvent, LogSink } from './types.js';
import { managedLaunch, type LaunchPlan } from './runtimes/launchers.js';
import { MAX_RESPONSE_BYTES, RuntimeApiErrors, SandboxErrors, type InvocationErrorDocument, type RuntimeApiError } from './runtime-api-errors.js';

export type EnvironmentState = 'init' | 'ready' | 'busy' | 'dead';

export interface EnvironmentOptions {
  /** Directory under which the environment gets its scratch (`/tmp`) directory. */
  scratchRoot: string;
  /** The merged layers directory (the `/opt` equivalent), if the function has layers. */
  optDir?: string;
  /** Path of the nodejs bootstrap script. */
  nodeBootstrap: string;
  logSink: LogSink;
  /** Called once when the environment is gone (exit, kill, timeout). */
  onDead(env: ExecutionEnvironment): void;
  /** Init phase limit (Lambda's is 10 s). */
  initTimeoutMs?: number;
  /** Appended to NODE_PATH for nodejs runtimes (the AWS SDK the runtime provides). */
  runtimeNodeModules?: string;
  /** How often the memory watchdog reads the process's RSS during an invocation. */
  memoryPollMs?: number;
  /** Where compiled runtime bootstraps are cached (the Java bootstrap); defaults to `<scratchRoot>/../cache`. */
  cacheDir?: string;
}

interface Inflight {
  request: InvocationRequest;
  resolve(result: InvocationResult): void;
  dispatchedAt?: number;
  deadline?: number;
  timer?: NodeJS.Timeout;
  lines?: string[];
  initDurationMs?: number;
}

const RUNTIME_PREFIX = '/2018-06-01/runtime/';
const PASSTHROUGH_ENV = ['PATH', 'LANG', 'SYSTEMROOT'];

export class ExecutionEnvironment {
  readonly id = randomBytes(16).toString('hex');
  readonly spec: FunctionSpec;
  readonly logStreamName: string;
  state: EnvironmentState = 'init';
  /** When the environment last finished an invocation (for idle reclaim). */
  lastUsed = Date.now();
  /** Set when the environment must not take new invocations (configuration changed). */
  retiring = false;
  readonly #options: EnvironmentOptions;
  #server?: Server;
  #child?: ChildProcess;
  #scratch: string;
  #parkedNext?: ServerResponse;
  #current?: Inflight;
  /** The invocation whose END/REPORT lines are about to be written (late stdout lines belong to it). */
  #finishing?: Inflight;
  #startedAt = 0;
  #initDurationMs?: number;
  #initError?: InvocationErrorDocument;
  #initTimer?: NodeJS.Timeout;
  #memoryTimer?: NodeJS.Timeout;
  #outOfMemory = false;
  #timedOut = false;
  #pendingLogs: LogEvent[] = [];
  #logFlushTimer?: NodeJS.Timeout;
  #stderrTail = '';
  #partial: Record<'stdout' | 'stderr', string> = { stdout: '', stderr: '' };
  #launch?: LaunchPlan;

  constructor(spec: FunctionSpec, options: EnvironmentOptions) {
    this.spec = spec;
    this.#options = options;
    const d = new Date();
    const day = `${d.getUTCFullYear()}/${String(d.getUTCMonth() + 1).padStart(2, '0')}/${String(d.getUTCDate()).padStart(2, '0')}`;
    this.logStreamName = `${day}/[${spec.version}]${this.id}`;
    this.#scratch = join(options.scratchRoot, this.id);
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** True when the environment can take an invocation now (it finished init and is not busy). */
  get available(): boolean {
    return this.state === 'ready' && !this.retiring;
  }

  /** Starts the Runtime API listener and the runtime process; the init phase runs in the background. */
  async start(): Promise<void> {
    this.#startedAt = performance.now();
    const server = createServer({ keepAlive: true, requestTimeout: 0, headersTimeout: 0 }, (req, res) => this.#handle(req, res));
    server.keepAliveTimeout = 0;
    server.timeout = 0;
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    mkdirSync(this.#scratch, { recursive: true });
    const command = await this.#command();
    // Killed while the launch was prepared (the Java bootstrap compiles on first use): start nothing.
    if (this.state === 'dead') return;
    if ('error' in command) {
      this.#initError = command.error;
      this.#log(`INIT_REPORT Init Duration: 0.00 ms\tPhase: init\tStatus: error\tError Type: ${command.error.errorType}`);
      this.#die();
      return;
    }
    this.#log(`INIT_START Runtime Version: ${this.spec.runtime.replace(/\.x$/, '')}.v1`);
    const child = spawn(command.file, command.args, {
      cwd: this.spec.codeDir,
      env: this.#environment(`127.0.0.1:${port}`),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#child = child;
    child.stdout!.setEncoding('utf8');
    child.stderr!.setEncoding('utf8');
    child.stdout!.on('data', (text: string) => this.#onOutput('stdout', text));
    child.stderr!.on('data', (text: string) => this.#onOutput('stderr', text));
    child.on('error', (error) => {
      this.#initError ??= { errorType: 'Runtime.InvalidEntrypoint', errorMessage: error.message };
      this.#die();
    });
    child.on('exit', (code, signal) => this.#onExit(code, signal));
    this.#initTimer = setTimeout(() => {
      if (this.state !== 'init') return;
      this.#initError = SandboxErrors.initTimeout(this.#current?.request.requestId ?? '');
      this.#log(`INIT_REPORT Init Duration: ${(this.#options.initTimeoutMs ?? 10_000).toFixed(2)} ms\tPhase: init\tStatus: timeout`);
      this.kill();
    }, this.#options.initTimeoutMs ?? 10_000);
  }

  /** Runs one invocation. The environment must be available, or in init with no invocation yet. */
  invoke(request: InvocationRequest): Promise<InvocationResult> {
    if (this.state === 'dead') return Promise.resolve(this.#failure(request, this.#initError ?? SandboxErrors.exit(request.requestId, null, 'SIGKILL')));
    if (this.#current) throw new Error('environment is busy');
    return new Promise<InvocationResult>((resolve) => {
      this.#current = { request, resolve, lines: request.tail ? [] : undefined };
      if (this.state === 'ready') this.state = 'busy';
      if (this.#parkedNext) {
        const res = this.#parkedNext;
        this.#parkedNext = undefined;
        this.#dispatch(res);
      }
    });
  }

  /** Stops the process at once (SIGKILL). Pending invocations fail with the exit error. */
  kill(): void {
    if (this.#child && this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGKILL');
    else this.#die();
  }

  // ---- Runtime API -----------------------------------------------------------------------------

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '';
    if (!url.startsWith(RUNTIME_PREFIX)) return this.#reply(res, RuntimeApiErrors.notFound(url));
    const path = url.slice(RUNTIME_PREFIX.length);
    if (path === 'invocation/next') {
      if (req.method !== 'GET') return this.#reply(res, RuntimeApiErrors.methodNotAllowed());
      req.resume();
      return this.#onNext(res);
    }
    if (req.method !== 'POST') {
      req.resume();
      return this.#reply(res, RuntimeApiErrors.methodNotAllowed());
    }
    if (path === 'init/error') {
      return this.#readBody(req, res, (body) => {
        if (this.state !== 'init') return this.#reply(res, RuntimeApiErrors.invalidStateTransition('Ready', 'InitError'));
        this.#initError = parseErrorDocument(body, header(req, 'lambda-runtime-function-error-type'));
        this.#accepted(res);
        this.#log(`INIT_REPORT Init Duration: ${(performance.now() - this.#startedAt).toFixed(2)} ms\tPhase: init\tStatus: error\tError Type: ${this.#initError.errorType}`);
        this.kill();
      });
    }
    const match = /^invocation\/([^/]+)\/(response|error)$/.exec(path);
    if (!match) {
      req.resume();
      return this.#reply(res, RuntimeApiErrors.notFound(url));
    }
    const requestId = decodeURIComponent(match[1]!);
    const kind = match[2]!;
    const current = this.#current;
    if (!current || current.dispatchedAt === undefined || current.request.requestId !== requestId) {
      req.resume();
      // An unknown id and a second result for an answered invocation are both InvalidRequestID, as in Lambda.
      return this.#reply(res, RuntimeApiErrors.invalidRequestId());
    }
    this.#readBody(req, res, (body) => {
      if (this.#current !== current) return this.#reply(res, RuntimeApiErrors.invalidRequestId());
      this.#accepted(res);
      if (kind === 'response') this.#complete(current, body);
      else this.#complete(current, Buffer.from(JSON.stringify(parseErrorDocument(body, header(req, 'lambda-runtime-function-error-type')))), 'Unhandled', errorTypeOf(body, header(req, 'lambda-runtime-function-error-type')));
    }, () => {
      // Oversize: the invocation fails, the runtime is told 413 and goes on polling.
      this.#complete(current, Buffer.from(JSON.stringify(SandboxErrors.responseTooLarge())), 'Unhandled', 'Function.ResponseSizeTooLarge');
    });
  }

  #onNext(res: ServerResponse): void {
    if (this.#parkedNext) this.#reply(this.#parkedNext, RuntimeApiErrors.invalidStateTransition('InvocationNext', 'InvocationNext'));
    if (this.#current?.dispatchedAt !== undefined) {
      return this.#reply(res, RuntimeApiErrors.invalidStateTransition('InvocationNext', 'InvocationNext'));
    }
    if (this.state === 'init') {
      clearTimeout(this.#initTimer);
      this.#initDurationMs = performance.now() - this.#startedAt;
      this.state = this.#current ? 'busy' : 'ready';
    }
    res.on('close', () => {
      if (this.#parkedNext === res) this.#parkedNext = undefined;
    });
    if (this.#current) this.#dispatch(res);
    else this.#parkedNext = res;
  }

  #dispatch(res: ServerResponse): void {
    const current = this.#current!;
    const { request } = current;
    const timeoutMs = this.spec.timeoutSeconds * 1000;
    current.dispatchedAt = performance.now();
    current.deadline = Date.now() + timeoutMs;
    if (this.#initDurationMs !== undefined) {
      current.initDurationMs = this.#initDurationMs;
      this.#initDurationMs = undefined;
    }
    this.#log(`START RequestId: ${request.requestId} Version: ${this.spec.version}`);
    current.timer = setTimeout(() => this.#onTimeout(current), timeoutMs);
    this.#startMemoryWatch();
    const headers: Record<string, string | number> = {
      'content-type': 'application/json',
      'content-length': request.payload.length,
      'lambda-runtime-aws-request-id': request.requestId,
      'lambda-runtime-deadline-ms': current.deadline,
      'lambda-runtime-invoked-function-arn': request.invokedFunctionArn,
      'lambda-runtime-trace-id': request.traceId ?? '',
    };
    if (request.clientContext) headers['lambda-runtime-client-context'] = request.clientContext;
    if (request.cognitoIdentity) headers['lambda-runtime-cognito-identity'] = request.cognitoIdentity;
    res.writeHead(200, headers);
    res.end(request.payload);
  }

  #complete(current: Inflight, payload: Buffer, functionError?: 'Unhandled', errorType?: string, status?: string): void {
    if (this.#current !== current) return;
    clearTimeout(current.timer);
    this.#stopMemoryWatch();
    this.#current = undefined;
    const durationMs = current.dispatchedAt === undefined ? 0 : performance.now() - current.dispatchedAt;
    this.#finishing = current;
    const finish = () => {
      if (this.#finishing === current) this.#finishing = undefined;
      const maxMemoryUsedMb = this.#maxMemoryMb();
      const billed = Math.max(1, Math.ceil(durationMs));
      const id = current.request.requestId;
      if (current.dispatchedAt !== undefined) this.#log(`END RequestId: ${id}`, current);
      let report = `REPORT RequestId: ${id}\tDuration: ${durationMs.toFixed(2)} ms\tBilled Duration: ${billed} ms\tMemory Size: ${this.spec.memorySizeMb} MB\tMax Memory Used: ${maxMemoryUsedMb} MB`;
      if (current.initDurationMs !== undefined) report += `\tInit Duration: ${current.initDurationMs.toFixed(2)} ms`;
      if (status) report += `\tStatus: ${status}`;
      if (errorType && status) report += `\tError Type: ${errorType}`;
      this.#log(report + '\t', current);
      this.#flushLogs();
      if (this.state === 'busy') this.state = 'ready';
      this.lastUsed = Date.now();
      // An environment of a replaced configuration stops after its last invocation.
      if (this.retiring && this.state === 'ready') this.kill();
      current.resolve({
        requestId: id,
        payload,
        functionError,
        errorType,
        logs: current.lines?.join('\n'),
        durationMs,
        billedDurationMs: billed,
        maxMemoryUsedMb,
        initDurationMs: current.initDurationMs,
      });
    };
    // Lines the runtime wrote before it posted the result may still sit in the stdout pipe; one
    // more turn of the event loop's poll phase reads them before END and REPORT are written.
    if (this.state === 'dead') finish();
    else setImmediate(() => setImmediate(finish));
  }

  #onTimeout(current: Inflight): void {
    if (this.#current !== current) return;
    this.#timedOut = true;
    // The process is killed below; until its exit is seen, no invocation may be routed here.
    this.retiring = true;
    const doc = SandboxErrors.timeout(current.request.requestId, this.spec.timeoutSeconds);
    this.#log(`${new Date().toISOString()} ${current.request.requestId} Task timed out after ${this.spec.timeoutSeconds.toFixed(2)} seconds`);
    this.#complete(current, Buffer.from(JSON.stringify(doc)), 'Unhandled', doc.errorType, 'timeout');
    this.kill();
  }

  // ---- Process --------------------------------------------------------------------------------

  async #command(): Promise<{ file: string; args: string[] } | { error: InvocationErrorDocument }> {
    const managed = await managedLaunch(this.spec, {
      optDir: this.#options.optDir,
      scratchDir: this.#scratch,
      cacheDir: this.#options.cacheDir ?? join(this.#options.scratchRoot, '..', 'cache'),
    });
    if (managed && 'error' in managed) return managed;
    if (managed) {
      this.#launch = managed;
      return managed;
    }
    if (this.spec.runtime.startsWith('nodejs')) {
      const heapMb = Math.max(16, Math.floor(this.spec.memorySizeMb * 0.9));
      return { file: process.execPath, args: [`--max-old-space-size=${heapMb}`, this.#options.nodeBootstrap] };
    }
    const candidates = [join(this.spec.codeDir, 'bootstrap'), ...(this.#options.optDir ? [join(this.#options.optDir, 'bootstrap')] : [])];
    const file = candidates.find((c) => existsSync(c));
    if (!file) return { error: SandboxErrors.invalidEntrypoint(candidates) };
    return { file, args: [] };
  }

  #environment(runtimeApi: string): Record<string, string> {
    const spec = this.spec;
    const opt = this.#options.optDir;
    const env: Record<string, string> = {};
    for (const name of PASSTHROUGH_ENV) if (process.env[name] !== undefined) env[name] = process.env[name]!;
    if (opt) env.PATH = `${join(opt, 'bin')}:${env.PATH ?? '/usr/local/bin:/usr/bin:/bin'}`;
    const major = /^nodejs(\d+)/.exec(spec.runtime)?.[1];
    const nodePath = [
      ...(opt ? [join(opt, 'nodejs', `node${major ?? ''}`, 'node_modules'), join(opt, 'nodejs', 'node_modules')] : []),
      spec.codeDir,
      ...(this.#options.runtimeNodeModules ? [this.#options.runtimeNodeModules] : []),
    ];
    Object.assign(env, {
      LANG: env.LANG ?? 'en_US.UTF-8',
      TZ: ':UTC',
      TMPDIR: this.#scratch,
      LAMBDA_TASK_ROOT: spec.codeDir,
      LAMBDA_RUNTIME_DIR: this.#launch?.runtimeDir ?? this.#options.nodeBootstrap.slice(0, this.#options.nodeBootstrap.lastIndexOf('/')),
      _HANDLER: spec.handler,
      AWS_REGION: spec.region,
      AWS_DEFAULT_REGION: spec.region,
      AWS_EXECUTION_ENV: `AWS_Lambda_${spec.runtime}`,
      AWS_LAMBDA_FUNCTION_NAME: spec.functionName,
      AWS_LAMBDA_FUNCTION_VERSION: spec.version,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(spec.memorySizeMb),
      AWS_LAMBDA_LOG_GROUP_NAME: spec.logGroupName,
      AWS_LAMBDA_LOG_STREAM_NAME: this.logStreamName,
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      NODE_PATH: nodePath.join(':'),
    });
    if (opt) env.LD_LIBRARY_PATH = join(opt, 'lib');
    if (!spec.runtime.startsWith('nodejs')) delete env.NODE_PATH;
    if (opt) env.LAMBDA_OPT_DIR = opt;
    if (this.#launch) Object.assign(env, this.#launch.env);
    Object.assign(env, spec.environment);
    env.AWS_LAMBDA_RUNTIME_API = runtimeApi;
    return env;
  }

  #onExit(code: number | null, signal: NodeJS.Signals | null): void {
    this.#flushPartial();
    const current = this.#current;
    if (current && !this.#timedOut) {
      const id = current.request.requestId;
      let doc: InvocationErrorDocument;
      if (this.#outOfMemory || /heap out of memory/i.test(this.#stderrTail)) doc = SandboxErrors.outOfMemory(id);
      else if (current.dispatchedAt === undefined && this.#initError) doc = this.#initError;
      else doc = SandboxErrors.exit(id, code, signal, this.#stderrTail.trim().split('\n').slice(-3).join('\n') || undefined);
      this.state = 'dead';
      if (current.dispatchedAt === undefined) {
        this.#log(`START RequestId: ${id} Version: ${this.spec.version}`);
        current.dispatchedAt = performance.now();
      }
      const message = doc.errorType === 'Runtime.OutOfMemory' || doc.errorType === 'Runtime.ExitError' ? doc.errorMessage : `${doc.errorType}: ${doc.errorMessage}`;
      this.#log(`${new Date().toISOString()} ${id} ${message}`);
      this.#complete(current, Buffer.from(JSON.stringify(doc)), 'Unhandled', doc.errorType, 'error');
    }
    this.#die();
  }

  #die(): void {
    if (this.state === 'dead' && !this.#server) return;
    this.state = 'dead';
    clearTimeout(this.#initTimer);
    this.#stopMemoryWatch();
    const current = this.#current;
    if (current) {
      const doc = this.#initError ?? SandboxErrors.exit(current.request.requestId, null, 'SIGKILL');
      this.#complete(current, Buffer.from(JSON.stringify(doc)), 'Unhandled', doc.errorType, 'error');
    }
    if (this.#parkedNext) this.#parkedNext.destroy();
    this.#server?.closeAllConnections();
    this.#server?.close();
    this.#server = undefined;
    this.#flushLogs();
    rmSync(this.#scratch, { recursive: true, force: true });
    this.#options.onDead(this);
  }

  // ---- Memory ---------------------------------------------------------------------------------

  #startMemoryWatch(): void {
    const pid = this.#child?.pid;
    if (!pid || process.platform !== 'linux') return;
    const limitKb = this.spec.memorySizeMb * 1024;
    this.#memoryTimer = setInterval(() => {
      const rss = readStatusKb(pid, 'VmRSS');
      if (rss !== undefined && rss > limitKb) {
        this.#outOfMemory = true;
        this.kill();
      }
    }, this.#options.memoryPollMs ?? 50);
  }

  #stopMemoryWatch(): void {
    clearInterval(this.#memoryTimer);
    this.#memoryTimer = undefined;
  }

  #maxMemoryMb(): number {
    const pid = this.#child?.pid;
    if (!pid) return 0;
    const kb = readStatusKb(pid, 'VmHWM');
    return kb === undefined ? 0 : Math.ceil(kb / 1024);
  }

  // ---- Logs -----------------------------------------------------------------------------------

  #onOutput(stream: 'stdout' | 'stderr', text: string): void {
    const all = this.#partial[stream] + text;
    const lines = all.split('\n');
    this.#partial[stream] = lines.pop()!;
    // A line longer than a CloudWatch Logs event (256 KB) is cut, so that output without newlines
    // cannot grow the platform's memory.
    if (this.#partial[stream].length > 262_144) {
      lines.push(this.#partial[stream]);
      this.#partial[stream] = '';
    }
    for (const line of lines) this.#log(line.replace(/\r/g, '\n'));
    if (stream === 'stderr') this.#stderrTail = (this.#stderrTail + text).slice(-4096);
  }

  #flushPartial(): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.#partial[stream]) this.#log(this.#partial[stream].replace(/\r/g, '\n'));
      this.#partial[stream] = '';
    }
  }

  #log(message: string, inflight: Inflight | undefined = this.#current ?? this.#finishing): void {
    this.#pendingLogs.push({ timestamp: Date.now(), message });
    if (inflight?.lines) {
      inflight.lines.push(message);
      // Only the last 4 KB are returned (LogType: Tail); keep a bounded window.
      if (inflight.lines.length > 400) inflight.lines.splice(0, inflight.lines.length - 200);
    }
    if (!this.#logFlushTimer) this.#logFlushTimer = setTimeout(() => this.#flushLogs(), 200);
  }

  #flushLogs(): void {
    clearTimeout(this.#logFlushTimer);
    this.#logFlushTimer = undefined;
    if (this.#pendingLogs.length === 0) return;
    const events = this.#pendingLogs;
    this.#pendingLogs = [];
    try {
      this.#options.logSink({ functionArn: this.spec.functionArn, logGroupName: this.spec.logGroupName, logStreamName: this.logStreamName, events });
    } catch {
      // A failing sink must never stop the environment.
    }
  }

  // ---- HTTP helpers ---------------------------------------------------------------------------

  #readBody(req: IncomingMessage, res: ServerResponse, then: (body: Buffer) => void, onTooLarge?: () => void): void {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      size += chunk.length;
      if (size > MAX_RESPONSE_BYTES) {
        tooLarge = true;
        chunks.length = 0;
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (tooLarge) {
        this.#reply(res, RuntimeApiErrors.payloadTooLarge());
        onTooLarge?.();
      } else then(Buffer.concat(chunks));
    });
  }

  #accepted(res: ServerResponse): void {
    const body = '{"status":"OK"}';
    res.writeHead(202, { 'content-type': 'application/json', 'content-length': body.length });
    res.end(body);
  }

  #reply(res: ServerResponse, error: RuntimeApiError): void {
    const body = JSON.stringify({ errorMessage: error.errorMessage, errorType: error.errorType });
    res.writeHead(error.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }

  #failure(request: InvocationRequest, doc: InvocationErrorDocument): InvocationResult {
    return { requestId: request.requestId, payload: Buffer.from(JSON.stringify(doc)), functionError: 'Unhandled', errorType: doc.errorType, durationMs: 0, billedDurationMs: 0, maxMemoryUsedMb: 0 };
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function parseErrorDocument(body: Buffer, errorTypeHeader: string | undefined): InvocationErrorDocument {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as Partial<InvocationErrorDocument>;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
      // The runtime's document is returned as it posted it (Python's requestId and stackTrace,
      // Java's cause), with errorType and errorMessage always present.
      const doc = { ...parsed } as InvocationErrorDocument;
      doc.errorType = typeof parsed.errorType === 'string' ? parsed.errorType : (errorTypeHeader ?? 'Runtime.Unknown');
      doc.errorMessage = typeof parsed.errorMessage === 'string' ? parsed.errorMessage : '';
      if (Array.isArray(parsed.trace)) doc.trace = parsed.trace.map(String);
      return doc;
    }
  } catch {
    // Not JSON: the body is the message.
  }
  return { errorType: errorTypeHeader ?? 'Runtime.Unknown', errorMessage: body.toString('utf8') };
}

function errorTypeOf(body: Buffer, errorTypeHeader: string | undefined): string {
  return parseErrorDocument(body, errorTypeHeader).errorType;
}

function readStatusKb(pid: number, field: string): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}
