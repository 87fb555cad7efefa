// The XrayStore contract, run on every storage engine (xray-store.test.ts).
import { it } from 'node:test';
import assert from 'node:assert/strict';
import type { EngineContext } from '@atoll/test-support';
import { XrayStore, type Expand, type Summarize } from './xray-store.js';

const A = '000000000000';
const R = 'us-east-1';
const count: Summarize = (traceId, docs) => ({ startMs: Math.min(...docs.map((d) => JSON.parse(d).t)), endMs: 0, summary: { traceId, n: docs.length } });
/** Pending items in this test: `[traceId, id, t]`, one segment each, the scope written into the doc. */
const expand: Expand = (items, accountId, region) =>
  (items as [string, string, number][]).map(([traceId, id, t]) => ({ traceId, id, startMs: t, inProgress: false, doc: JSON.stringify({ id, t, scope: `${accountId}/${region}` }) }));
const seg = (traceId: string, id: string, t: number, inProgress = false) => ({ traceId, id, startMs: t, inProgress, doc: JSON.stringify({ id, t, inProgress }) });

export function xrayStoreCases(engine: EngineContext): void {
  async function withStore(body: (store: XrayStore) => Promise<void>): Promise<void> {
    const backend = await engine.open();
    const store = await XrayStore.open(backend, count, expand);
    try {
      await body(store);
    } finally {
      await store.close();
      await backend.close();
    }
  }

  it('keeps a completed segment over a later in-progress copy and summarizes each trace in the same transaction', () =>
    withStore(async (store) => {
      await store.putSegments(A, R, [seg('t1', 'a', 10, true), seg('t1', 'b', 12), seg('t2', 'c', 5)]);
      await store.putSegments(A, R, [seg('t1', 'a', 10)]);
      await store.putSegments(A, R, [seg('t1', 'a', 10, true)]);
      const docs = await store.segments(A, R, ['t1']);
      assert.deepEqual(docs.map((d) => [d.id, d.inProgress]), [['a', false], ['b', false]]);
      const traces = await store.traces(A, R, { fromMs: 0, toMs: 100, limit: 10 });
      assert.deepEqual(traces.map((t) => [t.traceId, t.startMs, t.summary]), [['t2', 5, { traceId: 't2', n: 1 }], ['t1', 10, { traceId: 't1', n: 2 }]]);
      const page = await store.traces(A, R, { fromMs: 0, toMs: 100, limit: 10, after: { startMs: 5, traceId: 't2' } });
      assert.deepEqual(page.map((t) => t.traceId), ['t1']);
      assert.deepEqual((await store.tracesById(A, R, ['t1', 'zz'])).map((t) => t.traceId), ['t1']);
      // A segment arriving after a read makes the trace dirty again: the next read summarizes it anew.
      await store.putSegments(A, R, [seg('t1', 'c', 3)]);
      assert.deepEqual((await store.tracesById(A, R, ['t1'])).map((t) => [t.startMs, t.summary]), [[3, { traceId: 't1', n: 3 }]]);
      await store.putSegments(A, R, [seg('t2', 'd', 6)]);
      assert.deepEqual((await store.traces(A, R, { fromMs: 0, toMs: 100, limit: 10 })).map((t) => [t.traceId, t.summary]), [['t1', { traceId: 't1', n: 3 }], ['t2', { traceId: 't2', n: 2 }]]);
      assert.deepEqual(await store.traces('111111111111', R, { fromMs: 0, toMs: 100, limit: 10 }), []);
    }));

  it('takes one batch holding the same segment twice (the completed copy wins) and many traces at once', () =>
    withStore(async (store) => {
      await store.putSegments(A, R, [seg('t3', 'x', 7), seg('t3', 'x', 7, true), seg('t3', 'y', 8, true), seg('t3', 'y', 9)]);
      assert.deepEqual((await store.segments(A, R, ['t3'])).map((d) => [d.id, d.startMs, d.inProgress]), [['x', 7, false], ['y', 9, false]]);
      const many = Array.from({ length: 450 }, (_, i) => seg(`m${String(i).padStart(3, '0')}`, 'a', 1000 + i));
      await store.putSegments(A, R, many);
      assert.equal((await store.traces(A, R, { fromMs: 1000, toMs: 2000, limit: 1000 })).length, 450);
    }));

  it('expires the traces that started before the cutoff, with their segments, in every account, and keeps the rest', () =>
    withStore(async (store) => {
      await store.putSegments(A, R, [seg('old1', 'a', 100), seg('old1', 'b', 5000), seg('new1', 'c', 2000)]);
      await store.putSegments('111111111111', 'eu-west-1', [seg('old2', 'd', 200), seg('new2', 'e', 3000)]);
      await store.addTelemetry(A, R, 'host', [{ ts: 500, doc: {} }, { ts: 2500, doc: {} }]);
      await store.putSegments(A, R, Array.from({ length: 5 }, (_, i) => seg(`many${i}`, 'x', 300 + i)));
      // Two rounds of 3 traces at most: the sweep calls it until it answers 0.
      assert.equal(await store.expire(1000, 3), 3 + 1);
      assert.equal(await store.expire(1000, 3), 3);
      assert.equal(await store.expire(1000, 3), 0);
      assert.deepEqual(await store.segments(A, R, ['old1', 'new1']).then((l) => l.map((d) => d.id)), ['c']);
      assert.deepEqual((await store.traces(A, R, { fromMs: 0, toMs: 10_000, limit: 10 })).map((t) => t.traceId), ['new1']);
      assert.deepEqual((await store.traces('111111111111', 'eu-west-1', { fromMs: 0, toMs: 10_000, limit: 10 })).map((t) => t.traceId), ['new2']);
      assert.equal(await store.telemetryCount(A, R), 1);
    }));

  it('keeps pending items until a read needs them, then every read sees their segments once', () =>
    withStore(async (store) => {
      await store.putSegments(A, R, [seg('p1', 'user', 50)]);
      const items = Array.from({ length: 1203 }, (_, i) => JSON.stringify([`q${String(i).padStart(4, '0')}`, 'edge', 100 + i]));
      await store.putPending(A, R, [JSON.stringify(['p1', 'edge', 40]), ...items]);
      await store.putPending('111111111111', R, [JSON.stringify(['p1', 'other', 60])]);
      // More rows than one materializing round takes (500 items a row, 20 rows a round would hold
      // them all: this also checks the rows of one put are all taken).
      const docs = await store.segments(A, R, ['p1']);
      assert.deepEqual(docs.map((d) => [d.id, d.startMs, JSON.parse(d.doc).scope ?? 'user']), [['edge', 40, `${A}/${R}`], ['user', 50, 'user']]);
      assert.equal((await store.traces(A, R, { fromMs: 0, toMs: 10_000, limit: 2000 })).length, 1 + 1203);
      assert.deepEqual((await store.tracesById(A, R, ['p1'])).map((t) => [t.startMs, t.summary]), [[40, { traceId: 'p1', n: 2 }]]);
      // Materialized once: reading again finds the same segments, not copies.
      assert.equal((await store.segments(A, R, ['p1'])).length, 2);
      assert.deepEqual((await store.segments('111111111111', R, ['p1'])).map((d) => d.id), ['other']);
      // Pending items older than the retention cut are dropped with the traces.
      await store.putPending(A, 'eu-west-1', [JSON.stringify(['old', 'edge', 1])]);
      await store.expire(Date.now() + 1000);
      assert.deepEqual(await store.segments(A, 'eu-west-1', ['old']), []);
    }));

  it('counts sampling clients per rule, enforces the rule limit and merges tags', () =>
    withStore(async (store) => {
      const rule = (name: string) => ({ name, doc: { RuleName: name }, createdAt: 1, modifiedAt: 1 });
      assert.equal(await store.createRule(A, R, rule('a'), 2), 'created');
      assert.equal(await store.createRule(A, R, rule('a'), 2), 'exists');
      assert.equal(await store.createRule(A, R, rule('b'), 2), 'created');
      assert.equal(await store.createRule(A, R, rule('c'), 2), 'limit');
      const stat = (clientId: string, at: number) => ({ rule: 'a', clientId, at, requests: 2, sampled: 1, borrowed: 0 });
      assert.deepEqual(await store.reportStatistics(A, R, stat('x', 100), 50), ['x']);
      assert.deepEqual(await store.reportStatistics(A, R, stat('w', 110), 50), ['w', 'x']);
      assert.deepEqual(await store.reportStatistics(A, R, stat('w', 200), 150), ['w']);
      assert.deepEqual(await store.statistics(A, R), [{ rule: 'a', requests: 6, sampled: 3, borrowed: 0, lastSeen: 200 }]);
      assert.equal(await store.deleteRule(A, R, 'a'), true);
      assert.deepEqual(await store.statistics(A, R), []);
      assert.deepEqual(await store.changeTags('arn:x', { a: '1', b: '2' }, []), { a: '1', b: '2' });
      assert.deepEqual(await store.changeTags('arn:x', { c: '3' }, ['a']), { b: '2', c: '3' });
      assert.deepEqual(await store.tags('arn:x'), { b: '2', c: '3' });
      assert.equal(await store.createGroup(A, R, { name: 'g', arn: 'arn:g', doc: {} }), true);
      assert.equal(await store.createGroup(A, R, { name: 'g', arn: 'arn:g', doc: {} }), false);
      await store.addTelemetry(A, R, 'host', [{ ts: 1, doc: {} }, { ts: 2, doc: {} }]);
      assert.equal(await store.telemetryCount(A, R), 2);
    }));
}
