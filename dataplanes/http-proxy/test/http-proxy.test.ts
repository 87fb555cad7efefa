import { test, describe, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, Agent } from 'node:http';
import { createServer as createNetServer, connect, type AddressInfo } from 'node:net';
import { HttpProxy } from '../src/http-proxy.js';
import type { ActionConfig, RuleConfig } from '../src/config.js';
import { fastCheck, get, group, named, startUpstream, until, type Upstream } from './helpers.js';

const forward = (...ids: string[]): ActionConfig => ({ type: 'forward', targetGroups: ids.map((id) => ({ id, weight: 1 })), stickinessSeconds: 0 });
const defaultRule = (action: ActionConfig): RuleConfig => ({ priority: Infinity, conditions: [], action });

async function listen(proxy: HttpProxy, rules: RuleConfig[], idleTimeoutSeconds = 60): Promise<number> {
  return proxy.setListener({ id: `l-${Math.random()}`, host: '127.0.0.1', port: 0, protocol: 'HTTP', idleTimeoutSeconds, rules });
}

async function healthy(proxy: HttpProxy, id: string, count: number): Promise<void> {
  await until(() => proxy.targetHealth(id).filter((h) => h.state === 'healthy').length === count, `${count} healthy targets in ${id}`);
}

describe('forwarding', () => {
  let proxy: HttpProxy;
  let echo: Upstream;
  let port: number;
  before(async () => {
    echo = await startUpstream((req, res) => {
      if (req.url === '/health') return void res.end('ok');
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        res.writeHead(201, { 'content-type': 'application/json', 'x-upstream': 'yes' });
        res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString() }));
      });
    });
    proxy = new HttpProxy();
    proxy.setTargetGroup(group('tg', [echo.port]));
    port = await listen(proxy, [defaultRule(forward('tg'))]);
    await healthy(proxy, 'tg', 1);
  });
  after(async () => {
    await proxy.close();
    await echo.close();
  });

  test('passes method, path, query, headers and body through and relays the status and headers', async () => {
    const r = await get(port, '/a/b?x=1&y=2', { method: 'POST', headers: { 'x-custom': 'v', 'content-type': 'text/plain' }, body: 'hello' });
    assert.equal(r.status, 201);
    assert.equal(r.headers['x-upstream'], 'yes');
    const seen = JSON.parse(r.body);
    assert.equal(seen.method, 'POST');
    assert.equal(seen.url, '/a/b?x=1&y=2');
    assert.equal(seen.body, 'hello');
    assert.equal(seen.headers['x-custom'], 'v');
    assert.equal(seen.headers.host, `127.0.0.1:${port}`);
  });

  test('adds X-Forwarded-For, -Proto, -Port and an X-Amzn-Trace-Id root', async () => {
    const r = await get(port, '/', { headers: { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'spoofed' } });
    const h = JSON.parse(r.body).headers;
    assert.equal(h['x-forwarded-for'], '203.0.113.9, 127.0.0.1');
    assert.equal(h['x-forwarded-proto'], 'http');
    assert.equal(h['x-forwarded-port'], String(port));
    assert.match(h['x-amzn-trace-id'], /^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
  });

  test('keeps an incoming X-Amzn-Trace-Id', async () => {
    const r = await get(port, '/', { headers: { 'x-amzn-trace-id': 'Root=1-5759e988-bd862e3fe1be46a994272793' } });
    assert.equal(JSON.parse(r.body).headers['x-amzn-trace-id'], 'Root=1-5759e988-bd862e3fe1be46a994272793');
  });

  test('streams a chunked request body without a content length', async () => {
    const r = await get(port, '/', { method: 'PUT', headers: { 'transfer-encoding': 'chunked' }, body: 'x'.repeat(100_000) });
    assert.equal(JSON.parse(r.body).body.length, 100_000);
  });

  test('reuses upstream connections across requests (keep-alive pool)', async () => {
    const from = echo.requests.length;
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    for (let i = 0; i < 20; i++) assert.equal((await get(port, '/pooled', { agent })).status, 201);
    agent.destroy();
    // Health probes have their own connections; only the proxied requests count here.
    const sockets = new Set(echo.requests.slice(from).filter((r) => r.url === '/pooled').map((r) => r.socket));
    assert.equal(sockets.size, 1, `used ${sockets.size} upstream connections for 20 requests`);
  });
});

