// The side listeners of the X-Ray service, on port 0: the daemon's UDP segments and TCP sampling
// proxy, and the OTLP/HTTP port.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { fakePlatform, requestContext, type FakePlatform } from '@atoll/test-support';
import { XrayProvider } from '../src/xray-provider.js';
import { parseDaemonAddress } from '../src/daemon.js';
import { sampleSpans, toProtobuf } from './otlp-fixtures.js';

async function poll<T>(read: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('X-Ray daemon and OTLP port', () => {
  let platform: FakePlatform;
  let xray: XrayProvider;
  before(async () => {
    platform = fakePlatform();
    xray = new XrayProvider(platform, { otlpPort: 0, daemonAddress: '127.0.0.1:0' });
    await xray.start();
  });
  after(async () => {
    await xray.close();
    platform.cleanup();
  });

  it('parses daemon addresses in both forms', () => {
    assert.deepEqual(parseDaemonAddress('127.0.0.1:2000'), { udp: { host: '127.0.0.1', port: 2000 }, tcp: { host: '127.0.0.1', port: 2000 } });
    assert.deepEqual(parseDaemonAddress('tcp:127.0.0.1:2001 udp:127.0.0.2:2002'), { udp: { host: '127.0.0.2', port: 2002 }, tcp: { host: '127.0.0.1', port: 2001 } });
    assert.equal(parseDaemonAddress('off'), undefined);
    assert.throws(() => parseDaemonAddress('nope'));
  });

  it('stores segments sent as UDP datagrams with the daemon header and drops others', async () => {
    const traceId = `1-${Math.floor(Date.now() / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;
    const now = Date.now() / 1000;
    const sock = createSocket('udp4');
    const send = (text: string) => new Promise<void>((resolve, reject) => sock.send(text, xray.daemonPort, '127.0.0.1', (e) => (e ? reject(e) : resolve())));
    await send(`{"format": "json", "version": 1}\n${JSON.stringify({ name: 'udp-app', id: randomBytes(8).toString('hex'), trace_id: traceId, start_time: now - 1, end_time: now })}`);
    await send(JSON.stringify({ name: 'no-header', id: randomBytes(8).toString('hex'), trace_id: traceId, start_time: now - 1, end_time: now }));
    sock.close();
    const ctx = requestContext({ accountId: platform.config.accountId, region: platform.config.region });
    const trace = await poll(async () => {
      const out = await xray.BatchGetTraces({ TraceIds: [traceId] }, ctx);
      return out.Traces?.[0];
    });
    assert.deepEqual(trace.Segments!.map((s) => JSON.parse(s.Document!).name), ['udp-app']);
  });

  it('serves the SDK sampling calls over TCP on the daemon port', async () => {
    const rules = await fetch(`http://127.0.0.1:${xray.daemonTcpPort}/GetSamplingRules`, { method: 'POST', body: '{}' });
    const body = (await rules.json()) as { SamplingRuleRecords: { SamplingRule: { RuleName: string }; CreatedAt: number }[] };
    assert.equal(body.SamplingRuleRecords[0]!.SamplingRule.RuleName, 'Default');
    assert.equal(typeof body.SamplingRuleRecords[0]!.CreatedAt, 'number');
    const targets = await fetch(`http://127.0.0.1:${xray.daemonTcpPort}/SamplingTargets`, {
      method: 'POST',
      body: JSON.stringify({ SamplingStatisticsDocuments: [{ RuleName: 'Default', ClientID: 'a'.repeat(24), Timestamp: Date.now() / 1000, RequestCount: 1, SampledCount: 1 }] }),
    });
    const t = (await targets.json()) as { SamplingTargetDocuments: { FixedRate: number; ReservoirQuota: number }[] };
    assert.deepEqual([t.SamplingTargetDocuments[0]!.FixedRate, t.SamplingTargetDocuments[0]!.ReservoirQuota], [0.05, 1]);
  });

  it('receives OTLP on its own port', async () => {
    assert.ok(xray.otlpPort > 0);
    const traceHex = randomBytes(16).toString('hex');
    const res = await fetch(`http://127.0.0.1:${xray.otlpPort}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: toProtobuf(sampleSpans(traceHex, randomBytes(8).toString('hex'), randomBytes(8).toString('hex'), 'port-svc')),
    });
    assert.equal(res.status, 200);
    const ctx = requestContext({ accountId: platform.config.accountId, region: platform.config.region });
    const out = await xray.BatchGetTraces({ TraceIds: [`1-${traceHex.slice(0, 8)}-${traceHex.slice(8)}`] }, ctx);
    assert.equal(out.Traces!.length, 1);
  });
});
