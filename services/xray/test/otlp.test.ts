// The OTLP/HTTP receiver on the platform's port: protobuf and JSON spans become X-Ray traces (with
// `false` and `0` attribute values kept), logs reach CloudWatch Logs and metrics CloudWatch, and bad
// bodies get the answers the OTLP spec names.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { BatchGetTracesCommand, GetTraceSummariesCommand, XRayClient } from '@aws-sdk/client-xray';
import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CloudWatchClient, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { startPlatform, type TestPlatform } from '@atoll/test-support';
import { nowNs, sampleSpans, toProtobuf } from './otlp-fixtures.js';

describe('OTLP/HTTP receiver', () => {
  let p: TestPlatform;
  let xray: XRayClient;
  before(async () => {
    p = await startPlatform({ services: ['xray', 'logs', 'cloudwatch', 'iam', 'sts'] });
    xray = p.client(XRayClient);
  });
  after(() => p.stop());

  const post = (path: string, body: Buffer | string, type: string, extra: Record<string, string> = {}) =>
    fetch(`${p.endpoint}${path}`, { method: 'POST', headers: { 'content-type': type, ...extra }, body });

  it('turns protobuf spans into an X-Ray trace with segments, subsegments, inferred nodes and kept false/0 attributes', async () => {
    const traceHex = randomBytes(16).toString('hex');
    const root = randomBytes(8).toString('hex');
    const child = randomBytes(8).toString('hex');
    const res = await post('/v1/traces', gzipSync(toProtobuf(sampleSpans(traceHex, root, child))), 'application/x-protobuf', { 'content-encoding': 'gzip' });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/x-protobuf');
    assert.equal((await res.arrayBuffer()).byteLength, 0);
    const xid = `1-${traceHex.slice(0, 8)}-${traceHex.slice(8)}`;
    const got = await xray.send(new BatchGetTracesCommand({ TraceIds: [xid] }));
    const docs = got.Traces![0]!.Segments!.map((s) => JSON.parse(s.Document!));
    const seg = docs.find((d) => d.id === root);
    assert.equal(seg.name, 'checkout');
    assert.equal(seg.origin, 'AWS::ECS::Container');
    assert.equal(seg.fault, true);
    assert.deepEqual(seg.http, { request: { method: 'GET', url: 'http://shop/cart' }, response: { status: 503 } });
    assert.deepEqual(seg.annotations, { flag: false, count: 0, tier: 'gold' });
    assert.equal(seg.metadata.default.ratio, 0);
    assert.deepEqual(seg.subsegments.map((s: { name: string; namespace: string; aws: { table_name: string } }) => [s.name, s.namespace, s.aws.table_name]), [['DynamoDB', 'aws', 'carts']]);
    assert.ok(docs.some((d) => d.inferred && d.name === 'carts'));
    const since = new Date(Date.now() - 60_000);
    const until = new Date(Date.now() + 60_000);
    for (const FilterExpression of ['annotation.flag = false', 'annotation.count = 0', 'service("carts") AND http.status = 503']) {
      const s = await xray.send(new GetTraceSummariesCommand({ StartTime: since, EndTime: until, FilterExpression }));
      assert.ok(s.TraceSummaries!.some((t) => t.Id === xid), FilterExpression);
    }
  });

  it('accepts OTLP/JSON and reports invalid spans as a partial success', async () => {
    const traceHex = randomBytes(16).toString('hex');
    const body = sampleSpans(traceHex, randomBytes(8).toString('hex'), randomBytes(8).toString('hex'), 'json-svc');
    body.resourceSpans[0]!.scopeSpans[0]!.spans.push({ ...body.resourceSpans[0]!.scopeSpans[0]!.spans[0]!, spanId: '0000000000000000' });
    const res = await post('/v1/traces', JSON.stringify(body), 'application/json');
    assert.equal(res.status, 200);
    const out = (await res.json()) as { partialSuccess: { rejectedSpans: number; errorMessage: string } };
    assert.equal(out.partialSuccess.rejectedSpans, 1);
    assert.match(out.partialSuccess.errorMessage, /invalid trace or span id/);
    const got = await xray.send(new BatchGetTracesCommand({ TraceIds: [`1-${traceHex.slice(0, 8)}-${traceHex.slice(8)}`] }));
    assert.equal(got.Traces!.length, 1);
  });

  it('answers 400 with a google.rpc.Status for bodies that do not decode, 415 and 405 otherwise', async () => {
    const bad = await post('/v1/traces', Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f]), 'application/x-protobuf');
    assert.equal(bad.status, 400);
    const status = Buffer.from(await bad.arrayBuffer());
    assert.equal(status[0], 0x08);
    assert.equal(status[1], 3);
    const badJson = await post('/v1/logs', '{nope', 'application/json');
    assert.equal(badJson.status, 400);
    assert.equal(((await badJson.json()) as { code: number }).code, 3);
    assert.equal((await post('/v1/metrics', 'x', 'text/plain')).status, 415);
    assert.equal((await fetch(`${p.endpoint}/v1/traces`)).status, 405);
  });

  it('writes OTLP logs to CloudWatch Logs', async () => {
    const res = await post(
      '/v1/logs',
      JSON.stringify({
        resourceLogs: [
          {
            resource: { attributes: [{ key: 'service.name', value: { stringValue: 'billing' } }] },
            scopeLogs: [
              {
                logRecords: [
                  { timeUnixNano: String(nowNs()), body: { stringValue: 'charged card' } },
                  { timeUnixNano: String(nowNs()), severityText: 'WARN', body: { stringValue: 'retry' }, attributes: [{ key: 'attempt', value: { intValue: '0' } }] },
                ],
              },
            ],
          },
        ],
      }),
      'application/json',
    );
    assert.equal(res.status, 200);
    const logs = p.client(CloudWatchLogsClient);
    const events = await logs.send(new GetLogEventsCommand({ logGroupName: '/otlp/billing', logStreamName: 'otlp', startFromHead: true }));
    const messages = events.events!.map((e) => e.message);
    assert.equal(messages[0], 'charged card');
    assert.deepEqual(JSON.parse(messages[1]!), { body: 'retry', severityText: 'WARN', attributes: { attempt: 0 } });
  });

  it('writes OTLP metrics to CloudWatch', async () => {
    const t = String(nowNs());
    const res = await post(
      '/v1/metrics',
      JSON.stringify({
        resourceMetrics: [
          {
            resource: { attributes: [{ key: 'service.name', value: { stringValue: 'billing' } }] },
            scopeMetrics: [
              {
                metrics: [
                  { name: 'orders', unit: '1', sum: { dataPoints: [{ timeUnixNano: t, asInt: '7', attributes: [{ key: 'region', value: { stringValue: 'eu' } }] }], aggregationTemporality: 1, isMonotonic: true } },
                  { name: 'latency', unit: 'ms', histogram: { dataPoints: [{ timeUnixNano: t, count: '4', sum: 40, min: 5, max: 20 }] } },
                ],
              },
            ],
          },
        ],
      }),
      'application/json',
    );
    assert.equal(res.status, 200);
    const cw = p.client(CloudWatchClient);
    const range = { StartTime: new Date(Date.now() - 600_000), EndTime: new Date(Date.now() + 600_000), Period: 60 };
    const orders = await cw.send(new GetMetricStatisticsCommand({ Namespace: 'otlp/billing', MetricName: 'orders', Dimensions: [{ Name: 'region', Value: 'eu' }], Statistics: ['Sum'], ...range }));
    assert.equal(orders.Datapoints!.reduce((a, d) => a + d.Sum!, 0), 7);
    const latency = await cw.send(new GetMetricStatisticsCommand({ Namespace: 'otlp/billing', MetricName: 'latency', Statistics: ['SampleCount', 'Maximum'], ...range }));
    assert.equal(latency.Datapoints![0]!.SampleCount, 4);
    assert.equal(latency.Datapoints![0]!.Maximum, 20);
  });
});
