import { issueAttestationsIn } from '../attestations/issue.ts';
import { issueRequestSchema } from '../attestations/issue-request.ts';
import { AppError } from '../errors/index.ts';
import type { KeyEncryptionKey } from '../keys/key-crypto.ts';
import type { Database, Queryable } from '../store/port.ts';
import { retryingTransaction } from '../store/retry.ts';
import { withTenant } from '../store/tenant-scope.ts';
import { formatOf, type OfferFormat } from './configurations.ts';
import type { CredentialRequest } from './credential-request.ts';
import { oid4vciUrls } from './endpoints.ts';
import { consumeNonce } from './nonces.ts';
import { OAuthError } from './oauth-error.ts';
import { verifyJwtProof, type VerifiedProof } from './proof.ts';
import { bindHolderKey, lockOfferForClaim, recordIssuedFormat, type ClaimableOffer } from './store.ts';
import type { Metrics } from '../metrics/port.ts';
import { offerRedeemedEvent } from '../webhooks/events.ts';
import { placeOutboxEvents } from '../webhooks/outbox.ts';

export interface CredentialDeps {
  readonly db: Database;
  readonly kek: KeyEncryptionKey;
  readonly origin: URL;
  readonly now: Date;
  readonly metrics?: Metrics;
}

type Claimed = { ok: true; offer: ClaimableOffer } | { ok: false; error: OAuthError };

/**
 * Spends the nonce, binds the holder key and claims the format, in the transaction that then
 * issues; it commits even when it refuses: a nonce shown once is spent whatever the outcome.
 *
 * Holder binding: an offer is one holder's. Its first credential fixes the key (thumbprint on the
 * offer), later formats of the same offer must use that key, and a key already bound through
 * another offer of this tenant is refused, so one key cannot collect credentials of two holders.
 */
async function claim(
  tx: Queryable,
  tenantId: string,
  offerId: string,
  format: OfferFormat,
  proof: VerifiedProof,
  now: Date,
): Promise<Claimed> {
  const offer = await lockOfferForClaim(tx, tenantId, offerId);
  if (!(await consumeNonce(tx, tenantId, proof.nonce, now)))
    return { ok: false, error: new OAuthError('invalid_nonce', 'the c_nonce is unknown, expired or already used') };
  if (!offer!.formats.includes(format))
    return { ok: false, error: new OAuthError('invalid_credential_request', 'this credential configuration was not offered') };
  if (offer!.issuedFormats.includes(format))
    return { ok: false, error: new OAuthError('invalid_credential_request', 'this credential was already issued for the offer') };
  if (offer!.holderThumbprint !== null && offer!.holderThumbprint !== proof.thumbprint)
    return { ok: false, error: new OAuthError('invalid_proof', 'the offer is bound to another holder key') };
  const boundTo = await bindHolderKey(tx, tenantId, proof.thumbprint, offerId, now);
  if (boundTo !== offerId) return { ok: false, error: new OAuthError('invalid_proof', 'the holder key is bound to another offer') };
  await recordIssuedFormat(tx, tenantId, offerId, proof.thumbprint, format);
  return { ok: true, offer: offer! };
}

/**
 * The evidence refusals of issue 14 in the wallet's terms: the offer's assessment relies on
 * evidence that has expired (or expires before the validity asked), which no retry of the wallet
 * can change; the tenant must assess again and make a new offer.
 */
function deniedForEvidence(e: unknown): OAuthError | undefined {
  if (!(e instanceof AppError) || (e.code !== 'evidence_expired' && e.code !== 'evidence_expires_before_validity')) return undefined;
  return new OAuthError('credential_request_denied', 'evidence the attestation relies on has expired: the issuer must assess it again');
}

/**
 * The credential endpoint after the access token: resolves the configuration, verifies the
 * proof, then issues through the same code path as the operator API, bound to the proven key.
 */
export async function issueForOffer(deps: CredentialDeps, tenantId: string, offerId: string, request: CredentialRequest): Promise<string> {
  const format = formatOf(request.credential_configuration_id);
  if (!format) throw new OAuthError('unknown_credential_configuration', 'no such credential_configuration_id');
  const jwts = request.proofs ? request.proofs.jwt : [request.proof!.jwt];
  if (jwts.length !== 1) throw new OAuthError('invalid_credential_request', 'batch issuance is not supported: give exactly one proof');
  const proof = await verifyJwtProof(jwts[0]!, { audience: oid4vciUrls(deps.origin, tenantId).credentialIssuer, now: deps.now });

  // Claim and issuance commit together (issue 11, defect 8): claimed in one transaction and issued
  // in the next, a process killed in between left the configuration spent with nothing issued.
  // The offer row stays locked (FOR UPDATE in claim) until the credential is stored, so two
  // requests for one configuration cannot both issue it.
  let outcome: Claimed | { ok: true; credential: string };
  try {
    outcome = await retryingTransaction(() =>
      withTenant(deps.db, tenantId, async (tx) => {
        const claimed = await claim(tx, tenantId, offerId, format, proof, deps.now);
        if (!claimed.ok) return claimed;
        const issueRequest = issueRequestSchema.parse({
          assessment_id: claimed.offer.assessmentId,
          formats: [format],
          holder: { jwk: proof.jwk },
        });
        const out = await issueAttestationsIn(tx, { ...deps, actor: claimed.offer.createdBy }, tenantId, issueRequest);
        // `offer.redeemed` means a credential delivered, not the code exchanged for a token: a
        // wallet may stop after the token, and what a tenant acts on is the attestation now in
        // its customer's hands. Placed here, last, so it commits with the credential or not at all;
        // a refusal above returns before it, and a configuration already issued is refused. Each
        // configuration of an offer is its own request and attestation, so each has its event.
        // A tenant without an endpoint pays one read (placeOutboxEvents), the event not even built.
        await placeOutboxEvents(tx, tenantId, () => [
          offerRedeemedEvent({ offerId, attestationId: out.attestationId, credentials: out.credentials, at: deps.now }),
        ]);
        return { ok: true as const, credential: out.credentials[0]!.credential };
      }),
    );
  } catch (e) {
    // Nothing was issued and nothing claimed, but a nonce shown once stays spent whatever the
    // outcome; the wallet retries with a fresh one. Best effort: the original failure is what counts.
    await withTenant(deps.db, tenantId, (tx) => consumeNonce(tx, tenantId, proof.nonce, deps.now)).catch(() => undefined);
    throw deniedForEvidence(e) ?? e;
  }
  if (!outcome.ok) throw outcome.error;
  // Counted once committed, as issueAttestations counts its own (that path is not taken here).
  deps.metrics?.record({ kind: 'issued', format, tenant: tenantId });
  return outcome.credential;
}
