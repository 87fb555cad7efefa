// The SnsStore contract, run on every engine (sns-store.test.ts): topics, attributes, subscriptions
// with filter policies, pending confirmation tokens, the outbox with FIFO sequence numbers and
// deduplication, the HTTP delivery queue, and on PostgreSQL the same state seen from two nodes.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import type { EngineContext } from '@atoll/test-support';
import type { PublishedMessage, SubscriptionRecord, TopicRecord } from './sns-records.js';
import { SnsStore, TopicGoneError } from './sns-store.js';

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';

function topic(name: string, overrides: Partial<TopicRecord> = {}): TopicRecord {
  const fifo = name.endsWith('.fifo');
  return {
    arn: `arn:aws:sns:${REGION}:${ACCOUNT}:${name}`,
    accountId: ACCOUNT,
    region: REGION,
    name,
    fifo,
    attributes: fifo ? { FifoTopic: 'true', ContentBasedDeduplication: 'false' } : {},
    tags: {},
    dataProtectionPolicy: null,
    createdAt: Date.now(),
    deletedSubscriptions: 0,
    ...overrides,
  };
}

let subscriptions = 0;
function subscription(t: TopicRecord, endpoint: string, overrides: Partial<SubscriptionRecord> = {}): SubscriptionRecord {
  return {
    arn: `${t.arn}:sub-${++subscriptions}`,
    topicArn: t.arn,
    accountId: ACCOUNT,
    region: REGION,
    protocol: 'sqs',
    endpoint,
    owner: ACCOUNT,
    attributes: {},
    confirmed: true,
    token: null,
    createdAt: Date.now() + subscriptions,
    ...overrides,
  };
}

let messages = 0;
function message(text: string, overrides: Partial<PublishedMessage> = {}): PublishedMessage {
  return { messageId: `m-${++messages}`, message: text, timestamp: new Date().toISOString(), ...overrides };
}

const queue = (name: string) => `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`;

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.fail(`timed out waiting for ${what}`);
}

