// HTTP_PROXY integrations: the request goes to the integration URL as it came (method, headers,
// body, query), over kept-alive connections, and the upstream's answer streams back unchanged
// but for hop-by-hop headers. An upstream that cannot be reached or times out is the caller's
// `onError` (each API kind answers it in its own words).
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

const httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 256 });
const httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 256 });

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'host', 'content-length']);

export interface ForwardRequest {
  method: string;
  url: URL;
  headers: IncomingHttpHeaders;
  body: Buffer;
  sourceIp: string;
  timeoutMs: number;
  /** Response headers to add (CORS). */
  extraHeaders?: Record<string, string>;
  /** Rewrites the answer's status and headers (HTTP APIs' response parameter mapping). */
  mapResponse?: (status: number, headers: Record<string, string | string[]>) => number;
}

export type ForwardFailure = 'unreachable' | 'timeout';

/**
 * The address to connect to for a URL: names under `localhost` (load balancers' DNS names,
 * `*.elb.localhost`) are loopback (RFC 6761), whatever the system resolver says.
 */
export function connectHost(url: URL): string {
  const name = url.hostname.replace(/^\[|\]$/g, '');
  return name === 'localhost' || name.endsWith('.localhost') ? '127.0.0.1' : name;
}

export function forward(req: ForwardRequest, res: ServerResponse, onError: (failure: ForwardFailure) => void): void {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || HOP_BY_HOP.has(name)) continue;
    headers[name] = value;
  }
  const prior = req.headers['x-forwarded-for'];
  headers['x-forwarded-for'] = prior ? `${String(prior)}, ${req.sourceIp}` : req.sourceIp;
  headers.host = req.url.host;
  if (req.body.length > 0 || !['GET', 'HEAD', 'DELETE', 'OPTIONS'].includes(req.method)) headers['content-length'] = String(req.body.length);
  const https = req.url.protocol === 'https:';
  let settled = false;
  const fail = (failure: ForwardFailure) => {
    if (settled) return;
    settled = true;
    onError(failure);
  };
  const upstream = (https ? httpsRequest : httpRequest)(
    {
      method: req.method,
      host: connectHost(req.url),
      port: req.url.port || (https ? 443 : 80),
      path: `${req.url.pathname}${req.url.search}`,
      headers,
      agent: https ? httpsAgent : httpAgent,
      timeout: req.timeoutMs,
    },
    (answer) => {
      settled = true;
      const out: Record<string, string | string[]> = { ...req.extraHeaders };
      for (const [name, value] of Object.entries(answer.headers)) {
        if (value === undefined || (HOP_BY_HOP.has(name) && name !== 'content-length')) continue;
        out[name] = value;
      }
      const status = req.mapResponse ? req.mapResponse(answer.statusCode ?? 502, out) : (answer.statusCode ?? 502);
      res.writeHead(status, out);
      answer.pipe(res);
      answer.on('error', () => res.destroy());
    },
  );
  upstream.on('timeout', () => {
    upstream.destroy();
    fail('timeout');
  });
  upstream.on('error', () => fail('unreachable'));
  upstream.end(req.body.length > 0 ? req.body : undefined);
}
