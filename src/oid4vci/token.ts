import type { Database } from '../store/port.ts';
import { withTenant } from '../store/tenant-scope.ts';
import { OAuthError } from './oauth-error.ts';
import { randomSecret, sameHash, secretHash, txCodeHash } from './secrets.ts';
import { countWrongTxCode, insertAccessToken, lockOfferByCode, markOfferUsed, offerIdOfAccessToken } from './store.ts';

/** Wrong tx_codes an offer survives; the next one kills its code (OID4VCI 1.0 §13.6: limit guessing). */
export const MAX_TX_CODE_ATTEMPTS = 5;
export const ACCESS_TOKEN_LIFETIME_SECONDS = 600;

export interface TokenRequest {
  readonly preAuthorizedCode: string;
  readonly txCode: string | undefined;
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
    const offer = await lockOfferByCode(tx, tenantId, codeHash);
    const dead = new OAuthError('invalid_grant', 'the pre-authorized code is invalid, expired or already used');
    if (!offer || offer.usedAt !== null || offer.expiresAt.getTime() <= now.getTime() || offer.attempts >= MAX_TX_CODE_ATTEMPTS)
      return { ok: false, error: dead };
    if (offer.txCodeHash !== null && givenTxHash === undefined)
      return { ok: false, error: new OAuthError('invalid_request', 'this offer requires a tx_code') };
    if (offer.txCodeHash === null && givenTxHash !== undefined)
      return { ok: false, error: new OAuthError('invalid_request', 'this offer takes no tx_code') };
    if (offer.txCodeHash !== null && !sameHash(offer.txCodeHash, givenTxHash!)) {
      await countWrongTxCode(tx, tenantId, offer.id);
      return { ok: false, error: new OAuthError('invalid_grant', 'the tx_code is wrong') };
    }
    await markOfferUsed(tx, tenantId, offer.id, now);
    const token = randomSecret();
    await insertAccessToken(tx, {
      tenantId,
      tokenHash: await secretHash(token),
      offerId: offer.id,
      createdAt: now,
      expiresAt: new Date(now.getTime() + ACCESS_TOKEN_LIFETIME_SECONDS * 1000),
    });
    return { ok: true, token };
  });
  if (!outcome.ok) throw outcome.error;
  return { accessToken: outcome.token, expiresIn: ACCESS_TOKEN_LIFETIME_SECONDS };
}

/** The offer an access token was granted for, while the token lives. */
export async function offerOfAccessToken(db: Database, tenantId: string, token: string, now: Date): Promise<string> {
  const hash = await secretHash(token);
  const offerId = await withTenant(db, tenantId, (tx) => offerIdOfAccessToken(tx, tenantId, hash, now));
  if (offerId === undefined) throw new OAuthError('invalid_token', 'the access token is invalid or expired');
  return offerId;
}
