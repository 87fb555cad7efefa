// What STS reads of IAM, through IAM's public operations (never its store): a role (its id, trust
// policy, maximum session duration and tags) and an OIDC provider (its client ids). The calls act
// as the role's account (platform-internal, not authorized again).
import type { PlatformContext, ServiceError } from '@atoll/core';

export interface RoleFacts {
  arn: string;
  roleId: string;
  roleName: string;
  accountId: string;
  /** The trust policy's JSON text. */
  trustPolicy: string;
  maxSessionDuration: number;
  tags: Record<string, string>;
}

export interface OidcProviderFacts {
  arn: string;
  clientIds: string[];
}

interface GetRoleOutput {
  Role: { Arn: string; RoleId: string; RoleName: string; AssumeRolePolicyDocument?: string; MaxSessionDuration?: number; Tags?: { Key: string; Value: string }[] };
}

interface GetOidcOutput {
  ClientIDList?: string[];
}

/** `arn:aws:iam::123456789012:role/path/name` → account and name; undefined for another kind of ARN. */
export function parseRoleArn(arn: string): { accountId: string; roleName: string } | undefined {
  const m = /^arn:aws[a-z-]*:iam::(\d{12}):role\/(?:[\u0021-\u007e]*\/)?([\w+=,.@-]+)$/.exec(arn);
  return m ? { accountId: m[1]!, roleName: m[2]! } : undefined;
}

/** A trust policy as IAM answers it: URL-encoded on the wire, possibly plain in-process. */
function policyText(document: string | undefined): string {
  if (!document) return '';
  const trimmed = document.trimStart();
  if (trimmed.startsWith('{')) return document;
  try {
    return decodeURIComponent(document);
  } catch {
    return document;
  }
}

const isNoSuchEntity = (error: unknown): boolean => (error as ServiceError)?.code === 'NoSuchEntity';

export class IamReader {
  readonly #platform: PlatformContext;

  constructor(platform: PlatformContext) {
    this.#platform = platform;
  }

  /** The role an ARN names, or undefined when it does not exist (or the ARN is not a role's). */
  async role(roleArn: string, region: string): Promise<RoleFacts | undefined> {
    const parsed = parseRoleArn(roleArn);
    if (!parsed) return undefined;
    let out: GetRoleOutput;
    try {
      out = await this.#platform.call<GetRoleOutput>('iam', 'GetRole', { RoleName: parsed.roleName }, { accountId: parsed.accountId, region });
    } catch (error) {
      if (isNoSuchEntity(error)) return undefined;
      throw error;
    }
    const role = out.Role;
    const tags: Record<string, string> = {};
    for (const tag of role.Tags ?? []) tags[tag.Key] = tag.Value;
    return {
      arn: role.Arn,
      roleId: role.RoleId,
      roleName: role.RoleName,
      accountId: parsed.accountId,
      trustPolicy: policyText(role.AssumeRolePolicyDocument),
      maxSessionDuration: role.MaxSessionDuration ?? 3600,
      tags,
    };
  }

  /** The OIDC provider of an account for an issuer (`host/path`), or undefined. */
  async oidcProvider(accountId: string, issuerKey: string, region: string): Promise<OidcProviderFacts | undefined> {
    const arn = `arn:aws:iam::${accountId}:oidc-provider/${issuerKey}`;
    try {
      const out = await this.#platform.call<GetOidcOutput>('iam', 'GetOpenIDConnectProvider', { OpenIDConnectProviderArn: arn }, { accountId, region });
      return { arn, clientIds: out.ClientIDList ?? [] };
    } catch (error) {
      if (isNoSuchEntity(error)) return undefined;
      throw error;
    }
  }
}
