// End-to-end: Cloud Map through @aws-sdk/client-servicediscovery against a real platform: HTTP
// namespaces discovered through the API, DNS namespaces whose instances answer in the DNS server.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateHttpNamespaceCommand,
  CreatePrivateDnsNamespaceCommand,
  CreateServiceCommand,
  DeleteNamespaceCommand,
  DeleteServiceCommand,
  DeregisterInstanceCommand,
  DiscoverInstancesCommand,
  GetInstanceCommand,
  GetNamespaceCommand,
  GetOperationCommand,
  ListInstancesCommand,
  ListNamespacesCommand,
  RegisterInstanceCommand,
  ServiceDiscoveryClient,
  UpdateInstanceCustomHealthStatusCommand,
} from '@aws-sdk/client-servicediscovery';
import { GetHostedZoneCommand, Route53Client } from '@aws-sdk/client-route-53';
import { startPlatform, type TestPlatform } from '@atoll/test-support';
import { dataOf, dnsPort, query } from './dns-query.js';

process.env.ATOLL_DNS_PORT = '0';

let platform: TestPlatform;
let sd: ServiceDiscoveryClient;
let r53: Route53Client;
let port: number;

async function namespaceOf(operationId: string): Promise<string> {
  const op = await sd.send(new GetOperationCommand({ OperationId: operationId }));
  assert.equal(op.Operation?.Status, 'SUCCESS');
  return op.Operation!.Targets!.NAMESPACE!;
}

before(async () => {
  platform = await startPlatform({ services: ['iam', 'sts', 'route53', 'servicediscovery'] });
  // DiscoverInstances' endpoint has the host prefix `data-`, which an IP endpoint cannot take.
  sd = platform.client(ServiceDiscoveryClient, { disableHostPrefix: true });
  r53 = platform.client(Route53Client);
  port = await dnsPort(platform.endpoint);
});

after(async () => {
  await platform.stop();
});

describe('HTTP namespaces', () => {
  test('instances are discovered by query parameters and health, with custom health status', async () => {
    const nsId = await namespaceOf((await sd.send(new CreateHttpNamespaceCommand({ Name: 'apps' }))).OperationId!);
    await assert.rejects(sd.send(new CreateHttpNamespaceCommand({ Name: 'apps' })), (e: Error) => e.name === 'NamespaceAlreadyExists');
    const svc = await sd.send(new CreateServiceCommand({ Name: 'orders', NamespaceId: nsId, HealthCheckCustomConfig: {} }));
    const serviceId = svc.Service!.Id!;
    await sd.send(new RegisterInstanceCommand({ ServiceId: serviceId, InstanceId: 'i-1', Attributes: { AWS_INSTANCE_IPV4: '10.0.0.1', AWS_INSTANCE_PORT: '8080', stage: 'prod' } }));
    await sd.send(new RegisterInstanceCommand({ ServiceId: serviceId, InstanceId: 'i-2', Attributes: { AWS_INSTANCE_IPV4: '10.0.0.2', AWS_INSTANCE_PORT: '8080', stage: 'dev' } }));
    const prod = await sd.send(new DiscoverInstancesCommand({ NamespaceName: 'apps', ServiceName: 'orders', QueryParameters: { stage: 'prod' } }));
    assert.deepEqual(prod.Instances?.map((i) => i.InstanceId), ['i-1']);
    assert.equal(prod.Instances?.[0]?.HealthStatus, 'HEALTHY');
    await sd.send(new UpdateInstanceCustomHealthStatusCommand({ ServiceId: serviceId, InstanceId: 'i-1', Status: 'UNHEALTHY' }));
    const healthy = await sd.send(new DiscoverInstancesCommand({ NamespaceName: 'apps', ServiceName: 'orders', HealthStatus: 'HEALTHY' }));
    assert.deepEqual(healthy.Instances?.map((i) => i.InstanceId), ['i-2']);
    const listed = await sd.send(new ListInstancesCommand({ ServiceId: serviceId }));
    assert.equal(listed.Instances?.length, 2);
    const ns = await sd.send(new GetNamespaceCommand({ Id: nsId }));
    assert.equal(ns.Namespace?.ServiceCount, 1);
    await assert.rejects(sd.send(new DeleteNamespaceCommand({ Id: nsId })), (e: Error) => e.name === 'ResourceInUse');
    await assert.rejects(sd.send(new DeleteServiceCommand({ Id: serviceId })), (e: Error) => e.name === 'ResourceInUse');
  });

  test('unknown services, namespaces and instances answer Cloud Map\'s errors', async () => {
    await assert.rejects(sd.send(new GetInstanceCommand({ ServiceId: 'srv-00000000', InstanceId: 'x' })), (e: Error) => e.name === 'ServiceNotFound');
    await assert.rejects(sd.send(new DiscoverInstancesCommand({ NamespaceName: 'nope', ServiceName: 'x' })), (e: Error) => e.name === 'NamespaceNotFound');
    const listed = await sd.send(new ListNamespacesCommand({}));
    const apps = listed.Namespaces!.find((n) => n.Name === 'apps')!;
    const svc = await sd.send(new CreateServiceCommand({ Name: 'empty', NamespaceId: apps.Id }));
    await assert.rejects(sd.send(new DeregisterInstanceCommand({ ServiceId: svc.Service!.Id, InstanceId: 'ghost' })), (e: Error) => e.name === 'InstanceNotFound');
  });
});

