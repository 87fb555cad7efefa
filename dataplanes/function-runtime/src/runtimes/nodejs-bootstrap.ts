// The nodejs runtime's bootstrap: a Lambda Runtime API client loop that runs in the execution
// environment (a child process). It loads `file.handler` from CommonJS or ES modules, calls async or
// callback handlers with a Lambda context, and reports results and errors in the documented shapes.
// It imports only Node's built-ins so that a cold start costs one Node start and the handler's own load.
import { request, Agent, type IncomingHttpHeaders } from 'node:http';
import { existsSync, readFileSync, writeSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { format } from 'node:util';

type Handler = (event: unknown, context: LambdaContext, callback?: (err?: unknown, result?: unknown) => void) => unknown;

interface LambdaContext {
  functionName: string;
  functionVersion: string;
  invokedFunctionArn: string;
  memoryLimitInMB: string;
  awsRequestId: string;
  logGroupName: string;
  logStreamName: string;
  identity?: unknown;
  clientContext?: unknown;
  callbackWaitsForEmptyEventLoop: boolean;
  getRemainingTimeInMillis(): number;
  done(err?: unknown, result?: unknown): void;
  succeed(result?: unknown): void;
  fail(err?: unknown): void;
}

const env = process.env;
const [apiHost, apiPortText] = (env.AWS_LAMBDA_RUNTIME_API ?? '127.0.0.1:9001').split(':');
const apiPort = Number(apiPortText);
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
const base = '/2018-06-01/runtime';
let currentRequestId: string | undefined;

// Logging: one line per record as the Lambda nodejs runtimes write it
// (`<time>\t<request id>\t<LEVEL>\t<message>`); newlines inside a record become `\r` so that the
// platform keeps the record whole. stdout is a pipe, which Node writes synchronously on Linux.
function emit(level: string, args: unknown[]): void {
  const text = format(...(args as [unknown, ...unknown[]])).replace(/\n/g, '\r');
  writeSync(1, `${new Date().toISOString()}\t${currentRequestId ?? 'undefined'}\t${level}\t${text}\n`);
}
console.log = (...a: unknown[]) => emit('INFO', a);
console.info = (...a: unknown[]) => emit('INFO', a);
console.warn = (...a: unknown[]) => emit('WARN', a);
console.error = (...a: unknown[]) => emit('ERROR', a);
console.debug = (...a: unknown[]) => emit('DEBUG', a);
console.trace = (...a: unknown[]) => emit('TRACE', a);

function call(method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolvePromise, reject) => {
    const req = request(
      { host: apiHost, port: apiPort, method, path: base + path, agent, headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

interface ErrorDocument {
  errorType: string;
  errorMessage: string;
  trace: string[];
}

function toErrorDocument(error: unknown, fallbackType = 'Error'): ErrorDocument {
  if (error instanceof Error) {
    return {
      errorType: (error as Error & { errorType?: string }).errorType ?? error.name ?? fallbackType,
      errorMessage: error.message,
      trace: (error.stack ?? '').split('\n'),
    };
  }
  if (typeof error === 'string') return { errorType: 'string', errorMessage: error, trace: [] };
  return { errorType: fallbackType, errorMessage: JSON.stringify(error) ?? String(error), trace: [] };
}

class RuntimeError extends Error {
  constructor(readonly errorType: string, message: string) {
    super(message);
    this.name = errorType;
  }
}

async function postInitError(doc: ErrorDocument): Promise<never> {
  emit('ERROR', [`Uncaught Exception \t${JSON.stringify(doc)}`]);
  await call('POST', '/init/error', JSON.stringify(doc), { 'Lambda-Runtime-Function-Error-Type': doc.errorType }).catch(() => {});
  process.exit(129);
}

/** The nearest package.json's `type` decides whether a `.js` file is an ES module. */
function isEsmJs(file: string): boolean {
  let dir = dirname(file);
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        return (JSON.parse(readFileSync(pkg, 'utf8')) as { type?: string }).type === 'module';
      } catch {
        return false;
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return false;
    dir = parent;
  }
}

// NODE_PATH for ES modules: Node's ESM resolver ignores NODE_PATH, so a bare specifier the usual
// node_modules lookup cannot find is tried from each NODE_PATH directory in turn (the layers'
// nodejs/node_modules, the task root, and the platform's AWS SDK), as `require` does. The hook
// runs on Node's loader thread and is registered only for ES module handlers.
const NODE_PATH_HOOK = `
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
const dirs = (process.env.NODE_PATH ?? '').split(':').filter(Boolean);
export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (error) {
    if (error?.code !== 'ERR_MODULE_NOT_FOUND' || /^(\\.|\\/|[a-zA-Z][a-zA-Z+.-]*:)/.test(specifier)) throw error;
    for (const dir of dirs) {
      try {
        return await next(specifier, { ...context, parentURL: pathToFileURL(join(dir, 'noop.js')).href });
      } catch {}
    }
    throw error;
  }
}`;

function registerNodePathHook(): void {
  if (typeof register !== 'function' || !env.NODE_PATH) return;
  register(`data:text/javascript,${encodeURIComponent(NODE_PATH_HOOK)}`);
}

async function loadHandler(): Promise<Handler> {
  const taskRoot = env.LAMBDA_TASK_ROOT ?? process.cwd();
  const spec = env._HANDLER ?? '';
  const lastSlash = spec.lastIndexOf('/');
  const dot = spec.indexOf('.', lastSlash + 1);
  if (dot < 0) throw new RuntimeError('Runtime.MalformedHandlerName', 'Bad handler');
  const modulePath = spec.slice(0, dot);
  const names = spec.slice(dot + 1).split('.');
  const base = resolve(taskRoot, modulePath);
  let loaded: Record<string, unknown> | undefined;
  const candidates = ['.js', '.mjs', '.cjs'].map((ext) => base + ext);
  const file = candidates.find((f) => existsSync(f));
  if (!file) {
    throw new RuntimeError('Runtime.ImportModuleError', `Error: Cannot find module '${modulePath}'\nRequire stack:\n- ${taskRoot}/bootstrap`);
  }
  try {
    if (file.endsWith('.mjs') || (file.endsWith('.js') && isEsmJs(file))) {
      registerNodePathHook();
      loaded = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    } else {
      loaded = createRequire(join(taskRoot, 'noop.js'))(file) as Record<string, unknown>;
    }
  } catch (error) {
    if (error instanceof SyntaxError) throw new RuntimeError('Runtime.UserCodeSyntaxError', `${error.name}: ${error.message}`);
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    if ((error as { code?: string })?.code === 'MODULE_NOT_FOUND' || (error as { code?: string })?.code === 'ERR_MODULE_NOT_FOUND') {
      throw new RuntimeError('Runtime.ImportModuleError', message);
    }
    throw error;
  }
  let target: unknown = loaded;
  for (const name of names) target = (target as Record<string, unknown> | undefined)?.[name];
  if (target === undefined && loaded && 'default' in loaded) {
    // A CommonJS module imported as ESM keeps its exports under `default`.
    target = loaded.default;
    for (const name of names) target = (target as Record<string, unknown> | undefined)?.[name];
  }
  if (typeof target !== 'function') {
    throw new RuntimeError('Runtime.HandlerNotFound', `${modulePath}.${names.join('.')} is undefined or not exported`);
  }
  return target as Handler;
}

function parseJsonHeader(value: string | string[] | undefined): unknown {
  if (typeof value !== 'string' || value === '') return undefined;
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
}

async function invokeOnce(handler: Handler): Promise<void> {
  const next = await call('GET', '/invocation/next');
  const requestId = String(next.headers['lambda-runtime-aws-request-id'] ?? '');
  const deadline = Number(next.headers['lambda-runtime-deadline-ms'] ?? Date.now() + 3000);
  const traceId = next.headers['lambda-runtime-trace-id'];
  if (typeof traceId === 'string') env._X_AMZN_TRACE_ID = traceId;
  else delete env._X_AMZN_TRACE_ID;
  currentRequestId = requestId;

  let settled = false;
  const outcome = new Promise<{ ok: true; value: unknown } | { ok: false; error: unknown }>((done) => {
    const finish = (o: { ok: true; value: unknown } | { ok: false; error: unknown }) => {
      if (settled) return;
      settled = true;
      done(o);
    };
    const callback = (err?: unknown, result?: unknown) => (err !== undefined && err !== null ? finish({ ok: false, error: err }) : finish({ ok: true, value: result }));
    const context: LambdaContext = {
      functionName: env.AWS_LAMBDA_FUNCTION_NAME ?? '',
      functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION ?? '$LATEST',
      invokedFunctionArn: String(next.headers['lambda-runtime-invoked-function-arn'] ?? ''),
      memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? '128',
      awsRequestId: requestId,
      logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME ?? '',
      logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME ?? '',
      identity: parseJsonHeader(next.headers['lambda-runtime-cognito-identity']),
      clientContext: parseJsonHeader(next.headers['lambda-runtime-client-context']),
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      done: callback,
      succeed: (result) => callback(undefined, result),
      fail: (err) => callback(err ?? 'handled'),
    };
    let event: unknown;
    try {
      event = next.body === '' ? undefined : JSON.parse(next.body);
    } catch {
      event = next.body;
    }
    try {
      const returned = handler.length >= 3 ? handler(event, context, callback) : handler(event, context);
      if (returned && typeof (returned as Promise<unknown>).then === 'function') {
        (returned as Promise<unknown>).then((value) => finish({ ok: true, value }), (error: unknown) => finish({ ok: false, error }));
      } else if (handler.length < 3) {
        finish({ ok: true, value: returned });
      }
    } catch (error) {
      finish({ ok: false, error });
    }
  });
  // A handler whose promise never settles leaves the event loop empty; the invocation must still
  // run to its deadline (and time out), so a timer holds the process open meanwhile.
  const keepAlive = setInterval(() => {}, 1 << 30);
  const result = await outcome;
  clearInterval(keepAlive);
  if (result.ok) {
    const body = result.value === undefined ? 'null' : JSON.stringify(result.value);
    await call('POST', `/invocation/${requestId}/response`, body ?? 'null');
  } else {
    const doc = toErrorDocument(result.error);
    emit('ERROR', [`Invoke Error \t${JSON.stringify(doc)}`]);
    await call('POST', `/invocation/${requestId}/error`, JSON.stringify(doc), { 'Lambda-Runtime-Function-Error-Type': doc.errorType });
  }
  currentRequestId = undefined;
}

async function main(): Promise<void> {
  let handler: Handler;
  try {
    handler = await loadHandler();
  } catch (error) {
    return postInitError(toErrorDocument(error));
  }
  const fatal = (kind: string) => async (error: unknown) => {
    const doc = toErrorDocument(error, kind);
    if (kind === 'Runtime.UnhandledPromiseRejection') {
      doc.errorType = kind;
    }
    emit('ERROR', [`Uncaught Exception \t${JSON.stringify(doc)}`]);
    if (currentRequestId) {
      await call('POST', `/invocation/${currentRequestId}/error`, JSON.stringify(doc), { 'Lambda-Runtime-Function-Error-Type': doc.errorType }).catch(() => {});
    }
    process.exit(129);
  };
  process.on('uncaughtException', fatal('Runtime.UncaughtException'));
  process.on('unhandledRejection', fatal('Runtime.UnhandledPromiseRejection'));
  for (;;) await invokeOnce(handler);
}

void main();
