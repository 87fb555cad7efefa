// Tells IAM that a role was used (an AssumeRole or AssumeRoleWithWebIdentity session was issued), so
// that GetRole shows RoleLastUsed, through the platform event `iam.RoleUsed` (STS does not reach IAM's
// store). A node reports each role at most once per interval (a minute): busy roles cost one event
// a minute, and IAM's write is conditional on the stored date being older than that, across nodes.
// Known limitation: a use is reported only where IAM is active on the same node (the bus is
// in-process); STS reads roles through IAM, so IAM is active wherever a session is issued.
import type { EventBus } from '@atoll/core';

export const ROLE_USED_EVENT = 'iam.RoleUsed';
/** How often one role's use is reported, per node. */
export const ROLE_USE_INTERVAL_MS = 60_000;
/** Past this many remembered roles, those reported longer ago than the interval are forgotten. */
const MAX_REMEMBERED = 10_000;

export class RoleUseReporter {
  readonly #bus: EventBus;
  readonly #now: () => number;
  /** Role ARN → when its use was last reported (epoch ms). */
  readonly #reported = new Map<string, number>();

  constructor(bus: EventBus, now: () => number) {
    this.#bus = bus;
    this.#now = now;
  }

  /** Reports a use of the role in `region`, unless this node reported it less than an interval ago. */
  report(role: { arn: string; accountId: string; roleName: string }, region: string): void {
    const now = this.#now();
    const last = this.#reported.get(role.arn);
    if (last !== undefined && now - last < ROLE_USE_INTERVAL_MS) return;
    if (this.#reported.size >= MAX_REMEMBERED) {
      for (const [arn, at] of this.#reported) if (now - at >= ROLE_USE_INTERVAL_MS) this.#reported.delete(arn);
    }
    this.#reported.set(role.arn, now);
    this.#bus.emit({
      type: ROLE_USED_EVENT,
      accountId: role.accountId,
      region,
      detail: { roleName: role.roleName, roleArn: role.arn, date: new Date(now).toISOString() },
    });
  }
}
