import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { TargetGroupRuntime, type ProbeResult } from './target-group.js';
import type { TargetGroupConfig } from './config.js';

function config(targets: number[], overrides: Partial<TargetGroupConfig> = {}): TargetGroupConfig {
  return {
    id: 'tg',
    protocol: 'HTTP',
    algorithm: 'round_robin',
    deregistrationDelaySeconds: 30,
    stickiness: { enabled: false, durationSeconds: 60 },
    healthCheck: { enabled: true, protocol: 'HTTP', port: 'traffic-port', path: '/', intervalSeconds: 0.01, timeoutSeconds: 0.005, healthyThreshold: 2, unhealthyThreshold: 2, matcher: '200' },
    targets: targets.map((port) => ({ id: '10.0.0.1', host: '127.0.0.1', port })),
    ...overrides,
  };
}

const until = async (check: () => boolean): Promise<void> => {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition never held');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('target group runtime', () => {
  test('targets of a group no listener uses are reported unused with Target.NotInUse', () => {
    const g = new TargetGroupRuntime(config([1]), { probe: async () => ({ ok: true }) });
    assert.deepEqual(g.health().map((h) => [h.state, h.reason]), [['unused', 'Target.NotInUse']]);
    g.close();
  });

  test('a target passes from initial to healthy after the healthy threshold of successful probes', async () => {
    let probes = 0;
    const g = new TargetGroupRuntime(config([1]), { probe: async () => (probes++, { ok: true }) });
    g.setInUse(true);
    assert.equal(g.health()[0]!.state, 'initial');
    assert.equal(g.health()[0]!.reason, 'Elb.RegistrationInProgress');
    await until(() => g.health()[0]!.state === 'healthy');
    assert.ok(probes >= 2);
    assert.equal(g.health()[0]!.reason, undefined);
    assert.equal(g.pick()?.port, 1);
    g.close();
  });

  test('failures give unhealthy with the reason of the last failure, and no target is picked', async () => {
    let result: ProbeResult = { ok: false, kind: 'mismatch', detail: '500' };
    const g = new TargetGroupRuntime(config([1]), { probe: async () => result });
    g.setInUse(true);
    await until(() => g.health()[0]!.state === 'unhealthy');
    assert.equal(g.health()[0]!.reason, 'Target.ResponseCodeMismatch');
    assert.match(g.health()[0]!.description ?? '', /\[500\]/);
    assert.equal(g.pick(), undefined);
    result = { ok: false, kind: 'timeout', detail: 'x' };
    await until(() => g.health()[0]!.reason === 'Target.Timeout');
    result = { ok: false, kind: 'failed', detail: 'ECONNREFUSED' };
    await until(() => g.health()[0]!.reason === 'Target.FailedHealthChecks');
    result = { ok: true };
    await until(() => g.health()[0]!.state === 'healthy');
    g.close();
  });

  test('disabled health checks report unavailable and still route traffic', () => {
    const c = config([1]);
    c.healthCheck.enabled = false;
    const g = new TargetGroupRuntime(c, { probe: async () => ({ ok: false, kind: 'failed', detail: '' }) });
    g.setInUse(true);
    assert.deepEqual(g.health().map((h) => [h.state, h.reason]), [['unavailable', 'Target.HealthCheckDisabled']]);
    assert.equal(g.pick()?.port, 1);
    g.close();
  });

  test('round robin alternates between healthy targets', async () => {
    const g = new TargetGroupRuntime(config([1, 2]), { probe: async () => ({ ok: true }) });
    g.setInUse(true);
    await until(() => g.eligible.length === 2);
    const picks = [g.pick()!.port, g.pick()!.port, g.pick()!.port, g.pick()!.port];
    assert.deepEqual(picks.sort(), [1, 1, 2, 2]);
    g.close();
  });

  test('least outstanding requests picks the target with fewer requests in flight', async () => {
    const g = new TargetGroupRuntime(config([1, 2], { algorithm: 'least_outstanding_requests' }), { probe: async () => ({ ok: true }) });
    g.setInUse(true);
    await until(() => g.eligible.length === 2);
    const busy = g.targets.get('10.0.0.1:1')!;
    busy.inFlight = 5;
    for (let i = 0; i < 4; i++) assert.equal(g.pick()!.port, 2);
    g.close();
  });

  test('a deregistered target with requests in flight drains, then leaves when the last one ends', async () => {
    const removed: number[] = [];
    const g = new TargetGroupRuntime(config([1, 2]), { probe: async () => ({ ok: true }), onTargetRemoved: (t) => removed.push(t.port) });
    g.setInUse(true);
    await until(() => g.eligible.length === 2);
    const t1 = g.targets.get('10.0.0.1:1')!;
    t1.inFlight = 1;
    g.update(config([2]));
    assert.deepEqual(g.health().find((h) => h.port === 1), { id: '10.0.0.1', port: 1, state: 'draining', reason: 'Target.DeregistrationInProgress', description: 'Target deregistration is in progress' });
    for (let i = 0; i < 4; i++) assert.equal(g.pick()!.port, 2);
    g.release(t1);
    assert.deepEqual(removed, [1]);
    assert.deepEqual(g.health().map((h) => h.port), [2]);
    g.close();
  });

  test('a deregistered idle target leaves at once', async () => {
    const g = new TargetGroupRuntime(config([1]), { probe: async () => ({ ok: true }) });
    g.setInUse(true);
    g.update(config([]));
    assert.deepEqual(g.health(), []);
    g.close();
  });

  test('a draining target is removed when the deregistration delay ends, even with requests in flight', async () => {
    const removed: number[] = [];
    const g = new TargetGroupRuntime(config([1], { deregistrationDelaySeconds: 0.02 }), { probe: async () => ({ ok: true }), onTargetRemoved: (t) => removed.push(t.port) });
    g.setInUse(true);
    g.targets.get('10.0.0.1:1')!.inFlight = 3;
    g.update(config([], { deregistrationDelaySeconds: 0.02 }));
    await until(() => removed.length === 1);
    assert.deepEqual(g.health(), []);
    g.close();
  });

  test('the same flow hash always picks the same target', async () => {
    const g = new TargetGroupRuntime(config([1, 2, 3]), { probe: async () => ({ ok: true }) });
    g.setInUse(true);
    await until(() => g.eligible.length === 3);
    const first = g.pickByHash(123456789)!.port;
    for (let i = 0; i < 5; i++) assert.equal(g.pickByHash(123456789)!.port, first);
    g.close();
  });
});
