// Lambda authorizers: the function is invoked with the request (HTTP APIs' REQUEST authorizers in
// payload format 2.0 or 1.0; REST APIs' TOKEN and REQUEST), and its answer — a simple
// `{isAuthorized, context}` or an IAM policy for `execute-api:Invoke` — decides. Answers are cached
// by the identity source's values for the authorizer's TTL. A missing identity source is 401
// without calling the function; a function that fails is 500 (the caller maps it).
import type { PlatformContext } from '@atoll/core';
import { invokeFunction } from './lambda-invoke.js';

export type AuthorizerOutcome = { ok: true; context: Record<string, unknown>; principalId?: string } | { ok: false; status: 401 | 403 | 500 };

interface CacheEntry {
  outcome: AuthorizerOutcome;
  expires: number;
}

/** `execute-api:Invoke` against the route/method ARN, under an authorizer's policy document. */
export function policyAllows(policy: unknown, resourceArn: string): boolean {
  const statements = (policy as { Statement?: unknown })?.Statement;
  const list = Array.isArray(statements) ? statements : statements ? [statements] : [];
  let allowed = false;
  for (const s of list as { Effect?: string; Action?: unknown; Resource?: unknown }[]) {
    const actions = ([] as unknown[]).concat(s.Action ?? []).map(String);
    if (!actions.some((a) => wildcard(a, 'execute-api:Invoke'))) continue;
    const resources = ([] as unknown[]).concat(s.Resource ?? []).map(String);
    if (!resources.some((r) => wildcard(r, resourceArn))) continue;
    if (s.Effect === 'Deny') return false;
    if (s.Effect === 'Allow') allowed = true;
  }
  return allowed;
}

function wildcard(pattern: string, value: string): boolean {
  if (pattern === '*') return true;
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  return re.test(value);
}

export class LambdaAuthorizers {
  readonly #cache = new Map<string, CacheEntry>();

  constructor(private readonly platform: PlatformContext) {}

  /**
   * Runs (or answers from cache) authorizer `key` for `identity` (the identity source's values).
   * `simple`: the HTTP API simple response format.
   */
  async authorize(options: {
    key: string;
    uri: string;
    identity: string[] | undefined;
    ttlSeconds: number;
    simple: boolean;
    event: Record<string, unknown>;
    resourceArn: string;
    scope: { accountId: string; region: string; sourceArn: string; requestId: string };
  }): Promise<AuthorizerOutcome> {
    if (options.identity === undefined) return { ok: false, status: 401 };
    const cacheKey = `${options.key}\u0000${options.identity.join('\u0000')}`;
    if (options.ttlSeconds > 0 && options.identity.length > 0) {
      const hit = this.#cache.get(cacheKey);
      if (hit && hit.expires > Date.now()) return hit.outcome;
    }
    const result = await invokeFunction(this.platform, options.uri, options.event, options.scope, 10_000);
    if (result.kind !== 'ok' || result.payload === undefined) {
      // A function that throws 'Unauthorized' is a 401, as in AWS.
      if (result.kind === 'function-error' && /"errorMessage"\s*:\s*"Unauthorized"/.test(result.payload ?? '')) return { ok: false, status: 401 };
      return { ok: false, status: 500 };
    }
    let answer: Record<string, unknown>;
    try {
      answer = JSON.parse(result.payload) as Record<string, unknown>;
    } catch {
      return { ok: false, status: 500 };
    }
    const context = (answer.context && typeof answer.context === 'object' ? answer.context : {}) as Record<string, unknown>;
    let outcome: AuthorizerOutcome;
    if (options.simple) {
      if (typeof answer.isAuthorized !== 'boolean') return { ok: false, status: 500 };
      outcome = answer.isAuthorized ? { ok: true, context } : { ok: false, status: 403 };
    } else {
      if (!answer.policyDocument) return { ok: false, status: 500 };
      const principalId = answer.principalId === undefined ? undefined : String(answer.principalId);
      outcome = policyAllows(answer.policyDocument, options.resourceArn)
        ? { ok: true, context, ...(principalId !== undefined ? { principalId } : {}) }
        : { ok: false, status: 403 };
    }
    if (options.ttlSeconds > 0 && options.identity.length > 0) {
      this.#cache.set(cacheKey, { outcome, expires: Date.now() + options.ttlSeconds * 1000 });
      if (this.#cache.size > 10_000) this.#cache.delete(this.#cache.keys().next().value!);
    }
    return outcome;
  }

  /** Drops cached answers of an API's authorizers (its configuration changed). */
  forget(prefix: string): void {
    for (const key of this.#cache.keys()) if (key.startsWith(prefix)) this.#cache.delete(key);
  }
}
