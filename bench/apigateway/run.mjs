// API Gateway benchmark (issue #13's figures), peers in the same run on the same machine:
// 1. Added latency and throughput of an HTTP API → HTTP_PROXY to a local upstream (nginx serving a
//    static body), against the upstream directly and against nginx proxying the same upstream
//    (wrk, 64 connections; the API is reached on its host form with a Host header).
// 2. HTTP API → Lambda proxy (payload 2.0), warm: p50/p99 end to end over one kept-alive
//    connection, beside a direct warm Invoke (raw signed HTTP, same client loop).
// 3. Usage-plan throttling accuracy: a REST API method with an API key in a plan of rate 100/s and
//    burst 20, hammered for 10 s: accepted requests against 20 + 100 × seconds.
// A bare Node reverse proxy runs beside them: the cost of Node's HTTP stack itself.
// Run by hand: `node bench/apigateway/run.mjs [seconds]` (needs nginx and wrk; build first).
import { fork, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { request, Agent } from 'node:http';
import AdmZip from 'adm-zip';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { APIGatewayClient, CreateApiKeyCommand, CreateDeploymentCommand, CreateRestApiCommand, CreateUsagePlanCommand, CreateUsagePlanKeyCommand, PutIntegrationCommand, PutMethodCommand } from '@aws-sdk/client-api-gateway';
import { ApiGatewayV2Client, CreateApiCommand } from '@aws-sdk/client-apigatewayv2';
import { AddPermissionCommand, CreateFunctionCommand, GetFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { IAMClient, CreateRoleCommand } from '@aws-sdk/client-iam';
import { cpuTicks, freePort, median, startNginx, which } from '../alb/common.mjs';
import { machine, startServer, summarize } from '../lib/report.mjs';

const seconds = Number(process.argv[2] ?? 8);
if (!which('wrk')) throw new Error('wrk is not installed (apt-get install -y wrk)');

function toMs(text) {
  const m = /([\d.]+)(us|ms|s)/.exec(text);
  if (!m) return NaN;
  const v = Number(m[1]);
  return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
}

/** wrk with optional headers: { rps, p50, p90, p99, requests, non2xx, duration }. */
function wrk(url, { connections = 64, secs = seconds, headers = {} } = {}) {
  const args = ['-t1', `-c${connections}`, `-d${secs}s`, '--latency', ...Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]), url];
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', () => {
      const p = (q) => toMs(new RegExp(`\\s${q}%\\s+(\\S+)`).exec(out)?.[1] ?? '');
      const m = /(\d+) requests in ([\d.]+)(ms|s)/.exec(out);
      resolve({
        rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]),
        p50: p(50),
        p90: p(90),
        p99: p(99),
        requests: Number(m?.[1] ?? 0),
        duration: m ? (m[3] === 'ms' ? Number(m[2]) / 1000 : Number(m[2])) : NaN,
        non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0),
      });
    });
  });
}

const upstreamPort = await freePort();
const nginxPort = await freePort();
const upstream = await startNginx(`server { listen 127.0.0.1:${upstreamPort} backlog=4096; keepalive_requests 1000000;
  location / { return 200 "hello from the upstream\\n"; } }`);
const nginxProxy = await startNginx(`upstream app { server 127.0.0.1:${upstreamPort}; keepalive 128; }
server { listen 127.0.0.1:${nginxPort} backlog=4096; keepalive_requests 1000000;
  location / { proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection "";
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for; } }`);
// Only the services the bench uses: the others' start-up work stays out of the figures.
const server = await startServer({ args: ['--services', 'apigateway,apigatewayv2,lambda,iam,sts'] });
const port = new URL(server.endpoint).port;
const config = { endpoint: server.endpoint, region: 'us-east-1', credentials: server.credentials, maxAttempts: 1 };
const v2 = new ApiGatewayV2Client(config);
const v1 = new APIGatewayClient(config);
const lambda = new LambdaClient(config);
const iam = new IAMClient(config);
const stopLater = [];

