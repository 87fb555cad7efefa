// X-Ray and OTLP figures, one server, same run:
//  1. ingest: spans/s through OTLP/HTTP protobuf (POST /v1/traces, 100 spans a request) and
//     segments/s through PutTraceSegments (SDK, 50 segments a call), with the server's RSS and the
//     data directory's growth per million spans;
//  2. query: GetTraceSummaries over the last hour (first page, with and without a filter) and
//     BatchGetTraces for 5 traces of 100 spans: latency p50/p90/p99;
//  3. the edge's tracing step: server CPU per SQS SendMessage with and without an X-Amzn-Trace-Id
//     header (goal: under 5 % more), interleaved rounds.
//   node bench/xray/run.mjs [--quick]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { CreateQueueCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { BatchGetTracesCommand, GetTraceSummariesCommand, PutTraceSegmentsCommand, XRayClient } from '@aws-sdk/client-xray';
import { machine, printTable, sampleProcess, startServer, summarize, repoRoot } from '../lib/report.mjs';

const quick = process.argv.includes('--quick');
const OTLP_REQUESTS = quick ? 40 : 200;
const SEGMENT_CALLS = quick ? 40 : 200;
const EDGE_CALLS = quick ? 1000 : 3000;
const CONCURRENCY = 4;

const { requestType } = await import(join(repoRoot, 'services/xray/dist/src/otlp/otlp-codec.js'));
const TraceRequest = requestType('traces');

const hex = (n) => randomBytes(n).toString('hex');
const du = (dir) => Number(execFileSync('du', ['-sb', dir]).toString().split('\t')[0]);

/** One OTLP request: `traces` traces of `spans` spans (a SERVER root and CLIENT children). */
function otlpRequest(traces, spans) {
  const now = BigInt(Date.now()) * 1_000_000n;
  const list = [];
  for (let t = 0; t < traces; t++) {
    const traceId = randomBytes(16);
    const root = randomBytes(8);
    for (let s = 0; s < spans; s++) {
      list.push({
        traceId,
        spanId: s === 0 ? root : randomBytes(8),
        ...(s === 0 ? {} : { parentSpanId: root }),
        name: s === 0 ? 'GET /' : 'DynamoDB.GetItem',
        kind: s === 0 ? 2 : 3,
        startTimeUnixNano: String(now - 50_000_000n + BigInt(s) * 100_000n),
        endTimeUnixNano: String(now - 40_000_000n + BigInt(s) * 100_000n),
        attributes: [
          { key: 'http.response.status_code', value: { intValue: 200 } },
          ...(s === 0 ? [] : [{ key: 'rpc.system', value: { stringValue: 'aws-api' } }, { key: 'rpc.service', value: { stringValue: 'DynamoDB' } }]),
        ],
      });
    }
  }
  const body = { resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'bench' } }] }, scopeSpans: [{ spans: list }] }] };
  return Buffer.from(TraceRequest.encode(TraceRequest.fromObject(body)).finish());
}

async function pool(n, work) {
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < n) await work(next++);
  }));
}

/** Server CPU per SendMessage without and with a trace header (median of interleaved rounds). */
async function edgeCpu(sqs, target = server) {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'bench' }));
  const send = (traced) => {
    const c = new SendMessageCommand({ QueueUrl, MessageBody: 'x'.repeat(256) });
    if (traced) {
      c.middlewareStack.add((next) => (args) => {
        args.request.headers['x-amzn-trace-id'] = `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${hex(12)};Parent=${hex(8)};Sampled=1`;
        return next(args);
      }, { step: 'build' });
    }
    return sqs.send(c);
  };
  await pool(500, () => send(false));
  await pool(500, () => send(true));
  const cpu = { plain: [], traced: [] };
  for (let round = 0; round < 4; round++) {
    for (const traced of round % 2 ? [true, false] : [false, true]) {
      const a = sampleProcess(target.pid).cpuSeconds;
      await pool(EDGE_CALLS / 2, () => send(traced));
      // X-Ray stores the edge's segments once a second: wait for that write to fall in this round
      // (both kinds of round wait alike, so the idle server's own CPU counts in both).
      await new Promise((r) => setTimeout(r, 1500));
      const b = sampleProcess(target.pid).cpuSeconds;
      cpu[traced ? 'traced' : 'plain'].push(((b - a) / (EDGE_CALLS / 2)) * 1e6);
    }
  }
  return { plain: summarize(cpu.plain).p50, traced: summarize(cpu.traced).p50 };
}

