import { recordEvent, type Actor } from '../audit/events.ts';
import { AppError } from '../errors/index.ts';
import type { Database, Queryable } from '../store/port.ts';
import { acrossTenants, withTenant } from '../store/tenant-scope.ts';
import { base64urlEncode } from '../util/base64url.ts';
import { isUuid } from '../util/uuid.ts';
import { selectDisclosures } from '../verify/present.ts';
import { VerificationFailure } from '../verify/result.ts';
import { formatsOf, requireAttestation } from '../attestations/store.ts';
import { issuanceIndexes } from '../transparency/store.ts';
import {
  countShareView,
  findShareByTokenHash,
  insertShare,
  markShareRevoked,
  shareOfAttestation,
  sharesOfAttestation,
  shareToOpen,
  type StoredShare,
} from './store.ts';

/*
 * A share link is the vendor's consent to show one attestation to whoever holds the link: the
 * buyer's verification page, and a live badge. The link's token is 256 random bits, stored only
 * as its SHA-256, so a copy of the database opens no share. What the buyer verifies is fixed
 * when the link is made: the SD-JWT VC revealing only the claims the vendor chose.
 */

/** How long a share may stay open: a year; a vendor makes a new one rather than one forever. */
const MAX_SHARE_DAYS = 366;
const DAY_MS = 86_400_000;
const TOKEN_BYTES = 32;

export interface ShareDeps {
  readonly db: Database;
  readonly now: Date;
  readonly actor: Actor;
}

export interface ShareInput {
  /** JSON pointers of the claims to reveal (SD-JWT VC); subject, profile and verdict are always visible. */
  readonly reveal: readonly string[];
  readonly expiresAt: Date;
  readonly label?: string;
}

export type ShareState = 'active' | 'expired' | 'revoked';

/** A share link as its owner sees it: as stored, and where it stands now. */
export interface ShareRecord extends StoredShare {
  readonly state: ShareState;
}

export async function shareTokenHash(token: string): Promise<string> {
  return base64urlEncode(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token))));
}

const refuse = (pointer: string, detail: string) => new AppError('invalid_request', detail, { fields: [{ pointer, detail }] });

/**
 * The credential a share presents: the SD-JWT VC with only the chosen disclosures, or, for an
 * attestation issued without one, a VC-JWT (which hides nothing, so nothing may be chosen).
 */
async function presentationFor(
  tx: Queryable,
  tenantId: string,
  attestationId: string,
  reveal: readonly string[],
): Promise<{ credentialId: string; format: string; presentation: string }> {
  const formats = await formatsOf(tx, tenantId, attestationId);
  const sdJwt = formats.find((f) => f.format === 'dc+sd-jwt');
  if (sdJwt) {
    try {
      return { credentialId: sdJwt.credentialId, format: sdJwt.format, presentation: await selectDisclosures(sdJwt.credential, reveal) };
    } catch (e) {
      if (e instanceof VerificationFailure)
        throw new AppError('share_not_presentable', e.message, { fields: [{ pointer: '/reveal', detail: e.message }] });
      throw e;
    }
  }
  const whole = formats.find((f) => f.format === 'vc+jwt') ?? formats[0];
  if (!whole) throw new AppError('share_not_presentable', `attestation ${attestationId} has no credential to share`);
  if (reveal.length > 0) {
    const detail = 'the attestation has no SD-JWT VC, so it can only be shared whole: leave reveal empty';
    throw new AppError('share_not_presentable', detail, { fields: [{ pointer: '/reveal', detail }] });
  }
  return { credentialId: whole.credentialId, format: whole.format, presentation: whole.credential };
}

/** Makes a share link; the token is returned here once and never again. */
export async function createShare(
  deps: ShareDeps,
  tenantId: string,
  attestationId: string,
  input: ShareInput,
): Promise<{ share: ShareRecord; token: string }> {
  if (input.expiresAt.getTime() <= deps.now.getTime()) throw refuse('/expires_at', 'must be in the future');
  if (input.expiresAt.getTime() > deps.now.getTime() + MAX_SHARE_DAYS * DAY_MS)
    throw refuse('/expires_at', `a share link lasts at most ${MAX_SHARE_DAYS} days`);
  const token = base64urlEncode(crypto.getRandomValues(new Uint8Array(TOKEN_BYTES)));
  const id = crypto.randomUUID();
  return withTenant(deps.db, tenantId, async (tx) => {
    await requireAttestation(tx, tenantId, attestationId);
    const p = await presentationFor(tx, tenantId, attestationId, input.reveal);
    await insertShare(tx, {
      id,
      tenantId,
      attestationId,
      credentialId: p.credentialId,
      tokenHash: await shareTokenHash(token),
      label: input.label ?? null,
      reveal: input.reveal,
      presentation: p.presentation,
      createdAt: deps.now,
      createdBy: deps.actor,
      expiresAt: input.expiresAt,
    });
    await recordEvent(tx, {
      tenantId,
      at: deps.now,
      actor: deps.actor,
      action: 'share.created',
      target: attestationId,
      detail: { share: id, reveal: [...input.reveal], expires_at: input.expiresAt.toISOString() },
    });
    const share: ShareRecord = {
      id,
      attestationId,
      label: input.label ?? null,
      reveal: [...input.reveal],
      format: p.format,
      createdAt: deps.now,
      createdBy: deps.actor,
      expiresAt: input.expiresAt,
      revokedAt: null,
      viewCount: 0,
      lastViewedAt: null,
      state: 'active',
    };
    return { share, token };
  });
}

