// The cost of platform metrics from API calls (edge.ApiCallCompleted → AWS/SQS counts), same run:
// SQS SendMessage latency and throughput on a server without CloudWatch (no subscriber: the edge
// builds no event) and on one with CloudWatch (each call becomes an event, aggregated and written
// once a second), then checks that the second server counted every message.
//   node bench/cloudwatch-platform-metrics/api-call-overhead.mjs [calls=4000] [concurrency=8]
import { Agent } from 'node:http';
import { performance } from 'node:perf_hooks';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { CreateQueueCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { CloudWatchClient, GetMetricStatisticsCommand, ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import { machine, printTable, startServer, summarize } from '../lib/report.mjs';

const CALLS = Number(process.argv[2] ?? 4000);
const CONCURRENCY = Number(process.argv[3] ?? 8);

async function run(services) {
  const server = await startServer({ args: ['--services', services] });
  try {
    const config = { endpoint: server.endpoint, region: 'us-east-1', credentials: server.credentials, requestHandler: new NodeHttpHandler({ httpAgent: new Agent({ keepAlive: true, maxSockets: 64 }) }) };
    const sqs = new SQSClient(config);
    const cw = services.includes('cloudwatch') ? new CloudWatchClient(config) : undefined;
    if (cw) await cw.send(new ListMetricsCommand({}));
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'bench' }));
    for (let i = 0; i < 200; i++) await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'warm-up' }));
    const latencies = [];
    let next = 0;
    const began = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < CALLS) {
          next++;
          const t = performance.now();
          await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x'.repeat(256) }));
          latencies.push(performance.now() - t);
        }
      }),
    );
    const seconds = (performance.now() - began) / 1000;
    let counted;
    if (cw) {
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline) {
        const out = await cw.send(new GetMetricStatisticsCommand({ Namespace: 'AWS/SQS', MetricName: 'NumberOfMessagesSent', Dimensions: [{ Name: 'QueueName', Value: 'bench' }], StartTime: new Date(Date.now() - 3_600_000), EndTime: new Date(Date.now() + 120_000), Period: 3600, Statistics: ['Sum'] }));
        counted = (out.Datapoints ?? []).reduce((s, d) => s + (d.Sum ?? 0), 0);
        if (counted >= CALLS + 200) break;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    return { latency: summarize(latencies), rate: CALLS / seconds, counted };
  } finally {
    await server.stop();
  }
}

const without = await run('sqs,iam,sts');
const withCw = await run('sqs,cloudwatch,iam,sts');
const f = (r) => `${r.latency.p50.toFixed(2)} / ${r.latency.p90.toFixed(2)} / ${r.latency.p99.toFixed(2)} ms, ${Math.round(r.rate)} calls/s`;
printTable(`SendMessage x${CALLS}, concurrency ${CONCURRENCY} (p50 / p90 / p99) — ${machine()}`, [
  ['without CloudWatch (no event built)', f(without)],
  ['with CloudWatch (event + aggregation)', f(withCw)],
  ['p50 overhead', `${(((withCw.latency.p50 - without.latency.p50) / without.latency.p50) * 100).toFixed(1)} %`],
  ['NumberOfMessagesSent counted', `${withCw.counted} of ${CALLS + 200}`],
]);
