// HTTP APIs' JWT authorizers, as AWS documents them: the token (the identity source, `Bearer `
// removed) is verified against the issuer's JWKS (found through the issuer's OpenID discovery
// document, or `<issuer>/.well-known/jwks.json` when there is none; fetched over HTTP and cached
// by jose), `iss` must be the issuer, `aud` or `client_id` one of the audiences, `exp`/`nbf`/`iat`
// valid; the route's scopes, when it names any, must meet the token's `scope`/`scp`.
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';

export type JwtOutcome = { ok: true; claims: Record<string, unknown>; scopes: string[] } | { ok: false; status: 401 | 403 };

type KeySet = ReturnType<typeof createRemoteJWKSet>;

export class JwtVerifier {
  readonly #keySets = new Map<string, Promise<KeySet>>();

  #keySet(issuer: string): Promise<KeySet> {
    let found = this.#keySets.get(issuer);
    if (!found) {
      found = (async () => {
        const base = issuer.replace(/\/$/, '');
        let jwksUri = `${base}/.well-known/jwks.json`;
        try {
          const discovery = await fetch(`${base}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(5000) });
          if (discovery.ok) {
            const doc = (await discovery.json()) as { jwks_uri?: string };
            if (typeof doc.jwks_uri === 'string') jwksUri = doc.jwks_uri;
          }
        } catch {
          // No discovery document: the conventional JWKS location.
        }
        return createRemoteJWKSet(new URL(jwksUri), { cacheMaxAge: 10 * 60_000, cooldownDuration: 30_000 });
      })();
      this.#keySets.set(issuer, found);
      found.catch(() => this.#keySets.delete(issuer));
    }
    return found;
  }

  async verify(token: string | undefined, issuer: string, audiences: readonly string[], scopes: readonly string[] | undefined): Promise<JwtOutcome> {
    if (!token) return { ok: false, status: 401 };
    const jwt = token.replace(/^Bearer\s+/i, '');
    let payload: JWTPayload;
    try {
      payload = (await jwtVerify(jwt, await this.#keySet(issuer), { issuer })).payload;
    } catch {
      return { ok: false, status: 401 };
    }
    const aud = payload.aud === undefined ? [] : Array.isArray(payload.aud) ? payload.aud : [payload.aud];
    const clientId = typeof payload.client_id === 'string' ? [payload.client_id] : [];
    if (![...aud, ...clientId].some((a) => audiences.includes(a))) return { ok: false, status: 401 };
    const granted = tokenScopes(payload);
    if (scopes && scopes.length > 0 && !scopes.some((s) => granted.includes(s))) return { ok: false, status: 403 };
    return { ok: true, claims: flattenClaims(payload), scopes: granted };
  }
}

function tokenScopes(payload: JWTPayload): string[] {
  const raw = payload.scope ?? payload.scp;
  if (typeof raw === 'string') return raw.split(' ').filter(Boolean);
  if (Array.isArray(raw)) return raw.map(String);
  return [];
}

/** Claims as the event carries them: strings, with arrays as `[a b]` as AWS writes them. */
function flattenClaims(payload: JWTPayload): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(payload)) out[k] = Array.isArray(v) ? `[${v.join(' ')}]` : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
  return out;
}
