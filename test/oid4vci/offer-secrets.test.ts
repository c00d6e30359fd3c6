/**
 * Issue 11, defect 7: the offer reference (the last segment of credential_offer_uri) reached
 * the access log, and the pre-authorized code was derived from it, so a log reader could
 * compute the code and redeem the offer. The code is now a random secret of its own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { base64urlEncode } from '../../src/util/base64url.ts';
import { allTenants, expectProblem } from '../http/helpers.ts';
import { engines, type TestDatabase } from '../support/databases.ts';
import { harness, type Harness } from '../support/harness.ts';
import { codeOf, expectOAuthError, offer, PRE_AUTH, tenantWithAssessment, tokenRequest, type OfferResponse } from './setup.ts';

/** The derivation the code had before: SHA-256 of a fixed label and the reference, base64url. */
async function codeDerivedFrom(ref: string): Promise<string> {
  const bytes = new TextEncoder().encode(`launchproof oid4vci pre-authorized code\u0000${ref}`);
  return base64urlEncode(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)));
}

const refOf = (o: OfferResponse) => new URL(o.credential_offer_uri).pathname.split('/').pop()!;

describe.each(engines())('OID4VCI offer secrets on $engine', ({ open }) => {
  let t: TestDatabase;
  let h: Harness;
  let assessmentId: string;
  // No tx_code: the pre-authorized code alone redeems the offer, the case the log leak made worst.
  const fresh = () => offer(h, { assessment_id: assessmentId, formats: ['dc+sd-jwt'], tx_code: false });

  beforeAll(async () => {
    t = await open();
    h = await harness(t.db);
    assessmentId = await tenantWithAssessment(h);
  });
  afterAll(() => t.dispose());

  it('knowing the offer reference alone does not give the pre-authorized code: a code computed from it is invalid_grant', async () => {
    const o = await fresh();
    const guessed = await codeDerivedFrom(refOf(o));
    expect(codeOf(o)).not.toBe(guessed);
    await expectOAuthError(await tokenRequest(h, { grant_type: PRE_AUTH, 'pre-authorized_code': guessed }), 400, 'invalid_grant');
    // The real code is untouched by the attempt.
    const res = await tokenRequest(h, { grant_type: PRE_AUTH, 'pre-authorized_code': codeOf(o) });
    expect(res.status, await res.clone().text()).toBe(200);
  });

  it('still serves the offer by reference with the same code, which redeems once; neither the code nor the reference is stored in clear', async () => {
    const o = await fresh();
    const res = await h.request('GET', new URL(o.credential_offer_uri).pathname);
    expect(res.status).toBe(200);
    const served = (await res.json()) as OfferResponse['credential_offer'];
    expect(served.grants[PRE_AUTH]!['pre-authorized_code']).toBe(codeOf(o));
    const dump = JSON.stringify(await allTenants(t.db, (tx) => tx.query('select * from oid4vci_offers')));
    expect(dump).not.toContain(codeOf(o));
    expect(dump).not.toContain(refOf(o));
    expect((await tokenRequest(h, { grant_type: PRE_AUTH, 'pre-authorized_code': codeOf(o) })).status).toBe(200);
  });

  it('expires an offer stored before the change (its code derivable from its reference): neither served nor redeemable', async () => {
    const o = await fresh();
    const ref = refOf(o);
    const derived = await codeDerivedFrom(ref);
    // What such a row looked like: the code's hash was the hash of the derived code, and the
    // stored offer carried nothing else.
    await allTenants(t.db, async (tx) => {
      const hash = base64urlEncode(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(derived))));
      await tx.query(`update oid4vci_offers set code_hash = $2, offer = offer - 'sealed_code' where id = $1`, [o.id, hash]);
    });
    await expectProblem(await h.request('GET', new URL(o.credential_offer_uri).pathname), 404, 'offer_not_found');
    await expectOAuthError(await tokenRequest(h, { grant_type: PRE_AUTH, 'pre-authorized_code': derived }), 400, 'invalid_grant');
  });
});
