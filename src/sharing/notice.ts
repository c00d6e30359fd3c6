import type { Queryable } from '../store/port.ts';
import { combinedStatus } from '../status/values.ts';
import { isUuid } from '../util/uuid.ts';
import type { AttestationNotice } from '../verify/notices.ts';
import { noticeFacts } from './store.ts';

/**
 * What the issuer publishes about the attestation a credential belongs to: its status, since
 * when, the reason the tenant chose to publish with the change that set it (never the internal
 * one), and the attestation that replaced it. Read with one statement; nothing here is secret
 * beyond the credential id, which only those who hold the credential know.
 */
export async function noticeOfCredential(tx: Queryable, tenantId: string, credentialId: string): Promise<AttestationNotice | undefined> {
  if (!isUuid(credentialId)) return undefined;
  const facts = await noticeFacts(tx, tenantId, credentialId);
  if (!facts) return undefined;
  const status = combinedStatus(facts.statuses);
  // The last change explains the status only when it is the change that set it.
  const explains = facts.changedAt !== null && facts.lastTo === status;
  return {
    attestation: facts.attestationId,
    status,
    ...(explains ? { changedAt: facts.changedAt!.toISOString() } : {}),
    ...(explains && facts.publicReason ? { reason: facts.publicReason } : {}),
    ...(facts.successor && facts.successorIssuedAt
      ? { supersededBy: { attestation: facts.successor, issuedAt: facts.successorIssuedAt.toISOString() } }
      : {}),
  };
}