describe('rules', () => {
  let proxy: HttpProxy;
  const ups: Upstream[] = [];
  let port: number;
  before(async () => {
    proxy = new HttpProxy();
    for (const name of ['api', 'img', 'hdr', 'post', 'query', 'src', 'default']) {
      const up = await startUpstream(named(name));
      ups.push(up);
      proxy.setTargetGroup(group(name, [up.port]));
    }
    port = await listen(proxy, [
      { priority: 10, conditions: [{ field: 'path-pattern', values: ['/api/*'] }, { field: 'host-header', values: ['*.example.com'] }], action: forward('api') },
      { priority: 5, conditions: [{ field: 'path-pattern', values: ['/img/?.png'] }], action: forward('img') },
      { priority: 20, conditions: [{ field: 'http-header', name: 'X-Env', values: ['stag*'] }], action: forward('hdr') },
      { priority: 30, conditions: [{ field: 'http-request-method', values: ['POST', 'PATCH'] }], action: forward('post') },
      { priority: 40, conditions: [{ field: 'query-string', values: [{ key: 'version', value: 'v2' }, { value: 'beta*' }] }], action: forward('query') },
      { priority: 50, conditions: [{ field: 'source-ip', values: ['10.0.0.0/8'] }], action: forward('src') },
      { priority: 60, conditions: [{ field: 'path-pattern', values: ['/old/*'] }], action: { type: 'redirect', protocol: 'HTTPS', port: '443', host: '#{host}', path: '/new/#{path}', query: '#{query}&from=old', statusCode: 301 } },
      { priority: 70, conditions: [{ field: 'path-pattern', values: ['/fixed'] }], action: { type: 'fixed-response', statusCode: 418, contentType: 'text/plain', body: 'teapot' } },
      { priority: 80, conditions: [{ field: 'path-pattern', values: ['/src-ok'] }, { field: 'source-ip', values: ['127.0.0.0/8'] }], action: forward('src') },
      defaultRule(forward('default')),
    ]);
    for (const name of ['api', 'img', 'hdr', 'post', 'query', 'src', 'default']) await healthy(proxy, name, 1);
  });
  after(async () => {
    await proxy.close();
    for (const up of ups) await up.close();
  });

  const served = async (path: string, options: Parameters<typeof get>[2] = {}) => (await get(port, path, options)).body;

  test('host-header and path-pattern conditions must both hold', async () => {
    assert.equal(await served('/api/users', { headers: { host: 'www.example.com' } }), 'api');
    assert.equal(await served('/api/users', { headers: { host: 'www.example.org' } }), 'default');
    assert.equal(await served('/api/users', { headers: { host: 'WWW.EXAMPLE.COM:8080' } }), 'api');
  });

  test('a question mark matches exactly one character', async () => {
    assert.equal(await served('/img/a.png'), 'img');
    assert.equal(await served('/img/ab.png'), 'default');
  });

  test('http-header values match case-insensitively with wildcards', async () => {
    assert.equal(await served('/', { headers: { 'x-env': 'STAGING' } }), 'hdr');
    assert.equal(await served('/', { headers: { 'x-env': 'prod' } }), 'default');
  });

  test('http-request-method matches any listed method', async () => {
    assert.equal(await served('/', { method: 'PATCH' }), 'post');
    assert.equal(await served('/', { method: 'DELETE' }), 'default');
  });

  test('query-string matches a key/value pair or a value under any key', async () => {
    assert.equal(await served('/?a=1&version=v2'), 'query');
    assert.equal(await served('/?channel=beta3'), 'query');
    assert.equal(await served('/?version=v1'), 'default');
  });

  test('source-ip matches the client address against CIDR blocks', async () => {
    assert.equal(await served('/src-ok'), 'src');
    assert.equal(await served('/other'), 'default');
  });

  test('rules are evaluated by priority, lowest first', async () => {
    assert.equal(await served('/img/a.png', { method: 'POST' }), 'img');
  });

  test('a redirect fills the #{host}, #{path} and #{query} placeholders', async () => {
    const r = await get(port, '/old/page?x=1', { headers: { host: 'shop.test:8080' } });
    assert.equal(r.status, 301);
    assert.equal(r.headers.location, 'https://shop.test/new/old/page?x=1&from=old');
  });

  test('a fixed response answers with its status, type and body', async () => {
    const r = await get(port, '/fixed');
    assert.equal(r.status, 418);
    assert.equal(r.headers['content-type'], 'text/plain');
    assert.equal(r.body, 'teapot');
  });

  test('a rule change applies to the next request without rebinding', async () => {
    const id = `l-swap`;
    const p = await proxy.setListener({ id, host: '127.0.0.1', port: 0, protocol: 'HTTP', idleTimeoutSeconds: 60, rules: [defaultRule(forward('api'))] });
    assert.equal((await get(p, '/')).body, 'api');
    const again = await proxy.setListener({ id, host: '127.0.0.1', port: p, protocol: 'HTTP', idleTimeoutSeconds: 60, rules: [defaultRule(forward('img'))] });
    assert.equal(again, p);
    assert.equal((await get(p, '/')).body, 'img');
    await proxy.removeListener(id);
  });
});

