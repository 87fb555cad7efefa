// End-to-end: Route 53 through @aws-sdk/client-route-53 against a real platform, and the records it
// manages read back from the platform's DNS server over UDP and TCP.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import {
  ChangeResourceRecordSetsCommand,
  ChangeTagsForResourceCommand,
  CreateHealthCheckCommand,
  CreateHostedZoneCommand,
  DeleteHostedZoneCommand,
  GetChangeCommand,
  GetHealthCheckStatusCommand,
  GetHostedZoneCommand,
  ListHostedZonesByNameCommand,
  ListResourceRecordSetsCommand,
  ListTagsForResourceCommand,
  Route53Client,
  TestDNSAnswerCommand,
  type Change,
  type ResourceRecordSet,
} from '@aws-sdk/client-route-53';
import { startPlatform, type TestPlatform } from '@atoll/test-support';
import { dataOf, dnsPort, encodeQuery, query, sendUdp } from './dns-query.js';

process.env.ATOLL_DNS_PORT = '0';
process.env.ATOLL_DNS_HEALTH_INTERVAL_MS = '100';

let platform: TestPlatform;
let r53: Route53Client;
let port: number;
let zoneId: string;
let seq = 0;

const upsert = (set: ResourceRecordSet): Change => ({ Action: 'UPSERT', ResourceRecordSet: set });
const simple = (Name: string, Type: ResourceRecordSet['Type'], values: string[], TTL = 60): ResourceRecordSet => ({ Name, Type, TTL, ResourceRecords: values.map((Value) => ({ Value })) });
const change = (Changes: Change[], HostedZoneId = zoneId) => r53.send(new ChangeResourceRecordSetsCommand({ HostedZoneId, ChangeBatch: { Changes } }));

async function createZone(name: string): Promise<string> {
  const out = await r53.send(new CreateHostedZoneCommand({ Name: name, CallerReference: `ref-${++seq}-${Date.now()}` }));
  return out.HostedZone!.Id!.replace('/hostedzone/', '');
}

before(async () => {
  platform = await startPlatform({ services: ['iam', 'sts', 'route53'] });
  r53 = platform.client(Route53Client);
  port = await dnsPort(platform.endpoint);
  zoneId = await createZone('example.test');
});

after(async () => {
  await platform.stop();
});

describe('hosted zones', () => {
  test('a new zone has its SOA and NS records, served by the DNS server', async () => {
    const zone = await r53.send(new GetHostedZoneCommand({ Id: zoneId }));
    assert.equal(zone.HostedZone?.Name, 'example.test.');
    assert.equal(zone.HostedZone?.ResourceRecordSetCount, 2);
    assert.ok(zone.DelegationSet?.NameServers?.length);
    const soa = await query(port, 'example.test', 'SOA');
    assert.equal(soa.rcode, 'NOERROR');
    assert.equal(soa.flag_aa, true);
    assert.equal(soa.answers?.[0]?.type, 'SOA');
    const ns = await query(port, 'EXAMPLE.test', 'NS');
    assert.equal(dataOf(ns, 'NS').length, 2);
  });

  test('the same caller reference is refused with HostedZoneAlreadyExists', async () => {
    await r53.send(new CreateHostedZoneCommand({ Name: 'dup.test', CallerReference: 'same-ref' }));
    await assert.rejects(r53.send(new CreateHostedZoneCommand({ Name: 'dup.test', CallerReference: 'same-ref' })), (e: Error) => e.name === 'HostedZoneAlreadyExists');
  });

  test('a zone with records answers HostedZoneNotEmpty; an unknown one NoSuchHostedZone', async () => {
    const id = await createZone('gone.test');
    await change([upsert(simple('a.gone.test', 'A', ['10.0.0.1']))], id);
    await assert.rejects(r53.send(new DeleteHostedZoneCommand({ Id: id })), (e: Error) => e.name === 'HostedZoneNotEmpty');
    await change([{ Action: 'DELETE', ResourceRecordSet: simple('a.gone.test', 'A', ['10.0.0.1']) }], id);
    await r53.send(new DeleteHostedZoneCommand({ Id: id }));
    await assert.rejects(r53.send(new GetHostedZoneCommand({ Id: id })), (e: Error) => e.name === 'NoSuchHostedZone');
    const answer = await query(port, 'a.gone.test', 'A');
    assert.equal(answer.rcode, 'REFUSED');
  });

  test('zones list by name with labels reversed, and tags', async () => {
    const listed = await r53.send(new ListHostedZonesByNameCommand({}));
    const names = listed.HostedZones!.map((z) => z.Name);
    assert.deepEqual(names, [...names].sort((a, b) => (a!.split('.').reverse().join(' ') < b!.split('.').reverse().join(' ') ? -1 : 1)));
    await r53.send(new ChangeTagsForResourceCommand({ ResourceType: 'hostedzone', ResourceId: zoneId, AddTags: [{ Key: 'team', Value: 'dns' }] }));
    const tags = await r53.send(new ListTagsForResourceCommand({ ResourceType: 'hostedzone', ResourceId: zoneId }));
    assert.deepEqual(tags.ResourceTagSet?.Tags, [{ Key: 'team', Value: 'dns' }]);
  });
});

