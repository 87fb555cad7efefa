// STS: who is calling. GetCallerIdentity answers from the identity the edge authenticated.
//
// Known limitations:
// - AssumeRole, GetSessionToken, federation and web-identity operations are not implemented
//   (501 NotImplemented); temporary credentials come with roles in a later release.
import type { PlatformContext, RequestContext, ServiceProvider } from '@atoll/core';
import type { GetCallerIdentityResult } from '@atoll/aws-models/sts';

export class StsProvider implements ServiceProvider {
  readonly service = 'sts';

  readonly operations = {
    GetCallerIdentity: (_input: unknown, ctx: RequestContext): GetCallerIdentityResult => ({
      UserId: ctx.identity.principalId,
      Account: ctx.identity.accountId,
      Arn: ctx.identity.arn,
    }),
  };
}

export function createStsService(_platform: PlatformContext): StsProvider {
  return new StsProvider();
}
