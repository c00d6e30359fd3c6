import type { LogEntry } from '../transparency/entries.ts';

/*
 * What a buyer holding a share link is told of (docs/webhooks.md, Buyers): the changes to that
 * one attestation that bear on relying on it. Derived from the tenant log's entries, like the
 * tenant's events, so a notice names the entry (`log_index`) a buyer can prove it against.
 */

export const NOTICE_CHANGES = ['suspended', 'reinstated', 'revoked', 'superseded', 'key_revoked', 'expiring'] as const;
export type NoticeChange = (typeof NOTICE_CHANGES)[number];
export type NoticeType = `notice.${NoticeChange}`;

export const NOTICE_TYPES: readonly NoticeType[] = NOTICE_CHANGES.map((c) => `notice.${c}` as const);

/** A notice before it is signed: the attestation it is about, the change, and what the buyer is told. */
export interface NoticeDraft {
  readonly attestationId: string;
  readonly change: NoticeChange;
  readonly at: Date;
  readonly logIndex: number | null;
  readonly facts: Readonly<Record<string, unknown>>;
}

/**
 * The notices one sequenced entry raises: for the attestation it names, or, for a revoked key,
 * the key's id (every attestation that key signed is told: the caller knows which those are).
 */
export function noticesOfEntry(index: number, { at, event }: LogEntry): { drafts: NoticeDraft[]; revokedKey?: RevokedKey } {
  const when = new Date(at);
  const draft = (attestationId: string, change: NoticeChange, facts: Record<string, unknown>): NoticeDraft => ({
    attestationId,
    change,
    at: when,
    logIndex: index,
    facts,
  });
  switch (event.type) {
    case 'status.changed': {
      const change: NoticeChange | undefined =
        event.to === 'revoked' ? 'revoked' : event.to === 'suspended' ? 'suspended' : event.from === 'suspended' ? 'reinstated' : undefined;
      return { drafts: change ? [draft(event.attestation, change, event.reason ? { reason: event.reason } : {})] : [] };
    }
    case 'attestation.issued':
      return event.supersedes ? { drafts: [draft(event.supersedes, 'superseded', { superseded_by: event.attestation })] } : { drafts: [] };
    case 'key.revoked':
      return { drafts: [], revokedKey: { kid: event.kid, at: when, logIndex: index, ...(event.reason ? { reason: event.reason } : {}) } };
    default:
      return { drafts: [] };
  }
}

/** A signing key revoked, as its log entry says. */
export interface RevokedKey {
  readonly kid: string;
  readonly at: Date;
  readonly logIndex: number;
  readonly reason?: string;
}

/** A revoked key's notice for one attestation it signed. */
export function keyRevokedDraft(attestationId: string, key: RevokedKey): NoticeDraft {
  return {
    attestationId,
    change: 'key_revoked',
    at: key.at,
    logIndex: key.logIndex,
    facts: { kid: key.kid, ...(key.reason ? { reason: key.reason } : {}) },
  };
}
