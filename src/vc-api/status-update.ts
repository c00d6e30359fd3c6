import { z } from 'zod';
import { AppError, type FieldProblem } from '../errors/index.ts';
import { bitstringStatusEntries, type StatusReference } from '../credentials/status-reference.ts';
import type { CredentialStatus } from '../status/values.ts';

/**
 * W3C CCG VC-API UpdateCredentialStatusRequest (issuer.yml): which credential, which of its
 * status entries, and the new value of that entry's bit. Older drafts sent an array of
 * `{type, status}`; the current one names the entry by purpose and sets a boolean.
 */
export const updateCredentialStatusSchema = z.strictObject({
  credentialId: z.string().min(1).max(128),
  credentialStatus: z.strictObject({
    id: z.string().max(2048).optional(),
    type: z.string().min(1).max(64),
    statusPurpose: z.string().min(1).max(64),
    statusListIndex: z.string().max(16).optional(),
    statusListCredential: z.string().max(2048).optional(),
  }),
  status: z.boolean(),
});
export type UpdateCredentialStatus = z.infer<typeof updateCredentialStatusSchema>;

// The spec's own example says BitstringStatusList; what the credentials carry is the entry type.
const ENTRY_TYPES = new Set(['BitstringStatusListEntry', 'BitstringStatusList']);

/**
 * Checks the request names one of the credential's own status entries and returns the status
 * the credential moves to, or null when the bit already has that value. Un-revoking is not
 * refused here but by the status module (409 status_final), whose rule it is.
 */
export function statusChangeOf(request: UpdateCredentialStatus, current: CredentialStatus, slot: StatusReference): CredentialStatus | null {
  const named = request.credentialStatus;
  const entry = bitstringStatusEntries(slot).find((e) => e.statusPurpose === named.statusPurpose);
  const mismatch: FieldProblem[] = [];
  if (!ENTRY_TYPES.has(named.type)) mismatch.push({ pointer: '/credentialStatus/type', detail: 'must be BitstringStatusListEntry' });
  if (!entry) mismatch.push({ pointer: '/credentialStatus/statusPurpose', detail: 'must be revocation or suspension' });
  for (const member of ['id', 'statusListIndex', 'statusListCredential'] as const) {
    if (entry && named[member] !== undefined && named[member] !== entry[member])
      mismatch.push({ pointer: `/credentialStatus/${member}`, detail: 'is not the credential’s own entry' });
  }
  if (mismatch.length > 0) throw new AppError('status_entry_mismatch', 'status entry not carried by the credential', { fields: mismatch });
  if (named.statusPurpose === 'revocation') {
    if (request.status) return current === 'revoked' ? null : 'revoked';
    return current === 'revoked' ? 'valid' : null;
  }
  if (request.status) return current === 'suspended' ? null : 'suspended';
  return current === 'suspended' ? 'valid' : null;
}