const stateOf = (r: { revokedAt: Date | null; expiresAt: Date }, now: Date): ShareState =>
  r.revokedAt ? 'revoked' : r.expiresAt.getTime() <= now.getTime() ? 'expired' : 'active';

const toShare = (r: StoredShare, now: Date): ShareRecord => ({ ...r, state: stateOf(r, now) });

/** Every share link of an attestation, newest first, with how often and when it was last viewed. */
export function listShares(db: Database, tenantId: string, attestationId: string, now: Date): Promise<ShareRecord[]> {
  return withTenant(db, tenantId, async (tx) => {
    await requireAttestation(tx, tenantId, attestationId);
    return (await sharesOfAttestation(tx, tenantId, attestationId)).map((r) => toShare(r, now));
  });
}

/** Withdraws a share link: from now on it answers 410. Withdrawing twice changes nothing. */
export function revokeShare(deps: ShareDeps, tenantId: string, attestationId: string, shareId: string): Promise<ShareRecord> {
  return withTenant(deps.db, tenantId, async (tx) => {
    const notFound = () => new AppError('share_not_found', `attestation ${attestationId} has no share ${shareId}`);
    if (!isUuid(shareId)) throw notFound();
    if (await markShareRevoked(tx, tenantId, attestationId, shareId, deps.now, deps.actor)) {
      await recordEvent(tx, {
        tenantId,
        at: deps.now,
        actor: deps.actor,
        action: 'share.revoked',
        target: attestationId,
        detail: { share: shareId },
      });
    }
    const row = await shareOfAttestation(tx, tenantId, attestationId, shareId);
    if (!row) throw notFound();
    return toShare(row, deps.now);
  });
}

export type OpenedShare =
  | {
      readonly kind: 'open';
      readonly tenantId: string;
      readonly tenantName: string;
      readonly shareId: string;
      readonly attestationId: string;
      readonly label: string | null;
      /** What the buyer verifies: the SD-JWT VC with only the chosen disclosures, or a VC-JWT. */
      readonly credential: string;
      readonly expiresAt: Date;
      /** The attestation's issuance entry in the tenant's transparency log; null until sequenced (or issued before the log). */
      readonly logIndex: number | null;
    }
  | { readonly kind: 'gone'; readonly why: 'expired' | 'revoked' };

const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/**
 * Opens a share link by its token. The token is all the visitor has, so the lookup runs across
 * tenants (by the token's hash, which is unique); everything after it is scoped to the tenant
 * it names. A withdrawn or expired link says only that it is gone.
 */
export async function openShare(db: Database, token: string, now: Date, options: { countView: boolean }): Promise<OpenedShare | undefined> {
  if (!TOKEN_SHAPE.test(token)) return undefined;
  const hash = await shareTokenHash(token);
  const found = await acrossTenants(db, (tx) => findShareByTokenHash(tx, hash));
  if (!found) return undefined;
  return withTenant(db, found.tenantId, async (tx) => {
    const row = await shareToOpen(tx, found.tenantId, found.id);
    if (!row) return undefined;
    const state = stateOf(row, now);
    if (state !== 'active') return { kind: 'gone', why: state };
    if (options.countView) await countShareView(tx, found.tenantId, found.id, now);
    return {
      kind: 'open',
      tenantId: found.tenantId,
      tenantName: row.tenantName,
      shareId: found.id,
      attestationId: row.attestationId,
      label: row.label,
      credential: row.presentation,
      expiresAt: row.expiresAt,
      logIndex: (await issuanceIndexes(tx, found.tenantId, [row.attestationId])).get(row.attestationId) ?? null,
    };
  });
}

/**
 * A share link a buyer acts through (its feed, a subscription): open, or refused as unknown
 * (share_not_found) or withdrawn or expired (share_gone). Acting through it is no view.
 */
export async function requireOpenShare(db: Database, token: string, now: Date): Promise<Extract<OpenedShare, { kind: 'open' }>> {
  const shared = await openShare(db, token, now, { countView: false });
  if (!shared) throw new AppError('share_not_found', 'no such share link');
  if (shared.kind === 'gone') throw new AppError('share_gone', `the share link ${shared.why === 'expired' ? 'expired' : 'was withdrawn'}`);
  return shared;
}
