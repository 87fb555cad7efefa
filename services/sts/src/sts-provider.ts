// STS: who is calling, and temporary credentials. AssumeRole, AssumeRoleWithWebIdentity and
// GetSessionToken issue `ASIA…` keys whose session token is a sealed blob (session-directory.ts):
// the edge opens it on every request without a database read. Roles and OIDC providers are read
// through IAM's public operations (iam-reader.ts).
//
// Known limitations:
// - The account root may assume a role whose trust policy trusts its account (AWS refuses roots with
//   "Roles may not be assumed by root accounts."): `atoll env` hands out the root key, and local
//   tools assume roles with it.
// - MFA (SerialNumber/TokenCode) is not verified; GetSessionToken sessions record `mfa: false`.
// - Transitive session tags are recorded for the new session but not carried by role chaining.
// - GetAccessKeyInfo answers the caller's account for any well-formed key id (Atoll's key ids do
//   not encode an account).
// - The platform never encodes authorization messages: DecodeAuthorizationMessage answers
//   InvalidAuthorizationMessageException for any input.
// - AssumeRoleWithSAML, AssumeRoot, GetFederationToken, GetWebIdentityToken and
//   GetDelegatedAccessToken are not implemented (501).
// - Sessions cannot be revoked before they expire.
import { globalConditionKeys } from '@atoll/auth';
import { newAccessKeyId, newSecretAccessKey, serviceError, type CallerIdentity, type HttpRoute, type IamRequest, type PlatformContext, type RequestContext, type ServiceProvider, type SessionFacts } from '@atoll/core';
import { errors } from '@atoll/aws-models/sts';
import type {
  AssumeRoleRequest,
  AssumeRoleResult,
  AssumeRoleWithWebIdentityRequest,
  AssumeRoleWithWebIdentityResult,
  Credentials,
  DecodeAuthorizationMessageRequest,
  GetAccessKeyInfoRequest,
  GetAccessKeyInfoResult,
  GetCallerIdentityResult,
  GetSessionTokenRequest,
  GetSessionTokenResult,
} from '@atoll/aws-models/sts';
import { IamReader, type RoleFacts } from './iam-reader.js';
import { StsSessionDirectory } from './session-directory.js';
import { checkNames, checkSessionPolicy, packedPolicySize, sessionDuration, sessionTags, validationError } from './session-input.js';
import { StsStore } from './sts-store.js';
import { delegatedTrustPolicy, evaluateTrust, parseTrustPolicy, type TrustPrincipal } from './trust-policy.js';
import { WebIdentityVerifier, issuerKey, peekClaims } from './web-identity.js';
import { RoleUseReporter } from './role-use.js';

const SESSION_TOKEN_MAX_SECONDS = 129_600;
const SESSION_TOKEN_ROOT_MAX_SECONDS = 3600;

function accessDenied(message: string) {
  return serviceError('AccessDenied', 403, message);
}

/** The trust policy's view of a caller (user, root, role session, or service principal). */
function trustPrincipalOf(identity: CallerIdentity): TrustPrincipal {
  if (identity.type === 'AWSService') return { service: identity.service?.principal };
  return { arn: identity.arn, accountId: identity.accountId, roleArn: identity.session?.roleArn };
}

/** How AccessDenied names a caller: its ARN, or the service principal. */
const callerName = (identity: CallerIdentity): string => (identity.type === 'AWSService' ? (identity.service?.principal ?? 'service') : identity.arn);

export interface StsOptions {
  /** The clock for tokens and web identities (epoch ms), injectable for tests. */
  now?: () => number;
}

export class StsProvider implements ServiceProvider {
  readonly service = 'sts';
  readonly sessionDirectory: StsSessionDirectory;
  readonly routes: readonly HttpRoute[];
  readonly #store: StsStore;
  readonly #iam: IamReader;
  readonly #web: WebIdentityVerifier;
  readonly #now: () => number;
  readonly #region: string;
  readonly #roleUse: RoleUseReporter;

