// The OTLP/HTTP receiver: POST /v1/traces, /v1/logs and /v1/metrics with protobuf
// (`application/x-protobuf`) or JSON (`application/json`) bodies, gzip or not. Served as routes of
// the platform's listener and on its own port (4318, ATOLL_OTLP_PORT). Spans become X-Ray segments
// (span-mapping.ts); logs and metrics go to CloudWatch Logs and CloudWatch (otlp-forward.ts).
// Answers as the OTLP spec says: 200 with a partial success naming what was rejected, 400 with a
// google.rpc.Status for a body that does not decode, 415 for other media types, 405 for other methods.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { gunzipSync } from 'node:zlib';
import type { CallContext, HttpRoute, PlatformContext } from '@atoll/core';
import { decodeRequest, encodeResponse, encodeStatus, OtlpDecodeError, type Signal } from './otlp-codec.js';
import { forwardLogs, forwardMetrics, type Forwarded } from './otlp-forward.js';
import { attributes, type KeyValue } from './otlp-values.js';
import { spanToSegment, type OtlpSpan } from './span-mapping.js';
import type { RejectedSegment } from '../segment-document.js';

const MAX_BODY = 16 * 1024 * 1024;
const PATHS: Record<string, Signal> = { '/v1/traces': 'traces', '/v1/logs': 'logs', '/v1/metrics': 'metrics' };

export interface OtlpSink {
  platform: PlatformContext;
  ingest(accountId: string, region: string, documents: readonly string[], options: { anyTraceEpoch?: boolean }): Promise<RejectedSegment[]>;
}

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        resolve(undefined);
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

async function exportTraces(sink: OtlpSink, ctx: CallContext, request: { resourceSpans?: { resource?: { attributes?: KeyValue[] }; scopeSpans?: { spans?: OtlpSpan[] }[] }[] }): Promise<Forwarded> {
  const docs: string[] = [];
  let invalid = 0;
  for (const rs of request.resourceSpans ?? []) {
    const resource = attributes(rs.resource?.attributes);
    for (const span of (rs.scopeSpans ?? []).flatMap((s) => s.spans ?? [])) {
      const doc = spanToSegment(span, resource);
      if (doc) docs.push(JSON.stringify(doc));
      else invalid++;
    }
  }
  const rejected = await sink.ingest(ctx.accountId, ctx.region, docs, { anyTraceEpoch: true });
  const count = invalid + rejected.length;
  const error = count
    ? [invalid ? `${invalid} spans with an invalid trace or span id` : '', ...new Set(rejected.map((r) => `rejected: ${r.code}`))].filter(Boolean).join('; ')
    : '';
  return { accepted: docs.length - rejected.length, rejected: count, error };
}

/** Handles one OTLP/HTTP request; `ctx` names the account and region the data goes to. */
export async function handleOtlp(sink: OtlpSink, req: IncomingMessage, res: ServerResponse, ctx: CallContext): Promise<void> {
  const path = (req.url ?? '/').split('?')[0]!;
  const signal = PATHS[path];
  const type = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const binary = type !== 'application/json';
  const send = (status: number, body: Buffer) => {
    res.writeHead(status, { 'content-type': binary ? 'application/x-protobuf' : 'application/json', 'content-length': body.length });
    res.end(body);
  };
  if (!signal) return send(404, encodeStatus(binary, 5, `no OTLP signal at ${path}`));
  if (req.method !== 'POST') {
    res.setHeader('allow', 'POST');
    return send(405, encodeStatus(binary, 12, 'OTLP/HTTP accepts POST only'));
  }
  if (type !== 'application/x-protobuf' && type !== 'application/json') {
    req.resume();
    return send(415, encodeStatus(true, 3, `unsupported content type ${type || '(none)'}: use application/x-protobuf or application/json`));
  }
  let body = await readBody(req);
  if (!body) return send(413, encodeStatus(binary, 8, `the body is larger than ${MAX_BODY} bytes`));
  let request: Record<string, unknown>;
  try {
    if (String(req.headers['content-encoding'] ?? '').toLowerCase() === 'gzip') body = gunzipSync(body);
    request = decodeRequest(signal, body, binary);
  } catch (e) {
    if (e instanceof OtlpDecodeError || (e as NodeJS.ErrnoException).code?.startsWith('Z_')) return send(400, encodeStatus(binary, 3, (e as Error).message));
    throw e;
  }
  const result =
    signal === 'traces'
      ? await exportTraces(sink, ctx, request)
      : signal === 'logs'
        ? await forwardLogs(sink.platform, ctx, request)
        : await forwardMetrics(sink.platform, ctx, request);
  send(200, encodeResponse(signal, binary, result.rejected, result.error));
}

/** The receiver as routes of the platform's listener. */
export function otlpRoutes(sink: OtlpSink): HttpRoute[] {
  return Object.keys(PATHS).map((path) => ({
    method: '*',
    path,
    handle: (req, res, ctx) => handleOtlp(sink, req, res, { accountId: ctx.accountId, region: ctx.region }),
  }));
}

/** The receiver on its own port; resolves with the bound port. */
export async function startOtlpListener(sink: OtlpSink, host: string, port: number): Promise<{ server: Server; port: number }> {
  const { config, logger } = sink.platform;
  const server = createServer((req, res) => {
    handleOtlp(sink, req, res, { accountId: config.accountId, region: config.region }).catch((error: unknown) => {
      logger.error({ err: error }, 'otlp: request failed');
      if (!res.headersSent) {
        res.writeHead(500);
        res.end();
      } else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  return { server, port: typeof address === 'object' && address ? address.port : port };
}
