// RDS IAM database authentication tokens (`aws rds generate-db-auth-token`): a SigV4-presigned
// `GET https://<host>:<port>/?Action=connect&DBUser=<user>` for the service `rds-db`, sent as the
// password. Verified through the platform (signature, expiry, keys) and authorized as the IAM action
// rds-db:connect on arn:aws:rds-db:<region>:<account>:dbuser:<DbiResourceId>/<user>.
import type { IamRequest, SignedHttpRequest } from '@atoll/core';

export interface TokenOwner {
  accountId: string;
  region: string;
  resourceId: string;
  port: number;
}

export type SignedRequestAuthorizer = (request: SignedHttpRequest, service: string, check: IamRequest & { action: string }) => Promise<unknown>;

/** The parts of a token, or undefined when it is not one. */
export function parseToken(token: string): { host: string; port: number; url: string; query: URLSearchParams } | undefined {
  const slash = token.indexOf('/');
  if (slash <= 0) return undefined;
  const hostPort = token.slice(0, slash);
  const url = token.slice(slash);
  const match = /^(.+):(\d+)$/.exec(hostPort);
  if (!match || !url.startsWith('/?')) return undefined;
  return { host: hostPort, port: Number(match[2]), url, query: new URLSearchParams(url.slice(2)) };
}

/** Whether `token` lets `user` connect to the engine of `owner`. */
export async function verifyToken(owner: TokenOwner, user: string, token: string, authorize: SignedRequestAuthorizer): Promise<boolean> {
  const parsed = parseToken(token);
  if (!parsed || parsed.port !== owner.port) return false;
  if (parsed.query.get('Action') !== 'connect' || parsed.query.get('DBUser') !== user) return false;
  if (!parsed.query.get('X-Amz-Signature')) return false;
  try {
    await authorize({ method: 'GET', url: parsed.url, headers: { host: parsed.host }, body: Buffer.alloc(0) }, 'rds-db', {
      action: 'rds-db:connect',
      resources: [`arn:aws:rds-db:${owner.region}:${owner.accountId}:dbuser:${owner.resourceId}/${user}`],
    });
    return true;
  } catch {
    return false;
  }
}
