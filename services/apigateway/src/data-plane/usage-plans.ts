// API keys and usage plans on the data plane (REST APIs): the key (the `x-api-key` header) must
// exist, be enabled and belong to a usage plan of the API's stage, else 403 Forbidden; the plan's
// throttle is a token bucket per key (rate per second, burst as the bucket's size: 429 Too Many
// Requests) and its quota a count per key and period (DAY, WEEK, MONTH in UTC: 429 Limit Exceeded).
// Quota counts live in the store (ApiGatewayStore.consumeQuota: one atomic increment per request
// with a quota), so every node shares them and they survive restarts.
// Known limitation: the throttle's buckets live in this node's memory (each node of a PostgreSQL
// deployment enforces the rate on its own share of the traffic).
import type { ApiGatewayStore } from '../apigateway-store.js';
import type { ApiKeyDoc, UsagePlanDoc } from '../v1/rest-api-records.js';

export type UsageDecision =
  | { ok: true; key: ApiKeyDoc }
  | { ok: false; status: 403 | 429; message: 'Forbidden' | 'Too Many Requests' | 'Limit Exceeded' };

interface Directory {
  /** `<account>/<region>/<key value>` → key. */
  keys: Map<string, ApiKeyDoc>;
  /** `<account>/<region>/<key id>` → the plans that hold it. */
  plans: Map<string, UsagePlanDoc[]>;
}

/** A token bucket: `burst` tokens at most, refilled at `rate` per second. */
export class TokenBucket {
  #tokens: number;
  #last: number;
  constructor(
    readonly rate: number,
    readonly burst: number,
    now = performance.now(),
  ) {
    this.#tokens = burst;
    this.#last = now;
  }

  take(now = performance.now()): boolean {
    const capacity = Math.max(this.burst, 1);
    this.#tokens = Math.min(capacity, this.#tokens + ((now - this.#last) / 1000) * this.rate);
    this.#last = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}

/** The start of the quota period containing `now` (UTC), as a key for the count. */
export function quotaWindow(period: string | undefined, now: Date): string {
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  if (period === 'MONTH') return `${y}-${m}`;
  if (period === 'WEEK') {
    const day = Date.UTC(y, m, now.getUTCDate());
    const monday = day - ((now.getUTCDay() + 6) % 7) * 86_400_000;
    return `w${monday}`;
  }
  return `${y}-${m}-${now.getUTCDate()}`;
}

export class UsagePlans {
  #directory: Promise<Directory> | undefined;
  readonly #buckets = new Map<string, TokenBucket>();

  constructor(private readonly store: ApiGatewayStore) {}

  invalidate(): void {
    this.#directory = undefined;
  }

  #load(): Promise<Directory> {
    if (!this.#directory) {
      const loading = this.store.loadAccountLevel().then((rows) => {
        const keys = new Map<string, ApiKeyDoc>();
        const byId = new Map<string, UsagePlanDoc>();
        const plans = new Map<string, UsagePlanDoc[]>();
        for (const r of rows) {
          if (r.kind === 'apikey') keys.set(`${r.accountId}/${r.region}/${(r.doc as unknown as ApiKeyDoc).value}`, r.doc as unknown as ApiKeyDoc);
          if (r.kind === 'usageplan') byId.set(`${r.accountId}/${r.region}/${r.id}`, r.doc as unknown as UsagePlanDoc);
        }
        for (const r of rows) {
          if (r.kind !== 'usageplankey') continue;
          const plan = byId.get(`${r.accountId}/${r.region}/${r.apiId}`);
          if (!plan) continue;
          const key = `${r.accountId}/${r.region}/${r.id}`;
          plans.set(key, [...(plans.get(key) ?? []), plan]);
        }
        return { keys, plans };
      });
      this.#directory = loading;
      loading.catch(() => {
        if (this.#directory === loading) this.#directory = undefined;
      });
    }
    return this.#directory;
  }

  async check(scope: { accountId: string; region: string; apiId: string; stage: string }, value: string | undefined, now = new Date()): Promise<UsageDecision> {
    if (!value) return { ok: false, status: 403, message: 'Forbidden' };
    const directory = await this.#load();
    const key = directory.keys.get(`${scope.accountId}/${scope.region}/${value}`);
    if (!key || !key.enabled) return { ok: false, status: 403, message: 'Forbidden' };
    const plan = (directory.plans.get(`${scope.accountId}/${scope.region}/${key.id}`) ?? []).find((p) =>
      (p.apiStages ?? []).some((s) => s.apiId === scope.apiId && s.stage === scope.stage),
    );
    if (!plan) return { ok: false, status: 403, message: 'Forbidden' };
    const id = `${plan.id}/${key.id}`;
    const throttle = plan.throttle;
    if (throttle?.rateLimit !== undefined && throttle.rateLimit >= 0) {
      const burst = throttle.burstLimit ?? Math.ceil(throttle.rateLimit);
      let bucket = this.#buckets.get(id);
      if (!bucket || bucket.rate !== throttle.rateLimit || bucket.burst !== burst) {
        bucket = new TokenBucket(throttle.rateLimit, burst);
        this.#buckets.set(id, bucket);
      }
      if (!bucket.take()) return { ok: false, status: 429, message: 'Too Many Requests' };
    }
    const quota = plan.quota;
    if (quota?.limit !== undefined) {
      const window = quotaWindow(quota.period, now);
      if (!(await this.store.consumeQuota(scope.accountId, scope.region, plan.id, key.id, window, quota.limit))) {
        return { ok: false, status: 429, message: 'Limit Exceeded' };
      }
    }
    return { ok: true, key };
  }
}
