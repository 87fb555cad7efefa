// Verifies OIDC identity tokens for AssumeRoleWithWebIdentity with `jose`: the issuer's keys come from
// `<iss>/.well-known/openid-configuration` → `jwks_uri`, kept for ten minutes per issuer and fetched
// again when a token names a key id the cached set lacks (the provider rotated its keys).
//
// Known limitations: IAM's thumbprints are not checked (as AWS no longer does for well-known CAs);
// the fetch trusts the system's CAs only.
import { createLocalJWKSet, decodeJwt, errors as joseErrors, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import { errors } from '@atoll/aws-models/sts';

const JWKS_TTL_MS = 10 * 60_000;
const FETCH_TIMEOUT_MS = 5_000;

const COMMUNICATION = "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements";

export interface WebIdentityClaims extends JWTPayload {
  iss: string;
  sub: string;
}

/** The issuer as IAM names its OIDC provider: the URL without `https://` and trailing slash. */
export function issuerKey(issuer: string): string {
  return issuer.replace(/^https?:\/\//i, '').replace(/\/+$/, '');
}

/** The token's claims, unverified (to find its issuer's provider); InvalidIdentityToken when it is no JWT. */
export function peekClaims(token: string): WebIdentityClaims {
  let claims: JWTPayload;
  try {
    claims = decodeJwt(token);
  } catch {
    throw new errors.InvalidIdentityTokenException('The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)');
  }
  if (typeof claims.iss !== 'string' || !claims.iss) throw new errors.InvalidIdentityTokenException('Missing a required claim: iss');
  if (typeof claims.sub !== 'string' || !claims.sub) throw new errors.InvalidIdentityTokenException('Missing a required claim: sub');
  if (claims.aud === undefined) throw new errors.InvalidIdentityTokenException('Missing a required claim: aud');
  return claims as WebIdentityClaims;
}

export class WebIdentityVerifier {
  readonly #keys = new Map<string, { jwks: JSONWebKeySet; at: number }>();
  readonly #now: () => number;

  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
  }

  /**
   * Verifies the token's signature against its issuer's keys, its expiry, and its audience against
   * the provider's client ids. Throws STS's errors: InvalidIdentityToken, ExpiredTokenException,
   * IDPCommunicationError.
   */
  async verify(token: string, issuer: string, clientIds: readonly string[]): Promise<WebIdentityClaims> {
    const claims = peekClaims(token);
    const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud!];
    if (!audiences.some((aud) => clientIds.includes(aud))) throw new errors.InvalidIdentityTokenException('Incorrect token audience');
    let jwks = await this.#jwks(issuer, false);
    for (let attempt = 0; ; attempt++) {
      try {
        const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), { currentDate: new Date(this.#now()), clockTolerance: 0 });
        return payload as WebIdentityClaims;
      } catch (error) {
        if (error instanceof joseErrors.JWTExpired) {
          const exp = new Date((claims.exp ?? 0) * 1000).toISOString();
          throw new errors.ExpiredTokenException(`Token expired: current date/time ${new Date(this.#now()).toISOString()} must be before the expiration date/time ${exp}`);
        }
        if (error instanceof joseErrors.JWKSNoMatchingKey && attempt === 0) {
          jwks = await this.#jwks(issuer, true);
          continue;
        }
        if (error instanceof joseErrors.JWTClaimValidationFailed) throw new errors.InvalidIdentityTokenException(`Token claim is not valid: ${error.claim}`);
        throw new errors.InvalidIdentityTokenException('The web identity token that was passed could not be validated by AWS. Get a new identity token from the identity provider and then retry the request.');
      }
    }
  }

  async #jwks(issuer: string, refresh: boolean): Promise<JSONWebKeySet> {
    const cached = this.#keys.get(issuer);
    if (cached && !refresh && Date.now() - cached.at < JWKS_TTL_MS) return cached.jwks;
    const base = issuer.replace(/\/+$/, '');
    const discovery = await fetchJson(`${base}/.well-known/openid-configuration`);
    const uri = (discovery as { jwks_uri?: unknown }).jwks_uri;
    if (typeof uri !== 'string') throw new errors.IDPCommunicationErrorException(COMMUNICATION);
    const jwks = (await fetchJson(uri)) as JSONWebKeySet;
    if (!Array.isArray(jwks?.keys)) throw new errors.IDPCommunicationErrorException(COMMUNICATION);
    this.#keys.set(issuer, { jwks, at: Date.now() });
    return jwks;
  }
}

async function fetchJson(url: string): Promise<unknown> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), headers: { accept: 'application/json' } });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return await response.json();
  } catch {
    throw new errors.IDPCommunicationErrorException(COMMUNICATION);
  }
}
