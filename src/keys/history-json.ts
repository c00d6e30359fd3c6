import type { KeyRecord } from './lifecycle.ts';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/**
 * A key's recorded lifecycle in the wire's snake_case, shared by the operator's key list and the
 * trust bundle: the instants are what a verifier judges a signature by, so both show the same ones.
 */
export function keyLifecycleJson(k: KeyRecord) {
  return {
    kid: k.kid,
    alg: k.alg,
    created_at: k.createdAt.toISOString(),
    activated_at: iso(k.activatedAt),
    retired_at: iso(k.retiredAt),
    publish_until: iso(k.publishUntil),
    revoked_at: iso(k.revokedAt),
    revocation_reason: k.revocationReason,
  };
}