describe('DNS namespaces', () => {
  test('a private DNS namespace creates its zone; registered instances answer A and SRV as soon as RegisterInstance returns', async () => {
    const nsId = await namespaceOf((await sd.send(new CreatePrivateDnsNamespaceCommand({ Name: 'corp.internal', Vpc: 'vpc-1' }))).OperationId!);
    const ns = await sd.send(new GetNamespaceCommand({ Id: nsId }));
    const zoneId = ns.Namespace!.Properties!.DnsProperties!.HostedZoneId!;
    const zone = await r53.send(new GetHostedZoneCommand({ Id: zoneId }));
    assert.equal(zone.HostedZone?.Config?.PrivateZone, true);
    const svc = await sd.send(
      new CreateServiceCommand({
        Name: 'api',
        NamespaceId: nsId,
        DnsConfig: { RoutingPolicy: 'MULTIVALUE', DnsRecords: [{ Type: 'A', TTL: 10 }, { Type: 'SRV', TTL: 10 }] },
        HealthCheckCustomConfig: {},
      }),
    );
    const serviceId = svc.Service!.Id!;
    await sd.send(new RegisterInstanceCommand({ ServiceId: serviceId, InstanceId: 'task-1', Attributes: { AWS_INSTANCE_IPV4: '10.9.0.1', AWS_INSTANCE_PORT: '8080' } }));
    const a = await query(port, 'api.corp.internal', 'A');
    assert.deepEqual(dataOf(a, 'A'), ['10.9.0.1']);
    await sd.send(new RegisterInstanceCommand({ ServiceId: serviceId, InstanceId: 'task-2', Attributes: { AWS_INSTANCE_IPV4: '10.9.0.2', AWS_INSTANCE_PORT: '8081' } }));
    assert.deepEqual(dataOf(await query(port, 'api.corp.internal', 'A'), 'A'), ['10.9.0.1', '10.9.0.2']);
    const srv = await query(port, 'api.corp.internal', 'SRV');
    assert.deepEqual(dataOf(srv, 'SRV').map((s) => JSON.parse(s).port).sort(), [8080, 8081]);
    assert.deepEqual(dataOf(await query(port, 'task-1.api.corp.internal', 'A'), 'A'), ['10.9.0.1']);
    // An unhealthy instance leaves the answers; a deregistered one too.
    await sd.send(new UpdateInstanceCustomHealthStatusCommand({ ServiceId: serviceId, InstanceId: 'task-1', Status: 'UNHEALTHY' }));
    assert.deepEqual(dataOf(await query(port, 'api.corp.internal', 'A'), 'A'), ['10.9.0.2']);
    await sd.send(new DeregisterInstanceCommand({ ServiceId: serviceId, InstanceId: 'task-2' }));
    const gone = await query(port, 'api.corp.internal', 'A');
    assert.equal(gone.answers?.length, 0);
    await sd.send(new UpdateInstanceCustomHealthStatusCommand({ ServiceId: serviceId, InstanceId: 'task-1', Status: 'HEALTHY' }));
    assert.deepEqual(dataOf(await query(port, 'api.corp.internal', 'A'), 'A'), ['10.9.0.1']);
    await sd.send(new DeregisterInstanceCommand({ ServiceId: serviceId, InstanceId: 'task-1' }));
    await sd.send(new DeleteServiceCommand({ Id: serviceId }));
    await sd.send(new DeleteNamespaceCommand({ Id: nsId }));
    await assert.rejects(r53.send(new GetHostedZoneCommand({ Id: zoneId })), (e: Error) => e.name === 'NoSuchHostedZone');
    assert.equal((await query(port, 'api.corp.internal', 'A')).rcode, 'REFUSED');
  });
});
