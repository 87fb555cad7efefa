// Lambda: functions, a function's configuration, invoke with a JSON payload (the result and the log
// tail the invoke returns, LogType Tail) and the newest lines of its log group.
import { useState } from 'preact/hooks';
import { call, type Out } from '../api.js';
import { ErrorBox, Field, href, Loading, Section, Table, parseJsonField, useAction, useLoad } from '../components.js';

export function LambdaPage({ path }: { path: string[] }) {
  return path[0] ? <FunctionDetail name={path[0]} /> : <FunctionList />;
}

function FunctionList() {
  const list = useLoad(() => call('lambda', 'ListFunctions', {}), []);
  return (
    <div>
      <h1>Lambda functions</h1>
      <Loading on={list.loading} />
      <ErrorBox error={list.error} />
      {list.data ? (
        <Table
          label="Functions"
          columns={['Function', 'Runtime', 'Handler', 'Memory', 'Last modified']}
          rows={(list.data.Functions ?? []).map((f: Out) => [<a href={href('lambda', f.FunctionName)}>{f.FunctionName}</a>, f.Runtime ?? f.PackageType, f.Handler ?? '', `${f.MemorySize} MB`, f.LastModified])}
          empty="No functions. Create one with `aws lambda create-function`."
        />
      ) : null}
    </div>
  );
}

function FunctionDetail({ name }: { name: string }) {
  const fn = useLoad(() => call('lambda', 'GetFunction', { FunctionName: name }), [name]);
  const [payload, setPayload] = useState('{}');
  const invoke = useAction(async () => {
    const parsed = parseJsonField(payload);
    if (parsed.error) throw { code: 'ValidationError', status: 0, message: `Payload: ${parsed.error}` };
    const out = await call('lambda', 'Invoke', { FunctionName: name, Payload: payload, LogType: 'Tail' });
    logs.reload();
    return out;
  });
  const logs = useLoad(() => call('logs', 'FilterLogEvents', { logGroupName: `/aws/lambda/${name}`, limit: 50, startTime: Date.now() - 3600_000 }), [name]);
  const cfg: Out | undefined = fn.data?.Configuration;
  const result = invoke.result as Out | undefined;
  return (
    <div>
      <p>
        <a href="#/lambda">← Functions</a>
      </p>
      <h1>Function {name}</h1>
      <Loading on={fn.loading} />
      <ErrorBox error={fn.error} what={name} />
      {cfg ? (
        <Section title="Configuration">
          <Table
            label="Configuration"
            columns={['Setting', 'Value']}
            rows={['FunctionArn', 'Runtime', 'Handler', 'MemorySize', 'Timeout', 'Role', 'State', 'LastModified', 'CodeSize']
              .filter((k) => cfg[k] !== undefined)
              .map((k) => [k, <code>{String(cfg[k])}</code>])
              .concat(Object.entries(cfg.Environment?.Variables ?? {}).map(([k]) => [`env ${k}`, <code>(set)</code>]))}
            empty="No configuration."
          />
        </Section>
      ) : null}
      <Section title="Invoke">
        <form
          aria-label="Invoke function"
          onSubmit={(e) => {
            e.preventDefault();
            void invoke.run();
          }}
        >
          <Field label="Payload (JSON)" multiline rows={5} value={payload} onInput={setPayload} />
          <button type="submit" disabled={invoke.busy}>
            {invoke.busy ? 'Invoking…' : 'Invoke'}
          </button>
        </form>
        <ErrorBox error={invoke.error} />
        {result ? (
          <div class="invoke-result">
            <p role="status">
              Status {result.StatusCode}
              {result.FunctionError ? <strong class="bad"> · function error: {result.FunctionError}</strong> : null}
            </p>
            <h3>Result</h3>
            <pre class="json" data-testid="invoke-payload">
              {result.Payload}
            </pre>
            <h3>Log tail</h3>
            <pre class="log" data-testid="invoke-log">
              {result.LogResult ?? '(no log returned)'}
            </pre>
          </div>
        ) : null}
      </Section>
      <Section title="Recent log lines" actions={<button type="button" onClick={logs.reload}>Refresh</button>}>
        <ErrorBox error={logs.error} />
        {logs.data ? <pre class="log">{(logs.data.events ?? []).map((e: Out) => `${new Date(e.timestamp).toISOString()} ${e.message}`).join('\n') || 'No log lines in the last hour.'}</pre> : null}
      </Section>
    </div>
  );
}
