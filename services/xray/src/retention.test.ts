// Retention: the leader's sweep deletes traces once they are older than 30 days (X-Ray's
// retention), and keeps younger ones. Driven with a moving clock on a fake platform.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { fakePlatform, requestContext, until } from '@atoll/test-support';
import { XrayProvider } from './xray-provider.js';

const DAY = 24 * 3600_000;

describe('trace retention', () => {
  it('deletes the traces older than 30 days on the leader\'s sweep and keeps the younger ones', async () => {
    const platform = fakePlatform();
    let clock = Date.now();
    const xray = new XrayProvider(platform, { now: () => clock, otlpPort: 'off', daemonAddress: 'off', retentionSweepMs: 20 });
    const ctx = requestContext();
    const segmentAt = (ms: number) => {
      const traceId = `1-${Math.floor(ms / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;
      return { traceId, doc: JSON.stringify({ name: 'svc', id: randomBytes(8).toString('hex'), trace_id: traceId, start_time: ms / 1000, end_time: ms / 1000 + 0.01 }) };
    };
    await xray.start();
    try {
      const start = clock;
      const old = segmentAt(start);
      assert.deepEqual((await xray.PutTraceSegments({ TraceSegmentDocuments: [old.doc] }, ctx)).UnprocessedTraceSegments, []);
      clock = start + 2 * DAY;
      const young = segmentAt(clock);
      assert.deepEqual((await xray.PutTraceSegments({ TraceSegmentDocuments: [young.doc] }, ctx)).UnprocessedTraceSegments, []);
      const stored = async () => (await xray.BatchGetTraces({ TraceIds: [old.traceId, young.traceId] }, ctx)).Traces!.map((t) => t.Id);
      assert.deepEqual((await stored()).sort(), [old.traceId, young.traceId].sort());
      // 29 days on: nothing is old enough yet (the sweep runs meanwhile).
      clock = start + 29 * DAY;
      assert.equal(await xray.expireTraces(), 0);
      clock = start + 31 * DAY;
      await until('the sweep', async () => (await stored()).length === 1, 10_000);
      assert.deepEqual(await stored(), [young.traceId]);
    } finally {
      await xray.close();
      await platform.storage.close();
      platform.cleanup();
    }
  });
});
