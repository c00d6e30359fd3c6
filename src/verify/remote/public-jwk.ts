import type { JWK } from 'jose';
import { VerificationFailure } from '../result.ts';

/** Members that only a private or symmetric key has (RFC 7518 §6.2.2, §6.3.2, §6.4). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;
const PUBLIC_MEMBERS = ['kty', 'crv', 'x', 'y', 'n', 'e', 'alg', 'use', 'key_ops', 'kid'] as const;
const ASYMMETRIC_KEY_TYPES = new Set(['EC', 'OKP', 'RSA']);

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function hasPrivateMembers(jwk: Record<string, unknown>): boolean {
  return PRIVATE_MEMBERS.some((member) => member in jwk);
}

const failure = (code: string, detail: string) => new VerificationFailure('issuer_key', code, detail);

/**
 * The public members of a key someone published for verifying their signatures. A published
 * private member means the key is compromised whoever holds it, so the key is refused outright
 * rather than cleaned; members outside the list (x5c, custom ones) are dropped.
 */
export function publicVerificationJwk(value: unknown): JWK {
  if (!isRecord(value) || typeof value.kty !== 'string') throw failure('unsupported_key_format', 'key is not a JWK');
  if (hasPrivateMembers(value)) throw failure('private_key_published', 'published key carries private key material');
  if (!ASYMMETRIC_KEY_TYPES.has(value.kty)) throw failure('unsupported_key_format', 'key type is not a signature key type');
  if (value.use !== undefined && value.use !== 'sig') throw failure('key_not_for_assertion', 'key is published for encryption');
  if (value.key_ops !== undefined && !(Array.isArray(value.key_ops) && value.key_ops.includes('verify'))) {
    throw failure('key_not_for_assertion', 'key operations exclude verify');
  }
  const jwk: Record<string, unknown> = {};
  for (const member of PUBLIC_MEMBERS) if (value[member] !== undefined) jwk[member] = value[member];
  return jwk as JWK;
}
