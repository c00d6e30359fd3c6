import type { Database } from '../store/port.ts';
import { withTenant } from '../store/tenant-scope.ts';
import { OAuthError } from './oauth-error.ts';
import { randomSecret, sameHash, secretHash, txCodeHash } from './secrets.ts';

/** Wrong tx_codes an offer survives; the next one kills its code (OID4VCI 1.0 §13.6: limit guessing). */
export const MAX_TX_CODE_ATTEMPTS = 5;
export const ACCESS_TOKEN_LIFETIME_SECONDS = 600;

export interface TokenRequest {
  readonly preAuthorizedCode: string;
  readonly txCode: string | undefined;
}

interface OfferRow {
  id: string;
  tx_code_hash: string | null;
  attempts: number;
  expires_at: Date;
  used_at: Date | null;
}

type Outcome = { ok: true; token: string } | { ok: false; error: OAuthError };

/**
 * Redeems a pre-authorized code for an access token, once. A wrong tx_code is counted and the
 * count committed even though the request fails, which is why failures are returned from the
 * transaction rather than thrown out of it. Every refusal of the code itself reads the same,
 * so a caller cannot tell an unknown code from a spent, expired or locked one.
 */
export async function redeemPreAuthorizedCode(
  db: Database,
  tenantId: string,
  request: TokenRequest,
  now: Date,
): Promise<{ accessToken: string; expiresIn: number }> {
  const codeHash = await secretHash(request.preAuthorizedCode);
  const givenTxHash = request.txCode === undefined ? undefined : await txCodeHash(request.preAuthorizedCode, request.txCode);
  const outcome = await withTenant(db, tenantId, async (tx): Promise<Outcome> => {
    const [offer] = await tx.query<OfferRow>(
      // `offer ? 'sealed_code'`: an offer made before defect 7 was fixed has a code derivable from
      // its reference, which logs may hold; it is refused like an expired one.
      `select id, tx_code_hash, attempts, expires_at, used_at from oid4vci_offers
        where tenant_id = $1 and code_hash = $2 and offer ? 'sealed_code' for update`,
      [tenantId, codeHash],
    );
    const dead = new OAuthError('invalid_grant', 'the pre-authorized code is invalid, expired or already used');
    if (!offer || offer.used_at !== null || offer.expires_at.getTime() <= now.getTime() || offer.attempts >= MAX_TX_CODE_ATTEMPTS)
      return { ok: false, error: dead };
    if (offer.tx_code_hash !== null && givenTxHash === undefined)
      return { ok: false, error: new OAuthError('invalid_request', 'this offer requires a tx_code') };
    if (offer.tx_code_hash === null && givenTxHash !== undefined)
      return { ok: false, error: new OAuthError('invalid_request', 'this offer takes no tx_code') };
    if (offer.tx_code_hash !== null && !sameHash(offer.tx_code_hash, givenTxHash!)) {
      await tx.query('update oid4vci_offers set attempts = attempts + 1 where tenant_id = $1 and id = $2', [tenantId, offer.id]);
      return { ok: false, error: new OAuthError('invalid_grant', 'the tx_code is wrong') };
    }
    await tx.query('update oid4vci_offers set used_at = $3 where tenant_id = $1 and id = $2', [tenantId, offer.id, now]);
    const token = randomSecret();
    await tx.query(
      'insert into oid4vci_access_tokens (tenant_id, token_hash, offer_id, created_at, expires_at) values ($1, $2, $3, $4, $5)',
      [tenantId, await secretHash(token), offer.id, now, new Date(now.getTime() + ACCESS_TOKEN_LIFETIME_SECONDS * 1000)],
    );
    return { ok: true, token };
  });
  if (!outcome.ok) throw outcome.error;
  return { accessToken: outcome.token, expiresIn: ACCESS_TOKEN_LIFETIME_SECONDS };
}

/** The offer an access token was granted for, while the token lives. */
export async function offerOfAccessToken(db: Database, tenantId: string, token: string, now: Date): Promise<string> {
  const hash = await secretHash(token);
  const rows = await withTenant(db, tenantId, (tx) =>
    tx.query<{ offer_id: string }>(
      'select offer_id from oid4vci_access_tokens where tenant_id = $1 and token_hash = $2 and expires_at > $3',
      [tenantId, hash, now],
    ),
  );
  if (!rows[0]) throw new OAuthError('invalid_token', 'the access token is invalid or expired');
  return rows[0].offer_id;
}
