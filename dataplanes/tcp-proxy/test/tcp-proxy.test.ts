import { test, describe, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import type { TargetGroupConfig } from '@atoll/http-proxy';
import { TcpProxy, flowHash, proxyProtocolV2Header } from '../src/tcp-proxy.js';

async function echoServer(name: string): Promise<{ server: Server; port: number; sockets: Set<Socket>; received: Buffer[] }> {
  const sockets = new Set<Socket>();
  const received: Buffer[] = [];
  const server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    s.on('data', (d) => {
      received.push(d);
      s.write(`${name}:${d.toString()}`);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port, sockets, received };
}

function group(ports: number[], overrides: Partial<TargetGroupConfig> = {}): TargetGroupConfig {
  return {
    id: 'tg',
    protocol: 'TCP',
    algorithm: 'round_robin',
    deregistrationDelaySeconds: 5,
    stickiness: { enabled: false, durationSeconds: 0 },
    healthCheck: { enabled: true, protocol: 'TCP', port: 'traffic-port', path: '/', intervalSeconds: 0.05, timeoutSeconds: 0.2, healthyThreshold: 2, unhealthyThreshold: 2, matcher: '200-399' },
    targets: ports.map((port) => ({ id: '127.0.0.1', host: '127.0.0.1', port })),
    ...overrides,
  };
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function exchange(port: number, text: string): Promise<{ reply: string; socket: Socket }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(text));
    socket.once('data', (d) => resolve({ reply: d.toString(), socket }));
    socket.once('error', reject);
    socket.once('close', () => resolve({ reply: '', socket }));
  });
}

describe('TCP proxy', () => {
  let proxy: TcpProxy;
  const servers: Server[] = [];
  before(() => {
    proxy = new TcpProxy();
  });
  after(async () => {
    await proxy.close();
    for (const s of servers) {
      s.close();
    }
  });

  test('splices bytes both ways to a healthy target', async () => {
    const a = await echoServer('a');
    servers.push(a.server);
    proxy.setTargetGroup(group([a.port]));
    const port = await proxy.setListener({ id: 'l1', host: '127.0.0.1', port: 0, targetGroupId: 'tg' });
    await until(() => proxy.targetHealth('tg')[0]?.state === 'healthy', 'healthy');
    const { reply, socket } = await exchange(port, 'hello');
    assert.equal(reply, 'a:hello');
    socket.destroy();
  });

  test('flows spread over the targets by their 5-tuple hash', async () => {
    const b = await echoServer('b');
    servers.push(b.server);
    const a = proxy.targetHealth('tg')[0]!.port;
    proxy.setTargetGroup(group([a, b.port]));
    await until(() => proxy.targetHealth('tg').filter((h) => h.state === 'healthy').length === 2, 'two healthy');
    const seen = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const { reply, socket } = await exchange(proxy.listenerPort('l1')!, 'x');
      seen.add(reply.split(':')[0]!);
      socket.destroy();
    }
    assert.deepEqual([...seen].sort(), ['a', 'b']);
  });

  test('the flow hash is stable for the same 5-tuple', () => {
    assert.equal(flowHash('10.0.0.1', 5000, '10.0.0.2', 80), flowHash('10.0.0.1', 5000, '10.0.0.2', 80));
    assert.notEqual(flowHash('10.0.0.1', 5000, '10.0.0.2', 80), flowHash('10.0.0.1', 5001, '10.0.0.2', 80));
  });

  test('a target that stops accepting connections becomes unhealthy with Target.FailedHealthChecks', async () => {
    const c = await echoServer('c');
    proxy.setTargetGroup({ ...group([c.port]), id: 'tg-c' });
    await proxy.setListener({ id: 'l-c', host: '127.0.0.1', port: 0, targetGroupId: 'tg-c' });
    await until(() => proxy.targetHealth('tg-c')[0]?.state === 'healthy', 'healthy');
    await new Promise<void>((r) => c.server.close(() => r()));
    await until(() => proxy.targetHealth('tg-c')[0]?.state === 'unhealthy', 'unhealthy');
    assert.equal(proxy.targetHealth('tg-c')[0]!.reason, 'Target.FailedHealthChecks');
  });

  test('a listener without a healthy target resets new connections', async () => {
    const outcome = await exchange(proxy.listenerPort('l-c')!, 'anyone?').then(
      (r) => r.reply,
      (error: NodeJS.ErrnoException) => error.code,
    );
    assert.ok(outcome === 'ECONNRESET' || outcome === '', `got ${outcome}`);
  });

  test('a deregistered target keeps its open flows while draining and gets no new ones', async () => {
    const d = await echoServer('d');
    const e = await echoServer('e');
    servers.push(d.server, e.server);
    proxy.setTargetGroup({ ...group([d.port]), id: 'tg-d' });
    const port = await proxy.setListener({ id: 'l-d', host: '127.0.0.1', port: 0, targetGroupId: 'tg-d' });
    await until(() => proxy.targetHealth('tg-d')[0]?.state === 'healthy', 'healthy');
    const open = await exchange(port, 'one');
    assert.equal(open.reply, 'd:one');
    proxy.setTargetGroup({ ...group([e.port]), id: 'tg-d' });
    await until(() => proxy.targetHealth('tg-d').some((h) => h.port === e.port && h.state === 'healthy'), 'new target healthy');
    assert.equal(proxy.targetHealth('tg-d').find((h) => h.port === d.port)?.state, 'draining');
    const fresh = await exchange(port, 'two');
    assert.equal(fresh.reply, 'e:two');
    const again = await new Promise<string>((resolve) => {
      open.socket.once('data', (x) => resolve(x.toString()));
      open.socket.write('three');
    });
    assert.equal(again, 'd:three');
    open.socket.destroy();
    fresh.socket.destroy();
    await until(() => proxy.targetHealth('tg-d').every((h) => h.port !== d.port), 'drained');
  });

  test('with proxy_protocol_v2 the target first receives a PROXY v2 header with the client address', async () => {
    const f = await echoServer('f');
    servers.push(f.server);
    proxy.setTargetGroup({ ...group([f.port], { proxyProtocolV2: true }), id: 'tg-f' });
    const port = await proxy.setListener({ id: 'l-f', host: '127.0.0.1', port: 0, targetGroupId: 'tg-f' });
    await until(() => proxy.targetHealth('tg-f')[0]?.state === 'healthy', 'healthy');
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((r) => socket.once('connect', () => r()));
    socket.write('payload');
    await until(() => Buffer.concat(f.received).includes('payload'), 'payload');
    const data = Buffer.concat(f.received);
    assert.deepEqual(data.subarray(0, 12), Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]));
    assert.equal(data[12], 0x21);
    assert.equal(data[13], 0x11);
    assert.equal(data.readUInt16BE(24), socket.localPort);
    assert.equal(data.readUInt16BE(26), port);
    assert.deepEqual([...data.subarray(16, 20)], [127, 0, 0, 1]);
    socket.destroy();
  });

  test('PROXY v2 headers for IPv6 clients carry 16-byte addresses', () => {
    const h = proxyProtocolV2Header('::1', 1234, '::1', 80);
    assert.equal(h[13], 0x21);
    assert.equal(h.readUInt16BE(14), 36);
    assert.equal(h.length, 52);
  });
});