const dataDir = mkdtempSync(join(tmpdir(), 'atoll-bench-xray-'));
const server = await startServer({ args: ['--services', 'xray,sqs,iam,sts'], dataDir });
const config = { endpoint: server.endpoint, region: 'us-east-1', credentials: server.credentials, requestHandler: new NodeHttpHandler({ httpAgent: new Agent({ keepAlive: true, maxSockets: 64 }) }) };
const xray = new XRayClient(config);
const sqs = new SQSClient(config);
const rows = [];
try {
  await xray.send(new GetTraceSummariesCommand({ StartTime: new Date(Date.now() - 60_000), EndTime: new Date() }));
  // 1a. OTLP protobuf.
  const bodies = Array.from({ length: OTLP_REQUESTS }, () => otlpRequest(10, 10));
  const agent = new Agent({ keepAlive: true });
  const post = (body) =>
    fetch(`${server.endpoint}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body }).then(async (r) => {
      if (r.status !== 200) throw new Error(`OTLP answered ${r.status}`);
      await r.arrayBuffer();
    });
  await post(otlpRequest(1, 10));
  const disk0 = du(dataDir);
  const mem0 = sampleProcess(server.pid);
  let t = performance.now();
  await pool(bodies.length, (i) => post(bodies[i]));
  const otlpSeconds = (performance.now() - t) / 1000;
  const spans = OTLP_REQUESTS * 100;
  const mem1 = sampleProcess(server.pid);
  const disk1 = du(dataDir);
  rows.push(['OTLP protobuf ingest', `${Math.round(spans / otlpSeconds)} spans/s (${spans} spans, 100/request, concurrency ${CONCURRENCY})`]);
  rows.push(['  server CPU per span', `${(((mem1.cpuSeconds - mem0.cpuSeconds) / spans) * 1e6).toFixed(1)} µs`]);
  rows.push(['  disk per million spans', `${(((disk1 - disk0) / spans) * 1e6 / 2 ** 20).toFixed(0)} MiB (data dir growth, WAL included)`]);
  rows.push(['  server RSS', `${mem0.rssMb.toFixed(0)} → ${mem1.rssMb.toFixed(0)} MB (state is in the database, not memory)`]);
  // 1b. PutTraceSegments.
  const now = Date.now() / 1000;
  const batches = Array.from({ length: SEGMENT_CALLS }, () =>
    Array.from({ length: 50 }, () => JSON.stringify({ name: 'seg-bench', id: hex(8), trace_id: `1-${Math.floor(now).toString(16)}-${hex(12)}`, start_time: now - 0.01, end_time: now, http: { response: { status: 200 } } })),
  );
  t = performance.now();
  await pool(batches.length, async (i) => {
    const out = await xray.send(new PutTraceSegmentsCommand({ TraceSegmentDocuments: batches[i] }));
    if (out.UnprocessedTraceSegments?.length) throw new Error('segments refused');
  });
  rows.push(['PutTraceSegments ingest', `${Math.round((SEGMENT_CALLS * 50) / ((performance.now() - t) / 1000))} segments/s (50/call, concurrency ${CONCURRENCY})`]);
  // 2. Queries.
  const hour = () => ({ StartTime: new Date(Date.now() - 3_600_000), EndTime: new Date(Date.now() + 60_000) });
  const timed = async (n, f) => {
    const l = [];
    for (let i = 0; i < n; i++) {
      const s = performance.now();
      await f();
      l.push(performance.now() - s);
    }
    return summarize(l);
  };
  const traces = OTLP_REQUESTS * 10 + SEGMENT_CALLS * 50;
  const fmt = (s) => `${s.p50.toFixed(1)} / ${s.p90.toFixed(1)} / ${s.p99.toFixed(1)} ms`;
  rows.push([`GetTraceSummaries, 1 h (${traces} traces)`, fmt(await timed(30, () => xray.send(new GetTraceSummariesCommand(hour()))))]);
  rows.push(['  with filter service("seg-bench")', fmt(await timed(30, () => xray.send(new GetTraceSummariesCommand({ ...hour(), FilterExpression: 'service("seg-bench") AND http.status = 200' }))))]);
  const big = otlpRequest(5, 100);
  await post(big);
  const decoded = TraceRequest.decode(big);
  const ids = [...new Set(decoded.resourceSpans[0].scopeSpans[0].spans.map((s) => Buffer.from(s.traceId).toString('hex')))].map((h) => `1-${h.slice(0, 8)}-${h.slice(8)}`);
  rows.push(['BatchGetTraces, 5 traces × 100 spans', fmt(await timed(50, async () => {
    const out = await xray.send(new BatchGetTracesCommand({ TraceIds: ids }));
    if (out.Traces.length !== 5) throw new Error('traces missing');
  }))]);
  // 3. Edge overhead of the tracing step (X-Ray recording every traced call).
  const e = await edgeCpu(sqs);
  rows.push(['SendMessage server CPU, no header', `${e.plain.toFixed(0)} µs/request`]);
  rows.push(['SendMessage server CPU, trace header', `${e.traced.toFixed(0)} µs/request (segment recorded and stored)`]);
  rows.push(['  tracing overhead', `${(((e.traced - e.plain) / e.plain) * 100).toFixed(1)} % (goal < 5 %; every call sampled)`]);
} finally {
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
// 3b. The same A/B on a server without X-Ray: the edge's step alone (nothing subscribes).
const bare = await startServer({ args: ['--services', 'sqs,iam,sts'] });
try {
  const e = await edgeCpu(new SQSClient({ ...config, endpoint: bare.endpoint, credentials: bare.credentials }), bare);
  rows.push(['without X-Ray: no header / header', `${e.plain.toFixed(0)} / ${e.traced.toFixed(0)} µs/request (${(((e.traced - e.plain) / e.plain) * 100).toFixed(1)} %)`]);
} finally {
  await bare.stop();
}
printTable(`X-Ray / OTLP — ${machine()}`, rows);
