import type { Actor } from '../audit/events.ts';
import type { Queryable } from '../store/port.ts';
import type { OfferFormat } from './configurations.ts';

/*
 * The OID4VCI domain's SQL, all of it: offers, the holder keys bound to them, nonces and access
 * tokens. Secrets arrive here already hashed (secrets.ts); callers own the transaction and pass it
 * in, so a refusal can commit what it spent (a nonce, a wrong tx_code) with nothing else.
 */

// ---- offers -------------------------------------------------------------------------------

export interface NewOfferRow {
  readonly tenantId: string;
  readonly id: string;
  readonly refHash: string;
  readonly codeHash: string;
  readonly txCodeHash: string | null;
  readonly txCodeLength: number | null;
  readonly txCodeInputMode: 'numeric' | 'text' | null;
  readonly assessmentId: string;
  readonly formats: readonly OfferFormat[];
  /** The offer object without its code (offers.ts StoredOffer), as jsonb. */
  readonly offer: object;
  readonly createdAt: Date;
  readonly createdBy: Actor;
  readonly expiresAt: Date;
}

export async function insertOffer(tx: Queryable, o: NewOfferRow): Promise<void> {
  await tx.query(
    `insert into oid4vci_offers (tenant_id, id, ref_hash, code_hash, tx_code_hash, tx_code_length, tx_code_input_mode, assessment_id, formats,
       offer, created_at, created_by, expires_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
    [
      o.tenantId,
      o.id,
      o.refHash,
      o.codeHash,
      o.txCodeHash,
      o.txCodeLength,
      o.txCodeInputMode,
      o.assessmentId,
      o.formats,
      o.offer,
      o.createdAt,
      o.createdBy,
      o.expiresAt,
    ],
  );
}

/**
 * The stored offer a reference names while it can still be redeemed. An offer without a sealed
 * code predates defect 7: its code is derivable from its reference, which logs may hold, so it
 * counts as expired (offers live ten minutes; none is lost for long).
 */
export async function openOfferByRef<Offer>(
  tx: Queryable,
  tenantId: string,
  refHash: string,
  now: Date,
): Promise<{ id: string; offer: Offer } | undefined> {
  const rows = await tx.query<{ id: string; offer: Offer }>(
    `select id, offer from oid4vci_offers
      where tenant_id = $1 and ref_hash = $2 and used_at is null and expires_at > $3 and offer ? 'sealed_code'`,
    [tenantId, refHash, now],
  );
  return rows[0];
}

export interface OfferByCode {
  readonly id: string;
  readonly txCodeHash: string | null;
  readonly attempts: number;
  readonly expiresAt: Date;
  readonly usedAt: Date | null;
}

/** The offer a pre-authorized code names, its row locked until the redemption commits. */
export async function lockOfferByCode(tx: Queryable, tenantId: string, codeHash: string): Promise<OfferByCode | undefined> {
  const [row] = await tx.query<{ id: string; tx_code_hash: string | null; attempts: number; expires_at: Date; used_at: Date | null }>(
    // `offer ? 'sealed_code'`: an offer made before defect 7 was fixed has a code derivable from
    // its reference, which logs may hold; it is refused like an expired one.
    `select id, tx_code_hash, attempts, expires_at, used_at from oid4vci_offers
      where tenant_id = $1 and code_hash = $2 and offer ? 'sealed_code' for update`,
    [tenantId, codeHash],
  );
  return row && { id: row.id, txCodeHash: row.tx_code_hash, attempts: row.attempts, expiresAt: row.expires_at, usedAt: row.used_at };
}

export async function countWrongTxCode(tx: Queryable, tenantId: string, offerId: string): Promise<void> {
  await tx.query('update oid4vci_offers set attempts = attempts + 1 where tenant_id = $1 and id = $2', [tenantId, offerId]);
}

export async function markOfferUsed(tx: Queryable, tenantId: string, offerId: string, at: Date): Promise<void> {
  await tx.query('update oid4vci_offers set used_at = $3 where tenant_id = $1 and id = $2', [tenantId, offerId, at]);
}

export interface ClaimableOffer {
  readonly assessmentId: string;
  readonly formats: OfferFormat[];
  readonly issuedFormats: OfferFormat[];
  readonly holderThumbprint: string | null;
  readonly createdBy: Actor;
}

/** An offer being redeemed at the credential endpoint, its row locked until the credential is stored. */
export async function lockOfferForClaim(tx: Queryable, tenantId: string, offerId: string): Promise<ClaimableOffer | undefined> {
  const [row] = await tx.query<{
    assessment_id: string;
    formats: OfferFormat[];
    issued_formats: OfferFormat[];
    holder_thumbprint: string | null;
    created_by: Actor;
  }>(
    'select assessment_id, formats, issued_formats, holder_thumbprint, created_by from oid4vci_offers where tenant_id = $1 and id = $2 for update',
    [tenantId, offerId],
  );
  return (
    row && {
      assessmentId: row.assessment_id,
      formats: row.formats,
      issuedFormats: row.issued_formats,
      holderThumbprint: row.holder_thumbprint,
      createdBy: row.created_by,
    }
  );
}

/**
 * Binds a holder key to an offer unless it is bound already, and answers the offer it is bound
 * to: this one, or the other offer that bound it first.
 */
export async function bindHolderKey(tx: Queryable, tenantId: string, thumbprint: string, offerId: string, at: Date): Promise<string> {
  await tx.query(
    'insert into oid4vci_holder_keys (tenant_id, thumbprint, offer_id, bound_at) values ($1, $2, $3, $4) on conflict do nothing',
    [tenantId, thumbprint, offerId, at],
  );
  const [bound] = await tx.query<{ offer_id: string }>(
    'select offer_id from oid4vci_holder_keys where tenant_id = $1 and thumbprint = $2',
    [tenantId, thumbprint],
  );
  return bound!.offer_id;
}

/** Records that the offer issued `format` to the holder key `thumbprint` (which it is then bound to). */
export async function recordIssuedFormat(
  tx: Queryable,
  tenantId: string,
  offerId: string,
  thumbprint: string,
  format: OfferFormat,
): Promise<void> {
  await tx.query(
    'update oid4vci_offers set holder_thumbprint = $3, issued_formats = issued_formats || $4::jsonb where tenant_id = $1 and id = $2',
    [tenantId, offerId, thumbprint, [format]],
  );
}

// ---- access tokens ------------------------------------------------------------------------

export async function insertAccessToken(
  tx: Queryable,
  t: { tenantId: string; tokenHash: string; offerId: string; createdAt: Date; expiresAt: Date },
): Promise<void> {
  await tx.query(
    'insert into oid4vci_access_tokens (tenant_id, token_hash, offer_id, created_at, expires_at) values ($1, $2, $3, $4, $5)',
    [t.tenantId, t.tokenHash, t.offerId, t.createdAt, t.expiresAt],
  );
}

/** The offer a live access token was granted for. */
export async function offerIdOfAccessToken(tx: Queryable, tenantId: string, tokenHash: string, now: Date): Promise<string | undefined> {
  const rows = await tx.query<{ offer_id: string }>(
    'select offer_id from oid4vci_access_tokens where tenant_id = $1 and token_hash = $2 and expires_at > $3',
    [tenantId, tokenHash, now],
  );
  return rows[0]?.offer_id;
}

// ---- nonces -------------------------------------------------------------------------------

/** Deletes up to 100 expired nonces: each issuance sweeps a few, so the table stays the size of the traffic. */
export async function deleteSomeExpiredNonces(tx: Queryable, tenantId: string, now: Date): Promise<void> {
  await tx.query(
    `delete from oid4vci_nonces where tenant_id = $1 and nonce_hash in
         (select nonce_hash from oid4vci_nonces where tenant_id = $1 and expires_at <= $2 limit 100)`,
    [tenantId, now],
  );
}

export async function insertNonce(tx: Queryable, tenantId: string, nonceHash: string, createdAt: Date, expiresAt: Date): Promise<void> {
  await tx.query('insert into oid4vci_nonces (tenant_id, nonce_hash, created_at, expires_at) values ($1, $2, $3, $4)', [
    tenantId,
    nonceHash,
    createdAt,
    expiresAt,
  ]);
}

/** Marks the nonce used: true exactly once for a nonce of this tenant that has not expired. */
export async function spendNonce(tx: Queryable, tenantId: string, nonceHash: string, now: Date): Promise<boolean> {
  const rows = await tx.query(
    `update oid4vci_nonces set used_at = $3
     where tenant_id = $1 and nonce_hash = $2 and used_at is null and expires_at > $3 returning 1`,
    [tenantId, nonceHash, now],
  );
  return rows.length === 1;
}
