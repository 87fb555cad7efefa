// End-to-end: an HTTP API private integration (ConnectionType VPC_LINK) to an application load
// balancer's listener on this machine, whose target group holds a local upstream; and a REST API
// VPC_LINK integration to the load balancer's DNS name.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiGatewayV2Client, CreateApiCommand, CreateIntegrationCommand, CreateRouteCommand, CreateStageCommand, CreateVpcLinkCommand, GetVpcLinksCommand, NotFoundException } from '@aws-sdk/client-apigatewayv2';
import { CreateListenerCommand, CreateLoadBalancerCommand, CreateTargetGroupCommand, ElasticLoadBalancingV2Client, RegisterTargetsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  APIGatewayClient,
  CreateDeploymentCommand,
  CreateResourceCommand,
  CreateRestApiCommand,
  CreateVpcLinkCommand as CreateVpcLinkV1,
  PutIntegrationCommand,
  PutMethodCommand,
} from '@aws-sdk/client-api-gateway';
import { startPlatform, type TestPlatform } from '@atoll/test-support';
import { call } from './http-call.js';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

describe('VPC links', () => {
  let platform: TestPlatform;
  let upstream: Server;

  before(async () => {
    platform = await startPlatform({ services: ['apigateway', 'apigatewayv2', 'elbv2', 'iam', 'sts'] });
    upstream = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ service: 'orders', url: req.url }));
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  });

  after(async () => {
    upstream?.close();
    await platform?.stop();
  });

  let listener: { ListenerArn?: string; Port?: number };
  let dnsName: string;

  /** Polls until the load balancer (which may wait for its first health check) answers 200. */
  async function until200(url: string) {
    const deadline = Date.now() + 30_000;
    let reply = await call(url);
    while (reply.status !== 200 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      reply = await call(url);
    }
    return reply;
  }

  it('sends an HTTP API route through a VPC link to an ALB listener', async () => {
    const elb = platform.client(ElasticLoadBalancingV2Client);
    const lb = (await elb.send(new CreateLoadBalancerCommand({ Name: 'orders-alb', Subnets: ['subnet-1'] }))).LoadBalancers![0]!;
    dnsName = lb.DNSName!;
    const tg = (await elb.send(new CreateTargetGroupCommand({ Name: 'orders-tg', Protocol: 'HTTP', Port: 80, TargetType: 'ip', VpcId: 'vpc-1' }))).TargetGroups![0]!;
    await elb.send(new RegisterTargetsCommand({ TargetGroupArn: tg.TargetGroupArn!, Targets: [{ Id: '127.0.0.1', Port: (upstream.address() as AddressInfo).port }] }));
    listener = (await elb.send(new CreateListenerCommand({ LoadBalancerArn: lb.LoadBalancerArn!, Protocol: 'HTTP', Port: await freePort(), DefaultActions: [{ Type: 'forward', TargetGroupArn: tg.TargetGroupArn! }] }))).Listeners![0]!;

    const gw = platform.client(ApiGatewayV2Client);
    const link = await gw.send(new CreateVpcLinkCommand({ Name: 'private', SubnetIds: ['subnet-1'] }));
    assert.equal(link.VpcLinkStatus, 'AVAILABLE');
    assert.equal((await gw.send(new GetVpcLinksCommand({}))).Items?.length, 1);
    const apiId = (await gw.send(new CreateApiCommand({ Name: 'private-api', ProtocolType: 'HTTP' }))).ApiId!;
    await assert.rejects(
      gw.send(new CreateIntegrationCommand({ ApiId: apiId, IntegrationType: 'HTTP_PROXY', IntegrationMethod: 'ANY', ConnectionType: 'VPC_LINK', ConnectionId: 'nope00', IntegrationUri: listener.ListenerArn, PayloadFormatVersion: '1.0' })),
      NotFoundException,
    );
    const integration = await gw.send(new CreateIntegrationCommand({
      ApiId: apiId, IntegrationType: 'HTTP_PROXY', IntegrationMethod: 'ANY', ConnectionType: 'VPC_LINK', ConnectionId: link.VpcLinkId, IntegrationUri: listener.ListenerArn, PayloadFormatVersion: '1.0',
    }));
    await gw.send(new CreateRouteCommand({ ApiId: apiId, RouteKey: 'ANY /orders/{proxy+}', Target: `integrations/${integration.IntegrationId}` }));
    await gw.send(new CreateStageCommand({ ApiId: apiId, StageName: 'prod', AutoDeploy: true }));

    const reply = await until200(`${platform.endpoint}/_atoll/execute-api/${apiId}/prod/orders/7?x=1`);
    assert.equal(reply.status, 200, reply.body);
    assert.deepEqual(JSON.parse(reply.body), { service: 'orders', url: '/orders/7?x=1' });
  });

  it('sends a REST API VPC_LINK integration to the load balancer by its DNS name (a *.localhost name)', async () => {
    const gw = platform.client(APIGatewayClient);
    const link = await gw.send(new CreateVpcLinkV1({ name: 'nlb-link', targetArns: [listener.ListenerArn!.replace(/:listener\/(app|net)\/([^/]+)\/([^/]+)\/.*$/, ':loadbalancer/$1/$2/$3')] }));
    assert.equal(link.status, 'AVAILABLE');
    const api = await gw.send(new CreateRestApiCommand({ name: 'private-rest' }));
    const proxy = await gw.send(new CreateResourceCommand({ restApiId: api.id!, parentId: api.rootResourceId!, pathPart: '{proxy+}' }));
    await gw.send(new PutMethodCommand({ restApiId: api.id!, resourceId: proxy.id!, httpMethod: 'ANY', authorizationType: 'NONE' }));
    await gw.send(new PutIntegrationCommand({
      restApiId: api.id!, resourceId: proxy.id!, httpMethod: 'ANY', type: 'HTTP_PROXY', integrationHttpMethod: 'ANY',
      connectionType: 'VPC_LINK', connectionId: link.id!, uri: `http://${dnsName}:${listener.Port}/{proxy}`,
    }));
    await gw.send(new CreateDeploymentCommand({ restApiId: api.id!, stageName: 'prod' }));
    const reply = await until200(`${platform.endpoint}/_atoll/execute-api/${api.id}/prod/items/3`);
    assert.deepEqual(JSON.parse(reply.body), { service: 'orders', url: '/items/3' });
  });
});
