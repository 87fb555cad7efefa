// Issue 2 figures: how many signed requests per second the edge itself serves (GetCallerIdentity
// through the whole chain: route, SigV4, parse, dispatch, serialize, audit, metrics, log). One
// request is signed once and replayed by wrk with 64 connections, so the client costs little; the
// SDK-driven figure is in sts-latency.mjs.
//   node bench/platform/edge-throughput.mjs [seconds=10]
import { execFileSync } from 'node:child_process';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';
import { machine, printTable, sampleProcess, startServer } from '../lib/report.mjs';

const seconds = Number(process.argv[2] ?? 10);
const server = await startServer({ args: ['--services', 'sts,iam'] });
try {
  const url = new URL(server.endpoint);
  const body = 'Action=GetCallerIdentity&Version=2011-06-15';
  const signer = new SignatureV4({ credentials: server.credentials, region: 'us-east-1', service: 'sts', sha256: Sha256 });
  const signed = await signer.sign({
    method: 'POST', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: '/', query: {},
    headers: { host: url.host, 'content-type': 'application/x-www-form-urlencoded' }, body,
  });
  const dir = mkdtempSync(join(tmpdir(), 'atoll-wrk-'));
  const script = join(dir, 'post.lua');
  const headers = Object.entries(signed.headers).filter(([k]) => k !== 'host').map(([k, v]) => `wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}`);
  writeFileSync(script, `wrk.method = "POST"\nwrk.body = ${JSON.stringify(body)}\n${headers.join('\n')}\n`);
  const check = await fetch(server.endpoint, { method: 'POST', headers: Object.fromEntries(Object.entries(signed.headers).filter(([k]) => k !== 'host')), body });
  if (check.status !== 200) throw new Error(`signed request refused: ${check.status} ${await check.text()}`);
  const before = sampleProcess(server.pid);
  const out = execFileSync('wrk', ['-t', '1', '-c', '64', '-d', `${seconds}s`, '--latency', '-s', script, server.endpoint], { encoding: 'utf8' });
  const after = sampleProcess(server.pid);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const lat = (p) => /\s+(\d+%)\s+([\d.]+\w+)/g;
  const dist = Object.fromEntries([...out.matchAll(/\s+(50|75|90|99)%\s+([\d.]+\w+)/g)].map((m) => [m[1], m[2]]));
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? '0';
  printTable(`Edge throughput, GetCallerIdentity replayed by wrk, 64 connections, ${seconds}s (${machine()})`, [
    ['requests/s', rps.toFixed(0)],
    ['latency p50 / p90 / p99', `${dist['50']} / ${dist['90']} / ${dist['99']}`],
    ['non-2xx responses', non2xx],
    ['server CPU (cores)', ((after.cpuSeconds - before.cpuSeconds) / seconds).toFixed(2)],
    ['server CPU per request (µs)', (((after.cpuSeconds - before.cpuSeconds) / (rps * seconds)) * 1e6).toFixed(0)],
    ['server RSS after (MB)', after.rssMb.toFixed(1)],
  ]);
  void lat;
} finally {
  await server.stop();
}
