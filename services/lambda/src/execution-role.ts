// A function's execution role: Lambda (the `lambda.amazonaws.com` service principal, with the
// function's ARN as `aws:SourceArn`) assumes it through STS, and the function's code and its event
// source pollers act with that session. Sessions are cached per function and role, and renewed when
// less than 5 minutes are left.
//
// Known limitations:
// - When STS is not served (or does not implement AssumeRole), a function gets a random key pair
//   that only a permissive platform accepts, and CreateFunction cannot check the role.
// - In permissive mode (`--auth permissive`) a role that cannot be assumed is not an error: the
//   function gets that random key pair instead.
import { newAccessKeyId, newSecretAccessKey, type CallContext, type CallerIdentity, type PlatformContext } from '@atoll/core';
import { LambdaErrors } from './lambda-errors.js';
import { functionArn, type Scope } from './function-names.js';

/** Temporary credentials of a role session, and the identity they stand for. */
export interface RoleSession {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** Epoch milliseconds. */
  expires: number;
  /** The role session as the platform's authorizer sees it; undefined for the permissive stand-in. */
  identity?: CallerIdentity;
}

interface AssumeRoleOutput {
  Credentials?: { AccessKeyId: string; SecretAccessKey: string; SessionToken: string; Expiration: Date | string };
  AssumedRoleUser?: { AssumedRoleId: string; Arn: string };
}

/** Renew a session when less than this is left of it. */
export const RENEW_MARGIN_MS = 5 * 60_000;
const SESSION_SECONDS = 3600;
/** AWS's message when the role is missing or does not trust lambda.amazonaws.com. */
export const ROLE_NOT_ASSUMABLE = 'The role defined for the function cannot be assumed by Lambda.';

/** The identity Lambda's service principal calls with on behalf of one function. */
export function lambdaServiceIdentity(scope: Scope, name: string): CallerIdentity {
  return {
    type: 'AWSService',
    accountId: scope.account,
    arn: '',
    principalId: 'lambda.amazonaws.com',
    service: { principal: 'lambda.amazonaws.com', sourceArn: functionArn(scope, name), sourceAccount: scope.account },
  };
}

/** Whether an STS failure means "no STS to ask" rather than "the role cannot be assumed". */
function stsMissing(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === 'UnknownService' || code === 'NotImplemented' || code === 'UnknownOperationException';
}

export class ExecutionRoles {
  readonly #platform: PlatformContext;
  readonly #sessions = new Map<string, RoleSession>();
  readonly #pending = new Map<string, Promise<RoleSession>>();
  /** Calls to STS (for tests and figures). */
  assumed = 0;

  constructor(platform: PlatformContext) {
    this.#platform = platform;
  }

  get #permissive(): boolean {
    return this.#platform.config.authMode === 'permissive';
  }

  /**
   * Checks that Lambda can assume the role for this function (CreateFunction, UpdateFunctionConfiguration):
   * InvalidParameterValueException with AWS's message when it cannot. The session is kept for the first invoke.
   */
  async check(scope: Scope, role: string, name: string): Promise<void> {
    await this.session(scope, role, name, true);
  }

  /**
   * The function's current session: from the cache while more than 5 minutes are left, else a new
   * one. Throws InvalidParameterValueException when the role cannot be assumed (strict mode).
   */
  async session(scope: Scope, role: string, name: string, fresh = false): Promise<RoleSession> {
    const key = `${scope.account}/${scope.region}/${name}/${role}`;
    const cached = this.#sessions.get(key);
    if (!fresh && cached && cached.expires - Date.now() > RENEW_MARGIN_MS) return cached;
    const pending = this.#pending.get(key);
    if (pending) return pending;
    const made = this.#assume(scope, role, name).finally(() => this.#pending.delete(key));
    this.#pending.set(key, made);
    const session = await made;
    this.#sessions.set(key, session);
    return session;
  }

  /** Forgets a function's sessions (deleted function, changed role). */
  forget(scope: Scope, name: string): void {
    const prefix = `${scope.account}/${scope.region}/${name}/`;
    for (const key of this.#sessions.keys()) if (key.startsWith(prefix)) this.#sessions.delete(key);
  }

  async #assume(scope: Scope, role: string, name: string): Promise<RoleSession> {
    const ctx: CallContext = { accountId: scope.account, region: scope.region, identity: lambdaServiceIdentity(scope, name) };
    try {
      this.assumed++;
      const out = await this.#platform.call<AssumeRoleOutput>('sts', 'AssumeRole', { RoleArn: role, RoleSessionName: name.slice(0, 64), DurationSeconds: SESSION_SECONDS }, ctx);
      const c = out.Credentials!;
      const expires = new Date(c.Expiration).getTime();
      return {
        accessKeyId: c.AccessKeyId,
        secretAccessKey: c.SecretAccessKey,
        sessionToken: c.SessionToken,
        expires,
        identity: sessionIdentity(scope.account, role, name, out.AssumedRoleUser, expires),
      };
    } catch (error) {
      if (this.#permissive || stsMissing(error)) return standIn();
      if ((error as { code?: string }).code === 'STORAGE_UNAVAILABLE') throw error;
      throw LambdaErrors.invalidParameter(ROLE_NOT_ASSUMABLE);
    }
  }
}

/** Credentials only a permissive platform accepts (no STS, or a role that cannot be assumed there). */
function standIn(): RoleSession {
  return { accessKeyId: newAccessKeyId('ASIA'), secretAccessKey: newSecretAccessKey(), expires: Date.now() + SESSION_SECONDS * 1000 };
}

/** The role session as CallerIdentity (`arn:aws:sts::<acct>:assumed-role/<role>/<session>`). */
export function sessionIdentity(
  accountId: string,
  roleArn: string,
  sessionName: string,
  user: AssumeRoleOutput['AssumedRoleUser'],
  expires: number,
): CallerIdentity {
  const roleName = roleArn.slice(roleArn.lastIndexOf('/') + 1);
  const session = sessionName.slice(0, 64);
  const principalId = user?.AssumedRoleId ?? `${roleName}:${session}`;
  return {
    type: 'AssumedRole',
    accountId: /^\d{12}$/.test(roleArn.split(':')[4] ?? '') ? roleArn.split(':')[4]! : accountId,
    arn: user?.Arn ?? `arn:aws:sts::${accountId}:assumed-role/${roleName}/${session}`,
    principalId,
    session: {
      roleArn,
      roleId: principalId.split(':')[0],
      roleName,
      sessionName: session,
      expires,
      issued: Date.now(),
    },
  };
}
