/**
 * The browser build and the server give the same report on the same inputs: the page's own
 * environment code (src/web), driven with the app as its network, against POST /v1/verify.
 */
import { CompactSign, exportJWK, generateKeyPair, base64url } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderReport } from '../../src/pages/report.ts';
import { disclosablePointers, selectDisclosures } from '../../src/verify/present.ts';
import { verificationResultToJson } from '../../src/verify/wire.ts';
import { verifyOnline } from '../../src/web/verify-online.ts';
import { freshPglite, type TestDatabase } from '../support/databases.ts';
import { harness, ORIGIN, type Harness } from '../support/harness.ts';
import { appFetch, issueAll, type Issued } from './support.ts';
import { issueUnderOwnProfile } from '../http/helpers.ts';

const FORMATS = ['vc+jwt', 'jwt_vc_json', 'dc+sd-jwt'] as const;

/** A signature changed in its last characters: the credential as it would arrive after tampering. */
const tamperSignature = (jwt: string) => {
  const [head, rest] = [jwt.slice(0, jwt.lastIndexOf('.') + 1), jwt.slice(jwt.lastIndexOf('.') + 1)];
  return `${head}${rest.slice(0, 10)}${rest[10] === 'A' ? 'B' : 'A'}${rest.slice(11)}`;
};

/** A disclosure whose value was changed after issuance: its digest is no longer in the signed payload. */
function tamperDisclosure(sdJwt: string): string {
  const [jws, ...rest] = sdJwt.split('~');
  const index = rest.findIndex((d) => {
    const decoded = JSON.parse(new TextDecoder().decode(base64url.decode(d))) as unknown[];
    return decoded.length === 3 && typeof decoded[2] === 'object' && JSON.stringify(decoded[2]).includes('"status":"pass"');
  });
  expect(index).toBeGreaterThanOrEqual(0);
  const decoded = JSON.parse(new TextDecoder().decode(base64url.decode(rest[index]!))) as [string, string, { status: string }];
  rest[index] = base64url.encode(JSON.stringify([decoded[0], decoded[1], { ...decoded[2], status: 'fail' }]));
  return [jws, ...rest].join('~');
}

