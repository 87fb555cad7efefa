// ECR authorization tokens (GetAuthorizationToken): `base64("AWS:" + token)`, where the token is a
// sealed blob (AES-256-GCM, the session-token sealer of @atoll/auth with ECR's own key from its
// store) carrying the caller's identity, the region and the expiry (12 hours). The registry opens
// it on each request (cached): no database read, and every node opens every node's tokens.
import { SessionTokenSealer } from '@atoll/auth';
import type { CallerIdentity } from '@atoll/core';
import type { EcrStore } from './ecr-store.js';

/** How long a token is accepted, as ECR documents it. */
export const TOKEN_LIFETIME_MS = 12 * 60 * 60 * 1000;
/** The fixed "access key id" the sealer binds ECR tokens to. */
const TOKEN_KEY = 'ECR';

export interface RegistryToken {
  identity: CallerIdentity;
  region: string;
  expires: number;
}

export class AuthTokens {
  private constructor(readonly sealer: SessionTokenSealer) {}

  static async open(store: EcrStore): Promise<AuthTokens> {
    return new AuthTokens(new SessionTokenSealer(await store.sealingKeys()));
  }

  /** A new token for `identity` in `region`. */
  issue(identity: CallerIdentity, region: string, now = Date.now()): { token: string; expires: number } {
    const expires = now + TOKEN_LIFETIME_MS;
    // The sealer's `secretAccessKey` slot carries the region.
    const token = this.sealer.seal({ accessKeyId: TOKEN_KEY, secretAccessKey: region, identity, expires });
    return { token, expires };
  }

  /** The token's facts, or undefined when it is malformed, forged or expired. */
  open(token: string): RegistryToken | undefined {
    try {
      const claims = this.sealer.open(TOKEN_KEY, token);
      return { identity: claims.identity, region: claims.secretAccessKey, expires: claims.expires };
    } catch {
      return undefined;
    }
  }
}
