// The LogsStore contract, run on every storage engine (logs-store.test.ts).
import { it } from 'node:test';
import assert from 'node:assert/strict';
import type { EngineContext } from '@atoll/test-support';
import { LogsStore } from './logs-store.js';

const group = (name: string) => ({ accountId: '000000000000', region: 'us-east-1', name, createdAt: 1, retentionDays: null, kmsKeyId: null, logGroupClass: 'STANDARD', tags: {} });

export function logsStoreCases(engine: EngineContext): void {
  async function withStore(body: (store: LogsStore) => Promise<void>): Promise<void> {
    const backend = await engine.open();
    const store = await LogsStore.open(backend);
    try {
      await body(store);
    } finally {
      await store.close();
      await backend.close();
    }
  }

  it('keeps a stream in timestamp order and reads it forward and backward from a position', () =>
    withStore(async (store) => {
      assert.equal(await store.createGroup(group('g')), true);
      assert.equal(await store.createGroup(group('g')), false);
      const g = (await store.getGroup('000000000000', 'us-east-1', 'g'))!;
      assert.equal(await store.append(g.id, 's', [{ timestamp: 5, message: 'x' }], 100), false);
      assert.equal(await store.append(g.id, 's', [{ timestamp: 5, message: 'b' }, { timestamp: 9, message: 'c' }], 100, true), true);
      assert.equal(await store.append(g.id, 's', [{ timestamp: 1, message: 'a' }], 101), true);
      const s = (await store.getStream(g.id, 's'))!;
      assert.deepEqual([s.firstEvent, s.lastEvent, s.lastIngestion], [1, 9, 101]);
      const all = await store.streamEvents(s.id, { fromEnd: false, limit: 10 });
      assert.deepEqual(all.map((e) => e.message), ['a', 'b', 'c']);
      const after = await store.streamEvents(s.id, { fromEnd: false, limit: 10, after: { ts: all[0]!.ts, seq: all[0]!.seq } });
      assert.deepEqual(after.map((e) => e.message), ['b', 'c']);
      const before = await store.streamEvents(s.id, { fromEnd: true, limit: 1, before: { ts: all[2]!.ts, seq: all[2]!.seq } });
      assert.deepEqual(before.map((e) => e.message), ['b']);
    }));

  it('reads a group across streams in time order, expires old events and deletes a group with its events', () =>
    withStore(async (store) => {
      await store.createGroup(group('multi'));
      const g = (await store.getGroup('000000000000', 'us-east-1', 'multi'))!;
      await store.append(g.id, 'x', [{ timestamp: 1, message: 'x1' }, { timestamp: 4, message: 'x4' }], 10, true);
      await store.append(g.id, 'y', [{ timestamp: 2, message: 'y2' }, { timestamp: 3, message: 'y3' }], 10, true);
      assert.deepEqual((await store.groupEvents(g.id, { limit: 10 })).map((e) => e.message), ['x1', 'y2', 'y3', 'x4']);
      assert.deepEqual((await store.groupEvents(g.id, { limit: 10, startTime: 2, endTime: 3 })).map((e) => e.message), ['y2', 'y3']);
      assert.equal(await store.expire(g.id, 3), 2);
      assert.deepEqual((await store.groupEvents(g.id, { limit: 10 })).map((e) => e.message), ['y3', 'x4']);
      await store.deleteGroup(g.id);
      assert.equal(await store.getGroup('000000000000', 'us-east-1', 'multi'), undefined);
      assert.deepEqual(await store.groupEvents(g.id, { limit: 10 }), []);
    }));
}