describe('balancing', () => {
  let proxy: HttpProxy;
  const ups: Upstream[] = [];
  before(async () => {
    proxy = new HttpProxy();
    for (const name of ['a', 'b', 'c']) ups.push(await startUpstream(named(name)));
  });
  after(async () => {
    await proxy.close();
    for (const up of ups) await up.close();
  });

  test('round robin spreads requests evenly over healthy targets', async () => {
    proxy.setTargetGroup(group('rr', [ups[0]!.port, ups[1]!.port]));
    const port = await listen(proxy, [defaultRule(forward('rr'))]);
    await healthy(proxy, 'rr', 2);
    const counts: Record<string, number> = {};
    for (let i = 0; i < 10; i++) {
      const body = (await get(port)).body;
      counts[body] = (counts[body] ?? 0) + 1;
    }
    assert.deepEqual(counts, { a: 5, b: 5 });
  });

  test('weighted forwarding never sends traffic to a group of weight 0', async () => {
    proxy.setTargetGroup(group('w-a', [ups[0]!.port]));
    proxy.setTargetGroup(group('w-c', [ups[2]!.port]));
    const port = await listen(proxy, [defaultRule({ type: 'forward', targetGroups: [{ id: 'w-a', weight: 0 }, { id: 'w-c', weight: 10 }], stickinessSeconds: 0 })]);
    await healthy(proxy, 'w-c', 1);
    for (let i = 0; i < 10; i++) assert.equal((await get(port)).body, 'c');
  });

  test('group stickiness keeps a client on the group named by its AWSALBTG cookie', async () => {
    proxy.setTargetGroup(group('g-a', [ups[0]!.port]));
    proxy.setTargetGroup(group('g-b', [ups[1]!.port]));
    const port = await listen(proxy, [defaultRule({ type: 'forward', targetGroups: [{ id: 'g-a', weight: 1 }, { id: 'g-b', weight: 1 }], stickinessSeconds: 300 })]);
    await healthy(proxy, 'g-a', 1);
    await healthy(proxy, 'g-b', 1);
    const first = await get(port);
    const cookie = String(first.headers['set-cookie']?.find((c) => c.startsWith('AWSALBTG='))).split(';')[0]!;
    assert.match(cookie, /^AWSALBTG=/);
    for (let i = 0; i < 8; i++) assert.equal((await get(port, '/', { headers: { cookie } })).body, first.body);
  });

  test('target stickiness keeps a client on the target named by its AWSALB cookie', async () => {
    proxy.setTargetGroup(group('sticky', [ups[0]!.port, ups[1]!.port, ups[2]!.port], { stickiness: { enabled: true, durationSeconds: 60 } }));
    const port = await listen(proxy, [defaultRule(forward('sticky'))]);
    await healthy(proxy, 'sticky', 3);
    const first = await get(port);
    const setCookie = first.headers['set-cookie']!.find((c) => c.startsWith('AWSALB='))!;
    assert.match(setCookie, /; Expires=.*; Path=\//);
    const cookie = setCookie.split(';')[0]!;
    for (let i = 0; i < 9; i++) assert.equal((await get(port, '/', { headers: { cookie: `other=1; ${cookie}` } })).body, first.body);
  });
});

describe('health and failures', () => {
  let proxy: HttpProxy;
  const closers: (() => Promise<void>)[] = [];
  before(() => {
    proxy = new HttpProxy();
  });
  after(async () => {
    await proxy.close();
    for (const c of closers) await c();
  });

  test('a target failing its health check becomes unhealthy with Target.ResponseCodeMismatch, and the listener answers 503', async () => {
    let status = 200;
    const up = await startUpstream((req, res) => void res.writeHead(req.url === '/health' ? status : 200).end('fine'));
    closers.push(() => up.close());
    proxy.setTargetGroup(group('flaky', [up.port]));
    const port = await listen(proxy, [defaultRule(forward('flaky'))]);
    await healthy(proxy, 'flaky', 1);
    assert.equal((await get(port)).status, 200);
    status = 500;
    await until(() => proxy.targetHealth('flaky')[0]?.state === 'unhealthy', 'unhealthy');
    assert.equal(proxy.targetHealth('flaky')[0]!.reason, 'Target.ResponseCodeMismatch');
    const r = await get(port);
    assert.equal(r.status, 503);
    assert.equal(r.headers.server, 'awselb/2.0');
    assert.equal(r.body, '<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n</body>\r\n</html>\r\n');
    status = 200;
    await healthy(proxy, 'flaky', 1);
    assert.equal((await get(port)).status, 200);
  });

  test('a health check that gets no answer in time reports Target.Timeout', async () => {
    const up = await startUpstream((req, res) => {
      if (req.url !== '/health') res.end('ok');
    });
    closers.push(() => up.close());
    proxy.setTargetGroup(group('slow-hc', [up.port], { healthCheck: fastCheck({ timeoutSeconds: 0.05, intervalSeconds: 0.1 }) }));
    await listen(proxy, [defaultRule(forward('slow-hc'))]);
    await until(() => proxy.targetHealth('slow-hc')[0]?.state === 'unhealthy', 'unhealthy');
    assert.equal(proxy.targetHealth('slow-hc')[0]!.reason, 'Target.Timeout');
  });

  test('a target that refuses connections reports Target.FailedHealthChecks', async () => {
    const up = await startUpstream(named('x'));
    const deadPort = up.port;
    await up.close();
    proxy.setTargetGroup(group('dead', [deadPort]));
    await listen(proxy, [defaultRule(forward('dead'))]);
    await until(() => proxy.targetHealth('dead')[0]?.state === 'unhealthy', 'unhealthy');
    assert.equal(proxy.targetHealth('dead')[0]!.reason, 'Target.FailedHealthChecks');
  });

  test('a target that dies between health checks gives 502 for that request only', async () => {
    const up = await startUpstream(named('gone'));
    proxy.setTargetGroup(group('dies', [up.port], { healthCheck: fastCheck({ intervalSeconds: 60 }) }));
    const port = await listen(proxy, [defaultRule(forward('dies'))]);
    await until(() => proxy.targetHealth('dies')[0]?.state === 'healthy', 'healthy', 5000);
    await up.close();
    const r = await get(port);
    assert.equal(r.status, 502);
    assert.match(r.body, /<title>502 Bad Gateway<\/title>/);
  });

  test('a target that sends garbage gives 502, and one that resets gives 502, and the proxy keeps serving', async () => {
    const garbage = createNetServer((s) => {
      s.once('data', (d) => {
        if (d.toString().startsWith('GET /health')) s.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok');
        else s.end('this is not http at all\r\n\r\n');
      });
    });
    const reset = createNetServer((s) => {
      s.once('data', (d) => {
        if (d.toString().startsWith('GET /health')) s.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok');
        else s.resetAndDestroy();
      });
    });
    await new Promise<void>((r) => garbage.listen(0, '127.0.0.1', r));
    await new Promise<void>((r) => reset.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise((r) => garbage.close(() => r())), () => new Promise((r) => reset.close(() => r())));
    const good = await startUpstream(named('good'));
    closers.push(() => good.close());
    proxy.setTargetGroup(group('garbage', [(garbage.address() as AddressInfo).port]));
    proxy.setTargetGroup(group('reset', [(reset.address() as AddressInfo).port]));
    proxy.setTargetGroup(group('good', [good.port]));
    const port = await listen(proxy, [
      { priority: 1, conditions: [{ field: 'path-pattern', values: ['/garbage'] }], action: forward('garbage') },
      { priority: 2, conditions: [{ field: 'path-pattern', values: ['/reset'] }], action: forward('reset') },
      defaultRule(forward('good')),
    ]);
    await healthy(proxy, 'garbage', 1);
    await healthy(proxy, 'reset', 1);
    await healthy(proxy, 'good', 1);
    const [g, r, ok] = await Promise.all([get(port, '/garbage'), get(port, '/reset'), get(port, '/')]);
    assert.equal(g.status, 502);
    assert.equal(r.status, 502);
    assert.equal(ok.body, 'good');
    assert.equal((await get(port, '/')).body, 'good');
  });

  test('a target slower than the idle timeout gives 504', async () => {
    const up = await startUpstream((req, res) => {
      if (req.url === '/health') return void res.end('ok');
      setTimeout(() => res.end('late'), 3000).unref();
    });
    closers.push(() => up.close());
    proxy.setTargetGroup(group('slow', [up.port]));
    const port = await listen(proxy, [defaultRule(forward('slow'))], 0.2);
    await healthy(proxy, 'slow', 1);
    const r = await get(port);
    assert.equal(r.status, 504);
    assert.match(r.body, /<title>504 Gateway Time-out<\/title>/);
  });

  test('a deregistered target finishes its in-flight request while new requests go elsewhere', async () => {
    let release: (() => void) | undefined;
    const slow = await startUpstream((req, res) => {
      if (req.url === '/health') return void res.end('ok');
      release = () => res.end('slow-done');
    });
    const other = await startUpstream(named('other'));
    closers.push(() => slow.close(), () => other.close());
    proxy.setTargetGroup(group('drain', [slow.port]));
    const port = await listen(proxy, [defaultRule(forward('drain'))]);
    await healthy(proxy, 'drain', 1);
    const inflight = get(port, '/work');
    await until(() => release !== undefined, 'request at the slow target');
    proxy.setTargetGroup(group('drain', [other.port]));
    await healthy(proxy, 'drain', 1);
    assert.equal(proxy.targetHealth('drain').find((h) => h.port === slow.port)?.state, 'draining');
    assert.equal((await get(port)).body, 'other');
    release!();
    assert.equal((await inflight).body, 'slow-done');
    await until(() => proxy.targetHealth('drain').every((h) => h.port !== slow.port), 'drained target removed');
  });

  test('a listener with no matching rule and no default answers 503', async () => {
    const port = await listen(proxy, [{ priority: 1, conditions: [{ field: 'path-pattern', values: ['/only'] }], action: { type: 'fixed-response', statusCode: 200 } }]);
    assert.equal((await get(port, '/other')).status, 503);
  });
});

describe('websocket', () => {
  test('an Upgrade request is passed through and bytes flow both ways', async () => {
    const up = createServer((req, res) => void res.end('ok'));
    const upgraded: import('node:stream').Duplex[] = [];
    up.on('upgrade', (req, socket) => {
      upgraded.push(socket);
      socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
      socket.on('data', (d: Buffer) => socket.write(Buffer.concat([Buffer.from('echo:'), d])));
    });
    await new Promise<void>((r) => up.listen(0, '127.0.0.1', r));
    const proxy = new HttpProxy();
    proxy.setTargetGroup(group('ws', [(up.address() as AddressInfo).port], { healthCheck: fastCheck({ path: '/' }) }));
    const port = await listen(proxy, [defaultRule(forward('ws'))]);
    await healthy(proxy, 'ws', 1);
    const socket = connect(port, '127.0.0.1');
    socket.write(`GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    let received = '';
    socket.on('data', (d) => {
      received += d.toString();
      if (received.includes('\r\n\r\n') && !received.includes('echo:')) socket.write('ping');
    });
    await until(() => received.includes('echo:ping'), 'echo through the upgraded connection');
    assert.match(received, /^HTTP\/1.1 101 Switching Protocols/);
    socket.destroy();
    await proxy.close();
    for (const s of upgraded) s.destroy();
    up.closeAllConnections();
    await new Promise<void>((r) => up.close(() => r()));
  });
});

describe('HTTP/1.1 engine details', () => {
  let proxy: HttpProxy;
  let up: Upstream;
  let port: number;
  before(async () => {
    up = await startUpstream((req, res) => {
      if (req.url === '/health') return void res.end('ok');
      if (req.url === '/chunked') {
        res.write('part1-');
        res.end('part2');
        return;
      }
      if (req.url === '/empty') return void res.writeHead(204).end();
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => res.end(`${req.method} ${req.url} ${Buffer.concat(chunks).toString()}`));
    });
    proxy = new HttpProxy();
    proxy.setTargetGroup(group('engine', [up.port]));
    port = await listen(proxy, [defaultRule(forward('engine'))]);
    await healthy(proxy, 'engine', 1);
  });
  after(async () => {
    await proxy.close();
    await up.close();
  });

  function raw(text: string, until: (s: string) => boolean): Promise<string> {
    return new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => s.write(text));
      let got = '';
      s.on('data', (d) => {
        got += d.toString('latin1');
        if (until(got)) {
          s.destroy();
          resolve(got);
        }
      });
      s.on('end', () => resolve(got));
      s.on('error', reject);
    });
  }

  test('pipelined requests are answered in order on one connection', async () => {
    const got = await raw('GET /one HTTP/1.1\r\nHost: x\r\n\r\nPOST /two HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcGET /three HTTP/1.1\r\nHost: x\r\n\r\n', (s) => s.includes('GET /three'));
    const order = [...got.matchAll(/(GET|POST) \/(\w+)/g)].map((m) => m[2]);
    assert.deepEqual(order, ['one', 'two', 'three']);
    assert.match(got, /POST \/two abc/);
  });

  test('an HTTP/1.0 client gets a chunked response de-chunked and the connection closed', async () => {
    const got = await raw('GET /chunked HTTP/1.0\r\n\r\n', () => false);
    assert.match(got, /^HTTP\/1\.1 200 OK\r\n/);
    assert.doesNotMatch(got, /transfer-encoding/i);
    assert.match(got, /Connection: close\r\n/);
    assert.ok(got.endsWith('\r\n\r\npart1-part2'), JSON.stringify(got));
  });

  test('a HEAD request and a 204 response carry no body and keep the connection', async () => {
    const got = await raw('HEAD /x HTTP/1.1\r\nHost: x\r\n\r\nGET /empty HTTP/1.1\r\nHost: x\r\n\r\nGET /after HTTP/1.1\r\nHost: x\r\n\r\n', (s) => s.includes('GET /after'));
    assert.equal((got.match(/HTTP\/1\.1 /g) ?? []).length, 3);
    assert.match(got, /204 No Content/);
  });

  test('Expect: 100-continue is answered by the load balancer before the body is sent', async () => {
    const got = await new Promise<string>((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => s.write('PUT /up HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n'));
      let text = '';
      s.on('data', (d) => {
        text += d.toString();
        if (text.includes('100 Continue') && !text.includes('PUT')) s.write('data');
        if (text.includes('PUT /up data')) {
          s.destroy();
          resolve(text);
        }
      });
      s.on('error', reject);
    });
    assert.match(got, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK/);
  });

  test('a malformed request gets 400 with the ALB page and the connection closes', async () => {
    const got = await raw('NOT A REQUEST\r\n\r\n', () => false);
    assert.match(got, /^HTTP\/1\.1 400 Bad Request\r\nServer: awselb\/2\.0\r\n/);
    assert.match(got, /<title>400 Bad Request<\/title>/);
  });

  test('a keep-alive connection the target closed while idle is retried on a new one', async () => {
    const closing = await startUpstream((req, res) => {
      res.setHeader('content-length', '2');
      res.end('ok');
    });
    closing.server.keepAliveTimeout = 50;
    proxy.setTargetGroup(group('closing', [closing.port], { healthCheck: fastCheck({ path: '/', intervalSeconds: 60 }) }));
    const p = await listen(proxy, [defaultRule(forward('closing'))]);
    await healthy(proxy, 'closing', 1);
    for (let i = 0; i < 5; i++) {
      assert.equal((await get(p)).status, 200);
      await new Promise((r) => setTimeout(r, 80));
    }
    await closing.close();
  });
});

describe('HTTPS listeners', () => {
  test('an HTTPS listener terminates TLS with the certificate files and forwards with X-Forwarded-Proto https', async (t) => {
    const { spawnSync } = await import('node:child_process');
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'atoll-https-'));
    const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'cert.key'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
    if (made.status !== 0) {
      t.skip('openssl is not available to make a test certificate');
      return;
    }
    const up = await startUpstream((req, res) => void res.end(String(req.headers['x-forwarded-proto'])));
    const proxy = new HttpProxy();
    try {
      proxy.setTargetGroup(group('tls', [up.port], { healthCheck: fastCheck({ path: '/' }) }));
      const port = await proxy.setListener({ id: 'https', host: '127.0.0.1', port: 0, protocol: 'HTTPS', certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'cert.key'), idleTimeoutSeconds: 60, rules: [defaultRule(forward('tls'))] });
      await healthy(proxy, 'tls', 1);
      const { request } = await import('node:https');
      const body = await new Promise<string>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: '/', rejectUnauthorized: false, agent: false }, (res) => {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', () => resolve(text));
        });
        req.on('error', reject);
        req.end();
      });
      assert.equal(body, 'https');
    } finally {
      await proxy.close();
      await up.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Lambda target groups', () => {
  test('a request becomes an ALB Lambda event and the result becomes the response', async () => {
    const proxy = new HttpProxy();
    const events: import('../src/config.js').LambdaAlbEvent[] = [];
    proxy.setTargetGroup(group('fn', [], {
      healthCheck: fastCheck({ enabled: false }),
      invoke: async (event) => {
        events.push(event);
        return { statusCode: 202, headers: { 'content-type': 'application/json', 'x-fn': 'yes' }, body: JSON.stringify({ got: event.body }) };
      },
    }));
    try {
      const port = await listen(proxy, [defaultRule(forward('fn'))]);
      const r = await get(port, '/fn/path?a=1&b=two', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'payload' });
      assert.equal(r.status, 202);
      assert.equal(r.headers['x-fn'], 'yes');
      assert.deepEqual(JSON.parse(r.body), { got: 'payload' });
      assert.equal(events[0]!.httpMethod, 'POST');
      assert.equal(events[0]!.path, '/fn/path');
      assert.deepEqual(events[0]!.queryStringParameters, { a: '1', b: 'two' });
      assert.equal(events[0]!.headers['x-forwarded-for'], '127.0.0.1');
      assert.equal(events[0]!.requestContext.elb.targetGroupArn, 'fn');
    } finally {
      await proxy.close();
    }
  });

  test('a failing function gives 502', async () => {
    const proxy = new HttpProxy();
    proxy.setTargetGroup(group('fn-bad', [], { healthCheck: fastCheck({ enabled: false }), invoke: async () => { throw new Error('boom'); } }));
    try {
      const port = await listen(proxy, [defaultRule(forward('fn-bad'))]);
      assert.equal((await get(port)).status, 502);
      assert.equal((await get(port)).status, 502);
    } finally {
      await proxy.close();
    }
  });
});

describe('rolling replacement', () => {
  test('replacing every target one by one under constant load fails no request', async () => {
    const proxy = new HttpProxy();
    const olds: Upstream[] = [];
    const news: Upstream[] = [];
    for (let i = 0; i < 4; i++) olds.push(await startUpstream(named(`v1-${i}`)));
    for (let i = 0; i < 4; i++) news.push(await startUpstream(named(`v2-${i}`)));
    const config = (ups: Upstream[]) => group('rolling', ups.map((u) => u.port), { deregistrationDelaySeconds: 2 });
    let current = [...olds];
    proxy.setTargetGroup(config(current));
    const port = await listen(proxy, [defaultRule(forward('rolling'))]);
    await healthy(proxy, 'rolling', 4);
    let stop = false;
    let ok = 0;
    const failures: string[] = [];
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    const worker = async (): Promise<void> => {
      while (!stop) {
        try {
          const r = await get(port, '/', { agent });
          if (r.status === 200) ok++;
          else failures.push(`${r.status}`);
        } catch (error) {
          failures.push(String(error));
        }
      }
    };
    const workers = Array.from({ length: 8 }, () => worker());
    try {
      for (let i = 0; i < 4; i++) {
        current = [...current.filter((u) => u !== olds[i]), news[i]!];
        current.push(olds[i]!); // register the new one first, keep the old one for a moment
        proxy.setTargetGroup(config(current));
        await until(() => proxy.targetHealth('rolling').some((h) => h.port === news[i]!.port && h.state === 'healthy'), `v2-${i} healthy`);
        current = current.filter((u) => u !== olds[i]);
        proxy.setTargetGroup(config(current));
        await until(() => proxy.targetHealth('rolling').every((h) => h.port !== olds[i]!.port), `v1-${i} drained`);
        // As a stopping task does: the server closes its idle keep-alive connections and exits.
        await olds[i]!.close();
      }
      await until(() => ok > 200, 'traffic after the rollout');
    } finally {
      stop = true;
      await Promise.all(workers);
      agent.destroy();
      await proxy.close();
      for (const u of news) await u.close();
    }
    assert.deepEqual(failures, []);
    assert.ok(ok > 200);
  });
});

describe('misbehaving clients and targets', () => {
  test('a target that stalls in the middle of a body has its client cut off at the idle timeout, and others are served', async () => {
    const up = await startUpstream((req, res) => {
      if (req.url === '/health') return void res.end('ok');
      if (req.url === '/stall') {
        res.writeHead(200, { 'content-length': '100' });
        res.write('only part of it');
        return;
      }
      res.end('fine');
    });
    const proxy = new HttpProxy();
    try {
      proxy.setTargetGroup(group('stall', [up.port]));
      const port = await listen(proxy, [defaultRule(forward('stall'))], 0.3);
      await healthy(proxy, 'stall', 1);
      await assert.rejects(get(port, '/stall'), (error: NodeJS.ErrnoException) => ['ECONNRESET', 'ERR_STREAM_PREMATURE_CLOSE'].includes(error.code ?? '') || /aborted|socket hang up/.test(error.message));
      assert.equal((await get(port, '/ok')).body, 'fine');
    } finally {
      await proxy.close();
      await up.close();
    }
  });

  test('a client that goes away mid-request frees its target, so deregistration completes at once', async () => {
    let arrived = 0;
    const up = await startUpstream((req, res) => {
      if (req.url === '/health') return void res.end('ok');
      arrived++;
      req.on('close', () => res.destroy());
    });
    const proxy = new HttpProxy();
    try {
      proxy.setTargetGroup(group('abort', [up.port], { deregistrationDelaySeconds: 300 }));
      const port = await listen(proxy, [defaultRule(forward('abort'))]);
      await healthy(proxy, 'abort', 1);
      const socket = connect(port, '127.0.0.1', () => socket.write('GET /hang HTTP/1.1\r\nHost: x\r\n\r\n'));
      await until(() => arrived === 1, 'request at the target');
      socket.destroy();
      await new Promise((r) => setTimeout(r, 50));
      proxy.setTargetGroup(group('abort', [], { deregistrationDelaySeconds: 300 }));
      assert.deepEqual(proxy.targetHealth('abort'), []);
    } finally {
      await proxy.close();
      await up.close();
    }
  });

  test('a target that sends more bytes than it announced fails that response only', async () => {
    const liar = createNetServer((s) => {
      s.on('data', (d) => {
        if (d.toString().startsWith('GET /health')) s.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok');
        else s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA-BYTES');
      });
    });
    await new Promise<void>((r) => liar.listen(0, '127.0.0.1', r));
    const proxy = new HttpProxy();
    try {
      proxy.setTargetGroup(group('liar', [(liar.address() as AddressInfo).port]));
      const port = await listen(proxy, [defaultRule(forward('liar'))]);
      await healthy(proxy, 'liar', 1);
      const r = await get(port, '/');
      assert.equal(r.status, 200);
      assert.equal(r.body, 'ok');
      assert.equal((await get(port, '/')).body, 'ok');
    } finally {
      await proxy.close();
      liar.close();
    }
  });
});
