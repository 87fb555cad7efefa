// The Python runtimes end to end through @aws-sdk/client-lambda: the bootstrap's context object,
// results and AWS's error documents, logs, layers, and the bad-input cases (import errors, missing
// handler, non-JSON results, 10 MB of stdout, timeouts, an interpreter that exits).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { CreateFunctionCommand, InvokeCommand, LambdaClient, PublishLayerVersionCommand, type InvokeCommandOutput, type Runtime } from '@aws-sdk/client-lambda';
import { findInterpreter } from '@atoll/function-runtime';
import { createLambdaRole, startPlatform, type TestPlatform } from '@atoll/test-support';
import { zip, ROLE, decode } from './helpers.js';

const RUNTIME = 'python3.12';
const skip = findInterpreter(RUNTIME).ok ? false : `${RUNTIME} is not installed on this machine`;

let platform: TestPlatform;
let lambda: LambdaClient;

async function create(name: string, files: Record<string, string>, extra: Record<string, unknown> = {}) {
  return lambda.send(new CreateFunctionCommand({ FunctionName: name, Runtime: RUNTIME, Role: ROLE, Handler: 'lambda_function.handler', Code: { ZipFile: zip(files) }, ...extra }));
}

const invoke = (name: string, payload: unknown = {}, extra: Record<string, unknown> = {}) =>
  lambda.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from(JSON.stringify(payload)), ...extra }));

const tail = (out: InvokeCommandOutput) => Buffer.from(out.LogResult ?? '', 'base64').toString('utf8');

interface PythonError {
  errorMessage: string;
  errorType: string;
  requestId: string;
  stackTrace: string[];
}

