/**
 * The whole pre-authorized code flow driven by an independent wallet library
 * (@openid4vc/openid4vci, OWF), talking to the app in-process, then the credential it got
 * verified by our own pipeline.
 */
import { clientAuthenticationAnonymous, type Jwk, type JwtSigner } from '@openid4vc/oauth2';
import { Openid4vciClient, Openid4vciVersion } from '@openid4vc/openid4vci';
import { decodeProtectedHeader, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyCredential } from '../../src/verify/pipeline.ts';
import { engines, type TestDatabase } from '../support/databases.ts';
import { harness, type Harness } from '../support/harness.ts';
import { harnessVerification } from '../support/verify-env.ts';
import { holderKey, ISSUER, offer, tenantWithAssessment, type HolderKey } from './setup.ts';

function wallet(h: Harness, holder: HolderKey) {
  const fetch = (input: string | URL | Request, init?: RequestInit) => Promise.resolve(h.app.fetch(new Request(input, init), h.bindings));
  return new Openid4vciClient({
    callbacks: {
      fetch: fetch as never,
      hash: async (data, alg) => new Uint8Array(await crypto.subtle.digest(alg.replace('sha-', 'SHA-'), data as Uint8Array<ArrayBuffer>)),
      generateRandom: (n) => crypto.getRandomValues(new Uint8Array(n)),
      clientAuthentication: clientAuthenticationAnonymous(),
      signJwt: async (signer: JwtSigner, jwt) => {
        if (signer.method !== 'jwk') throw new Error(`unexpected signer ${signer.method}`);
        const signed = await new SignJWT(jwt.payload).setProtectedHeader(jwt.header as never).sign(holder.privateKey);
        return { jwt: signed, signerJwk: signer.publicJwk };
      },
    },
  });
}

describe.each(engines())('a wallet (@openid4vc/openid4vci) through the pre-authorized code flow on $engine', ({ open }) => {
  let t: TestDatabase;
  let h: Harness;
  let assessmentId: string;
  beforeAll(async () => {
    t = await open();
    h = await harness(t.db);
    assessmentId = await tenantWithAssessment(h);
  });
  afterAll(() => t.dispose());

  for (const [how, pick] of [
    ['by value', (o: { offer_uri: string }) => o.offer_uri],
    ['by reference', (o: { offer_uri_by_reference: string }) => o.offer_uri_by_reference],
  ] as const) {
    it(`resolves an offer ${how}, gets a token with the tx_code, proves its key and receives an SD-JWT VC that verifies bound to that key`, async () => {
      const holder = await holderKey('ES256');
      const client = wallet(h, holder);
      const created = await offer(h, { assessment_id: assessmentId, formats: ['dc+sd-jwt'] });
      expect(created.tx_code).toMatch(/^\d{6}$/);
      expect(created.qr_svg).toMatch(/^<svg[\s\S]*<\/svg>$/);

      const credentialOffer = await client.resolveCredentialOffer(pick(created));
      expect(credentialOffer.credential_issuer).toBe(ISSUER);
      const issuerMetadata = await client.resolveIssuerMetadata(credentialOffer.credential_issuer);
      expect(issuerMetadata.originalDraftVersion).toBe(Openid4vciVersion.V1);
      expect(issuerMetadata.authorizationServers[0]!.token_endpoint).toBe(`${ISSUER}/token`);
      expect(Object.keys(issuerMetadata.knownCredentialConfigurations).sort()).toEqual([
        'launch_readiness_jwt_vc_json',
        'launch_readiness_sd_jwt',
      ]);

      const { accessTokenResponse } = await client.retrievePreAuthorizedCodeAccessTokenFromOffer({
        credentialOffer,
        issuerMetadata,
        txCode: created.tx_code!,
      });
      expect(accessTokenResponse.token_type).toBe('Bearer');

      const { c_nonce } = await client.requestNonce({ issuerMetadata });
      const { jwt } = await client.createCredentialRequestJwtProof({
        issuerMetadata,
        credentialConfigurationId: 'launch_readiness_sd_jwt',
        nonce: c_nonce,
        issuedAt: h.clock(),
        signer: { method: 'jwk', alg: 'ES256', publicJwk: holder.jwk as Jwk },
      });
      expect(decodeProtectedHeader(jwt).typ).toBe('openid4vci-proof+jwt');
      const response = await client.retrieveCredentials({
        issuerMetadata,
        accessToken: accessTokenResponse.access_token,
        credentialConfigurationId: 'launch_readiness_sd_jwt',
        proofs: { jwt: [jwt] },
      });
      const credentials = response.credentialResponse.credentials as { credential: string }[];
      expect(credentials).toHaveLength(1);

      const verified = await verifyCredential(credentials[0]!.credential, harnessVerification(h));
      expect(verified.checks.filter((c) => !c.ok)).toEqual([]);
      expect(verified.verified).toBe(true);
      expect(verified.format).toBe('dc+sd-jwt');
      const cnf = verified.claims!.cnf as { jwk: Record<string, string> };
      expect({ kty: cnf.jwk.kty, crv: cnf.jwk.crv, x: cnf.jwk.x, y: cnf.jwk.y }).toEqual({
        kty: holder.jwk.kty,
        crv: holder.jwk.crv,
        x: holder.jwk.x,
        y: holder.jwk.y,
      });
    });
  }

  it('issues the jwt_vc_json configuration too, with an EdDSA holder key', async () => {
    const holder = await holderKey('EdDSA');
    const client = wallet(h, holder);
    const created = await offer(h, { assessment_id: assessmentId, formats: ['jwt_vc_json'], tx_code: { length: 8, input_mode: 'text' } });
    expect(created.tx_code).toMatch(/^[A-Z2-9]{8}$/);
    const credentialOffer = await client.resolveCredentialOffer(created.offer_uri);
    const issuerMetadata = await client.resolveIssuerMetadata(credentialOffer.credential_issuer);
    const { accessTokenResponse } = await client.retrievePreAuthorizedCodeAccessTokenFromOffer({
      credentialOffer,
      issuerMetadata,
      txCode: created.tx_code!,
    });
    const { c_nonce } = await client.requestNonce({ issuerMetadata });
    const { jwt } = await client.createCredentialRequestJwtProof({
      issuerMetadata,
      credentialConfigurationId: 'launch_readiness_jwt_vc_json',
      nonce: c_nonce,
      issuedAt: h.clock(),
      signer: { method: 'jwk', alg: 'EdDSA', publicJwk: holder.jwk as Jwk },
    });
    const response = await client.retrieveCredentials({
      issuerMetadata,
      accessToken: accessTokenResponse.access_token,
      credentialConfigurationId: 'launch_readiness_jwt_vc_json',
      proofs: { jwt: [jwt] },
    });
    const [first] = response.credentialResponse.credentials as { credential: string }[];
    const verified = await verifyCredential(first!.credential, harnessVerification(h));
    expect(verified.verified).toBe(true);
    expect(verified.format).toBe('jwt_vc_json');
  });
});
