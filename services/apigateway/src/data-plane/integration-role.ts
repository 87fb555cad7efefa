// The role an AWS integration acts as: REST APIs' `credentials` and HTTP APIs' `CredentialsArn`.
// API Gateway assumes it through STS as the `apigateway.amazonaws.com` service principal (so the
// role's trust policy must name that service, as in AWS), and the service call then runs as the
// role's session: the role's policies decide. Sessions are cached per role until shortly before
// they expire. Without credentials the call acts as the API's account. A role that cannot be
// assumed is a configuration error (the caller answers 500); a platform without STS, or a
// permissive one, acts as the account.
// Known limitation: `arn:aws:iam::*:user/*` (pass the caller's own credentials) acts as the account.
import type { CallerIdentity, PlatformContext } from '@atoll/core';
import { apiGatewayIdentity } from './lambda-invoke.js';

const SESSION_SECONDS = 3600;
const RENEW_MS = 5 * 60 * 1000;

export class RoleNotAssumable extends Error {}

interface AssumeRoleOutput {
  Credentials?: { Expiration: string | Date };
  AssumedRoleUser?: { AssumedRoleId?: string; Arn?: string };
}

export class IntegrationRoles {
  readonly #sessions = new Map<string, { identity: CallerIdentity; expires: number }>();

  constructor(private readonly platform: PlatformContext) {}

  /** The identity a call runs as: the role's session, or undefined (the API's account). */
  async identity(roleArn: unknown, scope: { accountId: string; region: string; apiId: string; requestId: string }): Promise<CallerIdentity | undefined> {
    if (typeof roleArn !== 'string' || roleArn === '' || roleArn.includes('*')) return undefined;
    const key = `${scope.accountId}/${roleArn}`;
    const cached = this.#sessions.get(key);
    if (cached && cached.expires - RENEW_MS > Date.now()) return cached.identity;
    const sessionName = `apigateway-${scope.apiId}`;
    const sourceArn = `arn:aws:execute-api:${scope.region}:${scope.accountId}:${scope.apiId}/*`;
    let out: AssumeRoleOutput;
    try {
      out = await this.platform.call<AssumeRoleOutput>(
        'sts',
        'AssumeRole',
        { RoleArn: roleArn, RoleSessionName: sessionName, DurationSeconds: SESSION_SECONDS },
        { accountId: scope.accountId, region: scope.region, identity: apiGatewayIdentity(scope.accountId, sourceArn), requestId: scope.requestId },
      );
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'UnknownService' || this.platform.config.authMode === 'permissive') return undefined;
      if (code === 'STORAGE_UNAVAILABLE') throw error;
      throw new RoleNotAssumable(`API Gateway cannot assume ${roleArn}: ${(error as Error).message}`);
    }
    const expires = out.Credentials ? new Date(out.Credentials.Expiration).getTime() : Date.now() + SESSION_SECONDS * 1000;
    const roleName = roleArn.slice(roleArn.lastIndexOf('/') + 1);
    const principalId = out.AssumedRoleUser?.AssumedRoleId ?? `${roleName}:${sessionName}`;
    const roleAccount = roleArn.split(':')[4];
    const identity: CallerIdentity = {
      type: 'AssumedRole',
      accountId: roleAccount && /^\d{12}$/.test(roleAccount) ? roleAccount : scope.accountId,
      arn: out.AssumedRoleUser?.Arn ?? `arn:aws:sts::${scope.accountId}:assumed-role/${roleName}/${sessionName}`,
      principalId,
      session: { roleArn, roleId: principalId.split(':')[0]!, roleName, sessionName, expires, issued: Date.now() },
    };
    this.#sessions.set(key, { identity, expires });
    return identity;
  }
}
