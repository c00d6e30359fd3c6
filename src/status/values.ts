import { AppError } from '../errors/index.ts';

/** What a credential's status can be. Revoked is final; suspended can return to valid. */
export const CREDENTIAL_STATUSES = ['valid', 'revoked', 'suspended'] as const;
export type CredentialStatus = (typeof CREDENTIAL_STATUSES)[number];

/**
 * The Token Status List values (draft-ietf-oauth-status-list, "Status Types": 0x00 VALID,
 * 0x01 INVALID, 0x02 SUSPENDED), published with `bits` 2. A slot never used reads as VALID.
 */
export const TOKEN_STATUS_VALUE: Readonly<Record<CredentialStatus, number>> = { valid: 0, revoked: 1, suspended: 2 };
export const TOKEN_STATUS_BITS = 2;

/** Refuses a change that would undo a revocation; any other change (or none) is allowed. */
export function assertTransition(credentialId: string, from: CredentialStatus, to: CredentialStatus): void {
  if (from === 'revoked' && to !== 'revoked') {
    throw new AppError('status_final', `credential ${credentialId} is revoked, and a revocation cannot be undone`);
  }
}

/**
 * One status for several slots (an attestation issued before its formats shared one has a slot
 * each): revoked wins, then suspended. No slot at all reads as valid, as a slot never set does.
 */
export function combinedStatus(statuses: readonly CredentialStatus[]): CredentialStatus {
  if (statuses.includes('revoked')) return 'revoked';
  if (statuses.includes('suspended')) return 'suspended';
  return 'valid';
}
