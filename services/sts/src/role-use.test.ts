import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventBus, type PlatformEvent } from '@atoll/core';
import { ROLE_USED_EVENT, RoleUseReporter } from './role-use.js';

test('reports a role\'s use at most once a minute per role, with its account, region and date', () => {
  const bus = new EventBus();
  const seen: PlatformEvent[] = [];
  bus.on(ROLE_USED_EVENT, (e) => void seen.push(e));
  let now = Date.parse('2025-01-01T00:00:00Z');
  const reporter = new RoleUseReporter(bus, () => now);
  const app = { arn: 'arn:aws:iam::000000000000:role/app', accountId: '000000000000', roleName: 'app' };
  const other = { arn: 'arn:aws:iam::000000000000:role/other', accountId: '000000000000', roleName: 'other' };
  reporter.report(app, 'us-east-1');
  now += 59_999;
  reporter.report(app, 'us-east-1');
  reporter.report(other, 'eu-west-1');
  now += 1;
  reporter.report(app, 'eu-west-1');
  assert.deepEqual(
    seen.map((e) => [e.accountId, e.region, e.detail.roleName, e.detail.date]),
    [
      ['000000000000', 'us-east-1', 'app', '2025-01-01T00:00:00.000Z'],
      ['000000000000', 'eu-west-1', 'other', '2025-01-01T00:00:59.999Z'],
      ['000000000000', 'eu-west-1', 'app', '2025-01-01T00:01:00.000Z'],
    ],
  );
});
