// SNS: topics with their subscriptions, and a test message published to a topic.
import { useState } from 'preact/hooks';
import { call, type Out } from '../api.js';
import { ErrorBox, Field, Loading, nameFromArn, Section, Table, useAction, useLoad } from '../components.js';

async function load(): Promise<Out[]> {
  const topics: Out[] = (await call('sns', 'ListTopics', {})).Topics ?? [];
  for (const t of topics) t.subs = (await call('sns', 'ListSubscriptionsByTopic', { TopicArn: t.TopicArn }).catch((): Out => ({}))).Subscriptions ?? [];
  return topics;
}

export function SnsPage() {
  const topics = useLoad(load, []);
  return (
    <div>
      <h1>SNS topics</h1>
      <Loading on={topics.loading} />
      <ErrorBox error={topics.error} />
      {topics.data && topics.data.length === 0 ? <p class="empty">No topics. Create one with `aws sns create-topic`.</p> : null}
      {(topics.data ?? []).map((t) => (
        <Topic topic={t} />
      ))}
    </div>
  );
}

function Topic({ topic }: { topic: Out }) {
  const name = nameFromArn(topic.TopicArn);
  const [message, setMessage] = useState('');
  const publish = useAction(async () => {
    if (!message) throw { code: 'ValidationError', status: 0, message: 'Enter a message to publish.' };
    return call('sns', 'Publish', { TopicArn: topic.TopicArn, Message: message, ...(name.endsWith('.fifo') ? { MessageGroupId: 'console' } : {}) });
  });
  return (
    <Section title={`Topic ${name}`}>
      <Table label={`Subscriptions of ${name}`} columns={['Protocol', 'Endpoint', 'Subscription']} rows={topic.subs.map((s: Out) => [s.Protocol, <code>{s.Endpoint}</code>, nameFromArn(s.SubscriptionArn)])} empty="No subscriptions." />
      <form
        class="inline"
        aria-label={`Publish to ${name}`}
        onSubmit={(e) => {
          e.preventDefault();
          void publish.run();
        }}
      >
        <Field label="Test message" value={message} onInput={setMessage} />
        <button type="submit" disabled={publish.busy}>
          Publish
        </button>
      </form>
      <ErrorBox error={publish.error} />
      {publish.result ? <p role="status">Published message {(publish.result as Out).MessageId}.</p> : null}
    </Section>
  );
}