describe('record sets', () => {
  test('every served type answers over UDP with the values the API stored', async () => {
    const out = await change([
      upsert(simple('www.example.test', 'A', ['192.0.2.1', '192.0.2.2'])),
      upsert(simple('www.example.test', 'AAAA', ['2001:db8::1'])),
      upsert(simple('alias.example.test', 'CNAME', ['www.example.test'])),
      upsert(simple('example.test', 'MX', ['10 mail.example.test'])),
      upsert(simple('example.test', 'TXT', ['"v=spf1 -all"', '"two" "strings"'])),
      upsert(simple('_http._tcp.example.test', 'SRV', ['1 5 8080 www.example.test'])),
      upsert(simple('example.test', 'CAA', ['0 issue "ca.example.net"'])),
      upsert(simple('1.2.0.192.in-addr.example.test', 'PTR', ['www.example.test'])),
    ]);
    assert.equal(out.ChangeInfo?.Status, 'PENDING');
    assert.deepEqual(dataOf(await query(port, 'www.example.test', 'A'), 'A'), ['192.0.2.1', '192.0.2.2']);
    assert.deepEqual(dataOf(await query(port, 'WWW.Example.Test', 'AAAA'), 'AAAA'), ['2001:db8::1']);
    assert.deepEqual(dataOf(await query(port, 'example.test', 'MX'), 'MX'), [JSON.stringify({ preference: 10, exchange: 'mail.example.test' })]);
    assert.deepEqual(dataOf(await query(port, 'example.test', 'TXT'), 'TXT'), ['two|strings', 'v=spf1 -all']);
    assert.deepEqual(dataOf(await query(port, '_http._tcp.example.test', 'SRV'), 'SRV'), [JSON.stringify({ priority: 1, weight: 5, port: 8080, target: 'www.example.test' })]);
    const caa = await query(port, 'example.test', 'CAA');
    assert.equal((caa.answers?.[0] as { data: { value: string } }).data.value, 'ca.example.net');
    assert.deepEqual(dataOf(await query(port, '1.2.0.192.in-addr.example.test', 'PTR'), 'PTR'), ['www.example.test']);
    // CNAME chasing: the alias's CNAME, then the target's A records, in one answer.
    const chased = await query(port, 'alias.example.test', 'A');
    assert.deepEqual(dataOf(chased, 'CNAME'), ['www.example.test']);
    assert.deepEqual(dataOf(chased, 'A'), ['192.0.2.1', '192.0.2.2']);
    const tested = await r53.send(new TestDNSAnswerCommand({ HostedZoneId: zoneId, RecordName: 'www.example.test', RecordType: 'A' }));
    assert.equal(tested.ResponseCode, 'NOERROR');
    assert.deepEqual(tested.RecordData?.sort(), ['192.0.2.1', '192.0.2.2']);
    await new Promise((r) => setTimeout(r, 120));
    const got = await r53.send(new GetChangeCommand({ Id: out.ChangeInfo!.Id }));
    assert.equal(got.ChangeInfo?.Status, 'INSYNC');
  });

  test('NXDOMAIN and NODATA carry the SOA; wildcards answer names that do not exist', async () => {
    await change([upsert(simple('deep.tree.example.test', 'A', ['192.0.2.9'])), upsert(simple('*.wild.example.test', 'A', ['192.0.2.10']))]);
    const nx = await query(port, 'nothing.example.test', 'A');
    assert.equal(nx.rcode, 'NXDOMAIN');
    assert.equal(nx.authorities?.[0]?.type, 'SOA');
    const nodata = await query(port, 'www.example.test', 'MX');
    assert.equal(nodata.rcode, 'NOERROR');
    assert.equal(nodata.answers?.length, 0);
    assert.equal(nodata.authorities?.[0]?.type, 'SOA');
    const nonTerminal = await query(port, 'tree.example.test', 'A');
    assert.equal(nonTerminal.rcode, 'NOERROR');
    const wild = await query(port, 'anything.wild.example.test', 'A');
    assert.deepEqual(dataOf(wild, 'A'), ['192.0.2.10']);
    assert.equal(wild.answers?.[0]?.name, 'anything.wild.example.test');
    const listed = await r53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId, StartRecordName: 'wild.example.test' }));
    assert.equal(listed.ResourceRecordSets?.[0]?.Name, '\\052.wild.example.test.');
  });

  test('a batch with invalid changes lists every reason and applies nothing', async () => {
    await assert.rejects(
      change([
        upsert(simple('ok.example.test', 'A', ['192.0.2.50'])),
        { Action: 'CREATE', ResourceRecordSet: simple('www.example.test', 'A', ['192.0.2.1']) },
        { Action: 'DELETE', ResourceRecordSet: simple('missing.example.test', 'A', ['192.0.2.1']) },
        upsert(simple('bad.example.test', 'A', ['1.2.3'])),
        upsert(simple('other.zone.test', 'A', ['192.0.2.1'])),
        upsert(simple('www.example.test', 'CNAME', ['x.example.test'])),
      ]),
      (e: Error & { messages?: string[] }) => {
        assert.equal(e.name, 'InvalidChangeBatch');
        assert.deepEqual(e.messages, [
          "Tried to create resource record set [name='www.example.test.', type='A'] but it already exists",
          "Tried to delete resource record set [name='missing.example.test.', type='A'] but it was not found",
          "Invalid Resource Record: 'FATAL problem: ARRDATAIllegalIPv4Address (Value is not a valid IPv4 address) encountered with '1.2.3''",
          'RRSet with DNS name other.zone.test. is not permitted in zone example.test.',
          'RRSet of type CNAME with DNS name www.example.test. is not permitted as it conflicts with other records with the same DNS name in zone example.test.',
        ]);
        return true;
      },
    );
    assert.equal((await query(port, 'ok.example.test', 'A')).rcode, 'NXDOMAIN');
    await assert.rejects(change([{ Action: 'CREATE', ResourceRecordSet: { Name: 'x.example.test', Type: 'A' } }]), (e: Error) => e.name === 'InvalidInput');
  });

  test('ListResourceRecordSets pages in Route 53 order (labels reversed, then type)', async () => {
    const id = await createZone('paging.test');
    await change(
      ['b', 'a', 'a.b', 'c', 'z.a'].map((n) => upsert(simple(`${n}.paging.test`, 'A', ['192.0.2.1']))),
      id,
    );
    await change([upsert(simple('a.paging.test', 'TXT', ['"t"']))], id);
    const seen: string[] = [];
    let next: { name?: string; type?: string } = {};
    for (;;) {
      const page = await r53.send(
        new ListResourceRecordSetsCommand({ HostedZoneId: id, MaxItems: 3, ...(next.name ? { StartRecordName: next.name, StartRecordType: next.type as never } : {}) }),
      );
      seen.push(...page.ResourceRecordSets!.map((s) => `${s.Name} ${s.Type}`));
      if (!page.IsTruncated) break;
      next = { name: page.NextRecordName, type: page.NextRecordType };
    }
    assert.deepEqual(seen, [
      'paging.test. NS',
      'paging.test. SOA',
      'a.paging.test. A',
      'a.paging.test. TXT',
      'z.a.paging.test. A',
      'b.paging.test. A',
      'a.b.paging.test. A',
      'c.paging.test. A',
    ]);
  });
});

