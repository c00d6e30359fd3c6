/** Each way a wallet request can be wrong, answered with the error code OID4VCI 1.0 / RFC 6749 name for it. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines, type TestDatabase } from '../support/databases.ts';
import { harness, type Harness } from '../support/harness.ts';
import { allTenants, expectProblem } from '../http/helpers.ts';
import {
  accessToken,
  codeOf,
  credentialRequest,
  expectOAuthError,
  holderKey,
  nonce,
  offer,
  PRE_AUTH,
  proofJwt,
  tenantWithAssessment,
  tokenRequest,
} from './setup.ts';

describe.each(engines())('OID4VCI refusals on $engine', ({ open }) => {
  let t: TestDatabase;
  let h: Harness;
  let assessmentId: string;
  const fresh = (formats = ['dc+sd-jwt']) => offer(h, { assessment_id: assessmentId, formats });
  const ask = async (token: string, jwt: string, id = 'launch_readiness_sd_jwt') =>
    credentialRequest(h, token, { credential_configuration_id: id, proofs: { jwt: [jwt] } });

  beforeAll(async () => {
    t = await open();
    h = await harness(t.db);
    assessmentId = await tenantWithAssessment(h);
  });
  afterAll(() => t.dispose());

  describe('token endpoint', () => {
    it('counts wrong tx_codes and kills the code after five: then even the right one is invalid_grant', async () => {
      const o = await fresh();
      const wrong = o.tx_code === '000000' ? '111111' : '000000';
      for (let i = 0; i < 5; i++)
        await expectOAuthError(
          await tokenRequest(h, { grant_type: PRE_AUTH, 'pre-authorized_code': codeOf(o), tx_code: wrong }),
          400,
          'invalid_grant',
        );
      await expectOAuthError(
        await tokenRequest(h, { grant_type: PRE_AUTH, 'pre-authorized_code': codeOf(o), tx_code: o.tx_code! }),
        400,
        'invalid_grant',
      );
    });

    it('redeems a code once: the second exchange is invalid_grant, and the offer URI is gone', async () => {
      const o = await fresh();
      expect((await h.request('GET', new URL(o.credential_offer_uri).pathname)).status).toBe(200);
      await accessToken(h, o);
      await expectOAuthError(
        await tokenRequest(h, { grant_type: PRE_AUTH, 'pre-authorized_code': codeOf(o), tx_code: o.tx_code! }),
        400,
        'invalid_grant',
      );
      await expectProblem(await h.request('GET', new URL(o.credential_offer_uri).pathname), 404, 'offer_not_found');
    });

    it('refuses an expired code with invalid_grant', async () => {
      const o = await fresh();
      const start = h.clock();
      h.clock.set(new Date(start.getTime() + 10 * 60_000 + 1000));
      try {
        await expectOAuthError(
          await tokenRequest(h, { grant_type: PRE_AUTH, 'pre-authorized_code': codeOf(o), tx_code: o.tx_code! }),
          400,
          'invalid_grant',
        );
      } finally {
        h.clock.set(start);
      }
    });

    it('answers a missing tx_code, a missing code or a form that does not parse with invalid_request, another grant with unsupported_grant_type', async () => {
      const o = await fresh();
      await expectOAuthError(await tokenRequest(h, { grant_type: PRE_AUTH, 'pre-authorized_code': codeOf(o) }), 400, 'invalid_request');
      await expectOAuthError(await tokenRequest(h, { grant_type: PRE_AUTH }), 400, 'invalid_request');
      await expectOAuthError(await tokenRequest(h, {}), 400, 'invalid_request');
      await expectOAuthError(await tokenRequest(h, { grant_type: 'authorization_code', code: 'x' }), 400, 'unsupported_grant_type');
      await expectOAuthError(
        await tokenRequest(h, { grant_type: PRE_AUTH, 'pre-authorized_code': 'nope', tx_code: '1' }),
        400,
        'invalid_grant',
      );
      // The code still works: none of those touched it.
      await accessToken(h, o);
    });

    it('stores hashes only: no code, tx_code or access token appears in the database', async () => {
      const o = await fresh();
      const token = await accessToken(h, o);
      const dump = JSON.stringify(
        await allTenants(t.db, async (tx) => [
          await tx.query('select * from oid4vci_offers'),
          await tx.query('select * from oid4vci_access_tokens'),
        ]),
      );
      for (const secret of [codeOf(o), o.tx_code!, token, new URL(o.credential_offer_uri).pathname.split('/').pop()!])
        expect(dump).not.toContain(secret);
    });
  });

  describe('credential endpoint', () => {
    it('refuses a missing, unknown or expired access token with 401 invalid_token and a Bearer challenge', async () => {
      const key = await holderKey();
      const jwt = await proofJwt(h, key, await nonce(h));
      for (const token of [undefined, 'not-a-token']) {
        const res = await ask(token as string, jwt);
        // RFC 6750 §3.1: no error code in the challenge of a request that carried no token.
        expect(res.headers.get('www-authenticate')).toBe(token === undefined ? 'Bearer' : 'Bearer error="invalid_token"');
        await expectOAuthError(res, 401, 'invalid_token');
      }
      const token = await accessToken(h, await fresh());
      const start = h.clock();
      h.clock.set(new Date(start.getTime() + 11 * 60_000));
      try {
        await expectOAuthError(await ask(token, jwt), 401, 'invalid_token');
      } finally {
        h.clock.set(start);
      }
    });

    it('refuses bad proofs with invalid_proof: wrong aud, stale or future iat, another key’s signature, alg none or HS256, wrong typ, private jwk', async () => {
      const token = await accessToken(h, await fresh());
      const key = await holderKey();
      const other = await holderKey();
      const now = Math.floor(h.clock().getTime() / 1000);
      const bad = [
        await proofJwt(h, key, await nonce(h), { payload: { aud: 'https://issuer.test/t/other' } }),
        await proofJwt(h, key, await nonce(h), { payload: { iat: now - 600 } }),
        await proofJwt(h, key, await nonce(h), { payload: { iat: now + 600 } }),
        await proofJwt(h, key, await nonce(h), { signWith: other.privateKey }),
        await proofJwt(h, key, await nonce(h), { header: { typ: 'JWT' } }),
        await proofJwt(h, key, await nonce(h), { header: { jwk: { ...key.jwk, d: 'AAAA' } } }),
        await proofJwt(h, key, await nonce(h), { header: { kid: 'k1' } }),
      ];
      // alg none and HS256 cannot be produced by jose's signer for an EC key: build them by hand.
      const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const claims = enc({ aud: 'https://issuer.test/t/acme', iat: now, nonce: await nonce(h) });
      bad.push(`${enc({ alg: 'none', typ: 'openid4vci-proof+jwt', jwk: key.jwk })}.${claims}.`);
      bad.push(`${enc({ alg: 'HS256', typ: 'openid4vci-proof+jwt', jwk: key.jwk })}.${claims}.${enc('mac')}`);
      const why: (string | undefined)[] = [];
      for (const jwt of bad) why.push((await expectOAuthError(await ask(token, jwt), 400, 'invalid_proof')).error_description);
      // Each refused for its own reason, not by accident of another check.
      expect(why).toEqual([
        'the aud claim is not acceptable',
        'iat must be within 300 seconds of now',
        'iat must be within 300 seconds of now',
        'the proof signature does not verify',
        'typ must be openid4vci-proof+jwt',
        'the jwk header holds private key material',
        'jwk is exclusive of kid and x5c',
        'alg must be one of ES256, ES384, EdDSA',
        'alg must be one of ES256, ES384, EdDSA',
      ]);
      // None of those spent the offer: a good proof still gets the credential.
      expect((await ask(token, await proofJwt(h, key, await nonce(h)))).status).toBe(200);
    });

    it('refuses a reused nonce, an unknown nonce and a proof without one with invalid_nonce', async () => {
      const token = await accessToken(h, await fresh(['dc+sd-jwt', 'jwt_vc_json']));
      const key = await holderKey();
      const n = await nonce(h);
      expect((await ask(token, await proofJwt(h, key, n))).status).toBe(200);
      await expectOAuthError(await ask(token, await proofJwt(h, key, n), 'launch_readiness_jwt_vc_json'), 400, 'invalid_nonce');
      await expectOAuthError(await ask(token, await proofJwt(h, key, 'made-up'), 'launch_readiness_jwt_vc_json'), 400, 'invalid_nonce');
      await expectOAuthError(
        await ask(token, await proofJwt(h, key, '', { payload: { nonce: undefined } }), 'launch_readiness_jwt_vc_json'),
        400,
        'invalid_nonce',
      );
      const res = await h.request('POST', '/t/acme/nonce');
      expect(res.headers.get('cache-control')).toBe('no-store');
    });

    it('refuses a holder key already bound through another offer, and a second key on the same offer, with invalid_proof', async () => {
      const key = await holderKey();
      const first = await accessToken(h, await fresh());
      expect((await ask(first, await proofJwt(h, key, await nonce(h)))).status).toBe(200);
      const second = await accessToken(h, await fresh(['dc+sd-jwt', 'jwt_vc_json']));
      await expectOAuthError(await ask(second, await proofJwt(h, key, await nonce(h))), 400, 'invalid_proof');
      const other = await holderKey();
      expect((await ask(second, await proofJwt(h, other, await nonce(h)))).status).toBe(200);
      const third = await holderKey();
      await expectOAuthError(
        await ask(second, await proofJwt(h, third, await nonce(h)), 'launch_readiness_jwt_vc_json'),
        400,
        'invalid_proof',
      );
    });

    it('answers an unknown configuration with unknown_credential_configuration, and a repeated, unoffered or malformed request with invalid_credential_request', async () => {
      const token = await accessToken(h, await fresh());
      const key = await holderKey();
      await expectOAuthError(
        await ask(token, await proofJwt(h, key, await nonce(h)), 'no_such_thing'),
        400,
        'unknown_credential_configuration',
      );
      await expectOAuthError(
        await ask(token, await proofJwt(h, key, await nonce(h)), 'launch_readiness_jwt_vc_json'),
        400,
        'invalid_credential_request',
      );
      await expectOAuthError(await credentialRequest(h, token, { proofs: { jwt: ['x'] } }), 400, 'invalid_credential_request');
      // A body that is not JSON at all: still the error OID4VCI names, not our problem document.
      await expectOAuthError(await credentialRequest(h, token, '{"credential_configuration_id": '), 400, 'invalid_credential_request');
      await expectOAuthError(
        await credentialRequest(h, token, { credential_configuration_id: 'launch_readiness_sd_jwt', proofs: { jwt: ['a', 'b'] } }),
        400,
        'invalid_credential_request',
      );
      // The singular `proof` of earlier drafts is accepted.
      const single = await credentialRequest(h, token, {
        credential_configuration_id: 'launch_readiness_sd_jwt',
        proof: { proof_type: 'jwt', jwt: await proofJwt(h, key, await nonce(h)) },
      });
      expect(single.status, await single.clone().text()).toBe(200);
      await expectOAuthError(await ask(token, await proofJwt(h, key, await nonce(h))), 400, 'invalid_credential_request');
    });
  });

  it('refuses an offer of an assessment the tenant does not have, and serves metadata only for existing tenants', async () => {
    await expectProblem(
      await h.request('POST', '/v1/t/acme/offers', { token: h.adminToken, body: { assessment_id: crypto.randomUUID() } }),
      404,
      'assessment_not_found',
    );
    await expectProblem(await h.request('GET', '/.well-known/openid-credential-issuer/t/nobody'), 404, 'tenant_not_found');
    const meta = (await (await h.request('GET', '/.well-known/openid-credential-issuer/t/acme')).json()) as Record<string, unknown>;
    expect(meta).toMatchObject({
      credential_issuer: 'https://issuer.test/t/acme',
      credential_endpoint: 'https://issuer.test/t/acme/credential',
      nonce_endpoint: 'https://issuer.test/t/acme/nonce',
      credential_configurations_supported: {
        launch_readiness_sd_jwt: { format: 'dc+sd-jwt', vct: 'https://issuer.test/types/launch-readiness/v1' },
      },
    });
    const as = (await (await h.request('GET', '/.well-known/oauth-authorization-server/t/acme')).json()) as Record<string, unknown>;
    expect(as).toMatchObject({ issuer: 'https://issuer.test/t/acme', 'pre-authorized_grant_anonymous_access_supported': true });
  });
});
