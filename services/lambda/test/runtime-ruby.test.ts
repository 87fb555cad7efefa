// The Ruby runtimes end to end through @aws-sdk/client-lambda (skipped when `ruby` is missing:
// `apt-get install ruby` gives one). Handlers are `file.method` or `file.Module::Class.method`,
// called with `event:` and `context:`; errors have the Ruby runtime's `Function<Class>` types.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { CreateFunctionCommand, InvokeCommand, LambdaClient, PublishLayerVersionCommand, type InvokeCommandOutput } from '@aws-sdk/client-lambda';
import { findInterpreter } from '@atoll/function-runtime';
import { createLambdaRole, startPlatform, type TestPlatform } from '@atoll/test-support';
import { zip, ROLE, decode } from './helpers.js';

const RUNTIME = 'ruby3.3';
const found = findInterpreter(RUNTIME);
const skip = found.ok ? false : 'ruby is not installed on this machine (apt-get install ruby)';

let platform: TestPlatform;
let lambda: LambdaClient;

async function create(name: string, files: Record<string, string>, extra: Record<string, unknown> = {}) {
  await lambda.send(new CreateFunctionCommand({ FunctionName: name, Runtime: RUNTIME, Role: ROLE, Handler: 'function.handler', Code: { ZipFile: zip(files) }, ...extra }));
}

const invoke = (name: string, payload: unknown = {}, extra: Record<string, unknown> = {}) =>
  lambda.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from(JSON.stringify(payload)), ...extra }));
const tail = (out: InvokeCommandOutput) => Buffer.from(out.LogResult ?? '', 'base64').toString('utf8');

describe('Ruby runtime', { skip }, () => {
  before(async () => {
    platform = await startPlatform({ services: ['lambda', 'sts', 'iam'] });
    await createLambdaRole(platform);
    lambda = platform.client(LambdaClient);
  });

  after(async () => {
    await platform?.stop();
  });

  test('a top-level method gets event: and context:, and its result comes back as JSON', async () => {
    await create('rb-hello', {
      'function.rb': [
        'def handler(event:, context:)',
        '  puts "hello from ruby"',
        '  { "greeting" => "hello #{event["name"]}", "id" => context.aws_request_id, "name" => context.function_name,',
        '    "memory" => context.memory_limit_in_mb, "remaining" => context.get_remaining_time_in_millis > 0 }',
        'end',
      ].join('\n'),
    });
    const out = await invoke('rb-hello', { name: 'ruby' }, { LogType: 'Tail' });
    assert.equal(out.FunctionError, undefined, Buffer.from(out.Payload ?? []).toString());
    const body = decode(out.Payload) as Record<string, unknown>;
    assert.equal(body.greeting, 'hello ruby');
    assert.match(String(body.id), /^[0-9a-f-]{36}$/);
    assert.equal(body.name, 'rb-hello');
    assert.equal(body.memory, '128');
    assert.equal(body.remaining, true);
    assert.match(tail(out), /START RequestId: .*\nhello from ruby\nEND RequestId: .*\nREPORT RequestId: /);
  });

  test('a class method handler in a module runs, and a layer\'s ruby/lib is on the load path', async () => {
    const layer = await lambda.send(new PublishLayerVersionCommand({ LayerName: 'rb-shared', Content: { ZipFile: zip({ 'ruby/lib/shared_words.rb': 'module SharedWords; def self.word; "layered"; end; end' }) } }));
    await create('rb-class', {
      'app/handler.rb': 'require "shared_words"\nmodule Shop\n  class Handler\n    def self.process(event:, context:)\n      [SharedWords.word, event["n"] * 2]\n    end\n  end\nend',
    }, { Handler: 'app/handler.Shop::Handler.process', Layers: [layer.LayerVersionArn!] });
    assert.deepEqual(decode((await invoke('rb-class', { n: 21 })).Payload), ['layered', 42]);
  });

  test('an exception is Function<Class> with the backtrace; a missing file is Init<LoadError>', async () => {
    await create('rb-raises', { 'function.rb': 'def handler(event:, context:)\n  raise ArgumentError, "bad order"\nend' });
    const out = await invoke('rb-raises');
    assert.equal(out.FunctionError, 'Unhandled');
    const doc = decode(out.Payload) as { errorMessage: string; errorType: string; stackTrace: string[] };
    assert.equal(doc.errorType, 'Function<ArgumentError>');
    assert.equal(doc.errorMessage, 'bad order');
    // Ruby 3.4 writes 'Object#handler' where earlier versions write `handler'.
    assert.match(doc.stackTrace[0]!, /function\.rb:2:in [`'](Object#)?handler'/);
    await create('rb-missing', { 'other.rb': '' });
    const missing = decode((await invoke('rb-missing')).Payload) as { errorMessage: string; errorType: string };
    assert.equal(missing.errorType, 'Init<LoadError>');
    assert.match(missing.errorMessage, /cannot load such file -- .*function/);
  });

  test('a handler that exits the interpreter is Runtime.ExitError and the next invocation starts afresh', async () => {
    await create('rb-exits', { 'function.rb': 'def handler(event:, context:)\n  exit!(5) if event["exit"]\n  Process.pid\nend' });
    const pid = decode((await invoke('rb-exits')).Payload);
    const doc = decode((await invoke('rb-exits', { exit: true })).Payload) as { errorType: string; errorMessage: string };
    assert.equal(doc.errorType, 'Runtime.ExitError');
    assert.match(doc.errorMessage, /exit status 5/);
    assert.notEqual(decode((await invoke('rb-exits')).Payload), pid);
  });
});
