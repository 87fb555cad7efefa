import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as prom from 'prom-client';
import { RequestMetrics } from './metrics.js';

type Observation = [service: string, operation: string, status: number, seconds: number, code?: string];

const OBSERVATIONS: Observation[] = [
  ['dynamodb', 'GetItem', 200, 0.0004],
  ['dynamodb', 'GetItem', 200, 0.003],
  ['s3', 'GetObject', 404, 0.0007, 'NoSuchKey'],
  ['dynamodb', 'GetItem', 400, 0.0012, 'ResourceNotFoundException'],
  ['dynamodb', 'PutItem', 200, 12],
  ['s3', 'GetObject', 200, 0.0005],
  ['sqs', 'Send"Odd\\Name', 500, 0.2, 'Internal\nError'],
];

/** The same metrics, kept by prom-client itself (what the edge used before). */
async function promClientText(observations: Observation[]): Promise<string> {
  const registry = new prom.Registry();
  const requests = new prom.Counter({ name: 'atoll_requests_total', help: 'AWS API requests handled, by service, operation and HTTP status', labelNames: ['service', 'operation', 'status'], registers: [registry] });
  const errors = new prom.Counter({ name: 'atoll_request_errors_total', help: 'AWS API requests that ended in an error, by error code', labelNames: ['service', 'operation', 'code'], registers: [registry] });
  const latency = new prom.Histogram({
    name: 'atoll_request_duration_seconds',
    help: 'Time from the first byte of the request to the response, by operation',
    labelNames: ['service', 'operation'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  for (const [service, operation, status, seconds, code] of observations) {
    requests.inc({ service, operation, status: String(status) });
    latency.observe({ service, operation }, seconds);
    if (code) errors.inc({ service, operation, code });
  }
  return registry.metrics();
}

const sortedLines = (text: string): string[] => text.split('\n').filter((line) => line !== '').sort();

test('the request metrics read as prom-client writes the same observations', async () => {
  const metrics = new RequestMetrics({ processMetrics: false });
  for (const o of OBSERVATIONS) metrics.record(...o);
  assert.deepEqual(sortedLines(metrics.renderRequests()), sortedLines(await promClientText(OBSERVATIONS)));
});

test('the scrape answers before and after prom-client loads, with the process metrics once asked for', async () => {
  const metrics = new RequestMetrics({ processMetrics: true });
  metrics.record('sts', 'GetCallerIdentity', 200, 0.001);
  const { body, contentType } = await metrics.render();
  assert.match(contentType, /^text\/plain/);
  assert.match(body, /^atoll_requests_total\{service="sts",operation="GetCallerIdentity",status="200"\} 1$/m);
  assert.match(body, /^atoll_request_duration_seconds_bucket\{le="0\.001",service="sts",operation="GetCallerIdentity"\} 1$/m);
  assert.match(body, /^atoll_request_duration_seconds_bucket\{le="0\.0005",service="sts",operation="GetCallerIdentity"\} 0$/m);
  assert.match(body, /^# TYPE atoll_process_cpu_seconds_total counter$/m);
});
