import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyCredential } from '../../src/verify/pipeline.ts';
import { expectProblem, readinessAssessment, tenantState } from '../http/helpers.ts';
import { freshPglite, type TestDatabase } from '../support/databases.ts';
import { harness, ORIGIN, type Harness } from '../support/harness.ts';
import { harnessVerification } from '../support/verify-env.ts';

interface Envelope {
  '@context': string;
  id: string;
  type: string;
}
interface VcApiResult {
  verified: boolean;
  checks: string[];
  warnings: { type: string; title: string }[];
  errors: { type: string; title: string; detail?: string }[];
  launchproof: { verified: boolean; checks: { name: string; ok: boolean; code: string }[] };
}

const V2 = 'https://www.w3.org/ns/credentials/v2';
const credential = (extra: Record<string, unknown> = {}, subject: Record<string, unknown> = {}) => ({
  '@context': [V2],
  type: ['VerifiableCredential', 'LaunchReadinessAttestation'],
  credentialSubject: { assessment: readinessAssessment(), ...subject },
  ...extra,
});
const jwtOf = (e: Envelope) => e.id.replace(/^data:application\/vc\+jwt,/, '');

describe('W3C CCG VC-API routes', () => {
  let t: TestDatabase;
  let h: Harness;
  const tokens: Record<string, string> = {};
  const mint = async (tenant: string, roles: string[]) => {
    const res = await h.request('POST', `/v1/t/${tenant}/api-keys`, { token: h.adminToken, body: { roles } });
    expect(res.status).toBe(201);
    return ((await res.json()) as { token: string }).token;
  };
  const issue = (body: unknown, tenant = 'acme', token = tokens.issuer) =>
    h.request('POST', `/t/${tenant}/credentials/issue`, { token, body });
  const issued = async (body: unknown = { credential: credential() }) => {
    const res = await issue(body);
    expect(res.status, await res.clone().text()).toBe(201);
    return ((await res.json()) as { verifiableCredential: Envelope }).verifiableCredential;
  };
  const verify = async (vc: unknown) => {
    const res = await h.request('POST', '/t/acme/credentials/verify', { body: { verifiableCredential: vc } });
    expect(res.status, await res.clone().text()).toBe(200);
    return (await res.json()) as VcApiResult;
  };
  const setStatus = (body: unknown, tenant = 'acme', token = tokens.status) =>
    h.request('POST', `/t/${tenant}/credentials/status`, { token, body });
  const revocation = (credentialId: string, status: boolean, extra: Record<string, unknown> = {}) => ({
    credentialId,
    credentialStatus: { type: 'BitstringStatusListEntry', statusPurpose: 'revocation', ...extra },
    status,
  });

  beforeAll(async () => {
    t = await freshPglite();
    h = await harness(t.db);
    for (const id of ['acme', 'other'])
      expect((await h.request('POST', '/v1/tenants', { token: h.adminToken, body: { id, name: id } })).status).toBe(201);
    tokens.issuer = await mint('acme', ['issuer']);
    tokens.status = await mint('acme', ['status']);
    tokens.auditor = await mint('acme', ['auditor']);
    tokens.otherAll = await mint('other', ['issuer', 'status', 'auditor']);
  });
  afterAll(() => t.dispose());

  it('issues an EnvelopedVerifiableCredential whose data: URL is a vc+jwt signed by the tenant', async () => {
    const vc = await issued();
    expect(vc['@context']).toBe(V2);
    expect(vc.type).toBe('EnvelopedVerifiableCredential');
    expect(vc.id.startsWith('data:application/vc+jwt,')).toBe(true);
    const jwt = jwtOf(vc);
    expect(decodeProtectedHeader(jwt)).toMatchObject({ typ: 'vc+jwt', cty: 'vc' });
    const payload = decodeJwt(jwt) as Record<string, unknown> & { credentialSubject: { verdict: { stage: string } } };
    expect(payload.issuer).toBe(`did:web:${new URL(ORIGIN).host}:t:acme`);
    expect(payload.type).toEqual(['VerifiableCredential', 'LaunchReadinessAttestation']);
    // The verdict is the service's own, computed from the assessment.
    expect(payload.credentialSubject.verdict.stage).toBe('scale_ready');
  });

  it('verifies the envelope at /credentials/verify with the checks that passed, and through the pipeline alike', async () => {
    const vc = await issued();
    const result = await verify(vc);
    expect(result.verified).toBe(true);
    expect(result.errors).toEqual([]);
    expect(result.checks).toEqual(expect.arrayContaining(['format', 'signature', 'validity_period', 'status', 'readiness']));
    expect(result.launchproof.verified).toBe(true);
    const direct = await verifyCredential(vc, harnessVerification(h));
    expect(direct.verified).toBe(true);
    expect(direct.checks.filter((c) => c.ok).map((c) => c.name)).toEqual(result.checks);
  });

  it('answers 200 with errors for a credential that does not verify (VC-API: report, do not raise)', async () => {
    const vc = await issued();
    const jwt = jwtOf(vc);
    const tampered = { ...vc, id: `data:application/vc+jwt,${jwt.slice(0, -4)}AAAA` };
    const result = await verify(tampered);
    expect(result.verified).toBe(false);
    expect(result.errors).toEqual([expect.objectContaining({ type: 'https://www.w3.org/TR/vc-data-model#CRYPTOGRAPHIC_SECURITY_ERROR' })]);
    expect(result.checks).not.toContain('signature');
  });

  it('revokes through /credentials/status, after which verification reports the revocation', async () => {
    const vc = await issued();
    const id = (decodeJwt(jwtOf(vc)) as { id: string }).id;
    const res = await setStatus(revocation(id, true));
    expect(res.status, await res.clone().text()).toBe(200);
    const body = (await res.json()) as {
      credentialId: string;
      status: boolean;
      changed: boolean;
      credentialStatus: { statusPurpose: string };
    };
    expect(body).toMatchObject({ credentialId: id, status: true, changed: true, credentialStatus: { statusPurpose: 'revocation' } });
    const result = await verify(vc);
    expect(result.verified).toBe(false);
    expect(result.errors.map((e) => e.title)).toEqual(['status: revoked']);

    // Asking again changes nothing; un-revoking is refused as final.
    expect(((await (await setStatus(revocation(id, true))).json()) as { changed: boolean }).changed).toBe(false);
    await expectProblem(await setStatus(revocation(id, false)), 409, 'status_final');
  });

  it('suspends and reinstates through the suspension entry', async () => {
    const vc = await issued();
    const id = (decodeJwt(jwtOf(vc)) as { id: string }).id;
    const suspension = (status: boolean) => ({
      credentialId: id,
      credentialStatus: { type: 'BitstringStatusListEntry', statusPurpose: 'suspension' },
      status,
    });
    expect(((await (await setStatus(suspension(true))).json()) as { status: boolean }).status).toBe(true);
    expect((await verify(vc)).errors.map((e) => e.title)).toEqual(['status: suspended']);
    expect(((await (await setStatus(suspension(false))).json()) as { changed: boolean }).changed).toBe(true);
    expect((await verify(vc)).verified).toBe(true);
  });

  it('refuses a status entry the credential does not carry with 422, and an unknown credential with 404', async () => {
    const vc = await issued();
    const id = (decodeJwt(jwtOf(vc)) as { id: string }).id;
    const p = await expectProblem(await setStatus(revocation(id, true, { statusListIndex: '999999' })), 422, 'status_entry_mismatch');
    expect(p.errors?.map((e) => e.pointer)).toEqual(['/credentialStatus/statusListIndex']);
    await expectProblem(
      await setStatus({ ...revocation(id, true), credentialStatus: { type: 'StatusList2021Entry', statusPurpose: 'revocation' } }),
      422,
      'status_entry_mismatch',
    );
    await expectProblem(await setStatus(revocation('urn:uuid:2f0b1f4e-1c7d-4f4e-9a53-8f1f2d3c4b5a', true)), 404, 'credential_not_found');
    await expectProblem(await setStatus({ credentialId: id, status: 'revoked' }), 400, 'invalid_request');
  });

  it('answers 400 for malformed requests, storing nothing', async () => {
    const before = await tenantState(t.db, 'acme');
    const cases: [unknown, string][] = [
      [{}, '/credential'],
      [{ credential: credential({ '@context': ['https://www.w3.org/2018/credentials/v1'] }) }, '/credential/@context'],
      [{ credential: credential({ type: ['LaunchReadinessAttestation'] }) }, '/credential/type'],
      // The VC-API's issuer.yml: an issuer that does not match the configuration is a 400.
      [{ credential: credential({ issuer: 'did:web:elsewhere.example' }) }, '/credential/issuer'],
      [{ credential: credential({ validFrom: 'yesterday' }) }, '/credential/validFrom'],
      [{ credential: credential({}, { assessment: { profile: 'nope' } }) }, '/credential/credentialSubject/assessment'],
    ];
    for (const [body, pointer] of cases) {
      const p = await expectProblem(await issue(body), 400, 'invalid_request');
      expect(
        p.errors?.map((e) => e.pointer).some((x) => x.startsWith(pointer)),
        `${pointer}: ${JSON.stringify(p.errors)}`,
      ).toBe(true);
    }
    // Checks our issuance makes are reported where the VC-API request carries the value.
    const backdated = await expectProblem(
      await issue({ credential: credential({ validFrom: '2020-01-01T00:00:00Z' }) }),
      400,
      'invalid_request',
    );
    expect(backdated.errors?.map((e) => e.pointer)).toEqual(['/credential/validFrom']);
    expect(await tenantState(t.db, 'acme')).toEqual(before);
  });

  it('answers 422 for a credential it would not sign as given: its own verdict, id, status, extra types', async () => {
    const before = await tenantState(t.db, 'acme');
    const cases: [unknown, string][] = [
      [{ credential: credential({}, { verdict: { stage: 'scale_ready' } }) }, '/credential/credentialSubject/verdict'],
      [{ credential: credential({ id: 'urn:uuid:6e2b0d8c-7f43-4a5b-9a33-2c1c3e0e4f10' }) }, '/credential/id'],
      [{ credential: credential({ credentialStatus: { type: 'BitstringStatusListEntry' } }) }, '/credential/credentialStatus'],
      [{ credential: credential({ type: ['VerifiableCredential', 'UniversityDegreeCredential'] }) }, '/credential/type'],
      [{ credential: credential({ '@context': [V2, 'https://www.w3.org/ns/credentials/examples/v2'] }) }, '/credential/@context/1'],
      [{ credential: credential(), options: { mandatoryPointers: ['/issuer'] } }, '/options/mandatoryPointers'],
    ];
    for (const [body, pointer] of cases) {
      const p = await expectProblem(await issue(body), 422, 'credential_not_issuable');
      expect(p.errors?.map((e) => e.pointer)).toEqual([pointer]);
    }
    const a = readinessAssessment();
    a.results.push({ ...a.results[0]!, control: 'security.nosuchcontrol' });
    await expectProblem(await issue({ credential: credential({}, { assessment: a }) }), 422, 'invalid_assessment');
    expect(await tenantState(t.db, 'acme')).toEqual(before);
  });

  it('accepts the tenant DID as issuer, and options.credentialId makes the issuance idempotent', async () => {
    const did = `did:web:${new URL(ORIGIN).host}:t:acme`;
    const body = { credential: credential({ issuer: { id: did } }), options: { credentialId: 'order-42' } };
    const first = await issued(body);
    const again = await issue(body);
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(((await again.json()) as { verifiableCredential: Envelope }).verifiableCredential).toEqual(first);
    await expectProblem(
      await issue({ ...body, credential: credential({ issuer: did, validUntil: '2026-02-01T00:00:00Z' }) }),
      409,
      'idempotency_key_reused',
    );
  });

  it('issues from a stored assessment named by id', async () => {
    const stored = (await (
      await h.request('POST', '/v1/t/acme/assessments', { token: tokens.issuer, body: readinessAssessment() })
    ).json()) as { id: string };
    const vc = await issued({ credential: credential({}, { assessment: stored.id }) });
    expect((decodeJwt(jwtOf(vc)) as { credentialSubject: { assessment: string } }).credentialSubject.assessment).toBe(stored.id);
  });

  it('refuses other roles and other tenants’ keys, leaving the tenant untouched', async () => {
    const vc = await issued();
    const id = (decodeJwt(jwtOf(vc)) as { id: string }).id;
    const before = await tenantState(t.db, 'acme');
    await expectProblem(await issue({ credential: credential() }, 'acme', tokens.status), 403, 'forbidden');
    await expectProblem(await issue({ credential: credential() }, 'acme', tokens.auditor), 403, 'forbidden');
    await expectProblem(await setStatus(revocation(id, true), 'acme', tokens.issuer), 403, 'forbidden');
    await expectProblem(await issue({ credential: credential() }, 'acme', tokens.otherAll), 403, 'forbidden');
    await expectProblem(await setStatus(revocation(id, true), 'acme', tokens.otherAll), 403, 'forbidden');
    // Through its own tenant path, tenant other cannot reach acme's credential either.
    await expectProblem(await setStatus(revocation(id, true), 'other', tokens.otherAll), 404, 'credential_not_found');
    await expectProblem(
      await h.request('POST', '/t/acme/credentials/issue', { body: { credential: credential() } }),
      401,
      'unauthenticated',
    );
    expect(await tenantState(t.db, 'acme')).toEqual(before);
    expect((await verify(vc)).verified).toBe(true);
  });

  it('lets a browser verify: the preflight for POST with a JSON body is allowed on the verify route only', async () => {
    const preflight = (path: string) =>
      h.request('OPTIONS', path, {
        headers: {
          origin: 'https://buyer.example',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
        },
      });
    const ok = await preflight('/t/acme/credentials/verify');
    expect(ok.headers.get('access-control-allow-origin')).toBe('*');
    expect(ok.headers.get('access-control-allow-methods')).toContain('POST');
    expect(ok.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('content-type');
    const operator = await preflight('/t/acme/credentials/issue');
    expect(operator.headers.get('access-control-allow-methods')).not.toContain('POST');
  });
});