describe('the browser pipeline and POST /v1/verify give identical reports', () => {
  let t: TestDatabase;
  let h: Harness;
  let valid: Issued;
  let suspended: Issued;
  let revoked: Issued;
  let superseded: Issued;
  let expiring: Issued;
  let foreign: string;
  let unknownTenant: string;

  beforeAll(async () => {
    t = await freshPglite();
    h = await harness(t.db, { env: { VERIFY_RATE_LIMIT_PER_MINUTE: '100000' } });
    expect((await h.request('POST', '/v1/tenants', { token: h.adminToken, body: { id: 'acme', name: 'Acme Corp' } })).status).toBe(201);
    valid = await issueAll(h, 'acme');
    suspended = await issueAll(h, 'acme');
    revoked = await issueAll(h, 'acme');
    superseded = await issueAll(h, 'acme');
    await issueAll(h, 'acme', { supersedes: superseded.attestation });
    expiring = await issueAll(h, 'acme', { valid_until: new Date(h.clock().getTime() + 86_400_000).toISOString() });
    for (const [which, status] of [
      [suspended, 'suspended'],
      [revoked, 'revoked'],
    ] as const) {
      const res = await h.request('PATCH', `/v1/t/acme/attestations/${which.attestation}/status`, {
        token: h.adminToken,
        body: { status, reason: 'internal note', public_reason: `${status} while the evidence is reviewed` },
      });
      expect(res.status, await res.clone().text()).toBe(200);
    }

    // Signed by a key of its own, naming an issuer of another site and an issuer this site does not have.
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const jwk = await exportJWK(publicKey);
    const vc = (issuer: string) =>
      new CompactSign(
        new TextEncoder().encode(
          JSON.stringify({
            '@context': ['https://www.w3.org/ns/credentials/v2'],
            type: ['VerifiableCredential'],
            issuer,
            validFrom: '2025-12-01T00:00:00Z',
            credentialSubject: { id: 'did:example:subject' },
          }),
        ),
      )
        .setProtectedHeader({ alg: 'ES256', typ: 'vc+jwt', kid: `${issuer}#${jwk.x!.slice(0, 8)}` })
        .sign(privateKey);
    foreign = await vc('did:web:elsewhere.example');
    unknownTenant = await vc('did:web:issuer.test:t:nobody');
  });
  afterAll(() => t.dispose());

  async function server(credential: unknown) {
    const res = await h.request('POST', '/v1/verify', { body: { credential } });
    expect(res.status, await res.clone().text()).toBe(200);
    return (await res.json()) as Record<string, unknown>;
  }
  async function browser(credential: unknown) {
    const fetch = appFetch(h);
    const outcome = await verifyOnline(credential, { origin: new URL(ORIGIN), fetch, clock: h.clock });
    return { outcome, urls: fetch.urls };
  }
  async function expectSame(credential: unknown, expected: { verified: boolean; failed?: string }) {
    const { outcome, urls } = await browser(credential);
    expect(outcome.kind).toBe('judged');
    if (outcome.kind !== 'judged') return;
    const fromServer = await server(credential);
    expect(verificationResultToJson(outcome.result)).toEqual(fromServer);
    expect(outcome.result.verified).toBe(expected.verified);
    const failed = outcome.result.checks.filter((c) => !c.ok).map((c) => `${c.name}:${c.code}`);
    expect(failed).toEqual(expected.failed ? [expected.failed] : []);
    for (const url of urls) expect(new URL(url).origin).toBe(ORIGIN);
    return outcome;
  }

  /** The page the server renders without JavaScript (POST /verify), with its report in #report. */
  async function serverPage(credential: string): Promise<string> {
    const res = await h.request('POST', '/verify', {
      body: new URLSearchParams({ credential }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.status).toBe(200);
    return res.text();
  }

  it.each([
    ['valid', () => valid.byFormat['dc+sd-jwt']],
    ['revoked', () => revoked.byFormat['vc+jwt']],
    ['superseded', () => superseded.byFormat['jwt_vc_json']],
  ])('the page renders the same report from the browser as the server renders without JavaScript (%s)', async (_what, credential) => {
    const { outcome } = await browser(credential());
    if (outcome.kind !== 'judged') throw new Error(outcome.kind);
    // Byte for byte, but for where it ran: the server's page holds exactly the fragment the browser renders.
    const fragment = renderReport({ ...outcome.report, where: 'server' });
    expect(fragment).toContain('data-verdict=');
    expect((await serverPage(credential())).includes(`<div id="report" aria-live="polite">${fragment}</div>`)).toBe(true);
  });

  it('a valid attestation under the tenant’s own profile: both recompute its verdict from that profile', async () => {
    const { credentials } = await issueUnderOwnProfile(h, 'acme', { id: 'acme-review', version: '2.0.0' }, ['vc+jwt', 'dc+sd-jwt']);
    for (const { credential } of credentials) {
      const outcome = await expectSame(credential, { verified: true });
      expect(outcome!.result.readiness).toMatchObject({ profile: { id: 'acme-review', version: '2.0.0' }, recomputed: true });
    }
  });

  it('a revoked attestation under the tenant’s own profile renders the same report in the browser as on the server', async () => {
    const issued = await issueUnderOwnProfile(h, 'acme', { id: 'acme-launch', version: '1.0.0' }, ['vc+jwt']);
    const patched = await h.request('PATCH', `/v1/t/acme/attestations/${issued.attestation_id}/status`, {
      token: h.adminToken,
      body: { status: 'revoked', reason: 'internal note' },
    });
    expect(patched.status).toBe(200);
    const credential = issued.credentials[0]!.credential;
    const { outcome } = await browser(credential);
    if (outcome.kind !== 'judged') throw new Error(outcome.kind);
    // The check stops at the status, before readiness: the profile still comes from the claims on both sides.
    expect(outcome.result.readiness).toBeUndefined();
    expect(outcome.report.profile?.id).toBe('acme-launch');
    const fragment = renderReport({ ...outcome.report, where: 'server' });
    expect(fragment).toContain('The only control');
    expect((await serverPage(credential)).includes(`<div id="report" aria-live="polite">${fragment}</div>`)).toBe(true);
  });

  describe.each(FORMATS)('%s', (format) => {
    it('valid: verified, with the status lists read live and the organisation named from the bundle', async () => {
      const outcome = await expectSame(valid.byFormat[format], { verified: true });
      expect(outcome!.result.status?.value).toBe('valid');
      expect(outcome!.report.where).toBe('browser');
      expect(outcome!.report.profile?.id).toBe('production-readiness-review');
    });
    it('tampered signature: not verified, at the signature', async () => {
      const credential = valid.byFormat[format];
      const tampered = format === 'dc+sd-jwt' ? credential.replace(/^[^~]+/, (jws) => tamperSignature(jws)) : tamperSignature(credential);
      await expectSame(tampered, { verified: false, failed: 'signature:bad_signature' });
    });
    it('suspended: not verified, with the published reason and date', async () => {
      const outcome = await expectSame(suspended.byFormat[format], { verified: false, failed: 'status:suspended' });
      expect(outcome!.result.notice).toMatchObject({ status: 'suspended', reason: 'suspended while the evidence is reviewed' });
    });
    it('revoked: not verified', async () => {
      await expectSame(revoked.byFormat[format], { verified: false, failed: 'status:revoked' });
    });
    it('superseded: verified, and the notice names the attestation that replaced it', async () => {
      const outcome = await expectSame(superseded.byFormat[format], { verified: true });
      expect(outcome!.result.notice?.supersededBy).toBeDefined();
    });
    it('expired: not verified, at the validity period', async () => {
      const now = h.clock();
      h.clock.advanceDays(2);
      try {
        await expectSame(expiring.byFormat[format], { verified: false, failed: 'validity_period:expired' });
      } finally {
        h.clock.set(now);
      }
    });
  });

  it('an SD-JWT VC presentation holding only a few disclosures: verified, the verdict not recomputed', async () => {
    const sd = valid.byFormat['dc+sd-jwt'];
    const pointers = await disclosablePointers(sd);
    const few = await selectDisclosures(sd, pointers.slice(0, 2));
    expect(few.split('~').length).toBeLessThan(sd.split('~').length);
    const outcome = await expectSame(few, { verified: true });
    expect(outcome!.result.readiness?.recomputed).toBe(false);
  });

  it('a tampered disclosure: not verified, at the disclosures', async () => {
    await expectSame(tamperDisclosure(valid.byFormat['dc+sd-jwt']), {
      verified: false,
      failed: expect.stringMatching(/^disclosures:/) as never,
    });
  });

  it.each([
    ['text that is not a credential', 'definitely not a credential'],
    ['an empty string', ''],
    [
      'a JWT signed with alg none',
      `${base64url.encode('{"alg":"none","typ":"vc+jwt"}')}.${base64url.encode('{"type":["VerifiableCredential"]}')}.`,
    ],
    ['an envelope of another media type', { type: 'EnvelopedVerifiableCredential', id: 'data:text/plain,hello' }],
  ])('garbage (%s): the same refusal, with nothing fetched', async (_what, input) => {
    const { outcome, urls } = await browser(input);
    expect(urls).toEqual([]);
    expect(outcome.kind).toBe('judged');
    if (outcome.kind !== 'judged') return;
    expect(outcome.result.verified).toBe(false);
    if (input !== '') expect(verificationResultToJson(outcome.result)).toEqual(await server(input));
  });

  it('an issuer of another site: the browser fetches nothing and defers to the server, which does not verify it', async () => {
    const { outcome, urls } = await browser(foreign);
    expect(outcome).toEqual({ kind: 'elsewhere', issuer: 'did:web:elsewhere.example' });
    expect(urls).toEqual([]);
    expect(await server(foreign)).toMatchObject({ verified: false });
  });

  it('an issuer of this site that does not exist: the browser says so, and the server does not verify it either', async () => {
    const { outcome, urls } = await browser(unknownTenant);
    expect(outcome).toEqual({ kind: 'unknown_issuer', issuer: 'did:web:issuer.test:t:nobody' });
    expect(urls).toEqual([`${ORIGIN}/t/nobody/trust-bundle.json`]);
    expect(await server(unknownTenant)).toMatchObject({ verified: false });
  });
});
