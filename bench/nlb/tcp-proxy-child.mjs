// Child process for the NLB benchmark: Atoll's TCP data plane with one listener and one target.
import { TcpProxy } from '@atoll/tcp-proxy';

const [listenPort, upstreamPort] = process.argv.slice(2).map(Number);
const proxy = new TcpProxy();
proxy.setTargetGroup({
  id: 'tg', protocol: 'TCP', algorithm: 'round_robin', deregistrationDelaySeconds: 0,
  stickiness: { enabled: false, durationSeconds: 0 },
  healthCheck: { enabled: false, protocol: 'TCP', port: 'traffic-port', path: '/', intervalSeconds: 30, timeoutSeconds: 10, healthyThreshold: 5, unhealthyThreshold: 2, matcher: '200-399' },
  targets: [{ id: '127.0.0.1', host: '127.0.0.1', port: upstreamPort }],
});
await proxy.setListener({ id: 'l', host: '127.0.0.1', port: listenPort, targetGroupId: 'tg' });
process.on('SIGINT', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
process.send?.('ready');
