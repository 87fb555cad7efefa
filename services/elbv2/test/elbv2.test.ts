// End-to-end: the ELBv2 API through @aws-sdk/client-elastic-load-balancing-v2 against a real
// platform, with real upstream servers behind the load balancers.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import { createServer as createNetServer, connect, type AddressInfo } from 'node:net';
import {
  AddTagsCommand,
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateRuleCommand,
  CreateTargetGroupCommand,
  DeleteListenerCommand,
  DeleteLoadBalancerCommand,
  DeleteRuleCommand,
  DeleteTargetGroupCommand,
  DeregisterTargetsCommand,
  DescribeListenersCommand,
  DescribeLoadBalancerAttributesCommand,
  DescribeLoadBalancersCommand,
  DescribeRulesCommand,
  DescribeTagsCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  ModifyLoadBalancerAttributesCommand,
  ModifyRuleCommand,
  ModifyTargetGroupAttributesCommand,
  ModifyTargetGroupCommand,
  RegisterTargetsCommand,
  RemoveTagsCommand,
  SetRulePrioritiesCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { startPlatform, type TestPlatform } from '@atoll/test-support';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function upstream(name: string): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(req.url === '/health' ? 'ok' : name);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}

function get(port: number, path = '/', headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  // A check that throws (e.g. a listener not bound yet while the service warms up) counts as not yet.
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('ELBv2 through the SDK', () => {
  let platform: TestPlatform;
  let elb: ElasticLoadBalancingV2Client;
  const servers: Server[] = [];
  let lbArn: string;
  let tgArn: string;
  let listenerArn: string;
  let listenerPort: number;
  let a: { server: Server; port: number };
  let b: { server: Server; port: number };

  before(async () => {
    platform = await startPlatform({ services: ['elbv2'] });
    elb = platform.client(ElasticLoadBalancingV2Client);
    a = await upstream('a');
    b = await upstream('b');
    servers.push(a.server, b.server);
  });
  after(async () => {
    await platform.stop();
    for (const s of servers) {
      s.closeAllConnections?.();
      s.close();
    }
  });

  test('creates an application load balancer that is active at once, with a DNS name', async () => {
    const out = await elb.send(new CreateLoadBalancerCommand({ Name: 'web', Subnets: ['subnet-1', 'subnet-2'], Tags: [{ Key: 'team', Value: 'x' }] }));
    const lb = out.LoadBalancers![0]!;
    lbArn = lb.LoadBalancerArn!;
    assert.match(lbArn, /^arn:aws:elasticloadbalancing:[^:]+:\d{12}:loadbalancer\/app\/web\/[0-9a-f]{16}$/);
    assert.match(lb.DNSName!, /^web-\d+\.[a-z0-9-]+\.elb\.localhost$/);
    assert.equal(lb.State?.Code, 'active');
    assert.equal(lb.Type, 'application');
    assert.equal(lb.AvailabilityZones?.length, 2);
    const described = await elb.send(new DescribeLoadBalancersCommand({ Names: ['web'] }));
    assert.equal(described.LoadBalancers![0]!.LoadBalancerArn, lbArn);
  });

  test('refuses a second load balancer of the same name with other settings', async () => {
    await assert.rejects(elb.send(new CreateLoadBalancerCommand({ Name: 'web', Type: 'network' })), (e: Error & { $metadata: { httpStatusCode: number } }) => {
      assert.equal(e.name, 'DuplicateLoadBalancerNameException');
      assert.equal(e.$metadata.httpStatusCode, 400);
      return true;
    });
  });

  test('answers LoadBalancerNotFound for an unknown name', async () => {
    await assert.rejects(elb.send(new DescribeLoadBalancersCommand({ Names: ['nope'] })), { name: 'LoadBalancerNotFoundException' });
  });

  test('creates a target group with ALB health check defaults', async () => {
    const out = await elb.send(new CreateTargetGroupCommand({ Name: 'web-tg', Protocol: 'HTTP', Port: 80, TargetType: 'ip', VpcId: 'vpc-1', HealthCheckPath: '/health', HealthCheckIntervalSeconds: 5, HealthCheckTimeoutSeconds: 2, HealthyThresholdCount: 2 }));
    const tg = out.TargetGroups![0]!;
    tgArn = tg.TargetGroupArn!;
    assert.match(tgArn, /:targetgroup\/web-tg\/[0-9a-f]{16}$/);
    assert.equal(tg.HealthCheckProtocol, 'HTTP');
    assert.equal(tg.HealthCheckPort, 'traffic-port');
    assert.equal(tg.UnhealthyThresholdCount, 2);
    assert.equal(tg.Matcher?.HttpCode, '200');
    const attrs = await elb.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: tgArn }));
    const map = Object.fromEntries(attrs.Attributes!.map((x) => [x.Key, x.Value]));
    assert.equal(map['deregistration_delay.timeout_seconds'], '300');
    assert.equal(map['stickiness.type'], 'lb_cookie');
    assert.equal(map['load_balancing.algorithm.type'], 'round_robin');
  });

  test('refuses a health check timeout that is not below the interval', async () => {
    await assert.rejects(elb.send(new ModifyTargetGroupCommand({ TargetGroupArn: tgArn, HealthCheckTimeoutSeconds: 10, HealthCheckIntervalSeconds: 5 })), (e: Error & { $metadata: { httpStatusCode: number } }) => {
      assert.equal(e.name, 'ValidationError');
      assert.equal(e.$metadata.httpStatusCode, 400);
      return true;
    });
  });

  test('registered targets of a group without a listener are unused with Target.NotInUse', async () => {
    await elb.send(new RegisterTargetsCommand({ TargetGroupArn: tgArn, Targets: [{ Id: '127.0.0.1', Port: a.port }] }));
    const health = await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tgArn }));
    assert.deepEqual(health.TargetHealthDescriptions!.map((d) => [d.Target?.Port, d.TargetHealth?.State, d.TargetHealth?.Reason]), [[a.port, 'unused', 'Target.NotInUse']]);
  });

  test('a listener on a free port forwards to the healthy target', async () => {
    listenerPort = await freePort();
    const out = await elb.send(new CreateListenerCommand({ LoadBalancerArn: lbArn, Protocol: 'HTTP', Port: listenerPort, DefaultActions: [{ Type: 'forward', TargetGroupArn: tgArn }] }));
    listenerArn = out.Listeners![0]!.ListenerArn!;
    assert.equal(out.Listeners![0]!.Port, listenerPort);
    assert.equal(out.Listeners![0]!.DefaultActions![0]!.ForwardConfig?.TargetGroups?.[0]?.TargetGroupArn, tgArn);
    await until(async () => {
      const h = await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tgArn }));
      return h.TargetHealthDescriptions![0]!.TargetHealth?.State === 'healthy';
    }, 'healthy target');
    const r = await get(listenerPort);
    assert.equal(r.status, 200);
    assert.equal(r.body, 'a');
    const groups = await elb.send(new DescribeTargetGroupsCommand({ LoadBalancerArn: lbArn }));
    assert.deepEqual(groups.TargetGroups!.map((g) => g.LoadBalancerArns), [[lbArn]]);
  });

  test('a second listener on the same port is a DuplicateListener', async () => {
    await assert.rejects(elb.send(new CreateListenerCommand({ LoadBalancerArn: lbArn, Protocol: 'HTTP', Port: listenerPort, DefaultActions: [{ Type: 'forward', TargetGroupArn: tgArn }] })), { name: 'DuplicateListenerException' });
  });

  test('a listener on a port that is already bound fails with InvalidConfigurationRequest', async () => {
    const busy = createNetServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = (busy.address() as AddressInfo).port;
    try {
      await assert.rejects(elb.send(new CreateListenerCommand({ LoadBalancerArn: lbArn, Protocol: 'HTTP', Port: port, DefaultActions: [{ Type: 'forward', TargetGroupArn: tgArn }] })), { name: 'InvalidConfigurationRequestException' });
      const listeners = await elb.send(new DescribeListenersCommand({ LoadBalancerArn: lbArn }));
      assert.equal(listeners.Listeners!.length, 1);
    } finally {
      busy.close();
    }
  });

  test('rules route by path and a priority in use is refused with PriorityInUse', async () => {
    const tgB = (await elb.send(new CreateTargetGroupCommand({ Name: 'b-tg', Protocol: 'HTTP', Port: b.port, TargetType: 'ip', HealthCheckPath: '/health', HealthCheckIntervalSeconds: 5, HealthCheckTimeoutSeconds: 2, HealthyThresholdCount: 2 }))).TargetGroups![0]!.TargetGroupArn!;
    await elb.send(new RegisterTargetsCommand({ TargetGroupArn: tgB, Targets: [{ Id: '127.0.0.1' }] }));
    const rule = await elb.send(new CreateRuleCommand({ ListenerArn: listenerArn, Priority: 10, Conditions: [{ Field: 'path-pattern', Values: ['/b/*'] }], Actions: [{ Type: 'forward', TargetGroupArn: tgB }] }));
    assert.equal(rule.Rules![0]!.Priority, '10');
    assert.deepEqual(rule.Rules![0]!.Conditions![0]!.PathPatternConfig?.Values, ['/b/*']);
    await until(async () => (await get(listenerPort, '/b/x')).body === 'b', 'rule to b');
    assert.equal((await get(listenerPort, '/other')).body, 'a');
    await assert.rejects(
      elb.send(new CreateRuleCommand({ ListenerArn: listenerArn, Priority: 10, Conditions: [{ Field: 'path-pattern', Values: ['/c'] }], Actions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '200' } }] })),
      (e: Error & { $metadata: { httpStatusCode: number } }) => {
        assert.equal(e.name, 'PriorityInUseException');
        assert.equal(e.$metadata.httpStatusCode, 400);
        return true;
      },
    );
    const described = await elb.send(new DescribeRulesCommand({ ListenerArn: listenerArn }));
    assert.deepEqual(described.Rules!.map((r) => [r.Priority, r.IsDefault]), [['10', false], ['default', true]]);
  });

  test('invalid conditions are a ValidationError', async () => {
    for (const Conditions of [
      [{ Field: 'source-ip', SourceIpConfig: { Values: ['not-a-cidr'] } }],
      [{ Field: 'colour', Values: ['red'] }],
      [{ Field: 'path-pattern', Values: ['/a', '/b', '/c', '/d', '/e', '/f'] }],
    ]) {
      await assert.rejects(elb.send(new CreateRuleCommand({ ListenerArn: listenerArn, Priority: 20, Conditions, Actions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '200' } }] })), { name: 'ValidationError' });
    }
  });

  test('fixed responses, priorities and rule changes apply to traffic', async () => {
    const fixed = await elb.send(new CreateRuleCommand({ ListenerArn: listenerArn, Priority: 30, Conditions: [{ Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'X-Mode', Values: ['maint*'] } }], Actions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '503', ContentType: 'text/plain', MessageBody: 'down for maintenance' } }] }));
    const fixedArn = fixed.Rules![0]!.RuleArn!;
    let r = await get(listenerPort, '/b/x', { 'x-mode': 'maintenance' });
    assert.equal(r.body, 'b', 'priority 10 wins over 30');
    const rules = (await elb.send(new DescribeRulesCommand({ ListenerArn: listenerArn }))).Rules!;
    const pathRule = rules.find((x) => x.Priority === '10')!.RuleArn!;
    await assert.rejects(elb.send(new SetRulePrioritiesCommand({ RulePriorities: [{ RuleArn: fixedArn, Priority: 10 }] })), { name: 'PriorityInUseException' });
    await elb.send(new SetRulePrioritiesCommand({ RulePriorities: [{ RuleArn: fixedArn, Priority: 5 }, { RuleArn: pathRule, Priority: 6 }] }));
    r = await get(listenerPort, '/b/x', { 'x-mode': 'maintenance' });
    assert.equal(r.status, 503);
    assert.equal(r.body, 'down for maintenance');
    await elb.send(new ModifyRuleCommand({ RuleArn: fixedArn, Actions: [{ Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_302' } }] }));
    r = await get(listenerPort, '/b/x?q=1', { 'x-mode': 'maintenance', host: 'shop.test' });
    assert.equal(r.status, 302);
    assert.equal(r.headers.location, 'https://shop.test/b/x?q=1');
    await elb.send(new DeleteRuleCommand({ RuleArn: fixedArn }));
    assert.equal((await get(listenerPort, '/b/x', { 'x-mode': 'maintenance' })).body, 'b');
  });

  test('a listener takes at most 100 rules (TooManyRules)', async () => {
    const port = await freePort();
    const l = (await elb.send(new CreateListenerCommand({ LoadBalancerArn: lbArn, Protocol: 'HTTP', Port: port, DefaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404' } }] }))).Listeners![0]!;
    for (let i = 1; i <= 100; i++) {
      await elb.send(new CreateRuleCommand({ ListenerArn: l.ListenerArn!, Priority: i, Conditions: [{ Field: 'path-pattern', Values: [`/r${i}`] }], Actions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '200', MessageBody: String(i) } }] }));
    }
    await assert.rejects(
      elb.send(new CreateRuleCommand({ ListenerArn: l.ListenerArn!, Priority: 101, Conditions: [{ Field: 'path-pattern', Values: ['/r101'] }], Actions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '200' } }] })),
      { name: 'TooManyRulesException' },
    );
    assert.equal((await get(port, '/r77')).body, '77');
    await elb.send(new DeleteListenerCommand({ ListenerArn: l.ListenerArn! }));
  });

  test('an HTTPS listener serves with a certificate given as a file:// ARN', async (t) => {
    const { spawnSync } = await import('node:child_process');
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'atoll-elb-cert-'));
    const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'site.key'), '-out', join(dir, 'site.pem'), '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
    if (made.status !== 0) {
      t.skip('openssl is not available to make a test certificate');
      return;
    }
    try {
      const port = await freePort();
      await assert.rejects(
        elb.send(new CreateListenerCommand({ LoadBalancerArn: lbArn, Protocol: 'HTTPS', Port: port, Certificates: [{ CertificateArn: `file://${join(dir, 'missing.pem')}` }], DefaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '200' } }] })),
        { name: 'CertificateNotFoundException' },
      );
      const l = (await elb.send(new CreateListenerCommand({ LoadBalancerArn: lbArn, Protocol: 'HTTPS', Port: port, Certificates: [{ CertificateArn: `file://${join(dir, 'site.pem')}` }], DefaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '200', ContentType: 'text/plain', MessageBody: 'secure' } }] }))).Listeners![0]!;
      assert.equal(l.SslPolicy, 'ELBSecurityPolicy-2016-08');
      const { request: httpsRequest } = await import('node:https');
      const body = await new Promise<string>((resolve, reject) => {
        const req = httpsRequest({ host: '127.0.0.1', port, path: '/', rejectUnauthorized: false, agent: false }, (res) => {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', () => resolve(text));
        });
        req.on('error', reject);
        req.end();
      });
      assert.equal(body, 'secure');
      await elb.send(new DeleteListenerCommand({ ListenerArn: l.ListenerArn! }));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the default rule cannot be deleted', async () => {
    const rules = (await elb.send(new DescribeRulesCommand({ ListenerArn: listenerArn }))).Rules!;
    const def = rules.find((x) => x.IsDefault)!;
    await assert.rejects(elb.send(new DeleteRuleCommand({ RuleArn: def.RuleArn! })), { name: 'OperationNotPermittedException' });
  });

  test('a target group in use cannot be deleted (ResourceInUse)', async () => {
    await assert.rejects(elb.send(new DeleteTargetGroupCommand({ TargetGroupArn: tgArn })), (e: Error & { $metadata: { httpStatusCode: number } }) => {
      assert.equal(e.name, 'ResourceInUseException');
      assert.equal(e.$metadata.httpStatusCode, 400);
      return true;
    });
  });

  test('deregistered targets drain and then disappear; unknown targets are unused with Target.NotRegistered', async () => {
    await elb.send(new ModifyTargetGroupAttributesCommand({ TargetGroupArn: tgArn, Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '1' }] }));
    await elb.send(new DeregisterTargetsCommand({ TargetGroupArn: tgArn, Targets: [{ Id: '127.0.0.1', Port: a.port }] }));
    const asked = await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tgArn, Targets: [{ Id: '127.0.0.1', Port: a.port }] }));
    assert.ok(['draining', 'unused'].includes(asked.TargetHealthDescriptions![0]!.TargetHealth!.State!));
    await until(async () => (await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tgArn }))).TargetHealthDescriptions!.length === 0, 'drained');
    const after = await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tgArn, Targets: [{ Id: '127.0.0.1', Port: a.port }] }));
    assert.equal(after.TargetHealthDescriptions![0]!.TargetHealth!.Reason, 'Target.NotRegistered');
    const r = await get(listenerPort, '/');
    assert.equal(r.status, 503);
    assert.match(r.body, /503 Service Temporarily Unavailable/);
    await assert.rejects(elb.send(new DeregisterTargetsCommand({ TargetGroupArn: tgArn, Targets: [{ Id: '127.0.0.1', Port: a.port }] })), { name: 'InvalidTargetException' });
  });

  test('attributes are validated and tags are kept per resource', async () => {
    await assert.rejects(elb.send(new ModifyLoadBalancerAttributesCommand({ LoadBalancerArn: lbArn, Attributes: [{ Key: 'idle_timeout.timeout_seconds', Value: 'soon' }] })), { name: 'ValidationError' });
    await assert.rejects(elb.send(new ModifyTargetGroupAttributesCommand({ TargetGroupArn: tgArn, Attributes: [{ Key: 'no.such.key', Value: '1' }] })), { name: 'ValidationError' });
    await elb.send(new ModifyLoadBalancerAttributesCommand({ LoadBalancerArn: lbArn, Attributes: [{ Key: 'idle_timeout.timeout_seconds', Value: '30' }] }));
    const attrs = await elb.send(new DescribeLoadBalancerAttributesCommand({ LoadBalancerArn: lbArn }));
    assert.equal(attrs.Attributes!.find((x) => x.Key === 'idle_timeout.timeout_seconds')?.Value, '30');
    await elb.send(new AddTagsCommand({ ResourceArns: [lbArn, tgArn], Tags: [{ Key: 'env', Value: 'dev' }] }));
    await elb.send(new RemoveTagsCommand({ ResourceArns: [lbArn], TagKeys: ['team'] }));
    const tags = await elb.send(new DescribeTagsCommand({ ResourceArns: [lbArn, tgArn] }));
    assert.deepEqual(tags.TagDescriptions!.map((d) => d.Tags!.map((t) => `${t.Key}=${t.Value}`)), [['env=dev'], ['env=dev']]);
    await assert.rejects(elb.send(new AddTagsCommand({ ResourceArns: [lbArn], Tags: [{ Key: 'k', Value: '1' }, { Key: 'k', Value: '2' }] })), { name: 'DuplicateTagKeysException' });
  });

  test('a network load balancer forwards TCP to its target group', async () => {
    const nlb = (await elb.send(new CreateLoadBalancerCommand({ Name: 'tcp', Type: 'network' }))).LoadBalancers![0]!;
    assert.match(nlb.LoadBalancerArn!, /loadbalancer\/net\/tcp\//);
    const echo = createNetServer((s) => s.on('data', (d) => s.write(d)));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    const echoSockets = new Set<import('node:net').Socket>();
    echo.on('connection', (c) => echoSockets.add(c));
    const tg = (await elb.send(new CreateTargetGroupCommand({ Name: 'tcp-tg', Protocol: 'TCP', Port: (echo.address() as AddressInfo).port, TargetType: 'ip', HealthCheckIntervalSeconds: 10, HealthCheckTimeoutSeconds: 2, HealthyThresholdCount: 2 }))).TargetGroups![0]!;
    assert.equal(tg.HealthCheckProtocol, 'TCP');
    await elb.send(new RegisterTargetsCommand({ TargetGroupArn: tg.TargetGroupArn!, Targets: [{ Id: '127.0.0.1' }] }));
    const port = await freePort();
    await elb.send(new CreateListenerCommand({ LoadBalancerArn: nlb.LoadBalancerArn!, Protocol: 'TCP', Port: port, DefaultActions: [{ Type: 'forward', TargetGroupArn: tg.TargetGroupArn! }] }));
    await until(async () => (await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg.TargetGroupArn! }))).TargetHealthDescriptions![0]!.TargetHealth!.State === 'healthy', 'healthy');
    const reply = await new Promise<string>((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => s.write('ping'));
      s.once('data', (d) => {
        resolve(d.toString());
        s.destroy();
      });
      s.once('error', reject);
    });
    assert.equal(reply, 'ping');
    await assert.rejects(elb.send(new CreateListenerCommand({ LoadBalancerArn: nlb.LoadBalancerArn!, Protocol: 'HTTP', Port: await freePort(), DefaultActions: [{ Type: 'forward', TargetGroupArn: tg.TargetGroupArn! }] })), { name: 'UnsupportedProtocolException' });
    await assert.rejects(elb.send(new CreateListenerCommand({ LoadBalancerArn: lbArn, Protocol: 'HTTP', Port: await freePort(), DefaultActions: [{ Type: 'forward', TargetGroupArn: tg.TargetGroupArn! }] })), { name: 'IncompatibleProtocolsException' });
    await elb.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: nlb.LoadBalancerArn! }));
    for (const c of echoSockets) c.destroy();
    echo.close();
  });

  test('deleting a listener unbinds its port; deleting the load balancer removes it', async () => {
    await elb.send(new DeleteListenerCommand({ ListenerArn: listenerArn }));
    await assert.rejects(get(listenerPort), { code: 'ECONNREFUSED' });
    await elb.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: lbArn }));
    await assert.rejects(elb.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [lbArn] })), { name: 'LoadBalancerNotFoundException' });
    await elb.send(new DeleteTargetGroupCommand({ TargetGroupArn: tgArn }));
  });
});

