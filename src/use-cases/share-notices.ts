import { CompactSign } from 'jose';
import { activeSigner, type IssuerSigner } from '../credentials/signer.ts';
import { issuerIdentity } from '../did/issuer-identity.ts';
import type { KeyEncryptionKey } from '../keys/key-crypto.ts';
import { reminderDue } from '../evidence/reminders.ts';
import { expiringSharedAttestations, recordExpiryNotice, shareWindows, type ShareWindow } from '../sharing/store.ts';
import { withTenant } from '../store/tenant-scope.ts';
import type { Database, Queryable } from '../store/port.ts';
import type { LogEntry } from '../transparency/entries.ts';
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
 * sequencer's transaction, for the attestations that had a share link open when the change
 * happened: a status change, a successor, the revocation of the key that signed it. Entries that
 * raise none (most of them: issuances) cost nothing here, not even a read.
 */
export async function placeShareNotices(
  deps: NoticeSigningDeps,
  tx: Queryable,
  tenantId: string,
  first: number,
  entries: readonly LogEntry[],
): Promise<void> {
  const drafts: NoticeDraft[] = [];
  const revoked: RevokedKey[] = [];
  entries.forEach((entry, i) => {
    const raised = noticesOfEntry(first + i, entry);
    drafts.push(...raised.drafts);
    if (raised.revokedKey) revoked.push(raised.revokedKey);
  });
  if (drafts.length === 0 && revoked.length === 0) return;
  const windows = await shareWindows(tx, tenantId, { attestationIds: drafts.map((d) => d.attestationId), kids: revoked.map((k) => k.kid) });
  if (windows.length === 0) return;
  const sharedAt = (w: ShareWindow, at: Date) => w.from.getTime() <= at.getTime() && at.getTime() < w.until.getTime();
  const keyRevoked = revoked.flatMap((k) => {
    const attestations = new Set(windows.filter((w) => w.kid === k.kid && sharedAt(w, k.at)).map((w) => w.attestationId));
    return [...attestations].map((id) => keyRevokedDraft(id, k));
  });
  const placed = [
    ...drafts.filter((d) => windows.some((w) => w.attestationId === d.attestationId && sharedAt(w, d.at))),
    ...keyRevoked,
  ].sort((a, b) => (a.logIndex ?? 0) - (b.logIndex ?? 0));
  await placeEvents(tx, tenantId, await signNotices(deps, tx, tenantId, placed, deps.now()));
}

/**
 * The notices as outbox events, each with its JWS signed by the tenant's active key now. A
 * tenant whose key cannot sign (its only key just revoked, sealed under a KEK this process
 * lacks, or damaged) still has its buyers told, unsigned, and its log goes on: this runs in the
 * log sequencer's transaction, and a failure here would hold every later entry of the tenant.
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
  } catch {
    // A database failure here has aborted the transaction already: the next statement fails the run.
    signer = undefined;
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
        notice: signer ? await signNotice(signer, claims).catch(() => null) : null,
      };
    }),
  );
}

function signNotice(signer: IssuerSigner, claims: Record<string, unknown>): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
    .setProtectedHeader({ alg: signer.alg, kid: signer.didUrl, typ: NOTICE_JWS_TYPE })
    .sign(signer.key);
}

/**
 * Places the notices that a shared attestation nears the end of its validity: the most urgent of
 * 30, 7 and 1 days before not yet placed (the evidence reminders' rule), for attestations with a
 * share link open now and neither revoked nor superseded (a buyer was told of those already).
 * Recorded in the transaction that places them, so each is placed once. Returns how many.
 */
export async function placeExpiryNotices(deps: NoticeSigningDeps, db: Database, tenantId: string): Promise<number> {
  const now = deps.now();
  return withTenant(db, tenantId, async (tx) => {
    const candidates = await expiringSharedAttestations(tx, tenantId, now);
    if (candidates.length === 0) return 0;
    const drafts: NoticeDraft[] = [];
    for (const c of candidates) {
      const days = reminderDue(c.validUntil, now, c.noticedDays);
      if (days === undefined || !(await recordExpiryNotice(tx, tenantId, c.attestationId, days, now))) continue;
      drafts.push({
        attestationId: c.attestationId,
        change: 'expiring',
        at: now,
        logIndex: null,
        facts: { valid_until: c.validUntil.toISOString(), days_left: days },
      });
    }
    await placeEvents(tx, tenantId, await signNotices(deps, tx, tenantId, drafts, now));
    return drafts.length;
  });
}