  constructor(platform: PlatformContext, store: StsStore, sessions: StsSessionDirectory, options: StsOptions = {}) {
    this.#store = store;
    this.sessionDirectory = sessions;
    this.#iam = new IamReader(platform);
    this.#now = options.now ?? Date.now;
    this.#web = new WebIdentityVerifier({ now: this.#now });
    this.#region = platform.config.region;
    this.#roleUse = new RoleUseReporter(platform.bus, this.#now);
    this.routes = [
      {
        method: 'GET',
        path: '/_atoll/sts/session-cache',
        handle: (_req, res) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify(this.sessionDirectory.stats()));
        },
      },
    ];
  }

  readonly operations = {
    GetCallerIdentity: (_input: unknown, ctx: RequestContext): GetCallerIdentityResult => ({
      UserId: ctx.identity.principalId,
      Account: ctx.identity.accountId,
      Arn: ctx.identity.arn,
    }),
    AssumeRole: (input: AssumeRoleRequest, ctx: RequestContext) => this.assumeRole(input, ctx),
    AssumeRoleWithWebIdentity: (input: AssumeRoleWithWebIdentityRequest, ctx: RequestContext) => this.assumeRoleWithWebIdentity(input, ctx),
    GetSessionToken: (input: GetSessionTokenRequest, ctx: RequestContext) => this.getSessionToken(input, ctx),
    GetAccessKeyInfo: (input: GetAccessKeyInfoRequest, ctx: RequestContext): GetAccessKeyInfoResult => {
      if (!/^(AKIA|ASIA)[A-Z0-9]{12,124}$/.test(input.AccessKeyId)) {
        throw validationError(`1 validation error detected: Value '${input.AccessKeyId}' at 'accessKeyId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w]*`);
      }
      return { Account: ctx.identity.accountId || ctx.accountId };
    },
    DecodeAuthorizationMessage: (_input: DecodeAuthorizationMessageRequest) => {
      throw new errors.InvalidAuthorizationMessageException('The encoded authorization message is invalid or has expired.');
    },
  };

  /** sts:AssumeRole acts on the role: the edge checks the caller's identity policies (and the trust policy as a resource policy). */
  authorization(operation: string, input: Record<string, unknown>): IamRequest | undefined {
    if (operation === 'AssumeRole' && typeof input.RoleArn === 'string') return { resources: [input.RoleArn] };
    return undefined;
  }

  /** A role's trust policy, restricted to the principals it names directly (see delegatedTrustPolicy). */
  async resourcePolicy(resourceArn: string): Promise<string | undefined> {
    const role = await this.#iam.role(resourceArn, this.#region);
    return role ? delegatedTrustPolicy(role.trustPolicy) : undefined;
  }

  async assumeRole(input: AssumeRoleRequest, ctx: RequestContext): Promise<AssumeRoleResult> {
    const caller = ctx.identity;
    const who = callerName(caller);
    const denied = (action = 'sts:AssumeRole') => accessDenied(`User: ${who} is not authorized to perform: ${action} on resource: ${input.RoleArn}`);
    if (caller.type === 'Anonymous' || caller.type === 'FederatedUser') throw denied();
    checkNames(input);
    const role = await this.#iam.role(input.RoleArn, ctx.region);
    if (!role) throw denied();
    checkSessionPolicy(input.Policy);
    const chained = caller.type === 'AssumedRole';
    const seconds = sessionDuration(input.DurationSeconds, role.maxSessionDuration, chained);
    const inherited = chained ? caller.session?.tags : undefined;
    const tags = sessionTags(input.Tags, inherited);
    const packed = packedPolicySize(input.Policy, input.PolicyArns, tags);

    const context: Record<string, string | string[]> = {
      ...globalConditionKeys({ identity: caller, sourceIp: ctx.sourceIp, userAgent: ctx.userAgent, region: ctx.region }),
      'sts:RoleSessionName': input.RoleSessionName,
    };
    if (input.ExternalId !== undefined) context['sts:ExternalId'] = input.ExternalId;
    if (input.SourceIdentity !== undefined) context['sts:SourceIdentity'] = input.SourceIdentity;
    if (caller.service?.sourceArn) context['aws:SourceArn'] = caller.service.sourceArn;
    if (caller.service?.sourceAccount) context['aws:SourceAccount'] = caller.service.sourceAccount;
    for (const [key, value] of Object.entries(caller.session?.tags ?? {})) context[`aws:PrincipalTag/${key}`] = value;
    if (input.Tags?.length) {
      for (const tag of input.Tags) context[`aws:RequestTag/${tag.Key}`] = tag.Value;
      context['aws:TagKeys'] = input.Tags.map((t) => t.Key);
    }
    if (input.TransitiveTagKeys?.length) context['sts:TransitiveTagKeys'] = input.TransitiveTagKeys;

    const trust = parseTrustPolicy(role.trustPolicy);
    const principal = trustPrincipalOf(caller);
    const check = (action: string) => evaluateTrust(trust, { action, roleArn: role.arn, principal, context }) === 'Allow';
    if (!check('sts:AssumeRole')) throw denied();
    if (input.Tags?.length && !check('sts:TagSession')) throw denied('sts:TagSession');
    if (input.SourceIdentity !== undefined && !check('sts:SetSourceIdentity')) throw denied('sts:SetSourceIdentity');
    const sourceIdentity = input.SourceIdentity ?? caller.session?.sourceIdentity;
    if (caller.session?.sourceIdentity && input.SourceIdentity !== undefined && input.SourceIdentity !== caller.session.sourceIdentity) {
      throw accessDenied('The source identity cannot be changed once it is set.');
    }

    const issued = this.#now();
    const session: SessionFacts = {
      roleArn: role.arn,
      roleId: role.roleId,
      roleName: role.roleName,
      sessionName: input.RoleSessionName,
      issued,
      expires: issued + seconds * 1000,
      ...(input.Policy !== undefined ? { policy: input.Policy } : {}),
      ...(input.PolicyArns?.length ? { policyArns: input.PolicyArns.map((p) => p.arn).filter((arn): arn is string => Boolean(arn)) } : {}),
      ...(tags ? { tags } : {}),
      ...(sourceIdentity !== undefined ? { sourceIdentity } : {}),
    };
    const { credentials, user } = this.#issueRoleSession(role, session);
    this.#roleUse.report(role, ctx.region);
    return {
      Credentials: credentials,
      AssumedRoleUser: user,
      ...(packed !== undefined ? { PackedPolicySize: packed } : {}),
      ...(sourceIdentity !== undefined ? { SourceIdentity: sourceIdentity } : {}),
    };
  }

  async assumeRoleWithWebIdentity(input: AssumeRoleWithWebIdentityRequest, ctx: RequestContext): Promise<AssumeRoleWithWebIdentityResult> {
    const notAuthorized = () => accessDenied('Not authorized to perform sts:AssumeRoleWithWebIdentity');
    checkNames(input);
    const peeked = peekClaims(input.WebIdentityToken);
    const role = await this.#iam.role(input.RoleArn, ctx.region);
    if (!role) throw notAuthorized();
    const key = issuerKey(peeked.iss);
    const provider = await this.#iam.oidcProvider(role.accountId, key, ctx.region);
    if (!provider) throw new errors.InvalidIdentityTokenException(`No OpenIDConnect provider found in your account for ${peeked.iss}`);
    const claims = await this.#web.verify(input.WebIdentityToken, peeked.iss, provider.clientIds);
    const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud!];
    const audience = audiences.find((aud) => provider.clientIds.includes(aud))!;
    checkSessionPolicy(input.Policy);
    const seconds = sessionDuration(input.DurationSeconds, role.maxSessionDuration, false);
    const packed = packedPolicySize(input.Policy, input.PolicyArns, undefined);

    const context: Record<string, string | string[]> = {
      'aws:FederatedProvider': provider.arn,
      'sts:RoleSessionName': input.RoleSessionName,
      [`${key}:aud`]: audience,
      [`${key}:sub`]: claims.sub,
      'aws:CurrentTime': new Date(this.#now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      'aws:SourceIp': ctx.sourceIp.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1'),
    };
    if (typeof claims.azp === 'string') context[`${key}:azp`] = claims.azp;
    if (Array.isArray(claims.amr)) context[`${key}:amr`] = claims.amr.map(String);
    const trust = parseTrustPolicy(role.trustPolicy);
    if (evaluateTrust(trust, { action: 'sts:AssumeRoleWithWebIdentity', roleArn: role.arn, principal: { federated: provider.arn }, context }) !== 'Allow') {
      throw notAuthorized();
    }

    const issued = this.#now();
    const session: SessionFacts = {
      roleArn: role.arn,
      roleId: role.roleId,
      roleName: role.roleName,
      sessionName: input.RoleSessionName,
      issued,
      expires: issued + seconds * 1000,
      ...(input.Policy !== undefined ? { policy: input.Policy } : {}),
      ...(input.PolicyArns?.length ? { policyArns: input.PolicyArns.map((p) => p.arn).filter((arn): arn is string => Boolean(arn)) } : {}),
      webIdentity: { provider: provider.arn, subject: claims.sub, audience },
    };
    const { credentials, user } = this.#issueRoleSession(role, session);
    this.#roleUse.report(role, ctx.region);
    return {
      Credentials: credentials,
      SubjectFromWebIdentityToken: claims.sub,
      AssumedRoleUser: user,
      Provider: claims.iss,
      Audience: audience,
      ...(packed !== undefined ? { PackedPolicySize: packed } : {}),
    };
  }

  async getSessionToken(input: GetSessionTokenRequest, ctx: RequestContext): Promise<GetSessionTokenResult> {
    const caller = ctx.identity;
    if (caller.type !== 'IAMUser' && caller.type !== 'Root') throw accessDenied('Cannot call GetSessionToken with session credentials');
    if (caller.session) throw accessDenied('Cannot call GetSessionToken with session credentials');
    const seconds = input.DurationSeconds ?? (caller.type === 'Root' ? SESSION_TOKEN_ROOT_MAX_SECONDS : 43_200);
    if (seconds > (caller.type === 'Root' ? SESSION_TOKEN_ROOT_MAX_SECONDS : SESSION_TOKEN_MAX_SECONDS)) {
      throw validationError(
        caller.type === 'Root'
          ? 'The requested DurationSeconds exceeds the 1 hour session limit for root accounts.'
          : `1 validation error detected: Value '${seconds}' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to ${SESSION_TOKEN_MAX_SECONDS}`,
      );
    }
    const issued = this.#now();
    const accessKeyId = newAccessKeyId('ASIA');
    const identity: CallerIdentity = { ...caller, accessKeyId, session: { issued, expires: issued + seconds * 1000, mfa: false } };
    return { Credentials: this.#credentials(accessKeyId, identity, issued + seconds * 1000) };
  }

  #issueRoleSession(role: RoleFacts, session: SessionFacts): { credentials: Credentials; user: { AssumedRoleId: string; Arn: string } } {
    const accessKeyId = newAccessKeyId('ASIA');
    const user = {
      AssumedRoleId: `${role.roleId}:${session.sessionName}`,
      Arn: `arn:aws:sts::${role.accountId}:assumed-role/${role.roleName}/${session.sessionName}`,
    };
    const identity: CallerIdentity = {
      type: 'AssumedRole',
      accountId: role.accountId,
      arn: user.Arn,
      principalId: user.AssumedRoleId,
      accessKeyId,
      session,
    };
    return { credentials: this.#credentials(accessKeyId, identity, session.expires), user };
  }

  #credentials(accessKeyId: string, identity: CallerIdentity, expires: number): Credentials {
    const secretAccessKey = newSecretAccessKey();
    const token = this.sessionDirectory.seal({ accessKeyId, secretAccessKey, identity, expires });
    return { AccessKeyId: accessKeyId, SecretAccessKey: secretAccessKey, SessionToken: token, Expiration: new Date(expires) };
  }

  close(): Promise<void> {
    return this.#store.close();
  }
}

export async function createStsService(platform: PlatformContext, options: StsOptions = {}): Promise<StsProvider> {
  const store = await StsStore.open(platform.storage);
  const sessions = await StsSessionDirectory.open(store, { now: options.now });
  return new StsProvider(platform, store, sessions, options);
}
