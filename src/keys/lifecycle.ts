import type { PublicJwk } from './key-crypto.ts';
import type { SigningAlgorithm } from './policy.ts';

export type KeyState = 'next' | 'active' | 'retired' | 'expired' | 'revoked';

/** A signing key's public record: the instants its lifecycle is computed from. */
export interface KeyRecord {
  readonly tenantId: string;
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  readonly publicJwk: PublicJwk;
  readonly createdAt: Date;
  readonly activatedAt: Date | null;
  readonly retiredAt: Date | null;
  readonly publishUntil: Date | null;
  readonly revokedAt: Date | null;
  readonly revocationReason: string | null;
  readonly signedUntil: Date | null;
}

/**
 * The state is derived, never stored: expiry needs no job to happen, and any instant of a
 * key's life (an auditor's `--at`) is answered by the same function.
 */
export function keyState(key: KeyRecord, at: Date): KeyState {
  const t = at.getTime();
  if (key.revokedAt && key.revokedAt.getTime() <= t) return 'revoked';
  if (key.retiredAt && key.retiredAt.getTime() <= t) {
    return key.publishUntil && key.publishUntil.getTime() <= t ? 'expired' : 'retired';
  }
  if (key.activatedAt && key.activatedAt.getTime() <= t) return 'active';
  return 'next';
}

/** Published keys can verify: the waiting one (so caches have it before it signs), the signing one, and retired ones. */
export function isPublished(state: KeyState): boolean {
  return state === 'next' || state === 'active' || state === 'retired';
}

const ORDER: Record<KeyState, number> = { active: 0, next: 1, retired: 2, expired: 3, revoked: 4 };

/** Keys published at `at`, the signing key first, then the waiting one, then retired ones newest first. */
export function publishedKeys(keys: readonly KeyRecord[], at: Date): KeyRecord[] {
  return keys
    .map((k) => ({ k, s: keyState(k, at) }))
    .filter(({ s }) => isPublished(s))
    .sort((a, b) => ORDER[a.s] - ORDER[b.s] || b.k.createdAt.getTime() - a.k.createdAt.getTime())
    .map(({ k }) => k);
}
