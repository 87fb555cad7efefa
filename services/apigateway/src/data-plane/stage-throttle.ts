// Stage and route throttling: HTTP APIs' `DefaultRouteSettings`/`RouteSettings` and REST APIs'
// `methodSettings` (`*/*` or `<resource path>/<METHOD>`) rate and burst limits, as token buckets
// per API, stage and route (429 Too Many Requests when empty).
// Known limitation: buckets live in this node's memory (each node limits its own share): sharing
// them would put a database round trip on every request of a throttled route.
import { TokenBucket } from './usage-plans.js';

export class StageThrottles {
  readonly #buckets = new Map<string, TokenBucket>();

  /** False when the request must be refused; `rate` undefined means no limit. */
  take(key: string, rate: number | undefined, burst: number | undefined): boolean {
    if (rate === undefined || rate < 0) return true;
    const size = burst ?? Math.ceil(rate);
    let bucket = this.#buckets.get(key);
    if (!bucket || bucket.rate !== rate || bucket.burst !== size) {
      bucket = new TokenBucket(rate, size);
      this.#buckets.set(key, bucket);
    }
    return bucket.take();
  }
}