export function snsStoreCases(engine: EngineContext): void {
  const open = async (): Promise<SnsStore> => {
    const store = new SnsStore(await engine.open());
    await store.open();
    return store;
  };
  const node = async (): Promise<SnsStore> => {
    const store = new SnsStore(await engine.node());
    await store.open();
    return store;
  };

  it('creates a topic once and answers a second create with the stored topic', async () => {
    const store = await open();
    const first = await store.createTopic(topic('orders', { attributes: { DisplayName: 'Orders' } }));
    assert.equal(first.created, true);
    const second = await store.createTopic(topic('orders', { attributes: { DisplayName: 'Other' } }));
    assert.equal(second.created, false);
    assert.equal(second.topic.attributes.DisplayName, 'Orders');
    assert.equal((await store.getTopic(first.topic.arn))?.attributes.DisplayName, 'Orders');
    await store.close();
  });

  it('changes attributes, tags and the data protection policy, and lists topics by account and region', async () => {
    const store = await open();
    const { topic: t } = await store.createTopic(topic('attrs', { tags: { team: 'a' } }));
    await store.createTopic(topic('other-region', { arn: `arn:aws:sns:eu-west-1:${ACCOUNT}:other-region`, region: 'eu-west-1' }));
    await store.updateTopic(t.arn, (stored) => {
      stored.attributes.DisplayName = 'Shown';
      stored.tags = { ...stored.tags, env: 'dev' };
      stored.dataProtectionPolicy = '{"Name":"p"}';
    });
    const read = await store.getTopic(t.arn);
    assert.deepEqual(read?.attributes, { DisplayName: 'Shown' });
    assert.deepEqual(read?.tags, { team: 'a', env: 'dev' });
    assert.equal(read?.dataProtectionPolicy, '{"Name":"p"}');
    assert.deepEqual((await store.listTopics(ACCOUNT, REGION)).map((x) => x.name), ['attrs']);
    assert.equal(await store.updateTopic(`${t.arn}-missing`, () => {}), undefined);
    await assert.rejects(
      store.updateTopic(t.arn, () => {
        throw new Error('refused');
      }),
      /refused/,
    );
    assert.equal((await store.getTopic(t.arn))?.attributes.DisplayName, 'Shown');
    await store.close();
  });

  it('deletes a topic with its subscriptions', async () => {
    const store = await open();
    const { topic: t } = await store.createTopic(topic('doomed'));
    const { subscription: s } = await store.subscribe(subscription(t, queue('q')));
    assert.equal(await store.deleteTopic(t.arn), true);
    assert.equal(await store.getTopic(t.arn), undefined);
    assert.equal(await store.getSubscription(s.arn), undefined);
    assert.deepEqual(await store.listSubscriptions(ACCOUNT, REGION), []);
    assert.equal(await store.deleteTopic(t.arn), false);
    await assert.rejects(store.subscribe(subscription(t, queue('late'))), TopicGoneError);
    await store.close();
  });

  it('keeps subscriptions with their filter policies, once per protocol and endpoint', async () => {
    const store = await open();
    const { topic: t } = await store.createTopic(topic('filtered'));
    const policy = '{"color":["red"]}';
    const a = await store.subscribe(subscription(t, queue('a'), { attributes: { FilterPolicy: policy } }));
    const b = await store.subscribe(subscription(t, queue('b')));
    assert.equal(a.created, true);
    const again = await store.subscribe(subscription(t, queue('a')));
    assert.equal(again.created, false);
    assert.equal(again.subscription.arn, a.subscription.arn);
    assert.deepEqual((await store.subscriptionsOf(t.arn)).map((s) => s.endpoint), [queue('a'), queue('b')]);
    assert.equal((await store.getSubscription(a.subscription.arn))?.attributes.FilterPolicy, policy);

    await store.updateSubscription(a.subscription.arn, (s) => {
      s.attributes.FilterPolicy = '{"color":["blue"]}';
      s.attributes.FilterPolicyScope = 'MessageBody';
    });
    const changed = await store.getSubscription(a.subscription.arn);
    assert.deepEqual(changed?.attributes, { FilterPolicy: '{"color":["blue"]}', FilterPolicyScope: 'MessageBody' });

    assert.equal((await store.deleteSubscription(b.subscription.arn))?.endpoint, queue('b'));
    assert.equal(await store.deleteSubscription(b.subscription.arn), undefined);
    assert.deepEqual((await store.subscriptionsOf(t.arn)).map((s) => s.endpoint), [queue('a')]);
    assert.equal((await store.getTopic(t.arn))?.deletedSubscriptions, 1);
    assert.deepEqual((await store.listSubscriptions(ACCOUNT, REGION)).map((s) => s.arn), [a.subscription.arn]);
    await store.close();
  });

  it('confirms a pending subscription only with its token', async () => {
    const store = await open();
    const { topic: t } = await store.createTopic(topic('web'));
    const { subscription: s } = await store.subscribe(
      subscription(t, 'http://127.0.0.1:9/hook', { protocol: 'http', confirmed: false, token: 'secret-token' }),
    );
    assert.equal((await store.subscriptionsOf(t.arn))[0]?.confirmed, false);
    assert.equal(await store.confirmSubscription(t.arn, 'wrong', false), undefined);
    const confirmed = await store.confirmSubscription(t.arn, 'secret-token', true);
    assert.equal(confirmed?.arn, s.arn);
    assert.equal(confirmed?.confirmed, true);
    const read = await store.getSubscription(s.arn);
    assert.equal(read?.confirmed, true);
    assert.equal(read?.attributes.ConfirmationWasAuthenticated, 'true');
    assert.equal((await store.confirmSubscription(t.arn, 'secret-token', false))?.confirmed, true);
    await store.close();
  });

  it('stores published messages in the outbox in order, with the topic version they saw, until they are completed', async () => {
    const store = await open();
    const { topic: t } = await store.createTopic(topic('plain'));
    const before = (await store.topicView(t.arn))!.version;
    const outcomes = await store.publish(t.arn, false, [message('one'), message('two', { attributes: { b: { DataType: 'Binary', BinaryValue: Buffer.from([1, 2]) } } })]);
    assert.equal(outcomes.length, 2);
    assert.ok(outcomes[1]!.seq > outcomes[0]!.seq);
    await store.subscribe(subscription(t, queue('after')));
    await store.publish(t.arn, false, [message('three')]);
    const rows = await store.readOutbox(0, 10);
    assert.deepEqual(rows.map((r) => r.message.message), ['one', 'two', 'three']);
    assert.equal(rows[0]!.topicVersion, before);
    assert.ok(rows[2]!.topicVersion > before);
    assert.deepEqual(rows[1]!.message.attributes?.b?.BinaryValue, Buffer.from([1, 2]));
    assert.deepEqual((await store.readOutbox(rows[0]!.id, 10)).map((r) => r.message.message), ['two', 'three']);
    await store.completeOutbox(rows.slice(0, 2).map((r) => r.id));
    assert.deepEqual((await store.readOutbox(0, 10)).map((r) => r.message.message), ['three']);
    await store.deleteTopic(t.arn);
    await assert.rejects(store.publish(t.arn, false, [message('gone')]), TopicGoneError);
    await store.close();
  });

  it('numbers FIFO messages in order and deduplicates them over five minutes', async () => {
    const store = await open();
    const { topic: t } = await store.createTopic(topic('ordered.fifo'));
    const seqs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const [outcome] = await store.publish(t.arn, true, [message(`m${i}`, { groupId: 'g', dedupId: `d${i}` })]);
      assert.equal(outcome!.duplicate, false);
      seqs.push(outcome!.seq);
    }
    assert.deepEqual([...seqs].sort((a, b) => a - b), seqs);
    const [dup] = await store.publish(t.arn, true, [message('again', { groupId: 'g', dedupId: 'd2' })]);
    assert.equal(dup!.duplicate, true);
    assert.equal(dup!.seq, seqs[2]);
    const batch = await store.publish(t.arn, true, [message('x', { groupId: 'g', dedupId: 'same' }), message('y', { groupId: 'g', dedupId: 'same' })]);
    assert.deepEqual(batch.map((o) => o.duplicate), [false, true]);
    assert.equal(batch[1]!.messageId, batch[0]!.messageId);
    assert.equal((await store.readOutbox(0, 100)).length, 6);
    await store.sweep();
    const [still] = await store.publish(t.arn, true, [message('again', { groupId: 'g', dedupId: 'd0' })]);
    assert.equal(still!.duplicate, true);
    await store.close();
  });

  it('keeps HTTP deliveries until they are finished, and reschedules retries', async () => {
    const store = await open();
    const policy = { minDelayTarget: 1, maxDelayTarget: 1, numRetries: 3, numNoDelayRetries: 0, numMinDelayRetries: 0, numMaxDelayRetries: 0, backoffFunction: 'linear' as const };
    await store.addHttpDeliveries([
      { subscriptionArn: 'arn:sub:1', url: 'http://127.0.0.1:9/a', body: 'a', headers: { 'x-amz-sns-message-type': 'Notification' }, policy },
      { subscriptionArn: 'arn:sub:1', url: 'http://127.0.0.1:9/b', body: 'b', headers: {}, policy },
    ]);
    const due = await store.dueHttpDeliveries(Date.now(), 10);
    assert.deepEqual(due.map((d) => d.body).sort(), ['a', 'b']);
    assert.deepEqual(due.find((d) => d.body === 'a')!.headers, { 'x-amz-sns-message-type': 'Notification' });
    assert.deepEqual(due[0]!.policy, policy);
    const later = Date.now() + 60_000;
    await store.rescheduleHttpDelivery(due[0]!.id, 1, later);
    await store.finishHttpDelivery(due[1]!.id);
    assert.deepEqual(await store.dueHttpDeliveries(Date.now(), 10), []);
    assert.equal(await store.nextHttpDeliveryAt(), later);
    const [retry] = await store.dueHttpDeliveries(later, 10);
    assert.equal(retry!.attempt, 1);
    await store.finishHttpDelivery(retry!.id);
    assert.equal(await store.nextHttpDeliveryAt(), undefined);
    await store.close();
  });

  it('delivers signals sent on its channels to listeners', async () => {
    const store = await open();
    let heard = 0;
    const stop = store.listen('sns.outbox', () => heard++);
    await store.signal('sns.outbox');
    await until(async () => heard > 0, 'the signal');
    stop();
    await store.close();
  });

  if (engine.engine !== 'postgres') return;

  it('uses, for a publish on node 2, a subscription added on node 1', async () => {
    const one = await open();
    const two = await node();
    const { topic: t } = await one.createTopic(topic('shared'));
    await one.subscribe(subscription(t, queue('first')));
    // Node 2 caches the topic with one subscriber.
    assert.deepEqual((await two.subscriptionsOf(t.arn)).map((s) => s.endpoint), [queue('first')]);
    const { subscription: added } = await one.subscribe(subscription(t, queue('second'), { attributes: { FilterPolicy: '{"k":["v"]}' } }));
    await two.publish(t.arn, false, [message('for both')]);
    const [row] = await two.readOutbox(0, 10);
    // The outbox row's version makes fan-out reload whatever the cache holds.
    const view = await two.topicView(t.arn, row!.topicVersion);
    assert.deepEqual(view!.subscriptions.map((s) => s.endpoint), [queue('first'), queue('second')]);
    assert.equal(view!.subscriptions[1]!.attributes.FilterPolicy, '{"k":["v"]}');
    // And the signal drops node 2's copy for every other reader.
    await one.updateSubscription(added.arn, (s) => {
      s.attributes.FilterPolicy = '{"k":["w"]}';
    });
    await until(async () => (await two.getSubscription(added.arn))?.attributes.FilterPolicy === '{"k":["w"]}', 'node 2 to see the new filter policy');
    await one.deleteTopic(t.arn);
    await until(async () => (await two.getTopic(t.arn)) === undefined, 'node 2 to see the topic deleted');
    await one.close();
    await two.close();
  });

  it('deduplicates a FIFO message published on two nodes at once, and gives each message its own sequence number', async () => {
    const one = await open();
    const two = await node();
    const { topic: t } = await one.createTopic(topic('shared.fifo'));
    await two.getTopic(t.arn);
    for (let round = 0; round < 5; round++) {
      const [a, b] = await Promise.all([
        one.publish(t.arn, true, [message(`one-${round}`, { groupId: 'g', dedupId: `r${round}` })]),
        two.publish(t.arn, true, [message(`two-${round}`, { groupId: 'g', dedupId: `r${round}` })]),
      ]);
      assert.deepEqual([a[0]!.duplicate, b[0]!.duplicate].sort(), [false, true]);
      assert.equal(a[0]!.messageId, b[0]!.messageId);
      assert.equal(a[0]!.seq, b[0]!.seq);
    }
    const published = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 ? one : two).publish(t.arn, true, [message(`n${i}`, { groupId: 'g', dedupId: `n${i}` })])),
    );
    const rows = await one.readOutbox(0, 100);
    assert.equal(rows.length, 15);
    assert.equal(new Set(published.map(([o]) => o!.seq)).size, 10);
    assert.ok(published.every(([o]) => !o!.duplicate));
    await one.close();
    await two.close();
  });

  it('lets node 2 take up HTTP deliveries that node 1 queued', async () => {
    const one = await open();
    const two = await node();
    const policy = { minDelayTarget: 1, maxDelayTarget: 1, numRetries: 1, numNoDelayRetries: 0, numMinDelayRetries: 0, numMaxDelayRetries: 0, backoffFunction: 'linear' as const };
    await one.addHttpDeliveries([{ subscriptionArn: 'arn:sub:1', url: 'http://127.0.0.1:9/a', body: 'a', headers: {}, policy }]);
    const [due] = await two.dueHttpDeliveries(Date.now(), 10);
    assert.equal(due!.body, 'a');
    await one.close();
    await two.close();
  });
}
