// RoleLastUsed: STS announces each role use as the platform event `iam.RoleUsed` (at most once per
// role per minute per node, see services/sts/src/role-use.ts); IAM records it, unless the role's
// recorded use is less than a minute old (a conditional update, so several nodes write once).
// Known limitation: a use announced while IAM is not active on that node is not recorded.
import type { EventBus, Logger, PlatformEvent } from '@atoll/core';
import type { RoleStore } from './role-store.js';

export const ROLE_USED_EVENT = 'iam.RoleUsed';
const INTERVAL_MS = 60_000;

export function recordRoleUses(bus: EventBus, roles: RoleStore, logger?: Logger): () => void {
  return bus.on(ROLE_USED_EVENT, async (event: PlatformEvent) => {
    const { roleName, date } = event.detail as { roleName?: unknown; date?: unknown };
    if (typeof roleName !== 'string' || typeof date !== 'string') return;
    const at = Date.parse(date);
    if (Number.isNaN(at)) return;
    try {
      await roles.recordUse(event.accountId, roleName, new Date(at).toISOString(), event.region, new Date(at - INTERVAL_MS).toISOString());
    } catch (error) {
      logger?.warn({ err: error, roleName }, 'role use not recorded');
    }
  });
}
