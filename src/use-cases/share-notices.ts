import { CompactSign } from 'jose';
import { activeSigner, type IssuerSigner } from '../credentials/signer.ts';
import { issuerIdentity } from '../did/issuer-identity.ts';
import { AppError } from '../errors/index.ts';
import type { KeyEncryptionKey } from '../keys/key-crypto.ts';
import { openlySharedAttestations } from '../sharing/store.ts';
import type { Queryable } from '../store/port.ts';
import type { WebhookEvent } from '../webhooks/events.ts';
import { keyRevokedDraft, noticesOfEntry, type NoticeDraft, type RevokedKey } from '../webhooks/notices.ts';
import { placeEvents } from '../webhooks/outbox.ts';

// Here rather than in webhooks/: a notice is signed with the tenant's signing key (credentials,
// keys), for the attestations its share links (sharing) expose.

/** The JWS `typ` of a notice: a verifier tells it from a credential signed by the same key. */
export const NOTICE_JWS_TYPE = 'launchproof-notice+jwt';

export interface NoticeSigningDeps {
  readonly kek: KeyEncryptionKey;
  readonly publicUrl: URL;
  readonly now: () => Date;
}

/**
 * Places the notices of log entries just sequenced (indexes `first`, `first + 1`, …), in the
 * sequencer's transaction, for the attestations that have a share link open: a status change, a
 * successor, the revocation of the key that signed it. Entries that raise none (most of them:
 * issuances) cost nothing here, not even a read.
 */
export async function placeShareNotices(
  deps: NoticeSigningDeps,
  tx: Queryable,
  tenantId: string,
  first: number,
  bodies: readonly string[],
): Promise<void> {
  const drafts: NoticeDraft[] = [];
  const revoked: RevokedKey[] = [];
  bodies.forEach((body, i) => {
    const raised = noticesOfEntry(first + i, body);
    drafts.push(...raised.drafts);
    if (raised.revokedKey) revoked.push(raised.revokedKey);
  });
  if (drafts.length === 0 && revoked.length === 0) return;
  const now = deps.now();
  const shared = await openlySharedAttestations(tx, tenantId, now, {
    attestationIds: drafts.map((d) => d.attestationId),
    kids: revoked.map((k) => k.kid),
  });
  if (shared.length === 0) return;
  const open = new Set(shared.map((s) => s.attestationId));
  const placed = [
    ...drafts.filter((d) => open.has(d.attestationId)),
    ...revoked.flatMap((k) => shared.filter((s) => s.kid === k.kid).map((s) => keyRevokedDraft(s.attestationId, k))),
  ].sort((a, b) => (a.logIndex ?? 0) - (b.logIndex ?? 0));
  await placeEvents(tx, tenantId, await signNotices(deps, tx, tenantId, placed, now));
}

/**
 * The notices as outbox events, each with its JWS signed by the tenant's active key now. A
 * tenant left without a key able to sign (its only key just revoked, or sealed under a KEK this
 * process lacks) still has its buyers told, unsigned: a buyer learns of a revocation late or not
 * at all otherwise, and the notice says it carries no signature.
 */
export async function signNotices(
  deps: NoticeSigningDeps,
  tx: Queryable,
  tenantId: string,
  drafts: readonly NoticeDraft[],
  now: Date,
): Promise<WebhookEvent[]> {
  if (drafts.length === 0) return [];
  let signer: IssuerSigner | undefined;
  try {
    signer = await activeSigner(tx, deps.kek, deps.publicUrl, tenantId, now);
  } catch (e) {
    if (!(e instanceof AppError && e.code === 'signing_unavailable')) throw e;
  }
  const issuer = issuerIdentity(deps.publicUrl, tenantId).did;
  return Promise.all(
    drafts.map(async (d) => {
      const id = crypto.randomUUID();
      const data = {
        attestation_id: d.attestationId,
        change: d.change,
        changed_at: d.at.toISOString(),
        ...(d.logIndex === null ? {} : { log_index: d.logIndex }),
        ...d.facts,
      };
      const claims = { iss: issuer, iat: Math.floor(now.getTime() / 1000), jti: id, ...data };
      return {
        id,
        type: `notice.${d.change}` as const,
        attestationId: d.attestationId,
        logIndex: d.logIndex,
        at: d.at,
        data,
        notice: signer ? await signNotice(signer, claims) : null,
      };
    }),
  );
}

function signNotice(signer: IssuerSigner, claims: Record<string, unknown>): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
    .setProtectedHeader({ alg: signer.alg, kid: signer.didUrl, typ: NOTICE_JWS_TYPE })
    .sign(signer.key);
}