describe('Python runtime', { skip }, () => {
  before(async () => {
    platform = await startPlatform({ services: ['lambda', 'sts', 'iam'] });
    await createLambdaRole(platform);
    lambda = platform.client(LambdaClient);
  });

  after(async () => {
    await platform?.stop();
  });

  test('a handler gets the event and a context with AWS\'s attributes, and its result comes back as JSON', async () => {
    await create('py-context', {
      'lambda_function.py': [
        'import os, sys',
        'def handler(event, context):',
        '    return {"event": event, "request_id": context.aws_request_id, "name": context.function_name,',
        '            "version": context.function_version, "arn": context.invoked_function_arn,',
        '            "memory": context.memory_limit_in_mb, "group": context.log_group_name, "stream": context.log_stream_name,',
        '            "remaining": context.get_remaining_time_in_millis(), "python": "%d.%d" % sys.version_info[:2],',
        '            "env": os.environ["AWS_EXECUTION_ENV"], "task_root": os.environ["LAMBDA_TASK_ROOT"] == os.getcwd()}',
      ].join('\n'),
    }, { MemorySize: 256, Timeout: 5 });
    const out = await invoke('py-context', { hello: 'world', n: [1, 2.5, null, true] });
    assert.equal(out.StatusCode, 200);
    assert.equal(out.FunctionError, undefined);
    const body = decode(out.Payload) as Record<string, unknown>;
    assert.deepEqual(body.event, { hello: 'world', n: [1, 2.5, null, true] });
    assert.match(String(body.request_id), /^[0-9a-f-]{36}$/);
    assert.equal(body.name, 'py-context');
    assert.equal(body.version, '$LATEST');
    assert.match(String(body.arn), /^arn:aws:lambda:[a-z0-9-]+:\d{12}:function:py-context$/);
    assert.equal(body.memory, '256');
    assert.equal(body.group, '/aws/lambda/py-context');
    assert.match(String(body.stream), /^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
    assert.ok(Number(body.remaining) > 3000 && Number(body.remaining) <= 5000, `remaining ${body.remaining}`);
    assert.equal(body.python, '3.12');
    assert.equal(body.env, 'AWS_Lambda_python3.12');
    assert.equal(body.task_root, true);
  });

  test('the client context of Invoke reaches context.client_context', async () => {
    await create('py-client', { 'lambda_function.py': 'def handler(event, context):\n    c = context.client_context\n    return {"custom": c.custom, "env": c.env, "title": c.client.app_title, "identity": context.identity.cognito_identity_id}' });
    const clientContext = Buffer.from(JSON.stringify({ custom: { tenant: 'blue' }, env: { platform: 'test' }, client: { app_title: 'Atoll app' } })).toString('base64');
    const out = await invoke('py-client', {}, { ClientContext: clientContext });
    assert.deepEqual(decode(out.Payload), { custom: { tenant: 'blue' }, env: { platform: 'test' }, title: 'Atoll app', identity: null });
  });

  test('a string result is a JSON string, None is null, and Decimal is a number', async () => {
    await create('py-results', {
      'lambda_function.py': 'from decimal import Decimal\ndef handler(event, context):\n    return {"s": event["s"], "d": Decimal("1.5"), "i": Decimal("7")} if event.get("s") else (None if event.get("none") else "plain")',
    });
    assert.equal(Buffer.from((await invoke('py-results', {})).Payload!).toString(), '"plain"');
    assert.equal(Buffer.from((await invoke('py-results', { none: true })).Payload!).toString(), 'null');
    assert.deepEqual(decode((await invoke('py-results', { s: 'x' })).Payload), { s: 'x', d: 1.5, i: 7 });
  });

  test('print and logging lines are in the logs between START and END, followed by REPORT', async () => {
    await create('py-logs', {
      'lambda_function.py': 'import logging\nlogger = logging.getLogger()\ndef handler(event, context):\n    print("printed line")\n    logger.warning("warned %s", "twice\\nsecond line")\n    return 1',
    });
    const out = await invoke('py-logs', {}, { LogType: 'Tail' });
    const lines = tail(out).split('\n');
    const start = lines.findIndex((l) => /^START RequestId: [0-9a-f-]{36} Version: \$LATEST$/.test(l));
    const end = lines.findIndex((l) => /^END RequestId: [0-9a-f-]{36}$/.test(l));
    assert.ok(start >= 0 && end > start, tail(out));
    const body = lines.slice(start + 1, end);
    assert.ok(body.includes('printed line'), tail(out));
    const requestId = lines[start]!.split(' ')[2]!;
    // A logging record keeps its newline inside one record, framed as AWS's Python runtime does.
    assert.ok(body.some((l) => new RegExp(`^\\[WARNING\\]\\t\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z\\t${requestId}\\twarned twice$`).test(l)), tail(out));
    assert.ok(body.includes('second line'), tail(out));
    assert.match(lines[end + 1]!, /^REPORT RequestId: [0-9a-f-]{36}\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB\tMax Memory Used: \d+ MB\tInit Duration: [\d.]+ ms\t$/);
  });

  test('an exception is reported as errorMessage, errorType, requestId and stackTrace', async () => {
    await create('py-raises', {
      'lambda_function.py': 'class OrderError(Exception):\n    pass\n\ndef check(event):\n    raise OrderError("order %s is invalid" % event["id"])\n\ndef handler(event, context):\n    check(event)\n',
    });
    const out = await invoke('py-raises', { id: 42 }, { LogType: 'Tail' });
    assert.equal(out.FunctionError, 'Unhandled');
    const doc = decode(out.Payload) as PythonError;
    assert.deepEqual(Object.keys(doc), ['errorMessage', 'errorType', 'requestId', 'stackTrace']);
    assert.equal(doc.errorType, 'OrderError');
    assert.equal(doc.errorMessage, 'order 42 is invalid');
    assert.match(doc.requestId, /^[0-9a-f-]{36}$/);
    assert.equal(doc.stackTrace.length, 2, JSON.stringify(doc.stackTrace));
    assert.match(doc.stackTrace[0]!, /lambda_function\.py", line 8, in handler\n {4}check\(event\)\n/);
    assert.match(doc.stackTrace[1]!, /lambda_function\.py", line 5, in check\n/);
    assert.match(tail(out), /\[ERROR\] OrderError: order 42 is invalid\nTraceback \(most recent call last\):\n {2}File ".*lambda_function\.py", line 8, in handler/);
  });

  test('a package without the handler module is Runtime.ImportModuleError, a missing function Runtime.HandlerNotFound', async () => {
    await create('py-nomodule', { 'other.py': 'x = 1' });
    const missing = await invoke('py-nomodule');
    assert.equal(missing.FunctionError, 'Unhandled');
    assert.deepEqual(decode(missing.Payload), {
      errorMessage: "Unable to import module 'lambda_function': No module named 'lambda_function'",
      errorType: 'Runtime.ImportModuleError',
      requestId: '',
      stackTrace: [],
    });
    await create('py-nohandler', { 'lambda_function.py': 'def other(event, context):\n    return 1' });
    const noHandler = decode((await invoke('py-nohandler')).Payload) as PythonError;
    assert.equal(noHandler.errorType, 'Runtime.HandlerNotFound');
    assert.equal(noHandler.errorMessage, "Handler 'handler' missing on module 'lambda_function'");
    await create('py-dotted', { 'pkg/__init__.py': '', 'pkg/app.py': 'def main(event, context):\n    return "nested"' }, { Handler: 'pkg/app.main' });
    assert.equal(decode((await invoke('py-dotted')).Payload), 'nested');
  });

  test('a handler that raises during import, or does not parse, fails every invocation with that error', async () => {
    await create('py-importfail', { 'lambda_function.py': 'import json\nraise RuntimeError("no database configured")\ndef handler(e, c):\n    return 1' });
    const doc = decode((await invoke('py-importfail')).Payload) as PythonError;
    assert.equal(doc.errorType, 'RuntimeError');
    assert.equal(doc.errorMessage, 'no database configured');
    await create('py-missingdep', { 'lambda_function.py': 'import requests_that_do_not_exist\ndef handler(e, c):\n    return 1' });
    const dep = decode((await invoke('py-missingdep')).Payload) as PythonError;
    assert.equal(dep.errorType, 'Runtime.ImportModuleError');
    assert.equal(dep.errorMessage, "Unable to import module 'lambda_function': No module named 'requests_that_do_not_exist'");
    await create('py-syntax', { 'lambda_function.py': 'def handler(event, context)\n    return 1' });
    const syntax = decode((await invoke('py-syntax')).Payload) as PythonError;
    assert.equal(syntax.errorType, 'Runtime.UserCodeSyntaxError');
    assert.match(syntax.errorMessage, /^Syntax error in module 'lambda_function': /);
  });

  test('a result that is not JSON-serializable is Runtime.MarshalError', async () => {
    await create('py-marshal', { 'lambda_function.py': 'def handler(event, context):\n    return {"tags": {"a", "b"}}' });
    const out = await invoke('py-marshal');
    assert.equal(out.FunctionError, 'Unhandled');
    const doc = decode(out.Payload) as PythonError;
    assert.equal(doc.errorType, 'Runtime.MarshalError');
    assert.equal(doc.errorMessage, 'Unable to marshal response: Object of type set is not JSON serializable');
  });

  test('a handler that prints 10 MB to stdout completes, and the function and others keep working', async () => {
    await create('py-chatty', { 'lambda_function.py': 'import sys\ndef handler(event, context):\n    line = "x" * 1023\n    for _ in range(10 * 1024):\n        print(line)\n    sys.stdout.write("y" * 300000)\n    return "done"' }, { Timeout: 30 });
    await create('py-quiet', { 'lambda_function.py': 'def handler(event, context):\n    return "quiet"' });
    const [chatty, quiet] = await Promise.all([invoke('py-chatty'), invoke('py-quiet')]);
    assert.equal(chatty.FunctionError, undefined);
    assert.equal(decode(chatty.Payload), 'done');
    assert.equal(decode(quiet.Payload), 'quiet');
    assert.equal(decode((await invoke('py-chatty')).Payload), 'done');
  });

  test('a handler that never returns times out, and the next invocation runs in a new environment', async () => {
    await create('py-sleepy', { 'lambda_function.py': 'import os, time\ndef handler(event, context):\n    if event.get("sleep"):\n        time.sleep(60)\n    return os.getpid()' }, { Timeout: 1 });
    const pid = decode((await invoke('py-sleepy')).Payload);
    const out = await invoke('py-sleepy', { sleep: true });
    assert.equal(out.FunctionError, 'Unhandled');
    const doc = decode(out.Payload) as { errorType: string; errorMessage: string };
    assert.equal(doc.errorType, 'Sandbox.Timedout');
    assert.match(doc.errorMessage, /^RequestId: [0-9a-f-]{36} Error: Task timed out after 1\.00 seconds$/);
    const after = decode((await invoke("py-sleepy")).Payload);
    assert.equal(typeof after, "number", JSON.stringify(after));
    assert.equal(typeof after, 'number');
    assert.notEqual(after, pid);
  });

  test('a handler that exits the interpreter is Runtime.ExitError, and the environment is replaced', async () => {
    await create('py-exits', { 'lambda_function.py': 'import os, sys\ndef handler(event, context):\n    if event.get("exit") == "sys":\n        sys.exit(3)\n    if event.get("exit") == "os":\n        os._exit(4)\n    return os.getpid()' });
    const pid = decode((await invoke('py-exits')).Payload);
    const sysExit = await invoke('py-exits', { exit: 'sys' });
    assert.equal(sysExit.FunctionError, 'Unhandled');
    const doc = decode(sysExit.Payload) as { errorType: string; errorMessage: string };
    assert.equal(doc.errorType, 'Runtime.ExitError');
    assert.match(doc.errorMessage, /^RequestId: [0-9a-f-]{36} Error: Runtime exited with error: exit status 3/);
    const next = decode((await invoke('py-exits')).Payload);
    assert.notEqual(next, pid);
    const osExit = decode((await invoke('py-exits', { exit: 'os' })).Payload) as { errorType: string; errorMessage: string };
    assert.match(osExit.errorMessage, /exit status 4/);
    assert.equal(typeof decode((await invoke('py-exits')).Payload), 'number');
  });

  test('layers are importable from python/ and python/lib/pythonX.Y/site-packages, after the package itself', async () => {
    const layer = await lambda.send(new PublishLayerVersionCommand({
      LayerName: 'py-shared',
      CompatibleRuntimes: [RUNTIME],
      Content: { ZipFile: zip({ 'python/greeting.py': 'def greet(n):\n    return "hello " + n', 'python/lib/python3.12/site-packages/vendored/__init__.py': 'VERSION = "1.0"', 'python/shadowed.py': 'WHO = "layer"' }) },
    }));
    await create('py-layered', {
      'lambda_function.py': 'import os, sys, greeting, vendored, shadowed\ndef handler(event, context):\n    return {"g": greeting.greet("py"), "v": vendored.VERSION, "who": shadowed.WHO, "first": sys.path[0] == os.environ["LAMBDA_TASK_ROOT"]}',
      'shadowed.py': 'WHO = "package"',
    }, { Layers: [layer.LayerVersionArn!] });
    assert.deepEqual(decode((await invoke('py-layered')).Payload), { g: 'hello py', v: '1.0', who: 'package', first: true });
  });

  test('a Python function can call the platform with boto3-style credentials from its environment', async () => {
    await create('py-env', { 'lambda_function.py': 'import os\ndef handler(event, context):\n    return {k: bool(os.environ.get(k)) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_ENDPOINT_URL", "AWS_LAMBDA_RUNTIME_API")}' });
    const got = decode((await invoke('py-env')).Payload) as Record<string, boolean>;
    assert.deepEqual(got, { AWS_ACCESS_KEY_ID: true, AWS_SECRET_ACCESS_KEY: true, AWS_REGION: true, AWS_ENDPOINT_URL: true, AWS_LAMBDA_RUNTIME_API: true });
  });
});

describe('Python versions', () => {
  const versions = ['3.9', '3.10', '3.11', '3.12', '3.13'].filter((v) => findInterpreter(`python${v}`).ok);

  test('each installed pythonX.Y runtime runs on the matching interpreter', { skip: versions.length === 0 ? 'no Python is installed' : false }, async () => {
    const p = await startPlatform({ services: ['lambda', 'sts', 'iam'] });
    try {
      await createLambdaRole(p);
      const client = p.client(LambdaClient);
      for (const v of versions) {
        const name = `py-version-${v.replace('.', '')}`;
        await client.send(new CreateFunctionCommand({ FunctionName: name, Runtime: `python${v}` as Runtime, Role: ROLE, Handler: 'app.run', Code: { ZipFile: zip({ 'app.py': 'import sys\ndef run(event, context):\n    return "%d.%d" % sys.version_info[:2]' }) } }));
        const out = await client.send(new InvokeCommand({ FunctionName: name }));
        assert.equal(decode(out.Payload), v, `python${v}`);
      }
    } finally {
      await p.stop();
    }
  });
});
