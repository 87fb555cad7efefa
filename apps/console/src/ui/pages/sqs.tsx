// SQS: queues with depth and age, create, and per queue: live attributes, send, peek (a receive with
// VisibilityTimeout 0, so the message stays visible — it still counts as a receive), purge with
// confirmation and DLQ redrive (StartMessageMoveTask back to the source queues).
import { useEffect, useState } from 'preact/hooks';
import { call, watch, type AwsError, type LiveState, type Out } from '../api.js';
import { ConfirmButton, ErrorBox, Field, href, Loading, Section, Table, useAction, useLoad } from '../components.js';

export function SqsPage({ path }: { path: string[] }) {
  return path[0] ? <QueueDetail url={path[0]} /> : <QueueList />;
}

function QueueList() {
  const list = useLoad(() => call('sqs', 'ListQueues', { MaxResults: 1000 }), []);
  const [name, setName] = useState('');
  const create = useAction(async () => {
    if (!/^[A-Za-z0-9_-]{1,80}(\.fifo)?$/.test(name)) throw { code: 'ValidationError', status: 0, message: 'A queue name has 1 to 80 letters, digits, hyphens or underscores (and .fifo for a FIFO queue).' };
    const out = await call('sqs', 'CreateQueue', { QueueName: name, ...(name.endsWith('.fifo') ? { Attributes: { FifoQueue: 'true' } } : {}) });
    setName('');
    list.reload();
    return out;
  });
  const urls: string[] = list.data?.QueueUrls ?? [];
  return (
    <div>
      <h1>SQS queues</h1>
      <form
        class="inline"
        aria-label="Create queue"
        onSubmit={(e) => {
          e.preventDefault();
          void create.run();
        }}
      >
        <Field label="New queue name" value={name} onInput={setName} />
        <button type="submit" disabled={create.busy}>
          Create queue
        </button>
      </form>
      <ErrorBox error={create.error} />
      <Loading on={list.loading} />
      <ErrorBox error={list.error} />
      {list.data ? (
        <Table
          label="Queues"
          columns={['Queue', 'URL']}
          rows={urls.map((u) => [<a href={href('sqs', u)}>{u.split('/').pop()}</a>, <code>{u}</code>])}
          empty="No queues yet. Create one above, or with `aws sqs create-queue`."
        />
      ) : null}
    </div>
  );
}

function QueueDetail({ url }: { url: string }) {
  const name = url.split('/').pop() ?? url;
  const [attrs, setAttrs] = useState<Out | undefined>(undefined);
  const [attrsError, setAttrsError] = useState<AwsError | null>(null);
  const [live, setLive] = useState<LiveState>('connecting');
  useEffect(
    () =>
      watch(
        [{ id: 'attrs', service: 'sqs', operation: 'GetQueueAttributes', input: { QueueUrl: url, AttributeNames: ['All'] } }],
        (_id, output, error) => {
          if (output) setAttrs(output.Attributes ?? {});
          setAttrsError(error ?? null);
        },
        setLive,
      ),
    [url],
  );
  const [body, setBody] = useState('');
  const send = useAction(async () => {
    if (body.length === 0) throw { code: 'ValidationError', status: 0, message: 'Enter a message body.' };
    const out = await call('sqs', 'SendMessage', { QueueUrl: url, MessageBody: body, ...(url.endsWith('.fifo') ? { MessageGroupId: 'console', MessageDeduplicationId: String(Date.now()) } : {}) });
    setBody('');
    return out;
  });
  const peek = useAction(() => call('sqs', 'ReceiveMessage', { QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 0, WaitTimeSeconds: 0, MessageAttributeNames: ['All'], AttributeNames: ['All'] }));
  const purge = useAction(() => call('sqs', 'PurgeQueue', { QueueUrl: url }));
  const sources = useLoad(() => call('sqs', 'ListDeadLetterSourceQueues', { QueueUrl: url }), [url]);
  const redrive = useAction(() => call('sqs', 'StartMessageMoveTask', { SourceArn: attrs?.QueueArn }));
  const peeked: Out[] = (peek.result as Out | undefined)?.Messages ?? [];
  const isDlq = (sources.data?.queueUrls ?? []).length > 0;
  return (
    <div>
      <p>
        <a href="#/sqs">← Queues</a>
      </p>
      <h1>Queue {name}</h1>
      <p class="muted">
        <code>{url}</code> · live: <span class={`live ${live}`}>{live}</span>
      </p>
      <ErrorBox error={attrsError} what={name} />
      <Section title="Attributes">
        {attrs ? (
          <div>
            <p class="figures">
              <span>
                <b data-testid="depth">{attrs.ApproximateNumberOfMessages}</b> visible
              </span>
              <span>
                <b>{attrs.ApproximateNumberOfMessagesNotVisible}</b> in flight
              </span>
              <span>
                <b>{attrs.ApproximateNumberOfMessagesDelayed}</b> delayed
              </span>
            </p>
            <Table label="Queue attributes" columns={['Attribute', 'Value']} rows={Object.entries(attrs).map(([k, v]) => [k, <code>{String(v)}</code>])} empty="No attributes." />
          </div>
        ) : (
          <Loading on={!attrsError} />
        )}
      </Section>
      <Section title="Send a message">
        <form
          aria-label="Send message"
          onSubmit={(e) => {
            e.preventDefault();
            void send.run();
          }}
        >
          <Field label="Message body" multiline rows={3} value={body} onInput={setBody} />
          <button type="submit" disabled={send.busy}>
            Send message
          </button>
        </form>
        <ErrorBox error={send.error} />
        {send.result ? <p role="status">Sent message {(send.result as Out).MessageId}.</p> : null}
      </Section>
      <Section
        title="Peek"
        actions={
          <button type="button" onClick={() => void peek.run()} disabled={peek.busy}>
            Peek messages
          </button>
        }
      >
        <p class="muted">Peek receives up to 10 messages with a visibility timeout of 0, so they stay visible to consumers. Each peek still counts as a receive (ApproximateReceiveCount, and a redrive policy's maxReceiveCount).</p>
        <ErrorBox error={peek.error} />
        {peek.result ? <Table label="Peeked messages" columns={['Message ID', 'Body', 'Receives']} rows={peeked.map((m) => [<code>{m.MessageId}</code>, <pre class="body">{m.Body}</pre>, m.Attributes?.ApproximateReceiveCount ?? ''])} empty="The queue holds no visible message." /> : null}
      </Section>
      <Section title="Maintenance">
        <ConfirmButton label="Purge queue" question={`Delete every message in ${name}? This cannot be undone.`} onConfirm={() => void purge.run()} busy={purge.busy} />
        <ErrorBox error={purge.error} />
        {purge.result ? <p role="status">Purge requested: messages are removed within a minute.</p> : null}
        {isDlq ? (
          <div class="redrive">
            <p>This is a dead-letter queue for {(sources.data?.queueUrls ?? []).map((u: string) => u.split('/').pop()).join(', ')}.</p>
            <button type="button" onClick={() => void redrive.run()} disabled={redrive.busy || !attrs}>
              Redrive messages to the source queues
            </button>
            <ErrorBox error={redrive.error} />
            {redrive.result ? <p role="status">Redrive started (task {(redrive.result as Out).TaskHandle}).</p> : null}
          </div>
        ) : null}
      </Section>
    </div>
  );
}