describe('routing policies', () => {
  test('weighted records answer in proportion to their weights; weight 0 never while others can', async () => {
    await change([
      upsert({ ...simple('w.example.test', 'A', ['10.0.0.1']), SetIdentifier: 'one', Weight: 3 }),
      upsert({ ...simple('w.example.test', 'A', ['10.0.0.2']), SetIdentifier: 'two', Weight: 1 }),
      upsert({ ...simple('w.example.test', 'A', ['10.0.0.3']), SetIdentifier: 'off', Weight: 0 }),
    ]);
    const counts = new Map<string, number>();
    for (let i = 0; i < 400; i++) {
      const [value] = dataOf(await query(port, 'w.example.test', 'A'), 'A');
      counts.set(value!, (counts.get(value!) ?? 0) + 1);
    }
    assert.equal(counts.get('10.0.0.3'), undefined);
    const one = counts.get('10.0.0.1') ?? 0;
    assert.ok(one > 240 && one < 360, `weight 3 of 4 answered ${one} of 400`);
  });

  test('multivalue answers up to eight healthy sets; failover leaves an unhealthy primary', async () => {
    const closed = await closedPort();
    const check = await r53.send(new CreateHealthCheckCommand({ CallerReference: `hc-${Date.now()}`, HealthCheckConfig: { Type: 'TCP', IPAddress: '127.0.0.1', Port: closed, FailureThreshold: 1 } }));
    const checkId = check.HealthCheck!.Id!;
    await change([
      ...Array.from({ length: 10 }, (_, i) => upsert({ ...simple('mv.example.test', 'A', [`10.1.0.${i + 1}`]), SetIdentifier: `m${i}`, MultiValueAnswer: true, ...(i === 0 ? { HealthCheckId: checkId } : {}) })),
      upsert({ ...simple('fo.example.test', 'A', ['10.2.0.1']), SetIdentifier: 'p', Failover: 'PRIMARY', HealthCheckId: checkId }),
      upsert({ ...simple('fo.example.test', 'A', ['10.2.0.2']), SetIdentifier: 's', Failover: 'SECONDARY' }),
    ]);
    // The probe (every 100 ms here) finds the port closed.
    for (let i = 0; i < 50; i++) {
      const status = await r53.send(new GetHealthCheckStatusCommand({ HealthCheckId: checkId }));
      if (status.HealthCheckObservations?.[0]?.StatusReport?.Status?.startsWith('Failure')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(dataOf(await query(port, 'fo.example.test', 'A'), 'A'), ['10.2.0.2']);
    for (let i = 0; i < 20; i++) {
      const values = dataOf(await query(port, 'mv.example.test', 'A'), 'A');
      assert.equal(values.length, 8);
      assert.ok(!values.includes('10.1.0.1'), 'the unhealthy set is left out');
    }
  });
});

describe('the DNS server', () => {
  test('an answer too large for UDP is truncated, and whole over TCP or with EDNS', async () => {
    const big = Array.from({ length: 12 }, (_, i) => `"${'x'.repeat(100)}${i}"`);
    await change([upsert(simple('big.example.test', 'TXT', big))]);
    const udp = await query(port, 'big.example.test', 'TXT');
    assert.equal(udp.flag_tc, true);
    assert.equal(udp.answers?.length, 0);
    const tcp = await query(port, 'big.example.test', 'TXT', { tcp: true });
    assert.equal(tcp.answers?.length, 12);
    const edns = await query(port, 'big.example.test', 'TXT', { edns: 4096 });
    assert.equal(edns.flag_tc, false);
    assert.equal(edns.answers?.length, 12);
  });

  test('malformed packets answer FORMERR or are dropped, and later queries are still answered', async () => {
    const garbage = Buffer.concat([Buffer.from([0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0]), Buffer.from([0xff, 0xff, 0xff])]);
    const formerr = await sendUdp(port, garbage);
    assert.equal(formerr?.id, 0x1234);
    assert.equal(formerr?.rcode, 'FORMERR');
    assert.equal(await sendUdp(port, Buffer.from([1, 2, 3]), 200), undefined);
    const ok = await sendUdp(port, encodeQuery('www.example.test', 'A'));
    assert.equal(ok?.rcode, 'NOERROR');
  });

  test('names no zone serves are refused; localhost names answer loopback', async () => {
    assert.equal((await query(port, 'example.org', 'A')).rcode, 'REFUSED');
    assert.deepEqual(dataOf(await query(port, 'my-lb-1.us-east-1.elb.localhost', 'A'), 'A'), ['127.0.0.1']);
  });
});

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}
