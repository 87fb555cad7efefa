// Test helpers for the proxy data planes: real upstream servers on port 0, a plain HTTP client
// without connection reuse, and polling until a condition holds.
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HealthCheckConfig, TargetGroupConfig } from '../src/config.js';

export interface Upstream {
  server: Server;
  port: number;
  requests: IncomingMessage[];
  connections: number;
  close(): Promise<void>;
}

export async function startUpstream(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Upstream> {
  const server = createServer(handler);
  const up: Upstream = {
    server,
    port: 0,
    requests: [],
    connections: 0,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  server.on('request', (req) => up.requests.push(req));
  server.on('connection', () => up.connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  up.port = (server.address() as AddressInfo).port;
  return up;
}

/** An upstream that answers with its own name, so tests can see which target served a request. */
export const named = (name: string, status = 200) => (req: IncomingMessage, res: ServerResponse): void => {
  if (req.url === '/health') {
    res.writeHead(200).end('ok');
    return;
  }
  res.writeHead(status, { 'content-type': 'text/plain', 'x-served-by': name });
  res.end(name);
};

export interface Reply {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
}

export function get(port: number, path = '/', options: { method?: string; headers?: Record<string, string>; body?: string; agent?: import('node:http').Agent | false } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers, agent: options.agent ?? false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const fastCheck = (overrides: Partial<HealthCheckConfig> = {}): HealthCheckConfig => ({
  enabled: true,
  protocol: 'HTTP',
  port: 'traffic-port',
  path: '/health',
  intervalSeconds: 0.05,
  timeoutSeconds: 0.2,
  healthyThreshold: 2,
  unhealthyThreshold: 2,
  matcher: '200',
  ...overrides,
});

export function group(id: string, ports: number[], overrides: Partial<TargetGroupConfig> = {}): TargetGroupConfig {
  return {
    id,
    protocol: 'HTTP',
    algorithm: 'round_robin',
    deregistrationDelaySeconds: 5,
    stickiness: { enabled: false, durationSeconds: 86400 },
    healthCheck: fastCheck(),
    targets: ports.map((port) => ({ id: '127.0.0.1', host: '127.0.0.1', port })),
    ...overrides,
  };
}
