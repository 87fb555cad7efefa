// ECS services registered in Cloud Map (`serviceRegistries`), end to end: ready tasks become
// instances with their host port, the DNS server answers the service's name with them (A and SRV),
// and scaled-in tasks leave before they stop.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Resolver } from 'node:dns/promises';
import { CreateServiceCommand as CreateEcsServiceCommand, DescribeTasksCommand, ECSClient, ListTasksCommand, RegisterTaskDefinitionCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { CreatePrivateDnsNamespaceCommand, CreateServiceCommand, GetOperationCommand, ListInstancesCommand, ServiceDiscoveryClient } from '@aws-sdk/client-servicediscovery';
import { type TestPlatform, startPlatform, until } from '@atoll/test-support';

process.env.ATOLL_DNS_PORT = '0';
const APP = "require('http').createServer((q, r) => r.end('task ' + process.env.ATOLL_TASK_ARN.split('/').pop())).listen(process.env.PORT, '127.0.0.1')";


describe('ECS services in Cloud Map', () => {
  let p: TestPlatform;
  let ecs: ECSClient;
  let sd: ServiceDiscoveryClient;
  let registryArn: string;
  let serviceId: string;
  before(async () => {
    p = await startPlatform({ services: ['ecs', 'servicediscovery', 'route53'] });
    ecs = p.client(ECSClient);
    sd = p.client(ServiceDiscoveryClient);
    const op = await sd.send(new CreatePrivateDnsNamespaceCommand({ Name: 'apps.internal', Vpc: 'vpc-1' }));
    const namespaceId = (await until('the namespace', async () => {
      const o = (await sd.send(new GetOperationCommand({ OperationId: op.OperationId! }))).Operation!;
      return o.Status === 'SUCCESS' && o;
    })).Targets!.NAMESPACE!;
    const svc = await sd.send(
      new CreateServiceCommand({ Name: 'orders', NamespaceId: namespaceId, DnsConfig: { RoutingPolicy: 'MULTIVALUE', DnsRecords: [{ Type: 'A', TTL: 5 }, { Type: 'SRV', TTL: 5 }] } }),
    );
    registryArn = svc.Service!.Arn!;
    serviceId = svc.Service!.Id!;
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'orders',
        containerDefinitions: [{ name: 'app', image: 'process', memory: 128, command: [process.execPath, '-e', APP], portMappings: [{ containerPort: 8080 }], stopTimeout: 2 }],
      }),
    );
  });
  after(() => p.stop());

  test('refuses registries that are not one Cloud Map service of a known container port', async () => {
    const refused = async (serviceRegistries: object[], message: RegExp) =>
      assert.rejects(ecs.send(new CreateEcsServiceCommand({ serviceName: 'bad', taskDefinition: 'orders', desiredCount: 0, serviceRegistries })), (e: Error) => {
        assert.equal(e.name, 'InvalidParameterException');
        assert.match(e.message, message);
        return true;
      });
    await refused([{ registryArn: 'arn:aws:sqs:us-east-1:000000000000:nope' }], /registryArn/);
    await refused([{ registryArn }, { registryArn }], /one service registry/);
    await refused([{ registryArn, containerName: 'app', containerPort: 9999 }], /container port 9999/);
  });

  test('ready tasks answer the service name in DNS, and scaled-in tasks leave it', async () => {
    await ecs.send(
      new CreateEcsServiceCommand({ serviceName: 'orders', taskDefinition: 'orders', desiredCount: 2, serviceRegistries: [{ registryArn, containerName: 'app', containerPort: 8080 }] }),
    );
    const instances = await until('two instances', async () => {
      const list = (await sd.send(new ListInstancesCommand({ ServiceId: serviceId }))).Instances ?? [];
      return list.length === 2 && list;
    }, 60_000);
    const taskArns = (await ecs.send(new ListTasksCommand({ serviceName: 'orders' }))).taskArns!;
    const tasks = (await ecs.send(new DescribeTasksCommand({ tasks: taskArns }))).tasks!;
    const hostPorts = tasks.map((t) => String(t.containers![0]!.networkBindings![0]!.hostPort)).sort();
    assert.deepEqual(instances.map((i) => i.Id).sort(), taskArns.map((a) => a.split('/').pop()).sort());
    assert.deepEqual(instances.map((i) => i.Attributes!.AWS_INSTANCE_PORT).sort(), hostPorts);
    assert.ok(instances.every((i) => i.Attributes!.AWS_INSTANCE_IPV4 === '127.0.0.1' && i.Attributes!.ECS_SERVICE_NAME === 'orders' && i.Attributes!.ECS_CLUSTER_NAME === 'default'));

    const dns = new Resolver();
    const port = ((await (await fetch(`${p.endpoint}/_atoll/dns`)).json()) as { port: number }).port;
    dns.setServers([`127.0.0.1:${port}`]);
    assert.deepEqual(await dns.resolve4('orders.apps.internal'), ['127.0.0.1', '127.0.0.1']);
    const srv = await dns.resolveSrv('orders.apps.internal');
    assert.deepEqual(srv.map((r) => String(r.port)).sort(), hostPorts);
    assert.match(await (await fetch(`http://127.0.0.1:${srv[0]!.port}/`)).text(), /^task /);

    await ecs.send(new UpdateServiceCommand({ service: 'orders', desiredCount: 0 }));
    await until('the instances to leave', async () => ((await sd.send(new ListInstancesCommand({ ServiceId: serviceId }))).Instances ?? []).length === 0, 60_000);
  });
});
