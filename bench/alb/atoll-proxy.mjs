// Child process for the ALB benchmark: `atoll` runs the real data plane (@atoll/http-proxy) with one
// listener forwarding to one target; `agent` and `naive` are reference Node proxies (http.request
// with a keep-alive Agent, and without one) for the undici-vs-Agent comparison.
import http from 'node:http';
import { HttpProxy } from '@atoll/http-proxy';

const [mode, listenPort, upstreamPort] = process.argv.slice(2);

if (mode === 'atoll') {
  const proxy = new HttpProxy();
  proxy.setTargetGroup({
    id: 'tg', protocol: 'HTTP', algorithm: 'round_robin', deregistrationDelaySeconds: 0,
    stickiness: { enabled: false, durationSeconds: 86400 },
    healthCheck: { enabled: false, protocol: 'HTTP', port: 'traffic-port', path: '/', intervalSeconds: 30, timeoutSeconds: 5, healthyThreshold: 5, unhealthyThreshold: 2, matcher: '200' },
    targets: [{ id: '127.0.0.1', host: '127.0.0.1', port: Number(upstreamPort) }],
  });
  await proxy.setListener({
    id: 'l', host: '127.0.0.1', port: Number(listenPort), protocol: 'HTTP', idleTimeoutSeconds: 60,
    rules: [{ priority: Infinity, conditions: [], action: { type: 'forward', targetGroups: [{ id: 'tg', weight: 1 }], stickinessSeconds: 0 } }],
  });
} else {
  const agent = mode === 'agent' ? new http.Agent({ keepAlive: true, maxSockets: 1024 }) : undefined;
  http.createServer((req, res) => {
    const up = http.request({ host: '127.0.0.1', port: Number(upstreamPort), path: req.url, method: req.method, headers: req.headers, agent }, (r) => {
      res.writeHead(r.statusCode, r.headers);
      r.pipe(res);
    });
    up.on('error', () => { res.statusCode = 502; res.end(); });
    req.pipe(up);
  }).listen(Number(listenPort), '127.0.0.1');
}
process.on('SIGINT', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
process.send?.('ready');