try {
  console.log(`machine: ${machine()}`);

  // 1. HTTP_PROXY overhead.
  const proxyApi = await v2.send(new CreateApiCommand({ Name: 'bench-proxy', ProtocolType: 'HTTP', Target: `http://127.0.0.1:${upstreamPort}` }));
  const host = `${proxyApi.ApiId}.execute-api.localhost:${port}`;
  // A bare Node reverse proxy (http.createServer + http.request with a keep-alive Agent): what
  // Node's HTTP stack alone costs, the floor for a gateway served by a Node HTTP server.
  const nodePort = await freePort();
  const nodeProxy = fork(fileURLToPath(new URL('../alb/atoll-proxy.mjs', import.meta.url)), ['agent', String(nodePort), String(upstreamPort)], { stdio: 'inherit' });
  await new Promise((resolve) => nodeProxy.once('message', resolve));
  stopLater.push(() => nodeProxy.kill());
  const targets = [
    { name: 'direct', url: `http://127.0.0.1:${upstreamPort}/`, pids: [] },
    { name: 'nginx', url: `http://127.0.0.1:${nginxPort}/`, pids: nginxProxy.pids },
    { name: 'node', url: `http://127.0.0.1:${nodePort}/`, pids: [nodeProxy.pid] },
    { name: 'atoll', url: `http://127.0.0.1:${port}/`, headers: { Host: host }, pids: [server.pid] },
  ];
  for (const t of targets) await wrk(t.url, { secs: 2, headers: t.headers });
  const results = Object.fromEntries(targets.map((t) => [t.name, []]));
  for (let round = 0; round < 3; round++) {
    for (const t of targets) {
      const before = cpuTicks(t.pids);
      const started = process.hrtime.bigint();
      const w = await wrk(t.url, { headers: t.headers });
      const wall = Number(process.hrtime.bigint() - started) / 1e9;
      w.cpu = t.pids.length ? ((cpuTicks(t.pids) - before) / 100 / wall) * 100 : NaN;
      results[t.name].push(w);
      console.log(`round ${round + 1} ${t.name.padEnd(7)} ${w.rps.toFixed(0).padStart(7)} req/s  p50 ${w.p50.toFixed(2)}ms p99 ${w.p99.toFixed(2)}ms  non-2xx ${w.non2xx}  cpu ${w.cpu.toFixed(0)}%`);
    }
  }
  const med = (name, key) => median(results[name].map((w) => w[key]));
  console.log(`\nHTTP API → HTTP_PROXY (wrk -c64 -d${seconds}s, medians of 3)`);
  console.log('name     req/s    p50ms  p99ms  +p50ms vs direct  req/cpu-s  rps vs nginx');
  for (const t of targets) {
    const rps = med(t.name, 'rps');
    const perCpu = t.pids.length ? rps / (med(t.name, 'cpu') / 100) : NaN;
    console.log(`${t.name.padEnd(7)} ${rps.toFixed(0).padStart(7)} ${med(t.name, 'p50').toFixed(2).padStart(7)} ${med(t.name, 'p99').toFixed(2).padStart(6)} ${(med(t.name, 'p50') - med('direct', 'p50')).toFixed(2).padStart(8)} ${perCpu.toFixed(0).padStart(17)} ${(rps / med('nginx', 'rps')).toFixed(2).padStart(10)}`);
  }
  // Single-connection latency: the added cost of one request with no queueing.
  const one = {};
  for (const t of targets) {
    const w = await wrk(t.url, { connections: 1, secs: 4, headers: t.headers });
    one[t.name] = w;
  }
  console.log(`one connection: direct p50 ${one.direct.p50.toFixed(3)}ms, nginx p50 ${one.nginx.p50.toFixed(3)}ms (+${(one.nginx.p50 - one.direct.p50).toFixed(3)}), node p50 ${one.node.p50.toFixed(3)}ms (+${(one.node.p50 - one.direct.p50).toFixed(3)}), atoll p50 ${one.atoll.p50.toFixed(3)}ms (+${(one.atoll.p50 - one.direct.p50).toFixed(3)})`);

  // 2. Lambda proxy, warm, against a direct Invoke.
  const role = await iam.send(new CreateRoleCommand({ RoleName: 'bench-apigw', AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] }) }));
  const zip = new AdmZip();
  zip.addFile('index.js', Buffer.from(`exports.handler = async () => ({ statusCode: 200, body: 'ok' });`));
  const fn = await lambda.send(new CreateFunctionCommand({ FunctionName: 'bench-apigw', Runtime: 'nodejs22.x', Role: role.Role.Arn, Handler: 'index.handler', Code: { ZipFile: zip.toBuffer() } }));
  for (let i = 0; i < 50; i++) {
    const state = (await lambda.send(new GetFunctionCommand({ FunctionName: 'bench-apigw' }))).Configuration.State;
    if (state === 'Active') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await lambda.send(new AddPermissionCommand({ FunctionName: 'bench-apigw', StatementId: 'apigw', Action: 'lambda:InvokeFunction', Principal: 'apigateway.amazonaws.com' }));
  const fnApi = await v2.send(new CreateApiCommand({ Name: 'bench-fn', ProtocolType: 'HTTP', Target: fn.FunctionArn }));
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const signer = new SignatureV4({ service: 'lambda', region: 'us-east-1', credentials: server.credentials, sha256: Sha256 });
  const get = (path, headers, method = 'GET', body) =>
    new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path, method, headers, agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      });
      req.on('error', reject);
      req.end(body);
    });
  const invokePath = `/2015-03-31/functions/bench-apigw/invocations`;
  const direct = async () => {
    const signed = await signer.sign({ method: 'POST', protocol: 'http:', hostname: '127.0.0.1', port: Number(port), path: invokePath, headers: { host: `127.0.0.1:${port}`, 'content-type': 'application/json' }, body: '{}' });
    return get(invokePath, signed.headers, 'POST', '{}');
  };
  const viaGateway = () => get('/', { Host: `${fnApi.ApiId}.execute-api.localhost:${port}` });
  const time = async (fnCall, n) => {
    const out = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      const status = await fnCall();
      if (status !== 200) throw new Error(`status ${status}`);
      out.push(performance.now() - t0);
    }
    return summarize(out);
  };
  await time(direct, 200);
  await time(viaGateway, 200);
  const d = await time(direct, 2000);
  const g = await time(viaGateway, 2000);
  // Signing cost of the direct call (client-side), to set beside it.
  const s0 = performance.now();
  for (let i = 0; i < 500; i++) await signer.sign({ method: 'POST', protocol: 'http:', hostname: '127.0.0.1', port: Number(port), path: invokePath, headers: { host: `127.0.0.1:${port}` }, body: '{}' });
  const signMs = (performance.now() - s0) / 500;
  console.log(`\nHTTP API → Lambda proxy (payload 2.0), warm, one connection, 2000 sequential requests`);
  console.log(`direct Invoke (raw signed HTTP): p50 ${d.p50.toFixed(3)}ms p99 ${d.p99.toFixed(3)}ms (client signing ≈ ${signMs.toFixed(3)}ms of it)`);
  console.log(`through the HTTP API:            p50 ${g.p50.toFixed(3)}ms p99 ${g.p99.toFixed(3)}ms  (+${(g.p50 - d.p50).toFixed(3)}ms p50, +${(g.p50 - (d.p50 - signMs)).toFixed(3)}ms against Invoke without client signing)`);

  // 3. Usage-plan throttling accuracy.
  const rest = await v1.send(new CreateRestApiCommand({ name: 'bench-throttle' }));
  await v1.send(new PutMethodCommand({ restApiId: rest.id, resourceId: rest.rootResourceId, httpMethod: 'GET', authorizationType: 'NONE', apiKeyRequired: true }));
  await v1.send(new PutIntegrationCommand({ restApiId: rest.id, resourceId: rest.rootResourceId, httpMethod: 'GET', type: 'HTTP_PROXY', integrationHttpMethod: 'GET', uri: `http://127.0.0.1:${upstreamPort}/` }));
  await v1.send(new CreateDeploymentCommand({ restApiId: rest.id, stageName: 'prod' }));
  const plan = await v1.send(new CreateUsagePlanCommand({ name: 'bench', apiStages: [{ apiId: rest.id, stage: 'prod' }], throttle: { rateLimit: 100, burstLimit: 20 } }));
  const key = await v1.send(new CreateApiKeyCommand({ name: 'bench', enabled: true }));
  await v1.send(new CreateUsagePlanKeyCommand({ usagePlanId: plan.id, keyId: key.id, keyType: 'API_KEY' }));
  const t = await wrk(`http://127.0.0.1:${port}/prod/`, { connections: 16, secs: 10, headers: { Host: `${rest.id}.execute-api.localhost:${port}`, 'x-api-key': key.value } });
  const accepted = t.requests - t.non2xx;
  const expected = 20 + 100 * t.duration;
  console.log(`\nusage plan rate 100/s burst 20, 10 s of wrk -c16: ${t.requests} requests, ${accepted} accepted, expected ${expected.toFixed(0)} (${(((accepted - expected) / expected) * 100).toFixed(2)}%)`);
} finally {
  for (const c of [v1, v2, lambda, iam]) c.destroy();
  for (const stop of stopLater) stop();
  await server.stop();
  upstream.stop();
  nginxProxy.stop();
}