describe('ELBv2 across a restart', () => {
  test('listeners, rules and targets are re-created from the stored state', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dataDir = mkdtempSync(join(tmpdir(), 'atoll-elbv2-'));
    const up = await upstream('persisted');
    const port = await freePort();
    let platform = await startPlatform({ services: ['elbv2'], dataDir });
    try {
      let elb = platform.client(ElasticLoadBalancingV2Client);
      const lb = (await elb.send(new CreateLoadBalancerCommand({ Name: 'keep' }))).LoadBalancers![0]!;
      const tg = (await elb.send(new CreateTargetGroupCommand({ Name: 'keep-tg', Protocol: 'HTTP', Port: up.port, TargetType: 'ip', HealthCheckPath: '/health', HealthCheckIntervalSeconds: 5, HealthCheckTimeoutSeconds: 2, HealthyThresholdCount: 2 }))).TargetGroups![0]!;
      await elb.send(new RegisterTargetsCommand({ TargetGroupArn: tg.TargetGroupArn!, Targets: [{ Id: '127.0.0.1' }] }));
      await elb.send(new CreateListenerCommand({ LoadBalancerArn: lb.LoadBalancerArn!, Protocol: 'HTTP', Port: port, DefaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404' } }] }));
      const listenerArn = (await elb.send(new DescribeListenersCommand({ LoadBalancerArn: lb.LoadBalancerArn! }))).Listeners![0]!.ListenerArn!;
      await elb.send(new CreateRuleCommand({ ListenerArn: listenerArn, Priority: 1, Conditions: [{ Field: 'path-pattern', Values: ['/app*'] }], Actions: [{ Type: 'forward', TargetGroupArn: tg.TargetGroupArn! }] }));
      await platform.stop();
      await assert.rejects(get(port), { code: 'ECONNREFUSED' });
      platform = await startPlatform({ services: ['elbv2'], dataDir });
      elb = platform.client(ElasticLoadBalancingV2Client);
      await until(async () => (await get(port, '/app')).body === 'persisted', 'traffic after restart');
      assert.equal((await get(port, '/else')).status, 404);
      const health = await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg.TargetGroupArn! }));
      assert.equal(health.TargetHealthDescriptions![0]!.TargetHealth!.State, 'healthy');
    } finally {
      await platform.stop();
      up.server.closeAllConnections();
      up.server.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
