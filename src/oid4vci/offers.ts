import type { Actor } from '../audit/events.ts';
import { recordEvent } from '../audit/events.ts';
import { recordAssessment, requireAssessment } from '../attestations/assessments.ts';
import { AppError, underPointer } from '../errors/index.ts';
import type { Queryable } from '../store/port.ts';
import { configurationIdOf, OFFER_FORMATS, PRE_AUTHORIZED_CODE_GRANT } from './configurations.ts';
import { oid4vciUrls } from './endpoints.ts';
import type { OfferRequest } from './offer-request.ts';
import { openCode, sealCode } from './offer-seal.ts';
import { randomId, randomSecret, randomTxCode, secretHash, txCodeHash } from './secrets.ts';
import { insertOffer, openOfferByRef } from './store.ts';

/** Long enough to scan and type a code, short enough that a photographed QR code goes stale. */
export const OFFER_LIFETIME_MS = 10 * 60_000;
const DEFAULT_TX_CODE_LENGTH = 6;

/** The offer object of OID4VCI 1.0 §4.1.1, in the spec's own member names. */
export interface CredentialOfferObject {
  readonly credential_issuer: string;
  readonly credential_configuration_ids: string[];
  readonly grants: {
    readonly [PRE_AUTHORIZED_CODE_GRANT]: {
      readonly 'pre-authorized_code': string;
      readonly tx_code?: { readonly length: number; readonly input_mode: 'numeric' | 'text'; readonly description: string };
    };
  };
}

export interface CreatedOffer {
  readonly id: string;
  readonly offer: CredentialOfferObject;
  readonly offerUri: string;
  readonly offerByReferenceUri: string;
  readonly credentialOfferUri: string;
  /** Shown once, to be passed to the holder out of band; only its keyed hash is stored. */
  readonly txCode: string | undefined;
  readonly expiresAt: Date;
}

export async function createOffer(
  tx: Queryable,
  deps: { origin: URL; now: Date; actor: Actor },
  tenantId: string,
  request: OfferRequest,
): Promise<CreatedOffer> {
  const stored = request.assessment_id
    ? await requireAssessment(tx, tenantId, request.assessment_id)
    : await underPointer('/assessment', () => recordAssessment(tx, deps, tenantId, request.assessment));
  const formats = request.formats ?? [...OFFER_FORMATS];
  const urls = oid4vciUrls(deps.origin, tenantId);
  const id = randomId();
  const ref = randomSecret();
  // Independent of `ref` (issue 11, defect 7): knowing the reference never yields the code.
  const code = randomSecret();
  const tx_ = request.tx_code === false ? undefined : (request.tx_code ?? {});
  const txMode = tx_?.input_mode ?? 'numeric';
  const txLength = tx_?.length ?? DEFAULT_TX_CODE_LENGTH;
  const txCode = tx_ ? randomTxCode(txLength, txMode) : undefined;
  const expiresAt = new Date(deps.now.getTime() + OFFER_LIFETIME_MS);

  const grant = tx_
    ? {
        tx_code: {
          length: txLength,
          input_mode: txMode,
          description: tx_.description ?? 'Enter the code the issuer gave you with this offer.',
        },
      }
    : {};
  const kept: StoredOffer = {
    credential_issuer: urls.credentialIssuer,
    credential_configuration_ids: formats.map(configurationIdOf),
    grant,
    sealed_code: await sealCode(ref, tenantId, id, code),
  };
  await insertOffer(tx, {
    tenantId,
    id,
    refHash: await secretHash(ref),
    codeHash: await secretHash(code),
    txCodeHash: txCode ? await txCodeHash(code, txCode) : null,
    txCodeLength: txCode ? txLength : null,
    txCodeInputMode: txCode ? txMode : null,
    assessmentId: stored.id,
    formats,
    offer: kept,
    createdAt: deps.now,
    createdBy: deps.actor,
    expiresAt,
  });
  await recordEvent(tx, {
    tenantId,
    at: deps.now,
    actor: deps.actor,
    action: 'oid4vci.offer_created',
    target: stored.id,
    detail: { offer: id, formats, tx_code: txCode !== undefined },
  });
  const credentialOfferUri = urls.offer(ref);
  const offer = withCode(kept, code);
  return {
    id,
    offer,
    offerUri: `openid-credential-offer://?credential_offer=${encodeURIComponent(JSON.stringify(offer))}`,
    offerByReferenceUri: `openid-credential-offer://?credential_offer_uri=${encodeURIComponent(credentialOfferUri)}`,
    credentialOfferUri,
    txCode,
    expiresAt,
  };
}

interface StoredOffer {
  credential_issuer: string;
  credential_configuration_ids: string[];
  grant: Omit<CredentialOfferObject['grants'][typeof PRE_AUTHORIZED_CODE_GRANT], 'pre-authorized_code'>;
  /** The code sealed under the reference (offer-seal.ts); absent on offers made before defect 7 was fixed. */
  sealed_code?: string;
}

/** The offer object of OID4VCI 1.0 §4.1.1, its code put back into the stored, code-less copy. */
function withCode(o: StoredOffer, code: string): CredentialOfferObject {
  return {
    credential_issuer: o.credential_issuer,
    credential_configuration_ids: o.credential_configuration_ids,
    grants: { [PRE_AUTHORIZED_CODE_GRANT]: { 'pre-authorized_code': code, ...o.grant } },
  };
}

/** What credential_offer_uri answers: the offer while it can still be redeemed, nothing after. */
export async function offerDocument(tx: Queryable, tenantId: string, ref: string, now: Date): Promise<CredentialOfferObject> {
  // An offer made before defect 7 was fixed is not found (openOfferByRef says why).
  const row = await openOfferByRef<StoredOffer>(tx, tenantId, await secretHash(ref), now);
  if (!row) throw new AppError('offer_not_found', `tenant ${tenantId} has no open offer with this reference`);
  return withCode(row.offer, await openCode(ref, tenantId, row.id, row.offer.sealed_code!));
}
