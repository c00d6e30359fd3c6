import { createRemoteJWKSet, customFetch, jwtVerify, type JWTPayload } from 'jose';
import type { OidcConfig } from '../config/index.ts';
import { isRole, type Principal } from './principal.ts';

// Asymmetric algorithms only: an HMAC-signed token would be verifiable with a public key as secret.
const ACCEPTED_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
const DISCOVERY_TIMEOUT_MS = 5_000;

export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/**
 * Verifies bearer JWTs from the operator's identity provider. The JWKS location comes from
 * OIDC_JWKS_URL or the issuer's discovery document; jose caches the key set and refetches it
 * on an unknown `kid` (the IdP rotated), with its own cooldown against hammering.
 */
export function createOidcVerifier(config: OidcConfig, fetchImpl: FetchLike, clock: () => Date = () => new Date()) {
  let jwks: ReturnType<typeof createRemoteJWKSet> | undefined;

  async function keySet() {
    if (jwks) return jwks;
    let url = config.jwksUrl;
    if (!url) {
      const discovery = `${config.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
      const res = await fetchImpl(discovery, { redirect: 'error', signal: AbortSignal.timeout(DISCOVERY_TIMEOUT_MS) });
      if (!res.ok) throw new Error(`OIDC discovery answered ${res.status}`);
      const meta = (await res.json()) as { jwks_uri?: unknown; issuer?: unknown };
      if (meta.issuer !== config.issuer || typeof meta.jwks_uri !== 'string')
        throw new Error('OIDC discovery document does not match OIDC_ISSUER');
      url = meta.jwks_uri;
    }
    jwks = createRemoteJWKSet(new URL(url), { [customFetch]: fetchImpl });
    return jwks;
  }

  function rolesFrom(payload: JWTPayload) {
    const raw = payload[config.rolesClaim];
    const list = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(' ') : [];
    return new Set(list.filter(isRole));
  }

  /** The principal for a valid token, or undefined when the token is not acceptable. */
  return async function verify(token: string): Promise<Principal | undefined> {
    try {
      const { payload } = await jwtVerify(token, await keySet(), {
        issuer: config.issuer,
        audience: config.audience,
        algorithms: ACCEPTED_ALGORITHMS,
        requiredClaims: ['sub', 'exp'],
        // The service's one clock (injected), not jose's Date.now(): exp/nbf are judged by the
        // same "now" as the key lifecycle, and a test's fixed clock decides both.
        currentDate: clock(),
      });
      const tenant = payload[config.tenantClaim];
      if (typeof tenant !== 'string' || tenant === '') return undefined;
      return { id: `oidc:${payload.sub}`, via: 'oidc', tenantId: tenant, roles: rolesFrom(payload) };
    } catch {
      return undefined;
    }
  };
}
