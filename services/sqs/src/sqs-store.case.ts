// The SqsStore contract, run on every storage engine (sqs-store.test.ts): message mechanics on one
// node, and on PostgreSQL what must hold across nodes (one receiver per message, FIFO group locks,
// deduplication, queue visibility, wake-ups of long polls).
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { StorageBackend } from '@atoll/core';
import type { EngineContext } from '@atoll/test-support';
import { DEFAULT_ATTRIBUTES, FIFO_DEFAULTS } from './queue-attributes.js';
import { NotInFlightError, QueueGoneError, SqsStore, StaleReceiptError, type NewMessage, type QueueRecord } from './sqs-store.js';

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';

const message = (body: string, extra: Partial<NewMessage> = {}): NewMessage => ({
  messageId: randomUUID(),
  body,
  md5Body: 'md5',
  attributes: null,
  md5Attributes: null,
  systemAttributes: null,
  md5SystemAttributes: null,
  senderId: ACCOUNT,
  delaySeconds: 0,
  ...extra,
});

async function createQueue(store: SqsStore, name: string, attributes: Record<string, string> = {}): Promise<QueueRecord> {
  const fifo = name.endsWith('.fifo');
  const q = await store.createQueue(ACCOUNT, REGION, name, fifo, { ...DEFAULT_ATTRIBUTES, ...(fifo ? FIFO_DEFAULTS : {}), ...attributes }, {});
  assert.ok(q, `queue ${name} was created`);
  return q;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function sqsStoreCases(engine: EngineContext): void {
  const multiNode = engine.engine === 'postgres' ? false : 'several nodes need PostgreSQL (SQLite serves one node)';

  /** Opens `nodes` stores on fresh state (one per node), runs `body`, and closes them. */
  async function withStores(nodes: number, body: (...stores: SqsStore[]) => Promise<void>): Promise<void> {
    const backends: StorageBackend[] = [await engine.open()];
    for (let i = 1; i < nodes; i++) backends.push(await engine.node());
    const stores: SqsStore[] = [];
    try {
      for (const backend of backends) stores.push(await SqsStore.open(backend));
      await body(...stores);
    } finally {
      for (const store of stores) await store.close();
      for (const backend of backends) await backend.close();
    }
  }

  it('a sent message is received once, hidden while in flight, and deleted by its receipt', () =>
    withStores(1, async (store) => {
      const q = await createQueue(store, 'basic');
      const [sent] = await store.send(q, [message('hello')]);
      assert.equal(sent!.duplicate, false);
      assert.deepEqual(await store.counts(q), { visible: 1, notVisible: 0, delayed: 0 });
      const [row] = await store.receive(q, 10, 30);
      assert.equal(row!.message_id, sent!.messageId);
      assert.equal(row!.receive_count, 1);
      assert.deepEqual(await store.receive(q, 10, 30), []);
      assert.deepEqual(await store.counts(q), { visible: 0, notVisible: 1, delayed: 0 });
      await store.deleteMessage(q, row!.seq, row!.receipt_nonce!);
      assert.deepEqual(await store.counts(q), { visible: 0, notVisible: 0, delayed: 0 });
    }));

  it('a visibility change to 0 makes a message receivable again, and the earlier receipt goes stale', () =>
    withStores(1, async (store) => {
      const q = await createQueue(store, 'visibility');
      await store.send(q, [message('m'), message('later', { delaySeconds: 60 })]);
      assert.deepEqual(await store.counts(q), { visible: 1, notVisible: 0, delayed: 1 });
      const [first] = await store.receive(q, 10, 30);
      await store.changeVisibility(q, first!.seq, first!.receipt_nonce!, 0);
      await assert.rejects(store.changeVisibility(q, first!.seq, first!.receipt_nonce!, 5), NotInFlightError);
      const [second] = await store.receive(q, 10, 30);
      assert.equal(second!.seq, first!.seq);
      assert.equal(second!.receive_count, 2);
      assert.notEqual(second!.receipt_nonce, first!.receipt_nonce);
      // A standard queue's stale receipt deletes nothing, quietly; it changes no visibility.
      await store.deleteMessage(q, first!.seq, first!.receipt_nonce!);
      await assert.rejects(store.changeVisibility(q, first!.seq, first!.receipt_nonce!, 10), StaleReceiptError);
      assert.equal((await store.counts(q)).notVisible, 1);
    }));

  it('a FIFO group gives its messages in order and nothing while one of them is in flight', () =>
    withStores(1, async (store) => {
      const q = await createQueue(store, 'order.fifo', { ContentBasedDeduplication: 'true' });
      await store.send(q, ['a1', 'b1', 'a2', 'b2'].map((b, i) => message(b, { groupId: b[0], dedupId: `d${i}` })));
      const first = await store.receive(q, 1, 30);
      assert.deepEqual(first.map((r) => r.body), ['a1']);
      const second = await store.receive(q, 10, 30);
      assert.deepEqual(second.map((r) => r.body), ['b1', 'b2']);
      assert.deepEqual(await store.receive(q, 10, 30), []);
      await store.deleteMessage(q, first[0]!.seq, first[0]!.receipt_nonce!);
      assert.deepEqual((await store.receive(q, 10, 30)).map((r) => r.body), ['a2']);
      // A FIFO receipt that is not the message's latest is expired.
      await assert.rejects(store.deleteMessage(q, second[0]!.seq, 'stale'), (e: StaleReceiptError) => e.reason === 'expired');
    }));

  it('a FIFO deduplication id seen within 5 minutes enqueues nothing and answers the first message', () =>
    withStores(1, async (store) => {
      const q = await createQueue(store, 'dedup.fifo');
      const [a] = await store.send(q, [message('x', { groupId: 'g', dedupId: 'd1' })]);
      const [b, c] = await store.send(q, [message('y', { groupId: 'g', dedupId: 'd1' }), message('z', { groupId: 'g', dedupId: 'd2' })]);
      assert.deepEqual(b, { messageId: a!.messageId, seq: a!.seq, duplicate: true });
      assert.equal(c!.duplicate, false);
      assert.deepEqual((await store.receive(q, 10, 30)).map((r) => r.body), ['x', 'z']);
    }));

  it('a message received maxReceiveCount times moves to the dead-letter queue, and a move returns it', () =>
    withStores(1, async (store) => {
      const dlq = await createQueue(store, 'dead');
      const q = await createQueue(store, 'source', { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 2 }) });
      const woken: (number | undefined)[] = [];
      store.onAvailable = (id) => woken.push(id);
      const [sent] = await store.send(q, [message('poison')]);
      for (let i = 0; i < 2; i++) assert.equal((await store.receive(q, 1, 0)).length, 1);
      assert.deepEqual(await store.receive(q, 1, 0), []);
      const [dead] = await store.receive(dlq, 1, 0);
      assert.equal(dead!.message_id, sent!.messageId);
      assert.equal(dead!.dlq_source_arn, q.arn);
      await sleep(20);
      assert.ok(woken.includes(dlq.id), 'the dead-letter move signals availability in the dead-letter queue');
      assert.equal(await store.moveMessages(dlq, 10), 1);
      const [back] = await store.receive(q, 1, 30);
      assert.equal(back!.body, 'poison');
      assert.equal(back!.receive_count, 1);
    }));

  it('a deleted queue refuses sends, and its messages are gone', () =>
    withStores(1, async (store) => {
      const q = await createQueue(store, 'doomed');
      await store.send(q, [message('x')]);
      const stale = { ...q };
      await store.deleteQueue(q);
      assert.equal(await store.getQueue(ACCOUNT, REGION, 'doomed'), undefined);
      await assert.rejects(store.send(stale, [message('y')]), QueueGoneError);
      assert.deepEqual(await store.counts(q), { visible: 0, notVisible: 0, delayed: 0 });
    }));

  it('a queue update is applied to the stored queue and read back', () =>
    withStores(1, async (store) => {
      const q = await createQueue(store, 'attrs');
      assert.equal(await store.createQueue(ACCOUNT, REGION, 'attrs', false, {}, {}), undefined);
      await store.updateQueue(q, (current) => {
        current.attributes.VisibilityTimeout = '5';
        current.tags.team = 'a';
      });
      const again = (await store.getQueue(ACCOUNT, REGION, 'attrs'))!;
      assert.equal(again.settings.visibilityTimeout, 5);
      assert.deepEqual(again.tags, { team: 'a' });
      assert.deepEqual((await store.listQueues(ACCOUNT, REGION)).map((x) => x.name), ['attrs']);
    }));

  it('the retention sweep removes messages past their retention period', () =>
    withStores(1, async (store) => {
      const q = await createQueue(store, 'retention');
      await store.send({ ...q, settings: { ...q.settings, retentionSeconds: 0 } }, [message('old')]);
      await store.send(q, [message('new')]);
      await store.sweep();
      assert.deepEqual((await store.receive(q, 10, 30)).map((r) => r.body), ['new']);
    }));

  it('a move task is started once per source queue and updated only while running', () =>
    withStores(1, async (store) => {
      const q = await createQueue(store, 'tasks');
      await store.send(q, [message('a'), message('b')]);
      const task = (handle: string) => ({ handle, accountId: ACCOUNT, region: REGION, source: q, destinationArn: null, maxPerSecond: null });
      assert.equal(await store.startTask(task('t1')), true);
      assert.equal(await store.startTask(task('t2')), false);
      assert.equal((await store.getTask('t1'))!.to_move, 2);
      assert.equal(await store.updateTask('t1', 'CANCELLED', 1), true);
      assert.equal(await store.updateTask('t1', 'RUNNING', 1), false);
      assert.deepEqual((await store.runningTasks()).length, 0);
      assert.equal((await store.tasksBySource(q.arn, 10))[0]!.moved, 1);
    }));

  // ---- several nodes (PostgreSQL) ------------------------------------------------------------

  it('200 messages are received exactly once by 10 receivers spread over two nodes', { skip: multiNode }, () =>
    withStores(2, async (one, two) => {
      const q1 = await createQueue(one, 'shared');
      for (let i = 0; i < 20; i++) await one.send(q1, Array.from({ length: 10 }, (_, j) => message(`m${i * 10 + j}`)));
      const q2 = (await two.getQueue(ACCOUNT, REGION, 'shared'))!;
      const received: string[] = [];
      const receiver = async (store: SqsStore, q: QueueRecord) => {
        for (let empty = 0; empty < 3; ) {
          const rows = await store.receive(q, 10, 60);
          if (rows.length === 0) empty++;
          else received.push(...rows.map((r) => r.body));
        }
      };
      await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? receiver(one, q1) : receiver(two, q2))));
      assert.equal(received.length, 200);
      assert.equal(new Set(received).size, 200);
    }));

  it('a queue created on one node is found at once on another, and its change and deletion reach it', { skip: multiNode }, () =>
    withStores(2, async (one, two) => {
      const q = await createQueue(one, 'elsewhere');
      const seen = (await two.getQueue(ACCOUNT, REGION, 'elsewhere'))!;
      assert.equal(seen.id, q.id);
      await one.updateQueue(q, (current) => {
        current.attributes.VisibilityTimeout = '7';
      });
      await sleep(100);
      const changed = (await two.getQueue(ACCOUNT, REGION, 'elsewhere'))!;
      assert.equal(changed.settings.visibilityTimeout, 7);
      await one.deleteQueue(q);
      await sleep(100);
      assert.equal(changed.deleted, true);
      assert.equal(await two.getQueue(ACCOUNT, REGION, 'elsewhere'), undefined);
    }));

  it('a FIFO group in flight on one node gives nothing on another', { skip: multiNode }, () =>
    withStores(2, async (one, two) => {
      const q1 = await createQueue(one, 'locked.fifo');
      await one.send(q1, [message('g1', { groupId: 'g', dedupId: '1' }), message('g2', { groupId: 'g', dedupId: '2' })]);
      const q2 = (await two.getQueue(ACCOUNT, REGION, 'locked.fifo'))!;
      const [taken] = await one.receive(q1, 1, 30);
      assert.equal(taken!.body, 'g1');
      assert.deepEqual(await two.receive(q2, 10, 30), []);
      await one.deleteMessage(q1, taken!.seq, taken!.receipt_nonce!);
      assert.deepEqual((await two.receive(q2, 10, 30)).map((r) => r.body), ['g2']);
    }));

  it('concurrent receives of one FIFO group on two nodes never take it twice', { skip: multiNode }, () =>
    withStores(2, async (one, two) => {
      const q1 = await createQueue(one, 'race.fifo');
      await one.send(q1, Array.from({ length: 5 }, (_, i) => message(`g${i}`, { groupId: 'g', dedupId: String(i) })));
      const q2 = (await two.getQueue(ACCOUNT, REGION, 'race.fifo'))!;
      const results = await Promise.all([one.receive(q1, 10, 30), two.receive(q2, 10, 30), one.receive(q1, 10, 30), two.receive(q2, 10, 30)]);
      const taken = results.filter((rows) => rows.length > 0);
      assert.equal(taken.length, 1);
      assert.deepEqual(taken[0]!.map((r) => r.body), ['g0', 'g1', 'g2', 'g3', 'g4']);
    }));

  it('a FIFO deduplication id sent on two nodes at once enqueues one message', { skip: multiNode }, () =>
    withStores(2, async (one, two) => {
      const q1 = await createQueue(one, 'twice.fifo');
      const q2 = (await two.getQueue(ACCOUNT, REGION, 'twice.fifo'))!;
      const outcomes = await Promise.all([
        one.send(q1, [message('a', { groupId: 'g', dedupId: 'same' })]),
        two.send(q2, [message('b', { groupId: 'g', dedupId: 'same' })]),
      ]);
      const [a, b] = outcomes.map((o) => o[0]!);
      assert.equal(a!.messageId, b!.messageId);
      assert.equal([a, b].filter((o) => o!.duplicate).length, 1);
      assert.equal((await one.receive(q1, 10, 30)).length, 1);
    }));

  it('a send on one node signals availability on the other within 100 ms', { skip: multiNode }, () =>
    withStores(2, async (one, two) => {
      const q = await createQueue(one, 'wake');
      let sentAt = 0;
      const woken = new Promise<number>((resolve) => {
        two.onAvailable = (id) => {
          if (id === q.id) resolve(Date.now() - sentAt);
        };
      });
      sentAt = Date.now();
      await one.send(q, [message('ping')]);
      const latency = await woken;
      assert.ok(latency < 100, `woken after ${latency} ms`);
    }));

  it('a move task is started once per source queue across nodes', { skip: multiNode }, () =>
    withStores(2, async (one, two) => {
      const q = await createQueue(one, 'one-task');
      const q2 = (await two.getQueue(ACCOUNT, REGION, 'one-task'))!;
      const task = (handle: string, source: QueueRecord) => ({ handle, accountId: ACCOUNT, region: REGION, source, destinationArn: null, maxPerSecond: null });
      const started = await Promise.all([one.startTask(task('x1', q)), two.startTask(task('x2', q2)), one.startTask(task('x3', q))]);
      assert.equal(started.filter(Boolean).length, 1);
      assert.equal((await two.runningTasks()).length, 1);
    }));
}
