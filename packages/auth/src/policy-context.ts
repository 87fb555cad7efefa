// The request context that policy conditions read: the global `aws:` keys of a caller and request
// (`aws:username`, `aws:PrincipalTag/…`, `aws:SourceArn` …) and any service keys. Keys match
// case-insensitively. The context is built lazily: most requests decide without reading a condition.
import type { CallerIdentity } from '@atoll/core';

export interface RequestFacts {
  identity: CallerIdentity;
  sourceIp?: string;
  /** True for HTTPS. */
  secureTransport?: boolean;
  userAgent?: string;
  region?: string;
  now?: Date;
  /** The principal's tags (a role's, overridden by the session's), for `aws:PrincipalTag/…`. */
  principalTags?: Record<string, string>;
}

function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function principalType(identity: CallerIdentity): string {
  switch (identity.type) {
    case 'Root':
      return 'Account';
    case 'IAMUser':
      return 'User';
    case 'AWSService':
      return 'Service';
    default:
      return identity.type;
  }
}

/** The global condition keys (`aws:username`, `aws:SourceIp`, `aws:CurrentTime` …) for a request. */
export function globalConditionKeys(facts: RequestFacts): Record<string, string> {
  const { identity } = facts;
  const now = facts.now ?? new Date();
  const session = identity.session;
  const keys: Record<string, string> = {
    'aws:PrincipalArn': identity.type === 'AssumedRole' && session?.roleArn ? session.roleArn : identity.arn,
    'aws:PrincipalAccount': identity.accountId,
    'aws:PrincipalType': principalType(identity),
    'aws:userid': identity.principalId,
    'aws:CurrentTime': isoSeconds(now),
    'aws:EpochTime': String(Math.floor(now.getTime() / 1000)),
    'aws:SecureTransport': String(facts.secureTransport ?? false),
    'aws:PrincipalIsAWSService': String(identity.type === 'AWSService'),
  };
  if (identity.userName !== undefined) keys['aws:username'] = identity.userName;
  if (facts.sourceIp !== undefined) keys['aws:SourceIp'] = facts.sourceIp.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1');
  if (facts.userAgent !== undefined) keys['aws:UserAgent'] = facts.userAgent;
  if (facts.region !== undefined) keys['aws:RequestedRegion'] = facts.region;
  if (session) {
    keys['aws:TokenIssueTime'] = isoSeconds(new Date(session.issued));
    keys['aws:MultiFactorAuthPresent'] = String(session.mfa === true);
    if (session.mfa === true) keys['aws:MultiFactorAuthAge'] = String(Math.max(0, Math.floor((now.getTime() - session.issued) / 1000)));
    if (session.sourceIdentity !== undefined) keys['aws:SourceIdentity'] = session.sourceIdentity;
    if (session.webIdentity) keys['aws:FederatedProvider'] = session.webIdentity.provider;
  }
  if (identity.service) {
    keys['aws:PrincipalServiceName'] = identity.service.principal;
    if (identity.service.sourceArn !== undefined) keys['aws:SourceArn'] = identity.service.sourceArn;
    const sourceAccount = identity.service.sourceAccount ?? (identity.service.sourceArn?.split(':')[4] || undefined);
    if (sourceAccount !== undefined) keys['aws:SourceAccount'] = sourceAccount;
    delete keys['aws:PrincipalAccount'];
  }
  const tags = { ...(facts.principalTags ?? {}), ...(session?.tags ?? {}) };
  for (const [key, value] of Object.entries(tags)) keys[`aws:PrincipalTag/${key}`] = value;
  return keys;
}

type ContextRecord = Record<string, string | string[]>;
type Resolver = (lowerKey: string) => string[] | undefined;

function lowerMap(records: ContextRecord[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const record of records) {
    for (const [key, value] of Object.entries(record)) map.set(key.toLowerCase(), Array.isArray(value) ? value : [value]);
  }
  return map;
}

/**
 * One global key of a request, computed alone (`lowerKey` lower-cased): the authorize step reads a
 * handful of keys per request at most, so it does not build them all.
 */
function globalKey(facts: RequestFacts, lowerKey: string): string | undefined {
  const { identity } = facts;
  switch (lowerKey) {
    case 'aws:currenttime':
      return isoSeconds(facts.now ?? new Date());
    case 'aws:epochtime':
      return String(Math.floor((facts.now ?? new Date()).getTime() / 1000));
    case 'aws:sourceip':
      return facts.sourceIp?.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1');
    case 'aws:requestedregion':
      return facts.region;
    case 'aws:securetransport':
      return String(facts.secureTransport ?? false);
    case 'aws:useragent':
      return facts.userAgent;
    case 'aws:username':
      return identity.userName;
    case 'aws:userid':
      return identity.principalId;
    default: {
      // The rest (principal, session and service keys, tags) from the full set.
      const all = globalConditionKeys(facts);
      for (const [key, value] of Object.entries(all)) if (key.toLowerCase() === lowerKey) return value;
      return undefined;
    }
  }
}

/** Condition keys by lower-cased name, resolved on first read. */
export class ConditionContext {
  readonly #resolve: Resolver;
  readonly #memo = new Map<string, string[] | undefined>();

  constructor(resolve: Resolver) {
    this.#resolve = resolve;
  }

  /** A context over a record of keys (any case). */
  static of(record: ContextRecord | undefined): ConditionContext {
    let map: Map<string, string[]> | undefined;
    return new ConditionContext((key) => (map ??= lowerMap([record ?? {}])).get(key));
  }

  /** The global keys of a request (computed per key, on first read), with `extra` (service keys) over them. */
  static forRequest(facts: RequestFacts, extra?: ContextRecord): ConditionContext {
    let extras: Map<string, string[]> | undefined;
    return new ConditionContext((key) => {
      if (extra) {
        const given = (extras ??= lowerMap([extra])).get(key);
        if (given) return given;
      }
      const value = globalKey(facts, key);
      return value === undefined ? undefined : [value];
    });
  }

  /** The values of a key (`lowerKey` is lower-cased), or undefined when the request has none. */
  get(lowerKey: string): string[] | undefined {
    if (this.#memo.has(lowerKey)) return this.#memo.get(lowerKey);
    const value = this.#resolve(lowerKey);
    this.#memo.set(lowerKey, value);
    return value;
  }

  /** A context with more keys (a check's service keys over this one's). */
  with(extra: ContextRecord | undefined): ConditionContext {
    if (!extra || Object.keys(extra).length === 0) return this;
    let extras: Map<string, string[]> | undefined;
    return new ConditionContext((key) => (extras ??= lowerMap([extra])).get(key) ?? this.get(key));
  }
}
