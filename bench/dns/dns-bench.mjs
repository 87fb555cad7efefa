// DNS benchmark: Atoll's authoritative DNS server against NSD (Debian's `nsd`) serving the same
// 10,000-record zone in the same run, both measured with `dnsperf` (Debian's `dnsperf`):
//  1. saturation: queries per second (10 clients, UDP) for each server, and the ratio;
//  2. half of Atoll's saturation rate: Atoll's p50/p99 latency there (from dnsperf -v per query);
//  3. propagation: time from RegisterInstance (Cloud Map, DNS namespace) returning... to the name
//     answering in the DNS server, and from the call's start, polled over UDP (50 registrations).
// Prints the machine, server CPU and memory. Needs `apt-get install dnsperf nsd`.
// Usage: node tools/build.mjs && node bench/dns/dns-bench.mjs [--seconds N]
import { spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChangeResourceRecordSetsCommand, CreateHostedZoneCommand, Route53Client } from '@aws-sdk/client-route-53';
import {
  CreatePrivateDnsNamespaceCommand,
  CreateServiceCommand,
  GetOperationCommand,
  RegisterInstanceCommand,
  ServiceDiscoveryClient,
} from '@aws-sdk/client-servicediscovery';
import * as packet from 'dns-packet';
import { machine, sampleProcess, startServer, summarize } from '../lib/report.mjs';

const seconds = Number(process.argv[process.argv.indexOf('--seconds') + 1]) || 10;
const RECORDS = 10_000;
const ZONE = 'bench.test';

for (const tool of ['dnsperf', 'nsd']) {
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
    console.error(`dns-bench: ${tool} is not installed (apt-get install dnsperf nsd)`);
    process.exit(1);
  }
}

const freePort = () =>
  new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

function dnsperf(port, file, extra) {
  const out = spawnSync('dnsperf', ['-s', '127.0.0.1', '-p', String(port), '-d', file, '-l', String(seconds), '-c', '10', '-T', '1', ...extra], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  const qps = Number(/Queries per second:\s+([\d.]+)/.exec(out.stdout)?.[1] ?? NaN);
  const lost = /Queries lost:\s+(\d+)/.exec(out.stdout)?.[1];
  const avg = Number(/Average Latency \(s\):\s+([\d.]+)/.exec(out.stdout)?.[1] ?? NaN) * 1000;
  // -v: one line per answer, its latency in seconds last.
  const latencies = [...out.stdout.matchAll(/^> \S+ .* ([\d.]+)$/gm)].map((m) => Number(m[1]) * 1000);
  return { qps, lost, avg, latencies, raw: out.stdout + out.stderr };
}

function udpQuery(port, name) {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      resolve(undefined);
    }, 500);
    socket.once('message', (msg) => {
      clearTimeout(timer);
      socket.close();
      resolve(packet.decode(msg));
    });
    socket.send(packet.encode({ type: 'query', id: 1, questions: [{ type: 'A', name }] }), port, '127.0.0.1');
  });
}

