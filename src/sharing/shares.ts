import { recordEvent, type Actor } from '../audit/events.ts';
import { AppError } from '../errors/index.ts';
import type { Database, Queryable } from '../store/port.ts';
import { acrossTenants, withTenant } from '../store/tenant-scope.ts';
import { base64urlEncode } from '../util/base64url.ts';
import { isUuid } from '../util/uuid.ts';
import { selectDisclosures } from '../verify/present.ts';
import { VerificationFailure } from '../verify/result.ts';
import { formatsOf, requireAttestation } from '../attestations/store.ts';

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

export interface ShareRecord {
  readonly id: string;
  readonly attestationId: string;
  readonly label: string | null;
  readonly reveal: readonly string[];
  readonly format: string;
  readonly createdAt: Date;
  readonly createdBy: string;
  readonly expiresAt: Date;
  readonly revokedAt: Date | null;
  readonly viewCount: number;
  readonly lastViewedAt: Date | null;
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
    await tx.query(
      `insert into shares (id, tenant_id, attestation_id, credential_id, token_hash, label, reveal, presentation, created_at, created_by, expires_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [
        id,
        tenantId,
        attestationId,
        p.credentialId,
        await shareTokenHash(token),
        input.label ?? null,
        [...input.reveal],
        p.presentation,
        deps.now,
        deps.actor,
        input.expiresAt,
      ],
    );
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

interface ShareRow {
  id: string;
  attestation_id: string;
  label: string | null;
  reveal: string[];
  format: string;
  created_at: Date;
  created_by: string;
  expires_at: Date;
  revoked_at: Date | null;
  view_count: string | number;
  last_viewed_at: Date | null;
}

const stateOf = (r: { revoked_at: Date | null; expires_at: Date }, now: Date): ShareState =>
  r.revoked_at ? 'revoked' : r.expires_at.getTime() <= now.getTime() ? 'expired' : 'active';

const toShare = (r: ShareRow, now: Date): ShareRecord => ({
  id: r.id,
  attestationId: r.attestation_id,
  label: r.label,
  reveal: r.reveal,
  format: r.format,
  createdAt: r.created_at,
  createdBy: r.created_by,
  expiresAt: r.expires_at,
  revokedAt: r.revoked_at,
  viewCount: Number(r.view_count),
  lastViewedAt: r.last_viewed_at,
  state: stateOf(r, now),
});

const SHARE_COLUMNS = `s.id, s.attestation_id, s.label, s.reveal, c.format, s.created_at, s.created_by, s.expires_at, s.revoked_at,
  s.view_count, s.last_viewed_at`;

/** Every share link of an attestation, newest first, with how often and when it was last viewed. */
export function listShares(db: Database, tenantId: string, attestationId: string, now: Date): Promise<ShareRecord[]> {
  return withTenant(db, tenantId, async (tx) => {
    await requireAttestation(tx, tenantId, attestationId);
    const rows = await tx.query<ShareRow>(
      `select ${SHARE_COLUMNS} from shares s join credentials c on c.tenant_id = s.tenant_id and c.id = s.credential_id
        where s.tenant_id = $1 and s.attestation_id = $2 order by s.created_at desc, s.id`,
      [tenantId, attestationId],
    );
    return rows.map((r) => toShare(r, now));
  });
}

/** Withdraws a share link: from now on it answers 410. Withdrawing twice changes nothing. */
export function revokeShare(deps: ShareDeps, tenantId: string, attestationId: string, shareId: string): Promise<ShareRecord> {
  return withTenant(deps.db, tenantId, async (tx) => {
    const notFound = () => new AppError('share_not_found', `attestation ${attestationId} has no share ${shareId}`);
    if (!isUuid(shareId)) throw notFound();
    const updated = await tx.query<{ id: string }>(
      `update shares set revoked_at = $4, revoked_by = $5
        where tenant_id = $1 and attestation_id = $2 and id = $3 and revoked_at is null returning id`,
      [tenantId, attestationId, shareId, deps.now, deps.actor],
    );
    if (updated.length === 1) {
      await recordEvent(tx, {
        tenantId,
        at: deps.now,
        actor: deps.actor,
        action: 'share.revoked',
        target: attestationId,
        detail: { share: shareId },
      });
    }
    const [row] = await tx.query<ShareRow>(
      `select ${SHARE_COLUMNS} from shares s join credentials c on c.tenant_id = s.tenant_id and c.id = s.credential_id
        where s.tenant_id = $1 and s.attestation_id = $2 and s.id = $3`,
      [tenantId, attestationId, shareId],
    );
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
  const [found] = await acrossTenants(db, (tx) =>
    tx.query<{ id: string; tenant_id: string }>('select id, tenant_id from shares where token_hash = $1', [hash]),
  );
  if (!found) return undefined;
  return withTenant(db, found.tenant_id, async (tx) => {
    const [row] = await tx.query<{
      attestation_id: string;
      label: string | null;
      presentation: string;
      expires_at: Date;
      revoked_at: Date | null;
      tenant_name: string;
    }>(
      `select s.attestation_id, s.label, s.presentation, s.expires_at, s.revoked_at, t.name as tenant_name
         from shares s join tenants t on t.id = s.tenant_id
        where s.tenant_id = $1 and s.id = $2`,
      [found.tenant_id, found.id],
    );
    if (!row) return undefined;
    const state = stateOf(row, now);
    if (state !== 'active') return { kind: 'gone', why: state };
    if (options.countView) {
      await tx.query('update shares set view_count = view_count + 1, last_viewed_at = $3 where tenant_id = $1 and id = $2', [
        found.tenant_id,
        found.id,
        now,
      ]);
    }
    return {
      kind: 'open',
      tenantId: found.tenant_id,
      tenantName: row.tenant_name,
      shareId: found.id,
      attestationId: row.attestation_id,
      label: row.label,
      credential: row.presentation,
      expiresAt: row.expires_at,
    };
  });
}
