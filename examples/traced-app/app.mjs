// The traced-app's web service (an ECS service behind an ALB): for each request it queues a job in
// SQS and records its own segment, with the SQS call as an `aws` subsegment. The ALB's
// X-Amzn-Trace-Id gives the trace; the SQS call carries the trace on, so that SQS, the Lambda worker
// and DynamoDB join it. The load balancer's health check is GET /health. Environment: PORT, QUEUE_URL (AWS_ENDPOINT_URL and credentials from ECS).
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { PutTraceSegmentsCommand, XRayClient } from '@aws-sdk/client-xray';

const sqs = new SQSClient({});
const xray = new XRayClient({});
const id = () => randomBytes(8).toString('hex');
const newRoot = () => `1-${Math.floor(Date.now() / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;

/** Sends `command` with an X-Amzn-Trace-Id header. */
function traced(client, command, header) {
  command.middlewareStack.add(
    (next) => (args) => {
      args.request.headers['x-amzn-trace-id'] = header;
      return next(args);
    },
    { step: 'build', name: 'traceHeader' },
  );
  return client.send(command);
}

createServer(async (req, res) => {
  if (req.url === '/health') return res.end('ok');
  const start = Date.now() / 1000;
  const incoming = String(req.headers['x-amzn-trace-id'] ?? '');
  const root = /Root=(1-[0-9a-f]{8}-[0-9a-f]{24})/.exec(incoming)?.[1] ?? newRoot();
  const parent = /Parent=([0-9a-f]{16})/.exec(incoming)?.[1];
  const segmentId = id();
  const callId = id();
  const callStart = Date.now() / 1000;
  let status = 202;
  try {
    await traced(sqs, new SendMessageCommand({ QueueUrl: process.env.QUEUE_URL, MessageBody: JSON.stringify({ path: req.url, at: Date.now() }) }), `Root=${root};Parent=${callId};Sampled=1`);
  } catch {
    status = 500;
  }
  const end = Date.now() / 1000;
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ traceId: root }));
  await xray.send(
    new PutTraceSegmentsCommand({
      TraceSegmentDocuments: [
        JSON.stringify({
          name: process.env.SERVICE_NAME ?? 'web',
          id: segmentId,
          trace_id: root,
          ...(parent ? { parent_id: parent } : {}),
          origin: 'AWS::ECS::Container',
          start_time: start,
          end_time: end,
          http: { request: { method: req.method, url: `http://${req.headers.host}${req.url}` }, response: { status } },
          ...(status >= 500 ? { fault: true } : {}),
          subsegments: [
            { id: callId, name: 'SQS', namespace: 'aws', start_time: callStart, end_time: end, aws: { operation: 'SendMessage', queue_url: process.env.QUEUE_URL } },
          ],
        }),
      ],
    }),
  ).catch(() => {});
}).listen(Number(process.env.PORT), '127.0.0.1');