const dir = mkdtempSync(join(tmpdir(), 'atoll-dns-bench-'));
const server = await startServer({ env: { ATOLL_DNS_PORT: '0' }, args: ['--services', 'iam,sts,route53,servicediscovery'] });
let nsd;
try {
  const { port: atollPort } = await (await fetch(`${server.endpoint}/_atoll/dns`)).json();
  const config = { endpoint: server.endpoint, region: 'us-east-1', credentials: server.credentials, maxAttempts: 1 };
  const r53 = new Route53Client(config);
  const sd = new ServiceDiscoveryClient({ ...config, disableHostPrefix: true });

  // The zone: 10,000 A records, through the API (1,000 changes per batch, Route 53's limit).
  const zone = await r53.send(new CreateHostedZoneCommand({ Name: ZONE, CallerReference: `bench-${Date.now()}` }));
  const zoneId = zone.HostedZone.Id;
  const ip = (i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
  const loadStart = performance.now();
  for (let b = 0; b < RECORDS; b += 1000) {
    const Changes = [];
    for (let i = b; i < b + 1000; i++) Changes.push({ Action: 'CREATE', ResourceRecordSet: { Name: `host-${i}.${ZONE}`, Type: 'A', TTL: 300, ResourceRecords: [{ Value: ip(i) }] } });
    await r53.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: zoneId, ChangeBatch: { Changes } }));
  }
  const loadMs = performance.now() - loadStart;

  // The same zone for NSD.
  const lines = [`$ORIGIN ${ZONE}.`, '$TTL 300', `@ IN SOA ns1.${ZONE}. hostmaster.${ZONE}. 1 7200 900 1209600 86400`, `@ IN NS ns1.${ZONE}.`, 'ns1 IN A 127.0.0.1'];
  for (let i = 0; i < RECORDS; i++) lines.push(`host-${i} IN A ${ip(i)}`);
  writeFileSync(join(dir, 'bench.zone'), `${lines.join('\n')}\n`);
  const nsdPort = await freePort();
  writeFileSync(
    join(dir, 'nsd.conf'),
    `server:\n  ip-address: 127.0.0.1@${nsdPort}\n  server-count: 1\n  username: ""\n  chroot: ""\n  zonesdir: "${dir}"\n  pidfile: "${dir}/nsd.pid"\n  database: ""\n  xfrdfile: "${dir}/xfrd.state"\n  zonelistfile: "${dir}/zone.list"\n  logfile: "${dir}/nsd.log"\n  verbosity: 0\nremote-control:\n  control-enable: no\nzone:\n  name: ${ZONE}\n  zonefile: bench.zone\n`,
  );
  nsd = spawn('nsd', ['-d', '-c', join(dir, 'nsd.conf')], { stdio: 'ignore' });
  for (let i = 0; i < 50 && !(await udpQuery(nsdPort, `host-1.${ZONE}`)); i++) await new Promise((r) => setTimeout(r, 100));

  // Queries: every record, shuffled.
  const names = Array.from({ length: RECORDS }, (_, i) => `host-${i}.${ZONE} A`);
  for (let i = names.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [names[i], names[j]] = [names[j], names[i]];
  }
  const queryFile = join(dir, 'queries.txt');
  writeFileSync(queryFile, `${names.join('\n')}\n`);

  const cpu0 = sampleProcess(server.pid).cpuSeconds;
  const atoll = dnsperf(atollPort, queryFile, []);
  const cpu1 = sampleProcess(server.pid).cpuSeconds;
  const peer = dnsperf(nsdPort, queryFile, []);
  const half = Math.max(100, Math.floor(atoll.qps / 2));
  const atollHalf = dnsperf(atollPort, queryFile, ['-Q', String(half), '-v']);
  const nsdHalf = dnsperf(nsdPort, queryFile, ['-Q', String(half), '-v']);

  // Propagation: RegisterInstance to the name answering.
  const op = await sd.send(new CreatePrivateDnsNamespaceCommand({ Name: 'prop.internal', Vpc: 'vpc-bench' }));
  const nsId = (await sd.send(new GetOperationCommand({ OperationId: op.OperationId }))).Operation.Targets.NAMESPACE;
  const fromCall = [];
  const afterReturn = [];
  for (let i = 0; i < 50; i++) {
    const svc = await sd.send(new CreateServiceCommand({ Name: `svc${i}`, NamespaceId: nsId, DnsConfig: { RoutingPolicy: 'MULTIVALUE', DnsRecords: [{ Type: 'A', TTL: 10 }] } }));
    const t0 = performance.now();
    await sd.send(new RegisterInstanceCommand({ ServiceId: svc.Service.Id, InstanceId: 'i-1', Attributes: { AWS_INSTANCE_IPV4: '10.200.0.1' } }));
    const t1 = performance.now();
    for (;;) {
      const answer = await udpQuery(atollPort, `svc${i}.prop.internal`);
      if (answer?.answers?.some((a) => a.data === '10.200.0.1')) break;
    }
    const t2 = performance.now();
    fromCall.push(t2 - t0);
    afterReturn.push(t2 - t1);
  }

  const mem = sampleProcess(server.pid).rssMb;
  const f = (n) => (Number.isFinite(n) ? n.toFixed(2) : 'n/a');
  const ha = summarize(atollHalf.latencies);
  const hn = summarize(nsdHalf.latencies);
  const pc = summarize(fromCall);
  const pr = summarize(afterReturn);
  console.log(`machine: ${machine()}`);
  console.log(`zone: ${RECORDS} A records loaded through ChangeResourceRecordSets in ${f(loadMs)} ms (10 batches of 1,000)`);
  console.log(`saturation (dnsperf -c 10, ${seconds} s, UDP):`);
  console.log(`  atoll  ${f(atoll.qps)} q/s  avg ${f(atoll.avg)} ms  lost ${atoll.lost}  server CPU ${f(((cpu1 - cpu0) / (atoll.qps * seconds)) * 1e6)} µs/query`);
  console.log(`  nsd    ${f(peer.qps)} q/s  avg ${f(peer.avg)} ms  lost ${peer.lost}`);
  console.log(`  ratio  ${f(atoll.qps / peer.qps)} × NSD (goal ≥ 0.3)`);
  console.log(`at ${half} q/s (half of Atoll's saturation):`);
  console.log(`  atoll  p50 ${f(ha.p50)} ms  p90 ${f(ha.p90)} ms  p99 ${f(ha.p99)} ms  (n=${ha.n}; goal p99 < 2 ms)`);
  console.log(`  nsd    p50 ${f(hn.p50)} ms  p90 ${f(hn.p90)} ms  p99 ${f(hn.p99)} ms  (n=${hn.n})`);
  console.log(`RegisterInstance → name answers (50 registrations; goal < 100 ms):`);
  console.log(`  from the call's start   p50 ${f(pc.p50)} ms  p90 ${f(pc.p90)} ms  p99 ${f(pc.p99)} ms  max ${f(pc.max)} ms`);
  console.log(`  after the call returned p50 ${f(pr.p50)} ms  p99 ${f(pr.p99)} ms`);
  console.log(`atoll server RSS ${f(mem)} MB`);
  if (!Number.isFinite(atoll.qps)) console.log(atoll.raw.slice(0, 2000));
} finally {
  nsd?.kill('SIGTERM');
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
